package health

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestTracker_RecordsEveryChange(t *testing.T) {
	dir := spooltest.TempDir(t)
	t0 := time.Date(2026, 12, 2, 14, 2, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { return now }
	tr := NewTracker(dir, "lib", []string{"smtp", "smtp.backup"}, clock)
	if _, err := Read(dir, "lib"); !errors.Is(err, ErrNone) {
		t.Fatalf("Read before Start: %v, want ErrNone", err)
	}
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	r, err := Read(dir, "lib")
	if err != nil || r.Relay("smtp").State != Unknown || r.PID != os.Getpid() {
		t.Fatalf("after Start: %+v, %v", r, err)
	}

	next := now.Add(5 * time.Minute)
	got, changed := tr.Down("smtp", "login-refused", "main (mx:587)", "535 5.7.8 Authentication credentials invalid", next, "")
	if !changed || got.Failures != 1 || !got.Since.Equal(now) {
		t.Fatalf("first Down = %+v, %v", got, changed)
	}
	now = now.Add(5 * time.Minute)
	got, changed = tr.Down("smtp", "login-refused", "main (mx:587)", "535 5.7.8 Authentication credentials invalid", now.Add(10*time.Minute), "")
	if changed || got.Failures != 2 || !got.Since.Equal(t0) {
		t.Fatalf("second Down = %+v, %v; want the same since and 2 failures", got, changed)
	}
	r, err = Read(dir, "lib")
	if err != nil {
		t.Fatal(err)
	}
	w := r.Worst()
	if w.Chain != "smtp" || w.State != Unavailable || w.Cause != "login-refused" || w.Reply == "" || !w.NextAttempt.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("Worst = %+v", w)
	}
	if r.Relay("smtp.backup").State != Unknown {
		t.Errorf("the backup chain = %+v, want unknown", r.Relay("smtp.backup"))
	}

	now = now.Add(10 * time.Minute)
	was, recovered := tr.Up("smtp")
	if !recovered || was.Cause != "login-refused" {
		t.Fatalf("Up = %+v, %v", was, recovered)
	}
	if _, again := tr.Up("smtp"); again {
		t.Error("a second Up reported a recovery")
	}
	r, _ = Read(dir, "lib")
	if h := r.Relay("smtp"); h.State != Available || !h.Since.Equal(now) || h.Cause != "" {
		t.Fatalf("after Up: %+v", h)
	}
}

func TestRead_RefusesWhatItDidNotWrite(t *testing.T) {
	dir := spooltest.TempDir(t)
	path := filepath.Join(dir, FileName("x"))
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir, "x"); err == nil {
		t.Error("Read of a damaged record succeeded")
	}
	os.Remove(path)
	if runtime.GOOS == "windows" {
		return
	}
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(dir, "x"); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Read through a symlink to /dev/zero succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read through a symlink to /dev/zero did not return")
	}
}
