package bounces_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// TestSuppress: with [bounces] suppress, an address that hard-bounced is
// not sent to again: the recipient is skipped with the cause
// address-bounced, the others get the message, and a message to it alone
// ends as a fully skipped one does. Forget (spoolgate bounces --forget)
// lifts it; a soft bounce never suppresses.
func TestSuppress(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, nil)
	cfg.SMTP = relayTo(srv.Host(), srv.Port())
	cfg.Bounces.Suppress = true
	j := openJournal(t, cfg)
	for _, b := range []journal.Bounce{
		{MailID: "dsn-1@mx.example", Address: "gone@patron.example", Outcome: journal.StatusBounced, Class: "hard", Status: "5.1.1",
			Diagnostic: "550 5.1.1 no such user", At: time.Now().Add(-48 * time.Hour)},
		{MailID: "dsn-2@mx.example", Address: "full@patron.example", Outcome: journal.StatusBounced, Class: "soft", Status: "5.2.2",
			Diagnostic: "552 5.2.2 mailbox full", At: time.Now().Add(-time.Hour)},
		{MailID: "dsn-3@mx.example", Address: "old@patron.example", Outcome: journal.StatusBounced, Class: "hard", Status: "5.1.1",
			At: time.Now().Add(-40 * 24 * time.Hour)}, // before suppress_days
	} {
		j.RecordBounce(b, nil)
	}
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}

	drop(t, cfg, "both.eml", []byte("To: Gone <GONE@patron.example>, full@patron.example, old@patron.example\r\nSubject: Overdue\r\n\r\nReturn it.\r\n"))
	drop(t, cfg, "alone.eml", []byte("To: gone@patron.example\r\nSubject: Reminder\r\n\r\nReturn it.\r\n"))
	_, stop := runGateway(t, cfg)
	status := func(file string) (journal.Record, bool) {
		recs, err := j.Query(journal.Filter{File: file})
		if err != nil || len(recs) != 1 {
			return journal.Record{}, false
		}
		return recs[0], recs[0].Status != journal.StatusQueued && recs[0].Status != journal.StatusAttempted
	}
	waitFor(t, "both files done", func() bool {
		_, a := status("both.eml")
		_, b := status("alone.eml")
		return a && b
	})
	stop()
	both, _ := status("both.eml")
	for _, rc := range both.Recipients {
		switch strings.ToLower(rc.Address) {
		case "gone@patron.example":
			if rc.Status != journal.StatusSkipped || rc.Cause != string(cause.AddressBounced) || !strings.Contains(rc.Reply, "5.1.1") ||
				!strings.Contains(rc.Reply, "spoolgate bounces --forget") {
				t.Errorf("the bounced address: %+v", rc)
			}
		default:
			if rc.Status != journal.StatusSent {
				t.Errorf("%s: %+v, want sent", rc.Address, rc)
			}
		}
	}
	alone, _ := status("alone.eml")
	// Ends as a message whose every recipient had it already does: done,
	// its file removed, the recipient skipped.
	if len(alone.Recipients) != 1 || alone.Recipients[0].Status != journal.StatusSkipped || alone.Recipients[0].Cause != string(cause.AddressBounced) {
		t.Errorf("a message to the bounced address alone: %+v", alone)
	}
	for _, m := range srv.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, "gone@patron.example") {
				t.Errorf("the bounced address was sent to")
			}
		}
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("the relay got %d messages, want 1", n)
	}

	if n, err := j.Forget("Gone@Patron.example"); err != nil || n != 1 {
		t.Fatalf("Forget = %d, %v", n, err)
	}
	drop(t, cfg, "again.eml", []byte("To: gone@patron.example\r\nSubject: Reminder\r\n\r\nReturn it.\r\n"))
	_, stop = runGateway(t, cfg)
	waitFor(t, "again.eml sent", func() bool { r, done := status("again.eml"); return done && r.Status == journal.StatusSent })
	stop()
}
