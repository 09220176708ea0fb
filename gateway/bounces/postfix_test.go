package bounces_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/bounce"
	"github.com/spoolgate/spoolgate/gateway/bounces"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/mailbox"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// The patron whose address the next hop refuses, and one it accepts.
const (
	goneName = "Jan Kowalski"
	okAddr   = "anna@patron.example"
)

// sendNotice has spoolgate send a notice to smtptest.DSNUnknown and
// okAddr through the DSN rig's Postfix, and returns its journal key once
// the relay took both.
func sendNotice(t *testing.T, p *smtptest.PostfixDSN, cfg *config.Config, file string) string {
	t.Helper()
	cfg.SMTP = relayTo(p.Host(), p.Port())
	drop(t, cfg, file, []byte("To: "+goneName+" <"+smtptest.DSNUnknown+">, Anna <"+okAddr+">\r\n"+
		"Subject: Overdue: The Name of the Rose\r\nX-Spoolgate-Kind: overdue\r\n\r\nPlease return The Name of the Rose.\r\n"))
	g, stop := runGateway(t, cfg)
	var key string
	waitFor(t, "the relay took "+file, func() bool {
		recs, err := g.Journal().Query(journal.Filter{File: file})
		if err != nil || len(recs) != 1 || recs[0].Status != journal.StatusSent {
			return false
		}
		key = recs[0].Key
		return true
	})
	stop()
	return key
}

// TestPass_PostfixDSN: spoolgate sends a notice through a real Postfix
// whose next hop refuses one recipient 550 5.1.1 and accepts the other;
// Postfix writes the DSN to the return path, into a real Dovecot mailbox.
// A Pass records the refused recipient as bounced, hard, 5.1.1, against
// the message it sent (by X-Spoolgate-Id), and moves the DSN to
// spoolgate/processed; a second Pass, and the same DSN delivered again,
// count nothing twice.
func TestPass_PostfixDSN(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	p := smtptest.StartPostfixDSN(t, s)
	cfg := testConfig(t, s)
	key := sendNotice(t, p, cfg, "notice.eml")
	dsns := p.WaitDSNs(t, 1, 90*time.Second)
	if !strings.Contains(string(dsns[0].Raw), "X-Spoolgate-Id: "+key) {
		t.Fatalf("the DSN does not return X-Spoolgate-Id: %s:\n%s", key, dsns[0].Raw)
	}

	j := openJournal(t, cfg)
	dry := pass(t, cfg, j, true)
	if len(dry.Mails) != 1 || dry.Mails[0].Key != key || dry.Recorded != 0 || dry.Mails[0].Moved != "" {
		t.Fatalf("dry run = %+v", dry)
	}
	if n := len(s.List(t, "INBOX")); n != 1 {
		t.Fatalf("a dry run moved mail: %d in INBOX", n)
	}
	if rc := recipients(t, j, key)[smtptest.DSNUnknown]; rc.Outcome != "" {
		t.Fatalf("a dry run recorded %+v", rc)
	}

	res := pass(t, cfg, j, false)
	if len(res.Mails) != 1 || res.Recorded != 1 {
		t.Fatalf("Pass = %+v, want one mail, one report", res)
	}
	m := res.Mails[0]
	if m.Kind != bounce.KindDSN || m.Key != key || m.MatchedBy != bounces.BySpoolgateID || m.File != "notice.eml" || m.Moved != mailbox.Processed {
		t.Errorf("mail = %+v", m)
	}
	if len(m.Recipients) != 1 {
		t.Fatalf("recipients = %+v", m.Recipients)
	}
	if f := m.Recipients[0]; f.Address != smtptest.DSNUnknown || f.Outcome != journal.StatusBounced || f.Class != "hard" ||
		f.Status != "5.1.1" || f.Name != goneName || !strings.Contains(f.Diagnostic, "550 5.1.1") {
		t.Errorf("finding = %+v", f)
	}
	rcs := recipients(t, j, key)
	gone := rcs[smtptest.DSNUnknown]
	if gone.Status != journal.StatusSent || gone.Outcome != journal.StatusBounced || gone.Bounce == nil ||
		gone.Bounce.Class != "hard" || gone.Bounce.Status != "5.1.1" || gone.Bounce.MailID != m.MailID {
		t.Errorf("the refused recipient in the journal = %+v (bounce %+v)", gone, gone.Bounce)
	}
	if ok := rcs[okAddr]; ok.Status != journal.StatusSent || ok.Outcome != "" {
		t.Errorf("the accepted recipient in the journal = %+v", ok)
	}
	if n := len(s.List(t, "INBOX")); n != 0 {
		t.Errorf("%d mails left in INBOX", n)
	}
	processed := s.List(t, mailbox.Processed)
	if len(processed) != 1 || processed[0].Seen() {
		t.Errorf("spoolgate/processed = %d mails (seen %v), want the DSN, unread", len(processed), len(processed) == 1 && processed[0].Seen())
	}
	names, err := bounces.Names(cfg.Spool.Data)
	if err != nil || names[smtptest.DSNUnknown] != goneName {
		t.Errorf("Names = %v, %v", names, err)
	}

	// Again: nothing new. The same DSN again (a copy someone moved back):
	// seen, counted nothing, moved.
	if res := pass(t, cfg, j, false); len(res.Mails) != 0 || res.Recorded != 0 {
		t.Errorf("second Pass = %+v", res)
	}
	s.Append(t, "INBOX", processed[0].Raw)
	res = pass(t, cfg, j, false)
	if len(res.Mails) != 1 || !res.Mails[0].Seen || res.Recorded != 0 || res.Mails[0].Moved != mailbox.Processed {
		t.Errorf("the same DSN again: %+v", res)
	}
	bs, err := j.Bounces(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "", 0)
	if err != nil || len(bs) != 1 || bs[0].Key != key || bs[0].File != "notice.eml" {
		t.Errorf("Bounces = %+v, %v; want the one report", bs, err)
	}
}
