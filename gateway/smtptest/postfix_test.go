package smtptest

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

const postfixWait = 30 * time.Second

var queuedAs = regexp.MustCompile(`queued as (\S+)`)

// sendTo sends one message over c and returns Postfix's queue id.
func sendTo(t *testing.T, c *smtp.Client, opts *smtp.MailOptions, from string, to []string, data string) string {
	t.Helper()
	if err := c.Mail(from, opts); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			t.Fatalf("RCPT %s: %v", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := w.Write([]byte(data)); err != nil {
		t.Fatalf("DATA: %v", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	m := queuedAs.FindStringSubmatch(resp.StatusText)
	if m == nil {
		t.Fatalf("no queue id in %q", resp.StatusText)
	}
	return m[1]
}

func dialPostfix(t *testing.T, p *Postfix) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(p.Addr())
	if err != nil {
		t.Fatalf("dial Postfix: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	return c
}

// Postfix relays what it accepts to the sink, logs each session, and
// leaves no process and no folder behind.
func TestPostfix_Relays(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	var etc, dir string
	t.Run("instance", func(t *testing.T) {
		p := StartPostfix(t, PostfixOptions{})
		etc, dir = p.etc, p.Dir
		c := dialPostfix(t, p)
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			t.Errorf("Postfix does not offer SMTPUTF8 by default")
		}
		id := sendTo(t, c, nil, "a@example.org", []string{"b@example.org"}, "Subject: hi\r\n\r\nHello.\r\n")
		if status, detail := p.WaitStatus(t, id, "b@example.org", postfixWait); status != "sent" {
			t.Errorf("status %s %s, want sent", status, detail)
		}
		m := p.Sink.WaitMessages(t, 1, postfixWait)[0]
		if m.From != "a@example.org" || len(m.To) != 1 || m.To[0] != "b@example.org" || !strings.Contains(string(m.Data), "Subject: hi\r\n") {
			t.Errorf("the sink got %+v", m)
		}
		if err := c.Quit(); err != nil {
			t.Fatalf("QUIT: %v", err)
		}
		if s := p.WaitSessions(t, 1, postfixWait); !strings.Contains(s[0], "mail=1 rcpt=1 data=1 quit=1") {
			t.Errorf("session %q", s[0])
		}
		if len(instanceProcesses(etc)) == 0 {
			t.Errorf("no process found with MAIL_CONFIG=%s", etc)
		}
	})
	if t.Failed() {
		return
	}
	if left := instanceProcesses(etc); len(left) > 0 {
		t.Errorf("processes left after the test: %v", left)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the folder %s is left: %v", dir, err)
	}
}

// The access map gives each recipient its reply; a new map, after a
// reload, holds for new connections while an open one keeps the old.
func TestPostfix_Access(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	p := StartPostfix(t, PostfixOptions{Access: map[string]string{
		"gone@example.org":    "550 5.1.1 User unknown",
		"later@example.org":   "DEFER",
		"refused@example.org": "REJECT",
	}})
	c := dialPostfix(t, p)
	if err := c.Mail("a@example.org", nil); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	want := map[string]string{
		"gone@example.org":    "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown",
		"later@example.org":   "450 4.7.1 <later@example.org>: Recipient address rejected: Access denied",
		"refused@example.org": "554 5.7.1 <refused@example.org>: Recipient address rejected: Access denied",
		"ok@example.org":      "",
	}
	for rcpt, reply := range want {
		if got := replyOf(c.Rcpt(rcpt, nil)); got != reply {
			t.Errorf("RCPT %s: %q, want %q", rcpt, got, reply)
		}
	}
	if err := c.Reset(); err != nil {
		t.Fatalf("RSET: %v", err)
	}

	p.SetAccess(t, map[string]string{"later@example.org": "OK"})
	if err := c.Mail("a@example.org", nil); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	if got := replyOf(c.Rcpt("later@example.org", nil)); !strings.HasPrefix(got, "450 ") {
		t.Errorf("RCPT on the connection from before the reload: %q, want the old 450", got)
	}
	c2 := dialPostfix(t, p)
	if err := c2.Mail("a@example.org", nil); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	if got := replyOf(c2.Rcpt("later@example.org", nil)); got != "" {
		t.Errorf("RCPT on a new connection: %q, want it accepted", got)
	}
	if got := replyOf(c2.Rcpt("gone@example.org", nil)); got != "" {
		t.Errorf("RCPT gone@ on a new connection: %q, want it accepted (no longer in the map)", got)
	}
}

func replyOf(err error) string {
	if err == nil {
		return ""
	}
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return err.Error()
	}
	c := se.EnhancedCode
	return fmt.Sprintf("%d %d.%d.%d %s", se.Code, c[0], c[1], c[2], se.Message)
}

// What issue 9 found: Postfix offers SMTPUTF8, accepts a message sent with
// it, and bounces it because its next hop does not offer SMTPUTF8. The
// same text RFC 2047-encoded, without SMTPUTF8, goes through.
func TestPostfix_NextHopWithoutSMTPUTF8(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	p := StartPostfix(t, PostfixOptions{})
	c := dialPostfix(t, p)
	raw := "From: a@example.org\r\nTo: b@example.org\r\nSubject: Påminnelse om lån\r\n\r\nHej.\r\n"
	id := sendTo(t, c, &smtp.MailOptions{UTF8: true}, "a@example.org", []string{"b@example.org"}, raw)
	status, detail := p.WaitStatus(t, id, "b@example.org", postfixWait)
	if status != "bounced" || !strings.Contains(detail, "SMTPUTF8") {
		t.Errorf("with SMTPUTF8: %s %s, want bounced for want of SMTPUTF8", status, detail)
	}
	encoded := "From: a@example.org\r\nTo: b@example.org\r\nSubject: =?utf-8?q?P=C3=A5minnelse_om_l=C3=A5n?=\r\n\r\nHej.\r\n"
	id = sendTo(t, c, nil, "a@example.org", []string{"c@example.org"}, encoded)
	if status, detail := p.WaitStatus(t, id, "c@example.org", postfixWait); status != "sent" {
		t.Errorf("RFC 2047-encoded: %s %s, want sent", status, detail)
	}

	t.Run("next hop with SMTPUTF8", func(t *testing.T) {
		p := StartPostfix(t, PostfixOptions{NextHopSMTPUTF8: true})
		c := dialPostfix(t, p)
		id := sendTo(t, c, &smtp.MailOptions{UTF8: true}, "a@example.org", []string{"b@example.org"}, raw)
		if status, detail := p.WaitStatus(t, id, "b@example.org", postfixWait); status != "sent" {
			t.Errorf("%s %s, want sent", status, detail)
		}
		if m := p.Sink.WaitMessages(t, 1, postfixWait)[0]; !m.UTF8 || !strings.Contains(string(m.Data), "Subject: Påminnelse om lån\r\n") {
			t.Errorf("the sink got SMTPUTF8 %v, %q", m.UTF8, m.Data)
		}
	})
	t.Run("smtputf8_enable = no", func(t *testing.T) {
		p := StartPostfix(t, PostfixOptions{NoSMTPUTF8: true, MessageSizeLimit: 1 << 20})
		c := dialPostfix(t, p)
		if ok, _ := c.Extension("SMTPUTF8"); ok {
			t.Errorf("SMTPUTF8 offered with smtputf8_enable = no")
		}
		if size, ok := c.MaxMessageSize(); !ok || size != 1<<20 {
			t.Errorf("SIZE %d (%v), want %d", size, ok, 1<<20)
		}
	})
}
