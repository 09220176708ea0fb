package daily_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/oauth"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// TestCompose_OAuthSecretExpires: a client secret that expires within 30
// days (oauth_client_secret_expires) is a warning in every language, in
// the text and in report --json, and the subject is not all well; one
// that expires in 40 days is not mentioned.
func TestCompose_OAuthSecretExpires(t *testing.T) {
	cfg := newConfig(t, nil)
	main := server("smtp", "smtp.office365.com", 587)
	main.Security = config.SecurityNone // no certificate probe
	main.Auth = config.AuthOAuth2
	main.OAuth = config.OAuth{Provider: config.ProviderMicrosoft, Tenant: "example.org", ClientID: "app"}
	backup := server("smtp.backup", "backup.example.org", 587)
	backup.Security = config.SecurityNone
	main.Next = backup
	cfg.SMTP = main
	tr := health.NewTracker(cfg.Spool.Data, cfg.Spool.Instance, []string{"smtp"}, time.Now)
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	tr.Up("smtp")
	now := time.Now()
	day := now.In(cfg.Service.Location)
	compose := func() *daily.Report {
		t.Helper()
		r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	want := map[string]string{
		"en": "The OAuth2 client secret of the mail relay smtp (smtp.office365.com:587) expires on ",
		"sv": "OAuth2-klienthemligheten för e-postservern smtp (smtp.office365.com:587) går ut ",
		"nb": "OAuth2-klienthemmeligheten til e-postserveren smtp (smtp.office365.com:587) utløper ",
		"pl": "Klucz tajny klienta OAuth2 serwera pocztowego smtp (smtp.office365.com:587) wygasa ",
		"cs": "Tajný klíč klienta OAuth2 poštovního serveru smtp (smtp.office365.com:587) vyprší ",
		"ru": "Секрет клиента OAuth2 почтового сервера smtp (smtp.office365.com:587) истекает ",
	}

	main.OAuth.SecretExpires = now.Add(40 * 24 * time.Hour)
	r := compose()
	if !r.AllWell() || len(r.Warnings) != 0 {
		t.Errorf("a secret that expires in 40 days: all well %v, warnings %+v", r.AllWell(), r.Warnings)
	}
	if strings.Contains(r.Text(), "client secret") {
		t.Errorf("a secret that expires in 40 days is mentioned:\n%s", r.Text())
	}

	main.OAuth.SecretExpires = now.Add(10 * 24 * time.Hour)
	for lang, w := range want {
		cfg.Log.Language = lang
		r := compose()
		if r.AllWell() {
			t.Errorf("%s: a secret that expires in 10 days, and all well: %q", lang, r.Subject())
		}
		if len(r.Warnings) != 1 || r.Warnings[0].Kind != "oauth-secret" {
			t.Fatalf("%s: warnings %+v, want one oauth-secret", lang, r.Warnings)
		}
		mustContain(t, lang+" report", r.Text(), w, "oauth_client_secret_expires")
		if lang == "en" {
			mustContain(t, "en warning", r.Warnings[0].Text, "in 10 days")
		}
		raw, err := json.Marshal(r.Summary())
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			AllWell  bool `json:"all_well"`
			Warnings []struct {
				Kind, Text string
			} `json:"warnings"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if s.AllWell || len(s.Warnings) != 1 || s.Warnings[0].Kind != "oauth-secret" || !strings.HasPrefix(s.Warnings[0].Text, w) {
			t.Errorf("%s: report --json: %s", lang, raw)
		}
	}

	cfg.Log.Language = "en"
	main.OAuth.SecretExpires = now.Add(-24 * time.Hour)
	r = compose()
	if len(r.Warnings) != 1 || r.Warnings[0].Kind != "oauth-secret-expired" || r.AllWell() {
		t.Errorf("an expired secret: all well %v, warnings %+v", r.AllWell(), r.Warnings)
	}
}

// TestCompose_OAuthSignInMustBeRenewed: a refresh-token sign-in whose file
// cannot be read is a warning that gives the command to sign in again;
// once the file holds a token, the warning is gone and the token is not
// in the report.
func TestCompose_OAuthSignInMustBeRenewed(t *testing.T) {
	cfg := newConfig(t, nil)
	cfg.SMTP = server("smtp", "127.0.0.1", 25)
	cfg.SMTP.Security = config.SecurityNone
	deleg := server("deleg", "127.0.0.1", 26)
	deleg.Security = config.SecurityNone
	deleg.Auth = config.AuthOAuth2
	file := filepath.Join(spooltest.TempDir(t), "refresh-token")
	deleg.OAuth = config.OAuth{Provider: config.ProviderMicrosoft, Tenant: "example.org", ClientID: "app", RefreshTokenFile: file}
	cfg.Servers = map[string]*config.Server{"smtp": cfg.SMTP, "deleg": deleg}
	tr := health.NewTracker(cfg.Spool.Data, cfg.Spool.Instance, []string{"smtp", "deleg"}, time.Now)
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(cfg.Service.Location)
	compose := func() *daily.Report {
		t.Helper()
		r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, lang := range []string{"en", "sv", "nb", "pl", "cs", "ru"} {
		cfg.Log.Language = lang
		r := compose()
		if len(r.Warnings) != 1 || r.Warnings[0].Kind != "oauth-sign-in" || r.AllWell() {
			t.Fatalf("%s: a missing refresh-token file: all well %v, warnings %+v", lang, r.AllWell(), r.Warnings)
		}
		mustContain(t, lang+" warning", r.Warnings[0].Text, "deleg (127.0.0.1:26)", file,
			"spoolgate oauth login --config "+cfg.File+" --smtp deleg")
	}
	cfg.Log.Language = "en"
	mustContain(t, "en warning", compose().Warnings[0].Text, "must be renewed")
	token := "1//0secret-refresh-token-value"
	if err := oauth.WriteRefreshToken(file, token); err != nil {
		t.Fatal(err)
	}
	r := compose()
	if len(r.Warnings) != 0 {
		t.Errorf("a readable refresh-token file: warnings %+v", r.Warnings)
	}
	if raw, _ := json.Marshal(r.Summary()); strings.Contains(r.Text()+string(raw), token) {
		t.Errorf("the report shows the refresh token")
	}
}
