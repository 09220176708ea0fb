package relay

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// hostilePaths are addresses a queue file, a config or a bug could hand
// to the relay, with whether a path may hold them.
var hostilePaths = []struct {
	addr string
	ok   bool
}{
	{"b@example.org", true},
	{"x@[1.2.3.4]", true},
	{"x@[IPv6:::1]", true},
	{"x@[IPv6:2001:db8::1]", true},
	{"x@[x-tag:some.text]", true},
	{`"quoted.local"@example.org`, true},
	{`"a\"b"@example.org`, true},
	{"o'brien+tag@example.org", true},

	{"x@[127.0.0.1> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;boss@corp.example]", false},
	{"x@[127.0.0.1>NOTIFY=SUCCESS]", false},
	{"x@[tag:127.0.0.1>NOTIFY=SUCCESS]", false},
	{"x@[foo bar]", false},
	{"x@[a>b]", false},
	{"x@[tag:a b]", false},
	{"x@[::1]", false},
	{"x@[IPv6:1:2:3]", false},
	{"x@[1.2.3.256]", false},
	{"x@[tag:" + strings.Repeat("a", 300) + "]", false},
	{"x@example.org> NOTIFY=NEVER", false},
	{"<x@example.org>", false},
	{"x@example.org>", false},
	{"<x@example.org", false},
	{"x>@example.org", false},
	{`"x> NOTIFY=SUCCESS"@example.org`, false},
	{`"john doe"@example.org`, false},
	{`"a\>b"@example.org`, false},
	{"b@example.org\r\nRCPT TO:<c@example.org>", false},
	{"b@example.org\nDATA", false},
	{"b@example.org\rDATA", false},
	{"b@exa\x00mple.org", false},
	{"b@exa\tmple.org", false},
	{"b@exa\x7fmple.org", false},
	{"b@example.org\u0085", false}, // NEL, a C1 control
	{"b@example.org\u2028", false}, // LINE SEPARATOR
	{"b@exa\xffmple.org", false},   // not UTF-8
	{"b example@example.org", false},
	{"example.org", false},
	{"@example.org", false},
	{"b@", false},
	{"a..b@example.org", false},
	{".a@example.org", false},
	{"a@example..org", false},
	{"a@exa(mple).org", false},
	{"a,b@example.org", false},
	{strings.Repeat("a", 250) + "@example.org", false},
}

// wellFormed is what every command envelopeCommand builds looks like: one
// path with nothing in it that ends a path, a line or a parameter, then
// parameters.
var wellFormed = regexp.MustCompile(`^(MAIL FROM|RCPT TO):<[^<> \x00-\x1f\x7f]*>( [A-Za-z0-9][A-Za-z0-9-]*(=[!-<?-~]+)?)*$`)

func TestEnvelopeCommand(t *testing.T) {
	for _, tc := range hostilePaths {
		for _, cmd := range []string{"MAIL FROM", "RCPT TO"} {
			line, err := envelopeCommand(cmd, tc.addr, false, "SIZE=100")
			if tc.ok {
				if want := cmd + ":<" + tc.addr + "> SIZE=100"; err != nil || line != want {
					t.Errorf("%s %q = %q, %v; want %q", cmd, tc.addr, line, err, want)
				}
				if !wellFormed.MatchString(line) {
					t.Errorf("%s %q: %q is not well formed", cmd, tc.addr, line)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s %q = %q, want a refusal", cmd, tc.addr, line)
				continue
			}
			stage := map[string]string{"MAIL FROM": "mail", "RCPT TO": "rcpt"}[cmd]
			e := Classify(err, "smtp (h:25)", stage)
			if !e.Permanent || e.Cause != cause.BadAddress {
				t.Errorf("%s %q: %v is %+v, want a permanent bad-address", cmd, tc.addr, err, e)
			}
			if !errors.Is(err, ErrBadAddress) && !errors.Is(err, ErrLineBreak) {
				t.Errorf("%s %q: %v is neither ErrBadAddress nor ErrLineBreak", cmd, tc.addr, err)
			}
			if a := strings.TrimSpace(tc.addr); len(a) > 3 && strings.Contains(err.Error(), a) {
				t.Errorf("%s %q: the refusal %q quotes the address", cmd, tc.addr, err)
			}
		}
	}
}

func TestEnvelopeCommand_NullSenderAndUTF8(t *testing.T) {
	if line, err := envelopeCommand("MAIL FROM", "", false); err != nil || line != "MAIL FROM:<>" {
		t.Errorf("null sender: %q, %v", line, err)
	}
	if _, err := envelopeCommand("RCPT TO", "", false); !errors.Is(err, ErrBadAddress) {
		t.Errorf("empty recipient: %v, want ErrBadAddress", err)
	}
	const intl = "jörg@exämple.org"
	if line, err := envelopeCommand("RCPT TO", intl, true); err != nil || line != "RCPT TO:<"+intl+">" {
		t.Errorf("international address with SMTPUTF8: %q, %v", line, err)
	}
	if _, err := envelopeCommand("RCPT TO", intl, false); !errors.Is(err, ErrBadAddress) {
		t.Errorf("international address without SMTPUTF8: %v, want ErrBadAddress", err)
	}
	if _, err := envelopeCommand("MAIL FROM", "a@example.org", false, "SIZE=1 2"); err == nil || errors.Is(err, ErrBadAddress) {
		t.Errorf("a malformed parameter: %v, want an error that is not about the address", err)
	}
}

// FuzzEnvelopeCommand: whatever the address, a command that is built is
// well formed, holds the address as it is, and a refusal is a permanent
// bad-address.
func FuzzEnvelopeCommand(f *testing.F) {
	for _, tc := range hostilePaths {
		f.Add(tc.addr, false)
	}
	f.Add("jörg@exämple.org", true)
	f.Fuzz(func(t *testing.T, addr string, smtputf8 bool) {
		for _, cmd := range []string{"MAIL FROM", "RCPT TO"} {
			line, err := envelopeCommand(cmd, addr, smtputf8, "BODY=8BITMIME", "SIZE=42", "SMTPUTF8")
			if err != nil {
				if e := Classify(err, "s (h:25)", "rcpt"); !e.Permanent || e.Cause != cause.BadAddress {
					t.Fatalf("%s %q: %v is %+v", cmd, addr, err, e)
				}
				continue
			}
			if !strings.HasPrefix(line, cmd+":<"+addr+"> ") {
				t.Fatalf("%s %q = %q", cmd, addr, line)
			}
			if !smtputf8 && !wellFormed.MatchString(line) {
				t.Fatalf("%s %q: %q is not well formed", cmd, addr, line)
			}
			if strings.ContainsAny(addr, " <>\r\n\x00\t") {
				t.Fatalf("%s %q: a byte that ends the path got through: %q", cmd, addr, line)
			}
		}
	})
}

// End to end through a real server: a hostile recipient is refused as a
// bad address and never reaches the wire, while the good one is sent; a
// hostile sender refuses the message before MAIL. With and without
// PIPELINING.
func TestSend_HostileAddressesNeverReachTheWire(t *testing.T) {
	const hostile = "x@[127.0.0.1> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;boss@corp.example]"
	const quoted = `"x> NOTIFY=SUCCESS"@example.org`
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("pipelining=", on), func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithTranscript())
			head := serverFor("smtp", srv)
			head.Pipelining = on
			s := newSession(t, head)

			res, err := s.Send(ctxT(t), delivery("x", hostile, quoted, "b@example.org"))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if len(res.Accepted) != 1 || res.Accepted[0] != "b@example.org" {
				t.Errorf("accepted %q, want only b@example.org", res.Accepted)
			}
			for _, r := range []string{hostile, quoted} {
				if e := res.Refused[r]; e == nil || e.Cause != cause.BadAddress || e.Stage != "rcpt" || !errors.Is(e, ErrBadAddress) {
					t.Errorf("%q: refused = %+v, want bad-address at rcpt", r, e)
				}
			}
			if m := srv.WaitMessages(t, 1, waitLong); len(m[0].To) != 1 || m[0].To[0] != "b@example.org" {
				t.Errorf("the server got the message for %q", m[0].To)
			}

			// Only bad recipients: nothing is sent at all.
			before := srv.Transcript()
			res, err = s.Send(ctxT(t), delivery("y", hostile))
			if err != nil || len(res.Accepted) != 0 || res.Refused[hostile] == nil {
				t.Errorf("Send with a hostile recipient only: %+v, %v", res, err)
			}
			if after := srv.Transcript(); after != before {
				t.Errorf("a transaction without a recipient went on the wire:\n%s", after[len(before):])
			}

			// A hostile sender: the message is refused, no MAIL is sent.
			d := delivery("z")
			d.From = quoted
			_, err = s.Send(ctxT(t), d)
			if e := asError(t, err); !e.Permanent || e.Cause != cause.BadAddress || e.Stage != "mail" {
				t.Errorf("hostile sender: %+v, want a permanent bad-address at mail", e)
			}

			tr := srv.Transcript()
			for _, bad := range []string{"NOTIFY", "ORCPT", "127.0.0.1>", "x>"} {
				if strings.Contains(tr, bad) {
					t.Errorf("%q reached the wire:\n%s", bad, tr)
				}
			}
			if n := strings.Count(tr, "MAIL FROM:"); n != 1 {
				t.Errorf("%d MAIL commands, want 1:\n%s", n, tr)
			}
		})
	}
}

// Probe builds its MAIL command the same way: a hostile sender is refused
// before anything is sent.
func TestProbe_HostileSender(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithTranscript())
	c, err := Open(ctxT(t), serverFor("smtp", srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(waitLong)
	err = c.Probe(ctxT(t), "a@[127.0.0.1> NOTIFY=SUCCESS]")
	if e := asError(t, err); !e.Permanent || e.Cause != cause.BadAddress || e.Stage != "mail" {
		t.Errorf("Probe = %+v, want a permanent bad-address at mail", e)
	}
	if tr := srv.Transcript(); strings.Contains(tr, "MAIL") {
		t.Errorf("MAIL went on the wire:\n%s", tr)
	}
	if err := c.Probe(ctxT(t), "a@example.org"); err != nil {
		t.Errorf("Probe of a good sender on the same connection: %v", err)
	}
}
