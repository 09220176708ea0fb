// Package gateway is spoolgate's engine: it takes message files from the
// queue folder (package spool), reads them (package message), hands them to
// the relay (package relay) at no more than the configured rate, and
// journals every step (package journal).
//
// The delivery guarantee: every file dropped in the queue ends in exactly
// one of three states: accepted by the relay (the file is removed after the
// journal has durably recorded it), refused for good (renamed to .BAD with a
// .BAD.txt reason beside it), or still queued (waiting, or .deferred for a
// retry). A file is removed only after the relay accepted it and the journal
// committed that; so a crash can cause a message to be sent twice only in the
// short window between the relay's reply to DATA and that commit (docs/design.md
// says so). A crash never loses a file.
//
// The rate: never more than Batch messages accepted by the relay in any
// Interval-long stretch. A message in flight counts against the window until
// its outcome is known.
//
// The watcher is a hint; the folder scan is the truth. The folder is scanned
// at start, at every Interval, after watcher events, and when a file that
// was still being written should have settled.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/message"
	"github.com/spoolgate/spoolgate/gateway/relay"
	"github.com/spoolgate/spoolgate/spool"
)

// scanLimit bounds how many ready files one scan keeps in memory, so a
// folder with 100,000 files waiting costs no more than one with 10,000.
const scanLimit = 10000

// maxJournalBacklog is how many journal records may wait for the disk
// before the workers wait for them.
const maxJournalBacklog = 4096

// maxUnrecorded is how many messages the relay may have accepted that the
// journal has not yet durably recorded, before the workers wait for the
// journal. Each of them would be sent again after a crash, so this bounds
// the duplicates one crash can cause (to this, plus one message in flight
// per connection) while the journal still commits in groups.
const maxUnrecorded = 32

// JournalFile is the journal's file name in the data folder.
const JournalFile = "journal.db"

// Gateway relays the queue folder of one validated config.
type Gateway struct {
	cfg        *config.Config
	log        *slog.Logger
	spool      *spool.Spool
	journal    *journal.Journal
	health     *health.Tracker // the relay chains' health, recorded in the data folder
	limits     limits          // what each chain sent, for its daily_limit and minute_limit
	opts       message.Options // [message] defaults
	now        func() time.Time
	senders    []relay.Sender
	background []func(ctx context.Context, g *Gateway)

	scanMu     sync.Mutex   // one scan at a time
	unrecorded atomic.Int64 // accepted by the relay, not yet committed to the journal

	mu       sync.Mutex
	ready    []spool.Entry          // settled waiting files from the last scan, oldest first
	deferred map[string]*retryEntry // by key
	dirty    bool                   // something may have changed since the last scan
	settling time.Time              // when an unsettled file may be ready
	accepted []time.Time            // relay acceptances within the last Interval
	inflight int                    // claimed and not yet decided
	// pausedUntil holds, per chain (by health name), until when it is
	// unavailable or at a sending limit: its files wait until then. The
	// queue as a whole waits only when every chain does.
	pausedUntil map[string]time.Time
	chains      []string            // the health names of the chains, from chainNames
	folderErr   string              // last scan error, logged once
	wakes       []chan struct{}     // one per worker
	resched     chan struct{}       // tells the loop to recompute its alarm
	unfiled     map[string]*unfiled // refused claimed files not yet set aside (a full disk), by name

	// Files of one content are sent one at a time, so that the dedupe
	// window sees the first one's outcome (see dedupe).
	sending     map[string]bool // content hashes being sent, until their outcome is durable
	sendingDone *sync.Cond      // on mu: a hash left sending

	obs observer // what it decided since it started, for the metrics (metrics.go)
}

type retryEntry struct {
	entry spool.Entry
	due   time.Time
}

// Option changes how a Gateway is built; for tests and embedding.
type Option func(*Gateway)

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(g *Gateway) { g.now = now } }

// WithBackground runs f beside the relay while Run runs (the scheduler of
// the morning scan and the daily log, say). f must return soon after its
// context ends; Run waits for it before it closes the journal and returns.
func WithBackground(f func(ctx context.Context, g *Gateway)) Option {
	return func(g *Gateway) { g.background = append(g.background, f) }
}

// WithSenders replaces the senders the config implies (one per connection).
func WithSenders(s ...relay.Sender) Option { return func(g *Gateway) { g.senders = s } }

// New prepares a gateway for cfg: it creates the queue and data folders
// when missing and opens the journal. Call Run, then nothing else.
func New(cfg *config.Config, log *slog.Logger, opts ...Option) (*Gateway, error) {
	g := &Gateway{
		cfg:      cfg,
		log:      log,
		now:      time.Now,
		deferred: map[string]*retryEntry{},
		unfiled:  map[string]*unfiled{},
		dirty:    true,
		resched:  make(chan struct{}, 1),
		sending:  map[string]bool{},
	}
	g.sendingDone = sync.NewCond(&g.mu)
	for _, o := range opts {
		o(g)
	}
	// A missing folder is made only inside one that exists: a missing
	// parent is a share that is not mounted or a mistyped path, and a
	// folder made in its place would hide the files on the share.
	// The queue folder's group writes it (the library system); the data
	// folder (the journal, the relay's health) is spoolgate's, which its
	// group (administrators) may read.
	for _, f := range []struct {
		key, dir string
		perm     os.FileMode
	}{{"[spool] folder", cfg.Spool.Folder, 0o770}, {"[spool] data", cfg.Spool.Data, 0o750}} {
		if err := spool.MakeFolder(f.dir, f.perm); err != nil {
			return nil, fmt.Errorf("%s = %s cannot be created: %w", f.key, f.dir, err)
		}
	}
	g.spool = spool.New(spool.Options{
		Dir:      cfg.Spool.Folder,
		Patterns: cfg.Spool.Patterns,
		Instance: cfg.Spool.Instance,
		Settle:   cfg.Spool.Settle,
		Now:      g.now,
	})
	g.opts = message.Options{
		From:       cfg.Message.From,
		FromName:   cfg.Message.FromName,
		ReturnPath: cfg.Message.ReturnPath,
		CopyTo:     cfg.Message.CopyTo,
		Charset:    cfg.Spool.Charset,
		Encoding:   cfg.Spool.Encoding,
		MaxSize:    cfg.Spool.MaxSize,
		Now:        g.now,
	}

	if g.senders == nil {
		g.senders = NewSenders(cfg, log)
	}
	j, err := journal.Open(filepath.Join(cfg.Spool.Data, JournalFile), log)
	if err != nil {
		return nil, err
	}
	g.journal = j
	g.chains = g.chainNames()
	g.pausedUntil = map[string]time.Time{}
	g.health = health.NewTracker(cfg.Spool.Data, cfg.Spool.Instance, g.chains, g.now)
	for range g.senders {
		g.wakes = append(g.wakes, make(chan struct{}, 1))
	}
	return g, nil
}

// Journal is the gateway's journal, for background jobs that report on it.
func (g *Gateway) Journal() *journal.Journal { return g.journal }

// Config is the gateway's validated config.
func (g *Gateway) Config() *config.Config { return g.cfg }

// NewSenders returns the senders cfg asks for: one capture sender in
// capture mode, else one SMTP session per [smtp] connections.
func NewSenders(cfg *config.Config, log *slog.Logger) []relay.Sender {
	if cfg.Capture != "" {
		return []relay.Sender{relay.NewCapture(cfg.Capture)}
	}
	s := make([]relay.Sender, cfg.SMTP.Connections)
	for i := range s {
		s[i] = relay.NewSession(cfg.SMTP, log.With("connection", i+1))
	}
	return s
}

// Run relays until ctx ends, then finishes the messages in flight, closes
// the journal and returns. It returns an error only when it cannot work at
// all; problems with single files or with the relay are logged and handled.
func (g *Gateway) Run(ctx context.Context) error {
	defer g.journal.Close()
	// Two gateways of one instance would each take the other's claimed
	// files for a crashed run's and send them again.
	// A short wait: a status probe may hold it shared for a moment.
	lock := InstanceLock(g.cfg)
	unlock, err := spool.Lock(ctx, lock, true, 2*time.Second, nil)
	if errors.Is(err, spool.ErrLocked) {
		return fmt.Errorf("another spoolgate of instance %s ([spool] instance, the host name by default) is already running with the data folder %s (it holds %s); "+
			"stop it first (spoolgate stop, or Ctrl-C where it runs), or give this one an instance and a data folder of its own",
			g.cfg.Spool.Instance, g.cfg.Spool.Data, filepath.Base(lock))
	}
	if err != nil {
		return fmt.Errorf("instance lock: %w", err)
	}
	defer unlock()
	// The same for one of this name with another data folder, which the
	// lock above cannot see: the queue folder holds one too.
	unlockQueue, err := g.spool.LockInstance(g.cfg.Spool.Data)
	if held := (*spool.LockedError)(nil); errors.As(err, &held) {
		other := "another data folder"
		if held.About != "" {
			other = "the data folder " + held.About
		}
		return fmt.Errorf("another spoolgate of instance %s (process %d on %s) already works on the queue folder %s, with %s; this one's is %s. "+
			"Two of one instance on one folder would each take the other's files in flight for a crashed run's and send them again: "+
			"give each its own [spool] instance (or stop that one first)",
			g.cfg.Spool.Instance, held.PID, held.Host, g.cfg.Spool.Folder, other, g.cfg.Spool.Data)
	}
	if err != nil {
		return fmt.Errorf("instance lock in the queue folder: %w", err)
	}
	defer unlockQueue()
	if err := g.health.Start(); err != nil {
		g.log.Error("cannot record the relay's health in the data folder; queue and status will not show it", "error", err)
	}
	if err := g.recover(); err != nil {
		return err
	}
	g.purge()
	g.seedLimits()

	var wg sync.WaitGroup
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	wg.Go(func() { g.spool.Watch(watchCtx, g.log, g.hint) })
	for _, f := range g.background {
		wg.Go(func() { f(watchCtx, g) })
	}
	var workers sync.WaitGroup
	for i, s := range g.senders {
		workers.Go(func() { g.worker(ctx, s, g.wakes[i]) })
	}

	g.log.Info("spoolgate is relaying", "folder", g.cfg.Spool.Folder, "relay", g.relayName(),
		"batch", g.cfg.Spool.Batch, "interval", g.cfg.Spool.Interval.String(), "connections", len(g.senders))
	g.loop(ctx)

	g.log.Info("stopping: finishing the messages in flight")
	workers.Wait()
	stopWatch()
	wg.Wait()
	if err := g.journal.Flush(); err != nil {
		g.log.Error("the journal could not record everything before stopping", "error", err)
	}
	g.log.Info("stopped")
	return nil
}

func (g *Gateway) relayName() string {
	if g.cfg.Capture != "" {
		return "capture to " + g.cfg.Capture
	}
	return g.cfg.SMTP.Name + " (" + g.cfg.SMTP.Address() + ")"
}

// loop is the clock: it wakes the workers at every tick, when an unsettled
// file should have settled, when a deferred file is due and when the rate
// window has room again.
func (g *Gateway) loop(ctx context.Context) {
	defer g.obs.run(g.now())()
	tick := time.NewTicker(g.cfg.Spool.Interval)
	defer tick.Stop()
	alarm := time.NewTimer(time.Hour)
	defer alarm.Stop()
	lastPurge := g.now()
	for {
		alarm.Reset(g.nextAlarm())
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			g.mu.Lock()
			g.dirty = true
			g.mu.Unlock()
			if g.now().Sub(lastPurge) >= 24*time.Hour {
				lastPurge = g.now()
				g.purge()
			}
		case <-alarm.C:
			g.mu.Lock()
			if !g.settling.IsZero() && !g.now().Before(g.settling) {
				g.dirty, g.settling = true, time.Time{}
			}
			g.mu.Unlock()
		case <-g.resched:
		}
		g.fileUnfiled()
		g.notify()
	}
}

// nextAlarm is how long until something becomes due.
func (g *Gateway) nextAlarm() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	next := now.Add(time.Hour)
	if !g.settling.IsZero() && g.settling.Before(next) {
		next = g.settling
	}
	for _, until := range g.pausedUntil {
		if until.After(now) && until.Before(next) {
			next = until
		}
	}
	for _, r := range g.deferred {
		if r.due.Before(next) {
			next = r.due
		}
	}
	for _, p := range g.unfiled {
		if p.due.Before(next) {
			next = p.due
		}
	}
	if b := g.cfg.Spool.Batch; b > 0 && len(g.accepted) > 0 && len(g.accepted)+g.inflight >= b {
		if room := g.accepted[0].Add(g.cfg.Spool.Interval); room.Before(next) {
			next = room
		}
	}
	d := next.Sub(now)
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return d
}

// hint is the watcher's callback: something changed in the folder.
func (g *Gateway) hint() {
	g.mu.Lock()
	g.dirty = true
	g.mu.Unlock()
	g.notify()
}

// notify wakes every idle worker; each checks for work itself.
func (g *Gateway) notify() {
	for _, w := range g.wakes {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

func (g *Gateway) reschedule() {
	select {
	case g.resched <- struct{}{}:
	default:
	}
}

// idleClose is how long a worker keeps an unused relay connection open.
const idleClose = 10 * time.Second

func (g *Gateway) worker(ctx context.Context, s relay.Sender, wake <-chan struct{}) {
	// A unit with its own relay chain gets its own session, opened on first
	// use and kept like the default one.
	chains := map[*config.Server]relay.Sender{}
	pick := func(chain *config.Server) relay.Sender {
		if chain == nil || g.cfg.Capture != "" {
			return s
		}
		c, ok := chains[chain]
		if !ok {
			c = relay.NewSession(chain, g.log.With("chain", chain.Name))
			chains[chain] = c
		}
		return c
	}
	closeAll := func() {
		s.Close()
		for _, c := range chains {
			c.Close()
		}
	}
	defer closeAll()
	idle := time.NewTimer(idleClose)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle.C:
			closeAll()
			continue
		case <-wake:
		}
		for ctx.Err() == nil && g.mayWork() {
			// Connect to [smtp] before claiming a file, so that a relay
			// that is down holds the queue without a file being
			// touched; a unit's chain connects when its file is sent.
			if g.chainPaused(g.chains[0]).IsZero() {
				if err := s.Connect(ctx); err != nil {
					if ctx.Err() == nil {
						g.obs.relayFailed(g.chains[0], failureOf(err).Cause)
						g.unreachable(err)
					}
					break
				}
			}
			j, ok := g.next()
			if !ok {
				break
			}
			g.process(context.WithoutCancel(ctx), pick, j)
		}
		idle.Reset(idleClose)
	}
}

// mayWork tells whether a worker should connect and ask for a message. It
// scans the folder first when something may have changed, so a relay
// connection is opened only when there is a message to send.
func (g *Gateway) mayWork() bool {
	for {
		g.mu.Lock()
		if g.pausedLocked() || !g.roomLocked() {
			g.mu.Unlock()
			return false
		}
		if len(g.ready) > 0 || g.dueLocked() != nil {
			g.mu.Unlock()
			return true
		}
		if !g.dirty {
			g.mu.Unlock()
			return false
		}
		g.dirty = false
		g.mu.Unlock()
		g.scan()
	}
}

// roomLocked tells whether the rate window has room for one more message.
func (g *Gateway) roomLocked() bool {
	b := g.cfg.Spool.Batch
	if b <= 0 {
		return true
	}
	cut := g.now().Add(-g.cfg.Spool.Interval)
	i := 0
	for i < len(g.accepted) && !g.accepted[i].After(cut) {
		i++
	}
	g.accepted = g.accepted[i:]
	return len(g.accepted)+g.inflight < b
}

// dueLocked returns the deferred file that is due first, or nil.
func (g *Gateway) dueLocked() *retryEntry {
	now := g.now()
	var best *retryEntry
	for _, r := range g.deferred {
		if !r.due.After(now) && (best == nil || r.due.Before(best.due)) {
			best = r
		}
	}
	return best
}

// job is one claimed file.
type job struct {
	entry   spool.Entry
	retried bool // it was deferred before
}

// next claims the next file to send, within the rate: due retries first,
// then waiting files oldest first. It scans the folder when it has nothing
// in hand and something may have changed.
func (g *Gateway) next() (job, bool) {
	if g.unrecorded.Load() >= maxUnrecorded || g.journal.Pending() > maxJournalBacklog {
		// The disk is slower than the relay: let the journal catch up
		// rather than hold an ever longer queue of records in memory.
		_ = g.journal.Flush()
	}
	for {
		g.mu.Lock()
		if g.pausedLocked() || !g.roomLocked() {
			g.mu.Unlock()
			g.reschedule()
			return job{}, false
		}
		var e spool.Entry
		retried := false
		if r := g.dueLocked(); r != nil {
			e, retried = r.entry, true
			delete(g.deferred, r.entry.Key)
		} else if len(g.ready) > 0 {
			e = g.ready[0]
			g.ready = g.ready[1:]
		} else if g.dirty {
			g.dirty = false
			g.mu.Unlock()
			g.scan()
			continue
		} else {
			g.mu.Unlock()
			return job{}, false
		}
		g.inflight++
		g.mu.Unlock()

		c, err := g.spool.Claim(e)
		if errors.Is(err, spool.ErrNameTooLong) {
			// It can never be claimed: set it aside under a short
			// name, not log the same error at every scan for ever.
			g.mu.Lock()
			g.inflight--
			g.mu.Unlock()
			g.refuseName(e)
			continue
		}
		if err != nil {
			busy := errors.Is(err, spool.ErrBusy)
			g.mu.Lock()
			g.inflight--
			if busy {
				// Its writer still holds it (Windows): look again soon,
				// not only at the next tick or watcher event, since its
				// writer closing it may change nothing the watcher sees.
				at := g.now().Add(max(g.cfg.Spool.Settle, time.Second))
				if g.settling.IsZero() || at.Before(g.settling) {
					g.settling = at
				}
			}
			g.mu.Unlock()
			if busy {
				g.reschedule()
			} else if !errors.Is(err, spool.ErrGone) {
				g.log.Error("cannot take a file from the queue", "file", e.Name, "error", err)
			}
			continue
		}
		return job{entry: c, retried: retried}, true
	}
}

// scan reads the folder and refreshes the ready list and the deferred set.
func (g *Gateway) scan() {
	g.scanMu.Lock()
	defer g.scanMu.Unlock()
	snap, err := g.spool.Scan(scanLimit)
	g.mu.Lock()
	defer g.mu.Unlock()
	if err != nil {
		if err.Error() != g.folderErr {
			g.folderErr = err.Error()
			g.log.Error("cannot read the queue folder; will try again", "folder", g.cfg.Spool.Folder, "error", err)
		}
		g.ready = nil
		return
	}
	if g.folderErr != "" {
		g.folderErr = ""
		g.log.Info("the queue folder can be read again", "folder", g.cfg.Spool.Folder)
	}
	g.ready = snap.Ready
	g.settling = snap.Settling
	seen := map[string]bool{}
	for _, e := range snap.Deferred {
		seen[e.Key] = true
		if _, ok := g.deferred[e.Key]; !ok {
			g.deferred[e.Key] = &retryEntry{entry: e, due: g.now().Add(g.startJitter())}
		}
	}
	for k := range g.deferred {
		if !seen[k] {
			delete(g.deferred, k)
		}
	}
	g.reschedule()
}

// startJitter spreads the first retries of files found deferred, so a
// restart does not hammer the relay.
func (g *Gateway) startJitter() time.Duration {
	max := g.cfg.Spool.RetryDelay
	if max > 30*time.Second {
		max = 30 * time.Second
	}
	return time.Duration(rand.Int64N(int64(max) + 1))
}

// retryDelay is the delay before attempt n+1: RetryDelay doubled for each
// earlier attempt, at most RetryMax, with ±20% jitter.
func (g *Gateway) retryDelay(attempts int) time.Duration {
	d := g.cfg.Spool.RetryDelay
	for i := 1; i < attempts && d < g.cfg.Spool.RetryMax; i++ {
		d *= 2
	}
	if d > g.cfg.Spool.RetryMax {
		d = g.cfg.Spool.RetryMax
	}
	return d*4/5 + time.Duration(rand.Int64N(int64(d)*2/5+1))
}

// settle ends a job: the rate window, the in-flight count, and the retry
// schedule for a deferred file.
func (g *Gateway) settle(accepted bool, deferred *spool.Entry, due time.Time) {
	g.mu.Lock()
	g.inflight--
	if accepted && g.cfg.Spool.Batch > 0 {
		g.accepted = append(g.accepted, g.now())
	}
	if deferred != nil {
		g.deferred[deferred.Key] = &retryEntry{entry: *deferred, due: due}
	}
	g.mu.Unlock()
	g.reschedule()
	g.notify()
}

// process reads, sends and files one claimed message. A panic on one file
// quarantines that file and leaves the gateway running.
func (g *Gateway) process(ctx context.Context, pick func(*config.Server) relay.Sender, j job) {
	accepted := false
	var deferred *spool.Entry
	var due time.Time
	defer func() {
		if r := recover(); r != nil {
			g.log.Error("internal error while handling a file; it is set aside", "file", j.entry.Orig, "panic", r, "stack", string(debug.Stack()))
			g.refuseFile(j.entry, journal.Claim{Key: j.entry.Key, File: j.entry.Orig}, nil, failure{Cause: cause.InternalError, Detail: fmt.Sprint(r)})
		}
		g.settle(accepted, deferred, due)
	}()
	accepted, deferred, due = g.deliver(ctx, pick, j)
}
