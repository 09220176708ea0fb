package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// runReportCmd runs `spoolgate report` in this process, as main does.
func runReportCmd(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = run(append([]string{"report"}, args...), &o, &e)
	return o.String(), e.String(), code
}

func TestReport_PrintsAndSendsOnce(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.AtRcpt("nobody@example.net",
		smtptest.Refuse(550, [3]int{5, 1, 1}, "<nobody@example.net>: Recipient address rejected: User unknown"))))
	dir := spooltest.TempDir(t)
	path := writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder = queue
data   = data
settle = 0s

[smtp]
host     = 127.0.0.1
port     = %d
security = none

[message]
from      = library@example.org
from_name = Example Library
`, srv.Port()))

	// A day of mail: one message sent, one refused.
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	for name, to := range map[string]string{"ok.eml": "a@example.net", "refused.eml": "nobody@example.net"} {
		if err := spool.WriteFile(cfg.Spool.Folder, name, []byte(msgText(to, "Your loans are overdue")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv.WaitMessages(t, 1, 60*time.Second)
	spooltest.WaitFor(t, "refused.BAD.txt exists", func() bool { return fileExists(filepath.Join(cfg.Spool.Folder, "refused.BAD.txt")) })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	today := time.Now()
	out, errOut, code := runReportCmd("--config", path)
	if code != 0 {
		t.Fatalf("report: exit %d, stderr:\n%s", code, errOut)
	}
	dates := []string{today.Format(time.DateOnly), time.Now().Format(time.DateOnly)} // the day may turn meanwhile
	if !strings.HasPrefix(out, "Subject: spoolgate "+dates[0]+": 1 sent, 1 failed\n") && !strings.HasPrefix(out, "Subject: spoolgate "+dates[1]+": 1 sent, 1 failed\n") {
		t.Errorf("report does not start with the subject:\n%s", out)
	}
	wantAll(t, "the report", out, "to nobody@example.net", "The recipient's address does not exist.",
		"Correct the patron's e-mail address in the library system.", "550 5.1.1", "FAILURES (1)")

	out, _, code = runReportCmd("--config", path, "--date", "2026-01-01")
	if code != 0 || !strings.Contains(out, "Subject: spoolgate 2026-01-01: 0 sent, 0 failed — all well") ||
		!strings.Contains(out, "Thursday 1 January 2026") {
		t.Errorf("report --date 2026-01-01: exit %d:\n%s", code, out)
	}
	if _, errOut, code := runReportCmd("--config", path, "--date", "1/1/2026"); code != 2 || !strings.Contains(errOut, "want a date like") {
		t.Errorf("report --date 1/1/2026: exit %d, stderr %q; want 2", code, errOut)
	}

	out, errOut, code = runReportCmd("--config", path, "--date", "2026-01-01", "--send")
	if code != 0 || !strings.Contains(out, "Queued spoolgate-daily-20260101.eml in "+cfg.Spool.Folder+", to library@example.org.") {
		t.Fatalf("report --send: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	b, err := os.ReadFile(filepath.Join(cfg.Spool.Folder, "spoolgate-daily-20260101.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("X-Spoolgate-Kind: daily")) {
		t.Errorf("the queued report has no X-Spoolgate-Kind: daily:\n%s", b)
	}
	_, errOut, code = runReportCmd("--config", path, "--date", "2026-01-01", "--send")
	if code != 1 || !strings.Contains(errOut, "queued before") {
		t.Errorf("a second report --send: exit %d, stderr %q; want 1 and \"queued before\"", code, errOut)
	}

	if _, errOut, code := runReportCmd("--config", path, "--date", time.Now().AddDate(0, 0, 2).Format(time.DateOnly), "--send"); code != 2 || !strings.Contains(errOut, "has not come") {
		t.Errorf("report --send of a day to come: exit %d, stderr %q; want 2", code, errOut)
	}

	var help bytes.Buffer
	run([]string{"help"}, &help, &help)
	if !strings.Contains(help.String(), "spoolgate report [--config FILE] [--date YYYY-MM-DD] [--send]") {
		t.Errorf("help does not list report:\n%s", help.String())
	}
}
