package inspect

import (
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/journal"
)

const loginReply = "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6"

// tracker records the relay's health in cfg's data folder as the gateway
// does, the gateway having started at started.
func tracker(t *testing.T, cfg *config.Config, started time.Time) *health.Tracker {
	t.Helper()
	at := started
	tr := health.NewTracker(cfg.Spool.Data, cfg.Spool.Instance, []string{"smtp", "smtp.branch"}, func() time.Time { return at })
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	return tr
}

// sends journals messages as the gateway does: each accepted for to
// (one sent outcome per message), or refused when to is "gone@…".
func sends(t *testing.T, cfg *config.Config, to ...[]string) {
	t.Helper()
	j, err := journal.Open(JournalPath(cfg), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, rcpts := range to {
		key := "test-" + string(rune('a'+i))
		j.Begin(journal.Claim{Key: key, File: key + ".eml", To: rcpts}, "smtp (mx:25)", rcpts, nil)
		if rcpts[0] == "gone@example.net" {
			j.Record(journal.Outcome{Key: key, To: rcpts, Status: journal.StatusFailed, Server: "smtp (mx:25)",
				Reply: "550 5.1.1 no such user", Cause: string(cause.AddressUnknown)}, nil)
			continue
		}
		j.Record(journal.Outcome{Key: key, To: rcpts, Status: journal.StatusSent, Server: "smtp (mx:25)", Reply: "250 2.0.0 Ok: queued as 4X"}, nil)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadHealth_Unavailable(t *testing.T) {
	cfg := testConfig(t, nil)
	now := time.Date(2026, 12, 2, 14, 5, 0, 0, time.Local)
	since := now.Add(-3 * time.Minute)
	next := now.Add(2 * time.Minute)
	tracker(t, cfg, since).Down("smtp", string(cause.LoginRefused), "smtp (mx:587)", loginReply, next, "")

	h := ReadHealth(cfg, true, now)
	if h.State() != "unavailable" || h.Relay.Cause != "login-refused" || h.Relay.Reply != loginReply || !h.Relay.NextAttempt.Equal(next) || h.Err != "" || h.JournalErr != "" {
		t.Fatalf("ReadHealth = %+v", h)
	}
	meaning, _ := cause.Explain("en", cause.LoginRefused)
	want := "Relay unavailable since 14:02: " + lowerFirst(strings.TrimSuffix(meaning, ".")) + " (" + loginReply + "); next attempt 14:07"
	if got := h.Line(); got != want || !strings.HasPrefix(got, "Relay unavailable since 14:02: the mail relay refused spoolgate's login (535 5.7.8 ") {
		t.Errorf("Line() =\n%q, want\n%q", got, want)
	}
	reason, text := h.Why(cfg, 1, now.Add(-time.Hour), 0)
	if reason != WaitRelay || !strings.Contains(text, "the relay is unavailable") || !strings.Contains(text, "(next attempt 14:07)") {
		t.Errorf("Why = %q, %q", reason, text)
	}
	// The same line, spoken after "the relay is", for test --wait.
	if got := "Relay " + RelayLine(h.Relay, h.Who, now); got != h.Line() {
		t.Errorf("RelayLine = %q, Line %q", got, h.Line())
	}
}

func TestReadHealth_NotRunning(t *testing.T) {
	cfg := testConfig(t, nil)
	now := time.Now()
	// The last run's record says the relay was unavailable: no longer
	// current, since nothing runs.
	tracker(t, cfg, now.Add(-time.Hour)).Down("smtp", string(cause.LoginRefused), "smtp (mx:587)", loginReply, now.Add(time.Minute), "")
	h := ReadHealth(cfg, false, now)
	if h.State() != "not-running" || h.Running || h.Relay.Cause != "" {
		t.Fatalf("ReadHealth = %+v", h)
	}
	if got := h.Line(); got != "spoolgate is not running: nothing is being sent (nothing sent yet)" {
		t.Errorf("Line() = %q", got)
	}
	if reason, text := h.Why(cfg, 2, now.Add(-time.Hour), 0); reason != WaitNotRunning || !strings.Contains(text, "spoolgate start") {
		t.Errorf("Why = %q, %q", reason, text)
	}
	if reason, text := h.Why(cfg, 0, time.Time{}, 0); reason != "" || text != "" {
		t.Errorf("Why with nothing waiting = %q, %q", reason, text)
	}

	sends(t, cfg, []string{"a@example.net"})
	h = ReadHealth(cfg, false, time.Now())
	if h.LastSent.IsZero() || !strings.HasPrefix(h.Line(), "spoolgate is not running: nothing is being sent (last sent ") {
		t.Errorf("Line() = %q, LastSent %v", h.Line(), h.LastSent)
	}
}

func TestReadHealth_AvailableAndUnknown(t *testing.T) {
	cfg := testConfig(t, nil)
	started := time.Now().Add(-time.Hour)
	tr := tracker(t, cfg, started)

	h := ReadHealth(cfg, true, time.Now())
	if want := "Relay: not yet used since spoolgate started at " + clock(started, h.Now) + " (nothing sent yet)"; h.State() != "unknown" || h.Line() != want {
		t.Errorf("unknown: state %q, Line() = %q, want %q", h.State(), h.Line(), want)
	}

	tr.Up("smtp")
	sends(t, cfg, []string{"a@example.net"})
	h = ReadHealth(cfg, true, time.Now().Add(3*time.Minute))
	if got := h.Line(); h.State() != "available" || got != "Relay available (last sent 3m ago)" {
		t.Errorf("available: state %q, Line() = %q", h.State(), got)
	}
	// Nothing holds the waiting files: the window has room.
	if reason, text := h.Why(cfg, 1, h.Now.Add(-time.Hour), 0); reason != WaitSending || !strings.Contains(text, "nothing holds them") {
		t.Errorf("Why = %q, %q", reason, text)
	}
	// A file written a moment ago waits for [spool] settle.
	cfg.Spool.Settle = 5 * time.Second
	if reason, text := h.Why(cfg, 1, h.Now.Add(-time.Second), 0); reason != WaitSettling || !strings.Contains(text, "[spool] settle = 5s") {
		t.Errorf("Why of a fresh file = %q, %q", reason, text)
	}
}

func TestReadHealth_NoRecordWhileRunning(t *testing.T) {
	cfg := testConfig(t, nil)
	h := ReadHealth(cfg, true, time.Now())
	if h.State() != "unknown" || !strings.HasPrefix(h.Line(), "Relay: unknown (no relay health recorded in "+cfg.Spool.Data) {
		t.Errorf("state %q, Line() = %q", h.State(), h.Line())
	}
}

// The rate window counts the relay's acceptances of the last interval
// since the gateway started, one per message; a refused message is not
// one.
func TestReadHealth_RateWindow(t *testing.T) {
	cfg := testConfig(t, nil)
	cfg.Spool.Batch, cfg.Spool.Interval = 2, 3*time.Minute
	tracker(t, cfg, time.Now().Add(-time.Hour)).Up("smtp")
	first := time.Now()
	sends(t, cfg, []string{"a@example.net", "b@example.net"}, []string{"gone@example.net"}, []string{"c@example.net"}, []string{"d@example.net"})

	now := time.Now().Add(time.Second)
	h := ReadHealth(cfg, true, now)
	w := h.Window
	if w.Accepted != 3 || !w.Full(0) || w.Opens.Before(first.Add(3*time.Minute)) || w.Opens.After(now.Add(3*time.Minute)) {
		t.Fatalf("Window = %+v", w)
	}
	reason, text := h.Why(cfg, 4, now.Add(-time.Hour), 0)
	want := "the rate window is full: 3 sent in the last 3m ([spool] batch = 2 per interval = 3m); it opens at " + clock(w.Opens, now) + " (in "
	if reason != WaitRateWindow || !strings.HasPrefix(text, want) {
		t.Errorf("Why = %q, %q; want %q…", reason, text, want)
	}

	// After the interval, the window is empty again.
	if h := ReadHealth(cfg, true, now.Add(4*time.Minute)); h.Window.Accepted != 0 || h.Window.Full(1) {
		t.Errorf("an interval later: %+v", h.Window)
	}
	// A gateway started since counts from its start, as it does itself.
	tracker(t, cfg, now).Up("smtp")
	if h := ReadHealth(cfg, true, now.Add(time.Second)); h.Window.Accepted != 0 {
		t.Errorf("a gateway started after the sends: %+v", h.Window)
	}
	// A message in flight fills a window with one place left.
	cfg.Spool.Batch = 4
	tracker(t, cfg, time.Now().Add(-time.Hour)).Up("smtp")
	h = ReadHealth(cfg, true, now)
	if h.Window.Full(0) || !h.Window.Full(1) || !h.Window.Opens.IsZero() {
		t.Errorf("batch 4: %+v", h.Window)
	}
	if reason, text := h.Why(cfg, 1, now.Add(-time.Hour), 1); reason != WaitRateWindow || !strings.Contains(text, "3 sent in the last 3m and 1 being sent") {
		t.Errorf("Why with one in flight = %q, %q", reason, text)
	}
}

func TestRelayLine(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.Local)
	h := health.Relay{Chain: "smtp.branch", State: health.Unavailable, Since: time.Date(2026, 12, 1, 22, 30, 0, 0, time.Local),
		Cause: string(cause.Unreachable), Reply: "dial tcp 192.0.2.1:25:\n connect: connection refused", NextAttempt: now.Add(-time.Second)}
	want := "unavailable since 2026-12-01 22:30 ([smtp.branch]): spoolgate could not connect to the mail relay, or the connection was lost " +
		"(dial tcp 192.0.2.1:25: connect: connection refused); next attempt due now"
	if got := RelayLine(h, "", now); got != want {
		t.Errorf("RelayLine =\n%q, want\n%q", got, want)
	}
	if got := RelayLine(health.Relay{State: health.Available}, "", now); got != "available" {
		t.Errorf("RelayLine of an available relay = %q", got)
	}
}

// TestRelayLine_Limit: a chain waiting for a sending limit says whose
// limit and when sending resumes, not that the relay is broken.
func TestRelayLine_Limit(t *testing.T) {
	now := time.Date(2026, 12, 3, 14, 10, 0, 0, time.Local)
	h := health.Relay{Chain: "smtp.m365", State: health.Unavailable, Since: now.Add(-time.Hour), Cause: string(cause.QuotaExceeded),
		Reply: "daily limit reached (10000 recipients in 24 hours, [smtp] daily_limit)", NextAttempt: now.Add(16 * time.Hour), Limit: health.LimitDaily}
	want := "unavailable since 13:10 ([smtp.m365]): Microsoft 365's daily limit reached; sending resumes at 2026-12-04 06:10 " +
		"(daily limit reached (10000 recipients in 24 hours, [smtp] daily_limit))"
	if got := RelayLine(h, "Microsoft 365", now); got != want {
		t.Errorf("RelayLine =\n%q, want\n%q", got, want)
	}
}
