package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/journal"
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

	// The gateway has stopped: the report says so first.
	today := time.Now()
	out, errOut, code := runReportCmd("--config", path)
	if code != 0 {
		t.Fatalf("report: exit %d, stderr:\n%s", code, errOut)
	}
	dates := []string{today.Format(time.DateOnly), time.Now().Format(time.DateOnly)} // the day may turn meanwhile
	if s := ": SPOOLGATE IS NOT RUNNING — 1 sent, 1 failed\n"; !strings.HasPrefix(out, "Subject: spoolgate "+dates[0]+s) && !strings.HasPrefix(out, "Subject: spoolgate "+dates[1]+s) {
		t.Errorf("report does not start with the subject:\n%s", out)
	}
	meaning, action := cause.Explain("en", cause.AddressUnknown)
	wantAll(t, "the report", out, "to nobody@example.net", meaning, action, "550 5.1.1", "FAILURES (1)",
		"spoolgate is not running, so nothing is being sent.", "spoolgate retry refused.BAD")

	out, _, code = runReportCmd("--config", path, "--date", "2026-01-01")
	if code != 0 || !strings.Contains(out, "Subject: spoolgate 2026-01-01: SPOOLGATE IS NOT RUNNING — 0 sent\n") ||
		!strings.Contains(out, "Thursday 1 January 2026") {
		t.Errorf("report --date 2026-01-01: exit %d:\n%s", code, out)
	}

	// While it runs, with its relay available, a day without failures is
	// all well.
	unlock, err := spool.Lock(context.Background(), gateway.InstanceLock(cfg), true, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _, code = runReportCmd("--config", path, "--date", "2026-01-01")
	unlock()
	if code != 0 || !strings.Contains(out, "Subject: spoolgate 2026-01-01: all well — 0 sent, 0 failed\n") {
		t.Errorf("report --date 2026-01-01 of a running gateway: exit %d:\n%s", code, out)
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
	if !strings.Contains(help.String(), "spoolgate report [--config FILE] [--date YYYY-MM-DD] [--send | --json]") {
		t.Errorf("help does not list report:\n%s", help.String())
	}
}

// reportJSON is what report --json prints, as a program reads it.
type reportJSON struct {
	Day     string `json:"day"`
	Subject string `json:"subject"`
	AllWell bool   `json:"all_well"`
	Running bool   `json:"running"`
	Relay   struct {
		State       string     `json:"state"`
		Since       *time.Time `json:"since"`
		Cause       string     `json:"cause"`
		Reply       string     `json:"reply"`
		NextAttempt *time.Time `json:"next_attempt"`
	} `json:"relay"`
	Sent     int `json:"sent"`
	Skipped  int `json:"skipped"`
	Deferred int `json:"deferred"`
	Failed   int `json:"failed"`
	ByKind   []struct {
		Kind   string `json:"kind"`
		Sent   int    `json:"sent"`
		Failed int    `json:"failed"`
	} `json:"by_kind"`
	Failures []struct {
		File    string `json:"file"`
		Address string `json:"address"`
		Cause   string `json:"cause"`
		Reply   string `json:"reply"`
		Detail  string `json:"detail"`
		Meaning string `json:"meaning"`
	} `json:"failures"`
}

// report --json prints the facts of the report that report prints: the
// same subject, all_well, the relay's health as the gateway recorded it,
// the counts and every failure with its cause and the relay's reply.
func TestReport_JSON(t *testing.T) {
	dir := spooltest.TempDir(t)
	path := writeConfig(t, dir, `
[spool]
folder = queue
data   = data

[smtp]
host     = 127.0.0.1
port     = 25
security = none

[message]
from = library@example.org

[log]
language = sv
`)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{cfg.Spool.Folder, cfg.Spool.Data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A day in the journal, as the gateway records it: a message sent to
	// one patron and refused for another, and a file refused before it
	// was sent.
	j, err := journal.Open(filepath.Join(cfg.Spool.Data, gateway.JournalFile), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	const relay = "smtp (127.0.0.1:25)"
	to := []string{"a@example.net", "gone@example.net"}
	j.Begin(journal.Claim{Key: "test-a1", File: "overdue-1.eml", To: to, Kind: "overdue", Subject: "Lån"}, relay, to, nil)
	j.Record(journal.Outcome{Key: "test-a1", To: to[1:], Status: journal.StatusFailed, Server: relay,
		Reply: "550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown", Cause: string(cause.AddressUnknown)}, nil)
	j.Record(journal.Outcome{Key: "test-a1", To: to[:1], Status: journal.StatusSent, Server: relay, Reply: "250 2.0.0 Ok: queued as 4X"}, nil)
	j.Claimed(journal.Claim{Key: "test-b1", File: "broken.eml"}, nil)
	j.Record(journal.Outcome{Key: "test-b1", Status: journal.StatusFailed,
		Reply: "the file has no recipients: add a To: line or X-Receiver: lines", Cause: string(cause.NoRecipients)}, nil)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// The gateway runs (it holds its instance lock), and its relay refuses
	// the login.
	lock, err := spool.Lock(context.Background(), gateway.InstanceLock(cfg), true, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	unlock := sync.OnceFunc(lock)
	defer unlock()
	since := time.Now().Add(-time.Hour).Truncate(time.Second)
	next := since.Add(65 * time.Minute)
	reply := "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6"
	health.NewTracker(cfg.Spool.Data, cfg.Spool.Instance, []string{"smtp"}, func() time.Time { return since }).
		Down("smtp", string(cause.LoginRefused), relay, reply, next, "")

	report := func(args ...string) (text string, r reportJSON) {
		t.Helper()
		text, errOut, code := runReportCmd(append([]string{"--config", path}, args...)...)
		if code != 0 {
			t.Fatalf("report %q: exit %d, stderr:\n%s", args, code, errOut)
		}
		out, errOut, code := runReportCmd(append([]string{"--config", path, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("report --json %q: exit %d, stderr:\n%s", args, code, errOut)
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("report --json: %v:\n%s", err, out)
		}
		if subject, _, _ := strings.Cut(text, "\n"); subject != "Subject: "+r.Subject {
			t.Errorf("report says %q, report --json %q", subject, r.Subject)
		}
		return text, r
	}
	text, r := report()
	if r.AllWell || !r.Running || r.Relay.State != "unavailable" || r.Relay.Cause != "login-refused" || r.Relay.Reply != reply ||
		r.Relay.Since == nil || !r.Relay.Since.Equal(since) || r.Relay.NextAttempt == nil || !r.Relay.NextAttempt.Equal(next) {
		t.Errorf("report --json: all_well %v, running %v, relay %+v", r.AllWell, r.Running, r.Relay)
	}
	if !strings.Contains(r.Subject, ": E-POSTSERVERN OTILLGÄNGLIG sedan ") || !strings.Contains(r.Subject, "("+cause.Label("sv", cause.LoginRefused)+") — 1 skickat, 2 misslyckade") {
		t.Errorf("subject %q", r.Subject)
	}
	if r.Sent != 1 || r.Failed != 2 || len(r.Failures) != 2 || len(r.ByKind) != 2 {
		t.Errorf("report --json counts: sent %d, failed %d, %d failures, by kind %+v", r.Sent, r.Failed, len(r.Failures), r.ByKind)
	}
	got := map[string]string{}
	for _, f := range r.Failures {
		got[f.File+"|"+f.Address+"|"+f.Cause] = f.Reply + "|" + f.Detail
		if m, _ := cause.Explain("sv", cause.Cause(f.Cause)); f.Meaning != m {
			t.Errorf("failure %s: meaning %q, want %q", f.File, f.Meaning, m)
		}
	}
	if w := map[string]string{
		"overdue-1.eml|gone@example.net|address-unknown": "550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown|",
		"broken.eml||no-recipients":                      "|the file has no recipients: add a To: line or X-Receiver: lines",
	}; fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("failures %v, want %v", got, w)
	}
	// The text is Swedish but for the relay's words and spoolgate's own
	// technical detail.
	for _, c := range []cause.Cause{cause.LoginRefused, cause.AddressUnknown, cause.NoRecipients} {
		m, a := cause.Explain("sv", c)
		wantAll(t, "the Swedish report", text, m, a)
		enM, enA := cause.Explain("en", c)
		for _, en := range []string{enM, enA} {
			if strings.Contains(text, en) {
				t.Errorf("English %q in the Swedish report:\n%s", en, text)
			}
		}
	}
	wantAll(t, "the Swedish report", text, reply, "Teknisk detalj: the file has no recipients")

	// Stopped, it is not all well whatever the record says.
	unlock()
	if _, r := report(); r.AllWell || r.Running || !strings.Contains(r.Subject, ": SPOOLGATE KÖRS INTE — ") {
		t.Errorf("a stopped gateway: all_well %v, running %v, subject %q", r.AllWell, r.Running, r.Subject)
	}

	if _, errOut, code := runReportCmd("--config", path, "--json", "--send"); code != 2 || !strings.Contains(errOut, "not both") {
		t.Errorf("report --json --send: exit %d, stderr %q; want 2", code, errOut)
	}
}
