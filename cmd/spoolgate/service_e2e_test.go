//go:build !windows

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/logfile"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// supervised is spoolgate run by runit's runsv, as a service manager runs
// it: a service folder whose run script execs `spoolgate run --config X`,
// and whose finish script records how run ended.
type supervised struct {
	svdir  string
	runsv  *exec.Cmd
	output *spooltest.Buffer // spoolgate's stderr (and runsv's)
	done   chan struct{}
}

// startSupervised starts runsv on a new service folder for config. With
// down, the service stays down until sv start or sv once.
func startSupervised(t *testing.T, config string, down bool) *supervised {
	t.Helper()
	for _, tool := range []string{"runsv", "sv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the supervisor test needs runit's %s (apt-get install runit; .ci/run installs it): %v", tool, err)
		}
	}
	svdir := filepath.Join(spooltest.TempDir(t), "spoolgate")
	if err := os.MkdirAll(svdir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := func(name, text string) {
		if err := os.WriteFile(filepath.Join(svdir, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script("run", fmt.Sprintf("#!/bin/sh\nexec %s run --config %s\n", shellQuote(binary), shellQuote(config)))
	// finish gets run's exit code (-1 after a signal) and the signal.
	script("finish", "#!/bin/sh\necho \"$1 $2\" >> ./exits\n")
	if down {
		if err := os.WriteFile(filepath.Join(svdir, "down"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := &supervised{svdir: svdir, runsv: exec.Command("runsv", svdir), output: &spooltest.Buffer{}, done: make(chan struct{})}
	s.runsv.Stdout, s.runsv.Stderr = s.output, s.output
	// runsv and the spoolgate it starts get a process group of their own,
	// so nothing of this test outlives it.
	s.runsv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.runsv.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.runsv.Wait(); close(s.done) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("spoolgate under runsv said:\n%s", s.output)
		}
		// Stop the service (killing it if it does not stop), then runsv,
		// then whatever is left of the group.
		exec.Command("sv", "-w", "30", "force-stop", svdir).Run()
		exec.Command("sv", "exit", svdir).Run()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
		}
		syscall.Kill(-s.runsv.Process.Pid, syscall.SIGKILL)
		<-s.done
	})
	// runsv is ready once its control pipe is.
	spooltest.WaitFor(t, "runsv is ready", func() bool {
		_, err := os.Stat(filepath.Join(svdir, "supervise", "control"))
		return err == nil
	})
	return s
}

// sv runs sv on the service and returns its output; a failure fails the
// test.
func (s *supervised) sv(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("sv", append(args, s.svdir)...).CombinedOutput()
	if err != nil {
		t.Fatalf("sv %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// exits returns how each run of spoolgate ended, as finish recorded it:
// "CODE SIGNAL" per run.
func (s *supervised) exits() []string {
	b, _ := os.ReadFile(filepath.Join(s.svdir, "exits"))
	return strings.Fields(strings.ReplaceAll(string(b), " ", "/"))
}

// pid is the pid of spoolgate while it runs, else 0.
func (s *supervised) pid() int {
	b, _ := os.ReadFile(filepath.Join(s.svdir, "supervise", "pid"))
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// numbered is message n of the supervisor test, with a Subject that
// tells it apart.
func numbered(n int) []byte {
	return fmt.Appendf(nil, "From: library@example.org\r\nTo: patron%d@example.net\r\nSubject: notice %03d\r\n\r\nYour loan is due.\r\n", n, n)
}

func TestE2E_UnderSupervisor_StopLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	port, sinkDir := startSink(t)
	dir := spooltest.TempDir(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder   = queue
data     = data
batch    = 0
settle   = 200ms
interval = 1m
charset  = windows-1250

[smtp]
host    = 127.0.0.1
port    = %d
timeout = 30s

[message]
from = library@example.org
`, port))
	queue := filepath.Join(dir, "queue")
	s := startSupervised(t, cfg, false)
	spooltest.WaitFor(t, "runsv runs spoolgate", func() bool { return s.pid() != 0 })
	spooltest.WaitFor(t, "spoolgate created the queue folder", func() bool { _, err := os.Stat(queue); return err == nil })

	// It handles files: three are relayed, one is refused.
	for _, n := range []string{"due-soon-en.eml", "reminder-sv.eml", "legacy-pickup-pl-windows1250.eml", "no-recipients.eml"} {
		copyExample(t, queue, n)
	}
	spooltest.WaitFor(t, "three messages reached the SMTP server", func() bool { return len(sinkMessages(t, sinkDir)) == 3 })
	spooltest.WaitFor(t, "the refused file is .BAD", func() bool {
		_, err := os.Stat(filepath.Join(queue, "no-recipients.BAD"))
		return err == nil
	})

	// A burst of files, and a stop by the supervisor (SIGTERM) while it is
	// being relayed.
	const burst = 40
	for i := range burst {
		if err := spool.WriteFile(queue, fmt.Sprintf("notice-%03d.eml", i), numbered(i), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spooltest.WaitFor(t, "the burst is being relayed", func() bool { return len(sinkMessages(t, sinkDir)) > 3 })
	pid := s.pid()
	if out := s.sv(t, "-w", "60", "stop"); !strings.HasPrefix(out, "ok: down:") {
		t.Fatalf("sv stop: %s", out)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("spoolgate (pid %d) still runs after sv stop", pid)
	}
	spooltest.WaitFor(t, "finish recorded how spoolgate ended", func() bool { return len(s.exits()) == 1 })
	if got := s.exits()[0]; got != "0/0" {
		t.Fatalf("spoolgate ended with exit/signal %s after SIGTERM, want a clean exit 0 (0/0)", got)
	}

	// Nothing lost, nothing half-claimed: each file of the burst was
	// relayed once or is still waiting under its own name.
	sentBurst := map[int]int{}
	for _, m := range sinkMessages(t, sinkDir) {
		var n int
		if i := bytes.Index(m.Data, []byte("Subject: notice ")); i >= 0 {
			fmt.Sscanf(string(m.Data[i+len("Subject: notice "):]), "%d", &n)
			sentBurst[n]++
		}
	}
	ents, err := os.ReadDir(queue)
	if err != nil {
		t.Fatal(err)
	}
	waiting := map[int]bool{}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, spool.SuffixSending):
			t.Errorf("%s is left half-claimed after a clean stop", name)
		case strings.HasPrefix(name, "notice-"):
			var n int
			if _, err := fmt.Sscanf(name, "notice-%03d.eml", &n); err != nil || name != fmt.Sprintf("notice-%03d.eml", n) {
				t.Errorf("unexpected file in the queue after the stop: %s", name)
				continue
			}
			waiting[n] = true
		case name == "no-recipients.BAD" || name == "no-recipients.BAD.txt":
		default:
			t.Errorf("unexpected file in the queue after the stop: %s", name)
		}
	}
	for i := range burst {
		switch {
		case sentBurst[i] > 1:
			t.Errorf("notice %03d was relayed %d times", i, sentBurst[i])
		case sentBurst[i] == 1 && waiting[i]:
			t.Errorf("notice %03d was relayed and is still queued", i)
		case sentBurst[i] == 0 && !waiting[i]:
			t.Errorf("notice %03d is lost: neither relayed nor queued", i)
		}
	}
	t.Logf("at the stop, %d of %d files of the burst were relayed and %d still queued", len(sentBurst), burst, len(waiting))

	// The log file is in the data folder, and says spoolgate stopped.
	logs, _ := filepath.Glob(filepath.Join(dir, "data", "log", logfile.Prefix+"*"+logfile.Suffix))
	if len(logs) == 0 {
		t.Fatal("no log file in data/log")
	}
	var logText strings.Builder
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		logText.Write(b)
	}
	for _, want := range []string{"spoolgate is relaying", "msg=stopped"} {
		if !strings.Contains(logText.String(), want) {
			t.Errorf("the log file lacks %q:\n%s", want, logText.String())
		}
	}

	// Started again by the supervisor, it relays what was left.
	s.sv(t, "-w", "60", "start")
	spooltest.WaitFor(t, "every file of the burst was relayed", func() bool { return len(sinkMessages(t, sinkDir)) == 3+burst })
	spooltest.WaitFor(t, "only the refused file and its reason are left", func() bool {
		return slices.Equal(dirNames(queue), []string{"no-recipients.BAD", "no-recipients.BAD.txt"})
	})
	if out := s.sv(t, "-w", "60", "stop"); !strings.HasPrefix(out, "ok: down:") {
		t.Fatalf("sv stop: %s", out)
	}
	spooltest.WaitFor(t, "finish recorded the second run's end", func() bool { return len(s.exits()) == 2 })
	if got := s.exits()[1]; got != "0/0" {
		t.Errorf("the second run ended with exit/signal %s, want 0/0", got)
	}
	seen := map[int]int{}
	for _, m := range sinkMessages(t, sinkDir) {
		var n int
		if i := bytes.Index(m.Data, []byte("Subject: notice ")); i >= 0 {
			fmt.Sscanf(string(m.Data[i+len("Subject: notice "):]), "%d", &n)
			seen[n]++
		}
	}
	for i := range burst {
		if seen[i] != 1 {
			t.Errorf("notice %03d was relayed %d times, want once", i, seen[i])
		}
	}
}

func TestE2E_UnderSupervisor_BadConfigFails(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	dir := spooltest.TempDir(t)
	cfg := writeConfig(t, dir, "[spool]\nfolder = queue\nbatch = ten\n\n[smtp]\nhost = 127.0.0.1\n\n[message]\nfrom = library@example.org\n")
	s := startSupervised(t, cfg, true)
	s.sv(t, "once")
	spooltest.WaitFor(t, "finish recorded how spoolgate ended", func() bool { return len(s.exits()) == 1 })
	if got := s.exits()[0]; got != "2/0" {
		t.Errorf("a bad config ended with exit/signal %s, want exit code 2 (2/0)", got)
	}
	spooltest.WaitFor(t, "the reason reached the supervisor's log", func() bool {
		return strings.Contains(s.output.String(), "[spool] batch")
	})
	if !strings.Contains(s.output.String(), cfg) {
		t.Errorf("the reason must name the config file:\n%s", s.output)
	}
	if _, err := os.Stat(filepath.Join(dir, "queue")); err == nil {
		t.Error("a refused config must not create folders")
	}
}
