package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// The console's GET /api/report is the document of spoolgate report
// --json for the same day: one definition (daily's Summary, composed
// from daily.Gather), whoever asks.
func TestReport_JSONIsTheConsolesAPIReport(t *testing.T) {
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
from = library@example.org

[log]
language = pl
daily = false

[console]
listen = 127.0.0.1:8025
`, srv.Port()))
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	g, err := gateway.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for name, to := range map[string]string{"ok.eml": "a@example.net", "refused.eml": "nobody@example.net"} {
		if err := spool.WriteFile(cfg.Spool.Folder, name, []byte(msgText(to, "Your loans are overdue")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv.WaitMessages(t, 1, 60*time.Second)
	spooltest.WaitFor(t, "refused.BAD.txt exists", func() bool { return fileExists(filepath.Join(cfg.Spool.Folder, "refused.BAD.txt")) })

	users, err := accounts.Open(filepath.Join(cfg.Spool.Data, accounts.FileName))
	if err != nil {
		t.Fatal(err)
	}
	token, err := users.AddToken("monitor", accounts.Librarian)
	if err != nil {
		t.Fatal(err)
	}
	c, err := console.New(cfg, g, users, log)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(cfg.Service.Location).Format(time.DateOnly)
	for _, date := range []string{today, time.Now().In(cfg.Service.Location).AddDate(0, 0, -1).Format(time.DateOnly)} {
		out, errOut, code := runCmd("report", "--config", path, "--json", "--date", date)
		if code != 0 {
			t.Fatalf("report --json --date %s: exit %d\n%s", date, code, errOut)
		}
		r := httptest.NewRequest("GET", "/api/report?date="+date, nil)
		r.Host = "127.0.0.1:8025"
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		c.Handler().ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("GET /api/report?date=%s: %d %s", date, w.Code, w.Body)
		}
		var cli, api map[string]any
		if err := json.Unmarshal([]byte(out), &cli); err != nil {
			t.Fatalf("report --json: %v\n%s", err, out)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &api); err != nil {
			t.Fatalf("/api/report: %v\n%s", err, w.Body)
		}
		// When each was made differs, and nothing else.
		if cli["made"] == nil || api["made"] == nil {
			t.Errorf("%s: no made", date)
		}
		delete(cli, "made")
		delete(api, "made")
		if !reflect.DeepEqual(cli, api) {
			t.Errorf("%s: report --json and /api/report differ:\n%s\n---\n%s", date, out, w.Body)
		}
		if date == today && (cli["failed"] != float64(1) || cli["sent"] != float64(1) || cli["language"] != "pl" || cli["running"] != true) {
			t.Errorf("today's document: %s", out)
		}
	}
}
