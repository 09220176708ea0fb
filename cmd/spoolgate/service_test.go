package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/views"
	"github.com/spoolgate/spoolgate/installer"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// spoolgateIn runs the real binary in the working folder dir and returns
// its exit code and output.
func spoolgateIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// A broken config is refused before anything happens: no account, no
// folder, no service, nothing in the working folder.
func TestInstall_RefusesABrokenConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	site := spooltest.TempDir(t)
	writeConfig(t, site, "[spool]\nfolder = queue\nbatch = ten\n[smtp]\nhost = mail.example.org\n[message]\nfrom = library@example.org\n")
	cwd := spooltest.TempDir(t)

	code, stdout, stderr := spoolgateIn(t, cwd, "install", "--config", filepath.Join(site, "spoolgate.ini"), "--user", "spoolgate-test")
	if code != 2 || !strings.Contains(stderr, "batch") || !strings.Contains(stderr, `"ten"`) {
		t.Errorf("exit %d, want 2 with the config error; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(site, "queue")); err == nil {
		t.Error("the queue folder was created for a broken config")
	}
	if ents, _ := os.ReadDir(cwd); len(ents) != 0 {
		t.Errorf("install left %d files in the working folder", len(ents))
	}
	if st, err := installer.Status(); err != nil || st != installer.NotInstalled {
		t.Errorf("service state after a refused install: %v, %v", st, err)
	}
}

func TestInstall_RefusesBadFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	cwd := spooltest.TempDir(t)
	code, _, stderr := spoolgateIn(t, cwd, "install", "--no-such-flag")
	if code != 2 || !strings.Contains(stderr, "no-such-flag") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// The tests never install a service, so here it is not installed: status
// says so with exit code 4, and still shows the queue.
func TestStatus_NotInstalledShowsTheQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	site := spooltest.TempDir(t)
	cfg := writeConfig(t, site, "[spool]\nfolder = queue\n[smtp]\ncapture = outbox\n[message]\nfrom = library@example.org\n")

	code, stdout, stderr := spoolgateIn(t, site, "status", "--config", cfg)
	if code != exitNotInstalled || !strings.Contains(stdout, "Service: not installed") ||
		!strings.Contains(stdout, "does not exist yet") {
		t.Errorf("no queue folder: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	queue := filepath.Join(site, "queue")
	if err := os.MkdirAll(queue, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.eml", "b.eml"} {
		if err := spool.WriteFile(queue, name, []byte("To: patron@example.net\r\n\r\nhi\r\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := spool.WriteFile(queue, "c.BAD", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = spoolgateIn(t, site, "status", "--config", cfg)
	if code != exitNotInstalled || !strings.Contains(stdout, "Service: not installed") ||
		!strings.Contains(stdout, "Queue: 2 waiting") || !strings.Contains(stdout, "1 .BAD") ||
		!strings.Contains(stdout, "nothing sent yet") || !strings.Contains(stderr, "not installed") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// status --json is the console's /api/status document: the same facts
// as the text, and the same exit code.
func TestStatus_JSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	site := spooltest.TempDir(t)
	cfg := writeConfig(t, site, "[spool]\nfolder = queue\n[smtp]\ncapture = outbox\n[message]\nfrom = library@example.org\n")
	queue := filepath.Join(site, "queue")
	if err := os.MkdirAll(queue, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.eml", "b.eml", "c.BAD"} {
		if err := spool.WriteFile(queue, name, []byte("To: patron@example.net\r\n\r\nhi\r\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := spoolgateIn(t, site, "status", "--json", "--config", cfg)
	var doc views.Status
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not one JSON document (%v):\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	if code != exitNotInstalled || doc.Service != "not-installed" || doc.Running || doc.Queue == nil ||
		doc.Queue.Waiting != 2 || doc.Queue.Bad != 1 || doc.Queue.Oldest == nil || doc.Relay.State != "not-running" ||
		doc.WhyWaiting == nil || doc.WhyWaiting.Reason != "not-running" || doc.Instance == "" {
		t.Errorf("exit %d, document %+v (queue %+v)", code, doc, doc.Queue)
	}
}

func TestStatus_BrokenConfigExits2(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	site := spooltest.TempDir(t)
	cfg := writeConfig(t, site, "[spool]\nfolder = queue\nsettle = soon\n[smtp]\ncapture = outbox\n[message]\nfrom = library@example.org\n")
	code, stdout, stderr := spoolgateIn(t, site, "status", "--config", cfg)
	if code != 2 || !strings.Contains(stdout, "Service: ") || !strings.Contains(stderr, "settle") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// Controlling a service that is not there fails and says why.
func TestControl_NotInstalled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	cwd := spooltest.TempDir(t)
	for _, c := range []string{"start", "stop", "restart", "uninstall"} {
		code, stdout, stderr := spoolgateIn(t, cwd, c)
		if code != 1 || !(strings.Contains(stderr, "not installed") || strings.Contains(stderr, "systemd")) {
			t.Errorf("%s: exit %d, stdout:\n%s\nstderr:\n%s", c, code, stdout, stderr)
		}
	}
	if ents, _ := os.ReadDir(cwd); len(ents) != 0 {
		t.Errorf("%d files left in the working folder", len(ents))
	}
}

// A spoolgate run in a console holds the instance lock, and status says it
// is running (exit 0), though the service is not; once it has stopped,
// status says it is not.
func TestStatus_SeesAForegroundRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	dir, cfg, d := startQuickstart(t)
	spooltest.WaitFor(t, "the run is relaying", func() bool { return strings.Contains(d.log(), "spoolgate is relaying") })
	code, stdout, stderr := spoolgateIn(t, dir, "status", "--config", cfg)
	if code != 0 || !strings.Contains(stdout, "Service: not installed") ||
		!strings.Contains(stdout, "Spoolgate: running (in the foreground, not as the service)") || stderr != "" {
		t.Errorf("while it runs: exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// status only looked: the run goes on, and a second run still refuses.
	if _, stderr, code := spoolgate(t, "run", "--config", cfg); code != 1 || !strings.Contains(stderr, "already running") {
		t.Errorf("a second run after status: exit %d:\n%s", code, stderr)
	}
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
	code, stdout, stderr = spoolgateIn(t, dir, "status", "--config", cfg)
	if code != exitNotInstalled || !strings.Contains(stdout, "Spoolgate: not running") {
		t.Errorf("after it stopped: exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, exitNotInstalled, stdout, stderr)
	}
}

// status never creates the instance lock: made by root before the service
// first ran, it would lock the service's account out.
func TestStatus_DoesNotCreateTheLock(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	site := spooltest.TempDir(t)
	cfg := writeConfig(t, site, "[spool]\nfolder = queue\ndata = data\ninstance = one\n[smtp]\ncapture = outbox\n[message]\nfrom = library@example.org\n")
	if err := os.MkdirAll(filepath.Join(site, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := spoolgateIn(t, site, "status", "--config", cfg)
	if code != exitNotInstalled || !strings.Contains(stdout, "Spoolgate: not running") {
		t.Errorf("exit %d, stdout:\n%s", code, stdout)
	}
	if names := dirNames(filepath.Join(site, "data")); len(names) != 0 {
		t.Errorf("status left %v in the data folder", names)
	}
}
