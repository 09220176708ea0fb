package mailbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/mailbox"
	"github.com/spoolgate/spoolgate/gateway/oauth/oauthtest"
	"github.com/spoolgate/spoolgate/gateway/relay"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

const oauthMailbox = smtptest.IMAPUser + "@library.example"

func oauthServer(s *smtptest.IMAPServer, sec config.Security, app oauthtest.MicrosoftApp) *config.Server {
	srv := bounceServer(s, sec)
	srv.Username, srv.Password = oauthMailbox, ""
	srv.Auth = config.AuthOAuth2
	srv.OAuth = config.OAuth{Provider: config.ProviderMicrosoft, Grant: config.GrantClientCredentials, Tenant: app.Tenant,
		ClientID: app.ClientID, ClientSecret: app.Secret, TokenURL: app.TokenURL}
	return srv
}

// Microsoft 365 app-only: a client-credentials token, XOAUTH2, checked
// by Dovecot itself; and a token Dovecot refuses is a permanent refused
// login that says what to check, without the token.
func TestOpen_OAuth2(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	tokens := oauthtest.NewPlain(t)
	s := smtptest.StartDovecotIMAP(t, smtptest.IMAPOptions{Issuer: tokens.Issuer(), Key: tokens.HMACKey})
	s.Append(t, "INBOX", message(1))
	app := tokens.AddMicrosoftApp(oauthMailbox)
	for _, sec := range []config.Security{config.SecurityTLS, config.SecurityStartTLS} {
		b := open(t, oauthServer(s, sec, app))
		got, err := b.Fetch(context.Background(), 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: Fetch = %d messages, %v", sec, len(got), err)
		}
		b.Close()
	}
	s.WaitLog(t, 10*time.Second, "Login: user=<"+oauthMailbox+">, method=XOAUTH2", "TLS")

	// Tokens signed with another key: Dovecot refuses them.
	other := oauthtest.NewPlain(t)
	bad := other.AddMicrosoftApp(oauthMailbox)
	srv := oauthServer(s, config.SecurityTLS, bad)
	_, err := mailbox.Open(context.Background(), srv, "INBOX", testLog(t))
	if !errors.Is(err, mailbox.ErrLoginRefused) || !mailbox.IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent ErrLoginRefused", err)
	}
	t.Log(err)
	for _, want := range []string{"refused the login", "oauth_*", "IMAP.AccessAsApp", "https://mail.google.com/"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	src, serr := relay.TokenSource(srv)
	if serr != nil {
		t.Fatal(serr)
	}
	tok, terr := src.Token(context.Background())
	if terr != nil {
		t.Fatal(terr)
	}
	if strings.Contains(err.Error(), tok.AccessToken) || strings.Contains(err.Error(), bad.Secret) {
		t.Errorf("the error holds a secret: %q", err)
	}
}

// A token that has logged in before and is then refused (here: the
// server now trusts another issuer, as after a key rotation) gets one
// forced refresh and one more AUTHENTICATE, as the SMTP relay's does
// (relay.WithToken); the pass is not lost.
func TestOpen_OAuth2ForcedRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	tokens := oauthtest.NewPlain(t)
	s := smtptest.StartDovecotIMAP(t, smtptest.IMAPOptions{Issuer: tokens.Issuer(), Key: tokens.HMACKey})
	app := tokens.AddMicrosoftApp(oauthMailbox)
	srv := oauthServer(s, config.SecurityTLS, app)
	b := open(t, srv)
	b.Close()

	iss := tokens.Issuer() + "rotated/"
	s2 := smtptest.StartDovecotIMAP(t, smtptest.IMAPOptions{Issuer: iss, Key: tokens.HMACKey})
	s2.Append(t, "INBOX", message(1))
	tokens.SetIssuer(iss)
	srv.Port, srv.RootCAs = s2.ImplicitPort(), s2.CAPool
	b2, err := mailbox.Open(context.Background(), srv, "INBOX", testLog(t))
	if err != nil {
		t.Fatalf("the login after the server refused a token that had worked: %v", err)
	}
	defer b2.Close()
	if got, err := b2.Fetch(context.Background(), 10); err != nil || len(got) != 1 {
		t.Fatalf("Fetch = %d messages, %v", len(got), err)
	}
	if n := tokens.Requests(oauthtest.GrantClientCredentials); n != 2 {
		t.Errorf("%d token requests; want 2 (one forced refresh)", n)
	}

	// A new token refused is not fetched again at once: one request more,
	// and the login is refused.
	s3 := smtptest.StartDovecotIMAP(t, smtptest.IMAPOptions{Issuer: tokens.Issuer() + "elsewhere/", Key: tokens.HMACKey})
	srv2 := oauthServer(s3, config.SecurityTLS, tokens.AddMicrosoftApp(oauthMailbox))
	if _, err := mailbox.Open(context.Background(), srv2, "INBOX", testLog(t)); !errors.Is(err, mailbox.ErrLoginRefused) {
		t.Fatalf("err = %v, want ErrLoginRefused", err)
	}
	if n := tokens.Requests(oauthtest.GrantClientCredentials); n != 3 {
		t.Errorf("%d token requests; want 3 (no forced refresh of a token that never worked)", n)
	}
}
