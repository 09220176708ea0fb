package relay

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/oauth"
	"github.com/spoolgate/spoolgate/gateway/oauth/oauthtest"
	"github.com/spoolgate/spoolgate/gateway/smtptest"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// oauthRig is a token endpoint and a private Dovecot that takes its
// tokens, relaying to a sink.
type oauthRig struct {
	tokens *oauthtest.Server
	d      *smtptest.Dovecot
}

func newOAuthRig(t *testing.T) *oauthRig {
	t.Helper()
	s := oauthtest.NewPlain(t)
	d := smtptest.StartDovecot(t, smtptest.DovecotOptions{Issuer: s.Issuer(), Key: s.HMACKey})
	return &oauthRig{tokens: s, d: d}
}

// server is an [smtp] section for the rig's Dovecot with auth = oauth2.
func (r *oauthRig) server(mailbox string, o config.OAuth) *config.Server {
	return &config.Server{
		Name: "smtp", Host: smtptest.DovecotHost, Port: r.d.Port(), Security: config.SecurityStartTLS,
		TLSVerify: true, RootCAs: r.d.CAPool, HELO: "gateway.example.org", Username: mailbox,
		ConnectTimeout: 10 * time.Second, Timeout: 20 * time.Second, Connections: 1,
		Auth: config.AuthOAuth2, OAuth: o,
	}
}

// lockedBuffer is a log both a session and the test use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sendOne sends one message through a new session and closes it.
func sendOne(t *testing.T, srv *config.Server, log *lockedBuffer, subject string) (*Result, error) {
	t.Helper()
	s := NewSession(srv, slogTo(log))
	defer s.Close()
	return s.Send(ctxT(t), delivery(subject))
}

func microsoftOAuth(app oauthtest.MicrosoftApp) config.OAuth {
	return config.OAuth{Provider: config.ProviderMicrosoft, Tenant: app.Tenant, ClientID: app.ClientID,
		ClientSecret: app.Secret, TokenURL: app.TokenURL}
}

// noSecrets fails when any of secrets is in any of outputs.
func noSecrets(t *testing.T, outputs []string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if len(sec) < 8 {
			t.Fatalf("secret %q is too short to look for", sec)
		}
		for _, out := range outputs {
			if strings.Contains(out, sec) || strings.Contains(out, sec[len(sec)/2:]) {
				t.Errorf("a secret is in %q", out)
			}
		}
	}
}

// Microsoft 365 app-only sending: client credentials, XOAUTH2 over
// STARTTLS, checked by Dovecot; the token is fetched once and shared by
// the next session.
func TestOAuth_MicrosoftClientCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	r := newOAuthRig(t)
	app := r.tokens.AddMicrosoftApp("library@example.org")
	srv := r.server("library@example.org", microsoftOAuth(app))
	var log lockedBuffer
	for i := range 2 {
		res, err := sendOne(t, srv, &log, "notice")
		if err != nil {
			t.Fatalf("send %d: %v\n%s", i, err, r.d.Log())
		}
		if !strings.HasPrefix(res.Reply, "250") {
			t.Fatalf("reply %q", res.Reply)
		}
	}
	r.d.Sink.WaitMessages(t, 2, 10*time.Second)
	if n := r.tokens.Requests(oauthtest.GrantClientCredentials); n != 1 {
		t.Errorf("%d token requests; want 1, the token shared by both sessions", n)
	}
	if !strings.Contains(log.String(), "auth=XOAUTH2") {
		t.Errorf("log does not say XOAUTH2: %s", log.String())
	}
	src, err := TokenSource(srv)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, []string{log.String()}, app.Secret, tok.AccessToken)
}

// Google Workspace: a service account's JWT-bearer grant.
func TestOAuth_GoogleServiceAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	r := newOAuthRig(t)
	sa := r.tokens.AddServiceAccount(oauthtest.GoogleScope)
	srv := r.server("library@example.org", config.OAuth{Provider: config.ProviderGoogle, KeyJSON: sa.KeyJSON})
	var log lockedBuffer
	if _, err := sendOne(t, srv, &log, "google"); err != nil {
		t.Fatalf("send: %v\n%s", err, r.d.Log())
	}
	r.d.Sink.WaitMessages(t, 1, 10*time.Second)
	if n := r.tokens.Requests(oauthtest.GrantJWTBearer); n != 1 {
		t.Errorf("%d JWT-bearer requests; want 1", n)
	}
}

// A refresh-token sign-in: the token is used, and the rotated refresh
// token is written back to the file.
func TestOAuth_RefreshTokenFile(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	r := newOAuthRig(t)
	app := r.tokens.AddMicrosoftApp("library@example.org")
	file := filepath.Join(spooltest.TempDir(t), "refresh-token")
	first := r.tokens.IssueRefreshToken(app.ClientID, "library@example.org")
	if err := oauth.WriteRefreshToken(file, first); err != nil {
		t.Fatal(err)
	}
	srv := r.server("library@example.org", config.OAuth{Provider: config.ProviderMicrosoft, Tenant: app.Tenant,
		ClientID: app.ClientID, RefreshTokenFile: file, TokenURL: app.TokenURL, Grant: config.GrantRefreshToken})
	var log lockedBuffer
	if _, err := sendOne(t, srv, &log, "delegated"); err != nil {
		t.Fatalf("send: %v\n%s", err, r.d.Log())
	}
	r.d.Sink.WaitMessages(t, 1, 10*time.Second)
	now, err := oauth.ReadRefreshToken(file)
	if err != nil {
		t.Fatal(err)
	}
	if now == first || now == "" {
		t.Errorf("the refresh-token file was not rewritten with the rotated token")
	}
	noSecrets(t, []string{log.String()}, first, now)
}

// A token that expires between two messages: the second session gets a
// new one, and Dovecot (which checks exp) takes it.
func TestOAuth_TokenExpiresMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	r := newOAuthRig(t)
	r.tokens.SetLifetime(2 * time.Second)
	app := r.tokens.AddMicrosoftApp("library@example.org")
	srv := r.server("library@example.org", microsoftOAuth(app))
	var log lockedBuffer
	if _, err := sendOne(t, srv, &log, "one"); err != nil {
		t.Fatalf("send: %v\n%s", err, r.d.Log())
	}
	time.Sleep(2500 * time.Millisecond)
	if _, err := sendOne(t, srv, &log, "two"); err != nil {
		t.Fatalf("send after expiry: %v\n%s", err, r.d.Log())
	}
	r.d.Sink.WaitMessages(t, 2, 10*time.Second)
	if n := r.tokens.Requests(oauthtest.GrantClientCredentials); n < 2 {
		t.Errorf("%d token requests; want a new token after the first expired", n)
	}
}

// The token endpoint down, and a wrong client secret: the failure is
// temporary, holds the queue, and says what the provider said.
func TestOAuth_TokenFailuresHoldTheQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	r := newOAuthRig(t)
	app := r.tokens.AddMicrosoftApp("library@example.org")

	wrong := microsoftOAuth(app)
	wrong.ClientSecret = "Wr0ng~SecretValue.1234"
	var log lockedBuffer
	_, err := sendOne(t, r.server("library@example.org", wrong), &log, "wrong")
	e := oauthFailure(t, err, cause.OAuthSecretWrong)
	if !strings.Contains(e.Reply, "AADSTS7000215") || !strings.Contains(e.Reply, "invalid_client") {
		t.Errorf("reply %q; want the provider's AADSTS7000215", e.Reply)
	}
	noSecrets(t, []string{log.String(), e.Error(), e.Reply}, wrong.ClientSecret)

	// An expired client secret: the cause says so, and the reply is the
	// provider's own words only (the views add the explanation, in their
	// reader's language, from the cause).
	r.tokens.ExpireSecret(app.ClientID, true)
	_, err = sendOne(t, r.server("library@example.org", microsoftOAuth(app)), &log, "expired")
	e = oauthFailure(t, err, cause.OAuthSecretExpired)
	if !strings.HasPrefix(e.Reply, "token endpoint 127.0.0.1") || !strings.Contains(e.Reply, "invalid_client: AADSTS7000222") {
		t.Errorf("reply %q; want the endpoint and the provider's AADSTS7000222", e.Reply)
	}
	meaning, action := cause.Explain("en", cause.OAuthSecretExpired)
	for _, words := range []string{meaning, action, "Entra", "oauth-secret-expired", "oauth_client_secret"} {
		if strings.Contains(e.Reply, words) {
			t.Errorf("reply %q carries an explanation (%q); the views add it from the cause", e.Reply, words)
		}
	}
	r.tokens.ExpireSecret(app.ClientID, false)

	r.tokens.Down()
	_, err = sendOne(t, r.server("library@example.org", microsoftOAuth(app)), &log, "down")
	e = oauthFailure(t, err, cause.OAuthEndpointUnreachable)
	if !strings.Contains(e.Reply, "token endpoint 127.0.0.1") {
		t.Errorf("reply %q; want the endpoint named", e.Reply)
	}
	if n := len(r.d.Sink.Messages()); n != 0 {
		t.Errorf("%d messages reached the sink", n)
	}
}

// oauthFailure wants err to be a token failure with cause want: temporary,
// at AUTH, holding the queue.
func oauthFailure(t *testing.T, err error, want cause.Cause) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v; want a *relay.Error", err)
	}
	if e.Cause != want || e.Permanent || !e.Cause.HoldsQueue() || IsPermanent(err) || e.Stage != "auth" {
		t.Fatalf("error %+v; want %s, temporary, at auth", e, want)
	}
	return e
}

// A token failure that is not the provider's (here: a refresh-token file
// that does not exist) has its own cause too, and one that is no
// *oauth.Error (settings New refuses) is oauth-failed.
func TestOAuth_TokenFailureCauses(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	r := newOAuthRig(t)
	app := r.tokens.AddMicrosoftApp("library@example.org")
	var log lockedBuffer
	missing := filepath.Join(spooltest.TempDir(t), "no-such-refresh-token")
	srv := r.server("library@example.org", config.OAuth{Provider: config.ProviderMicrosoft, Tenant: app.Tenant,
		ClientID: app.ClientID, RefreshTokenFile: missing, TokenURL: app.TokenURL, Grant: config.GrantRefreshToken})
	_, err := sendOne(t, srv, &log, "missing")
	oauthFailure(t, err, cause.OAuthRefreshTokenMissing)

	bad := r.server("library@example.org", config.OAuth{Provider: config.ProviderGoogle, KeyJSON: []byte(`{"type":"nothing"}`)})
	_, err = sendOne(t, bad, &log, "bad key")
	e := oauthFailure(t, err, cause.OAuthFailed)
	if e.Reply != "" {
		t.Errorf("reply %q for a settings error; want none", e.Reply)
	}
}

// A 535 to a token that has worked (here: the relay now wants another
// issuer, as after a key rotation) gets one forced refresh and one retry.
func TestOAuth_ForcedRefreshAfter535(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	r := newOAuthRig(t)
	app := r.tokens.AddMicrosoftApp("library@example.org")
	srv := r.server("library@example.org", microsoftOAuth(app))
	var log lockedBuffer
	if _, err := sendOne(t, srv, &log, "before"); err != nil {
		t.Fatalf("send: %v\n%s", err, r.d.Log())
	}
	iss := r.tokens.URL + "/rotated/"
	d2 := smtptest.StartDovecot(t, smtptest.DovecotOptions{Issuer: iss, Key: r.tokens.HMACKey})
	r.tokens.SetIssuer(iss)
	srv.Port, srv.RootCAs = d2.Port(), d2.CAPool
	if _, err := sendOne(t, srv, &log, "after"); err != nil {
		t.Fatalf("send after the relay refused the token: %v\n%s", err, d2.Log())
	}
	d2.Sink.WaitMessages(t, 1, 10*time.Second)
	if n := r.tokens.Requests(oauthtest.GrantClientCredentials); n != 2 {
		t.Errorf("%d token requests; want 2 (one forced refresh)", n)
	}
	if !strings.Contains(d2.Log(), "oauth2") {
		t.Logf("dovecot log: %s", d2.Log())
	}
}

// A server without XOAUTH2 and OAUTHBEARER, and a plain connection: no
// token is fetched, and the queue is held.
func TestOAuth_NoMechanismNoTLS(t *testing.T) {
	tokens := oauthtest.NewPlain(t)
	app := tokens.AddMicrosoftApp("library@example.org")
	plain := smtptest.NewServer(t)
	srv := &config.Server{Name: "smtp", Host: "mail.example.org", Port: plain.Port(), Security: config.SecurityNone,
		Username: "library@example.org", Auth: config.AuthOAuth2, OAuth: microsoftOAuth(app),
		ConnectTimeout: 5 * time.Second, Timeout: 5 * time.Second}
	// Dial the test server by address, but as a host that is not loopback.
	srv.Host = plain.Host()
	c, err := Dial(ctxT(t), srv)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	if err := c.Hello(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	err = c.Auth(ctxT(t))
	var e *Error
	if !errors.As(err, &e) || !e.Cause.HoldsQueue() {
		t.Fatalf("auth = %v; want a cause that holds the queue", err)
	}
	if tokens.TotalRequests() != 0 {
		t.Errorf("a token was fetched for a server that cannot take it")
	}
	_ = os.Getpid
}

// A server that offers only OAUTHBEARER gets OAUTHBEARER.
func TestOAuth_OAuthBearerOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := oauthtest.NewPlain(t)
	d := smtptest.StartDovecot(t, smtptest.DovecotOptions{Issuer: s.Issuer(), Key: s.HMACKey,
		Settings: map[string]string{"auth_mechanisms": "oauthbearer"}})
	r := &oauthRig{tokens: s, d: d}
	app := s.AddMicrosoftApp("library@example.org")
	var log lockedBuffer
	if _, err := sendOne(t, r.server("library@example.org", microsoftOAuth(app)), &log, "bearer"); err != nil {
		t.Fatalf("send: %v\n%s", err, d.Log())
	}
	if !strings.Contains(log.String(), "auth=OAUTHBEARER") {
		t.Errorf("log does not say OAUTHBEARER: %s", log.String())
	}
	d.Sink.WaitMessages(t, 1, 10*time.Second)
}

// A 535 to a token that never worked is not retried at once, but the
// token is forgotten: the next connection fetches a new one.
func TestOAuth_RefusedNewTokenIsForgotten(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := oauthtest.NewPlain(t)
	iss := s.URL + "/later/"
	d := smtptest.StartDovecot(t, smtptest.DovecotOptions{Issuer: iss, Key: s.HMACKey})
	r := &oauthRig{tokens: s, d: d}
	app := s.AddMicrosoftApp("library@example.org")
	srv := r.server("library@example.org", microsoftOAuth(app))
	var log lockedBuffer
	_, err := sendOne(t, srv, &log, "refused")
	var e *Error
	if !errors.As(err, &e) || e.Code != 535 || e.Cause != cause.LoginRefused || !e.Cause.HoldsQueue() {
		t.Fatalf("send = %v; want 535, login-refused", err)
	}
	// Dovecot 2.3 refuses a token with 334 and the base64 of
	// {"status":"401","schemes":"bearer","scope":"mail"}, then, after the
	// empty answer, 535 5.7.8: the reply holds both, and not the token.
	if !strings.HasPrefix(e.Reply, "535 5.7.8 ") || !strings.HasSuffix(e.Reply, " (334 challenge: status 401, schemes bearer, scope mail)") {
		t.Errorf("reply %q; want Dovecot's 535 and its decoded challenge beside it", e.Reply)
	}
	for _, out := range []string{e.Reply, e.Error(), log.String()} {
		if strings.Contains(out, "eyJ") { // the start of every JWT, as the endpoint's tokens are
			t.Errorf("a token is in %q", out)
		}
	}
	if n := s.Requests(oauthtest.GrantClientCredentials); n != 1 {
		t.Fatalf("%d token requests after a refused new token; want 1 (no retry)", n)
	}
	s.SetIssuer(iss)
	if _, err := sendOne(t, srv, &log, "accepted"); err != nil {
		t.Fatalf("send with a new token: %v\n%s", err, d.Log())
	}
	if n := s.Requests(oauthtest.GrantClientCredentials); n != 2 {
		t.Errorf("%d token requests; want 2: the refused token was forgotten", n)
	}
}

// Dovecot refusing a token by OAUTHBEARER: its challenge (RFC 7628's
// JSON; Dovecot 2.3 sends {"status":"invalid_token"} alone) is in the
// reply beside the final 535, and the token is not.
func TestOAuth_OAuthBearerRefusedChallenge(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := oauthtest.NewPlain(t)
	d := smtptest.StartDovecot(t, smtptest.DovecotOptions{Issuer: s.URL + "/other/", Key: s.HMACKey,
		Settings: map[string]string{"auth_mechanisms": "oauthbearer"}})
	r := &oauthRig{tokens: s, d: d}
	app := s.AddMicrosoftApp("library@example.org")
	var log lockedBuffer
	_, err := sendOne(t, r.server("library@example.org", microsoftOAuth(app)), &log, "bearer refused")
	var e *Error
	if !errors.As(err, &e) || e.Code != 535 || e.Cause != cause.LoginRefused {
		t.Fatalf("send = %v; want 535, login-refused\n%s", err, d.Log())
	}
	t.Logf("Dovecot's reply to a refused OAUTHBEARER token: %s", e.Reply)
	if !strings.HasPrefix(e.Reply, "535 5.7.8 ") || !strings.HasSuffix(e.Reply, " (334 challenge: status invalid_token)") {
		t.Errorf("reply %q; want Dovecot's 535 and its decoded challenge beside it", e.Reply)
	}
	for _, out := range []string{e.Reply, e.Error(), log.String()} {
		if strings.Contains(out, "eyJ") {
			t.Errorf("a token is in %q", out)
		}
	}
}

// refusingXOAUTH2 is an SMTP server, in process, that takes XOAUTH2 and
// refuses every token as Gmail does: 334 with the base64 of its JSON
// error, then, after the client's empty answer, 535 5.7.8.
type refusingXOAUTH2 struct {
	challenge string
	final     *smtp.SMTPError

	mu     sync.Mutex
	tokens []string // the tokens it was sent
}

func (b *refusingXOAUTH2) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &refusingSession{b: b}, nil
}

type refusingSession struct{ b *refusingXOAUTH2 }

func (s *refusingSession) AuthMechanisms() []string { return []string{oauth.XOAUTH2} }

func (s *refusingSession) Auth(mech string) (sasl.Server, error) {
	if mech != oauth.XOAUTH2 {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return &refusingSASL{b: s.b}, nil
}

func (s *refusingSession) Mail(string, *smtp.MailOptions) error {
	return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication Required"}
}
func (s *refusingSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *refusingSession) Data(io.Reader) error                 { return nil }
func (s *refusingSession) Reset()                               {}
func (s *refusingSession) Logout() error                        { return nil }

type refusingSASL struct {
	b    *refusingXOAUTH2
	step int
}

func (a *refusingSASL) Next(resp []byte) ([]byte, bool, error) {
	a.step++
	switch {
	case a.step == 1 && len(resp) == 0:
		a.step = 0
		return []byte{}, false, nil // 334: send the credentials
	case a.step == 1:
		_, tok, _ := strings.Cut(string(resp), "auth=Bearer ")
		a.b.mu.Lock()
		a.b.tokens = append(a.b.tokens, strings.TrimRight(tok, "\x01"))
		a.b.mu.Unlock()
		return []byte(a.b.challenge), false, nil
	case len(resp) != 0:
		return nil, false, &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "want an empty answer"}
	}
	return nil, false, a.b.final
}

// A token Gmail refuses: the reply recorded is the 535 with the decoded
// JSON challenge (status, scope) beside it, never the token.
func TestOAuth_RefusedTokenJSONChallenge(t *testing.T) {
	tokens := oauthtest.NewPlain(t)
	sa := tokens.AddServiceAccount(oauthtest.GoogleScope)
	b := &refusingXOAUTH2{
		challenge: `{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`,
		final: &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
			Message: "Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials"},
	}
	ss := smtp.NewServer(b)
	ss.Domain = "smtp.gmail.example"
	ss.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ss.Serve(ln)
	t.Cleanup(func() { ss.Close() })

	srv := &config.Server{Name: "smtp", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Security: config.SecurityNone,
		HELO: "gateway.example.org", Username: "library@example.org", ConnectTimeout: 5 * time.Second, Timeout: 10 * time.Second,
		Connections: 1, Auth: config.AuthOAuth2, OAuth: config.OAuth{Provider: config.ProviderGoogle, KeyJSON: sa.KeyJSON}}
	var log lockedBuffer
	_, err = sendOne(t, srv, &log, "refused")
	var e *Error
	if !errors.As(err, &e) || e.Code != 535 || e.Cause != cause.LoginRefused || !e.Cause.HoldsQueue() {
		t.Fatalf("send = %v; want 535, login-refused", err)
	}
	want := "535 5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials" +
		" (334 challenge: status 401, schemes bearer, scope https://mail.google.com/)"
	if e.Reply != want {
		t.Errorf("reply\n %q\nwant\n %q", e.Reply, want)
	}
	b.mu.Lock()
	sent := append([]string(nil), b.tokens...)
	b.mu.Unlock()
	if len(sent) != 1 || len(sent[0]) < 20 {
		t.Fatalf("the server got tokens %d times; want one token", len(sent))
	}
	noSecrets(t, []string{e.Reply, e.Error(), log.String()}, sent[0])
}
