//go:build unix

package main

import (
	"context"
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
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
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
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	dir := spooltest.TempDir(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart.ini"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, string(b))
	// The shell ignores SIGHUP as nohup does, and exec keeps it ignored.
	d := &runningBinary{cmd: exec.Command("/bin/sh", "-c", `trap "" HUP; exec "$0" run --config "$1"`, binary, cfg),
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

// The README's quick start works pasted as one block: its commands run in
// bash, in a copy of the examples with the built binary standing in for
// go build, and without .ci/run (the whole test suite).
func TestREADME_QuickStartPastes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "\n## Quick start\n")
	_, rest, ok2 := strings.Cut(rest, "\n```sh\n")
	block, _, ok3 := strings.Cut(rest, "\n```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("no ```sh block under ## Quick start in README.md")
	}
	lines := strings.Split(block, "\n")
	for _, l := range lines {
		// zsh, the macOS shell, runs a pasted # as a command.
		if strings.HasPrefix(strings.TrimSpace(l), "#") || strings.Contains(l, " #") {
			t.Errorf("a comment in the block breaks pasting into zsh: %q", l)
		}
	}
	if lines[0] != "go build -o spoolgate ./cmd/spoolgate" || lines[len(lines)-1] != "bash .ci/run" {
		t.Fatalf("the block does not build first and run the tests last:\n%s", block)
	}

	dir := spooltest.TempDir(t)
	ex := filepath.Join(dir, "examples")
	if err := os.CopyFS(filepath.Join(ex, "messages"), os.DirFS(filepath.Join("..", "..", "examples", "messages"))); err != nil {
		t.Fatal(err)
	}
	ini, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart.ini"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ex, "quickstart.ini"), ini, 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "spoolgate"), exe, 0o755); err != nil {
		t.Fatal(err)
	}

	script := strings.Join(lines[1:len(lines)-1], "\n")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the block failed: %v\n%s", err, out)
	}
	captured, _ := filepath.Glob(filepath.Join(ex, "outbox", "*.eml"))
	if len(captured) != 3 {
		t.Errorf("%d messages captured, want 3:\n%s", len(captured), out)
	}
	for _, want := range []string{
		"spoolgate is relaying",
		"no-recipients.eml",                // the .BAD.txt names the file
		"legacy-pickup-pl-windows1250.eml", // sent lists it
		"msg=stopped",                      // kill $! stopped it in order
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
}
