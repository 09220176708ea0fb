package gateway

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// TestRun_UnitRoutesSenderAndRelay: a file of a unit with its own sender
// and relay chain goes through that chain with that sender; other files
// keep [message] and [smtp].
func TestRun_UnitRoutesSenderAndRelay(t *testing.T) {
	main := smtptest.NewServer(t)
	branch := smtptest.NewServer(t)
	cfg := testConfig(t, main)
	branchSrv := serverConfig("branch", branch.Host(), branch.Port())
	cfg.Units = map[string]*config.Unit{
		"Vasastan": {Name: "Vasastan", From: "vasastan@example.org", FromName: "Vasastans bibliotek", SMTP: branchSrv},
		"Central":  {Name: "Central", CopyTo: "archive@example.org"},
	}
	start(t, cfg)
	drop(t, cfg, "a.eml", []byte("X-Spoolgate-Unit: vasastan\r\nTo: p1@example.net\r\nSubject: branch\r\n\r\nhej\r\n"))
	drop(t, cfg, "b.eml", []byte("X-Spoolgate-Unit: Central\r\nTo: p2@example.net\r\nSubject: central\r\n\r\nhej\r\n"))
	drop(t, cfg, "c.eml", []byte("X-Spoolgate-Unit: nowhere\r\nTo: p3@example.net\r\nSubject: unknown unit\r\n\r\nhej\r\n"))

	b := branch.WaitMessages(t, 1, 60*time.Second)
	// The envelope sender falls back to [message] return_path, as the unit
	// sets none: bounces go to the mailbox someone reads.
	if b[0].From != "library@example.org" || !bytes.Contains(b[0].Data, []byte(`From: "Vasastans bibliotek" <vasastan@example.org>`+"\r\n")) {
		t.Errorf("the unit's sender was not used: MAIL FROM %s\n%s", b[0].From, b[0].Data)
	}
	if bytes.Contains(b[0].Data, []byte("X-Spoolgate-Unit")) {
		t.Error("X-Spoolgate-Unit must be removed")
	}
	m := main.WaitMessages(t, 2, 60*time.Second)
	for _, msg := range m {
		if msg.From != "library@example.org" {
			t.Errorf("a file without its own relay must keep [message] from: %s", msg.From)
		}
		if bytes.Contains(msg.Data, []byte("Subject: central")) && (len(msg.To) != 2 || msg.To[1] != "archive@example.org") {
			t.Errorf("the unit's copy_to was not added: %v", msg.To)
		}
	}
	if len(branch.Messages()) != 1 {
		t.Fatalf("branch relay got %d messages, want 1", len(branch.Messages()))
	}
}

func TestRun_BackgroundRunsAndStops(t *testing.T) {
	cfg := testConfig(t, smtptest.NewServer(t))
	started, stopped := make(chan struct{}), make(chan struct{})
	r := start(t, cfg, WithBackground(func(ctx context.Context, g *Gateway) {
		if g.Journal() == nil || g.Config() != cfg {
			t.Error("a background job must see the gateway's journal and config")
		}
		close(started)
		<-ctx.Done()
		close(stopped)
	}))
	<-started
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	default:
		t.Fatal("Run returned before its background job stopped")
	}
}
