//go:build unix

package spool

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/safefile"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// Everything the queue writer can put in the folder that is not a regular
// file is claimed like any file (a rename opens nothing) and then refused
// by Read at once, naming its kind: never read, never waited on, nothing
// of a link's target in the error.
func TestRead_NotRegular(t *testing.T) {
	s := newTestSpool(t, "box1", 0)
	dir := s.Dir()
	secret := filepath.Join(spooltest.TempDir(t), "shadow-like")
	if err := os.WriteFile(secret, []byte("hunter2-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(secret, filepath.Join(dir, "password.eml")))
	must(os.Symlink("/dev/zero", filepath.Join(dir, "zero.eml")))
	must(os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling.eml")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo.eml"), 0o600))
	l, err := net.Listen("unix", filepath.Join(dir, "sock.eml"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	for name, want := range map[string]safefile.Kind{
		"password.eml": safefile.Link, "zero.eml": safefile.Link, "dangling.eml": safefile.Link,
		"fifo.eml": safefile.Pipe, "sock.eml": safefile.Socket,
	} {
		c := claimOne(t, s, name)
		done := make(chan error, 1)
		go func() { _, err := s.Read(c, 25<<20); done <- err }()
		select {
		case err := <-done:
			var nr *safefile.NotRegularError
			if !errors.As(err, &nr) || nr.Kind != want {
				t.Errorf("%s: %v, want it refused as %s", name, err, want)
				continue
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "shadow-like") ||
				strings.Contains(err.Error(), "/dev/zero") || strings.Contains(err.Error(), "nowhere") {
				t.Errorf("%s: the error quotes the target: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: Read blocked", name)
		}
	}
}

// A reason file that is a link to /dev/zero, a link to a secret or a
// socket is refused at once, as a named pipe is (TestReadReason_FIFO).
func TestReadReason_NotRegular(t *testing.T) {
	dir := spooltest.TempDir(t)
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("-- spoolgate --\r\nFile: hunter2\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.BAD.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "secret.BAD.txt")); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock.BAD.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, name := range []string{"zero.BAD.txt", "secret.BAD.txt", "sock.BAD.txt"} {
		done := make(chan error, 1)
		go func() {
			r, err := ReadReason(filepath.Join(dir, name))
			if r.File != "" {
				err = errors.New("read through: File " + r.File)
			}
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: %v, want ErrNotRegular", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: ReadReason blocked", name)
		}
	}
}

// A named pipe, or a link, put where the instance lock goes is refused,
// promptly: no lock is taken on it and nothing is written into it.
func TestLockInstance_NotRegular(t *testing.T) {
	for _, kind := range []string{"fifo", "link"} {
		s := newTestSpool(t, "box1", 0)
		path := filepath.Join(s.Dir(), InstanceLockName("box1"))
		target := filepath.Join(spooltest.TempDir(t), "elsewhere")
		var err error
		if kind == "fifo" {
			err = syscall.Mkfifo(path, 0o600)
		} else {
			err = os.Symlink(target, path)
		}
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			unlock, err := s.LockInstance("data")
			if err == nil {
				unlock()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s: the lock was taken", kind)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: LockInstance blocked", kind)
		}
		if _, err := os.Lstat(target); err == nil {
			t.Errorf("%s: a file was made through the link", kind)
		}
	}
}
