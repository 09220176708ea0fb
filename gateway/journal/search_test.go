package journal

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// searchFixture journals 50 messages through the writer, a minute apart,
// with one to three recipients each (some of them in Swedish, some
// subjects in Russian), sent, deferred, refused and skipped, and two
// files refused before they were sent (no recipients).
func searchFixture(t *testing.T) (*Journal, time.Time) {
	t.Helper()
	j := newFixture(t, options{}).j
	t0 := time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
	clk := &clock{t: t0}
	j.now = clk.now
	subjects := []string{"Overdue notice", "Просрочка книги", "Reservation ready", "Påminnelse: förfallen bok"}
	addrs := []string{"åsa@exempel.se", "Olle.Berg@Exempel.SE", "patron%d@library.example", "reader%d@mail.example.org", "ИВАН@пример.рф"}
	for i := range 50 {
		clk.set(t0.Add(time.Duration(i) * time.Minute))
		key := fmt.Sprintf("k%02d", i)
		c := Claim{Key: key, File: fmt.Sprintf("Notice-%02d.txt", i), MessageID: "<" + key + "@ils>", From: "ils@library.example",
			Subject: subjects[i%len(subjects)], Kind: "overdue", Unit: "main"}
		for r := range 1 + i%3 {
			a := addrs[(i+r)%len(addrs)]
			if strings.Contains(a, "%d") {
				a = fmt.Sprintf(a, i)
			}
			c.To = append(c.To, a)
		}
		if i == 17 || i == 33 {
			// Refused before it was sent: no recipients.
			j.Claimed(Claim{Key: key, File: c.File}, nil)
			j.Record(Outcome{Key: key, Status: StatusFailed, Reply: "not a message", Cause: "not-a-message"}, nil)
			continue
		}
		j.Begin(c, "main", c.To, nil)
		clk.set(clk.now().Add(time.Second))
		switch i % 5 {
		case 0, 1:
			j.Record(Outcome{Key: key, To: c.To, Status: StatusSent, Server: "mx.example.net", Reply: "250 2.0.0 Ok: queued as Q" + key, QueueID: "Q" + key}, nil)
		case 2:
			j.Record(Outcome{Key: key, To: c.To[:1], Status: StatusFailed, Server: "mx.example.net", Reply: "550 5.1.1 unknown", Cause: "address-unknown"}, nil)
			if len(c.To) > 1 {
				j.Record(Outcome{Key: key, To: c.To[1:], Status: StatusSent, Server: "mx.example.net", Reply: "250 ok", QueueID: "Q" + key}, nil)
			}
		case 3:
			j.Record(Outcome{Key: key, To: c.To, Status: StatusDeferred, Server: "mx.example.net", Reply: "451 4.3.0 later", Cause: "temporary",
				Next: clk.now().Add(time.Hour)}, nil)
		case 4:
			j.Record(Outcome{Key: key, To: c.To[:1], Status: StatusSkipped, Cause: "already-sent"}, nil)
			if len(c.To) > 1 {
				j.Record(Outcome{Key: key, To: c.To[1:], Status: StatusFailed, Reply: "552 5.2.2 full", Cause: "mailbox-full"}, nil)
			}
		}
	}
	flush(t, j)
	return j, t0
}

func search(t *testing.T, j *Journal, s Search) ([]Row, *Cursor) {
	t.Helper()
	rows, next, err := j.Search(s)
	if err != nil {
		t.Fatalf("Search(%+v): %v", s, err)
	}
	return rows, next
}

// matches is Search's contract, row by row, for the reference.
func matches(r Row, s Search) bool {
	switch {
	case s.To != "" && (r.Address == "" || !strings.Contains(strings.ToLower(r.Address), strings.ToLower(s.To))),
		s.File != "" && !strings.Contains(strings.ToLower(r.File), strings.ToLower(s.File)),
		!s.Since.IsZero() && r.At.Before(s.Since),
		!s.Until.IsZero() && !r.At.Before(s.Until),
		s.Status != "" && r.Status != s.Status,
		s.Cause != "" && r.Cause != s.Cause:
		return false
	}
	for _, w := range strings.Fields(s.Subject) {
		if !strings.Contains(strings.ToLower(r.Subject), strings.ToLower(w)) {
			return false
		}
	}
	return true
}

func rowNames(rows []Row) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.Key+":"+r.Address)
	}
	return out
}

func TestJournal_Search(t *testing.T) {
	j, t0 := searchFixture(t)
	all, next := search(t, j, Search{Limit: 1000})
	if next != nil {
		t.Fatalf("a next page after all rows")
	}
	// 48 messages with 1-3 recipients (sum over i of 1+i%3, less the two
	// bare ones), and the two bare messages.
	want := 0
	for i := range 50 {
		if i == 17 || i == 33 {
			want++
		} else {
			want += 1 + i%3
		}
	}
	if len(all) != want {
		t.Fatalf("%d rows, want %d: %v", len(all), want, rowNames(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].At.After(all[i-1].At) {
			t.Fatalf("row %d (%v) is newer than row %d (%v)", i, all[i].At, i-1, all[i-1].At)
		}
	}
	if all[0].Key != "k49" {
		t.Errorf("first row %s, want the newest message k49", all[0].Key)
	}
	// Each row carries its recipient's own outcome and its message.
	for _, r := range all {
		switch r.Key {
		case "k17":
			if r.Address != "" || r.Status != StatusFailed || r.Cause != "not-a-message" || r.File != "Notice-17.txt" {
				t.Errorf("bare row %+v", r)
			}
		case "k10":
			if r.Status != StatusSent || r.QueueID != "Qk10" || r.Server != "mx.example.net" || r.Attempts != 1 ||
				r.MessageID != "<k10@ils>" || r.Kind != "overdue" || r.Unit != "main" || r.Subject != "Reservation ready" {
				t.Errorf("sent row %+v", r)
			}
		}
	}

	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	cases := []Search{
		{To: "åsa@exempel.se"},
		{To: "ÅSA@EXEMPEL.SE"},
		{To: "olle.berg@exempel.se"},
		{To: "exempel"},
		{To: "иван@ПРИМЕР.рф"},
		{To: "patron1"},
		{To: "a@"},
		{To: "zz"},
		{To: "nobody@nowhere.example"},
		{File: "notice-0"},
		{File: "-3"},
		{File: "NOTICE-17"},
		{Subject: "просрочка"},
		{Subject: "КНИГИ просрочка"},
		{Subject: "notice OVERDUE"},
		{Subject: "förfallen PÅMINNELSE"},
		{Subject: "bok"},
		{Subject: "ready", To: "exempel"},
		{Status: StatusFailed},
		{Status: StatusFailed, Since: at(10), Until: at(30)},
		{Status: StatusSkipped},
		{Status: StatusDeferred, To: "library"},
		{Cause: "address-unknown"},
		{Cause: "not-a-message"},
		{Cause: "mailbox-full", Since: at(20)},
		{Since: at(48)},
		{Until: at(2)},
		{File: "notice", Subject: "overdue", Status: StatusSent},
	}
	for _, cap := range []int{10000, 0} {
		ftsCap = cap
		t.Cleanup(func() { ftsCap = 10000 })
		for _, s := range cases {
			var want []Row
			for _, r := range all {
				if matches(r, s) {
					want = append(want, r)
				}
			}
			s.Limit = 1000
			got, _ := search(t, j, s)
			if !slices.Equal(rowNames(got), rowNames(want)) {
				t.Errorf("ftsCap %d: Search(%+v) = %v, want %v", cap, s, rowNames(got), rowNames(want))
			}
		}
	}

	// A few answers spelt out, so that the reference cannot hide a
	// mistake of its own.
	got, _ := search(t, j, Search{To: "ÅSA@exempel.SE"})
	if len(got) == 0 || got[0].Address != "åsa@exempel.se" {
		t.Errorf("To ÅSA@exempel.SE: %v", rowNames(got))
	}
	got, _ = search(t, j, Search{Subject: "ПРОСРОЧКА"})
	if len(got) == 0 || got[0].Subject != "Просрочка книги" {
		t.Errorf("Subject ПРОСРОЧКА: %v", rowNames(got))
	}
	got, _ = search(t, j, Search{Subject: "asa"})
	if len(got) != 0 {
		t.Errorf("accents are not removed, yet asa found %v", rowNames(got))
	}
	got, _ = search(t, j, Search{Cause: "not-a-message"})
	if !slices.Equal(rowNames(got), []string{"k33:", "k17:"}) {
		t.Errorf("Cause not-a-message: %v", rowNames(got))
	}
	// Partly sent selects the recipients of the messages partly sent.
	var partly []string
	for _, r := range query(t, j, Filter{Status: StatusPartlySent}) {
		if r.Status == StatusPartlySent {
			for _, a := range r.To {
				partly = append(partly, r.Key+":"+a)
			}
		}
	}
	got, _ = search(t, j, Search{Status: StatusPartlySent, Limit: 1000})
	names := rowNames(got)
	slices.Sort(names)
	slices.Sort(partly)
	if len(partly) == 0 || !slices.Equal(names, partly) {
		t.Errorf("Status partly-sent: %v, want %v", names, partly)
	}

	// Paging: pages of 7, through cursors carried as strings, give every
	// row once, in order, whichever plan runs.
	for _, s := range []Search{{}, {Status: StatusFailed}, {To: "example"}, {File: "notice"}} {
		for _, cap := range []int{10000, 0} {
			ftsCap = cap
			s.Before = nil
			var want []Row
			for _, r := range all {
				if matches(r, s) {
					want = append(want, r)
				}
			}
			var paged []Row
			s.Limit = 7
			for range 100 {
				rows, next := search(t, j, s)
				if len(rows) > 7 {
					t.Fatalf("a page of %d rows", len(rows))
				}
				paged = append(paged, rows...)
				if next == nil {
					break
				}
				c, err := ParseCursor(next.String())
				if err != nil || *c != *next {
					t.Fatalf("ParseCursor(%q) = %v, %v", next.String(), c, err)
				}
				s.Before = c
			}
			if !slices.Equal(rowNames(paged), rowNames(want)) {
				t.Errorf("ftsCap %d: pages of %+v = %v, want %v", cap, s, rowNames(paged), rowNames(want))
			}
		}
	}
	ftsCap = 10000

	for _, bad := range []string{"", "x", "1.2.3", "a.1", "-1.1.1", "zz.1.zz.1"} {
		if _, err := ParseCursor(bad); !errors.Is(err, ErrBadCursor) {
			t.Errorf("ParseCursor(%q): %v", bad, err)
		}
	}
	// Limits: 100 by default, 1000 at most.
	if rows, next := search(t, j, Search{}); len(rows) != min(len(all), 100) || (next != nil) != (len(all) > 100) {
		t.Errorf("default page: %d rows, next %v", len(rows), next)
	}
	if rows, _ := search(t, j, Search{Limit: -1}); len(rows) != min(len(all), 100) {
		t.Errorf("page of limit -1: %d rows", len(rows))
	}
}

func TestJournal_History(t *testing.T) {
	j, _ := searchFixture(t)
	j.Retried("k12", nil)
	flush(t, j)
	r, evs, err := j.History("k12")
	if err != nil {
		t.Fatal(err)
	}
	if r.Key != "k12" || r.File != "Notice-12.txt" || len(r.Recipients) != 1 {
		t.Fatalf("record %+v", r)
	}
	var what []string
	for _, e := range evs {
		what = append(what, e.What)
	}
	if !slices.Equal(what, []string{"attempt", "failed", "retried"}) {
		t.Fatalf("events %v", what)
	}
	f := evs[1]
	if f.Reply != "550 5.1.1 unknown" || f.Cause != "address-unknown" || f.Server != "mx.example.net" ||
		!slices.Equal(f.To, r.To) || !strings.Contains(f.Detail, "550 5.1.1") || f.At.IsZero() {
		t.Errorf("failed event %+v", f)
	}
	if evs[0].Server != "main" || !slices.Equal(evs[0].To, r.To) {
		t.Errorf("attempt event %+v", evs[0])
	}

	_, evs, err = j.History("k10")
	if err != nil || len(evs) != 2 || evs[1].What != "sent" || evs[1].QueueID != "Qk10" {
		t.Fatalf("history of k10: %+v, %v", evs, err)
	}
	_, evs, err = j.History("k14")
	if err != nil || len(evs) < 2 || evs[1].What != "skipped" || evs[1].Cause != "already-sent" {
		t.Fatalf("history of k14: %+v, %v", evs, err)
	}
	if _, _, err := j.History("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("History of an unknown key: %v", err)
	}
}

// A database of version 2 or 3 (3 as the previous release wrote it, 2 as
// the one before) is upgraded in place: its history is kept, found by
// Search and shown by History, and what is journaled afterwards is found
// too, a bounce among it (the bounces table is version 4's).
func TestOpen_UpgradesVersion2(t *testing.T) {
	for _, from := range []int{2, 3} {
		t.Run(fmt.Sprintf("from%d", from), func(t *testing.T) { testUpgradeFrom(t, from) })
	}
}

func testUpgradeFrom(t *testing.T, from int) {
	path := filepath.Join(spooltest.TempDir(t), "journal.db")
	db := rawDB(t, path)
	stmts := slices.Clone(schema)
	for _, u := range upgrades[:from-1] {
		stmts = append(stmts, u...)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC).UnixNano()
	for _, s := range []string{
		`INSERT INTO messages (key, file, subject, status, attempts, first_at, last_at, cause) VALUES
			('old', 'Overdue-Anna.txt', 'Просрочка', 'partly-sent', 1, ?1, ?1 + 2, 'address-unknown'),
			('bad', 'garbage.txt', '', 'failed', 0, 0, ?1 + 5, 'not-a-message')`,
		`INSERT INTO recipients (key, addr, status, reply, at, cause, queue_id) VALUES
			('old', 'åsa@exempel.se', 'sent', '250 ok', ?1 + 2, '', 'Q1'),
			('old', 'gone@exempel.se', 'failed', '550 unknown', ?1 + 1, 'address-unknown', '')`,
		`INSERT INTO events (key, at, event, detail) VALUES
			('old', ?1, 'attempt', 'server=main to=åsa@exempel.se,gone@exempel.se'),
			('old', ?1 + 1, 'failed', 'to=gone@exempel.se server=mx reply=550 unknown cause=address-unknown'),
			('old', ?1 + 2, 'sent', 'to=åsa@exempel.se server=mx reply=250 ok')`,
		fmt.Sprintf(`PRAGMA user_version = %d`, from),
	} {
		if _, err := db.Exec(s, t0); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if from == 3 {
		// As version 3's writer leaves its commits: the rows indexed.
		for _, s := range []string{`INSERT INTO recipients_fts (recipients_fts) VALUES ('rebuild')`, `DELETE FROM recipients_fts_queue`,
			`INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')`, `DELETE FROM messages_fts_queue`} {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	db.Close()

	var logged bytes.Buffer
	j, err := Open(path, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatalf("Open of a version %d journal: %v", from, err)
	}
	if !strings.Contains(logged.String(), "brought the database up to date") || !strings.Contains(logged.String(), fmt.Sprintf("from_schema=%d", from)) {
		t.Errorf("the upgrade was not logged: %s", logged.String())
	}
	defer j.Close()
	var v int
	if err := rawDB(t, path).QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion {
		t.Fatalf("user_version = %d, %v; want %d", v, err, schemaVersion)
	}
	for _, s := range []Search{{To: "ÅSA@exempel"}, {File: "anna"}, {Subject: "ПРОСРОЧКА"}, {Cause: "address-unknown"}} {
		rows, _ := search(t, j, s)
		if len(rows) == 0 || rows[0].Key != "old" {
			t.Errorf("Search(%+v) after the upgrade = %v", s, rowNames(rows))
		}
	}
	rows, _ := search(t, j, Search{})
	if !slices.Equal(rowNames(rows), []string{"bad:", "old:åsa@exempel.se", "old:gone@exempel.se"}) {
		t.Errorf("every row after the upgrade: %v", rowNames(rows))
	}
	r, evs, err := j.History("old")
	if err != nil || len(r.Recipients) != 2 || len(evs) != 3 || evs[2].What != "sent" || !strings.Contains(evs[2].Detail, "250 ok") {
		t.Fatalf("History after the upgrade: %+v, %+v, %v", r, evs, err)
	}

	j.Begin(Claim{Key: "new", File: "New.txt", Subject: "Reservation", To: []string{"olle@exempel.se"}}, "main", []string{"olle@exempel.se"}, nil)
	j.Record(Outcome{Key: "new", Status: StatusSent, QueueID: "Q2"}, nil)
	j.RecordAction(Action{User: "admin", What: "retry", Target: "old", OK: true}, nil)
	flush(t, j)
	rows, _ = search(t, j, Search{To: "exempel.se"})
	if !slices.Equal(rowNames(rows), []string{"new:olle@exempel.se", "old:åsa@exempel.se", "old:gone@exempel.se"}) {
		t.Errorf("Search after new writes: %v", rowNames(rows))
	}
	if as, err := j.Actions(1); err != nil || len(as) != 1 {
		t.Errorf("Actions after the upgrade: %v, %v", as, err)
	}
	at := time.Unix(0, t0).Add(time.Hour)
	j.RecordBounce(Bounce{MailID: "dsn-1", Key: "old", Address: "åsa@exempel.se", Outcome: StatusBounced, Class: "hard",
		Status: "5.1.1", Diagnostic: "550 5.1.1 no such user", At: at}, nil)
	flush(t, j)
	bs, err := j.Bounces(at.Add(-time.Minute), at.Add(time.Minute), StatusBounced, 0)
	if err != nil || len(bs) != 1 || bs[0].File != "Overdue-Anna.txt" {
		t.Errorf("a bounce of a message journaled before the upgrade: %+v, %v", bs, err)
	}
}

// The trigram indexes and bare follow every write: a changed file name
// or subject, a stub message that gets its recipients later, and a purge.
func TestJournal_SearchFollowsWrites(t *testing.T) {
	j := newFixture(t, options{}).j
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	j.now = clk.now
	// An outcome before any claim makes a stub message, with the
	// recipient recorded first.
	j.Record(Outcome{Key: "s", To: []string{"x@stub.example"}, Status: StatusDeferred, Cause: "temporary"}, nil)
	j.Claimed(Claim{Key: "s", File: "First.txt", Subject: "first", To: []string{"x@stub.example"}}, nil)
	j.Claimed(Claim{Key: "s", File: "Second.txt", Subject: "second", To: []string{"x@stub.example"}}, nil)
	flush(t, j)
	clk.set(clk.now().Add(time.Second))
	j.Claimed(Claim{Key: "b", File: "Bare.txt"}, nil)
	flush(t, j)
	if rows, _ := search(t, j, Search{File: "first"}); len(rows) != 0 {
		t.Errorf("the old file name is still found: %v", rowNames(rows))
	}
	if rows, _ := search(t, j, Search{File: "second", Subject: "second"}); !slices.Equal(rowNames(rows), []string{"s:x@stub.example"}) {
		t.Errorf("the new file name: %v", rowNames(rows))
	}
	if rows, _ := search(t, j, Search{}); !slices.Equal(rowNames(rows), []string{"b:", "s:x@stub.example"}) {
		t.Errorf("all rows: %v", rowNames(rows))
	}
	// A file name changed in a later transaction leaves the index too.
	j.Claimed(Claim{Key: "s", File: "Third.txt", Subject: "third", To: []string{"x@stub.example"}}, nil)
	flush(t, j)
	if rows, _ := search(t, j, Search{File: "second"}); len(rows) != 0 {
		t.Errorf("the old file name is still found: %v", rowNames(rows))
	}
	if rows, _ := search(t, j, Search{File: "third", Subject: "THIRD"}); !slices.Equal(rowNames(rows), []string{"s:x@stub.example"}) {
		t.Errorf("the new file name: %v", rowNames(rows))
	}
	// A bare message that gets a recipient is bare no more.
	j.Claimed(Claim{Key: "b", File: "Bare.txt", To: []string{"y@b.example"}}, nil)
	flush(t, j)
	if rows, _ := search(t, j, Search{}); !slices.Equal(rowNames(rows), []string{"b:y@b.example", "s:x@stub.example"}) {
		t.Errorf("all rows: %v", rowNames(rows))
	}
	clk.set(clk.now().Add(time.Hour))
	if _, err := j.Purge(clk.now()); err != nil {
		t.Fatal(err)
	}
	for _, s := range []Search{{}, {To: "stub"}, {File: "bare"}} {
		if rows, _ := search(t, j, s); len(rows) != 0 {
			t.Errorf("after Purge, Search(%+v) = %v", s, rowNames(rows))
		}
	}
	var n int
	if err := j.db.rdb.QueryRow(`SELECT (SELECT count(*) FROM bare) + (SELECT count(*) FROM recipients_fts) + (SELECT count(*) FROM messages_fts)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("after Purge, %d rows left in bare and the indexes (%v)", n, err)
	}
	var integrity string
	for _, tbl := range []string{"recipients_fts", "messages_fts"} {
		if _, err := rawDB(t, j.path).Exec(`INSERT INTO ` + tbl + `(` + tbl + `) VALUES ('integrity-check')`); err != nil {
			t.Errorf("%s integrity-check: %v %s", tbl, err, integrity)
		}
	}
}

// A journal written by a newer spoolgate (a downgrade) is refused with a
// message that says so, and left as it was.
func TestOpen_RefusesANewerJournal(t *testing.T) {
	path := filepath.Join(spooltest.TempDir(t), "journal.db")
	db := rawDB(t, path)
	for _, s := range []string{`CREATE TABLE future (x)`, `INSERT INTO future VALUES (42)`,
		fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion+1)} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	_, err := Open(path, nil)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("schema version %d, newer than this spoolgate knows (%d)", schemaVersion+1, schemaVersion)) ||
		!strings.Contains(err.Error(), "leaves it untouched") {
		t.Fatalf("Open of a newer journal: %v", err)
	}
	db = rawDB(t, path)
	defer db.Close()
	var v, x int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != schemaVersion+1 {
		t.Errorf("user_version %d after the refusal (%v)", v, err)
	}
	if err := db.QueryRow(`SELECT x FROM future`).Scan(&x); err != nil || x != 42 {
		t.Errorf("the newer journal's data changed: %d %v", x, err)
	}
}
