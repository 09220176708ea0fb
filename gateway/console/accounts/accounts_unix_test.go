//go:build unix

package accounts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spoolgate/spoolgate/spool/safefile"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// The file is written 0600, even under a permissive umask.
func TestStore_Mode0600(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	s, path := newStore(t)
	if err := s.Add("alice", Admin, "0123456789"); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("mode %o after Add, want 600", m)
	}
	if _, err := s.AddToken("ci", Admin); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("mode %o after AddToken, want 600", m)
	}
}

// A file readable by others is narrowed to 0600 when it is read.
func TestOpen_NarrowsMode(t *testing.T) {
	s, path := newStore(t)
	if err := s.Add("alice", Admin, "0123456789"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("mode %o after Open, want 600", m)
	}
	if err := os.Chmod(path, 0o664); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("bob", Admin, "0123456789"); err != nil { // a new file, made 0600
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("mode %o after Add, want 600", m)
	}
}

// A symbolic link planted in place of the file is refused, for reads and
// writes, and what it points to is left alone.
func TestOpen_SymlinkRefused(t *testing.T) {
	dir := spooltest.TempDir(t)
	target := filepath.Join(dir, "elsewhere")
	secret := "alice\tuser\tadmin\t$2a$04$0123456789012345678901uABCDEFGHIJKLMNOPQRSTUVWXYZ0123\t2025-01-02T03:04:05Z\n"
	if err := os.WriteFile(target, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if !errors.Is(err, safefile.ErrNotRegular) || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("Open of a link = %v, want it refused as a symbolic link", err)
	}

	// Planted after Open: reads let nobody in, writes are refused.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(); !errors.Is(err, safefile.ErrNotRegular) {
		t.Errorf("List through a link = %v", err)
	}
	if _, ok := s.Verify("alice", "anything at all"); ok {
		t.Error("Verify read through a link")
	}
	if err := s.Add("bob", Admin, "0123456789"); !errors.Is(err, safefile.ErrNotRegular) {
		t.Errorf("Add through a link = %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != secret {
		t.Errorf("the link's target changed:\n%s", b)
	}
	if m := mode(t, target); m != 0o644 {
		t.Errorf("the link's target's mode changed to %o", m)
	}
}
