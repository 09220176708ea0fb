package oauthtest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/oauth"
)

// Debian's Dovecot (dovecot-core, dovecot-submissiond) validates this
// server's tokens itself, configured as dovecot.go says: the proof that
// DovecotConf and WriteDovecotKeys are right. Package smtptest has the
// full harness; this one starts only what the login needs.
func TestDovecot_AcceptsTheTokens(t *testing.T) {
	s := New(t)
	d := startDovecot(t, s)

	app := s.AddMicrosoftApp("Library@Example.org")
	ms := tokenOf(t, s, oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID,
		ClientSecret: app.Secret, TokenURL: app.TokenURL})
	sa := s.AddServiceAccount(GoogleScope)
	google := tokenOf(t, s, oauth.Settings{Provider: "google", KeyJSON: sa.KeyJSON, Username: "gl@example.org"})
	rtFile := filepath.Join(t.TempDir(), "refresh")
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
	_, err := d.login(t, oauth.XOAUTH2, "library@example.org", short)
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

type dovecot struct {
	dir  string
	port int
}

// startDovecot starts a private Dovecot submission server (as root, as
// the Debian package sets it up) that validates s's tokens, in front of a
// relay that says yes to everything. It is skipped without Dovecot or
// root, or fails then with SPOOLGATE_REAL_SERVERS=1.
func startDovecot(t *testing.T, s *Server) *dovecot {
	t.Helper()
	unavailable := func(why string) {
		if os.Getenv("SPOOLGATE_REAL_SERVERS") == "1" {
			t.Fatalf("Dovecot can't be started: %s", why)
		}
		t.Skipf("Dovecot can't be started: %s", why)
	}
	if _, err := os.Stat("/usr/lib/dovecot/submission"); err != nil {
		unavailable("install dovecot-core and dovecot-submissiond")
	}
	if os.Geteuid() != 0 {
		unavailable("it runs as root")
	}
	dir, err := os.MkdirTemp("", "dv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(dir)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	if err := s.WriteDovecotKeys(keys); err != nil {
		t.Fatal(err)
	}
	ca, err := newCA()
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.leafPEM()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cert.pem", certPEM)
	write("key.pem", keyPEM)
	write("oauth2.conf.ext", s.DovecotConf(keys))
	relay := yesRelay(t)
	port := freePort(t)
	write("dovecot.conf", fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/log
protocols = submission
listen = 127.0.0.1
ssl = required
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
hostname = dovecot.test
auth_mechanisms = xoauth2 oauthbearer
auth_failure_delay = 0
auth_debug = yes
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = %[1]s/oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[1]s/home/%%u
}
mail_location = maildir:%[1]s/home/%%u/Maildir
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service submission-login {
  inet_listener submission {
    port = %[2]d
  }
}
submission_relay_host = 127.0.0.1
submission_relay_port = %[3]d
submission_relay_trusted = yes
`, dir, port, relay))
	cmd := exec.Command("/usr/sbin/dovecot", "-F", "-c", filepath.Join(dir, "dovecot.conf"))
	out, _ := os.Create(filepath.Join(dir, "stderr"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		out.Close()
	})
	d := &dovecot{dir: dir, port: port}
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return d
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(filepath.Join(dir, "stderr"))
			t.Fatalf("dovecot exited: %s\n%s", b, d.log(t))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dovecot does not listen: %v\n%s", err, d.log(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *dovecot) log(t *testing.T) string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "log"))
	return string(b)
}

// login connects, starts TLS and logs in with a BearerClient.
func (d *dovecot) login(t *testing.T, mech, user, token string) (*oauth.BearerClient, error) {
	t.Helper()
	c, err := smtp.DialStartTLS(fmt.Sprintf("127.0.0.1:%d", d.port), &tls.Config{InsecureSkipVerify: true}) // a throw-away certificate
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.CommandTimeout = 10 * time.Second
	x := oauth.XOAUTH2Client(user, token)
	if mech == oauth.OAUTHBEARER {
		x = oauth.OAuthBearerClient(user, token, "127.0.0.1", d.port)
	}
	return x, c.Auth(x)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// yesRelay is the relay behind Dovecot's submission service: it answers
// every command with 250, enough for the login to complete.
func yesRelay(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(time.Minute))
				c.Write([]byte("220 relay ESMTP\r\n"))
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "QUIT"):
						c.Write([]byte("221 bye\r\n"))
						return
					case strings.HasPrefix(cmd, "EHLO"):
						c.Write([]byte("250-relay\r\n250 8BITMIME\r\n"))
					default:
						c.Write([]byte("250 ok\r\n"))
					}
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}
