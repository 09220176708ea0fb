//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// SIGHUP (a closed terminal or SSH session) stops a foreground run as
// Ctrl-C and SIGTERM do: after the messages in flight, with exit code 0,
// the log saying why. Without its own handler Go would end the process at
// once.
func TestE2E_SIGHUPStopsInOrder(t *testing.T) {
	dir, cfg, d := startQuickstart(t)
	spooltest.WaitFor(t, "the run is relaying", func() bool { return strings.Contains(d.log(), "spoolgate is relaying") })
	copyExample(t, filepath.Join(dir, "queue"), "due-soon-en.eml")
	spooltest.WaitFor(t, "the message is captured", func() bool {
		captured, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		return len(captured) == 1
	})
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("after SIGHUP: %v, want exit code 0", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("spoolgate did not stop within 60 s of SIGHUP")
	}
	// In this order: why, then the gateway's own words.
	log, at := d.log(), 0
	for _, want := range []string{"hangup signal received", "stopping: finishing the messages in flight", "msg=stopped"} {
		i := strings.Index(log[at:], want)
		if i < 0 {
			t.Errorf("the log lacks %q after byte %d:\n%s", want, at, log)
			continue
		}
		at += i
	}
	code, stdout, _ := spoolgateIn(t, dir, "status", "--config", cfg)
	if code != exitNotInstalled || !strings.Contains(stdout, "Spoolgate: not running") {
		t.Errorf("status after SIGHUP: exit %d, stdout:\n%s", code, stdout)
	}
}

// Run under nohup (SIGHUP ignored), spoolgate keeps it ignored: a hangup
// does not stop it, SIGTERM still does.
func TestE2E_NohupKeepsSIGHUPIgnored(t *testing.T) {
	dir := spooltest.TempDir(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart.ini"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, string(b))
	// The shell ignores SIGHUP as nohup does, and exec keeps it ignored.
	d := &daemon{cmd: exec.Command("/bin/sh", "-c", `trap "" HUP; exec "$0" run --config "$1"`, binary, cfg),
		stderr: &spooltest.Buffer{}, done: make(chan error, 1)}
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("spoolgate's log:\n%s", d.log())
		}
	})
	spooltest.WaitFor(t, "the run is relaying", func() bool { return strings.Contains(d.log(), "spoolgate is relaying") })
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		t.Fatalf("a run with SIGHUP ignored ended on SIGHUP: %v", err)
	case <-time.After(2 * time.Second):
	}
	copyExample(t, filepath.Join(dir, "queue"), "due-soon-en.eml")
	spooltest.WaitFor(t, "the message is captured after the hangup", func() bool {
		captured, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		return len(captured) == 1
	})
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
}
