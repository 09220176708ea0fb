package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// binary is the real spoolgate, built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spoolgate-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "spoolgate")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build spoolgate: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	spooltest.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startSink runs Debian's python3-aiosmtpd as a separate SMTP server
// process that writes what it receives into a folder.
func startSink(t *testing.T) (port int, outdir string) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import aiosmtpd").Run(); err != nil {
		t.Fatalf("the end-to-end tests need Debian's python3-aiosmtpd (apt-get install python3-aiosmtpd; .ci/run installs it): %v", err)
	}
	outdir = spooltest.TempDir(t)
	port = freePort(t)
	cmd := exec.Command("/usr/bin/python3", "testdata/sink.py", outdir, fmt.Sprint(port))
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "READY" {
				ready <- true
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatal("the SMTP sink did not start")
	}
	return port, outdir
}

// sinkMessages reads what the sink received: envelope and raw message.
type sunk struct {
	From        string   `json:"from"`
	To          []string `json:"to"`
	MailOptions []string `json:"mail_options"`
	Data        []byte   `json:"-"`
}

func sinkMessages(t *testing.T, dir string) []sunk {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	sort.Strings(names)
	var out []sunk
	for _, n := range names {
		var s sunk
		js, err := os.ReadFile(strings.TrimSuffix(n, ".eml") + ".json")
		if err != nil {
			continue
		}
		if err := json.Unmarshal(js, &s); err != nil {
			t.Fatal(err)
		}
		s.Data, _ = os.ReadFile(n)
		out = append(out, s)
	}
	return out
}

// runningBinary is the real binary running in the foreground, as an admin runs it.
type runningBinary struct {
	cmd    *exec.Cmd
	stderr *spooltest.Buffer
	done   chan error
}

func startDaemon(t *testing.T, config string) *runningBinary {
	t.Helper()
	d := &runningBinary{cmd: exec.Command(binary, "run", "--config", config), stderr: &spooltest.Buffer{}, done: make(chan error, 1)}
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
	return d
}

func (d *runningBinary) log() string { return d.stderr.String() }

// stop sends SIGTERM and returns the exit code.
func (d *runningBinary) stop(t *testing.T) int {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(60 * time.Second):
		t.Fatal("spoolgate did not stop within 60 s of SIGTERM")
		return -1
	}
}

func writeConfig(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func copyExample(t *testing.T, queue, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "messages", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := spool.WriteFile(queue, name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestE2E_RelaysToRealSMTPServer(t *testing.T) {
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
settle   = 500ms
interval = 1m
charset  = windows-1250

[smtp]
host = 127.0.0.1
port = %d

[message]
from      = library@example.org
from_name = Example Library
`, port))
	d := startDaemon(t, cfg)
	queue := filepath.Join(dir, "queue")
	spooltest.WaitFor(t, "the queue folder exists", func() bool { _, err := os.Stat(queue); return err == nil })
	for _, n := range []string{"due-soon-en.eml", "reminder-sv.eml", "legacy-pickup-pl-windows1250.eml", "no-recipients.eml"} {
		copyExample(t, queue, n)
	}
	spooltest.WaitFor(t, "three messages reached the SMTP server", func() bool { return len(sinkMessages(t, sinkDir)) == 3 })
	// Quarantine writes the reason first and then renames the file, so
	// wait for both names, not for a count of two.
	spooltest.WaitFor(t, "only the refused file and its reason are left", func() bool {
		return slices.Equal(dirNames(queue), []string{"no-recipients.BAD", "no-recipients.BAD.txt"})
	})
	got := sinkMessages(t, sinkDir)
	byRcpt := map[string]sunk{}
	for _, m := range got {
		byRcpt[strings.Join(m.To, ",")] = m
	}
	pl, ok := byRcpt["jan.kowalski@example.net"]
	if !ok {
		t.Fatalf("the pickup-format file did not go to its X-Receiver: %v", byRcpt)
	}
	if bytes.Contains(pl.Data, []byte("X-Receiver")) || bytes.Contains(pl.Data, []byte("X-Sender")) {
		t.Error("X-Sender/X-Receiver must be removed before sending")
	}
	// aiosmtpd offers SMTPUTF8, but every address is ASCII: the windows-1250
	// subject goes out RFC 2047-encoded, without SMTPUTF8.
	if !bytes.Contains(pl.Data, []byte("Subject: Przypomnienie o zwrocie =?utf-8?b?a3NpxIXFvGtp?=\r\n")) || strings.Contains(fmt.Sprint(pl.MailOptions), "SMTPUTF8") {
		t.Errorf("the windows-1250 subject must go out RFC 2047-encoded, without SMTPUTF8 (options %v):\n%s", pl.MailOptions, pl.Data)
	}
	if !bytes.Contains(pl.Data, []byte("Content-Type: text/plain; charset=windows-1250\r\n")) {
		t.Errorf("the 8-bit body with no charset must get one declared:\n%s", pl.Data)
	}
	if _, ok := byRcpt["anna.lindqvist@example.net"]; !ok {
		t.Errorf("the Swedish message did not arrive: %v", byRcpt)
	}

	// The journal, as the librarian's "sent mail" view shows it.
	out, err := exec.Command(binary, "sent", "--config", cfg, "--json").Output()
	if err != nil {
		t.Fatalf("spoolgate sent: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	sent := 0
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("sent --json line %q: %v", l, err)
		}
		for _, k := range []string{"time", "file", "message_id", "from", "to", "subject", "status", "server", "reply"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("sent --json lacks %q: %s", k, l)
			}
		}
		if rec["status"] == "sent" {
			sent++
			if !strings.Contains(fmt.Sprint(rec["reply"]), "queued as SINK") || !strings.HasPrefix(fmt.Sprint(rec["queue_id"]), "SINK") {
				t.Errorf("the relay's reply and its queue id must be journalled: %v / %v", rec["reply"], rec["queue_id"])
			}
		}
	}
	if sent != 3 {
		t.Errorf("sent --json shows %d sent messages, want 3:\n%s", sent, out)
	}
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
}

// startQuickstart runs the binary on a copy of examples/quickstart.ini in
// a folder of its own.
func startQuickstart(t *testing.T) (dir, cfg string, d *runningBinary) {
	t.Helper()
	dir = spooltest.TempDir(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart.ini"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = writeConfig(t, dir, string(b))
	return dir, cfg, startDaemon(t, cfg)
}

func TestE2E_QuickstartCapturesWithoutRelay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	dir, _, d := startQuickstart(t)
	queue := filepath.Join(dir, "queue")
	spooltest.WaitFor(t, "the queue folder exists", func() bool { _, err := os.Stat(queue); return err == nil })
	copyExample(t, queue, "due-soon-en.eml")
	var captured []string
	spooltest.WaitFor(t, "the message is captured in the outbox", func() bool {
		captured, _ = filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		return len(captured) == 1
	})
	c, _ := os.ReadFile(captured[0])
	if !bytes.HasPrefix(c, []byte("X-Sender: library@example.org\r\nX-Receiver: patron@example.net\r\n")) ||
		!bytes.Contains(c, []byte("Subject: Your loan is due in 3 days\r\n")) {
		t.Errorf("captured file:\n%s", c)
	}
	spooltest.WaitFor(t, "the queue is empty", func() bool { return len(dirNames(queue)) == 0 })
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// The same config run a second time (say, in a console while the service
// runs) refuses to start, and the first goes on alone: two runs of one
// instance would send each other's claimed files again.
func TestE2E_SecondRunOfOneConfigRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	dir, cfg, d := startQuickstart(t)
	spooltest.WaitFor(t, "the first run is relaying", func() bool { return strings.Contains(d.log(), "spoolgate is relaying") })
	_, stderr, code := spoolgate(t, "run", "--config", cfg)
	if code != 1 || !strings.Contains(stderr, "is already running with the data folder") {
		t.Fatalf("the second run: exit %d, want 1 saying another is running:\n%s", code, stderr)
	}
	queue := filepath.Join(dir, "queue")
	copyExample(t, queue, "due-soon-en.eml")
	spooltest.WaitFor(t, "the first run captured the message", func() bool {
		captured, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		return len(captured) == 1
	})
	if code := d.stop(t); code != 0 {
		t.Fatalf("the first run's exit code %d", code)
	}
}

func TestE2E_BadConfigRefusesToStart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	dir := spooltest.TempDir(t)
	cfg := writeConfig(t, dir, "[spool]\nfolder = queue\nbatch = ten\n\n[smtp]\nhost = 127.0.0.1\n\n[message]\nfrom = library@example.org\n")
	cmd := exec.Command(binary, "run", "--config", cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v, want code 2", err)
	}
	for _, want := range []string{cfg, "[spool] batch", "ten"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("error lacks %q: %s", want, stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "queue")); err == nil {
		t.Error("a refused config must not create folders")
	}
}

func TestE2E_Version(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	out, err := exec.Command(binary, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "spoolgate ") {
		t.Fatalf("version: %q %v", out, err)
	}
	cmd := exec.Command(binary, "frobnicate")
	if err := cmd.Run(); err == nil {
		t.Fatal("an unknown command must fail")
	} else if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() != 2 {
		t.Fatalf("unknown command exit %d, want 2", ee.ExitCode())
	}
}
