package daemon

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// TestEngine_RestartAppliesTheSavedFile: the engine sends through the
// relay of its config; after the file names another relay and Restart is
// called, the next message goes to that one, in the same process, with
// nothing lost. A file that no longer loads keeps the engine on the
// settings before.
func TestEngine_RestartAppliesTheSavedFile(t *testing.T) {
	first, second := smtptest.NewServer(t), smtptest.NewServer(t)
	cfgPath, queue := site(t, first, "10s")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := NewEngine(cfgPath, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	first.WaitMessages(t, 1, 60*time.Second)

	text, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	edited, err := config.Edit(text, []config.Change{{Section: "smtp", Key: "port", Value: itoa(second.Port())}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	e.Restart()
	spooltest.WaitFor(t, "the engine runs on the saved file", func() bool { return e.Config().SMTP.Port == second.Port() })
	msg := "From: library@example.org\r\nTo: patron@example.net\r\nSubject: After the save\r\n\r\nhej\r\n"
	if err := spool.WriteFile(queue, "after.eml", []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	got := second.WaitMessages(t, 1, 60*time.Second)
	if !strings.Contains(string(got[0].Data), "After the save") || len(first.Messages()) != 1 {
		t.Fatalf("after the restart: %d at the first relay, %q at the second", len(first.Messages()), got[0].Data)
	}

	// A broken file: the engine goes on with the settings before.
	if err := os.WriteFile(cfgPath, append(edited, []byte("[spool]\nbatch = many\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	e.Restart()
	if err := spool.WriteFile(queue, "broken.eml", []byte(strings.Replace(msg, "After the save", "After a broken save", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	got = second.WaitMessages(t, 2, 60*time.Second)
	if !strings.Contains(string(got[1].Data), "After a broken save") {
		t.Fatalf("after a broken save: %q", got[1].Data)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
