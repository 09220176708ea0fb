package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

const waitLimit = 30 * time.Second

// logRecorder is a slog.Handler that keeps the records it gets.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

// messages returns the messages logged at level.
func (l *logRecorder) messages(level slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		if r.Level == level {
			out = append(out, r.Message)
		}
	}
	return out
}

// clock is a settable time source for j.now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type fixture struct {
	j    *Journal
	path string
	log  *logRecorder
}

func newFixture(t testing.TB, o options) *fixture {
	t.Helper()
	if o.busyTimeout == 0 {
		o.busyTimeout = busyTimeout
	}
	path := filepath.Join(spooltest.TempDir(t), "journal.db")
	rec := &logRecorder{}
	j, err := open(path, slog.New(rec), o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return &fixture{j: j, path: path, log: rec}
}

func flush(t testing.TB, j *Journal) {
	t.Helper()
	if err := j.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// doneChan returns a done callback and the channel it reports to.
func doneChan() (func(error), chan error) {
	ch := make(chan error, 1)
	return func(err error) { ch <- err }, ch
}

func waitDone(t testing.TB, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(waitLimit):
		t.Fatal("done callback not called")
		return nil
	}
}

// rawDB opens the journal's file with a connection of its own, as another
// program would.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func state(t testing.TB, j *Journal, key string) State {
	t.Helper()
	s, err := j.State(key)
	if err != nil {
		t.Fatalf("State(%s): %v", key, err)
	}
	return s
}

func query(t testing.TB, j *Journal, f Filter) []Record {
	t.Helper()
	rs, err := j.Query(f)
	if err != nil {
		t.Fatalf("Query(%+v): %v", f, err)
	}
	return rs
}

func keys(rs []Record) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Key)
	}
	return out
}

func claim(key, file string, to ...string) Claim {
	return Claim{
		Key: key, File: file, MessageID: "<" + key + "@ils>", From: "ils@library.example",
		To: to, Subject: "Overdue " + key, Size: 1234, Kind: "overdue", Unit: "main",
	}
}

func TestJournal_SentPath(t *testing.T) {
	f := newFixture(t, options{})
	j := f.j
	c := claim("k1", "notice1.eml", "alice@example.org")

	claimed, claimedCh := doneChan()
	j.Claimed(c, claimed)
	if err := waitDone(t, claimedCh); err != nil {
		t.Fatalf("Claimed: %v", err)
	}
	if s := state(t, j, "k1"); !s.Found || s.Status != StatusQueued || s.Attempts != 0 || !s.First.IsZero() {
		t.Fatalf("after Claimed: %+v", s)
	}

	before := time.Now()
	// The callback runs after the commit: a connection of its own, opened
	// in the callback, must already see the attempt.
	seen := make(chan string, 1)
	j.Attempt("k1", "mx.example.net", []string{"alice@example.org"}, func(err error) {
		if err != nil {
			seen <- "error: " + err.Error()
			return
		}
		db, err := sql.Open("sqlite", f.path)
		if err != nil {
			seen <- "error: " + err.Error()
			return
		}
		defer db.Close()
		var status string
		var attempts int
		if err := db.QueryRow(`SELECT status, attempts FROM messages WHERE key = 'k1'`).Scan(&status, &attempts); err != nil {
			seen <- "error: " + err.Error()
			return
		}
		seen <- fmt.Sprintf("%s %d", status, attempts)
	})
	select {
	case got := <-seen:
		if got != "attempted 1" {
			t.Fatalf("in Attempt's done, another connection saw %q, want %q", got, "attempted 1")
		}
	case <-time.After(waitLimit):
		t.Fatal("Attempt's done not called")
	}

	sentSeen := make(chan State, 1)
	j.Record(Outcome{Key: "k1", To: []string{"alice@example.org"}, Status: StatusSent,
		Server: "mx.example.net", Reply: "250 2.0.0 Ok: queued as ABC", QueueID: "ABC"}, func(err error) {
		if err != nil {
			t.Errorf("Record: %v", err)
		}
		// A second Journal (as `spoolgate sent` would open) sees it too.
		j2, err := Open(f.path, nil)
		if err != nil {
			t.Errorf("second Open: %v", err)
			sentSeen <- State{}
			return
		}
		defer j2.Close()
		s, err := j2.State("k1")
		if err != nil {
			t.Errorf("second State: %v", err)
		}
		sentSeen <- s
	})
	select {
	case s := <-sentSeen:
		if s.Status != StatusSent {
			t.Fatalf("in Record's done, a second journal saw status %q, want sent", s.Status)
		}
	case <-time.After(waitLimit):
		t.Fatal("Record's done not called")
	}

	s := state(t, j, "k1")
	if !s.Found || s.Status != StatusSent || s.Attempts != 1 || s.LastReply != "250 2.0.0 Ok: queued as ABC" ||
		!reflect.DeepEqual(s.Delivered, []string{"alice@example.org"}) || len(s.Failed) != 0 {
		t.Fatalf("State = %+v", s)
	}
	if s.First.Before(before.Add(-time.Second)) || s.First.After(time.Now()) {
		t.Errorf("State.First = %v, want about %v", s.First, before)
	}

	rs := query(t, j, Filter{})
	if len(rs) != 1 {
		t.Fatalf("Query returned %d records, want 1", len(rs))
	}
	r := rs[0]
	want := Record{
		Time: r.Time, Key: "k1", File: "notice1.eml", MessageID: "<k1@ils>", From: "ils@library.example",
		To: []string{"alice@example.org"}, Subject: "Overdue k1", Size: 1234, Kind: "overdue", Unit: "main",
		Status: StatusSent, Server: "mx.example.net", Reply: "250 2.0.0 Ok: queued as ABC", Attempts: 1,
		First: s.First,
		Recipients: []Recipient{{Address: "alice@example.org", Status: StatusSent, Reply: "250 2.0.0 Ok: queued as ABC",
			QueueID: "ABC", Server: "mx.example.net", Time: r.Time}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("Query record\n got %+v\nwant %+v", r, want)
	}
	if r.Time.Before(r.First) {
		t.Errorf("record time %v before first attempt %v", r.Time, r.First)
	}

	last, err := j.LastSent()
	if err != nil {
		t.Fatal(err)
	}
	if !last.Equal(r.Time) {
		t.Errorf("LastSent = %v, want %v", last, r.Time)
	}

	// The events are kept in order.
	var evs []string
	rows, err := rawDB(t, f.path).Query(`SELECT event FROM events WHERE key = 'k1' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		rows.Scan(&e)
		evs = append(evs, e)
	}
	if want := []string{"claimed", "attempt", "sent"}; !reflect.DeepEqual(evs, want) {
		t.Errorf("events = %v, want %v", evs, want)
	}
}

func TestJournal_PartialDelivery(t *testing.T) {
	j := newFixture(t, options{}).j
	j.Claimed(claim("k", "f.eml", "a@example.org", "b@example.org"), nil)
	j.Attempt("k", "mx", nil, nil)
	j.Record(Outcome{Key: "k", To: []string{"a@example.org"}, Status: StatusSent, Server: "mx", Reply: "250 ok"}, nil)
	flush(t, j)
	// One recipient has no outcome yet: the message is still in flight.
	if s := state(t, j, "k"); s.Status != StatusAttempted {
		t.Fatalf("with one outcome of two, status = %q, want attempted", s.Status)
	}
	j.Record(Outcome{Key: "k", To: []string{"b@example.org"}, Status: StatusFailed, Server: "mx", Reply: "550 5.1.1 no such user"}, nil)
	flush(t, j)

	s := state(t, j, "k")
	if s.Status != StatusPartlySent {
		t.Errorf("status = %q, want partly-sent", s.Status)
	}
	if !reflect.DeepEqual(s.Delivered, []string{"a@example.org"}) || !reflect.DeepEqual(s.Failed, []string{"b@example.org"}) {
		t.Errorf("Delivered = %v, Failed = %v", s.Delivered, s.Failed)
	}
	if s.LastReply != "550 5.1.1 no such user" {
		t.Errorf("LastReply = %q", s.LastReply)
	}
	rs := query(t, j, Filter{Status: StatusSent})
	if len(rs) != 1 || !reflect.DeepEqual(rs[0].To, []string{"a@example.org", "b@example.org"}) {
		t.Fatalf("Query(sent) = %+v", rs)
	}
	// The refused recipient is found by its own status, with or without
	// its address, and the other recipient is not found as failed.
	for _, f := range []Filter{{Status: StatusFailed}, {Status: StatusFailed, To: "b@"}, {Status: StatusPartlySent, To: "a@"}} {
		if rs := query(t, j, f); len(rs) != 1 {
			t.Errorf("Query(%+v) = %d records, want 1", f, len(rs))
		}
	}
	if rs := query(t, j, Filter{Status: StatusFailed, To: "a@"}); len(rs) != 0 {
		t.Errorf("Query(failed, a@) = %+v, want none: a@ was sent", rs)
	}
	rc := rs[0].Recipients
	if len(rc) != 2 || rc[0].Status != StatusSent || rc[1].Status != StatusFailed || rc[1].Reply != "550 5.1.1 no such user" {
		t.Errorf("Recipients = %+v", rc)
	}
}

func TestJournal_AllFailed(t *testing.T) {
	j := newFixture(t, options{}).j
	j.Claimed(claim("k", "f.eml", "a@example.org", "b@example.org"), nil)
	j.Attempt("k", "mx", nil, nil)
	// No To: the outcome is about every recipient without one.
	j.Record(Outcome{Key: "k", Status: StatusFailed, Server: "mx", Reply: "554 rejected"}, nil)
	flush(t, j)
	s := state(t, j, "k")
	if s.Status != StatusFailed || len(s.Delivered) != 0 ||
		!reflect.DeepEqual(s.Failed, []string{"a@example.org", "b@example.org"}) {
		t.Fatalf("State = %+v", s)
	}
	if last, err := j.LastSent(); err != nil || !last.IsZero() {
		t.Fatalf("LastSent = %v, %v; want zero", last, err)
	}
}

func TestJournal_DeferredThenSent(t *testing.T) {
	f := newFixture(t, options{})
	j := f.j
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	j.now = clk.now
	j.Claimed(claim("k", "f.eml", "a@example.org", "b@example.org"), nil)
	j.Attempt("k", "mx1", nil, nil)
	next := clk.now().Add(10 * time.Minute)
	j.Record(Outcome{Key: "k", To: []string{"a@example.org"}, Status: StatusSent, Server: "mx1", Reply: "250 ok"}, nil)
	j.Record(Outcome{Key: "k", To: []string{"b@example.org"}, Status: StatusDeferred, Server: "mx1",
		Reply: "451 4.7.1 greylisted", Next: next}, nil)
	flush(t, j)

	s := state(t, j, "k")
	if s.Status != StatusDeferred || s.Attempts != 1 || !s.First.Equal(clk.now()) ||
		!reflect.DeepEqual(s.Delivered, []string{"a@example.org"}) || len(s.Failed) != 0 {
		t.Fatalf("after deferral, State = %+v", s)
	}
	rs := query(t, j, Filter{Status: StatusDeferred})
	if len(rs) != 1 || !rs[0].Next.Equal(next) || rs[0].Reply != "451 4.7.1 greylisted" {
		t.Fatalf("Query(deferred) = %+v", rs)
	}

	first := clk.now()
	clk.set(next)
	j.Attempt("k", "mx2", []string{"b@example.org"}, nil)
	flush(t, j)
	if s := state(t, j, "k"); s.Status != StatusAttempted || s.Attempts != 2 || !s.First.Equal(first) {
		t.Fatalf("after second attempt, State = %+v", s)
	}
	clk.set(next.Add(time.Second))
	j.Record(Outcome{Key: "k", To: []string{"b@example.org"}, Status: StatusSent, Server: "mx2", Reply: "250 queued"}, nil)
	flush(t, j)
	s = state(t, j, "k")
	if s.Status != StatusSent || s.Attempts != 2 || !s.First.Equal(first) ||
		!reflect.DeepEqual(s.Delivered, []string{"a@example.org", "b@example.org"}) {
		t.Fatalf("after delivery, State = %+v", s)
	}
	rs = query(t, j, Filter{})
	if len(rs) != 1 || !rs[0].Next.IsZero() || rs[0].Server != "mx2" || !rs[0].Time.Equal(clk.now()) {
		t.Fatalf("Query = %+v", rs)
	}
	if last, err := j.LastSent(); err != nil || !last.Equal(clk.now()) {
		t.Fatalf("LastSent = %v, %v; want %v", last, err, clk.now())
	}
}

func TestJournal_ClaimedTwiceKeepsState(t *testing.T) {
	j := newFixture(t, options{}).j
	j.Claimed(claim("k", "f.eml", "a@example.org"), nil)
	j.Attempt("k", "mx", nil, nil)
	// Recovery after a restart claims the same key again.
	c := claim("k", "f.eml", "a@example.org", "b@example.org")
	c.Subject = "new subject"
	j.Claimed(c, nil)
	flush(t, j)
	s := state(t, j, "k")
	if s.Status != StatusAttempted || s.Attempts != 1 {
		t.Fatalf("State = %+v, want attempted with 1 attempt", s)
	}
	rs := query(t, j, Filter{})
	if len(rs) != 1 || rs[0].Subject != "new subject" || !reflect.DeepEqual(rs[0].To, []string{"a@example.org", "b@example.org"}) {
		t.Fatalf("Query = %+v", rs)
	}
}

func TestJournal_Retried(t *testing.T) {
	j := newFixture(t, options{}).j
	j.Claimed(claim("k", "f.eml", "a@example.org", "b@example.org"), nil)
	j.Attempt("k", "mx", nil, nil)
	j.Record(Outcome{Key: "k", To: []string{"a@example.org"}, Status: StatusSent, Reply: "250 ok"}, nil)
	j.Record(Outcome{Key: "k", To: []string{"b@example.org"}, Status: StatusFailed, Reply: "550 no"}, nil)
	flush(t, j)
	done, ch := doneChan()
	j.Retried("k", done)
	if err := waitDone(t, ch); err != nil {
		t.Fatalf("Retried: %v", err)
	}
	s := state(t, j, "k")
	if s.Status != StatusQueued || !reflect.DeepEqual(s.Delivered, []string{"a@example.org"}) || len(s.Failed) != 0 || s.Attempts != 1 {
		t.Fatalf("after Retried, State = %+v", s)
	}
	// retry_for counts again from the first attempt after the retry.
	if !s.First.IsZero() {
		t.Fatalf("after Retried, First = %v, want zero", s.First)
	}
	// The retry attempts only what is left.
	j.Attempt("k", "mx", nil, nil)
	j.Record(Outcome{Key: "k", Status: StatusSent, Reply: "250 ok"}, nil)
	flush(t, j)
	if s := state(t, j, "k"); s.Status != StatusSent || len(s.Delivered) != 2 || s.Attempts != 2 {
		t.Fatalf("after retry, State = %+v", s)
	}
}

func TestJournal_EventsWithoutClaim(t *testing.T) {
	j := newFixture(t, options{}).j
	j.Attempt("orphan", "mx", []string{"a@example.org"}, nil)
	j.Record(Outcome{Key: "orphan", To: []string{"a@example.org"}, Status: StatusSent, Reply: "250"}, nil)
	j.Retried("ghost", nil)
	flush(t, j)
	if s := state(t, j, "orphan"); !s.Found || s.Status != StatusSent || s.Attempts != 1 {
		t.Fatalf("orphan State = %+v", s)
	}
	if s := state(t, j, "ghost"); !s.Found || s.Status != StatusQueued {
		t.Fatalf("ghost State = %+v", s)
	}
	if s := state(t, j, "never"); s.Found {
		t.Fatalf("unknown key: State = %+v, want not found", s)
	}
}

func TestJournal_RecordBadStatus(t *testing.T) {
	j := newFixture(t, options{}).j
	good, goodCh := doneChan()
	bad, badCh := doneChan()
	j.Claimed(claim("k", "f.eml", "a@example.org"), good)
	j.Record(Outcome{Key: "k", Status: StatusQueued}, bad)
	if err := waitDone(t, badCh); err == nil || !strings.Contains(err.Error(), "queued") {
		t.Fatalf("bad outcome: err = %v, want one naming the status", err)
	}
	if err := waitDone(t, goodCh); err != nil {
		t.Fatalf("a bad event spoiled a good one: %v", err)
	}
	if err := j.Flush(); err == nil {
		t.Fatal("Flush after a bad event returned nil")
	}
	if s := state(t, j, "k"); s.Status != StatusQueued {
		t.Fatalf("State = %+v", s)
	}
}

func TestMessageStatus(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	if _, err := db.Exec(schema[2]); err != nil {
		t.Fatal(err)
	}
	S, D, F, A, Q, K, P := StatusSent, StatusDeferred, StatusFailed, StatusAttempted, StatusQueued, StatusSkipped, StatusPartlySent
	for _, tc := range []struct {
		rcpts   []Status
		outcome Status
		want    Status
	}{
		{nil, S, S},
		{nil, F, F},
		{[]Status{S}, S, S},
		{[]Status{S, S}, S, S},
		{[]Status{F, F}, F, F},
		{[]Status{S, F}, F, P},
		{[]Status{K, F}, F, P},
		{[]Status{K, K}, K, S},
		{[]Status{S, K}, S, S},
		{nil, K, S},
		{[]Status{K, D}, D, D},
		{[]Status{S, D}, S, D},
		{[]Status{F, D, S}, D, D},
		{[]Status{S, A}, S, A},
		{[]Status{F, Q}, F, A},
	} {
		key := fmt.Sprint(tc.rcpts, tc.outcome)
		for i, r := range tc.rcpts {
			if _, err := db.Exec(`INSERT INTO recipients (key, addr, status, at) VALUES (?, ?, ?, 0)`, key, fmt.Sprint(i), string(r)); err != nil {
				t.Fatal(err)
			}
		}
		var got Status
		if err := db.QueryRow(`SELECT `+messageStatus, string(tc.outcome), nil, nil, nil, nil, key).Scan(&got); err != nil {
			t.Fatalf("messageStatus(%v, %v): %v", tc.rcpts, tc.outcome, err)
		}
		if got != tc.want {
			t.Errorf("messageStatus(%v, %v) = %v, want %v", tc.rcpts, tc.outcome, got, tc.want)
		}
	}
}

func TestJournal_QueryFilters(t *testing.T) {
	j := newFixture(t, options{}).j
	clk := &clock{}
	j.now = clk.now
	t0 := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
	add := func(at time.Time, key, file, to string, st Status) {
		clk.set(at)
		j.Claimed(claim(key, file, to, "copy@branch.example"), nil)
		j.Attempt(key, "mx", nil, nil)
		j.Record(Outcome{Key: key, Status: st, Server: "mx", Reply: "reply " + key}, nil)
	}
	add(t0, "m1", "overdue-A.eml", "Alice@Example.org", StatusSent)
	add(t0.Add(1*time.Hour), "m2", "hold-b.eml", "bob@example.net", StatusDeferred)
	add(t0.Add(2*time.Hour), "m3", "overdue-c.eml", "carol@example.org", StatusFailed)
	add(t0.Add(3*time.Hour), "m4", "overdue-d.eml", "dave@example.org", StatusSent)
	flush(t, j)
	// An event for m1 makes it the newest.
	clk.set(t0.Add(4 * time.Hour))
	j.Retried("m1", nil)
	flush(t, j)

	for _, tc := range []struct {
		name string
		f    Filter
		want []string
	}{
		{"all", Filter{}, []string{"m1", "m4", "m3", "m2"}},
		{"since", Filter{Since: t0.Add(90 * time.Minute)}, []string{"m1", "m4", "m3"}},
		{"since exact", Filter{Since: t0.Add(3 * time.Hour)}, []string{"m1", "m4"}},
		{"to case-insensitive", Filter{To: "ALICE@example"}, []string{"m1"}},
		{"to substring", Filter{To: "example.org"}, []string{"m1", "m4", "m3"}},
		{"to second recipient", Filter{To: "copy@"}, []string{"m1", "m4", "m3", "m2"}},
		{"to none", Filter{To: "zed"}, []string{}},
		// m1 was retried (queued again), but its recipients were sent.
		{"status", Filter{Status: StatusSent}, []string{"m1", "m4"}},
		{"status queued", Filter{Status: StatusQueued}, []string{"m1"}},
		{"file", Filter{File: "OVERDUE"}, []string{"m1", "m4", "m3"}},
		{"limit", Filter{Limit: 2}, []string{"m1", "m4"}},
		{"key", Filter{Key: "m3"}, []string{"m3"}},
		{"key is exact", Filter{Key: "m"}, []string{}},
		{"combined", Filter{File: "overdue", To: "example.org", Since: t0.Add(time.Hour), Limit: 1}, []string{"m1"}},
		{"combined status", Filter{File: "overdue", Status: StatusFailed}, []string{"m3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := keys(query(t, j, tc.f)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Query(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		})
	}
	rs := query(t, j, Filter{To: "bob"})
	if len(rs) != 1 || !rs[0].Time.Equal(t0.Add(time.Hour)) || !reflect.DeepEqual(rs[0].To, []string{"bob@example.net", "copy@branch.example"}) {
		t.Fatalf("Query(bob) = %+v", rs)
	}
}

func TestJournal_Purge(t *testing.T) {
	f := newFixture(t, options{})
	j := f.j
	clk := &clock{}
	j.now = clk.now
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		clk.set(t0.Add(time.Duration(i) * 24 * time.Hour))
		key := fmt.Sprintf("d%d", i)
		j.Claimed(claim(key, key+".eml", "a@example.org"), nil)
		j.Attempt(key, "mx", nil, nil)
		j.Record(Outcome{Key: key, Status: StatusSent}, nil)
	}
	// d0 is old but had an event late on day 4: it stays.
	clk.set(t0.Add(4*24*time.Hour + time.Hour))
	j.Retried("d0", nil)
	flush(t, j)

	n, err := j.Purge(time.Time{})
	if err != nil || n != 0 {
		t.Fatalf("Purge(zero) = %d, %v; want 0", n, err)
	}
	n, err = j.Purge(t0.Add(3 * 24 * time.Hour)) // deletes d1, d2
	if err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2", n, err)
	}
	if got, want := keys(query(t, j, Filter{})), []string{"d0", "d4", "d3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after Purge, Query = %v, want %v", got, want)
	}
	if s := state(t, j, "d1"); s.Found {
		t.Fatalf("purged d1 still found: %+v", s)
	}
	db := rawDB(t, f.path)
	for _, table := range []string{"recipients", "events"} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table + ` WHERE key IN ('d1', 'd2')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows of purged messages left in %s", n, table)
		}
	}
	n, err = j.Purge(t0.Add(100 * 24 * time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("second Purge = %d, %v; want 3", n, err)
	}
	if rs := query(t, j, Filter{}); len(rs) != 0 {
		t.Fatalf("after purging all, Query = %v", keys(rs))
	}
}

// sqliteCode is the primary SQLite result code in err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// TestJournal_DatabaseFull fills the database (its page limit, which SQLite
// reports exactly like a full disk) and checks that the error reaches done
// and Flush, is logged once, and that recovery is logged.
func TestJournal_DatabaseFull(t *testing.T) {
	f := newFixture(t, options{})
	j := f.j
	j.Claimed(claim("before", "f.eml", "a@example.org"), nil)
	flush(t, j)

	// The writer is idle after Flush; cap the database at its current size.
	ctx := context.Background()
	if _, err := j.db.wconn.ExecContext(ctx, `PRAGMA max_page_count = 1`); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := j.db.wconn.QueryRowContext(ctx, `PRAGMA max_page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 256<<10) // needs new pages
	for i := range 3 {
		c := claim(fmt.Sprintf("full%d", i), "f.eml", "a@example.org")
		c.Subject = big
		done, ch := doneChan()
		j.Claimed(c, done)
		err := waitDone(t, ch)
		if sqliteCode(err) != sqlite3.SQLITE_FULL {
			t.Fatalf("done got %v, want SQLITE_FULL (max_page_count %d)", err, pages)
		}
		if !strings.Contains(err.Error(), f.path) {
			t.Errorf("error %q does not name the database %s", err, f.path)
		}
		ferr := j.Flush()
		if sqliteCode(ferr) != sqlite3.SQLITE_FULL {
			t.Fatalf("Flush = %v, want SQLITE_FULL", ferr)
		}
		// The error was reported; the next Flush starts clean.
		if err := j.Flush(); err != nil {
			t.Fatalf("second Flush = %v, want nil", err)
		}
	}
	errs := f.log.messages(slog.LevelError)
	if len(errs) != 1 {
		t.Fatalf("logged %d errors for one failure, want 1: %q", len(errs), errs)
	}
	if !strings.Contains(errs[0], f.path) || !strings.Contains(errs[0], "full") {
		t.Errorf("error log %q does not name the database and the problem", errs[0])
	}
	if s := state(t, j, "full0"); s.Found {
		t.Errorf("a failed event was recorded: %+v", s)
	}
	if s := state(t, j, "before"); !s.Found {
		t.Errorf("a committed event is gone")
	}

	if _, err := j.db.wconn.ExecContext(ctx, `PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	done, ch := doneChan()
	c := claim("after", "f.eml", "a@example.org")
	c.Subject = big
	j.Claimed(c, done)
	if err := waitDone(t, ch); err != nil {
		t.Fatalf("after freeing space: %v", err)
	}
	flush(t, j)
	if s := state(t, j, "after"); !s.Found {
		t.Fatal("event after recovery not recorded")
	}
	infos := f.log.messages(slog.LevelInfo)
	if len(infos) != 1 || !strings.Contains(infos[0], "works again") || !strings.Contains(infos[0], f.path) {
		t.Fatalf("recovery logs = %q, want one naming the database", infos)
	}
	if errs := f.log.messages(slog.LevelError); len(errs) != 1 {
		t.Fatalf("logged %d errors, want 1", len(errs))
	}
}

// TestJournal_DatabaseLocked holds the write lock from another connection
// (as another program could), so that the journal's writes time out.
func TestJournal_DatabaseLocked(t *testing.T) {
	f := newFixture(t, options{busyTimeout: 200 * time.Millisecond})
	j := f.j
	j.Claimed(claim("k", "f.eml", "a@example.org"), nil)
	flush(t, j)

	ctx := context.Background()
	other, err := rawDB(t, f.path).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		done, ch := doneChan()
		j.Attempt("k", "mx", nil, done)
		if err := waitDone(t, ch); sqliteCode(err) != sqlite3.SQLITE_BUSY {
			t.Fatalf("attempt %d: done got %v, want SQLITE_BUSY", i, err)
		}
		if err := j.Flush(); sqliteCode(err) != sqlite3.SQLITE_BUSY {
			t.Fatalf("Flush = %v, want SQLITE_BUSY", err)
		}
		// Reads do not wait for the lock.
		if s := state(t, j, "k"); s.Status != StatusQueued {
			t.Fatalf("State while locked = %+v", s)
		}
	}
	errs := f.log.messages(slog.LevelError)
	if len(errs) != 1 || !strings.Contains(errs[0], f.path) || !strings.Contains(errs[0], "locked") {
		t.Fatalf("error logs = %q, want one naming the database and the lock", errs)
	}

	if _, err := other.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	j.Attempt("k", "mx", nil, nil)
	flush(t, j)
	if s := state(t, j, "k"); s.Status != StatusAttempted || s.Attempts != 1 {
		t.Fatalf("after unlock, State = %+v", s)
	}
	if infos := f.log.messages(slog.LevelInfo); len(infos) != 1 || !strings.Contains(infos[0], "works again") {
		t.Fatalf("recovery logs = %q", infos)
	}
}

func TestOpen_CorruptFile(t *testing.T) {
	path := filepath.Join(spooltest.TempDir(t), "journal.db")
	garbage := []byte(strings.Repeat("this is not a database\n", 500))
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := Open(path, nil)
	if err == nil {
		j.Close()
		t.Fatal("Open of a garbage file succeeded")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "move") {
		t.Errorf("error %q should name %s and say to move it aside", err, path)
	}
	got, rerr := os.ReadFile(path)
	if rerr != nil || string(got) != string(garbage) {
		t.Errorf("the corrupt file was changed or removed (%v)", rerr)
	}
}

func TestOpen_MissingFolder(t *testing.T) {
	path := filepath.Join(spooltest.TempDir(t), "nope", "journal.db")
	j, err := Open(path, nil)
	if err == nil {
		j.Close()
		t.Fatal("Open in a missing folder succeeded")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

func TestOpen_SchemaVersion(t *testing.T) {
	f := newFixture(t, options{})
	var v int
	if err := rawDB(t, f.path).QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion {
		t.Fatalf("user_version = %d, %v; want %d", v, err, schemaVersion)
	}
	if err := f.j.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening an existing database keeps its data.
	j, err := Open(f.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()

	db := rawDB(t, f.path)
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	j, err = Open(f.path, nil)
	if err == nil {
		j.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
	if !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), f.path) {
		t.Errorf("error %q", err)
	}
}

func TestJournal_Close(t *testing.T) {
	f := newFixture(t, options{})
	j := f.j
	for i := range 200 {
		key := fmt.Sprintf("k%d", i)
		j.Claimed(claim(key, key+".eml", "a@example.org"), nil)
		j.Record(Outcome{Key: key, Status: StatusSent}, nil)
	}
	// Close commits what is queued.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	done, ch := doneChan()
	j.Claimed(claim("late", "f", "a@example.org"), done)
	if err := waitDone(t, ch); !errors.Is(err, ErrClosed) {
		t.Errorf("Claimed after Close: done got %v, want ErrClosed", err)
	}
	if err := j.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close = %v", err)
	}
	if _, err := j.State("k1"); !errors.Is(err, ErrClosed) {
		t.Errorf("State after Close = %v", err)
	}
	if _, err := j.Purge(time.Now()); !errors.Is(err, ErrClosed) {
		t.Errorf("Purge after Close = %v", err)
	}

	j2, err := Open(f.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if rs := query(t, j2, Filter{Status: StatusSent}); len(rs) != 200 {
		t.Fatalf("after reopening, %d sent messages, want 200", len(rs))
	}
}

func TestJournal_Concurrent(t *testing.T) {
	j := newFixture(t, options{}).j
	const workers, per = 8, 100
	var callbacks, fromCallback atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				key := fmt.Sprintf("w%d-%d", w, i)
				to := fmt.Sprintf("r%d@example.org", i)
				count := func(err error) {
					if err != nil {
						t.Errorf("%s: %v", key, err)
					}
					callbacks.Add(1)
				}
				j.Claimed(claim(key, key+".eml", to), count)
				j.Attempt(key, "mx", []string{to}, count)
				j.Record(Outcome{Key: key, To: []string{to}, Status: StatusSent, Reply: "250"}, func(err error) {
					count(err)
					// Callbacks may queue more events without deadlock.
					j.Retried("cb-"+key, func(err error) {
						if err != nil {
							t.Errorf("cb-%s: %v", key, err)
						}
						fromCallback.Add(1)
					})
				})
				if i%10 == 0 {
					if _, err := j.State(key); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	flush(t, j) // commits the workers' events, whose callbacks queue more
	flush(t, j) // commits those
	if got, want := callbacks.Load(), int64(workers*per*3); got != want {
		t.Fatalf("%d callbacks ran, want %d", got, want)
	}
	if got, want := fromCallback.Load(), int64(workers*per); got != want {
		t.Fatalf("%d callbacks of events queued from callbacks ran, want %d", got, want)
	}
	if rs := query(t, j, Filter{Status: StatusSent}); len(rs) != workers*per {
		t.Fatalf("%d sent messages, want %d", len(rs), workers*per)
	}
	if rs := query(t, j, Filter{Status: StatusQueued}); len(rs) != workers*per {
		t.Fatalf("%d queued (retried) messages, want %d", len(rs), workers*per)
	}
}

// TestJournal_SecondProcess opens the journal from another process while
// this one has it open, both reading and writing.
func TestJournal_SecondProcess(t *testing.T) {
	if path := os.Getenv("JOURNAL_TEST_CHILD"); path != "" {
		childProcess(path)
		return
	}
	f := newFixture(t, options{})
	j := f.j
	j.Claimed(claim("parent", "p.eml", "a@example.org"), nil)
	j.Attempt("parent", "mx", nil, nil)
	j.Record(Outcome{Key: "parent", Status: StatusSent}, nil)
	flush(t, j)

	cmd := exec.Command(os.Args[0], "-test.run=^TestJournal_SecondProcess$")
	cmd.Env = append(os.Environ(), "JOURNAL_TEST_CHILD="+f.path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "child saw parent sent") {
		t.Fatalf("child output:\n%s", out)
	}
	// The parent keeps writing and sees the child's writes.
	j.Attempt("child", "mx", nil, nil)
	flush(t, j)
	if s := state(t, j, "child"); !s.Found || s.Attempts != 1 || s.Status != StatusAttempted {
		t.Fatalf("child's message in parent: %+v", s)
	}
}

func childProcess(path string) {
	fail := func(err error) {
		fmt.Println("child:", err)
		os.Exit(1)
	}
	j, err := Open(path, nil)
	if err != nil {
		fail(err)
	}
	s, err := j.State("parent")
	if err != nil {
		fail(err)
	}
	if s.Status == StatusSent {
		fmt.Println("child saw parent sent")
	}
	j.Claimed(claim("child", "c.eml", "b@example.org"), nil)
	if err := j.Close(); err != nil {
		fail(err)
	}
}

// starts are the ways a benchmark records a message's claim and attempt: Begin,
// as the gateway does, or Claimed then Attempt, the two events it replaced
// (kept to compare them in the same run).
var starts = []struct {
	name  string
	start func(j *Journal, c Claim, done func(error))
}{
	{"Begin", func(j *Journal, c Claim, done func(error)) { j.Begin(c, "mx.example.net", c.To, done) }},
	{"ClaimedAttempt", func(j *Journal, c Claim, done func(error)) {
		j.Claimed(c, done)
		j.Attempt(c.Key, "mx.example.net", c.To, done)
	}},
}

func benchClaim(i int) Claim {
	key := fmt.Sprintf("m%d", i)
	return Claim{Key: key, File: key + ".eml", MessageID: "<" + key + "@ils>", From: "ils@library.example",
		To: []string{"patron@example.org"}, Subject: "Overdue notice", Size: 2048, Kind: "overdue", Unit: "main"}
}

// BenchmarkJournal_SentPath journals b.N messages (claim and attempt, then
// Record sent, one recipient) from 4 goroutines that do not wait for their
// callbacks, then waits for everything to be durable.
func BenchmarkJournal_SentPath(b *testing.B) {
	for _, st := range starts {
		b.Run(st.name, func(b *testing.B) {
			j := newFixture(b, options{}).j
			const workers = 4
			var failed atomic.Int64
			done := func(err error) {
				if err != nil {
					failed.Add(1)
				}
			}
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := w; i < b.N; i += workers {
						c := benchClaim(i)
						st.start(j, c, done)
						j.Record(Outcome{Key: c.Key, To: c.To, Status: StatusSent, Server: "mx.example.net",
							Reply: "250 2.0.0 Ok: queued"}, done)
					}
				})
			}
			wg.Wait()
			if err := j.Flush(); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d events failed", n)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(b.N)/float64(j.commits), "msgs/commit")
		})
	}
}

// BenchmarkJournal_SentPathWaiting is the worst case for group commit: one
// goroutine that waits for each message's Record to be durable before the
// next, so every message costs at least one fsync.
func BenchmarkJournal_SentPathWaiting(b *testing.B) {
	for _, st := range starts {
		b.Run(st.name, func(b *testing.B) {
			j := newFixture(b, options{}).j
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				c := benchClaim(i)
				st.start(j, c, nil)
				done, ch := doneChan()
				j.Record(Outcome{Key: c.Key, To: c.To, Status: StatusSent, Reply: "250 2.0.0 Ok"}, done)
				if err := waitDone(b, ch); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(b.N)/float64(j.commits), "msgs/commit")
		})
	}
}

// TestOpen_Durability checks the settings the durability contract rests on.
func TestOpen_Durability(t *testing.T) {
	j := newFixture(t, options{}).j
	ctx := context.Background()
	var mode string
	var sync, timeout int
	if err := j.db.wconn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := j.db.wconn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if err := j.db.wconn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 || timeout != 5000 {
		t.Fatalf("journal_mode=%s synchronous=%d busy_timeout=%d; want wal, 2 (FULL), 5000", mode, sync, timeout)
	}
}

func TestPending_CountsQueuedEvents(t *testing.T) {
	j, err := Open(filepath.Join(spooltest.TempDir(t), "j.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for i := 0; i < 100; i++ {
		j.Claimed(Claim{Key: fmt.Sprintf("k%d", i), File: "f", To: []string{"a@b"}}, nil)
	}
	if n := j.Pending(); n < 0 || n > 100 {
		t.Fatalf("Pending = %d", n)
	}
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := j.Pending(); n != 0 {
		t.Fatalf("Pending after Flush = %d, want 0", n)
	}
}

// Begin must leave a message exactly as Claimed followed by Attempt do, on
// a first attempt and on a retry after a partial delivery.
func TestJournal_BeginEqualsClaimedAndAttempt(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	j := newFixture(t, options{}).j
	j.now = clk.now
	rcpts := []string{"a@example.org", "b@example.org", "c@example.org"}
	two := func(key string, to []string) {
		j.Claimed(claim(key, "f.eml", rcpts...), nil)
		j.Attempt(key, "mx", to, nil)
	}
	one := func(key string, to []string) { j.Begin(claim(key, "f.eml", rcpts...), "mx", to, nil) }
	for _, step := range []struct {
		after time.Duration
		do    func(key string, s func(string, []string))
	}{
		{0, func(key string, s func(string, []string)) { s(key, rcpts[:2]) }},
		{time.Minute, func(key string, s func(string, []string)) {
			j.Record(Outcome{Key: key, To: rcpts[:1], Status: StatusSent, Server: "mx", Reply: "250 ok"}, nil)
			j.Record(Outcome{Key: key, To: rcpts[1:2], Status: StatusDeferred, Server: "mx", Reply: "451 later", Next: clk.now().Add(time.Hour)}, nil)
		}},
		{time.Hour, func(key string, s func(string, []string)) { s(key, rcpts[1:]) }},
	} {
		clk.set(clk.now().Add(step.after))
		step.do("two", two)
		step.do("one", one)
		flush(t, j)
		a, b := state(t, j, "two"), state(t, j, "one")
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("State after Claimed+Attempt\n %+v\nafter Begin\n %+v", a, b)
		}
		ra, rb := query(t, j, Filter{Key: "two"}), query(t, j, Filter{Key: "one"})
		if len(ra) != 1 || len(rb) != 1 {
			t.Fatalf("Query: %d and %d records, want 1 each", len(ra), len(rb))
		}
		ra[0].Key, ra[0].MessageID, ra[0].Subject = "", "", ""
		rb[0].Key, rb[0].MessageID, rb[0].Subject = "", "", ""
		if !reflect.DeepEqual(ra[0], rb[0]) {
			t.Fatalf("record after Claimed+Attempt\n %+v\nafter Begin\n %+v", ra[0], rb[0])
		}
	}
	if s := state(t, j, "one"); s.Status != StatusAttempted || s.Attempts != 2 || !reflect.DeepEqual(s.Delivered, rcpts[:1]) {
		t.Fatalf("after the retry: %+v", s)
	}
}

func TestJournal_BeginWithoutRecipientsIsRefused(t *testing.T) {
	j := newFixture(t, options{}).j
	done, ch := doneChan()
	j.Begin(claim("k", "f.eml", "a@example.org"), "mx", nil, done)
	if err := waitDone(t, ch); err == nil {
		t.Fatal("Begin with no recipients: done got nil, want an error")
	}
	if s := state(t, j, "k"); s.Found {
		t.Fatalf("Begin with no recipients wrote %+v", s)
	}
}
