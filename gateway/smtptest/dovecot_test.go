package smtptest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	dovecotIssuer  = "https://token.smtptest.localhost/"
	dovecotMailbox = "library@example.org"
	dovecotWait    = 10 * time.Second
)

// signHS256 makes a JWT signed with HS256, written here by hand (from RFC
// 7519) so that the test does not check the harness against itself.
func signHS256(t *testing.T, key []byte, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	header, err := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(mac.Sum(nil))
}

// goodClaims are the claims of a token Dovecot accepts for mailbox.
func goodClaims(mailbox string) map[string]any {
	now := time.Now()
	return map[string]any{
		"sub":   "service-principal-1",
		"email": mailbox,
		"iss":   dovecotIssuer,
		"iat":   now.Add(-time.Minute).Unix(),
		"exp":   now.Add(time.Hour).Unix(),
	}
}

// oauthClient is a sasl.Client for XOAUTH2 or OAUTHBEARER that records
// the server's challenges and, on one (the error report of a refused
// token), sends what the mechanism's specification says so that the
// server can give its final reply: an empty response for XOAUTH2, a
// single 0x01 for OAUTHBEARER (RFC 7628, section 3.2.3).
type oauthClient struct {
	mech       string
	user       string
	token      string
	challenges []string
}

func (c *oauthClient) Start() (string, []byte, error) {
	switch c.mech {
	case "XOAUTH2":
		return c.mech, []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
	case "OAUTHBEARER":
		return c.mech, []byte("n,a=" + c.user + ",\x01auth=Bearer " + c.token + "\x01\x01"), nil
	}
	return "", nil, errors.New("no such mechanism " + c.mech)
}

func (c *oauthClient) Next(challenge []byte) ([]byte, error) {
	c.challenges = append(c.challenges, string(challenge))
	if c.mech == "OAUTHBEARER" {
		return []byte{1}, nil
	}
	return []byte{}, nil
}

var _ sasl.Client = (*oauthClient)(nil)

// dialDovecot connects (with time limits) and says EHLO, without TLS.
func dialDovecot(t *testing.T, d *Dovecot) *smtp.Client {
	t.Helper()
	c := smtp.NewClient(dialConn(t, d))
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	return c
}

func dialConn(t *testing.T, d *Dovecot) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", d.Addr(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial Dovecot: %v", err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	return conn
}

// dialDovecotTLS connects, says EHLO and STARTTLS, trusting only the CA
// in CAFile, and checks that AUTH is offered after TLS with both
// mechanisms.
func dialDovecotTLS(t *testing.T, d *Dovecot) *smtp.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(d.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("no certificate in %s", d.CAFile)
	}
	conf := &tls.Config{RootCAs: pool, ServerName: d.Host()}
	c, err := smtp.NewClientStartTLS(dialConn(t, d), conf)
	if err != nil {
		t.Fatalf("EHLO, STARTTLS: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	ok, mechs := c.Extension("AUTH")
	if !ok || mechs != "XOAUTH2 OAUTHBEARER" {
		t.Fatalf("after STARTTLS: AUTH offered %v %q, want XOAUTH2 OAUTHBEARER", ok, mechs)
	}
	return c
}

// smtpCode is the reply code (and enhanced code and text) of err, or
// fails the test.
func smtpCode(t *testing.T, err error) *smtp.SMTPError {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("want an SMTP reply, got %v", err)
	}
	return se
}

func startTestDovecot(t *testing.T) *Dovecot {
	t.Helper()
	d := StartDovecot(t, DovecotOptions{Issuer: dovecotIssuer, Key: []byte("a key only this test knows, 32+ bytes")})
	if d.Sink == nil {
		t.Fatal("no Sink though SinkAddr was empty")
	}
	return d
}

// TestDovecot_XOAUTH2 logs in with a good token, sends a message through
// Dovecot to the sink, and checks the envelope that arrived.
func TestDovecot_XOAUTH2(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	d := startTestDovecot(t)
	c := dialDovecotTLS(t, d)
	a := &oauthClient{mech: "XOAUTH2", user: dovecotMailbox, token: signHS256(t, d.Key, goodClaims(dovecotMailbox))}
	// Dovecot answers "235 2.7.0 Logged in." and sends no challenge.
	if err := c.Auth(a); err != nil {
		t.Fatalf("AUTH XOAUTH2 with a good token: %v\n%s", err, d.Log())
	}
	if len(a.challenges) != 0 {
		t.Errorf("challenges %q for a good token, want none", a.challenges)
	}
	if err := c.SendMail(dovecotMailbox, []string{"patron@example.net"}, strings.NewReader("Subject: overdue\r\n\r\nPlease return the book.\r\n")); err != nil {
		t.Fatalf("send: %v\n%s", err, d.Log())
	}
	msgs := d.Sink.WaitMessages(t, 1, dovecotWait)
	m := msgs[0]
	if m.From != dovecotMailbox || len(m.To) != 1 || m.To[0] != "patron@example.net" {
		t.Errorf("the sink got MAIL FROM %q RCPT TO %q, want %q and [patron@example.net]", m.From, m.To, dovecotMailbox)
	}
	// Dovecot adds its own Received line, naming the authenticated TLS
	// session (ESMTPSA).
	if data := string(m.Data); !strings.Contains(data, "by dovecot.smtptest.localhost with ESMTPSA") ||
		!strings.HasSuffix(data, "Subject: overdue\r\n\r\nPlease return the book.\r\n") {
		t.Errorf("the sink got:\n%s", data)
	}
	d.WaitLog(t, dovecotWait, "Login: user=<"+dovecotMailbox+">, method=XOAUTH2", "TLS")
	d.WaitLog(t, dovecotWait, "Successfully relayed message: from=<"+dovecotMailbox+">")
}

// TestDovecot_OAUTHBEARER logs in with go-sasl's OAUTHBEARER client.
func TestDovecot_OAUTHBEARER(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	d := startTestDovecot(t)
	c := dialDovecotTLS(t, d)
	host, port := d.Host(), d.Port()
	a := sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
		Username: dovecotMailbox, Token: signHS256(t, d.Key, goodClaims(dovecotMailbox)), Host: host, Port: port,
	})
	if err := c.Auth(a); err != nil {
		t.Fatalf("AUTH OAUTHBEARER with a good token: %v\n%s", err, d.Log())
	}
	if err := c.SendMail(dovecotMailbox, []string{"patron@example.net"}, strings.NewReader("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Fatalf("send: %v", err)
	}
	if m := d.Sink.WaitMessages(t, 1, dovecotWait)[0]; m.From != dovecotMailbox {
		t.Errorf("the sink got MAIL FROM %q", m.From)
	}
}

// challenges are the JSON error reports Dovecot 2.3.19 sends, base64 in
// a 334 reply, for a refused token, whatever the cause: for XOAUTH2
//
//	334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=
//
// which is {"status":"401","schemes":"bearer","scope":"mail"} (the shape
// Google documents for XOAUTH2), and for OAUTHBEARER
//
//	334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=
//
// which is {"status":"invalid_token"} (RFC 7628). Once the client answers
// the challenge (an empty line for XOAUTH2, "AQ==" for OAUTHBEARER),
// Dovecot replies
//
//	535 5.7.8 Authentication failed.
var challenges = map[string]map[string]string{
	"XOAUTH2":     {"status": "401", "schemes": "bearer", "scope": "mail"},
	"OAUTHBEARER": {"status": "invalid_token"},
}

// TestDovecot_RefusedTokens checks that Dovecot refuses each token it
// should not accept as a client sees it from Microsoft 365 or Google: a
// 334 challenge carrying a JSON error (see challenges), then 535 once the
// client answers it. The replies are the same whatever the cause; only
// Dovecot's log tells the causes apart, and the test checks that too.
func TestDovecot_RefusedTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	d := startTestDovecot(t)
	expired := goodClaims(dovecotMailbox)
	expired["iat"] = time.Now().Add(-2 * time.Hour).Unix()
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	other := goodClaims("someone.else@example.org")
	wrongIssuer := goodClaims(dovecotMailbox)
	wrongIssuer["iss"] = "https://elsewhere.example/"
	noSub := goodClaims(dovecotMailbox)
	delete(noSub, "sub")
	noExp := goodClaims(dovecotMailbox)
	delete(noExp, "exp")
	issuedLater := goodClaims(dovecotMailbox)
	issuedLater["iat"] = time.Now().Add(time.Hour).Unix()
	notYet := goodClaims(dovecotMailbox)
	notYet["nbf"] = time.Now().Add(time.Hour).Unix()
	// With an azp claim (Microsoft's tokens have one), Dovecot looks for
	// keys/<azp>/HS256/default, which the harness does not write.
	withAzp := goodClaims(dovecotMailbox)
	withAzp["azp"] = "client-id-1"
	cases := []struct {
		name  string
		mech  string
		token string
		log   string // what Dovecot logs as the cause
	}{
		{"wrong key", "XOAUTH2", signHS256(t, []byte("not the key Dovecot has"), goodClaims(dovecotMailbox)), "Local validation failed: Incorrect JWT signature"},
		{"expired", "XOAUTH2", signHS256(t, d.Key, expired), "Local validation failed: Token has expired"},
		{"another mailbox", "XOAUTH2", signHS256(t, d.Key, other), "Local validation failed: Username '" + dovecotMailbox + "' did not match 'someone.else@example.org'"},
		{"wrong issuer", "XOAUTH2", signHS256(t, d.Key, wrongIssuer), "Local validation failed: Issuer 'https://elsewhere.example/' is not allowed"},
		{"no sub", "XOAUTH2", signHS256(t, d.Key, noSub), "Local validation failed: Missing 'sub' field"},
		{"no exp", "XOAUTH2", signHS256(t, d.Key, noExp), "Local validation failed: Missing 'exp' field"},
		{"issued in the future", "XOAUTH2", signHS256(t, d.Key, issuedLater), "Local validation failed: Token is issued in future"},
		{"not valid yet", "XOAUTH2", signHS256(t, d.Key, notYet), "Local validation failed: Token is not valid yet"},
		{"azp", "XOAUTH2", signHS256(t, d.Key, withAzp), "Local validation failed: HS256 key 'default' not found"},
		{"not a JWT", "XOAUTH2", "opaque-token-from-elsewhere", "Local validation failed: Not a JWT token"},
		{"wrong key, OAUTHBEARER", "OAUTHBEARER", signHS256(t, []byte("not the key Dovecot has"), goodClaims(dovecotMailbox)), "Local validation failed: Incorrect JWT signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialDovecotTLS(t, d)
			a := &oauthClient{mech: tc.mech, user: dovecotMailbox, token: tc.token}
			logged := len(d.lines("oauth2 failed", tc.log))
			start := time.Now()
			err := c.Auth(a)
			took := time.Since(start)
			t.Logf("refused in %v", took)
			if err == nil {
				t.Fatalf("AUTH %s was accepted", tc.mech)
			}
			se := smtpCode(t, err)
			if se.Code != 535 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 8}) || se.Message != "Authentication failed." {
				t.Errorf("AUTH %s: %d %v %q, want 535 5.7.8 Authentication failed.", tc.mech, se.Code, se.EnhancedCode, se.Message)
			}
			if len(a.challenges) != 1 {
				t.Fatalf("challenges %q, want one", a.challenges)
			}
			var report map[string]string
			if err := json.Unmarshal([]byte(a.challenges[0]), &report); err != nil {
				t.Fatalf("challenge %q: %v", a.challenges[0], err)
			}
			if want := challenges[tc.mech]; !maps.Equal(report, want) {
				t.Errorf("challenge %q, want %v", a.challenges[0], want)
			}
			// auth_failure_delay = 0 and no penalty: the refusal comes on
			// Dovecot's next 500 ms tick (its defaults wait 2 s, then
			// longer after each failure from the same address).
			if took > 1500*time.Millisecond {
				t.Errorf("the refusal took %v", took)
			}
			deadline := time.Now().Add(dovecotWait)
			for len(d.lines("oauth2 failed", tc.log)) == logged {
				if time.Now().After(deadline) {
					t.Fatalf("Dovecot did not log %q:\n%s", tc.log, d.logTail(20))
				}
				time.Sleep(20 * time.Millisecond)
			}
			// A refused client can't send.
			if err := c.Mail(dovecotMailbox, nil); err == nil {
				t.Errorf("MAIL after a refused AUTH was accepted")
			} else if se := smtpCode(t, err); se.Code != 530 {
				t.Errorf("MAIL after a refused AUTH: %v, want 530", err)
			}
		})
	}
	if n := len(d.Sink.Messages()); n != 0 {
		t.Errorf("the sink got %d messages", n)
	}
}

// TestDovecot_NoAuthBeforeTLS checks that AUTH is neither offered nor
// accepted before STARTTLS, even with a good token: Dovecot answers
// "530 5.7.0 TLS required." (That holds because Dovecot listens on
// 127.0.0.2 while the client comes from 127.0.0.1; see DovecotHost.)
func TestDovecot_NoAuthBeforeTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	d := startTestDovecot(t)
	c := dialDovecot(t, d)
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Errorf("STARTTLS not offered")
	}
	if ok, mechs := c.Extension("AUTH"); ok {
		t.Errorf("AUTH %q offered before STARTTLS", mechs)
	}
	a := &oauthClient{mech: "XOAUTH2", user: dovecotMailbox, token: signHS256(t, d.Key, goodClaims(dovecotMailbox))}
	err := c.Auth(a)
	if err == nil {
		t.Fatalf("AUTH XOAUTH2 accepted before STARTTLS")
	}
	if se := smtpCode(t, err); se.Code != 530 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 0}) || se.Message != "TLS required." {
		t.Errorf("AUTH before STARTTLS: %v, want 530 5.7.0 TLS required.", err)
	}
	if err := c.Mail(dovecotMailbox, nil); err == nil {
		t.Errorf("MAIL without AUTH was accepted")
	}
}

// TestDovecot_Stop checks that Stop takes the server away and leaves no
// process of the instance behind.
func TestDovecot_Stop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	d := startTestDovecot(t)
	if len(d.processes()) == 0 {
		t.Fatalf("no processes titled %s/...", d.instance)
	}
	d.Stop()
	if left := d.processes(); len(left) != 0 {
		t.Errorf("processes %v left after Stop", left)
	}
	if conn, err := net.DialTimeout("tcp", d.Addr(), time.Second); err == nil {
		conn.Close()
		t.Errorf("Dovecot still listens after Stop")
	}
	d.Stop() // again, as the cleanup will
}

// TestDovecot_TokenWithoutEmail records what Dovecot does with a token
// that has no email claim (username_attribute): it is not refused but
// fails as an internal error, "454 4.7.0 Temporary authentication
// failure. [host:time]", without a challenge, and Dovecot logs "oauth2
// failed: Local validation failed: No username returned" as an error. A
// client must take this 454 as temporary, not as a bad token.
func TestDovecot_TokenWithoutEmail(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	d := startTestDovecot(t)
	claims := goodClaims(dovecotMailbox)
	delete(claims, "email")
	c := dialDovecotTLS(t, d)
	a := &oauthClient{mech: "XOAUTH2", user: dovecotMailbox, token: signHS256(t, d.Key, claims)}
	err := c.Auth(a)
	if err == nil {
		t.Fatalf("AUTH XOAUTH2 without email was accepted")
	}
	se := smtpCode(t, err)
	if se.Code != 454 || se.EnhancedCode != (smtp.EnhancedCode{4, 7, 0}) || !strings.HasPrefix(se.Message, "Temporary authentication failure.") {
		t.Errorf("AUTH without email: %d %v %q, want 454 4.7.0 Temporary authentication failure.", se.Code, se.EnhancedCode, se.Message)
	}
	if len(a.challenges) != 0 {
		t.Errorf("challenges %q, want none", a.challenges)
	}
	d.WaitLog(t, dovecotWait, "oauth2 failed: Local validation failed: No username returned")
}
