package relay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// The tests in this file relay through a private, real Postfix
// (smtptest.StartPostfix): they run as root with Debian's postfix package,
// and are skipped otherwise (a failure with SPOOLGATE_REAL_SERVERS=1).

const postfixWait = 30 * time.Second

// postfixServer describes Postfix p as a config.Server.
func postfixServer(p *smtptest.Postfix, pipelining bool) *config.Server {
	srv := plainServer("postfix", p.Host(), p.Port())
	srv.Timeout = postfixWait
	srv.Pipelining = pipelining
	return srv
}

// eachWay runs test with pipelining on and off, one after the other.
func eachWay(t *testing.T, test func(t *testing.T, pipelining bool)) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("pipelining=", on), func(t *testing.T) { test(t, on) })
	}
}

// mailLines collects the MAIL commands a Session sends.
type mailLines struct {
	mu    sync.Mutex
	lines []string
}

func (m *mailLines) trace(_ string, fromClient bool, line string) {
	if fromClient && strings.HasPrefix(line, "MAIL FROM:") {
		m.mu.Lock()
		m.lines = append(m.lines, line)
		m.mu.Unlock()
	}
}

func (m *mailLines) last() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.lines) == 0 {
		return ""
	}
	return m.lines[len(m.lines)-1]
}

// Issue 9: a notice with a raw UTF-8 Subject and ASCII addresses went to
// Postfix with SMTPUTF8 (Postfix offers it by default) and bounced at its
// next hop, which lacks SMTPUTF8. Now it goes RFC 2047-encoded, without
// SMTPUTF8, and reaches the next hop.
func TestPostfix_UTF8SubjectReachesNextHopWithoutSMTPUTF8(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	p := smtptest.StartPostfix(t, smtptest.PostfixOptions{})
	const subject = "Påminnelse om lån – Grüße"
	eachWay(t, func(t *testing.T, pipelining bool) {
		rcpt := fmt.Sprintf("patron-%v@example.org", pipelining)
		head := "From: library@example.org\r\nTo: " + rcpt + "\r\nMessage-ID: <" + rcpt + ">\r\n"
		d := &Delivery{
			From:     "library@example.org",
			To:       []string{rcpt},
			Data:     []byte(head + "Subject: " + mime.QEncoding.Encode("utf-8", subject) + "\r\n\r\nHej.\r\n"),
			DataUTF8: []byte(head + "Subject: " + subject + "\r\n\r\nHej.\r\n"),
		}
		var mails mailLines
		s := newSession(t, postfixServer(p, pipelining))
		res, err := s.Send(WithTrace(ctxT(t), mails.trace), d)
		if err != nil || len(res.Accepted) != 1 {
			t.Fatalf("Send: %+v, %v", res, err)
		}
		if l := mails.last(); l == "" || strings.Contains(l, "SMTPUTF8") {
			t.Errorf("MAIL = %q, want it without SMTPUTF8", l)
		}
		if status, detail := p.WaitStatus(t, res.QueueID, rcpt, postfixWait); status != "sent" {
			t.Fatalf("Postfix: %s %s, want sent to the next hop", status, detail)
		}
		var got *smtptest.Message
		for _, m := range p.Sink.Messages() {
			if m.From == "" {
				t.Errorf("the next hop got a bounce:\n%s", m.Data)
			}
			if len(m.To) == 1 && m.To[0] == rcpt {
				got = &m
			}
		}
		if got == nil {
			t.Fatalf("the next hop did not get the message for %s", rcpt)
		}
		h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(got.Data))).ReadMIMEHeader()
		if err != nil {
			t.Fatalf("the next hop got an unreadable header: %v\n%s", err, got.Data)
		}
		raw := h.Get("Subject")
		decoded, err := new(mime.WordDecoder).DecodeHeader(raw)
		if err != nil || decoded != subject || !isASCII(raw) || got.UTF8 {
			t.Errorf("the next hop got Subject %q (decoded %q, %v), SMTPUTF8 %v; want %q RFC 2047-encoded, without SMTPUTF8",
				raw, decoded, err, got.UTF8, subject)
		}
	})
}

// With session_messages = 2, five messages reach Postfix over three
// connections, each ended with QUIT.
func TestPostfix_SessionMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	p := smtptest.StartPostfix(t, smtptest.PostfixOptions{})
	before := 0
	eachWay(t, func(t *testing.T, pipelining bool) {
		head := postfixServer(p, pipelining)
		head.SessionMessages = 2
		s := NewSession(head, testLogger(t))
		for i := range 5 {
			if _, err := s.Send(ctxT(t), delivery(fmt.Sprint("message ", i), fmt.Sprintf("r%d@example.org", i))); err != nil {
				t.Fatalf("Send %d: %v", i, err)
			}
		}
		s.Close()
		sessions := p.WaitSessions(t, before+3, postfixWait)[before:]
		before += len(sessions)
		if len(sessions) != 3 {
			t.Fatalf("Postfix saw %d sessions, want 3: %q", len(sessions), sessions)
		}
		for i, want := range []string{"mail=2 rcpt=2 data=2 quit=1", "mail=2 rcpt=2 data=2 quit=1", "mail=1 rcpt=1 data=1 quit=1"} {
			if !strings.Contains(sessions[i], want) {
				t.Errorf("session %d: %q, want %q", i+1, sessions[i], want)
			}
		}
	})
}

// Per-recipient outcomes from Postfix's access map: one recipient refused
// (550 5.1.1), one deferred (450), one accepted. The admin then fixes the
// map and reloads Postfix; the deferred recipient, tried again on the same
// Session, goes through, because the Session reconnects first (the old
// connection's smtpd keeps the old map).
func TestPostfix_RecipientsAndReloadedAccessMap(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	eachWay(t, func(t *testing.T, pipelining bool) {
		p := smtptest.StartPostfix(t, smtptest.PostfixOptions{Access: map[string]string{
			"gone@example.org":  "550 5.1.1 User unknown",
			"later@example.org": "DEFER",
		}})
		s := newSession(t, postfixServer(p, pipelining))
		res, err := s.Send(ctxT(t), delivery("notice", "ok@example.org", "gone@example.org", "later@example.org"))
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if fmt.Sprint(res.Accepted) != "[ok@example.org]" || len(res.Refused) != 1 || len(res.Deferred) != 1 {
			t.Fatalf("Accepted %v, Refused %v, Deferred %v; want ok accepted, gone refused, later deferred", res.Accepted, res.Refused, res.Deferred)
		}
		if e := res.Refused["gone@example.org"]; e == nil || !e.Permanent || e.Code != 550 || e.Enhanced != "5.1.1" || e.Stage != "rcpt" ||
			e.Reply != "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown" {
			t.Errorf("gone: %+v", e)
		}
		if e := res.Deferred["later@example.org"]; e == nil || e.Permanent || e.Code != 450 || e.Stage != "rcpt" {
			t.Errorf("later: %+v", e)
		}
		if status, detail := p.WaitStatus(t, res.QueueID, "ok@example.org", postfixWait); status != "sent" {
			t.Errorf("ok: %s %s", status, detail)
		}

		p.SetAccess(t, map[string]string{"gone@example.org": "550 5.1.1 User unknown"})
		res, err = s.Send(ctxT(t), delivery("notice", "later@example.org"))
		if err != nil || fmt.Sprint(res.Accepted) != "[later@example.org]" {
			t.Fatalf("Send again to later: %+v, %v; want it accepted after the reload", res, err)
		}
		if status, detail := p.WaitStatus(t, res.QueueID, "later@example.org", postfixWait); status != "sent" {
			t.Errorf("later: %s %s", status, detail)
		}
		if first := p.WaitSessions(t, 1, postfixWait)[0]; !strings.Contains(first, "quit=1") {
			t.Errorf("the first connection did not end with QUIT: %q", first)
		}
	})
}

// A message larger than Postfix's message_size_limit is refused before
// MAIL, naming the limit.
func TestPostfix_TooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	p := smtptest.StartPostfix(t, smtptest.PostfixOptions{MessageSizeLimit: 1 << 20})
	s := newSession(t, postfixServer(p, true))
	d := delivery("big")
	d.Data = append(d.Data, bytes.Repeat([]byte(strings.Repeat("x", 76)+"\r\n"), 1<<20*3/2/78)...)
	_, err := s.Send(ctxT(t), d)
	want := "the relay accepts at most 1 MB (SIZE 1048576); this message is 1.5 MB"
	if !errors.Is(err, ErrTooLarge) || !IsPermanent(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("Send: %v; want a permanent ErrTooLarge saying %q", err, want)
	}
	if _, err := s.Send(ctxT(t), delivery("small")); err != nil {
		t.Errorf("Send small: %v", err)
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
