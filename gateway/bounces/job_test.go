package bounces_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/bounces"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// TestRun_LoginRefusedOnce: the service's loop logs a refused login as an
// error once, not at every tick.
func TestRun_LoginRefusedOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	cfg := testConfig(t, s)
	cfg.Bounces.Every = 200 * time.Millisecond
	cfg.Bounces.IMAP.Password = "wrong"
	j := openJournal(t, cfg)
	var buf spooltest.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bounces.Run(ctx, cfg, j, log); close(done) }()
	time.Sleep(2 * time.Second)
	cancel()
	<-done
	if n := strings.Count(buf.String(), "level=ERROR"); n != 1 || !strings.Contains(buf.String(), "refused the login") {
		t.Errorf("%d errors logged, want 1 about the login:\n%s", n, buf.String())
	}
}
