//go:build unix

package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/relay"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
)

// A link to /dev/zero, dropped or left claimed by a crashed run, is set
// aside at once without being read: memory stays flat, and a restart
// does not read it again (it is .BAD, and stays so).
func TestHostile_LinkToDevZero(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	symlinkOrSkip(t, "/dev/zero", filepath.Join(cfg.Spool.Folder, "zero.eml"))
	// As a crash would leave it: claimed by this instance, so recovery
	// meets it first.
	symlinkOrSkip(t, "/dev/zero", filepath.Join(cfg.Spool.Folder, "crashed.eml.test-lx0000001abcdef"+spool.SuffixSending))
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	r := start(t, cfg)
	for _, bad := range []string{"zero.BAD", "crashed.BAD"} {
		reason := badOf(t, cfg, bad)
		if !strings.Contains(reason, "Cause: not-a-file") || len(leaks(reason)) > 0 {
			t.Errorf("%s.txt:\n%s", bad, reason)
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// Reading /dev/zero even up to max_size (25 MB here) would allocate
	// more than this; unbounded, it ran out of memory.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("the gateway allocated %d MB while setting aside links to /dev/zero", grew>>20)
	}
	t.Logf("allocated %.1f MB in all while the links were set aside", float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
	neverDeferred(t, r, cfg)
	r.stop()

	// A restart finds them set aside, and leaves them so.
	r2 := start(t, cfg)
	stillRunning(t, cfg, srv)
	r2.stop()
	if got := files(t, cfg.Spool.Folder); strings.Join(got, " ") != "crashed.BAD crashed.BAD.txt zero.BAD zero.BAD.txt" {
		t.Errorf("after a restart the queue holds %v", got)
	}
	if strings.Contains(r2.log.String(), "zero") {
		t.Errorf("the restart touched the links:\n%s", r2.log.String())
	}
}

// A named pipe called x.eml is set aside at once, never opened for a
// read that would wait for a writer: the files beside it are sent, and
// the stop is prompt. A named pipe called y.BAD.txt, beside y.BAD, does
// not hold up the gateway either.
func TestHostile_FIFO(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	if err := os.MkdirAll(cfg.Spool.Folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(cfg.Spool.Folder, "x.eml"), 0o666); err != nil {
		t.Skip("no named pipes here:", err)
	}
	if err := syscall.Mkfifo(filepath.Join(cfg.Spool.Folder, "y.BAD.txt"), 0o666); err != nil {
		t.Fatal(err)
	}
	drop(t, cfg, "y.BAD", []byte("x"))
	for i := 0; i < 3; i++ {
		drop(t, cfg, fmt.Sprintf("m%d.eml", i), msg("a@example.net", fmt.Sprintf("beside a pipe %d", i)))
	}
	r := start(t, cfg)
	srv.WaitMessages(t, 3, 60*time.Second)
	reason := badOf(t, cfg, "x.BAD")
	if !strings.Contains(reason, "named pipe") || !strings.Contains(reason, "Cause: not-a-file") {
		t.Errorf("x.BAD.txt:\n%s", reason)
	}
	if fi, err := os.Lstat(filepath.Join(cfg.Spool.Folder, "x.BAD")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("x.BAD must be the pipe itself: %v %v", fi, err)
	}
	began := time.Now()
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	if took > 15*time.Second {
		t.Errorf("the stop took %v", took)
	}
	t.Logf("the stop took %v", took.Round(time.Millisecond))
	neverDeferred(t, r, cfg)
}

// A socket in the queue is set aside at once, as not-a-file.
func TestHostile_Socket(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	if err := os.MkdirAll(cfg.Spool.Folder, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(cfg.Spool.Folder, "s.eml"))
	if err != nil {
		t.Skip("no Unix sockets here:", err)
	}
	defer l.Close()
	r := start(t, cfg)
	reason := badOf(t, cfg, "s.BAD")
	if !strings.Contains(reason, "a socket") || !strings.Contains(reason, "Cause: not-a-file") {
		t.Errorf("s.BAD.txt:\n%s", reason)
	}
	stillRunning(t, cfg, srv)
	neverDeferred(t, r, cfg)
}

// A newline (and a carriage return) in a file name forges no line in the
// .BAD.txt file nor in the log: the reason escapes it, the BAD name has
// "_" for it, and the retry command names the BAD file.
func TestHostile_NewlineInName(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	name := "evil\r\nCause: forged\r\n-- spoolgate --\nFile: forged.eml\nlevel=ERROR msg=forged x.eml"
	drop(t, cfg, name, []byte("no header here\r\n"))
	r := start(t, cfg)
	bad := "evil__Cause: forged__-- spoolgate --_File: forged.eml_level=ERROR msg=forged x.BAD"
	reason := badOf(t, cfg, bad)
	lines := strings.Split(reason, "\r\n")
	count := func(prefix string) int {
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				n++
			}
		}
		return n
	}
	if count("Cause: ") != 1 || count("-- spoolgate --") != 1 || count("File: forged") != 0 || count("level=") != 0 {
		t.Errorf("forged lines in the reason file:\n%s", reason)
	}
	if strings.Count(reason, "\n") != strings.Count(reason, "\r\n") {
		t.Errorf("a bare line end in the reason file:\n%q", reason)
	}
	if !strings.Contains(reason, `spoolgate retry "`+bad+`"`) {
		t.Errorf("the retry command does not name the BAD file:\n%s", reason)
	}
	rs, err := spool.ReadReason(filepath.Join(cfg.Spool.Folder, bad+".txt"))
	if err != nil || rs.File != name || rs.Cause != string(cause.NotAMessage) {
		t.Errorf("reason read back: File %q Cause %q, %v", rs.File, rs.Cause, err)
	}
	r.stop()
	for _, l := range strings.Split(r.log.String(), "\n") {
		if strings.HasPrefix(l, "Cause:") || strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "level=ERROR msg=forged") || strings.HasPrefix(l, "-- spoolgate") {
			t.Errorf("a forged log line: %q", l)
		}
	}
}

// The journal (journal.db, -wal, -shm) and the .BAD.txt files are never
// readable by others: at most 0640, spoolgate's account and its group.
func TestHostile_FileModes(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	r := start(t, cfg)
	drop(t, cfg, "sent.eml", msg("a@example.net", "modes"))
	drop(t, cfg, "refused.eml", []byte("no header\r\n"))
	srv.WaitMessages(t, 1, 60*time.Second)
	badOf(t, cfg, "refused.BAD")
	path := filepath.Join(cfg.Spool.Data, JournalFile)
	check := func() {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm", filepath.Join(cfg.Spool.Folder, "refused.BAD.txt")} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(p), err)
				continue
			}
			if perm := fi.Mode().Perm(); perm&0o027 != 0 {
				t.Errorf("%s has mode %v: others (or the group, for writing) have access", filepath.Base(p), perm)
			}
		}
	}
	check() // while running: the -wal and -shm are there
	if fi, err := os.Stat(cfg.Spool.Data); err == nil && fi.Mode().Perm()&0o007 != 0 {
		t.Errorf("the data folder has mode %v", fi.Mode().Perm())
	}
	r.stop()
}

// diskFull makes the queue folder refuse new files while a refused
// message is being set aside: a 1 MB tmpfs filled up (root on Linux) or,
// for any other account, a folder made read-only. It returns the
// function that makes room again.
type diskFull struct {
	folder string
	filler string
	mu     sync.Mutex
	full   bool
}

func (d *diskFull) fill() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if os.Geteuid() != 0 {
		d.full = true
		return os.Chmod(d.folder, 0o555)
	}
	f, err := os.Create(d.filler)
	if err != nil {
		return err
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				return err
			}
			d.full = true
			return nil
		}
	}
}

func (d *diskFull) room() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if os.Geteuid() != 0 {
		return os.Chmod(d.folder, 0o755)
	}
	return os.Remove(d.filler)
}

// refusingSender refuses every message for good, after filling the disk.
type refusingSender struct{ disk *diskFull }

func (s *refusingSender) Connect(context.Context) error { return nil }
func (s *refusingSender) Close() error                  { return nil }
func (s *refusingSender) Send(_ context.Context, d *relay.Delivery) (*relay.Result, error) {
	if err := s.disk.fill(); err != nil {
		return nil, err
	}
	return nil, &relay.Error{Permanent: true, Cause: cause.SpamPolicy, Server: "relay (test)", Stage: "data", Code: 554,
		Enhanced: "5.7.1", Reply: "554 5.7.1 refused by policy"}
}

// A refused file whose .BAD.txt cannot be written (a full disk) stays
// claimed and is set aside as soon as there is room again, without a
// restart, with its reason; the failure is logged once.
func TestHostile_SetAsideRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	cfg := testConfig(t, nil)
	cfg.SMTP = serverConfig("smtp", "127.0.0.1", 1)
	if err := os.MkdirAll(cfg.Spool.Folder, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &diskFull{folder: cfg.Spool.Folder, filler: filepath.Join(cfg.Spool.Folder, ".filler")}
	if os.Geteuid() == 0 {
		if runtime.GOOS != "linux" || exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", cfg.Spool.Folder).Run() != nil {
			t.Skip("root, and no tmpfs could be mounted: a full disk cannot be made here")
		}
		t.Cleanup(func() {
			if out, err := exec.Command("umount", cfg.Spool.Folder).CombinedOutput(); err != nil {
				t.Errorf("umount: %v: %s", err, out)
			}
		})
	}
	t.Cleanup(func() { os.Chmod(cfg.Spool.Folder, 0o755) })
	drop(t, cfg, "refused.eml", msg("a@example.net", "refused"))
	r := start(t, cfg, WithSenders(&refusingSender{disk: d}))
	waitFor(t, "the failure to set it aside is logged", func() bool {
		return strings.Contains(r.log.String(), "cannot set a refused file aside")
	})
	if n := hasSuffix(files(t, cfg.Spool.Folder), spool.SuffixSending); n != 1 {
		t.Fatalf("the refused file is not left claimed: %v", files(t, cfg.Spool.Folder))
	}
	time.Sleep(12 * time.Second) // a few tries, all failing
	if err := d.room(); err != nil {
		t.Fatal(err)
	}
	roomAt := time.Now()
	reason := badOf(t, cfg, "refused.BAD")
	t.Logf("set aside %v after there was room again", time.Since(roomAt).Round(100*time.Millisecond))
	if !strings.Contains(reason, "554 5.7.1 refused by policy") || !strings.Contains(reason, "Cause: spam-policy") {
		t.Errorf("refused.BAD.txt:\n%s", reason)
	}
	if n := hasSuffix(files(t, cfg.Spool.Folder), spool.SuffixSending); n != 0 {
		t.Errorf("still claimed: %v", files(t, cfg.Spool.Folder))
	}
	r.stop()
	log := r.log.String()
	if n := strings.Count(log, "cannot set a refused file aside"); n != 1 {
		t.Errorf("the failure was logged %d times at error level, want once", n)
	}
	if !strings.Contains(log, "could be set aside at last") {
		t.Error("the log does not say it was set aside at last")
	}
	recs, err := openJournal(t, cfg).Query(journal.Filter{File: "refused.eml"})
	if err != nil || len(recs) != 1 || recs[0].Status != journal.StatusFailed {
		t.Errorf("journal: %+v %v", recs, err)
	}
}
