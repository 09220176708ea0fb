package gateway

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// testClock is the real clock moved on by the test.
type testClock struct{ off atomic.Int64 }

func (c *testClock) now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// advance moves the clock on by d and tells the gateway to look again.
func (c *testClock) advance(d time.Duration, g *atomic.Pointer[Gateway]) {
	c.off.Add(int64(d))
	if gw := g.Load(); gw != nil {
		gw.reschedule()
		gw.hint()
	}
}

// withGateway keeps the running gateway for the test.
func withGateway(p *atomic.Pointer[Gateway]) Option {
	return WithBackground(func(ctx context.Context, g *Gateway) { p.Store(g) })
}

func relayHealth(t *testing.T, r *running) health.Relay {
	t.Helper()
	rec, err := health.Read(r.cfg.Spool.Data, r.cfg.Spool.Instance)
	if err != nil {
		return health.Relay{}
	}
	return rec.Relay("smtp")
}

// TestLimits_Minute: minute_limit 2 with 5 files: 2 go in the first
// minute, the rest in the minutes after; none is set aside or deferred.
func TestLimits_Minute(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.SMTP.MinuteLimit = 2
	clock := &testClock{}
	var g atomic.Pointer[Gateway]
	r := start(t, cfg, WithClock(clock.now), withGateway(&g))
	for i := range 5 {
		drop(t, cfg, fmt.Sprintf("m%d.eml", i), msg("a@example.net", fmt.Sprintf("minute %d", i)))
	}
	srv.WaitMessages(t, 2, 60*time.Second)
	waitFor(t, "the health says the minute limit", func() bool {
		h := relayHealth(t, r)
		return h.State == health.Unavailable && strings.Contains(h.Reply, "minute limit reached")
	})
	time.Sleep(300 * time.Millisecond)
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("%d messages in the first minute, want 2", n)
	}
	if q := files(t, cfg.Spool.Folder); len(q) != 3 || hasSuffix(q, ".BAD") != 0 || hasSuffix(q, ".deferred") != 0 {
		t.Fatalf("queue after the first minute: %v", q)
	}
	clock.advance(61*time.Second, &g)
	srv.WaitMessages(t, 4, 60*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := len(srv.Messages()); n != 4 {
		t.Fatalf("%d messages after the second minute, want 4", n)
	}
	clock.advance(61*time.Second, &g)
	srv.WaitMessages(t, 5, 60*time.Second)
	waitEmpty(t, cfg)
}

// TestLimits_Daily: daily_limit 3 recipients: the 4th message waits, in
// the queue under its own name, and the health says the daily limit; the
// count survives a restart (read back from the journal); a day later it
// goes.
func TestLimits_Daily(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.SMTP.DailyLimit = 3
	clock := &testClock{}
	var g atomic.Pointer[Gateway]
	r := start(t, cfg, WithClock(clock.now), withGateway(&g))
	drop(t, cfg, "a.eml", msg("a@example.net, b@example.net", "two"))
	srv.WaitMessages(t, 1, 60*time.Second)
	drop(t, cfg, "b.eml", msg("c@example.net", "third"))
	srv.WaitMessages(t, 2, 60*time.Second)
	waitEmpty(t, cfg)
	drop(t, cfg, "c.eml", msg("d@example.net", "fourth"))
	waitFor(t, "the health says the daily limit", func() bool {
		h := relayHealth(t, r)
		return h.State == health.Unavailable && strings.Contains(h.Reply, "daily limit reached") &&
			h.NextAttempt.After(clock.now().Add(23*time.Hour))
	})
	if !exists(cfg, "c.eml") || len(srv.Messages()) != 2 {
		t.Fatalf("the 4th recipient did not wait: queue %v, %d messages", files(t, cfg.Spool.Folder), len(srv.Messages()))
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	var g2 atomic.Pointer[Gateway]
	r2 := start(t, cfg, WithClock(clock.now), withGateway(&g2))
	waitFor(t, "the restarted gateway says the daily limit", func() bool {
		h := relayHealth(t, r2)
		return h.State == health.Unavailable && strings.Contains(h.Reply, "daily limit reached")
	})
	if len(srv.Messages()) != 2 {
		t.Fatalf("after a restart the daily limit was forgotten: %d messages", len(srv.Messages()))
	}
	clock.advance(24*time.Hour+time.Minute, &g2)
	srv.WaitMessages(t, 3, 60*time.Second)
	waitEmpty(t, cfg)
}

// TestLimits_QuotaReply: a 550 5.4.5 quota reply holds the file in the
// queue (never .BAD) and pauses the chain until the daily window allows,
// when daily_limit is set.
func TestLimits_QuotaReply(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.SMTP.DailyLimit = 100
	r := start(t, cfg)
	drop(t, cfg, "first.eml", msg("a@example.net", "first"))
	srv.WaitMessages(t, 1, 60*time.Second)
	waitEmpty(t, cfg)
	srv.SetFault(smtptest.At(smtptest.StageMail, smtptest.Refuse(550, [3]int{5, 4, 5}, "Daily user sending quota exceeded")))
	drop(t, cfg, "second.eml", msg("b@example.net", "second"))
	waitFor(t, "the chain pauses for the quota", func() bool {
		h := relayHealth(t, r)
		return h.State == health.Unavailable && h.Cause == "quota-exceeded" && strings.Contains(h.Reply, "5.4.5") &&
			h.NextAttempt.After(time.Now().Add(23*time.Hour))
	})
	q := files(t, cfg.Spool.Folder)
	if len(q) != 1 || hasSuffix(q, ".BAD") != 0 {
		t.Fatalf("the file did not stay queued: %v", q)
	}
}

// TestLimits_OneChainWaitsOthersSend: a unit's chain at its daily limit
// holds only that unit's files (deferred until the window allows, the
// journal saying why); the files of [smtp] keep going, and [smtp]'s
// health stays available. A day later the held file goes.
func TestLimits_OneChainWaitsOthersSend(t *testing.T) {
	main := smtptest.NewServer(t)
	branch := smtptest.NewServer(t)
	cfg := testConfig(t, main)
	branchSrv := serverConfig("branch", branch.Host(), branch.Port())
	branchSrv.DailyLimit = 1
	cfg.Units = map[string]*config.Unit{"Vasastan": {Name: "Vasastan", SMTP: branchSrv}}
	clock := &testClock{}
	var g atomic.Pointer[Gateway]
	r := start(t, cfg, WithClock(clock.now), withGateway(&g))
	unitMsg := func(subject string) []byte {
		return []byte("X-Spoolgate-Unit: Vasastan\r\nTo: p@example.net\r\nSubject: " + subject + "\r\n\r\nhej\r\n")
	}
	drop(t, cfg, "b1.eml", unitMsg("branch one"))
	branch.WaitMessages(t, 1, 60*time.Second)
	waitEmpty(t, cfg)
	drop(t, cfg, "b2.eml", unitMsg("branch two"))
	waitFor(t, "the branch chain says its daily limit", func() bool {
		rec, err := health.Read(r.cfg.Spool.Data, r.cfg.Spool.Instance)
		if err != nil {
			return false
		}
		h := rec.Relay("smtp.branch")
		return h.State == health.Unavailable && strings.Contains(h.Reply, "daily limit reached")
	})
	for i := range 3 {
		drop(t, cfg, fmt.Sprintf("m%d.eml", i), msg("a@example.net", fmt.Sprintf("main %d", i)))
	}
	main.WaitMessages(t, 3, 60*time.Second)
	waitFor(t, "the branch file deferred, the others gone", func() bool {
		q := files(t, cfg.Spool.Folder)
		return len(q) == 1 && hasSuffix(q, ".deferred") == 1
	})
	if h := relayHealth(t, r); h.State == health.Unavailable {
		t.Errorf("[smtp] is reported unavailable for the branch's limit: %+v", h)
	}
	if n := len(branch.Messages()); n != 1 {
		t.Fatalf("the branch relay got %d messages over its daily limit of 1", n)
	}
	recs, err := g.Load().Journal().Query(journal.Filter{File: "b2.eml"})
	if err != nil || len(recs) != 1 || recs[0].Status != journal.StatusDeferred || recs[0].Cause != "quota-exceeded" ||
		!strings.Contains(recs[0].Reply, "daily limit reached") || recs[0].Next.Before(clock.now().Add(23*time.Hour)) {
		t.Fatalf("the journal does not say why b2 waits: %+v %v", recs, err)
	}
	clock.advance(24*time.Hour+time.Minute, &g)
	branch.WaitMessages(t, 2, 60*time.Second)
	waitEmpty(t, cfg)
}

// TestLimits_QuotaReplies: each provider's quota or rate reply, at the
// stage it comes, holds the file (never .BAD) and pauses the chain until
// its window allows: a daily quota for about a day after the first send
// of the window, a rate for about a minute.
func TestLimits_QuotaReplies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault smtptest.Fault
		daily bool
	}{
		{"gmail 550 5.4.5", smtptest.At(smtptest.StageMail, smtptest.Refuse(550, [3]int{5, 4, 5}, "Daily user sending limit exceeded")), true},
		{"microsoft 554 5.2.0", smtptest.At(smtptest.StageData, smtptest.Refuse(554, [3]int{5, 2, 0},
			"STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception")), true},
		{"421 4.7.0 rate", smtptest.At(smtptest.StageMail, smtptest.Refuse(421, [3]int{4, 7, 0}, "Temporary System Problem. Try again later, rate limited")), false},
		{"452 4.5.3 recipients", smtptest.At(smtptest.StageRcpt, smtptest.Refuse(452, [3]int{4, 5, 3}, "Too many recipients")), false},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			srv := smtptest.NewServer(t)
			cfg := testConfig(t, srv)
			cfg.SMTP.DailyLimit, cfg.SMTP.MinuteLimit = 10000, 30
			r := start(t, cfg)
			drop(t, cfg, "first.eml", msg("a@example.net", "first"))
			srv.WaitMessages(t, 1, 60*time.Second)
			waitEmpty(t, cfg)
			srv.SetFault(tc.fault)
			drop(t, cfg, "second.eml", msg("b@example.net", "second"))
			var h health.Relay
			waitFor(t, "the chain pauses for "+tc.name, func() bool {
				h = relayHealth(t, r)
				return h.State == health.Unavailable && h.Cause == "quota-exceeded"
			})
			wait := time.Until(h.NextAttempt)
			if tc.daily && wait < 23*time.Hour || !tc.daily && (wait > 65*time.Second || wait < 0) {
				t.Errorf("%s: next attempt in %s; want about %s", tc.name, wait.Round(time.Second), map[bool]string{true: "a day", false: "a minute"}[tc.daily])
			}
			if q := files(t, cfg.Spool.Folder); len(q) != 1 || hasSuffix(q, ".BAD") != 0 {
				t.Fatalf("%s: the file did not stay queued: %v", tc.name, q)
			}
		})
	}
}
