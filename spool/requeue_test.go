package spool

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func names(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// quarantined claims name (written fresh) and sets it aside with r.
func quarantined(t *testing.T, s *Spool, name string, r Reason) string {
	t.Helper()
	write(t, s.Dir(), name, "message "+name, time.Hour)
	st, orig, key := s.Classify(name)
	c, err := s.Claim(Entry{Name: name, Orig: orig, Key: key, State: st})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := s.Quarantine(c, r)
	if err != nil {
		t.Fatal(err)
	}
	return bad
}

// Requeue: this instance's file goes back deferred under its key; another
// instance's as a new file under its original name, or a free one like it;
// a file with no reason under a name the patterns take. The reason file
// goes, nothing is replaced and nothing is left behind.
func TestRequeue(t *testing.T) {
	s := newTestSpool(t, "box1", 0)
	dir := s.Dir()

	mine := quarantined(t, s, "mine.eml", Reason{Cause: "address-unknown"})
	e, err := s.Requeue(mine)
	if err != nil || e.State != Deferred || e.Orig != "mine.eml" || !strings.HasPrefix(e.Key, "box1-") ||
		e.Name != "mine.eml."+e.Key+SuffixDeferred || e.Size == 0 {
		t.Fatalf("this instance's file: %+v %v", e, err)
	}
	if st, orig, key := s.Classify(e.Name); st != Deferred || orig != "mine.eml" || key != e.Key {
		t.Errorf("the requeued name %s is not a deferred name of its key", e.Name)
	}
	if got := names(t, dir); got != e.Name {
		t.Fatalf("folder after requeue: %s", got)
	}
	os.Remove(filepath.Join(dir, e.Name))

	other := New(Options{Dir: dir, Patterns: []string{"*.tmp", "*.eml"}, Instance: "box2"})
	theirs := quarantined(t, other, "theirs.tmp", Reason{})
	taken := quarantined(t, other, "taken.tmp", Reason{})
	write(t, dir, "taken.tmp", "a new file of that name", 0)
	bare := quarantined(t, other, "bare.eml", Reason{})
	os.Remove(filepath.Join(dir, bare+".txt"))
	if err := os.WriteFile(filepath.Join(dir, "odd.BAD"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "odd.BAD.txt"), []byte("File: odd.txt\r\nKey: box1-zz\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for bad, want := range map[string]Entry{
		theirs:    {Name: "theirs.tmp", Orig: "theirs.tmp", State: Waiting},
		taken:     {Name: "taken.retry-1.tmp", Orig: "taken.tmp", State: Waiting},
		bare:      {Name: "bare.tmp", Orig: "bare.tmp", State: Waiting},
		"odd.BAD": {Name: "odd.tmp.box1-zz.deferred", Orig: "odd.tmp", Key: "box1-zz", State: Deferred},
	} {
		e, err := s.Requeue(bad)
		if err != nil || e.Name != want.Name || e.Orig != want.Orig || e.Key != want.Key || e.State != want.State {
			t.Errorf("Requeue(%s) = %+v, %v; want %+v", bad, e, err, want)
		}
	}
	if got, want := names(t, dir), "bare.tmp odd.tmp.box1-zz.deferred taken.retry-1.tmp taken.tmp theirs.tmp"; got != want {
		t.Errorf("folder: %s\nwant       %s", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "taken.tmp")); string(b) != "a new file of that name" {
		t.Error("Requeue replaced a file the library system had dropped")
	}

	if _, err := s.Requeue("theirs.tmp"); !errors.Is(err, ErrNotBad) {
		t.Errorf("a waiting file: %v, want ErrNotBad", err)
	}
	if _, err := s.Requeue("../x.BAD"); !errors.Is(err, ErrNotBad) {
		t.Errorf("a path: %v, want ErrNotBad", err)
	}
	if _, err := s.Requeue("gone.BAD"); err == nil {
		t.Error("a missing file must fail")
	}
	strict := New(Options{Dir: dir, Patterns: []string{"[ab]*.tmp"}, Instance: "box1"})
	if err := os.WriteFile(filepath.Join(dir, "x.BAD"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Requeue("x.BAD"); !errors.Is(err, ErrNoName) || !strings.Contains(err.Error(), "[ab]*.tmp") {
		t.Errorf("no name the patterns take: %v, want ErrNoName naming the pattern", err)
	}
}

// A requeue that cannot move the file puts the reason file back.
func TestRequeue_FailureKeepsReason(t *testing.T) {
	s := newTestSpool(t, "box1", 0)
	bad := quarantined(t, s, "a.eml", Reason{Cause: "x"})
	r, _ := ReadReason(s.ReasonPath(bad))
	// The deferred name it would take is there already (a folder, which
	// no rename replaces).
	if err := os.Mkdir(filepath.Join(s.Dir(), "a.eml."+r.Key+SuffixDeferred), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Requeue(bad); err == nil {
		t.Fatal("Requeue over an existing name must fail")
	}
	if got, _ := ReadReason(s.ReasonPath(bad)); got.Cause != "x" {
		t.Errorf("the reason file is not back: %+v", got)
	}
	if got := names(t, s.Dir()); got != "a.BAD a.BAD.txt a.eml."+r.Key+SuffixDeferred {
		t.Errorf("folder: %s", got)
	}
}

// Unmatched files (an ILS writing .txt) are reported once they are older
// than the settle time; spoolgate's own names and hidden ones never are.
func TestScan_Unmatched(t *testing.T) {
	dir := spooltest.TempDir(t)
	s := New(Options{Dir: dir, Patterns: []string{"*.eml"}, Instance: "box1", Settle: time.Minute})
	write(t, dir, "old.txt", "x", 3*time.Hour)
	write(t, dir, "older.TXT", "xy", 4*time.Hour)
	write(t, dir, "new.txt", "x", 0) // still settling: maybe about to be renamed
	write(t, dir, "a.eml", "x", time.Hour)
	for _, own := range []string{"a.BAD", "a.BAD.txt", "a.eml.box1-k.sending", "b.eml.box2-k.deferred", ".hidden", "~lock.txt", "x.txt.part", ".spoolgate-instance-box1.lock"} {
		write(t, dir, own, "x", 5*time.Hour)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Scan(0)
	if err != nil {
		t.Fatal(err)
	}
	if snap.NUnmatched != 2 || len(snap.Unmatched) != 2 || snap.Unmatched[0].Name != "older.TXT" || snap.Unmatched[1].Name != "old.txt" ||
		snap.Unmatched[0].Size != 2 || snap.Unmatched[0].State != Unmatched {
		t.Errorf("Scan: %d unmatched: %+v", snap.NUnmatched, snap.Unmatched)
	}
	if snap.Waiting != 1 || snap.Bad != 1 {
		t.Errorf("Scan: %+v", snap)
	}
	all, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range all {
		got = append(got, e.Name)
	}
	sort.Strings(got)
	if want := "a.BAD a.eml a.eml.box1-k.sending b.eml.box2-k.deferred old.txt older.TXT"; strings.Join(got, " ") != want {
		t.Errorf("List: %s\nwant  %s", strings.Join(got, " "), want)
	}

	// The bound: only the oldest MaxUnmatched are kept, all are counted.
	for i := 0; i < MaxUnmatched+5; i++ {
		write(t, dir, "n"+strings.Repeat("x", i%7)+time.Duration(i).String()+".txt", "x", time.Hour+time.Duration(i)*time.Second)
	}
	snap, _ = s.Scan(0)
	if snap.NUnmatched != MaxUnmatched+7 || len(snap.Unmatched) != MaxUnmatched || snap.Unmatched[0].Name != "older.TXT" {
		t.Errorf("bound: %d counted, %d listed, first %s", snap.NUnmatched, len(snap.Unmatched), snap.Unmatched[0].Name)
	}
}

// MakeFolder creates a folder only inside one that exists.
func TestMakeFolder(t *testing.T) {
	dir := spooltest.TempDir(t)
	q := filepath.Join(dir, "queue")
	if err := MakeFolder(q, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := MakeFolder(q, 0o755); err != nil {
		t.Fatalf("an existing folder: %v", err)
	}
	deep := filepath.Join(dir, "share", "queue")
	err := MakeFolder(deep, 0o755)
	if !errors.Is(err, ErrNoParent) || !strings.Contains(err.Error(), filepath.Join(dir, "share")) {
		t.Fatalf("a missing parent: %v, want ErrNoParent naming it", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "share")); !errors.Is(err, os.ErrNotExist) {
		t.Error("MakeFolder created the missing parent")
	}
	if CheckParent(deep) == nil || CheckParent(q) != nil || CheckParent(filepath.Join(dir, "new")) != nil {
		t.Error("CheckParent disagrees with MakeFolder")
	}
	f := filepath.Join(dir, "afile")
	os.WriteFile(f, nil, 0o644)
	if err := MakeFolder(f, 0o755); err == nil || errors.Is(err, ErrNoParent) {
		t.Errorf("a file: %v", err)
	}
}

// Enqueue writes a file the spool takes, under a name fitted to the
// patterns, and never over another.
func TestEnqueue(t *testing.T) {
	dir := spooltest.TempDir(t)
	s := New(Options{Dir: dir, Patterns: []string{"ILS_*.txt"}, Instance: "box1"})
	name, err := s.Enqueue("daily-2026-11-25", ".eml", []byte("hello"))
	if err != nil || name != "ILS_daily-2026-11-25.txt" {
		t.Fatalf("Enqueue = %q, %v", name, err)
	}
	if st, _, _ := s.Classify(name); st != Waiting {
		t.Errorf("%s is not a waiting name", name)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != "hello" {
		t.Errorf("content %q", b)
	}
	if _, err := s.Enqueue("daily-2026-11-25", ".eml", []byte("again")); !errors.Is(err, os.ErrExist) {
		t.Errorf("a second file of that name: %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != "hello" {
		t.Errorf("the first file was replaced: %q", b)
	}
	if got := names(t, dir); got != name {
		t.Errorf("left behind: %s", got)
	}
	if _, err := New(Options{Dir: dir, Patterns: []string{"[ab].txt"}}).Enqueue("x", ".eml", nil); !errors.Is(err, ErrNoName) {
		t.Errorf("no pattern gives a name: %v, want ErrNoName", err)
	}
}

// Write places a planned file and replaces one of the same name (a notice
// written again after a crash), and refuses a name that would never be
// sent.
func TestWrite_ReplacesAPlannedFile(t *testing.T) {
	dir := spooltest.TempDir(t)
	s := New(Options{Dir: dir, Patterns: []string{"*.eml"}, Instance: "box1"})
	name := s.NameFor("notice-20261203-overdue-7-abc", ".eml")
	if err := s.Write(name, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(name, []byte("again")); err != nil {
		t.Fatalf("a second write of a planned name: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != "again" {
		t.Errorf("content %q", b)
	}
	if got := names(t, dir); got != name {
		t.Errorf("left behind: %s", got)
	}
	for _, bad := range []string{"notice.txt", "x.eml.box1-k.deferred", "../x.eml"} {
		if err := s.Write(bad, []byte("x")); !errors.Is(err, ErrNoName) {
			t.Errorf("Write(%q) = %v, want ErrNoName", bad, err)
		}
	}
}
