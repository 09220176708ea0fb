package daily_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/bounces"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/lang"
)

// TestCompose_Bounces: the day's hard bounces are listed as addresses to
// correct, with the patron's name the notice carried, the date, the
// reason in plain words and the message; policy refusals separately, for
// IT; soft bounces counted. A day without bounces has no such section.
func TestCompose_Bounces(t *testing.T) {
	cfg := newConfig(t, nil)
	j := openJournal(t, cfg)
	now := time.Now()
	c := journal.Claim{Key: "k1", File: "overdue-1.eml", Subject: "Overdue: The Name of the Rose", Kind: "overdue",
		To: []string{"jan@patron.example", "eva@patron.example", "olle@patron.example", "ida@patron.example"}}
	j.Begin(c, "smtp", c.To, nil)
	j.Record(journal.Outcome{Key: "k1", To: c.To, Status: journal.StatusSent, Server: "smtp", Reply: "250 ok"}, nil)
	for _, b := range []journal.Bounce{
		{MailID: "m1", Key: "k1", Address: "jan@patron.example", Outcome: journal.StatusBounced, Class: "hard", Status: "5.1.1",
			Diagnostic: "550 5.1.1 <jan@patron.example>: no such user here", RemoteMTA: "mx.patron.example", At: now},
		{MailID: "m2", Key: "k1", Address: "eva@patron.example", Outcome: journal.StatusBounced, Class: "policy", Status: "5.7.1",
			Diagnostic: "550 5.7.1 rejected by DMARC policy", RemoteMTA: "mx2.patron.example", At: now},
		{MailID: "m3", Key: "k1", Address: "olle@patron.example", Outcome: journal.StatusBounced, Class: "soft", Status: "5.2.2", At: now},
		{MailID: "m4", Key: "k1", Address: "ida@patron.example", Outcome: journal.StatusDelayed, Status: "4.2.2", At: now},
	} {
		j.RecordBounce(b, nil)
	}
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	names, _ := json.Marshal(map[string]any{"jan@patron.example": map[string]any{"name": "Jan Kowalski", "at": now}})
	if err := os.WriteFile(filepath.Join(cfg.Spool.Data, bounces.NamesFile), names, 0o600); err != nil {
		t.Fatal(err)
	}

	r, err := daily.Compose(context.Background(), cfg, now, daily.Inputs{Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	text := r.Text()
	mustContain(t, "the daily log", text, "ADDRESSES TO CORRECT IN THE LIBRARY SYSTEM (1)", "Jan Kowalski <jan@patron.example>",
		"The recipient's address does not exist.", "Correct the patron's e-mail address in the library system.",
		"Reply:      550 5.1.1 <jan@patron.example>: no such user here (mx.patron.example)", "overdue-1.eml, overdue notice",
		"THE LIBRARY'S MAIL REFUSED: FOR IT (1)", "eva@patron.example", "rejected by DMARC policy",
		"1 soft bounce (")
	if strings.Count(text, "olle@patron.example") != 0 || strings.Contains(text, "ida@patron.example") {
		t.Errorf("a soft bounce or a delay is listed:\n%s", text)
	}
	if r.Bounces == nil || len(r.Bounces.Hard) != 1 || len(r.Bounces.Policy) != 1 || r.Bounces.Soft != 1 {
		t.Errorf("Bounces = %+v", r.Bounces)
	}
	// spoolgate report --json says the same, from the same explanation.
	doc, err := json.Marshal(r.Summary())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Bounces *struct {
			Hard, Policy []struct {
				Address, Name, File, Class, Status, Reply, Cause, Meaning, Action string
				RemoteMTA                                                         string `json:"remote_mta"`
			}
			Soft int
		}
	}
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	if b := got.Bounces; b == nil || len(b.Hard) != 1 || len(b.Policy) != 1 || b.Soft != 1 {
		t.Fatalf("report --json bounces: %s", doc)
	}
	if h := got.Bounces.Hard[0]; h.Address != "jan@patron.example" || h.Name != "Jan Kowalski" || h.File != "overdue-1.eml" ||
		h.Status != "5.1.1" || h.Reply != "550 5.1.1 <jan@patron.example>: no such user here" || h.RemoteMTA != "mx.patron.example" ||
		h.Cause != "address-unknown" || !strings.Contains(text, h.Meaning) || !strings.Contains(text, h.Action) {
		t.Errorf("report --json hard bounce: %+v", h)
	}
	if p := got.Bounces.Policy[0]; p.Address != "eva@patron.example" || p.Class != "policy" || p.Cause != "receiver-policy" ||
		!strings.Contains(p.Meaning, "recipient's mail system refused") || !strings.Contains(text, p.Meaning) {
		t.Errorf("report --json policy refusal: %+v", p)
	}

	// An address to correct and a refusal of the library's mail are things
	// to do: the day is not all well, and the subject says so.
	if r.AllWell() || !strings.Contains(strings.ToUpper(r.Subject()), "2 WARNINGS") ||
		!strings.Contains(text, "1 patron address to correct in the library system (it bounced).") {
		t.Errorf("bounces left the day all well: %q\n%s", r.Subject(), text)
	}

	// In every language: the section, the name, and no English but the
	// names and reply.
	for _, code := range lang.Codes() {
		cfg.Log.Language = code
		r, err := daily.Compose(context.Background(), cfg, now, daily.Inputs{Journal: j})
		if err != nil {
			t.Fatal(err)
		}
		text := r.Text()
		if !strings.Contains(text, "Jan Kowalski <jan@patron.example>") || !strings.Contains(text, "rejected by DMARC policy") {
			t.Errorf("%s:\n%s", code, text)
		}
		if code != "en" && strings.Contains(text, "ADDRESSES TO CORRECT") {
			t.Errorf("%s: the English heading", code)
		}
	}

	cfg.Log.Language = "en"
	r, err = daily.Compose(context.Background(), cfg, now.AddDate(0, 0, -1), daily.Inputs{Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Text(), "ADDRESSES TO CORRECT") || strings.Contains(r.Text(), "soft bounce") || r.Bounces != nil || r.Summary().Bounces != nil {
		t.Errorf("a day without bounces has the section:\n%s", r.Text())
	}
}
