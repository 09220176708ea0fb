package oauthtest

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/oauth"
	"github.com/spoolgate/spoolgate/gateway/smtptest"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// Debian's Dovecot (dovecot-core, dovecot-submissiond) validates this
// server's tokens itself, configured as dovecot.go says: the proof that
// DovecotConf and WriteDovecotKeys are right. It runs on smtptest's
// harness (the one private Dovecot of the repository), after checking that
// the harness's oauth2.conf and key file say what DovecotConf and
// WriteDovecotKeys write.
func TestDovecot_AcceptsTheTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := New(t)
	d := startDovecot(t, s)
	keys := filepath.Join(d.d.Dir, "keys")
	conf, err := os.ReadFile(filepath.Join(d.d.Dir, "oauth2.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(s.DovecotConf(keys)), "\n") {
		if !strings.Contains(string(conf), line) {
			t.Errorf("the harness's oauth2.conf lacks %q of DovecotConf:\n%s", line, conf)
		}
	}
	mine := spooltest.TempDir(t)
	if err := s.WriteDovecotKeys(mine); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(mine, filepath.FromSlash(DovecotKeyPath)))
	got, _ := os.ReadFile(filepath.Join(keys, filepath.FromSlash(DovecotKeyPath)))
	if len(want) == 0 || string(got) != string(want) {
		t.Errorf("the harness's key file differs from WriteDovecotKeys's")
	}

	app := s.AddMicrosoftApp("Library@Example.org")
	ms := tokenOf(t, s, oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID,
		ClientSecret: app.Secret, TokenURL: app.TokenURL})
	sa := s.AddServiceAccount(GoogleScope)
	google := tokenOf(t, s, oauth.Settings{Provider: "google", KeyJSON: sa.KeyJSON, Username: "gl@example.org"})
	rtFile := filepath.Join(spooltest.TempDir(t), "refresh")
	if err := oauth.WriteRefreshToken(rtFile, s.IssueRefreshToken(app.ClientID, "deleg@example.org")); err != nil {
		t.Fatal(err)
	}
	delegated := tokenOf(t, s, oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID,
		RefreshTokenFile: rtFile, TokenURL: app.TokenURL})
	other := NewPlain(t)
	oc := other.AddClient("gl@example.org", "smtp")
	_, r := post(t, other, other.TokenURL(), url.Values{"grant_type": {GrantClientCredentials}, "client_id": {oc.ID}, "client_secret": {oc.Secret}})
	foreign := str(r["access_token"])
	if len(ms) < 1000 {
		t.Fatalf("a Microsoft-like token of %d bytes: want one as long as real ones", len(ms))
	}

	for _, tc := range []struct {
		name, mech, user, token string
		ok                      bool
	}{
		{"microsoft XOAUTH2", oauth.XOAUTH2, "library@example.org", ms, true},
		{"microsoft OAUTHBEARER", oauth.OAUTHBEARER, "library@example.org", ms, true},
		{"google XOAUTH2", oauth.XOAUTH2, "gl@example.org", google, true},
		{"delegated XOAUTH2", oauth.XOAUTH2, "deleg@example.org", delegated, true},
		{"another mailbox", oauth.XOAUTH2, "other@example.org", ms, false},
		{"another mailbox OAUTHBEARER", oauth.OAUTHBEARER, "other@example.org", ms, false},
		{"another server's key", oauth.XOAUTH2, "gl@example.org", foreign, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := d.login(t, tc.mech, tc.user, tc.token)
			if tc.ok {
				if err != nil {
					t.Fatalf("login: %v\n%s", err, d.log(t))
				}
				return
			}
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code != 535 || x.Refusal() == nil {
				t.Fatalf("login = %v, refusal %v; want a 334 refusal, then 535", err, x.Refusal())
			}
			want := "401"
			if tc.mech == oauth.OAUTHBEARER {
				want = "invalid_token"
			}
			if x.Refusal().Status != want {
				t.Fatalf("refusal %+v, want status %s", x.Refusal(), want)
			}
		})
	}

	// A token Dovecot took is refused once it expires.
	s.SetLifetime(time.Second)
	short := tokenOf(t, s, oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID,
		ClientSecret: app.Secret, TokenURL: app.TokenURL})
	if _, err := d.login(t, oauth.XOAUTH2, "library@example.org", short); err != nil {
		t.Fatalf("a 1-second token, at once: %v", err)
	}
	time.Sleep(2100 * time.Millisecond)
	_, err = d.login(t, oauth.XOAUTH2, "library@example.org", short)
	if err == nil || !strings.Contains(d.log(t), "Token has expired") {
		t.Fatalf("an expired token: %v", err)
	}
}

func tokenOf(t *testing.T, s *Server, set oauth.Settings) string {
	t.Helper()
	set.HTTPClient = s.Client()
	src, err := oauth.New(set)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// dovecot is smtptest's private Dovecot, set up to take s's tokens: the
// one harness of the repository.
type dovecot struct {
	d *smtptest.Dovecot
}

// startDovecot starts a private Dovecot submission server that validates
// s's tokens (issuer and HS256 key), relaying to smtptest's sink.
func startDovecot(t *testing.T, s *Server) *dovecot {
	t.Helper()
	return &dovecot{d: smtptest.StartDovecot(t, smtptest.DovecotOptions{Issuer: s.Issuer(), Key: s.HMACKey})}
}

func (d *dovecot) log(t *testing.T) string { return d.d.Log() }

// login connects, starts TLS and logs in with a BearerClient.
func (d *dovecot) login(t *testing.T, mech, user, token string) (*oauth.BearerClient, error) {
	t.Helper()
	c, err := smtp.DialStartTLS(d.d.Addr(), d.d.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.CommandTimeout = 10 * time.Second
	x := oauth.XOAUTH2Client(user, token)
	if mech == oauth.OAUTHBEARER {
		x = oauth.OAuthBearerClient(user, token, d.d.Host(), d.d.Port())
	}
	return x, c.Auth(x)
}
