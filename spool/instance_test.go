package spool

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// Two spools of one instance name on one folder: the second cannot take
// the lock, and learns what the first said about itself. Another instance
// name can. Once released, the lock file is gone and the lock free.
func TestLockInstance(t *testing.T) {
	dir := spooltest.TempDir(t)
	a := New(Options{Dir: dir, Instance: "box1"})
	b := New(Options{Dir: dir, Instance: "box1"})
	c := New(Options{Dir: dir, Instance: "box2"})
	unlockA, err := a.LockInstance("/data/a")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.LockInstance("/data/b")
	var held *LockedError
	if !errors.As(err, &held) || !errors.Is(err, ErrLocked) || held.About != "/data/a" || held.PID != os.Getpid() {
		t.Fatalf("a second lock of one instance: %#v, want a *LockedError naming /data/a and this process", err)
	}
	unlockC, err := c.LockInstance("/data/c")
	if err != nil {
		t.Fatalf("another instance's lock: %v", err)
	}
	path := filepath.Join(dir, InstanceLockName("box1"))
	if st, _, _ := a.Classify(filepath.Base(path)); st != Ignored || !IsInstanceLock(filepath.Base(path)) || IsInstanceLock("instance-box1.lock") {
		t.Errorf("the lock file is classified %v, want Ignored", st)
	}
	unlockA()
	unlockA() // a second call does nothing
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file is left after unlock: %v", err)
	}
	unlockB, err := b.LockInstance("/data/b")
	if err != nil {
		t.Fatalf("the lock once released: %v", err)
	}
	unlockB()
	unlockC()
	if got := names(t, dir); got != "" {
		t.Errorf("left behind: %s", got)
	}
}

// The queue folder removed and made again under a running gateway: the
// lock is let go at once (an open file in it would keep its removal from
// finishing) and taken again by the next scan of the new folder, so a
// second instance of that name still cannot start. A lock file removed
// from the same folder is taken again only after lockGrace, so as not to
// fight a removal in progress. When another process has taken the lock
// meanwhile, the scan fails.
func TestLockInstance_FolderRecreated(t *testing.T) {
	root := spooltest.TempDir(t)
	dir := filepath.Join(root, "queue")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	clock := func() time.Time { return now }
	a := New(Options{Dir: dir, Patterns: []string{"*.eml"}, Instance: "box1", Now: clock})
	b := New(Options{Dir: dir, Patterns: []string{"*.eml"}, Instance: "box1"})
	unlockA, err := a.LockInstance("/data/a")
	if err != nil {
		t.Fatal(err)
	}
	defer unlockA()
	lock := filepath.Join(dir, InstanceLockName("box1"))
	exists := func() bool { _, err := os.Lstat(lock); return err == nil }

	// The lock file alone removed: not taken again within the grace.
	if os.Getenv("SPOOLGATE_UNDER_WINE") != "" {
		// wine keeps a deleted file that is still open in its folder and
		// does not report the deletion as pending (Windows does), so the
		// loss cannot be seen until the folder goes.
		t.Skip("wine does not report a pending deletion")
	}
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Scan(0); err != nil || exists() {
		t.Fatalf("a scan just after the lock file went: %v; taken again: %v", err, exists())
	}
	now = now.Add(lockGrace)
	if _, err := a.Scan(0); err != nil || !exists() {
		t.Fatalf("a scan once the grace is over: %v; taken again: %v", err, exists())
	}

	old, _ := os.Stat(dir)
	if err := spooltest.RemoveAll(dir); err != nil {
		if runtime.GOOS == "windows" {
			// Deleting an open file is only pending until it is closed
			// before Windows 10's POSIX semantics, and under wine.
			t.Skip("the folder cannot be removed while a file in it is open:", err)
		}
		t.Fatalf("the queue folder must be removable while its instance lock is held: %v", err)
	}
	if _, err := a.Scan(0); err == nil {
		t.Fatal("a scan of a missing folder must fail")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Scan(0); err != nil {
		t.Fatalf("a scan of the folder made again: %v", err)
	}
	if fresh, _ := os.Stat(dir); os.SameFile(old, fresh) {
		// The file system gave the new folder the old one's inode: it
		// looks like the same folder, so the grace applies.
		now = now.Add(lockGrace)
		a.Scan(0)
	}
	if !exists() {
		t.Fatal("the lock was not taken again in the new folder")
	}
	if _, err := b.LockInstance("/data/b"); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second instance of that name after the folder came back: %v, want ErrLocked", err)
	}

	// Another process takes it while the folder is being made again: a's
	// scans then fail, naming the lock.
	if os.Getenv("SPOOLGATE_UNDER_WINE") != "" {
		return // wine's file locks do not exclude two handles of one process
	}
	if err := spooltest.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := lockNoted(filepath.Join(dir, InstanceLockName("box1")), "/data/b")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defer unlockFile(f)
	a.Scan(0) // in a folder with the old inode, this one only notes the loss
	now = now.Add(lockGrace)
	if _, err := a.Scan(0); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), InstanceLockName("box1")) {
		t.Fatalf("a scan after another took the lock: %v, want ErrLocked", err)
	}
}

// The lock across processes: a helper process holds it; this one cannot
// take it and reads the helper's note; once the helper ends, it can.
func TestLockInstance_OtherProcess(t *testing.T) {
	if os.Getenv("SPOOL_TEST_HOLD_DIR") != "" {
		t.Skip("the helper process")
	}
	dir := spooltest.TempDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldInstanceLock$", "-test.v")
	cmd.Env = append(os.Environ(), "SPOOL_TEST_HOLD_DIR="+dir)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer in.Close()
	sc := bufio.NewScanner(out)
	held := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "HELD") {
			held = true
			break
		}
	}
	if !held {
		t.Fatal("the helper did not take the lock")
	}
	go io.Copy(io.Discard, out)
	s := New(Options{Dir: dir, Instance: "box1"})
	_, err = s.LockInstance("/data/mine")
	var le *LockedError
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid || le.About != "/data/helper" {
		t.Fatalf("the lock held by process %d: %#v", cmd.Process.Pid, err)
	}
	if host, _ := os.Hostname(); le.Host != host || !strings.Contains(err.Error(), host) {
		t.Errorf("the holder's host: %q, want %q (%v)", le.Host, host, err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	unlock, err := s.LockInstance("/data/mine")
	if err != nil {
		t.Fatalf("once the holder ended: %v", err)
	}
	unlock()
}

// TestHelperHoldInstanceLock is the helper process of
// TestLockInstance_OtherProcess: it holds the lock until stdin closes.
func TestHelperHoldInstanceLock(t *testing.T) {
	dir := os.Getenv("SPOOL_TEST_HOLD_DIR")
	if dir == "" {
		t.Skip("only run as a helper process")
	}
	unlock, err := New(Options{Dir: dir, Instance: "box1"}).LockInstance("/data/helper")
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("HELD\n")
	io.Copy(io.Discard, os.Stdin)
	unlock()
}
