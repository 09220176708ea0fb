package overdue

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// holdLockEnv, when set, makes the test binary a helper process that
// holds the state lock at that path exclusively until its stdin closes.
const holdLockEnv = "SPOOLGATE_TEST_HOLD_STATE_LOCK"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdLockEnv); path != "" {
		unlock, err := lockState(context.Background(), path, true, nil)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		unlock()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The state lock is the system's: a scan waits while another process
// holds it, and goes on when that process lets go.
func TestStateLock_AnotherProcess(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-28"))
	if err := os.MkdirAll(cfg.Spool.Data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), holdLockEnv+"="+filepath.Join(cfg.Spool.Data, StateFile+".lock"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); strings.TrimSpace(line) != "locked" {
		t.Fatalf("the helper process did not take the lock: %q", line)
	}

	var log spooltest.Buffer
	done := make(chan *Result, 1)
	go func() {
		done <- scan(t, cfg, "2026-11-25", Options{Log: slog.New(slog.NewTextHandler(&log, nil))})
	}()
	spooltest.WaitFor(t, "the scan says it waits for the other process", func() bool {
		return strings.Contains(log.String(), "waiting for another overdue scan")
	})
	select {
	case res := <-done:
		t.Fatalf("the scan ran while another process held the lock: queued %s", summary(res.Queued))
	default:
	}
	stdin.Close() // the helper lets go
	select {
	case res := <-done:
		if got := summary(res.Queued); got != "1/warning" {
			t.Errorf("queued %s, want 1/warning", got)
		}
	case <-time.After(time.Minute):
		t.Fatal("the scan did not go on within a minute of the other process letting go")
	}
}
