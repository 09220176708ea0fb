//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// timed runs the binary and fails the test if it takes more than 30 s.
func timed(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	start := time.Now()
	stdout, stderr, code = spoolgate(t, args...)
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("spoolgate %s took %s", strings.Join(args, " "), d.Round(time.Second))
	}
	return stdout, stderr, code
}

// The config itself as a link, and a password file as a named pipe or a
// link to /dev/zero: each is a config error (exit 2) at once, naming the
// file or the key, and nothing waits or reads the device.
func TestPrivacy_ConfigAndSecretFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	dir := spooltest.TempDir(t)
	good := writeConfig(t, dir, "[spool]\nfolder = queue\n\n[smtp]\ncapture = outbox\n\n[message]\nfrom = library@example.org\n")
	link := filepath.Join(spooltest.TempDir(t), "spoolgate.ini")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := timed(t, "check", "--config", link)
	if code != 2 {
		t.Errorf("a linked config: exit %d, want 2\n%s", code, stderr)
	}
	wantAll(t, "a linked config", stderr, link+": this is a symbolic link", "give --config the path of the config file itself")

	fifo := filepath.Join(dir, "password.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "password.zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, zero} {
		cfg := writeConfig(t, spooltest.TempDir(t), "[spool]\nfolder = queue\n\n[smtp]\nhost = 127.0.0.1\nusername = library\npassword_file = "+p+
			"\n\n[message]\nfrom = library@example.org\n")
		for _, c := range []string{"check", "run"} {
			_, stderr, code := timed(t, c, "--config", cfg)
			if code != 2 {
				t.Errorf("%s with password_file = %s: exit %d, want 2\n%s", c, filepath.Base(p), code, stderr)
			}
			wantAll(t, c+" with password_file = "+filepath.Base(p), stderr, "[smtp] password_file", p+" is a")
		}
	}
}

// A loans export that is a named pipe used to hang the morning scan; one
// that is a link to /dev/zero, to kill it. spoolgate overdue now stops at
// once (exit 1, the export cannot be read), naming the file and the key.
func TestPrivacy_HostileLoansExport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	for name, make := range map[string]func(string) error{
		"fifo":          func(p string) error { return syscall.Mkfifo(p, 0o600) },
		"dev-zero-link": func(p string) error { return os.Symlink("/dev/zero", p) },
	} {
		dir := spooltest.TempDir(t)
		cfg := writeConfig(t, dir, "[spool]\nfolder = queue\n\n[smtp]\ncapture = outbox\n\n[message]\nfrom = library@example.org\n\n"+
			"[overdue]\nenabled = true\nloans = loans.csv\n")
		if err := make(filepath.Join(dir, "loans.csv")); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"overdue", "--config", cfg, "--dry-run"}, {"overdue", "--config", cfg}} {
			stdout, stderr, code := timed(t, args...)
			if code != 1 {
				t.Errorf("%s: %s: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), code, stdout, stderr)
			}
			wantAll(t, name+" "+strings.Join(args, " "), stdout+stderr, filepath.Join(dir, "loans.csv"), "[overdue] loans", "not a regular file")
		}
		stdout, stderr, code := timed(t, "check", "--config", cfg)
		if code == 0 || code == 2 {
			t.Errorf("%s: check exit %d, want a failed check\n%s%s", name, code, stdout, stderr)
		}
		wantAll(t, name+" check", stdout, "LOANS", filepath.Join(dir, "loans.csv")+" is a", "not a regular file")
	}
}
