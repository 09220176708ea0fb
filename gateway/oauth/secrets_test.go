package oauth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/oauth"
	"github.com/spoolgate/spoolgate/gateway/oauth/oauthtest"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// Every value and error this package makes, formatted every way a log
// line or a dump could, holds neither the client secret, nor the private
// key, nor an access or refresh token.
func TestNoSecretInAnyOutput(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	sa := srv.AddServiceAccount(oauth.GoogleScope)
	var keyFile struct {
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal(sa.KeyJSON, &keyFile); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"client secret": app.Secret, "wrong secret": "Wr0ng~secret~value~1234"}
	for i, line := range strings.Split(keyFile.PrivateKey, "\n") {
		if len(line) > 40 && !strings.HasPrefix(line, "-----") {
			secrets[fmt.Sprintf("private key line %d", i)] = line
		}
	}

	var values []any
	ms := oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID, ClientSecret: app.Secret,
		TokenURL: app.TokenURL, Username: app.Mailbox, HTTPClient: srv.Client()}
	gs := oauth.Settings{Provider: "google", KeyJSON: sa.KeyJSON, Username: "library@example.org", HTTPClient: srv.Client()}
	values = append(values, ms, &ms, gs, &gs)

	msrc, err := oauth.New(ms)
	if err != nil {
		t.Fatal(err)
	}
	gsrc, err := oauth.New(gs)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []*oauth.Source{msrc, gsrc} {
		tok, err := src.Token(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		secrets["access token of "+src.Provider()] = tok.AccessToken
		x := oauth.XOAUTH2Client("library@example.org", tok.AccessToken)
		values = append(values, src, tok, &tok, src.State(), x, oauth.OAuthBearerClient("u", tok.AccessToken, "h", 587),
			oauth.Describe(tok.AccessToken))
	}

	// Refresh-token sign-in, with a rotation.
	file := filepath.Join(spooltest.TempDir(t), "refresh")
	rt0 := srv.IssueRefreshToken(app.ClientID, app.Mailbox)
	secrets["first refresh token"] = rt0
	if err := oauth.WriteRefreshToken(file, rt0); err != nil {
		t.Fatal(err)
	}
	rs := oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID, ClientSecret: app.Secret,
		RefreshTokenFile: file, TokenURL: app.TokenURL, HTTPClient: srv.Client()}
	rsrc, err := oauth.New(rs)
	if err != nil {
		t.Fatal(err)
	}
	rtok, err := rsrc.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	rt1, _ := oauth.ReadRefreshToken(file)
	secrets["rotated refresh token"] = rt1
	values = append(values, rs, rsrc, rsrc.State())

	// Errors: a wrong secret, a refusal that quotes the secret and the
	// refresh token back, a revoked refresh token, a forged key.
	wrong := ms
	wrong.ClientSecret = secrets["wrong secret"]
	wsrc, _ := oauth.New(wrong)
	_, err = wsrc.Token(ctxT(t))
	values = append(values, err, wrong, wsrc.State())

	srv.Refuse(400, "invalid_request", "bad request with client_secret="+app.Secret+" and refresh_token="+rt1)
	_, echoErr := rsrc.ForceRefresh(ctxT(t), rtok)
	var e *oauth.Error
	if !errors.As(echoErr, &e) || !strings.Contains(e.Description, "[redacted]") {
		t.Fatalf("a refusal quoting the secret: %v; want it redacted", echoErr)
	}
	srv.Refuse(400, "invalid_request", "bad request with client_secret="+app.Secret)
	msrc2, _ := oauth.New(ms)
	_, echoErr2 := msrc2.Token(ctxT(t))
	values = append(values, echoErr, echoErr2)
	srv.Refuse(0, "", "")

	srv.RevokeRefreshTokens(app.Mailbox)
	_, err = rsrc.Token(ctxT(t)) // the token was forgotten by ForceRefresh
	if e := (*oauth.Error)(nil); !errors.As(err, &e) || e.Code != "invalid_grant" {
		t.Fatalf("revoked: %v", err)
	}
	values = append(values, err, rsrc.State())

	forged, _ := oauthtest.NewServiceAccountKey(sa.Email, sa.ClientID, srv.TokenURL())
	fs := gs
	fs.KeyJSON = forged.KeyJSON
	fsrc, _ := oauth.New(fs)
	_, err = fsrc.Token(ctxT(t))
	values = append(values, err)

	// Setting errors about a key must not quote it either.
	bad := gs
	bad.KeyJSON = bytes.Replace(sa.KeyJSON, []byte("BEGIN PRIVATE KEY"), []byte("BEGIN NOTHING"), 1)
	_, err = oauth.New(bad)
	if err == nil {
		t.Fatal("a broken key was accepted")
	}
	values = append(values, err)
	if c, ok := oauth.CauseOf(values[len(values)-2].(error)); ok {
		meaning, action := cause.Explain("en", c)
		values = append(values, c, meaning, action)
	}

	for name, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("secret %s is too short to test: %q", name, s)
		}
	}
	var logs bytes.Buffer
	text := slog.New(slog.NewTextHandler(&logs, nil))
	js := slog.New(slog.NewJSONHandler(&logs, nil))
	for i, v := range values {
		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
		if err, ok := v.(error); ok && err != nil {
			outs = append(outs, err.Error())
			for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
				outs = append(outs, u.Error(), fmt.Sprintf("%#v", u))
			}
		}
		if s, ok := v.(fmt.Stringer); ok && s != nil {
			outs = append(outs, s.String())
		}
		if b, err := json.Marshal(v); err == nil {
			outs = append(outs, string(b))
		}
		text.Info("value", "v", v)
		js.Info("value", "v", v)
		for _, out := range outs {
			for name, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("value %d (%T) shows the %s: %.300s", i, v, name, out)
				}
			}
		}
	}
	for name, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("slog output shows the %s", name)
		}
	}
}

// A rotated refresh token that cannot be written is used from memory,
// and State says so.
func TestRefreshToken_SaveFailureKeptInMemory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("relies on a Unix file name limit of 255 bytes")
	}
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	// A name the file system takes, but whose temporary name (longer by
	// 19 bytes) it does not: the write fails even for root.
	file := filepath.Join(spooltest.TempDir(t), strings.Repeat("r", 245))
	rt0 := srv.IssueRefreshToken(app.ClientID, app.Mailbox)
	if err := os.WriteFile(file, []byte(rt0+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	src, _ := oauth.New(oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID,
		RefreshTokenFile: file, TokenURL: app.TokenURL, HTTPClient: srv.Client(), Now: clock.Now})
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatalf("Token with an unwritable file: %v; the access token is good", err)
	}
	st := src.State()
	if !errors.Is(st.SaveError, oauth.ErrRefreshTokenUnsaved) || explainID(t, st.SaveError) != cause.OAuthRefreshTokenUnsaved {
		t.Fatalf("SaveError %v", st.SaveError)
	}
	if got, _ := oauth.ReadRefreshToken(file); got != rt0 {
		t.Fatal("the file changed")
	}
	clock.Advance(2 * time.Hour)
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatalf("the rotated token kept in memory was not used: %v", err)
	}
}
