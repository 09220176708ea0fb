//go:build unix

package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// An admin runs spoolgate's commands as root (sudo) on a machine where
// the data and queue folders belong to the service's account: the morning
// scan by hand, a console user, a test message, the daily log now, and
// the gateway itself in a console. Every file and folder they leave in
// those folders belongs to the service's account, which could otherwise
// no longer write its state (notices.db, journal.db, the log folder, the
// lock files) or read its accounts.
func TestRootCommands_LeaveTheServicesFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, as an admin's sudo: .ci/run runs the tests as root")
	}
	const svc = 65534 // nobody, as the service's account
	dir := spooltest.TempDir(t)
	queue, data := filepath.Join(dir, "queue"), filepath.Join(dir, "data")
	for _, d := range []string{queue, data} {
		if err := os.Mkdir(d, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, svc, svc); err != nil {
			t.Fatal(err)
		}
	}
	loans, err := os.ReadFile(filepath.Join("..", "..", "examples", "loans.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "loans.csv"), loans, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, "[spool]\nfolder = queue\ndata = data\nbatch = 0\nsettle = 0s\n\n[smtp]\ncapture = outbox\n\n"+
		"[message]\nfrom = library@example.org\n\n[log]\ndaily_to = librarian@example.org\n\n"+
		"[overdue]\nenabled = true\nloans = loans.csv\n\n[console]\nlisten = 127.0.0.1:"+strconv.Itoa(freePort(t))+"\n")

	add := exec.Command(binary, "console", "user", "add", "anna", "--role", "admin", "--config", cfg)
	add.Stdin = strings.NewReader("correct horse battery\ncorrect horse battery\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("console user add: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"overdue", "--config", cfg},
		{"test", "--config", cfg, "--to", "admin@example.org"},
		{"report", "--send", "--config", cfg},
	} {
		if _, stderr, code := spoolgate(t, args...); code != 0 {
			t.Fatalf("spoolgate %s: exit %d\n%s", args[0], code, stderr)
		}
	}
	d := startDaemon(t, cfg)
	spooltest.WaitFor(t, "the queue relayed into the capture folder", func() bool {
		ents, _ := os.ReadDir(queue)
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), ".") { // the instance's lock
				return false
			}
		}
		return true
	})
	if code := d.stop(t); code != 0 {
		t.Fatalf("run: exit %d", code)
	}

	var seen int
	for _, root := range []string{queue, data} {
		filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			seen++
			fi, err := os.Lstat(p)
			if err != nil {
				t.Error(err)
				return nil
			}
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != svc {
				t.Errorf("%s belongs to uid %d, not the service's %d", p, st.Uid, svc)
			}
			return nil
		})
	}
	for _, want := range []string{"notices.db", "journal.db", "console-users", "log"} {
		if _, err := os.Lstat(filepath.Join(data, want)); err != nil {
			t.Errorf("the commands left no %s: %v", want, err)
		}
	}
	if seen < 8 {
		t.Errorf("only %d files and folders looked at", seen)
	}
	var log bytes.Buffer
	log.WriteString(d.log())
	if strings.Contains(log.String(), "permission denied") {
		t.Errorf("the gateway met a permission it lacked:\n%s", log.String())
	}
}
