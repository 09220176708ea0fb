package gateway

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// testConfig is a validated-looking config for a gateway that relays to
// srv; tests adjust it before newTestGateway.
func testConfig(t *testing.T, srv *smtptest.Server) *config.Config {
	t.Helper()
	root := spooltest.TempDir(t)
	cfg := &config.Config{
		File: filepath.Join(root, "spoolgate.ini"),
		Spool: config.Spool{
			Folder: filepath.Join(root, "queue"), Patterns: []string{"*.tmp", "*.eml"},
			Batch: 0, Interval: time.Minute, Settle: 0,
			RetryFor: 48 * time.Hour, RetryDelay: time.Second, RetryMax: 2 * time.Second,
			MaxSize: 25 << 20, Charset: "windows-1252", Encoding: charmap.Windows1252,
			Data: filepath.Join(root, "data"), Instance: "test",
		},
		Message: config.Message{From: "library@example.org", FromName: "Example Library", ReturnPath: "library@example.org"},
		Journal: config.Journal{Retention: 90 * 24 * time.Hour},
	}
	if srv != nil {
		cfg.SMTP = serverConfig("smtp", srv.Host(), srv.Port())
	}
	return cfg
}

func serverConfig(name, host string, port int) *config.Server {
	return &config.Server{
		Name: name, Host: host, Port: port, Security: config.SecurityAuto, TLSVerify: true,
		HELO: "spoolgate.test", ConnectTimeout: 5 * time.Second, Timeout: 10 * time.Second, Connections: 1,
		Pipelining: true,
	}
}

// bothWays runs test as two subtests named after name: with [smtp]
// pipelining on (the default; go-smtp's server offers PIPELINING) and off,
// so that both ways of sending meet the same fault.
func bothWays(t *testing.T, name string, test func(t *testing.T, pipelining bool)) {
	for _, on := range []bool{true, false} {
		way := "pipelined"
		if !on {
			way = "one command at a time"
		}
		t.Run(name+", "+way, func(t *testing.T) { test(t, on) })
	}
}

// running is a gateway running in the background.
type running struct {
	cfg  *config.Config
	log  *spooltest.Buffer
	stop func() error
}

// start runs a gateway for cfg until the test ends (or stop is called).
func start(t *testing.T, cfg *config.Config, opts ...Option) *running {
	t.Helper()
	lb := &spooltest.Buffer{}
	log := slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g, err := New(cfg, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(60 * time.Second):
				t.Errorf("the gateway did not stop within 60 s")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
		if t.Failed() {
			t.Logf("gateway log:\n%s", lb.String())
		}
	})
	return &running{cfg: cfg, log: lb, stop: stop}
}

// drop writes a message file into the queue the way a careful ILS does.
func drop(t *testing.T, cfg *config.Config, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(cfg.Spool.Folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := spool.WriteFile(cfg.Spool.Folder, name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, with a generous time-out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	spooltest.WaitFor(t, what, cond)
}

// files lists the queue folder's file names, but for the instance lock a
// running gateway holds there.
func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if spool.IsInstanceLock(e.Name()) {
			continue
		}
		out = append(out, e.Name())
	}
	return out
}

func hasSuffix(names []string, suffix string) int {
	n := 0
	for _, s := range names {
		if strings.HasSuffix(s, suffix) {
			n++
		}
	}
	return n
}

// openJournal opens the gateway's journal for reading after it stopped.
func openJournal(t *testing.T, cfg *config.Config) *journal.Journal {
	t.Helper()
	j, err := journal.Open(filepath.Join(cfg.Spool.Data, JournalFile), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func msg(to, subject string) []byte {
	return []byte("From: Library <library@example.org>\r\nTo: " + to + "\r\nSubject: " + subject +
		"\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", "-") + "@example.org>\r\n\r\nHello.\r\n.dot line\r\n")
}

// exists tells whether the queue folder holds name.
func exists(cfg *config.Config, name string) bool {
	_, err := os.Stat(filepath.Join(cfg.Spool.Folder, name))
	return err == nil
}

// waitEmpty waits until the queue folder holds nothing.
func waitEmpty(t *testing.T, cfg *config.Config) {
	t.Helper()
	waitFor(t, "the queue is empty", func() bool { return len(files(t, cfg.Spool.Folder)) == 0 })
}

// bySubject counts the received messages by their Subject line.
func bySubject(msgs []smtptest.Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		s := string(m.Data)
		if i := strings.Index(s, "\r\nSubject: "); i >= 0 {
			s = s[i+len("\r\nSubject: "):]
			if j := strings.Index(s, "\r\n"); j >= 0 {
				s = s[:j]
			}
			out[s]++
		}
	}
	return out
}

// gate is a relay in front of a real server: while down is set it
// answers every connection with a 421 greeting and hangs up; otherwise
// it passes the connection through to target.
func gate(t *testing.T, target string, down *atomic.Bool) *smtptest.RawServer {
	return smtptest.NewRawServer(t, func(c net.Conn) {
		if down.Load() {
			c.Write([]byte("421 4.3.2 service not available, closing channel\r\n"))
			return
		}
		up, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer up.Close()
		done := make(chan struct{}, 2)
		go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
		go func() { io.Copy(c, up); done <- struct{}{} }()
		<-done
	})
}

// raceEnabled tells whether the test binary was built with -race, which
// makes the gateway several times slower.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
