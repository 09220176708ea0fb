package bounces_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/bounces"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// testConfig is a config whose [bounces] reads s's mailbox over IMAPS and
// whose relay is none yet.
func testConfig(t *testing.T, s *smtptest.IMAPServer) *config.Config {
	t.Helper()
	root := spooltest.TempDir(t)
	cfg := &config.Config{
		File: filepath.Join(root, "spoolgate.ini"),
		Spool: config.Spool{
			Folder: filepath.Join(root, "queue"), Patterns: []string{"*.eml"},
			Interval: time.Minute, RetryFor: 48 * time.Hour, RetryDelay: time.Second, RetryMax: 2 * time.Second,
			MaxSize: 25 << 20, Charset: "windows-1252", Encoding: charmap.Windows1252,
			Data: filepath.Join(root, "data"), Instance: "test",
		},
		Message: config.Message{From: smtptest.DSNReturnPath, FromName: "Example Library", ReturnPath: smtptest.DSNReturnPath},
		Journal: config.Journal{Retention: 90 * 24 * time.Hour},
		Bounces: config.Bounces{Enabled: true, Folder: "INBOX", Every: time.Minute, SuppressDays: 30},
	}
	for _, d := range []string{cfg.Spool.Folder, cfg.Spool.Data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if s != nil {
		cfg.Bounces.IMAP = &config.Server{
			Name: "bounces", Host: s.Host(), Port: s.ImplicitPort(), Security: config.SecurityTLS, TLSVerify: true, RootCAs: s.CAPool,
			Username: smtptest.IMAPUser, Password: smtptest.IMAPPassword,
			ConnectTimeout: 10 * time.Second, Timeout: 30 * time.Second,
		}
	}
	return cfg
}

func relayTo(host string, port int) *config.Server {
	return &config.Server{
		Name: "smtp", Host: host, Port: port, Security: config.SecurityAuto, TLSVerify: true,
		HELO: "spoolgate.test", ConnectTimeout: 5 * time.Second, Timeout: 20 * time.Second, Connections: 1,
		Pipelining: true,
	}
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func openJournal(t *testing.T, cfg *config.Config) *journal.Journal {
	t.Helper()
	j, err := journal.Open(filepath.Join(cfg.Spool.Data, gateway.JournalFile), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func drop(t *testing.T, cfg *config.Config, name string, data []byte) {
	t.Helper()
	if err := spool.WriteFile(cfg.Spool.Folder, name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runGateway runs a gateway of cfg until the test ends or stop is called.
func runGateway(t *testing.T, cfg *config.Config) (g *gateway.Gateway, stop func()) {
	t.Helper()
	g, err := gateway.New(cfg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("gateway: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Errorf("the gateway did not stop")
		}
	}
	t.Cleanup(stop)
	return g, stop
}

// waitFor polls cond until it holds, for up to two minutes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// recipients are the recipients of the message key, by address.
func recipients(t *testing.T, j *journal.Journal, key string) map[string]journal.Recipient {
	t.Helper()
	recs, err := j.Query(journal.Filter{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]journal.Recipient{}
	for _, r := range recs {
		for _, rc := range r.Recipients {
			out[rc.Address] = rc
		}
	}
	return out
}

// pass runs one Pass and fails the test on an error.
func pass(t *testing.T, cfg *config.Config, j *journal.Journal, dry bool) bounces.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := bounces.Pass(ctx, cfg, j, testLog(t), bounces.Options{DryRun: dry})
	if err != nil {
		t.Fatalf("Pass: %v", err)
	}
	return res
}
