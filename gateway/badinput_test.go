package gateway

// The bad-input suite: files no ILS should write, and things done to the
// queue behind the gateway's back. Each case ends with a clear outcome,
// nothing lost, and the gateway still relaying.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// TestBadInput_Refused: files that are not messages go .BAD with a reason
// that says what is wrong, and the gateway carries on.
func TestBadInput_Refused(t *testing.T) {
	junk := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range junk {
		junk[i] = byte(rng.UintN(256))
	}
	junk[10], junk[100] = 0, 0
	cases := []struct {
		name string
		data []byte
		want string // in the .BAD.txt
	}{
		{"empty.eml", nil, "empty"},
		{"junk.eml", junk, "NUL"},
		{"headless.eml", []byte("just some text\r\nwithout any header\r\n"), "header"},
	}
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	start(t, cfg)
	for _, c := range cases {
		drop(t, cfg, c.name, c.data)
	}
	for _, c := range cases {
		base := strings.TrimSuffix(c.name, ".eml")
		waitFor(t, base+".BAD.txt exists", func() bool { return exists(cfg, base+".BAD") && exists(cfg, base+".BAD.txt") })
		reason, _ := os.ReadFile(filepath.Join(cfg.Spool.Folder, base+".BAD.txt"))
		if !strings.Contains(strings.ToLower(string(reason)), strings.ToLower(c.want)) || !strings.Contains(string(reason), c.name) {
			t.Errorf("%s.BAD.txt lacks %q or the file name:\n%s", base, c.want, reason)
		}
		kept, _ := os.ReadFile(filepath.Join(cfg.Spool.Folder, base+".BAD"))
		if !bytes.Equal(kept, c.data) {
			t.Errorf("%s.BAD does not keep the file's bytes", base)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
	stillRunning(t, cfg, srv)
}

// TestBadInput_HugeFile: a 1 GB file is refused by its size without being
// read into memory.
func TestBadInput_HugeFile(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	if err := os.MkdirAll(cfg.Spool.Folder, 0o755); err != nil {
		t.Fatal(err)
	}
	// A sparse file: 1 GB long, next to nothing on disk.
	f, err := os.Create(filepath.Join(cfg.Spool.Folder, "huge.part"))
	if err != nil {
		t.Fatal(err)
	}
	f.Write(msg("a@example.net", "huge"))
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	start(t, cfg)
	if err := os.Rename(filepath.Join(cfg.Spool.Folder, "huge.part"), filepath.Join(cfg.Spool.Folder, "huge.eml")); err != nil {
		t.Fatal(err)
	}
	var peak uint64
	waitFor(t, "huge.BAD.txt exists", func() bool {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapAlloc, m.TotalAlloc-before.TotalAlloc)
		return exists(cfg, "huge.BAD") && exists(cfg, "huge.BAD.txt")
	})
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// TotalAlloc counts every byte ever allocated: had the file been read,
	// it would have grown by 1 GB even if the garbage collector freed it.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("the gateway allocated %d MB while refusing a 1 GB file", grew>>20)
	}
	if peak > 256<<20 || after.HeapAlloc > 256<<20 {
		t.Errorf("heap reached %d MB", max(peak, after.HeapAlloc)>>20)
	}
	reason, _ := os.ReadFile(filepath.Join(cfg.Spool.Folder, "huge.BAD.txt"))
	if !strings.Contains(string(reason), "max_size") || !strings.Contains(string(reason), "1 GB") {
		t.Errorf("huge.BAD.txt:\n%s", reason)
	}
	if info, err := os.Stat(filepath.Join(cfg.Spool.Folder, "huge.BAD")); err != nil || info.Size() != 1<<30 {
		t.Errorf("huge.BAD must be the whole file: %v %v", info, err)
	}
	stillRunning(t, cfg, srv)
}

// TestBadInput_DeletedWhileQueued: a waiting file that someone deletes
// before the gateway takes it is simply not sent: no error, no storm of
// retries, and the rest is delivered.
func TestBadInput_DeletedWhileQueued(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.Delay(smtptest.StageData, 150*time.Millisecond)))
	cfg := testConfig(t, srv)
	r := start(t, cfg)
	const n = 12
	for i := 0; i < n; i++ {
		drop(t, cfg, fmt.Sprintf("q%02d.eml", i), msg("a@example.net", fmt.Sprintf("queued %d", i)))
	}
	// Delete the newest files that still wait, while the first are sent.
	deleted := map[string]bool{}
	for i := n - 1; i >= 0 && len(deleted) < 3; i-- {
		err := os.Remove(filepath.Join(cfg.Spool.Folder, fmt.Sprintf("q%02d.eml", i)))
		if err == nil {
			deleted[fmt.Sprintf("queued %d", i)] = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	if len(deleted) == 0 {
		t.Fatal("every file was taken before one could be deleted; the server is meant to be slow")
	}
	// A deferred file deleted too: it is forgotten, not retried for ever.
	srv.SetFault(smtptest.At(smtptest.StageData, smtptest.Refuse(451, [3]int{4, 3, 0}, "later")))
	drop(t, cfg, "later.eml", msg("a@example.net", "deferred then deleted"))
	waitFor(t, "later.eml is deferred", func() bool {
		for _, f := range files(t, cfg.Spool.Folder) {
			if strings.HasPrefix(f, "later.eml.") && strings.HasSuffix(f, ".deferred") {
				return true
			}
		}
		return false
	})
	for _, f := range files(t, cfg.Spool.Folder) {
		if strings.HasPrefix(f, "later.eml.") && strings.HasSuffix(f, ".deferred") {
			if err := os.Remove(filepath.Join(cfg.Spool.Folder, f)); err != nil {
				// taken for its retry this very moment: let it be sent
				delete(deleted, "deferred then deleted")
			} else {
				deleted["deferred then deleted"] = true
			}
		}
	}
	srv.SetFault(smtptest.Delay(smtptest.StageData, 150*time.Millisecond))
	waitFor(t, "every file left is sent", func() bool {
		subj := bySubject(srv.Messages())
		for i := 0; i < n; i++ {
			if s := fmt.Sprintf("queued %d", i); !deleted[s] && subj[s] == 0 {
				return false
			}
		}
		return true
	})
	waitEmpty(t, cfg)
	// Let the retry of the deleted deferred file fall due: it must not be
	// attempted nor complained about.
	time.Sleep(cfg.Spool.RetryMax + time.Second)
	subj := bySubject(srv.Messages())
	for s := range deleted {
		if subj[s] != 0 {
			t.Errorf("%q was deleted, yet sent", s)
		}
	}
	for s, c := range subj {
		if c != 1 {
			t.Errorf("%q sent %d times", s, c)
		}
	}
	if c := strings.Count(r.log.String(), "level=ERROR"); c != 0 {
		t.Errorf("%d errors logged for files deleted by someone else", c)
	}
	stillRunning(t, cfg, srv)
}

// TestBadInput_RenamedWhileQueued: a waiting file renamed by someone else
// is sent once under its new name if that is a queue name, and left alone
// if it is not.
func TestBadInput_RenamedWhileQueued(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.Spool.Settle = time.Second // so the files wait a moment
	r := start(t, cfg)
	drop(t, cfg, "a.eml", msg("a@example.net", "renamed to b"))
	drop(t, cfg, "c.eml", msg("c@example.net", "renamed to hold"))
	dir := cfg.Spool.Folder
	if err := os.Rename(filepath.Join(dir, "a.eml"), filepath.Join(dir, "b.eml")); err != nil {
		t.Fatalf("a.eml was taken within the settle time: %v", err)
	}
	if err := os.Rename(filepath.Join(dir, "c.eml"), filepath.Join(dir, "c.hold")); err != nil {
		t.Fatalf("c.eml was taken within the settle time: %v", err)
	}
	waitFor(t, "b.eml is sent", func() bool { return bySubject(srv.Messages())["renamed to b"] == 1 })
	waitFor(t, "only c.hold is left", func() bool { return fmt.Sprint(files(t, dir)) == "[c.hold]" })
	stillRunning(t, cfg, srv)
	if bySubject(srv.Messages())["renamed to hold"] != 0 {
		t.Error("a file renamed out of the queue was sent")
	}
	recs, _ := openJournal(t, cfg).Query(journal.Filter{File: "b.eml"})
	if len(recs) != 1 || recs[0].Status != journal.StatusSent {
		t.Errorf("journal for b.eml: %+v", recs)
	}
	if strings.Contains(r.log.String(), "level=ERROR") {
		t.Error("an error was logged")
	}
}

// TestBadInput_HeldOpenByWriter: a file its writer keeps appending to is
// not taken until it has stopped changing for the settle time, then it is
// sent whole. On Windows, a file its writer still holds open can't be
// renamed (a sharing violation): the gateway tries again later and sends
// it once the writer closed it.
func TestBadInput_HeldOpenByWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.Spool.Settle = time.Second
	// No check interval passes in this test: the gateway must come back
	// to the file by itself once it has settled (or its writer let go).
	cfg.Spool.Interval = time.Hour
	r := start(t, cfg)
	f, err := os.Create(filepath.Join(cfg.Spool.Folder, "slow.eml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(msg("a@example.net", "slow writer"))
	var last time.Time
	for i := 0; i < 10; i++ {
		time.Sleep(200 * time.Millisecond)
		if _, err := fmt.Fprintf(f, "line %d of a slow writer\r\n", i); err != nil {
			t.Fatal(err)
		}
		last = time.Now()
		if _, err := os.Stat(filepath.Join(cfg.Spool.Folder, "slow.eml")); err != nil {
			t.Fatalf("the file was taken while its writer was still writing (after line %d)", i)
		}
	}
	if runtime.GOOS == "windows" {
		// Held open, unchanged for longer than the settle time: the
		// gateway tries and gets a sharing violation, and must leave the
		// file as it is.
		waitFor(t, "the gateway scanned after the settle time", func() bool { return time.Since(last) > 3*cfg.Spool.Settle })
		if !exists(cfg, "slow.eml") || len(srv.Messages()) != 0 {
			t.Fatal("a file held open by its writer was taken")
		}
	}
	f.Close()
	got := srv.WaitMessages(t, 1, 30*time.Second)
	waitEmpty(t, cfg)
	if !bytes.Contains(got[0].Data, []byte("line 9 of a slow writer\r\n")) {
		t.Errorf("the message was sent before its writer finished:\n%s", got[0].Data)
	}
	if got[0].At.Before(last) {
		t.Error("the message was sent before its last line was written")
	}
	if strings.Contains(r.log.String(), "level=ERROR") {
		t.Error("an error was logged for a file still being written")
	}
	stillRunning(t, cfg, srv)
}

// TestBadInput_Burst: thousands of files dropped at once are all
// delivered, each exactly once.
func TestBadInput_Burst(t *testing.T) {
	if testing.Short() {
		t.Skip("a load test of thousands of files: the full lane runs it (bash .ci/run)")
	}
	n := 10000
	if testing.Short() || raceEnabled() || runtime.GOOS == "windows" {
		n = 3000
	}
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	start(t, cfg)
	began := time.Now()
	body := msg("a@example.net", "burst")
	for i := 0; i < n; i++ {
		// As an ILS writes: a .part file renamed into place.
		part := filepath.Join(cfg.Spool.Folder, fmt.Sprintf("b%05d.part", i))
		data := bytes.Replace(body, []byte("Subject: burst"), fmt.Appendf(nil, "Subject: burst %d", i), 1)
		if err := os.WriteFile(part, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(part, strings.TrimSuffix(part, ".part")+".eml"); err != nil {
			t.Fatal(err)
		}
	}
	dropped := time.Since(began)
	srv.WaitMessages(t, n, 10*time.Minute)
	waitEmpty(t, cfg)
	t.Logf("%d files dropped in %v, all delivered in %v", n, dropped.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	subj := bySubject(srv.Messages())
	if len(subj) != n || len(srv.Messages()) != n {
		t.Fatalf("%d distinct messages in %d deliveries, want %d", len(subj), len(srv.Messages()), n)
	}
	for s, c := range subj {
		if c != 1 {
			t.Errorf("%q delivered %d times", s, c)
		}
	}
}

// TestBadInput_ManyRecipients: a message to 5,000 recipients reaches
// every one of them, once.
func TestBadInput_ManyRecipients(t *testing.T) {
	const n = 5000
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	start(t, cfg)
	var to strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			to.WriteString(",\r\n ")
		}
		fmt.Fprintf(&to, "patron%04d@example.net", i)
	}
	drop(t, cfg, "many.eml", msg(to.String(), "many recipients"))
	waitEmpty(t, cfg)
	rcpts := map[string]int{}
	for _, m := range srv.Messages() {
		for _, r := range m.To {
			rcpts[r]++
		}
	}
	if len(rcpts) != n {
		t.Fatalf("%d distinct recipients got it, want %d", len(rcpts), n)
	}
	for r, c := range rcpts {
		if c != 1 {
			t.Errorf("%s got it %d times", r, c)
		}
	}
	t.Logf("%d recipients in %d transaction(s)", n, len(srv.Messages()))
	j := openJournal(t, cfg)
	recs, _ := j.Query(journal.Filter{})
	if len(recs) != 1 || recs[0].Status != journal.StatusSent || len(recs[0].To) != n {
		t.Fatalf("journal: %d records", len(recs))
	}
}

// TestBadInput_FileNames: names with spaces and letters outside ASCII are
// relayed; so, on Linux, are names with characters Windows reserves, and
// their claimed and .BAD names stay legal there. On Windows such names
// can't be created at all.
func TestBadInput_FileNames(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	start(t, cfg)
	names := []string{"with space.eml", "Åsa Łódź Řeřicha Жуков.eml", " leading and trailing .eml"}
	reserved := []string{"a:b.eml", "a?b.eml", "a*b.eml", `a"b.eml`, "a<b>c.eml", `a|b.eml`, `a\b.eml`}
	if runtime.GOOS == "windows" {
		for _, name := range reserved[1:] { // wine maps ':' to an alternate stream or a legal name
			if err := os.WriteFile(filepath.Join(cfg.Spool.Folder, name), []byte("x"), 0o644); err == nil {
				t.Errorf("%q could be created on Windows", name)
			}
		}
	} else {
		names = append(names, reserved...)
	}
	for i, name := range names {
		drop(t, cfg, name, msg("a@example.net", fmt.Sprintf("name %d", i)))
	}
	// And refused ones, so their .BAD names are made from these names too.
	bad := []string{"bad " + names[1], "bad " + names[len(names)-1]}
	for _, name := range bad {
		drop(t, cfg, name, nil)
	}
	waitFor(t, "the good names are sent", func() bool { return len(srv.Messages()) == len(names) })
	waitFor(t, "only .BAD files are left", func() bool {
		left := files(t, cfg.Spool.Folder)
		return len(left) == 2*len(bad) && hasSuffix(left, ".BAD") == len(bad)
	})
	subj := bySubject(srv.Messages())
	for i, name := range names {
		if subj[fmt.Sprintf("name %d", i)] != 1 {
			t.Errorf("%q delivered %d times", name, subj[fmt.Sprintf("name %d", i)])
		}
	}
	for _, name := range bad {
		base := strings.TrimSuffix(name, ".eml")
		if !exists(cfg, base+".BAD") || !exists(cfg, base+".BAD.txt") {
			t.Errorf("%q: no %q", name, base+".BAD")
		}
	}
	recs, _ := openJournal(t, cfg).Query(journal.Filter{Status: journal.StatusSent})
	seen := map[string]bool{}
	for _, rec := range recs {
		seen[rec.File] = true
	}
	for _, name := range names {
		if !seen[name] {
			t.Errorf("the journal does not name %q", name)
		}
	}
	stillRunning(t, cfg, srv)
}
