package logfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// clock is a settable clock for the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// A fixed zone, so the tests mean the same on every machine.
var zone = time.FixedZone("CET", 3600)

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWrite_SwitchesFileAtMidnight(t *testing.T) {
	dir := filepath.Join(spooltest.TempDir(t), "log")
	c := &clock{t: time.Date(2026, 3, 9, 23, 59, 58, 0, zone)}
	lf, err := Open(dir, 30, WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	fmt.Fprintln(lf, "before midnight")
	if got, want := lf.Path(), filepath.Join(dir, "spoolgate-2026-03-09.log"); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	c.set(time.Date(2026, 3, 10, 0, 0, 0, 0, zone))
	fmt.Fprintln(lf, "after midnight")
	fmt.Fprintln(lf, "later that day")
	if got, want := names(t, dir), []string{"spoolgate-2026-03-09.log", "spoolgate-2026-03-10.log"}; !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	if got := read(t, filepath.Join(dir, "spoolgate-2026-03-09.log")); got != "before midnight\n" {
		t.Errorf("the first day's file holds %q", got)
	}
	if got := read(t, filepath.Join(dir, "spoolgate-2026-03-10.log")); got != "after midnight\nlater that day\n" {
		t.Errorf("the second day's file holds %q", got)
	}
	if got, want := lf.Path(), filepath.Join(dir, "spoolgate-2026-03-10.log"); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
}

func TestWrite_AppendsToTodaysFileAfterRestart(t *testing.T) {
	dir := spooltest.TempDir(t)
	c := &clock{t: time.Date(2026, 3, 9, 8, 0, 0, 0, zone)}
	for _, line := range []string{"first run\n", "second run\n"} {
		lf, err := Open(dir, 7, WithClock(c.now))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lf.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
		if err := lf.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := read(t, filepath.Join(dir, "spoolgate-2026-03-09.log")); got != "first run\nsecond run\n" {
		t.Errorf("got %q", got)
	}
}

func TestOpen_DeletesFilesOlderThanDays(t *testing.T) {
	dir := spooltest.TempDir(t)
	// Days 1 to 9 of March, and files that are not spoolgate's logs.
	for d := 1; d <= 9; d++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("spoolgate-2026-03-%02d.log", d)), []byte("old\n"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	others := []string{"notes.txt", "spoolgate-2026-01-01.log.gz", "spoolgate-yesterday.log", "other-2026-01-01.log"}
	for _, n := range others {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	// On the 10th with days = 3, the files of the 7th, 8th and 9th are
	// younger than 3 days (the 7th ended at midnight on the 8th); the 6th
	// and before go.
	c := &clock{t: time.Date(2026, 3, 10, 0, 0, 1, 0, zone)}
	lf, err := Open(dir, 3, WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	want := append([]string{"spoolgate-2026-03-07.log", "spoolgate-2026-03-08.log", "spoolgate-2026-03-09.log", "spoolgate-2026-03-10.log"}, others...)
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after Open: %v\nwant %v", got, want)
	}

	// At the next midnight the 7th expires too.
	c.set(time.Date(2026, 3, 11, 0, 0, 0, 0, zone))
	fmt.Fprintln(lf, "a new day")
	want = slices.DeleteFunc(want, func(n string) bool { return n == "spoolgate-2026-03-07.log" })
	want = append(want, "spoolgate-2026-03-11.log")
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Fatalf("after midnight: %v\nwant %v", got, want)
	}
}

func TestWrite_ConcurrentWritesStayWhole(t *testing.T) {
	dir := spooltest.TempDir(t)
	c := &clock{t: time.Date(2026, 3, 9, 23, 0, 0, 0, zone)}
	lf, err := Open(dir, 2, WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if w == 0 && i == 100 {
					c.set(time.Date(2026, 3, 10, 0, 0, 0, 0, zone))
				}
				if _, err := fmt.Fprintf(lf, "writer %d line %03d %s\n", w, i, strings.Repeat("x", 100)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := lf.Close(); err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, n := range names(t, dir) {
		for _, l := range strings.Split(strings.TrimSuffix(read(t, filepath.Join(dir, n)), "\n"), "\n") {
			var w, i int
			var x string
			if _, err := fmt.Sscanf(l, "writer %d line %d %s", &w, &i, &x); err != nil || len(x) != 100 {
				t.Fatalf("a torn line in %s: %q", n, l)
			}
			lines++
		}
	}
	if lines != 8*200 {
		t.Errorf("%d lines written, want %d", lines, 8*200)
	}
}

func TestWrite_AfterClose(t *testing.T) {
	lf, err := Open(spooltest.TempDir(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := lf.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := lf.Write([]byte("late\n")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close: %v, want os.ErrClosed", err)
	}
	if err := lf.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

func TestOpen_FileMode(t *testing.T) {
	dir := filepath.Join(spooltest.TempDir(t), "data", "log")
	lf, err := Open(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	fi, err := os.Stat(lf.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(lf.Path()), Prefix) || filepath.Base(lf.Path()) != Name(time.Now()) {
		t.Errorf("today's file is %s, want %s", lf.Path(), Name(time.Now()))
	}
	if runtime.GOOS == "windows" {
		// Windows has no permission bits: the file must at least be writable.
		if fi.Mode().Perm()&0o200 == 0 {
			t.Errorf("mode %v: not writable", fi.Mode())
		}
		return
	}
	if got := fi.Mode().Perm(); got&^0o640 != 0 {
		t.Errorf("the log file's mode is %v, want at most 0640", got)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm()&^0o750 != 0 {
		t.Errorf("the log folder: %v, %v; want at most 0750", fi.Mode(), err)
	}
	// A file another tool made wider is narrowed when it is opened.
	lf.Close()
	if err := os.Chmod(lf.Path(), 0o666); err != nil {
		t.Fatal(err)
	}
	lf, err = Open(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if fi, err := os.Stat(lf.Path()); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("a log file of mode 0666, opened again: %v, %v; want 0640", fi.Mode(), err)
	}
}

func TestOpen_RefusesZeroDays(t *testing.T) {
	if _, err := Open(spooltest.TempDir(t), 0); err == nil {
		t.Error("Open with days = 0 must fail")
	}
}

func TestOpen_FolderCannotBeCreated(t *testing.T) {
	dir := spooltest.TempDir(t)
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(blocker, "log"), 1); err == nil || !strings.Contains(err.Error(), "log file") {
		t.Errorf("Open under a file: %v, want a log file error", err)
	}
}
