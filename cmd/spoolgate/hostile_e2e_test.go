//go:build unix

package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// The secret that files planted in the queue folder point at. It must
// never reach the relay, a .BAD.txt, the log or a view.
const plantedSecret = "s3cret-Passw0rd-never-shown"

// TestHostile_QueueWriterPlantsFiles runs the real binary against a real
// SMTP server (aiosmtpd) while the queue writer plants, beside two good
// messages, what the queue folder's writer can: a link to a secret file
// that looks like a message, a link to the password file, a link to
// /dev/zero, a dangling link, a named pipe, a socket, a name too long to
// claim, a name with a line break, and a named pipe where a reason file
// is read. Each must end set aside with a reason that quotes nothing of
// it, the good messages must go, the views must answer, the memory must
// stay small and the stop must be prompt.
func TestHostile_QueueWriterPlantsFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	port, sinkDir := startSink(t)
	dir := spooltest.TempDir(t)
	secrets := filepath.Join(dir, "secrets")
	if err := os.Mkdir(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	secretMsg := filepath.Join(secrets, "letter.txt")
	if err := os.WriteFile(secretMsg, []byte("To: attacker@example.org\r\nSubject: loot\r\n\r\n"+plantedSecret+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	passwordFile := filepath.Join(secrets, "smtp.password")
	if err := os.WriteFile(passwordFile, []byte(plantedSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder   = queue
data     = data
batch    = 0
settle   = 200ms
interval = 1m

[smtp]
host = 127.0.0.1
port = %d

[message]
from = library@example.org
`, port))
	queue := filepath.Join(dir, "queue")
	if err := os.Mkdir(queue, 0o770); err != nil {
		t.Fatal(err)
	}
	// Planted before the start, so the first scan and the recovery meet
	// them too.
	plant := func(name, target string) {
		if err := os.Symlink(target, filepath.Join(queue, name)); err != nil {
			t.Fatal(err)
		}
	}
	plant("secret.eml", secretMsg)
	plant("password.eml", passwordFile)
	plant("zero.eml", "/dev/zero")
	plant("dangling.eml", filepath.Join(dir, "nowhere.eml"))
	if err := syscall.Mkfifo(filepath.Join(queue, "pipe.eml"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(queue, "old.BAD.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(queue, "old.BAD"), []byte("To: a@example.net\r\n\r\nx\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(queue, "sock.eml"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	long := strings.Repeat("n", 251) + ".eml"
	good := []byte("To: patron@example.net\r\nSubject: due soon\r\n\r\nHello\r\n")
	if err := os.WriteFile(filepath.Join(queue, long), good, 0o640); err != nil {
		t.Fatal(err)
	}
	forged := "bad\nWhat happened: all is well.eml"
	if err := os.WriteFile(filepath.Join(queue, forged), []byte("Subject: no recipients\r\n\r\nx\r\n"), 0o640); err != nil {
		t.Fatal(err)
	}

	d := startDaemon(t, cfg)
	copyExample(t, queue, "due-soon-en.eml")
	copyExample(t, queue, "reminder-sv.eml")
	spooltest.WaitFor(t, "the two good messages reached the SMTP server", func() bool { return len(sinkMessages(t, sinkDir)) >= 2 })

	planted := []string{"secret.eml", "password.eml", "zero.eml", "dangling.eml", "pipe.eml", "sock.eml", long, forged}
	spooltest.WaitFor(t, "every planted file is set aside", func() bool {
		for _, n := range dirNames(queue) {
			if strings.HasSuffix(n, ".eml") {
				return false
			}
		}
		bad := 0
		for _, n := range dirNames(queue) {
			if strings.HasSuffix(n, ".BAD") {
				bad++
			}
		}
		return bad >= len(planted)+1 // and old.BAD
	})
	for _, m := range sinkMessages(t, sinkDir) {
		if bytes.Contains(m.Data, []byte(plantedSecret)) || strings.Contains(strings.Join(m.To, ","), "attacker") {
			t.Errorf("a planted file reached the relay: to %v", m.To)
		}
	}
	if n := len(sinkMessages(t, sinkDir)); n != 2 {
		t.Errorf("%d messages reached the relay, want the 2 good ones", n)
	}

	// The reasons: one per planted file, none quoting the secret, none
	// with a forged line.
	for _, n := range dirNames(queue) {
		if !strings.HasSuffix(n, ".BAD.txt") || n == "old.BAD.txt" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(queue, n))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(plantedSecret)) {
			t.Errorf("%q quotes the secret:\n%s", n, b)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "What happened: all is well") {
				t.Errorf("%q has a line forged by a file name:\n%s", n, b)
			}
		}
		if fi, err := os.Stat(filepath.Join(queue, n)); err == nil && fi.Mode().Perm()&0o007 != 0 {
			t.Errorf("%q is readable by others: %v", n, fi.Mode())
		}
	}
	if strings.Contains(d.log(), plantedSecret) {
		t.Errorf("the log quotes the secret:\n%s", d.log())
	}

	// The views answer while a pipe sits where a reason file is read.
	for _, args := range [][]string{{"queue"}, {"queue", "--json"}, {"report"}, {"status"}} {
		cmd := exec.Command(binary, append(args, "--config", cfg)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Errorf("spoolgate %s hung", strings.Join(args, " "))
			continue
		}
		if strings.Contains(out.String(), plantedSecret) {
			t.Errorf("spoolgate %s shows the secret:\n%s", strings.Join(args, " "), out.String())
		}
	}

	// /dev/zero was never read into memory.
	if hwm := peakRSS(t, d.cmd.Process.Pid); hwm > 200<<20 {
		t.Errorf("peak memory %d MB, want under 200 MB", hwm>>20)
	}
	start := time.Now()
	if code := d.stop(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the stop took %v", took)
	}

	// A restart meets the planted files set aside, and reads none of them.
	d = startDaemon(t, cfg)
	spooltest.WaitFor(t, "the restarted gateway relays", func() bool { return strings.Contains(d.log(), "spoolgate is relaying") })
	if err := spool.WriteFile(queue, "after.eml", []byte("To: patron@example.net\r\nSubject: after the restart\r\n\r\nHello again\r\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	spooltest.WaitFor(t, "a third message is sent after the restart", func() bool { return len(sinkMessages(t, sinkDir)) == 3 })
	if code := d.stop(t); code != 0 {
		t.Errorf("exit code %d after the second SIGTERM", code)
	}
}

// peakRSS is the peak resident memory of process pid (Linux VmHWM), or 0
// where it cannot be read.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
