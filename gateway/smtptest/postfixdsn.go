package smtptest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The addresses of a PostfixDSN rig.
const (
	// DSNReturnPath is the envelope sender to use: Postfix delivers mail
	// for it, the DSNs, over LMTP into the IMAP server's INBOX.
	DSNReturnPath = IMAPUser + "@library.example"
	// DSNUnknown is refused by the next hop with "550 5.1.1 <address>:
	// no such user here": Postfix bounces it at once (Action: failed,
	// Status: 5.1.1).
	DSNUnknown = "unknown@patron.example"
	// DSNFull is refused by the next hop with "452 4.2.2 mailbox full",
	// every time: Postfix sends a delayed DSN (Action: delayed) after
	// DSNDelayWarning, and a failed one (Status: 4.2.2) once the message
	// has been queued for DSNQueueLifetime.
	DSNFull = "full@patron.example"
	// Any other recipient at patron.example is accepted.
)

// The rig's queue times: short, so that a test is done in seconds.
const (
	DSNDelayWarning  = 2 * time.Second
	DSNQueueLifetime = 8 * time.Second
)

// PostfixDSN is a private Postfix (see StartPostfix) set up to make real
// delivery status notifications: it takes mail from 127.0.0.1 (Addr),
// relays it to its Sink, which refuses DSNUnknown permanently and
// DSNFull temporarily, and sends the DSNs that Postfix's bounce daemon
// writes to the envelope sender, DSNReturnPath, over LMTP into the
// Dovecot IMAP server IMAP (the INBOX of IMAPUser).
type PostfixDSN struct {
	*Postfix
	IMAP *IMAPServer
}

// StartPostfixDSN starts the rig's Postfix, delivering into imap, and
// stops it when the test ends. It needs what StartPostfix needs (Linux,
// root, Debian's postfix); without it the test is skipped, or fails when
// SPOOLGATE_REAL_SERVERS=1.
func StartPostfixDSN(tb testing.TB, imap *IMAPServer) *PostfixDSN {
	tb.Helper()
	p := StartPostfix(tb, PostfixOptions{Main: map[string]string{
		"transport_maps":         fmt.Sprintf("inline:{ library.example=lmtp:inet:[%s]:%d }", DovecotHost, imap.LMTPPort()),
		"delay_warning_time":     seconds(DSNDelayWarning),
		"maximal_queue_lifetime": seconds(DSNQueueLifetime),
		"bounce_queue_lifetime":  seconds(DSNQueueLifetime),
		// queue_run_delay stays the harness's 1s; a backoff longer than it
		// keeps the deferred queue's scan from meeting a message still
		// being delivered ("skipped, still being delivered"), after which
		// Postfix 3.7 left it alone for over a minute here.
		"minimal_backoff_time":    "2s",
		"maximal_backoff_time":    "2s",
		"lmtp_tls_security_level": "none",
	}})
	// The harness's master.cf has no lmtp service: add it, and reload.
	f, err := os.OpenFile(filepath.Join(p.etc, "master.cf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString("lmtp      unix  -       -       n       -       -       lmtp\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		tb.Fatalf("smtptest: add lmtp to master.cf: %v", err)
	}
	p.Reload(tb)
	p.Sink.SetFault(func(stage Stage, arg string) *Reply {
		if stage != StageRcpt {
			return nil
		}
		switch arg {
		case DSNUnknown:
			return Refuse(550, [3]int{5, 1, 1}, "<"+arg+">: no such user here")
		case DSNFull:
			return Refuse(452, [3]int{4, 2, 2}, "<"+arg+">: mailbox full")
		}
		return nil
	})
	return &PostfixDSN{Postfix: p, IMAP: imap}
}

// Flush asks Postfix to try its deferred mail now (postqueue -f).
func (p *PostfixDSN) Flush(tb testing.TB) {
	tb.Helper()
	if out, err := exec.Command("/usr/sbin/postqueue", "-c", p.etc, "-f").CombinedOutput(); err != nil {
		tb.Fatalf("smtptest: postqueue -f: %v: %s", err, out)
	}
}

// WaitDSNs waits up to timeout until the IMAP server's INBOX holds n
// messages and returns them, flushing Postfix's queue (Flush) every few
// seconds, so that a busy machine does not leave a retry waiting. It
// fails the test on time-out.
func (p *PostfixDSN) WaitDSNs(tb testing.TB, n int, timeout time.Duration) []IMAPMessage {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for last := time.Now(); ; {
		l := p.IMAP.List(tb, "INBOX")
		if len(l) >= n {
			return l
		}
		if time.Now().After(deadline) {
			tb.Fatalf("smtptest: %d DSN(s) in INBOX after %v, want %d\n%s", len(l), timeout, n, p.logTail(40))
		}
		if time.Since(last) > 3*time.Second {
			p.Flush(tb)
			last = time.Now()
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func seconds(d time.Duration) string { return fmt.Sprintf("%ds", int(d/time.Second)) }
