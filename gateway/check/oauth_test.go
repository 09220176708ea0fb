package check

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/oauth/oauthtest"
	"github.com/spoolgate/spoolgate/gateway/relay"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

func oauthServer(d *smtptest.Dovecot, app oauthtest.MicrosoftApp, secret string) *config.Server {
	return &config.Server{Name: "smtp", Host: smtptest.DovecotHost, Port: d.Port(), Security: config.SecurityStartTLS,
		TLSVerify: true, RootCAs: d.CAPool, HELO: "gateway.example.org", Username: "library@example.org",
		ConnectTimeout: 10 * time.Second, Timeout: 20 * time.Second, Auth: config.AuthOAuth2,
		OAuth: config.OAuth{Provider: config.ProviderMicrosoft, Tenant: app.Tenant, ClientID: app.ClientID,
			ClientSecret: secret, TokenURL: app.TokenURL, SecretExpires: time.Now().Add(10 * 24 * time.Hour)}}
}

func oauthStep(out Server, name string) *Step {
	for i := range out.Steps {
		if out.Steps[i].Step == name {
			return &out.Steps[i]
		}
	}
	return nil
}

// check walks the token steps, then logs in with XOAUTH2 at a real
// Dovecot; the transcript never shows the token, the XOAUTH2 string or
// the client secret.
func TestCheck_OAuthAgainstDovecot(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	tokens := oauthtest.NewPlain(t)
	d := smtptest.StartDovecot(t, smtptest.DovecotOptions{Issuer: tokens.Issuer(), Key: tokens.HMACKey})
	app := tokens.AddMicrosoftApp("library@example.org")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	good := oauthServer(d, app, app.Secret)
	out := checkServer(ctx, good, nil, time.Now())
	all, _ := json.Marshal(out)
	for _, name := range []string{"TOKEN URL", "TOKEN", "AUTH"} {
		st := oauthStep(out, name)
		if st == nil || st.Status == StatusFail {
			t.Fatalf("step %s = %+v\n%s\n%s", name, st, all, d.Log())
		}
	}
	tok := oauthStep(out, "TOKEN")
	if tok.Status != StatusWarn || !strings.Contains(tok.Verdict, "client secret expires") || !strings.Contains(tok.Detail, app.Tenant) {
		t.Errorf("TOKEN step %+v; want the tenant, and a warning of the secret's expiry", tok)
	}
	if st := oauthStep(out, "AUTH"); !strings.Contains(st.Detail, "XOAUTH2") {
		t.Errorf("AUTH step %+v", st)
	}
	src, _ := relay.TokenSource(good)
	token, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range append(tokenSecrets(good, token.AccessToken), app.Secret) {
		if strings.Contains(string(all), secret) {
			t.Errorf("a secret is in the check output")
		}
	}
	if !strings.Contains(strings.Join(out.Transcript, "\n"), relay.Masked) {
		t.Errorf("transcript does not mask the AUTH exchange: %s", strings.Join(out.Transcript, "\n"))
	}

	wrong := oauthServer(d, app, "Wr0ng~SecretValue.5678")
	out = checkServer(ctx, wrong, nil, time.Now())
	st := oauthStep(out, "TOKEN")
	if st == nil || st.Status != StatusFail || st.Cause != cause.OAuthSecretWrong || !strings.Contains(st.Reply, "AADSTS7000215") ||
		!strings.Contains(st.Verdict, "secret") {
		t.Fatalf("TOKEN step %+v; want the wrong secret named", st)
	}
	if oauthStep(out, "AUTH") != nil {
		t.Errorf("the SMTP steps ran after the token failed")
	}
	all, _ = json.Marshal(out)
	if strings.Contains(string(all), "Wr0ng~SecretValue.5678") {
		t.Errorf("the secret is in the check output")
	}

	tokens.Down()
	out = checkServer(ctx, oauthServer(d, app, app.Secret+"x"), nil, time.Now())
	if st := oauthStep(out, "TOKEN URL"); st == nil || st.Status != StatusFail || !strings.Contains(st.Verdict, "cannot reach the token endpoint") {
		t.Fatalf("TOKEN URL step %+v", st)
	}
}
