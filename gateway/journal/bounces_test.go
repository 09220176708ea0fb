package journal

import (
	"testing"
	"time"
)

// A report is recorded once however often it is read; it sets the
// recipient's outcome (a delay after a bounce does not undo it), shows
// in Query and Search with what it said, goes in the history, and feeds
// HardBounced until forgotten.
func TestRecordBounce(t *testing.T) {
	j := newFixture(t, options{}).j
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	j.Begin(Claim{Key: "k1", File: "due.eml", MessageID: "m1@lib", To: []string{"Anna@Example.net", "bo@example.net"}, Subject: "Due soon"},
		"smtp", []string{"Anna@Example.net", "bo@example.net"}, nil)
	j.Record(Outcome{Key: "k1", To: []string{"Anna@Example.net", "bo@example.net"}, Status: StatusSent, Server: "smtp", Reply: "250 ok"}, nil)
	hard := Bounce{MailID: "<dsn1@mx>", Key: "k1", Address: "anna@example.net", Outcome: StatusBounced, Class: "hard",
		Status: "5.1.1", Diagnostic: "550 5.1.1 user unknown", RemoteMTA: "mx.example.net", At: t0.Add(time.Hour)}
	for range 3 {
		j.RecordBounce(hard, nil)
	}
	j.RecordBounce(Bounce{MailID: "<dsn2@mx>", Key: "k1", Address: "anna@example.net", Outcome: StatusDelayed, Status: "4.4.7", At: t0.Add(2 * time.Hour)}, nil)
	j.RecordBounce(Bounce{MailID: "<dsn3@mx>", Key: "k1", Address: "bo@example.net", Outcome: StatusDelivered, Status: "2.0.0", At: t0.Add(time.Hour)}, nil)
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := j.Query(Filter{Key: "k1"})
	if err != nil || len(recs) != 1 {
		t.Fatalf("Query: %v %v", recs, err)
	}
	for _, rc := range recs[0].Recipients {
		switch rc.Address {
		case "Anna@Example.net":
			if rc.Status != StatusSent || rc.Outcome != StatusBounced || rc.Bounce == nil || rc.Bounce.Class != "hard" || rc.Bounce.Status != "5.1.1" {
				t.Errorf("anna: %+v %+v", rc, rc.Bounce)
			}
		case "bo@example.net":
			if rc.Outcome != StatusDelivered || rc.Bounce == nil {
				t.Errorf("bo: %+v", rc)
			}
		}
	}
	if seen, err := j.BounceSeen("<dsn1@mx>"); err != nil || !seen {
		t.Errorf("BounceSeen: %v %v", seen, err)
	}
	all, err := j.Bounces(t0, t0.Add(24*time.Hour), "", 0)
	if err != nil || len(all) != 3 || all[0].Subject != "Due soon" {
		t.Errorf("Bounces: %+v %v", all, err)
	}
	bounced, _ := j.Query(Filter{Status: StatusBounced})
	if len(bounced) != 1 {
		t.Errorf("Query bounced: %d", len(bounced))
	}
	rows, _, err := j.Search(Search{Status: StatusBounced})
	if err != nil || len(rows) != 1 || rows[0].Outcome != StatusBounced || rows[0].Status != StatusSent {
		t.Errorf("Search bounced: %+v %v", rows, err)
	}
	_, events, err := j.History("k1")
	found := false
	for _, e := range events {
		found = found || e.What == "bounced"
	}
	if err != nil || !found {
		t.Errorf("history without the bounce: %+v %v", events, err)
	}
	if b, err := j.HardBounced("ANNA@example.net", t0); err != nil || b == nil || b.Status != "5.1.1" {
		t.Errorf("HardBounced: %+v %v", b, err)
	}
	if n, err := j.Forget("anna@example.net"); err != nil || n != 1 {
		t.Errorf("Forget: %d %v", n, err)
	}
	if b, err := j.HardBounced("anna@example.net", t0); err != nil || b != nil {
		t.Errorf("after Forget: %+v %v", b, err)
	}
	key, to, err := j.FindMessage("", "<m1@lib>")
	if err != nil || key != "k1" || len(to) != 2 {
		t.Errorf("FindMessage by Message-ID: %q %v %v", key, to, err)
	}
	if key, _, _ := j.FindMessage("k1", ""); key != "k1" {
		t.Errorf("FindMessage by X-Spoolgate-Id: %q", key)
	}
	if keys, err := j.SentTo("ANNA@example.net", t0.Add(-time.Hour), time.Now().Add(time.Hour)); err != nil || len(keys) != 1 {
		t.Errorf("SentTo: %v %v", keys, err)
	}
}
