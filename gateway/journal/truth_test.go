package journal

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A database of version 1 (as the previous release wrote it) is upgraded
// in place: its history is kept, and causes, queue ids and hashes can be
// recorded.
func TestOpen_UpgradesVersion1(t *testing.T) {
	path := filepath.Join(spooltest.TempDir(t), "journal.db")
	db := rawDB(t, path)
	for _, s := range schema {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO messages (key, file, status, last_at) VALUES ('old', 'old.eml', 'sent', 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO recipients (key, addr, status, reply, at) VALUES ('old', 'a@example.org', 'sent', '250 ok', 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	j, err := Open(path, nil)
	if err != nil {
		t.Fatalf("Open of a version 1 journal: %v", err)
	}
	defer j.Close()
	var v int
	if err := rawDB(t, path).QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion {
		t.Fatalf("user_version = %d, %v; want %d", v, err, schemaVersion)
	}
	rs := query(t, j, Filter{Key: "old"})
	if len(rs) != 1 || len(rs[0].Recipients) != 1 || rs[0].Recipients[0].Reply != "250 ok" {
		t.Fatalf("the old history after the upgrade: %+v", rs)
	}
	j.Claimed(Claim{Key: "new", File: "n.eml", To: []string{"b@example.org"}, Hash: "h1"}, nil)
	j.Record(Outcome{Key: "new", To: []string{"b@example.org"}, Status: StatusFailed, Reply: "550 5.1.1 unknown", Cause: "address-unknown"}, nil)
	flush(t, j)
	rs = query(t, j, Filter{Key: "new"})
	if len(rs) != 1 || rs[0].Cause != "address-unknown" || rs[0].Recipients[0].Cause != "address-unknown" {
		t.Fatalf("cause after the upgrade: %+v", rs)
	}
}

// A file refused before any SMTP is one failure with its cause, whether it
// named recipients or not; a sent outcome keeps the message's cause of an
// earlier refusal of another recipient.
func TestJournal_RefusedBeforeSending(t *testing.T) {
	j := newFixture(t, options{}).j
	j.Claimed(Claim{Key: "k0", File: "empty.eml"}, nil)
	j.Record(Outcome{Key: "k0", Status: StatusFailed, Cause: "no-recipients"}, nil)
	j.Claimed(Claim{Key: "k1", File: "bad.eml", To: []string{"not an address"}}, nil)
	j.Record(Outcome{Key: "k1", Status: StatusFailed, Cause: "bad-address", Reply: "not an address"}, nil)
	flush(t, j)
	fs, err := j.Failures(time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].File != "empty.eml" || fs[0].To != "" || fs[0].Cause != "no-recipients" ||
		fs[1].To != "not an address" || fs[1].Cause != "bad-address" {
		t.Fatalf("Failures = %+v", fs)
	}
	if rs := query(t, j, Filter{Status: StatusFailed}); len(rs) != 2 || rs[1].Cause != "no-recipients" {
		t.Fatalf("Query(failed) = %+v", rs)
	}
}

// DeliveredBefore finds a recipient who got a message of the same content,
// within the window, under another key, and not one who was refused.
func TestJournal_DeliveredBefore(t *testing.T) {
	j := newFixture(t, options{}).j
	clk := &clock{}
	j.now = clk.now
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clk.set(t0)
	c := Claim{Key: "k1", File: "n.eml", To: []string{"Alice@Example.org", "bob@example.org"}, Hash: "h"}
	j.Begin(c, "mx", c.To, nil)
	j.Record(Outcome{Key: "k1", To: []string{"Alice@Example.org"}, Status: StatusSent, Reply: "250 ok"}, nil)
	j.Record(Outcome{Key: "k1", To: []string{"bob@example.org"}, Status: StatusFailed, Reply: "550 no", Cause: "address-unknown"}, nil)
	flush(t, j)
	got, err := j.DeliveredBefore("h", "k2", t0.Add(-time.Hour))
	if err != nil || len(got) != 1 || got["alice@example.org"].Key != "k1" || !got["alice@example.org"].At.Equal(t0) ||
		got["alice@example.org"].File != "n.eml" {
		t.Fatalf("DeliveredBefore = %+v, %v; want alice only, from k1 at %v", got, err, t0)
	}
	for _, tc := range []struct {
		name, hash, except string
		since              time.Time
	}{
		{"other content", "other", "k2", t0.Add(-time.Hour)},
		{"outside the window", "h", "k2", t0.Add(time.Minute)},
		{"its own key", "h", "k1", t0.Add(-time.Hour)},
		{"no hash", "", "k2", t0.Add(-time.Hour)},
	} {
		if got, err := j.DeliveredBefore(tc.hash, tc.except, tc.since); len(got) != 0 || err != nil {
			t.Errorf("%s: DeliveredBefore = %v, %v; want none", tc.name, got, err)
		}
	}
	// A skipped recipient is delivered: not retried, and the message is sent.
	j.Claimed(Claim{Key: "k2", File: "n.eml", To: []string{"alice@example.org"}, Hash: "h"}, nil)
	j.Record(Outcome{Key: "k2", To: []string{"alice@example.org"}, Status: StatusSkipped, Cause: "already-sent"}, nil)
	flush(t, j)
	if s := state(t, j, "k2"); s.Status != StatusSent || len(s.Delivered) != 1 {
		t.Fatalf("State after a skip = %+v", s)
	}
}

// DeliveredBefore runs for every message sent: it must find a hash through
// the index, not by reading every message of the journal.
func TestDeliveredBefore_UsesTheHashIndex(t *testing.T) {
	f := newFixture(t, options{})
	rows, err := rawDB(t, f.path).Query("EXPLAIN QUERY PLAN "+deliveredBefore, "h", "k", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	joined := strings.Join(plan, "; ")
	if !strings.Contains(joined, "messages_hash") || strings.Contains(joined, "SCAN m") {
		t.Fatalf("DeliveredBefore's plan does not use messages_hash: %s", joined)
	}
}

// Then runs its callback once the events before it are committed: a second
// reader then sees them.
func TestJournal_ThenAfterCommit(t *testing.T) {
	j := newFixture(t, options{}).j
	j.Claimed(Claim{Key: "k", File: "f.eml", To: []string{"a@example.org"}}, nil)
	j.Record(Outcome{Key: "k", To: []string{"a@example.org"}, Status: StatusSent, Reply: "250 ok"}, nil)
	seen := make(chan State, 1)
	j.Then(func(err error) {
		if err != nil {
			t.Errorf("Then: %v", err)
		}
		s, _ := j.State("k")
		seen <- s
	})
	select {
	case s := <-seen:
		if s.Status != StatusSent {
			t.Fatalf("in Then, State = %+v; want the sent outcome committed", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Then's callback did not run")
	}
}
