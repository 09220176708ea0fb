package gateway

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/spool"
)

// Counts are the outcomes a running gateway has recorded since it started,
// for the console's /metrics. They are counted where the gateway decides
// them, beside the journal's record of each (record, and the few lines of
// deliver that call the observer), so they say what the journal says for
// this run, without a query of the journal at every scrape.
type Counts struct {
	Started time.Time
	// Recipients by outcome status (sent, failed, skipped, deferred) and
	// cause (empty for sent): one per recipient of each journaled outcome.
	// A deferral is counted at each attempt that ends in one.
	Recipients map[Outcome]int64
	// Messages by outcome: sent (the relay accepted the message, for some
	// or all of its recipients), failed (the file was set aside as .BAD,
	// by its cause), skipped (every recipient left was skipped, as
	// already sent within [spool] dedupe_window: the file is removed
	// unsent).
	Messages map[Outcome]int64
	// TokenErrors counts, per chain (health name) and cause, the
	// attempts that failed for an OAuth2 cause (cause names starting
	// oauth-: no access token could be had, or the relay refused it).
	TokenErrors map[ChainCause]int64
	// LastSuccess is, per chain, when it last took a message since the
	// gateway started (the health record keeps only when it became
	// available).
	LastSuccess map[string]time.Time
}

// Outcome keys Counts by journal status and cause.
type Outcome struct {
	Status journal.Status
	Cause  string
}

// ChainCause keys Counts.TokenErrors.
type ChainCause struct {
	Chain, Cause string
}

// observer counts what the gateway decides, for Counts. Its zero value is
// ready; it is safe for concurrent use.
type observer struct {
	running atomic.Bool // the run loop runs

	started time.Time // when the run loop started; set before running

	mu          sync.Mutex
	recipients  map[Outcome]int64
	messages    map[Outcome]int64
	tokenErrors map[ChainCause]int64
	lastSuccess map[string]time.Time
}

func (o *observer) add(m *map[Outcome]int64, k Outcome, n int64) {
	if *m == nil {
		*m = map[Outcome]int64{}
	}
	(*m)[k] += n
}

// outcome counts a journaled outcome: its recipients, and, when sent, the
// message.
func (o *observer) outcome(out journal.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := Outcome{Status: out.Status, Cause: out.Cause}
	if n := len(out.To); n > 0 {
		o.add(&o.recipients, k, int64(n))
	}
	if out.Status == journal.StatusSent {
		o.add(&o.messages, k, 1)
	}
}

// skipped counts n recipients skipped as already sent (dedupe, which
// journals each); all says that no recipient was left, so the message is
// skipped too.
func (o *observer) skipped(n int, all bool) {
	if n <= 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k := Outcome{Status: journal.StatusSkipped, Cause: string(cause.AlreadySent)}
	o.add(&o.recipients, k, int64(n))
	if all {
		o.add(&o.messages, k, 1)
	}
}

// bad counts a file set aside as .BAD for c.
func (o *observer) bad(c cause.Cause) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.add(&o.messages, Outcome{Status: journal.StatusFailed, Cause: string(c)}, 1)
}

// relayFailed counts a failed attempt on chain when c is an OAuth2 cause.
func (o *observer) relayFailed(chain string, c cause.Cause) {
	if !strings.HasPrefix(string(c), "oauth-") {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tokenErrors == nil {
		o.tokenErrors = map[ChainCause]int64{}
	}
	o.tokenErrors[ChainCause{chain, string(c)}]++
}

// sent records that chain took a message at t.
func (o *observer) sent(chain string, t time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lastSuccess == nil {
		o.lastSuccess = map[string]time.Time{}
	}
	o.lastSuccess[chain] = t
}

// run marks the run loop running from now on, until the returned
// function is called.
func (o *observer) run(now time.Time) func() {
	o.mu.Lock()
	o.started = now
	o.mu.Unlock()
	o.running.Store(true)
	return func() { o.running.Store(false) }
}

// record journals out (journal.Record) and counts it.
func (g *Gateway) record(out journal.Outcome, done func(error)) {
	g.journal.Record(out, done)
	g.obs.outcome(out)
}

// Counts returns what the gateway counted since it started.
func (g *Gateway) Counts() Counts {
	o := &g.obs
	o.mu.Lock()
	defer o.mu.Unlock()
	c := Counts{Started: o.started, Recipients: map[Outcome]int64{}, Messages: map[Outcome]int64{},
		TokenErrors: map[ChainCause]int64{}, LastSuccess: map[string]time.Time{}}
	for k, v := range o.recipients {
		c.Recipients[k] = v
	}
	for k, v := range o.messages {
		c.Messages[k] = v
	}
	for k, v := range o.tokenErrors {
		c.TokenErrors[k] = v
	}
	for k, v := range o.lastSuccess {
		c.LastSuccess[k] = v
	}
	return c
}

// Running tells whether the gateway's run loop runs: false before Run
// has started relaying and once it is stopping.
func (g *Gateway) Running() bool { return g.obs.running.Load() }

// Relays returns each relay chain's health as the gateway's tracker
// decided it, in the order of the config ([smtp] first).
func (g *Gateway) Relays() []health.Relay {
	out := make([]health.Relay, 0, len(g.chains))
	for _, c := range g.chains {
		out = append(out, g.health.Get(c))
	}
	return out
}

// Chains are the health names of the gateway's relay chains: "smtp" for
// [smtp] first, then "smtp.NAME" for each [smtp.NAME] a unit uses.
func (g *Gateway) Chains() []string { return slices.Clone(g.chains) }

// Queue scans the queue folder once, as the views do (package inspect):
// with a spool of its own, which holds no lock and touches no file, so it
// never disturbs the gateway's scans. The snapshot counts the waiting,
// deferred, sending and .BAD files and has the oldest waiting file.
func (g *Gateway) Queue() (*spool.Snapshot, error) {
	c := g.cfg.Spool
	return spool.New(spool.Options{Dir: c.Folder, Patterns: c.Patterns, Instance: c.Instance, Settle: c.Settle, Now: g.now}).Scan(1)
}
