package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// runCmd runs a spoolgate command in this process, as main does.
func runCmd(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

// queueHealthJSON is the relay's part of queue --json, by its exact names.
type queueHealthJSON struct {
	Running  bool       `json:"running"`
	LastSent *time.Time `json:"last_sent"`
	Relay    struct {
		State       string     `json:"state"`
		Since       *time.Time `json:"since"`
		Cause       string     `json:"cause"`
		Reply       string     `json:"reply"`
		NextAttempt *time.Time `json:"next_attempt"`
		Text        string     `json:"text"`
	} `json:"relay"`
	WhyWaiting *struct {
		Reason string `json:"reason"`
		Text   string `json:"text"`
	} `json:"why_waiting"`
	RateWindow *struct {
		Batch    int        `json:"batch"`
		Interval int64      `json:"interval_seconds"`
		Accepted int        `json:"accepted"`
		Opens    *time.Time `json:"opens"`
	} `json:"rate_window"`
}

func queueHealth(t *testing.T, path string) (text string, q queueHealthJSON, raw map[string]any) {
	t.Helper()
	text, errOut, code := runCmd("queue", "--config", path)
	if code != 0 {
		t.Fatalf("queue: exit %d, stderr:\n%s", code, errOut)
	}
	js, errOut, code := runCmd("queue", "--config", path, "--json")
	if code != 0 {
		t.Fatalf("queue --json: exit %d, stderr:\n%s", code, errOut)
	}
	if err := json.Unmarshal([]byte(js), &q); err != nil {
		t.Fatalf("queue --json: %v\n%s", err, js)
	}
	if err := json.Unmarshal([]byte(js), &raw); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(text, "\n"); first != q.Relay.Text {
		t.Errorf("queue leads with %q, queue --json says %q", first, q.Relay.Text)
	}
	return text, q, raw
}

// queue and status lead with the relay's health as the running gateway
// recorded it in the data folder, and say why files wait: spoolgate not
// running, the relay unavailable, or the rate window.
func TestQueueHealth_RelayAndRateWindow(t *testing.T) {
	dir := spooltest.TempDir(t)
	path := writeConfig(t, dir, `
[spool]
folder   = queue
data     = data
instance = box1
batch    = 2
interval = 3m
settle   = 1s

[smtp]
host     = 127.0.0.1
port     = 2525
security = none

[message]
from = library@example.org
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
	plant(t, cfg.Spool.Folder, "w1.eml", msgText("a@example.net", "w1"), time.Hour)
	plant(t, cfg.Spool.Folder, "w2.eml", msgText("b@example.net", "w2"), time.Minute)

	// Not running: whatever an earlier run recorded, nothing is sent.
	since := time.Now().Add(-3 * time.Minute).Truncate(time.Second)
	next := since.Add(5 * time.Minute)
	reply := "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6"
	tr := health.NewTracker(cfg.Spool.Data, cfg.Spool.Instance, []string{"smtp"}, func() time.Time { return since })
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	tr.Down("smtp", string(cause.LoginRefused), "smtp (127.0.0.1:2525)", reply, next, "")

	text, q, _ := queueHealth(t, path)
	if !strings.HasPrefix(text, "spoolgate is not running: nothing is being sent (nothing sent yet)\n\nQueue folder: "+cfg.Spool.Folder+"\n") ||
		!strings.Contains(text, "Waiting: 2 (oldest 1h ago)\n  Why they wait: spoolgate is not running: start it (spoolgate start, or spoolgate run in a console).\n") {
		t.Errorf("queue, not running:\n%s", text)
	}
	if q.Running || q.Relay.State != "not-running" || q.Relay.Cause != "" || q.Relay.Since != nil || q.LastSent != nil ||
		q.WhyWaiting == nil || q.WhyWaiting.Reason != "not-running" || q.RateWindow != nil {
		t.Errorf("queue --json, not running: %+v", q)
	}
	out, _, code := runCmd("status", "--config", path)
	if code != exitNotInstalled || !strings.Contains(out, "Spoolgate: not running\nspoolgate is not running: nothing is being sent (nothing sent yet)\nQueue: 2 waiting") {
		t.Errorf("status, not running: exit %d:\n%s", code, out)
	}

	// Running (it holds its instance lock), its relay refusing the login.
	lock, err := spool.Lock(context.Background(), gateway.InstanceLock(cfg), true, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	unlock := sync.OnceFunc(lock)
	defer unlock()
	text, q, raw := queueHealth(t, path)
	meaning, _ := cause.Explain("en", cause.LoginRefused)
	lead := "Relay unavailable since " + clockText(since) + ": the mail relay refused spoolgate's login (" + reply + "); next attempt " + clockText(next)
	if !strings.HasSuffix(meaning, "The mail relay refused spoolgate's login.") || !strings.HasPrefix(text, lead+"\n\nQueue folder: ") ||
		!strings.Contains(text, "Waiting: 2 (oldest 1h ago)\n  Why they wait: the relay is unavailable: the queue waits, and goes out once the relay takes mail again (next attempt "+clockText(next)+").\n") {
		t.Errorf("queue, relay unavailable; want it to lead with\n%s\n%s", lead, text)
	}
	if !q.Running || q.Relay.State != "unavailable" || q.Relay.Cause != "login-refused" || q.Relay.Reply != reply ||
		q.Relay.Since == nil || !q.Relay.Since.Equal(since) || q.Relay.NextAttempt == nil || !q.Relay.NextAttempt.Equal(next) ||
		q.WhyWaiting == nil || q.WhyWaiting.Reason != "relay" || q.RateWindow == nil || q.RateWindow.Batch != 2 || q.RateWindow.Interval != 180 {
		t.Errorf("queue --json, relay unavailable: %+v", q)
	}
	relay, _ := raw["relay"].(map[string]any)
	for _, k := range []string{"state", "since", "cause", "reply", "next_attempt"} {
		if _, ok := relay[k]; !ok {
			t.Errorf("queue --json: relay has no %q: %v", k, relay)
		}
	}
	if _, ok := raw["running"].(bool); !ok {
		t.Errorf("queue --json: no running: %v", raw)
	}
	out, stderr, code := runCmd("status", "--config", path)
	if code != 0 || !strings.Contains(out, "(in the foreground, not as the service)\n"+lead+"\nQueue: 2 waiting") && !strings.Contains(out, "(as the service or in the foreground)\n"+lead+"\nQueue: 2 waiting") ||
		!strings.Contains(out, "\nWhy they wait: the relay is unavailable") {
		t.Errorf("status, relay unavailable: exit %d, stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}

	// The relay works again and took two messages: the rate window of
	// [spool] batch = 2 is full until the first of them leaves it.
	tr.Up("smtp")
	j, err := journal.Open(inspect.JournalPath(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, to := range []string{"x@example.net", "y@example.net"} {
		key := fmt.Sprintf("box1-s%d", i)
		j.Begin(journal.Claim{Key: key, File: key + ".eml", To: []string{to}}, "smtp (127.0.0.1:2525)", []string{to}, nil)
		j.Record(journal.Outcome{Key: key, To: []string{to}, Status: journal.StatusSent, Server: "smtp (127.0.0.1:2525)", Reply: "250 2.0.0 Ok: queued as 4X"}, nil)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	text, q, _ = queueHealth(t, path)
	if !strings.HasPrefix(text, "Relay available (last sent ") || !strings.Contains(text, "s ago)\n\nQueue folder: ") ||
		!strings.Contains(text, "  Why they wait: the rate window is full: 2 sent in the last 3m ([spool] batch = 2 per interval = 3m); it opens at ") {
		t.Errorf("queue, rate window full:\n%s", text)
	}
	if q.Relay.State != "available" || q.Relay.Cause != "" || q.LastSent == nil || time.Since(*q.LastSent) > time.Minute ||
		q.WhyWaiting == nil || q.WhyWaiting.Reason != "rate-window" || q.RateWindow == nil || q.RateWindow.Accepted != 2 ||
		q.RateWindow.Opens == nil || time.Until(*q.RateWindow.Opens) < 2*time.Minute {
		t.Errorf("queue --json, rate window full: %+v %+v", q, q.RateWindow)
	}
	out, _, _ = runCmd("status", "--config", path)
	if !strings.Contains(out, "\nRelay available (last sent ") || !strings.Contains(out, "\nWhy they wait: the rate window is full: 2 sent") {
		t.Errorf("status, rate window full:\n%s", out)
	}

	// Stopped: the record says available, but nothing is being sent.
	unlock()
	text, q, _ = queueHealth(t, path)
	if !strings.HasPrefix(text, "spoolgate is not running: nothing is being sent (last sent ") || q.Running || q.Relay.State != "not-running" || q.LastSent == nil {
		t.Errorf("queue after the gateway stopped: %+v\n%s", q, text)
	}
}

// clockText is t as the health line writes it: the time of day when it
// is today.
func clockText(t time.Time) string {
	if t.Format(time.DateOnly) == time.Now().Format(time.DateOnly) {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// A running spoolgate whose relay demands a login holds the queue and
// records the relay unavailable; queue and status say so while it runs.
func TestE2E_QueueHealth_RelayRequiresLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	refusal := "Authentication required"
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageMail, smtptest.Refuse(530, [3]int{5, 7, 0}, refusal))))
	dir, cfg, queue := relayConfig(t, srv.Port(), "")
	d := startDaemon(t, cfg)
	spooltest.WaitFor(t, "the queue folder exists", func() bool { return fileExists(queue) })
	plant(t, queue, "held.eml", msgText("a@example.net", "held"), 0)
	record := filepath.Join(dir, "data", health.FileName("box1"))
	spooltest.WaitFor(t, "the relay is recorded unavailable", func() bool {
		b, _ := os.ReadFile(record)
		return bytes.Contains(b, []byte(`"state": "unavailable"`))
	})

	out, stderr, code := spoolgate(t, "queue", "--config", cfg)
	meaning, _ := cause.Explain("en", cause.AuthRequired)
	want := ": " + strings.ToLower(meaning[:1]) + strings.TrimSuffix(meaning[1:], ".") + " (530 5.7.0 " + refusal + "); next attempt "
	if first, _, _ := strings.Cut(out, "\n"); code != 0 || !strings.HasPrefix(first, "Relay unavailable since ") || !strings.Contains(first, want) {
		t.Errorf("queue: exit %d, want a first line with %q; stdout:\n%s\nstderr:\n%s", code, want, out, stderr)
	}
	js, _, code := spoolgate(t, "queue", "--config", cfg, "--json")
	var q queueHealthJSON
	if err := json.Unmarshal([]byte(js), &q); code != 0 || err != nil {
		t.Fatalf("queue --json: exit %d, %v\n%s", code, err, js)
	}
	if !q.Running || q.Relay.State != "unavailable" || q.Relay.Cause != string(cause.AuthRequired) || !strings.HasPrefix(q.Relay.Reply, "530 5.7.0") ||
		q.Relay.Since == nil || q.Relay.NextAttempt == nil {
		t.Errorf("queue --json: %+v\n%s", q, js)
	}
	code, out, _ = spoolgateIn(t, dir, "status", "--config", cfg)
	if code != 0 || !strings.Contains(out, "Spoolgate: running") || !strings.Contains(out, "\nRelay unavailable since ") || !strings.Contains(out, want) {
		t.Errorf("status: exit %d:\n%s", code, out)
	}
	if names := strings.Join(dirNames(queue), " "); !strings.Contains(names, "held.eml") || strings.Contains(names, ".BAD") {
		t.Errorf("the held file must wait in the queue, not be set aside: %s", names)
	}
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM", code)
	}
	out, _, _ = spoolgate(t, "queue", "--config", cfg)
	if !strings.HasPrefix(out, "spoolgate is not running: nothing is being sent") {
		t.Errorf("queue after the stop:\n%s", out)
	}
}
