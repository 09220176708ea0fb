package oauth_test

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/oauth"
)

func TestXOAUTH2_InitialResponse(t *testing.T) {
	c := oauth.XOAUTH2Client("library@example.org", "ya29.token")
	mech, ir, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	if want := "user=library@example.org\x01auth=Bearer ya29.token\x01\x01"; mech != "XOAUTH2" || string(ir) != want {
		t.Fatalf("Start = %q %q, want XOAUTH2 %q", mech, ir, want)
	}
	// The base64 form, as in Google's documentation.
	if got := base64.StdEncoding.EncodeToString(ir); got != "dXNlcj1saWJyYXJ5QGV4YW1wbGUub3JnAWF1dGg9QmVhcmVyIHlhMjkudG9rZW4BAQ==" {
		t.Fatalf("base64 %s", got)
	}
	if c.Refusal() != nil {
		t.Fatal("a refusal before any challenge")
	}
}

func TestXOAUTH2_ChallengeAnsweredEmpty(t *testing.T) {
	c := oauth.XOAUTH2Client("library@example.org", "tok")
	if _, _, err := c.Start(); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Next([]byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`))
	if err != nil || resp == nil || len(resp) != 0 {
		t.Fatalf("Next = %q (nil: %v), %v; want an empty, non-nil response", resp, resp == nil, err)
	}
	r := c.Refusal()
	if r == nil || r.Status != "401" || r.Schemes != "bearer" || r.Scope != "https://mail.google.com/" {
		t.Fatalf("Refusal = %+v", r)
	}
	if s := r.String(); !strings.Contains(s, "status 401") || !strings.Contains(s, "https://mail.google.com/") {
		t.Fatalf("Refusal.String() = %q", s)
	}
	if d := r.Decoded(); d != "status 401, schemes bearer, scope https://mail.google.com/" {
		t.Fatalf("Refusal.Decoded() = %q", d)
	}
	if _, err := c.Next([]byte("again")); err == nil {
		t.Fatal("a second challenge was answered")
	}
}

func TestXOAUTH2_ChallengeNotJSON(t *testing.T) {
	c := oauth.XOAUTH2Client("u", "tok")
	resp, err := c.Next([]byte("go away\r\nnow"))
	if err != nil || resp == nil {
		t.Fatalf("Next = %v, %v", resp, err)
	}
	if r := c.Refusal(); r == nil || r.Text != "go away now" || r.Decoded() != "go away now" {
		t.Fatalf("Refusal = %+v", r)
	}
	n := oauth.XOAUTH2Client("u", "tok")
	n.Next([]byte(`{"status":401}`))
	if r := n.Refusal(); r.Status != "401" {
		t.Fatalf("numeric status: %+v", r)
	}
}

func TestXOAUTH2_RefusesControlCharacters(t *testing.T) {
	for _, c := range []*oauth.BearerClient{
		oauth.XOAUTH2Client("a\x01auth=Bearer x", "tok"),
		oauth.XOAUTH2Client("u", "tok\r\nQUIT"),
		oauth.XOAUTH2Client("u", ""),
		oauth.OAuthBearerClient("u", "tok", "h\x01", 0),
	} {
		if _, _, err := c.Start(); err == nil {
			t.Errorf("%v started", c)
		}
	}
}

func TestOAUTHBEARER(t *testing.T) {
	c := oauth.OAuthBearerClient("lib,a=b@example.org", "tok", "smtp.example.org", 587)
	mech, ir, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	if want := "n,a=lib=2Ca=3Db@example.org,\x01host=smtp.example.org\x01port=587\x01auth=Bearer tok\x01\x01"; mech != "OAUTHBEARER" || string(ir) != want {
		t.Fatalf("Start = %q %q, want %q", mech, ir, want)
	}
	resp, err := c.Next([]byte(`{"status":"invalid_token"}`))
	if err != nil || string(resp) != "\x01" {
		t.Fatalf("Next = %q, %v; want the dummy response 0x01 (RFC 7628)", resp, err)
	}
	if r := c.Refusal(); r == nil || r.Status != "invalid_token" {
		t.Fatalf("Refusal = %+v", r)
	}
	_, ir, _ = oauth.OAuthBearerClient("", "tok", "", 0).Start()
	if string(ir) != "n,,\x01auth=Bearer tok\x01\x01" {
		t.Fatalf("without user, host and port: %q", ir)
	}
}

// Through go-smtp's client, against a scripted server: the credentials
// on the AUTH line when they fit in 512 octets, else after an empty 334;
// an empty line after the 334 refusal; the server's 535 returned.
func TestXOAUTH2_WithGoSMTP(t *testing.T) {
	for _, token := range []string{"tok", strings.Repeat("t", 2000)} {
		xoauth2WithGoSMTP(t, token)
	}
}

func xoauth2WithGoSMTP(t *testing.T, token string) {
	client, server := net.Pipe()
	defer client.Close()
	challenge := `{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`
	creds := base64.StdEncoding.EncodeToString([]byte("user=library@example.org\x01auth=Bearer " + token + "\x01\x01"))
	done := make(chan error, 1)
	go func() {
		defer server.Close()
		server.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(server)
		w := func(s string) { server.Write([]byte(s + "\r\n")) }
		line := func() string { l, _ := r.ReadString('\n'); return strings.TrimRight(l, "\r\n") }
		w("220 test ESMTP")
		if l := line(); !strings.HasPrefix(l, "EHLO ") {
			done <- errors.New("want EHLO, got " + l)
			return
		}
		w("250-test")
		w("250 AUTH XOAUTH2 OAUTHBEARER")
		l := line()
		if len("AUTH XOAUTH2 "+creds+"\r\n") <= oauth.MaxAUTHLine {
			if l != "AUTH XOAUTH2 "+creds {
				done <- errors.New("AUTH line " + l)
				return
			}
		} else {
			if l != "AUTH XOAUTH2" {
				done <- fmt.Errorf("a %d-byte initial response was sent on the AUTH line", len(l))
				return
			}
			w("334 ")
			if l := line(); l != creds {
				done <- errors.New("the credentials after the empty 334: " + l)
				return
			}
		}
		w("334 " + base64.StdEncoding.EncodeToString([]byte(challenge)))
		if l := line(); l != "" {
			done <- errors.New("want an empty line after the challenge, got " + l)
			return
		}
		w("535 5.7.8 Username and Password not accepted")
		done <- nil
	}()
	c := smtp.NewClient(client)
	x := oauth.XOAUTH2Client("library@example.org", token)
	err := c.Auth(x)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 535 {
		t.Fatalf("token of %d bytes: Auth = %v, want the server's 535", len(token), err)
	}
	if err := <-done; err != nil {
		t.Fatalf("token of %d bytes: %v", len(token), err)
	}
	if r := x.Refusal(); r == nil || r.Scope != "https://mail.google.com/" {
		t.Fatalf("Refusal = %+v", r)
	}
}

// A long token is not sent on the AUTH line but after the first (empty)
// challenge; the next challenge is the refusal.
func TestBearerClient_LongTokenAfterChallenge(t *testing.T) {
	long := strings.Repeat("x", 1500)
	for _, c := range []*oauth.BearerClient{oauth.XOAUTH2Client("u@example.org", long), oauth.OAuthBearerClient("u@example.org", long, "h", 587)} {
		mech, ir, err := c.Start()
		if err != nil || ir != nil {
			t.Fatalf("%s Start = %d bytes, %v; want no initial response", mech, len(ir), err)
		}
		resp, err := c.Next([]byte{})
		if err != nil || !strings.Contains(string(resp), "auth=Bearer "+long+"\x01\x01") {
			t.Fatalf("%s first Next = %.60q, %v; want the credentials", mech, resp, err)
		}
		if c.Refusal() != nil {
			t.Fatal("the empty challenge was taken for a refusal")
		}
		resp, err = c.Next([]byte(`{"status":"invalid_token"}`))
		if err != nil || len(resp) > 1 || c.Refusal() == nil || c.Refusal().Status != "invalid_token" {
			t.Fatalf("%s second Next = %q, %v, refusal %+v", mech, resp, err, c.Refusal())
		}
		if _, err := c.Next(nil); err == nil {
			t.Fatalf("%s: a third challenge was answered", mech)
		}
	}
	// 512 octets exactly still go on the line: "AUTH XOAUTH2 " + 496
	// base64 characters (372 bytes) + CRLF.
	tok := strings.Repeat("y", 372-len("user=u\x01auth=Bearer \x01\x01"))
	if _, ir, _ := oauth.XOAUTH2Client("u", tok).Start(); ir == nil {
		t.Fatal("an AUTH line of exactly 512 octets went without its initial response")
	}
	if _, ir, _ := oauth.XOAUTH2Client("u", tok+"y").Start(); ir != nil {
		t.Fatal("an AUTH line of 513 octets or more carried the initial response")
	}
}
