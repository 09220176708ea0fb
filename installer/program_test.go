package installer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daemon"
	"github.com/spoolgate/spoolgate/gateway/logfile"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

const testMessage = "From: library@example.org\r\nTo: patron@example.net\r\nSubject: Your loan is due\r\n\r\nPlease return the book.\r\n"

// siteFor writes a config that relays to srv with the given answer
// time-out, and returns its path and the queue folder.
func siteFor(t *testing.T, srv *smtptest.Server, timeout string) (cfgPath, queue string) {
	t.Helper()
	return runSite(t, srv.Host(), srv.Port(), timeout)
}

func runSite(t *testing.T, host string, port int, timeout string) (cfgPath, queue string) {
	t.Helper()
	dir := spooltest.TempDir(t)
	cfgPath = filepath.Join(dir, "spoolgate.ini")
	ini := fmt.Sprintf(`[spool]
folder   = queue
data     = data
batch    = 0
settle   = 0s
instance = test

[smtp]
host     = %s
port     = %d
security = none
timeout  = %s

[message]
from = library@example.org

[log]
days = 7
`, host, port, timeout)
	if err := os.WriteFile(cfgPath, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, filepath.Join(dir, "queue")
}

// dropTestMessage writes a message file into the queue folder.
func dropTestMessage(t *testing.T, queue, name string) {
	t.Helper()
	if err := os.MkdirAll(queue, 0o770); err != nil {
		t.Fatal(err)
	}
	if err := spool.WriteFile(queue, name, []byte(testMessage), 0o644); err != nil {
		t.Fatal(err)
	}
}

// queueFiles returns the names in the queue folder with the given suffix.
func queueFiles(queue, suffix string) []string {
	ents, _ := os.ReadDir(queue)
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), suffix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// startProgram calls Start as the service manager would, and fails the
// test if it does not return at once (within a generous 30 s, where a
// Start that ran the gateway itself would never return).
func startProgram(t *testing.T, p *Program) {
	t.Helper()
	started := make(chan error, 1)
	go func() { started <- p.Start(nil) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Start did not return: it must launch the gateway and return at once")
	}
	t.Cleanup(func() {
		p.Stop(nil)
		select {
		case <-p.Done():
		case <-time.After(60 * time.Second):
			t.Error("the gateway did not stop within 60 s")
		}
	})
}

// logFileText returns the text of the log files in the site's data folder.
func logFileText(t *testing.T, cfgPath string) string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(filepath.Dir(cfgPath), "data", logfile.Folder, "spoolgate-*.log"))
	if len(names) == 0 {
		t.Fatalf("no log file in %s", filepath.Join(filepath.Dir(cfgPath), "data", logfile.Folder))
	}
	var b strings.Builder
	for _, n := range names {
		s, _ := os.ReadFile(n)
		b.Write(s)
	}
	return b.String()
}

func TestProgram_RelaysAndStopWaitsForTheMessageInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	// The relay takes 2 s to answer DATA, so Stop comes while the message
	// is in flight, and must wait for the answer.
	reached := make(chan struct{})
	var once sync.Once
	srv := smtptest.NewServer(t, smtptest.WithFault(func(stage smtptest.Stage, _ string) *smtptest.Reply {
		if stage == smtptest.StageData {
			once.Do(func() { close(reached) })
			return &smtptest.Reply{Delay: 2 * time.Second}
		}
		return nil
	}))
	cfgPath, queue := siteFor(t, srv, "30s")
	rec := &sysRecorder{}
	p := NewProgram(cfgPath, rec)
	dropTestMessage(t, queue, "due.eml")
	startProgram(t, p)

	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		t.Fatal("the message did not reach DATA")
	}
	if err := p.Stop(nil); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Stop returned before the gateway stopped, although the relay answered within the bound")
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("the relay got %d messages, want 1", n)
	}
	if ents, _ := os.ReadDir(queue); len(ents) != 0 {
		t.Errorf("the queue folder still holds %v after a clean stop", ents)
	}
	sys := rec.text()
	for _, want := range []string{"I: spoolgate is relaying", "I: sent file=due.eml", "to=patron@example.net", "I: stopped"} {
		if !strings.Contains(sys, want) {
			t.Errorf("the system log lacks %q:\n%s", want, sys)
		}
	}
	if file := logFileText(t, cfgPath); !strings.Contains(file, "msg=sent file=due.eml") || !strings.Contains(file, "msg=stopped") {
		t.Errorf("the log file lacks the send or the stop:\n%s", file)
	}
}

func TestProgram_StopIsBoundedWhenTheRelayStalls(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	reached := make(chan struct{})
	var once sync.Once
	srv := smtptest.NewServer(t, smtptest.WithFault(func(stage smtptest.Stage, _ string) *smtptest.Reply {
		if stage == smtptest.StageData {
			once.Do(func() { close(reached) })
			return &smtptest.Reply{Stall: true}
		}
		return nil
	}))
	// The relay never answers DATA; the answer time-out is 4 s, and Stop
	// waits at most 1 s (in service, [smtp] timeout + 10 s).
	cfgPath, queue := siteFor(t, srv, "4s")
	rec := &sysRecorder{}
	p := NewProgram(cfgPath, rec)
	p.stopWait = time.Second
	dropTestMessage(t, queue, "due.eml")
	startProgram(t, p)
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		t.Fatal("the message did not reach DATA")
	}

	began := time.Now()
	if err := p.Stop(nil); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(began); took > 11*time.Second {
		t.Errorf("Stop took %v, with a bound of 1 s", took)
	}
	// Not lost: still claimed in the queue folder, where the next start
	// finds it.
	if got := queueFiles(queue, spool.SuffixSending); len(got) != 1 || !strings.HasPrefix(got[0], "due.eml.") {
		t.Errorf("after Stop, the message in flight must stay claimed in the queue folder: %v", got)
	}
	if sys := rec.text(); !strings.Contains(sys, "W: stopping without waiting longer for the message in flight") {
		t.Errorf("the system log must say that Stop gave up waiting:\n%s", sys)
	}

	// When the answer time-out ends the attempt, the message is deferred:
	// still queued, never lost, never sent.
	select {
	case <-p.Done():
	case <-time.After(60 * time.Second):
		t.Fatal("the gateway did not stop after the answer time-out")
	}
	if got := queueFiles(queue, spool.SuffixDeferred); len(got) != 1 {
		ents, _ := os.ReadDir(queue)
		t.Errorf("after the time-out the message must be deferred in the queue: %v", ents)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the stalled relay got %d messages", n)
	}
}

func TestProgram_InvalidConfigStopsAtStart(t *testing.T) {
	dir := spooltest.TempDir(t)
	cfgPath := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(cfgPath, []byte("[spool]\nfolder = queue\nbatch = ten\n\n[smtp]\nhost = 127.0.0.1\n\n[message]\nfrom = library@example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, loadErr := config.Load(cfgPath)
	if loadErr == nil {
		t.Fatal("the test config must be invalid")
	}
	rec := &sysRecorder{}
	p := NewProgram(cfgPath, rec)
	err := p.Start(nil)
	if err == nil {
		t.Fatal("Start with an invalid config must fail")
	}
	if !errors.Is(err, config.ErrConfig) || !strings.Contains(err.Error(), loadErr.Error()) {
		t.Errorf("Start's error %q must be the config error %q", err, loadErr)
	}
	if got := rec.all(); len(got) != 1 || got[0] != "E: spoolgate cannot start: "+loadErr.Error() {
		t.Errorf("the system log must hold the config error once, as an error: %q", got)
	}
	if !errors.Is(p.Err(), config.ErrConfig) {
		t.Errorf("Err() = %v, want the config error", p.Err())
	}
	if err := p.Stop(nil); err != nil {
		t.Errorf("Stop after a failed Start: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "queue")); err == nil {
		t.Error("a refused config must not create folders")
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("a refused config must not create the data folder")
	}
}

func TestProgram_GatewayCannotStart(t *testing.T) {
	// No relay is contacted.
	cfgPath, _ := runSite(t, "127.0.0.1", 25, "30s")
	// A file where the queue folder should be: the gateway cannot start.
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfgPath), "queue"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &sysRecorder{}
	err := NewProgram(cfgPath, rec).Start(nil)
	if err == nil {
		t.Fatal("Start must fail when the queue folder cannot be made")
	}
	if sys := rec.text(); !strings.Contains(sys, "E: spoolgate cannot start") {
		t.Errorf("the system log must say why spoolgate cannot start:\n%s", sys)
	}
	if file := logFileText(t, cfgPath); !strings.Contains(file, "spoolgate cannot start") {
		t.Errorf("the log file must say why spoolgate cannot start:\n%s", file)
	}
}

func TestRunForeground_LogsToStderrAndFile(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfgPath, queue := siteFor(t, srv, "30s")
	dropTestMessage(t, queue, "due.eml")
	stderr := &spooltest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- daemon.Foreground(ctx, cfgPath, stderr) }()
	srv.WaitMessages(t, 1, 60*time.Second)
	spooltest.WaitFor(t, "the sent message is logged", func() bool { return strings.Contains(stderr.String(), "msg=sent") })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("daemon.Foreground: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("runForeground did not return after its context ended")
	}
	file := logFileText(t, cfgPath)
	for _, want := range []string{"msg=sent file=due.eml", "to=patron@example.net", "msg=stopped"} {
		if !strings.Contains(stderr.String(), want) || !strings.Contains(file, want) {
			t.Errorf("%q must be on stderr and in the log file:\nstderr:\n%s\nfile:\n%s", want, stderr, file)
		}
	}
}

func TestRunForeground_InvalidConfig(t *testing.T) {
	dir := spooltest.TempDir(t)
	cfgPath := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(cfgPath, []byte("[spool]\nfolder = queue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := daemon.Foreground(context.Background(), cfgPath, &spooltest.Buffer{})
	if !errors.Is(err, config.ErrConfig) {
		t.Errorf("runForeground with an invalid config: %v, want a config error", err)
	}
}
