package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// Through a real Postfix: one recipient refused by its access map, one
// accepted, one deferred and then accepted after the map is fixed and
// Postfix reloaded. The journal holds each recipient's own outcome with its
// cause and Postfix's queue id, and the deferred recipient gets the message
// once, on a new connection that sees the new policy.
func TestPostfix_PerRecipientOutcomes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	p := smtptest.StartPostfix(t, smtptest.PostfixOptions{Access: map[string]string{
		"gone@example.org":  "550 5.1.1 User unknown",
		"later@example.org": "DEFER",
	}})
	cfg := testConfig(t, nil)
	cfg.SMTP = serverConfig("smtp", p.Host(), p.Port())
	cfg.SMTP.SessionMessages, cfg.SMTP.SessionTime = 100, 5*time.Minute
	drop(t, cfg, "three.eml", []byte("To: here@example.org, gone@example.org, later@example.org\r\nSubject: Tre l\xe5n\r\n\r\nHej\r\n"))
	r := start(t, cfg)
	j := openJournal(t, cfg)
	rcpts := func() map[string]journal.Recipient {
		out := map[string]journal.Recipient{}
		recs, err := j.Query(journal.Filter{File: "three.eml"})
		if err == nil && len(recs) == 1 {
			for _, rc := range recs[0].Recipients {
				out[rc.Address] = rc
			}
		}
		return out
	}
	waitFor(t, "here sent, gone failed, later deferred", func() bool {
		m := rcpts()
		return m["here@example.org"].Status == journal.StatusSent && m["gone@example.org"].Status == journal.StatusFailed &&
			m["later@example.org"].Status == journal.StatusDeferred
	})
	m := rcpts()
	if g := m["gone@example.org"]; g.Cause != "address-unknown" || !strings.HasPrefix(g.Reply, "550 5.1.1") {
		t.Errorf("refused recipient = %+v", g)
	}
	if h := m["here@example.org"]; h.QueueID == "" || !strings.Contains(h.Reply, h.QueueID) {
		t.Errorf("accepted recipient has no queue id of Postfix's: %+v", h)
	}
	if l := m["later@example.org"]; !strings.HasPrefix(l.Reply, "450") || l.Cause == "" {
		t.Errorf("deferred recipient = %+v", l)
	}

	p.SetAccess(t, map[string]string{"gone@example.org": "550 5.1.1 User unknown"})
	waitFor(t, "later sent after the reload", func() bool { return rcpts()["later@example.org"].Status == journal.StatusSent })
	waitEmpty(t, cfg)
	r.stop()
	recs, err := j.Query(journal.Filter{File: "three.eml"})
	if err != nil || len(recs) != 1 || recs[0].Status != journal.StatusPartlySent {
		t.Fatalf("message = %+v, %v; want partly-sent", recs, err)
	}
	// The subject went RFC 2047-encoded, so Postfix's next hop (which has
	// no SMTPUTF8) got it and nothing bounced.
	copies := func() (n int) {
		for _, msg := range p.Sink.Messages() {
			if msg.From == "" {
				t.Fatalf("Postfix bounced something:\n%s", msg.Data)
			}
			for _, to := range msg.To {
				if to == "here@example.org" || to == "later@example.org" {
					n++
				}
			}
		}
		return n
	}
	waitFor(t, "Postfix's next hop got here's and later's copies", func() bool { return copies() >= 2 })
	time.Sleep(time.Second) // a third copy, or a bounce, would be late
	if n := copies(); n != 2 {
		t.Errorf("the next hop got %d copies for here and later, want 2", n)
	}
}
