package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
)

// A relay that wants a login refuses every MAIL with 530: that is about the
// session, not the messages. No file goes .BAD; the queue waits, the relay
// is recorded unavailable with its cause and reply, and once the relay
// takes mail again every file is sent.
func TestHold_AuthRequiredSetsNothingAside(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	bothWays(t, "530 at MAIL", func(t *testing.T, pipelining bool) {
		var refuse atomic.Bool
		refuse.Store(true)
		srv := smtptest.NewServer(t, smtptest.WithFault(func(s smtptest.Stage, _ string) *smtptest.Reply {
			if s == smtptest.StageMail && refuse.Load() {
				return smtptest.Refuse(530, [3]int{5, 7, 0}, "Authentication required")
			}
			return nil
		}))
		cfg := testConfig(t, srv)
		cfg.SMTP.Pipelining = pipelining
		cfg.Spool.Interval = 2 * time.Second
		cfg.Spool.RetryMax = 2 * time.Second
		for _, n := range []string{"a.eml", "b.eml", "c.eml"} {
			drop(t, cfg, n, msg("patron-"+n+"@example.org", "Notice "+n))
		}
		r := start(t, cfg)
		var rec *health.Record
		waitFor(t, "the relay recorded unavailable", func() bool {
			var err error
			rec, err = health.Read(cfg.Spool.Data, cfg.Spool.Instance)
			return err == nil && rec.Relay("smtp").State == health.Unavailable
		})
		h := rec.Relay("smtp")
		if h.Cause != "auth-required" || !strings.Contains(h.Reply, "530 5.7.0 Authentication required") || h.NextAttempt.IsZero() {
			t.Errorf("health = %+v; want auth-required with the reply and a next attempt", h)
		}
		// Several attempts later, still nothing is set aside.
		waitFor(t, "a second attempt", func() bool {
			rec, err := health.Read(cfg.Spool.Data, cfg.Spool.Instance)
			return err == nil && rec.Relay("smtp").Failures >= 2
		})
		if n := hasSuffix(files(t, cfg.Spool.Folder), spool.SuffixBad); n != 0 {
			t.Fatalf("%d files set aside as .BAD for a refusal of the session: %v", n, files(t, cfg.Spool.Folder))
		}
		refuse.Store(false)
		srv.WaitMessages(t, 3, 60*time.Second)
		waitEmpty(t, cfg)
		waitFor(t, "the relay recorded available", func() bool {
			rec, err := health.Read(cfg.Spool.Data, cfg.Spool.Instance)
			return err == nil && rec.Relay("smtp").State == health.Available
		})
		if !strings.Contains(r.log.String(), "relay unavailable: ") || !strings.Contains(r.log.String(), "the relay works again") {
			t.Errorf("the log does not say the relay was unavailable and works again:\n%s", r.log.String())
		}
		if strings.Contains(r.log.String(), "can be reached") {
			t.Errorf("the log blames reachability for a refused login:\n%s", r.log.String())
		}
	})
}

// Of two recipients, the relay refuses one (550 5.1.1) and takes the
// other: each recipient's outcome is journaled with its cause, the message
// is partly-sent, and the file is done (the message went out).
func TestOutcomes_PerRecipient(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(func(s smtptest.Stage, arg string) *smtptest.Reply {
		if s == smtptest.StageRcpt && strings.HasPrefix(arg, "gone@") {
			return smtptest.Refuse(550, [3]int{5, 1, 1}, "<gone@example.org>: Recipient address rejected: User unknown in local recipient table")
		}
		return nil
	}))
	cfg := testConfig(t, srv)
	drop(t, cfg, "two.eml", []byte("To: gone@example.org, here@example.org\r\nSubject: Two\r\n\r\nHello\r\n"))
	r := start(t, cfg)
	srv.WaitMessages(t, 1, 30*time.Second)
	waitEmpty(t, cfg)
	r.stop()
	j := openJournal(t, cfg)
	recs, err := j.Query(journal.Filter{})
	if err != nil || len(recs) != 1 {
		t.Fatalf("Query = %+v, %v", recs, err)
	}
	m := recs[0]
	if m.Status != journal.StatusPartlySent || m.Cause != "address-unknown" {
		t.Errorf("message status %q cause %q; want partly-sent, address-unknown", m.Status, m.Cause)
	}
	got := map[string]journal.Recipient{}
	for _, rc := range m.Recipients {
		got[rc.Address] = rc
	}
	if g := got["gone@example.org"]; g.Status != journal.StatusFailed || g.Cause != "address-unknown" || !strings.HasPrefix(g.Reply, "550 5.1.1") {
		t.Errorf("refused recipient = %+v", g)
	}
	if h := got["here@example.org"]; h.Status != journal.StatusSent || !strings.HasPrefix(h.Reply, "250") || h.Cause != "" {
		t.Errorf("accepted recipient = %+v", h)
	}
	fs, err := j.Failures(time.Time{}, time.Time{})
	if err != nil || len(fs) != 1 || fs[0].To != "gone@example.org" || fs[0].Cause != "address-unknown" {
		t.Errorf("Failures = %+v, %v", fs, err)
	}
}

// Both recipients refused: the .BAD.txt names both, each with its own
// cause and reply, gives the one retry instruction, and spool reads the
// cause back.
func TestBad_NamesEveryRefusedRecipient(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(func(s smtptest.Stage, arg string) *smtptest.Reply {
		switch {
		case s != smtptest.StageRcpt:
		case strings.HasPrefix(arg, "gone@"):
			return smtptest.Refuse(550, [3]int{5, 1, 1}, "User unknown")
		case strings.HasPrefix(arg, "full@"):
			return smtptest.Refuse(552, [3]int{5, 2, 2}, "Mailbox full")
		}
		return nil
	}))
	cfg := testConfig(t, srv)
	cfg.Log.Language = "sv"
	drop(t, cfg, "both.eml", []byte("To: gone@example.org, full@example.org\r\nSubject: Both\r\n\r\nHello\r\n"))
	start(t, cfg)
	bad := filepath.Join(cfg.Spool.Folder, "both"+spool.SuffixReason)
	waitFor(t, "both.BAD and its reason", func() bool { return exists(cfg, "both"+spool.SuffixBad) && exists(cfg, "both"+spool.SuffixReason) })
	b, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{"gone@example.org", "550 5.1.1 User unknown", "full@example.org", "552 5.2.2 Mailbox full", "spoolgate retry both.eml", "Vad hände:"} {
		if !strings.Contains(text, want) {
			t.Errorf(".BAD.txt lacks %q:\n%s", want, text)
		}
	}
	for _, english := range []string{"What happened", "rename the .BAD file back"} {
		if strings.Contains(text, english) {
			t.Errorf("a Swedish .BAD.txt says %q:\n%s", english, text)
		}
	}
	reason, err := spool.ReadReason(bad)
	if err != nil {
		t.Fatal(err)
	}
	causes := map[string]string{}
	for _, rc := range reason.Recipients {
		causes[rc.Address] = rc.Cause
	}
	if causes["gone@example.org"] != "address-unknown" || causes["full@example.org"] != "mailbox-full" {
		t.Errorf("recipients read back = %+v", reason.Recipients)
	}
}

// A file with no recipients is refused before any SMTP, and journaled with
// its cause.
func TestOutcomes_RefusedBeforeSendingIsJournaled(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	drop(t, cfg, "empty.eml", []byte("Subject: Nobody\r\n\r\nHello\r\n"))
	r := start(t, cfg)
	waitFor(t, "empty.BAD", func() bool { return exists(cfg, "empty"+spool.SuffixBad) })
	r.stop()
	j := openJournal(t, cfg)
	recs, err := j.Query(journal.Filter{Status: journal.StatusFailed})
	if err != nil || len(recs) != 1 || recs[0].File != "empty.eml" || recs[0].Cause != "no-recipients" {
		t.Fatalf("Query(failed) = %+v, %v", recs, err)
	}
	reason, err := spool.ReadReason(filepath.Join(cfg.Spool.Folder, "empty"+spool.SuffixReason))
	if err != nil || reason.Cause != "no-recipients" {
		t.Errorf("reason = %+v, %v", reason, err)
	}
}

// The same content dropped twice reaches each recipient once: the second
// file's recipients are skipped with the earlier send.
func TestDedupe_IdenticalFileIsSentOnce(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.Spool.DedupeWindow = time.Hour
	cfg.SMTP.Connections = 2
	data := []byte("To: patron@example.org\r\nSubject: Due soon\r\nMessage-ID: <n1@ils>\r\n\r\nYour book is due.\r\n")
	drop(t, cfg, "first.eml", data)
	drop(t, cfg, "second.eml", data)
	r := start(t, cfg)
	srv.WaitMessages(t, 1, 30*time.Second)
	waitEmpty(t, cfg)
	r.stop()
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("the relay got %d messages, want 1", n)
	}
	j := openJournal(t, cfg)
	recs, err := j.Query(journal.Filter{Status: journal.StatusSkipped})
	if err != nil || len(recs) != 1 || len(recs[0].Recipients) != 1 {
		t.Fatalf("Query(skipped) = %+v, %v", recs, err)
	}
	rc := recs[0].Recipients[0]
	if rc.Status != journal.StatusSkipped || rc.Cause != "already-sent" || !strings.Contains(rc.Reply, "sent before") {
		t.Errorf("skipped recipient = %+v", rc)
	}

	// With the window off, both go.
	srv2 := smtptest.NewServer(t)
	cfg2 := testConfig(t, srv2)
	cfg2.Spool.DedupeWindow = 0
	drop(t, cfg2, "first.eml", data)
	drop(t, cfg2, "second.eml", data)
	start(t, cfg2)
	srv2.WaitMessages(t, 2, 30*time.Second)
}
