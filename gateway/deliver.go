package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/message"
	"github.com/spoolgate/spoolgate/gateway/relay"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/safefile"
)

// deliver sends one claimed file and leaves it in its next state. It reports
// whether the relay accepted the message, and, when the file was deferred,
// its new entry and when it is due.
//
// Every outcome is journaled with its cause (package cause), per
// recipient, before the file changes state; the .BAD.txt, the views and
// the daily log render from those records.
func (g *Gateway) deliver(ctx context.Context, pick func(*config.Server) relay.Sender, j job) (accepted bool, deferred *spool.Entry, due time.Time) {
	e := j.entry
	log := g.log.With("file", e.Orig, "key", e.Key)
	claim := journal.Claim{Key: e.Key, File: e.Orig, Size: e.Size}

	var st journal.State
	var err error
	if j.retried {
		if st, err = g.journal.State(e.Key); err != nil {
			log.Error("cannot read this message's history from the journal; recipients that already got it may get it again", "error", err)
		}
	}
	// Read through spool, which opens only a regular file, follows no
	// link, waits on no pipe and reads no more than max_size, measured on
	// the open file: the queue writer may have put anything there.
	raw, err := g.spool.Read(e, g.maxSize())
	if err != nil {
		if errors.Is(err, spool.ErrGone) {
			log.Warn("a claimed file was removed by someone else before it was read; nothing to send", "error", err)
			return false, nil, due
		}
		f := g.readFailure(err)
		if f.Permanent {
			// It will never be read: set it aside now, not after
			// retry_for of retries.
			g.refuseFile(e, claim, nil, f)
			return false, nil, due
		}
		log.Error("cannot read a claimed file; it stays queued", "error", err)
		return g.postpone(e, st, nil, f)
	}
	msg, chain, err := g.parse(raw, e.Key, log)
	if err != nil {
		var me *message.Error
		if !errors.As(err, &me) {
			me = &message.Error{Detail: message.Detail{ID: message.NotAMessage}, Err: err}
		}
		g.refuseFile(e, claim, nil, g.messageFailure(me))
		return false, nil, due
	}

	sum := sha256.Sum256(raw)
	claim = journal.Claim{
		Key: e.Key, File: e.Orig, MessageID: msg.MessageID, From: msg.Sender, To: msg.Recipients,
		Subject: msg.Subject, Size: int64(len(msg.Data)), Kind: msg.Kind, Unit: msg.Unit,
		Hash: hex.EncodeToString(sum[:]),
	}
	to := remaining(msg.Recipients, st)
	if n := len(to); n > 0 {
		var release func()
		if to, release = g.dedupe(claim, to, log); release != nil {
			defer release()
		}
		to = g.suppress(claim, to, log)
		g.obs.skipped(n-len(to), len(to) == 0)
	}
	if len(to) == 0 {
		// Everyone got it (before a crash or restart, or from an
		// identical file): only the file is left.
		g.journal.Claimed(claim, nil)
		g.finish(e)
		return false, nil, due
	}

	s := pick(chain)
	health := g.healthName(chain)
	srv := g.chainServer(chain)
	if until := g.chainPaused(health); !until.IsZero() {
		// Another chain may send meanwhile; this file waits for its own.
		return g.waitChain(e, j.retried, claim, to, health, until)
	}
	slot, wait := g.limits.reserve(health, srv, len(to), g.now())
	if wait != nil {
		g.pause(health, failure{Cause: cause.QuotaExceeded, Wait: wait})
		return g.waitChain(e, j.retried, claim, to, health, wait.Until)
	}
	sentTo := 0
	defer func() { g.limits.done(health, slot, sentTo) }()
	g.journal.Begin(claim, g.chainName(chain), to, nil)
	res, err := s.Send(ctx, &relay.Delivery{
		From: msg.Sender, To: to, Data: msg.Data, DataUTF8: msg.DataUTF8,
		NeedsUTF8: msg.NeedsUTF8, EightBit: msg.EightBit,
	})
	if err != nil {
		f := g.relayFailure(err)
		g.obs.relayFailed(health, f.Cause)
		if f.Cause == cause.QuotaExceeded {
			// A quota or rate reply: wait until the limit's window
			// allows again, when a limit is configured.
			f.Wait = g.limits.reopens(health, srv, f.Reply, g.now())
		}
		if errors.Is(err, relay.ErrUnreachable) || f.Cause.HoldsQueue() && f.Cause != cause.Unreachable {
			// About the session, not this message: the queue waits. (A
			// connection lost in the middle of this message is a
			// temporary failure of the message, below: the relay may
			// have it.)
			return g.hold(e, to, health, f)
		}
		if f.Permanent {
			log.Warn("the relay refused the message", "server", f.Server, "reply", f.Reply, "cause", f.Cause)
			g.health.Up(health)
			g.refuseFile(e, claim, to, f)
			return false, nil, due
		}
		log.Warn("temporary failure; the message will be retried", "server", f.Server, "reply", f.Reply, "cause", f.Cause)
		return g.postpone(e, st, to, f)
	}
	g.up(health)
	g.obs.sent(health, g.now())
	sentTo = len(res.Accepted)

	// The relay answered: record each recipient's fate.
	var refused []journal.Recipient
	for _, r := range keys(res.Refused) {
		f := g.relayFailure(res.Refused[r])
		g.record(journal.Outcome{Key: e.Key, To: []string{r}, Status: journal.StatusFailed, Server: res.Server, Reply: f.Reply, Cause: string(f.Cause)}, nil)
		refused = append(refused, journal.Recipient{Address: r, Status: journal.StatusFailed, Reply: f.Reply, Cause: string(f.Cause)})
		log.Warn("the relay refused a recipient", "to", r, "reply", f.Reply, "cause", f.Cause)
	}
	for _, r := range keys(res.Deferred) {
		f := g.relayFailure(res.Deferred[r])
		g.record(journal.Outcome{Key: e.Key, To: []string{r}, Status: journal.StatusDeferred, Server: res.Server, Reply: f.Reply, Cause: string(f.Cause)}, nil)
	}
	// A recipient deferred for a quota or rate (452 4.5.3 Too many
	// recipients) says the chain is at its limit, not the address: the
	// chain waits until the window allows, like a quota reply to the
	// whole message.
	quota := false
	for _, r := range keys(res.Deferred) {
		if f := g.relayFailure(res.Deferred[r]); f.Cause == cause.QuotaExceeded {
			f.Wait = g.limits.reopens(health, srv, f.Reply, g.now())
			if len(res.Accepted) == 0 {
				return g.hold(e, keys(res.Deferred), health, f)
			}
			if !quota {
				g.pause(health, f)
			}
			quota = true
		}
	}
	if len(res.Accepted) == 0 {
		if len(res.Deferred) > 0 {
			return g.postpone(e, st, keys(res.Deferred), g.relayFailure(res.Deferred[keys(res.Deferred)[0]]))
		}
		f := g.relayFailure(res.Refused[keys(res.Refused)[0]])
		f.Recipients = refused
		g.quarantine(e, f) // already journaled above
		return false, nil, due
	}
	log.Info("sent", "to", strings.Join(res.Accepted, ", "), "server", res.Server, "reply", res.Reply)
	sent := journal.Outcome{Key: e.Key, To: res.Accepted, Status: journal.StatusSent, Server: res.Server, Reply: res.Reply, QueueID: res.QueueID}
	if len(res.Deferred) == 0 {
		// Remove the file only once the journal holds the outcome.
		g.unrecorded.Add(1)
		g.record(sent, func(err error) {
			g.unrecorded.Add(-1)
			if err != nil {
				log.Error("the journal could not record a sent message; removing the file anyway so it is not sent twice", "error", err)
			}
			g.finish(e)
		})
		return true, nil, due
	}
	g.record(sent, nil)
	st.Delivered = append(st.Delivered, res.Accepted...)
	_, d, at := g.postpone(e, st, keys(res.Deferred), g.relayFailure(res.Deferred[keys(res.Deferred)[0]]))
	return true, d, at
}

// failure is what went wrong with a message, or with some of its
// recipients: the one cause that explains it and the relay's exact words.
type failure struct {
	Cause     cause.Cause
	Permanent bool
	Stage     string
	Server    string
	Reply     string // the relay's reply, or an error's words when the relay gave none
	// Detail is what spoolgate found itself (what is wrong with the
	// file, a limit), in [log] language, or "". It stands for the
	// reply in the journal when there is none.
	Detail     string
	Err        error // the error behind Detail, in English for the log file, or nil
	Recipients []journal.Recipient
	// Wait is set when a sending limit of the chain ([smtp] daily_limit,
	// minute_limit) is reached: the chain waits until its window allows
	// again rather than back off.
	Wait *limitWait
}

// failureOf reads what a relay error means. An error wrapping
// relay.ErrUnreachable names each server's reason; the first server's is
// the one to report (a backup relay's is less telling).
func failureOf(err error) failure {
	var re *relay.Error
	if !errors.As(err, &re) {
		return failure{Cause: cause.Unreachable, Reply: err.Error()}
	}
	f := failure{Cause: re.Cause, Permanent: re.Permanent, Stage: re.Stage, Server: re.Server, Reply: re.Reply}
	if f.Reply == "" {
		f.Reply = re.Error()
	}
	if f.Cause == "" {
		f.Cause = cause.Unknown
	}
	return f
}

// relayFailure is what the relay error err means (failureOf), with
// spoolgate's own words about the message in [log] language rather than
// in the reply: a message over the relay's SIZE, which spoolgate found
// itself, gets no reply and a Detail the librarian can read.
func (g *Gateway) relayFailure(err error) failure {
	f := failureOf(err)
	var sl *relay.SizeLimit
	if errors.As(err, &sl) {
		f.Reply = ""
		f.Detail = message.Detail{ID: message.RelayTooLarge, N: sl.Size, Max: sl.Max}.Text(g.cfg.Log.Language)
		f.Err = err
	}
	return f
}

// messageFailure is the failure of a file spoolgate refused itself: its
// cause, and its detail in [log] language for the journal, the .BAD.txt
// file and the daily log (the English goes to the log file).
func (g *Gateway) messageFailure(me *message.Error) failure {
	return failure{Cause: messageCause(me), Detail: me.Text(g.cfg.Log.Language), Err: me}
}

// messageCause is what a message the parser refused means.
func messageCause(me *message.Error) cause.Cause {
	if me.Cause != "" {
		return cause.Cause(me.Cause)
	}
	return cause.NotAMessage
}

// maxSize is the most a message file may hold: [spool] max_size (a
// config without it, in a test, gets the default).
func (g *Gateway) maxSize() int64 {
	if g.cfg.Spool.MaxSize > 0 {
		return g.cfg.Spool.MaxSize
	}
	return config.DefaultMaxSize
}

// readFailure is what an error of spool.Read means. What will never be
// read is permanent, to be set aside at once: something that is not a
// regular file (a link, a pipe, a socket, a device; its kind is named,
// nothing of what it points to or holds) or a file over max_size. Any
// other error (permissions, a disk error, a file still held open by its
// writer on Windows) may pass: the file is retried, bounded by retry_for.
func (g *Gateway) readFailure(err error) failure {
	lang := g.cfg.Log.Language
	var nr *safefile.NotRegularError
	var tl *safefile.TooLargeError
	switch {
	case errors.As(err, &nr):
		return failure{Cause: cause.NotAFile, Permanent: true, Detail: notAFileText(lang, nr.Kind), Err: err}
	case errors.As(err, &tl):
		n := tl.Size
		if n < 0 {
			n = tl.Max + 1 // it grew past the limit while it was read
		}
		// The same words as Parse's for a file over max_size.
		f := g.messageFailure(&message.Error{Detail: message.Detail{ID: message.FileTooLarge, N: n, Max: tl.Max}, Cause: string(cause.MessageTooLarge)})
		f.Permanent = true
		return f
	}
	return failure{Cause: cause.FileUnreadable, Detail: err.Error(), Err: err}
}

// refuseName sets aside a waiting file whose name is too long to claim
// (spool.ErrNameTooLong), under a short BAD name with the original name
// in its reason; it gets a key of its own, for the journal and retry.
func (g *Gateway) refuseName(e spool.Entry) {
	if e.Key == "" {
		e.Key = g.spool.NewKey()
	}
	f := failure{
		Cause: cause.NotAFile, Permanent: true,
		Detail: fmt.Sprintf(fileWordsFor(g.cfg.Log.Language).NameTooLong, len(e.Orig)),
		Err:    fmt.Errorf("its name is %d bytes long, too long to claim", len(e.Orig)),
	}
	g.refuseFile(e, journal.Claim{Key: e.Key, File: e.Orig, Size: e.Size}, nil, f)
}

// hold puts a claimed file back after a failure that concerns the relay,
// the login or the sender rather than this message: no file is set aside
// for it, and retry_for does not run out for it. The chain is recorded
// unavailable and the queue waits, backing off, until the next attempt;
// the file is deferred until then, keeping its key and its history.
func (g *Gateway) hold(e spool.Entry, to []string, chain string, f failure) (bool, *spool.Entry, time.Time) {
	next := g.pause(chain, f)
	d, err := g.spool.Defer(e)
	if err != nil {
		g.log.Error("cannot put a file back in the queue", "file", e.Orig, "error", err)
		return false, nil, time.Time{}
	}
	g.record(journal.Outcome{Key: e.Key, To: to, Status: journal.StatusDeferred, Server: f.Server, Reply: f.Reply, Cause: string(f.Cause), Next: next}, nil)
	return false, &d, next
}

// waitChain gives a claimed file back to the queue, unattempted,
// because its chain (by health name) is paused until then: unavailable,
// or at a sending limit. When every chain waits, a file never tried goes
// back under its own name. Otherwise it is deferred until then, so that
// the files of other chains are sent meanwhile and this one is not
// claimed again and again, and the journal records the wait with the
// chain's cause and words, so queue and sent show why.
func (g *Gateway) waitChain(e spool.Entry, retried bool, claim journal.Claim, to []string, chain string, until time.Time) (bool, *spool.Entry, time.Time) {
	g.mu.Lock()
	all := g.pausedLocked()
	g.mu.Unlock()
	if all && !retried {
		// Nothing is sent until then anyway: the file goes back under
		// its own name, untouched, as if it had not been claimed.
		if d, err := g.spool.Release(e); err != nil {
			g.log.Error("cannot put a file back in the queue", "file", e.Orig, "error", err)
		} else if d.State == spool.Deferred {
			return false, &d, until
		}
		g.mu.Lock()
		g.dirty = true
		g.mu.Unlock()
		return false, nil, time.Time{}
	}
	d, err := g.spool.Defer(e)
	if err != nil {
		g.log.Error("cannot put a file back in the queue", "file", e.Orig, "error", err)
		return false, nil, time.Time{}
	}
	h := g.health.Get(chain)
	g.journal.Claimed(claim, nil)
	g.record(journal.Outcome{Key: e.Key, To: to, Status: journal.StatusDeferred, Server: h.Server,
		Reply: h.Reply, Cause: h.Cause, Next: until}, nil)
	return false, &d, until
}

// postpone defers a claimed file after a temporary failure, or quarantines
// it once retry_for has passed since the first attempt. st is the message's
// state before this attempt (zero for a first attempt), so the delay grows
// with the attempts made, whatever the journal has committed meanwhile.
func (g *Gateway) postpone(e spool.Entry, st journal.State, to []string, f failure) (bool, *spool.Entry, time.Time) {
	if first := st.First; !first.IsZero() && g.now().Sub(first) >= g.cfg.Spool.RetryFor {
		last := f.Cause
		f.Cause = cause.Expired
		lang, at := g.cfg.Log.Language, first.Local().Format("2006-01-02 15:04")
		f.Detail = fmt.Sprintf(wordsFor(lang).Expired, g.cfg.Spool.RetryFor, at, cause.Label(lang, last))
		f.Err = fmt.Errorf("retry_for %s has passed since the first attempt at %s; the last failure: %s", g.cfg.Spool.RetryFor, at, last)
		g.refuseFile(e, journal.Claim{Key: e.Key}, to, f)
		return false, nil, time.Time{}
	}
	d, err := g.spool.Defer(e)
	if err != nil {
		g.log.Error("cannot mark a file for retry", "file", e.Orig, "error", err)
		return false, nil, time.Time{}
	}
	due := g.now().Add(g.retryDelay(st.Attempts + 1))
	g.record(journal.Outcome{Key: e.Key, To: to, Status: journal.StatusDeferred, Server: f.Server, Reply: f.Reply, Cause: string(f.Cause), Next: due}, nil)
	return false, &d, due
}

// refuseFile journals a refusal of the whole file for the recipients to
// (all that are not yet sent or failed, if to is empty), then quarantines
// the file. claim is journaled first when the file was never claimed in
// the journal (a file refused before it was read as a message).
func (g *Gateway) refuseFile(e spool.Entry, claim journal.Claim, to []string, f failure) {
	if claim.File != "" {
		g.journal.Claimed(claim, nil)
	}
	reply := f.Reply
	if reply == "" {
		reply = f.Detail
	}
	g.record(journal.Outcome{Key: e.Key, To: to, Status: journal.StatusFailed, Server: f.Server, Reply: reply, Cause: string(f.Cause)}, nil)
	if len(f.Recipients) == 0 {
		for _, r := range to {
			f.Recipients = append(f.Recipients, journal.Recipient{Address: r, Status: journal.StatusFailed, Reply: f.Reply, Cause: string(f.Cause)})
		}
	}
	g.quarantine(e, f)
}

// quarantine sets a claimed file aside as .BAD with its reason. When that
// fails (a full disk: the reason cannot be written), the file stays
// claimed and is set aside later, again and again until it can be (see
// fileLater); a waiting file (a name too long to claim) is met again by
// the next scan.
func (g *Gateway) quarantine(e spool.Entry, f failure) {
	name, err := g.spool.Quarantine(e, g.badReason(e, f))
	g.mu.Lock()
	p := g.unfiled[e.Name]
	if err == nil || errors.Is(err, spool.ErrGone) {
		delete(g.unfiled, e.Name)
	}
	g.mu.Unlock()
	switch {
	case errors.Is(err, spool.ErrGone):
		g.log.Warn("a refused file was removed by someone else before it could be set aside", "file", e.Orig, "error", err)
		return
	case err != nil && e.State == spool.Sending:
		g.fileLater(e, f, err)
		return
	case err != nil:
		g.log.Error("cannot set a refused file aside", "file", e.Orig, "error", err)
		return
	}
	if p != nil {
		g.log.Info("a refused file could be set aside at last", "file", e.Orig, "bad", name, "tries", p.tries+1)
	}
	g.obs.bad(f.Cause)
	args := []any{"file", e.Orig, "bad", name, "cause", f.Cause, "reply", f.Reply}
	if f.Err != nil {
		args = append(args, "error", f.Err)
	}
	g.log.Warn("file refused; set aside as .BAD", args...)
}

// unfiled is a refused file that could not be set aside yet.
type unfiled struct {
	entry spool.Entry
	f     failure
	tries int
	wait  time.Duration // before the next try: doubled after each, at most unfiledMaxWait
	due   time.Time
}

// How often a refused file that could not be set aside is tried again:
// soon, then less often.
const (
	unfiledFirstWait = 5 * time.Second
	unfiledMaxWait   = time.Minute
)

// fileLater remembers a claimed file that could not be set aside (err),
// for the loop to try again when it is due (fileUnfiled). The first
// failure is logged as an error; the ones after it only at debug level,
// and success again when it comes.
func (g *Gateway) fileLater(e spool.Entry, f failure, err error) {
	g.mu.Lock()
	p, again := g.unfiled[e.Name]
	if !again {
		p = &unfiled{entry: e, f: f, wait: unfiledFirstWait}
		g.unfiled[e.Name] = p
	} else {
		p.wait = min(2*p.wait, unfiledMaxWait)
	}
	p.tries++
	p.due = g.now().Add(p.wait)
	g.mu.Unlock()
	g.reschedule()
	if !again {
		g.log.Error("cannot set a refused file aside; it stays claimed and spoolgate tries again until it can (is the disk full?)",
			"file", e.Orig, "cause", f.Cause, "error", err)
	} else {
		g.log.Debug("a refused file still cannot be set aside", "file", e.Orig, "tries", p.tries, "error", err)
	}
}

// fileUnfiled tries again to set aside the refused files that are due.
func (g *Gateway) fileUnfiled() {
	now := g.now()
	var due []*unfiled
	g.mu.Lock()
	for _, p := range g.unfiled {
		if !p.due.After(now) {
			due = append(due, p)
		}
	}
	g.mu.Unlock()
	for _, p := range due {
		g.quarantine(p.entry, p.f)
	}
}

// finish removes a file whose message needs no more sending.
func (g *Gateway) finish(e spool.Entry) {
	if err := g.spool.Remove(e); err != nil {
		g.log.Error("cannot remove a sent file", "file", e.Name, "error", err)
	}
}

// remaining is the recipients that still need the message.
func remaining(all []string, st journal.State) []string {
	if len(st.Delivered) == 0 && len(st.Failed) == 0 {
		return all
	}
	var out []string
	for _, r := range all {
		if !containsFold(st.Delivered, r) && !containsFold(st.Failed, r) {
			out = append(out, r)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func keys(m map[string]*relay.Error) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
