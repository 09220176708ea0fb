package gateway

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
)

// A message refused for good goes .BAD. Gateway.Retry, named by the file
// the library system dropped, puts it back under its key; the journal
// notes the retry, and the running gateway sends it at once (not after
// the jitter of a file found deferred, here up to 30s).
func TestGatewayRetry(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.AtRcpt("b@example.net",
		smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user"))))
	cfg := testConfig(t, srv)
	cfg.Spool.RetryDelay, cfg.Spool.RetryMax = time.Hour, 2*time.Hour
	drop(t, cfg, "notice.eml", msg("b@example.net", "Due"))
	g, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	waitFor(t, "notice.BAD", func() bool { return exists(cfg, "notice.BAD.txt") && exists(cfg, "notice.BAD") })
	srv.SetFault(nil)

	if _, err := g.Retry("nothere"); !errors.Is(err, ErrNoBad) || !strings.Contains(err.Error(), "the .BAD files are: notice.BAD") {
		t.Errorf("Retry(nothere): %v; want ErrNoBad listing notice.BAD", err)
	}
	start := time.Now()
	r, err := g.Retry("notice.eml")
	if err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if !r.Own || r.Bad != "notice.BAD" || r.Entry.State != spool.Deferred || len(r.Delivered) != 0 {
		t.Errorf("Retry: %+v", r)
	}
	msgs := srv.WaitMessages(t, 1, 20*time.Second)
	if got := msgs[0].To; len(got) != 1 || got[0] != "b@example.net" {
		t.Errorf("the retry went to %v; want b", got)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the retry took %v: not at once", d)
	}
	waitEmpty(t, cfg)
	_, evs, err := g.Journal().History(r.Key)
	if err != nil {
		t.Fatal(err)
	}
	var what []string
	for _, e := range evs {
		what = append(what, e.What)
	}
	if !strings.Contains(strings.Join(what, " "), "retried") {
		t.Errorf("the history %v has no retry", what)
	}
	rec, _, _ := g.Journal().History(r.Key)
	if rec.Status != journal.StatusSent {
		t.Errorf("after the retry the message is %s", rec.Status)
	}
}

// ResolveBad and MatchBad: by the .BAD name, without .BAD, by the file's
// first name; ErrAmbiguous and ErrNoBad otherwise.
func TestRetry_MatchBad(t *testing.T) {
	bad := []BadFile{
		{Name: "abc.BAD", Reason: &spool.Reason{File: "abc.tmp"}},
		{Name: "dup.BAD", Reason: &spool.Reason{File: "dup.tmp"}},
		{Name: "dup.1.BAD", Reason: &spool.Reason{File: "dup.tmp"}},
	}
	for name, want := range map[string]string{"abc": "abc.BAD", "ABC.bad": "abc.BAD", "abc.tmp": "abc.BAD", "dup.1": "dup.1.BAD"} {
		if f, err := MatchBad(bad, name); err != nil || f.Name != want {
			t.Errorf("MatchBad(%s): %+v %v; want %s", name, f, err, want)
		}
	}
	if _, err := MatchBad(bad, "dup.tmp"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("ambiguous: %v", err)
	}
	if _, err := ResolveBad(bad, []string{"abc", "x/zzz"}, false); !errors.Is(err, ErrNoBad) || !strings.Contains(err.Error(), "no .BAD file named x/zzz;") {
		t.Errorf("unknown: %v", err)
	}
	if all, err := ResolveBad(bad, nil, true); err != nil || len(all) != 3 {
		t.Errorf("all: %v %v", all, err)
	}
}
