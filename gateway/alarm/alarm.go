// Package alarm is the stuck-queue alarm: it tells [alarm] to when mail has
// stopped going out, and again when it goes out again.
//
// The contract:
//   - A problem is stuck when a relay chain ([smtp] or [smtp.NAME]) has
//     been unavailable, as the gateway's health tracker decided, or the
//     oldest file waiting in the queue folder has waited, longer than
//     [alarm] after. [alarm] after = 0 turns the alarm off: nothing is
//     checked, sent or written.
//   - For each stuck problem (each chain, and the queue), the alarm writes
//     an error to the log (the service log: the systemd journal or syslog
//     on Linux, the Event Log on Windows, and the log file) and mails
//     [alarm] to, once when it starts and once when it clears: a chain
//     clears when it is available again (a chain not yet used since a
//     restart is neither), the queue when no file has waited longer. It
//     never repeats while the problem stays: what it sent is kept in
//     AlarmFile in the data folder (one small JSON file, written
//     atomically), so a restart sends nothing again. A mail that cannot be
//     sent is tried again at the next check; the log says so once.
//   - The mail never goes through the queue, which may be the thing that
//     is stuck: it is sent directly, with package relay's session, through
//     the chain [alarm] smtp names, or, when that is empty, through the
//     stuck chain itself ([smtp] for the queue), which may take a one-off
//     message; the log says which. It is composed as the daily log is
//     (From [message] from, X-Spoolgate-Kind: alarm) and read by package
//     message as a queued file would be, in [log] language, with the
//     cause in package cause's words.
//
// Job runs Check every Every beside the relay (gateway.WithBackground).
package alarm

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jordan-wright/email"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/message"
	"github.com/spoolgate/spoolgate/gateway/relay"
	"github.com/spoolgate/spoolgate/spool"
)

// Every is how often Job checks.
const Every = time.Minute

// AlarmFile is the alarm's state in the data folder of instance.
func AlarmFile(instance string) string { return "alarm-" + instance + ".json" }

// sendTimeout bounds one alarm mail, all servers of its chain included.
const sendTimeout = 2 * time.Minute

// Status is what a check looks at.
type Status struct {
	Now    time.Time
	Relays []health.Relay // each chain, as the gateway's tracker decided
	// The queue folder: how many files wait, and the oldest one's time.
	Waiting  int
	Oldest   time.Time
	QueueErr error // the folder could not be read: the queue is not judged
}

// StatusOf reads g's status at now.
func StatusOf(g *gateway.Gateway, now time.Time) Status {
	st := Status{Now: now, Relays: g.Relays()}
	snap, err := g.Queue()
	if err != nil {
		st.QueueErr = err
		return st
	}
	st.Waiting, st.Oldest = snap.Waiting, snap.Oldest
	return st
}

// Alarm checks for stuck problems and sends their alarms. Make it with
// New; it is used by one goroutine.
type Alarm struct {
	cfg   *config.Config
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	state   *state // nil until loaded
	failing map[string]bool
	direct  bool // the log said that the alarm tries the stuck relay itself
}

// Option changes an Alarm; for tests.
type Option func(*Alarm)

// WithEvery replaces Every.
func WithEvery(d time.Duration) Option { return func(a *Alarm) { a.every = d } }

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(a *Alarm) { a.now = now } }

// New returns the alarm of cfg, logging to log.
func New(cfg *config.Config, log *slog.Logger, opts ...Option) *Alarm {
	a := &Alarm{cfg: cfg, log: log.With("part", "alarm"), every: Every, now: time.Now, failing: map[string]bool{}}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Job is the background job of the alarm: it checks every Every until its
// context ends. It does nothing when [alarm] after is 0.
func Job(log *slog.Logger, opts ...Option) func(ctx context.Context, g *gateway.Gateway) {
	return func(ctx context.Context, g *gateway.Gateway) {
		if g.Config().Alarm.After <= 0 {
			return
		}
		a := New(g.Config(), log, opts...)
		t := time.NewTicker(a.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				a.Check(ctx, StatusOf(g, a.now()))
			}
		}
	}
}

// state is what AlarmFile holds: the problems alarmed, by key.
type state struct {
	Problems map[string]*entry `json:"problems"`
}

// entry is one alarmed problem.
type entry struct {
	Since  time.Time `json:"since"`            // when it became stuck
	Logged time.Time `json:"logged"`           // when the alarm was logged
	Mailed time.Time `json:"mailed,omitzero"`  // when the alarm mail went out; zero: not yet
	Title  string    `json:"title"`            // what is stuck, for the cleared mail
	Chain  string    `json:"chain"`            // the chain it concerns (smtp for the queue)
	Clear  time.Time `json:"cleared,omitzero"` // when it cleared, while the cleared mail is not yet out
}

// problem is one stuck thing found by a check.
type problem struct {
	key   string // "relay smtp", "relay smtp.NAME", "queue"
	chain string
	since time.Time
	title string
	relay health.Relay // for a chain; for the queue, the worst chain
	files int
}

// Check looks at st and sends what has to be sent: an alarm for each
// problem newly stuck, a cleared notice for each that is no longer. Errors
// are logged; a mail that fails is tried again at the next check.
func (a *Alarm) Check(ctx context.Context, st Status) {
	after := a.cfg.Alarm.After
	if after <= 0 {
		return
	}
	if a.state == nil {
		a.state = a.load()
	}
	stuck := a.stuck(st)
	for _, p := range stuck {
		e := a.state.Problems[p.key]
		if e != nil && e.Clear.IsZero() {
			if e.Mailed.IsZero() {
				a.mailStuck(ctx, p, e, st.Now)
			}
			continue
		}
		// Newly stuck (or stuck again before a cleared mail went out).
		e = &entry{Since: p.since, Logged: st.Now, Title: p.title, Chain: p.chain}
		a.state.Problems[p.key] = e
		a.logStuck(p)
		a.save()
		a.mailStuck(ctx, p, e, st.Now)
	}
	for _, key := range sortedKeys(a.state.Problems) {
		if slices.ContainsFunc(stuck, func(p problem) bool { return p.key == key }) || !a.cleared(key, st) {
			continue
		}
		e := a.state.Problems[key]
		if e.Clear.IsZero() {
			e.Clear = st.Now
			a.log.Info("alarm cleared: "+e.Title+" works again", "problem", key, "stuck_since", e.Since.Format(time.DateTime))
			if e.Mailed.IsZero() {
				delete(a.state.Problems, key) // nobody was told: nothing to take back
				a.save()
				continue
			}
			a.save()
		}
		if a.mail(ctx, key+" cleared", e.Chain, a.clearedText(e)) {
			delete(a.state.Problems, key)
			a.save()
		}
	}
}

// stuck is what is stuck in st, longer than [alarm] after.
func (a *Alarm) stuck(st Status) []problem {
	after := a.cfg.Alarm.After
	var out []problem
	var worst *health.Relay
	for i, rl := range st.Relays {
		if rl.State != health.Unavailable || rl.Since.IsZero() || rl.Limit != "" {
			// A chain at its sending limit is not broken: it waits for
			// the window, by design. (Files that then wait too long
			// still raise the queue's alarm.)
			continue
		}
		if worst == nil || rl.Since.Before(worst.Since) {
			worst = &st.Relays[i]
		}
		if st.Now.Sub(rl.Since) > after {
			out = append(out, problem{key: "relay " + rl.Chain, chain: rl.Chain, since: rl.Since,
				title: a.cfg.ChainTitle(rl.Chain) + " [" + rl.Chain + "]", relay: rl})
		}
	}
	if st.QueueErr == nil && st.Waiting > 0 && !st.Oldest.IsZero() && st.Now.Sub(st.Oldest) > after {
		p := problem{key: "queue", chain: "smtp", since: st.Oldest, title: a.cfg.Spool.Folder, files: st.Waiting}
		if worst != nil {
			p.relay = *worst
		}
		out = append(out, p)
	}
	return out
}

// cleared tells whether the alarmed problem key is over in st.
func (a *Alarm) cleared(key string, st Status) bool {
	if key == "queue" {
		return st.QueueErr == nil
	}
	chain := strings.TrimPrefix(key, "relay ")
	for _, rl := range st.Relays {
		if rl.Chain == chain {
			return rl.State == health.Available || rl.Limit != ""
		}
	}
	return true // the chain is no longer configured
}

// logStuck writes the alarm to the log, as an error.
func (a *Alarm) logStuck(p problem) {
	args := []any{"problem", p.key, "since", p.since.Format(time.DateTime), "after", a.cfg.Alarm.After.String()}
	if p.relay.Cause != "" {
		meaning, _ := cause.Explain("en", cause.Cause(p.relay.Cause))
		args = append(args, "cause", p.relay.Cause, "meaning", meaning, "reply", p.relay.Reply)
	}
	if p.key == "queue" {
		args = append(args, "waiting", p.files)
		a.log.Error("ALARM: mail is not going out: files have waited in the queue folder longer than [alarm] after", args...)
		return
	}
	a.log.Error("ALARM: mail is not going out: the relay "+p.title+" has been unavailable longer than [alarm] after", args...)
}

// mailStuck mails p's alarm and records when it went out.
func (a *Alarm) mailStuck(ctx context.Context, p problem, e *entry, now time.Time) {
	subj, body := a.stuckText(p)
	if a.mail(ctx, p.key, p.chain, text{subj, body}) {
		e.Mailed = now
		a.save()
	}
}

// text is a mail's subject and body.
type text struct{ subject, body string }

// stuckText is p's alarm in [log] language.
func (a *Alarm) stuckText(p problem) (string, string) {
	lang := a.cfg.Log.Language
	w := wordsFor(lang)
	since, after := a.stamp(p.since), shortDuration(a.cfg.Alarm.After)
	var subj string
	var b strings.Builder
	if p.key == "queue" {
		subj = fmt.Sprintf(w.SubjQueue, fmt.Sprint(p.files), since)
		fmt.Fprintf(&b, w.Queue, p.files, a.cfg.Spool.Folder, since, after)
	} else {
		subj = fmt.Sprintf(w.SubjRelay, a.cfg.ChainTitle(p.chain), since)
		fmt.Fprintf(&b, w.Relay, a.cfg.ChainTitle(p.chain), p.chain, since, after)
	}
	b.WriteString("\n\n")
	if c := p.relay.Cause; c != "" {
		meaning, action := cause.Explain(lang, cause.Cause(c))
		fmt.Fprintf(&b, w.Why+"\n", meaning)
		if r := strings.Join(strings.Fields(p.relay.Reply), " "); r != "" {
			fmt.Fprintf(&b, w.Reply+"\n", r)
		}
		fmt.Fprintf(&b, "\n"+w.ToDo+"\n", action)
	} else {
		b.WriteString(w.QueueWhy + "\n\n" + w.QueueToDo + "\n")
	}
	b.WriteString("\n-- \n" + a.footer())
	return subj, b.String()
}

// clearedText is the cleared notice of e in [log] language.
func (a *Alarm) clearedText(e *entry) text {
	w := wordsFor(a.cfg.Log.Language)
	body := fmt.Sprintf(w.Cleared, e.Title, a.stamp(e.Since), a.stamp(e.Clear)) + "\n\n-- \n" + a.footer()
	return text{fmt.Sprintf(w.SubjCleared, e.Title), body}
}

func (a *Alarm) footer() string {
	host, _ := os.Hostname()
	return fmt.Sprintf(wordsFor(a.cfg.Log.Language).Footer, cmp.Or(host, "?"), a.cfg.File) + "\n"
}

// stamp is t as a date and time in the service's time zone.
func (a *Alarm) stamp(t time.Time) string {
	loc := a.cfg.Service.Location
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// mail sends t to [alarm] to through the alarm's chain for the stuck
// chain, directly. It reports whether it went out (or there is nobody to
// send it to); a failure is logged once per problem until it succeeds.
func (a *Alarm) mail(ctx context.Context, key, stuckChain string, t text) bool {
	to := a.cfg.Alarm.To
	if len(to) == 0 {
		return true
	}
	s, name, err := a.sender(stuckChain)
	if err == nil {
		err = a.send(ctx, s, to, t)
	}
	if err != nil {
		if !a.failing[key] {
			a.log.Error("cannot send the alarm mail; it is tried again every check", "problem", key, "chain", name, "to", strings.Join(to, ", "), "error", err)
		}
		a.failing[key] = true
		return false
	}
	delete(a.failing, key)
	a.log.Info("alarm mail sent", "problem", key, "chain", name, "to", strings.Join(to, ", "), "subject", t.subject)
	return true
}

// sender is a new session to the chain the alarm goes through for
// stuckChain, and its name.
func (a *Alarm) sender(stuckChain string) (relay.Sender, string, error) {
	if a.cfg.Capture != "" {
		return relay.NewCapture(a.cfg.Capture), "capture", nil
	}
	name := a.cfg.Alarm.SMTP
	if name == "" {
		name = strings.TrimPrefix(stuckChain, "smtp.")
		if !a.direct {
			a.direct = true
			a.log.Warn("[alarm] smtp is not set: the alarm tries the stuck relay itself, directly (it may take a one-off message); "+
				"set [alarm] smtp to another relay to be sure it arrives", "chain", stuckChain)
		}
	}
	srv := a.cfg.SMTP
	if name != "smtp" {
		srv = a.cfg.Servers[name]
	}
	if srv == nil {
		return nil, name, fmt.Errorf("[alarm] smtp = %s: there is no such relay", name)
	}
	return relay.NewSession(srv, a.log.With("chain", name)), name, nil
}

// send composes t as the daily log is composed, reads it as a queued file
// is read (package message), and hands it to s.
func (a *Alarm) send(ctx context.Context, s relay.Sender, to []string, t text) error {
	now := a.now()
	e := email.NewEmail()
	e.From = (&mail.Address{Name: a.cfg.Message.FromName, Address: a.cfg.Message.From}).String()
	e.To = to
	e.Subject = t.subject
	e.Text = []byte(t.body)
	loc := cmp.Or(a.cfg.Service.Location, time.Local)
	e.Headers.Set("Date", now.In(loc).Format(time.RFC1123Z))
	e.Headers.Set("X-Spoolgate-Kind", "alarm")
	raw, err := e.Bytes()
	if err != nil {
		return fmt.Errorf("compose the alarm: %w", err)
	}
	msg, err := message.Parse(raw, message.Options{
		From: a.cfg.Message.From, FromName: a.cfg.Message.FromName, ReturnPath: a.cfg.Message.ReturnPath,
		Charset: a.cfg.Spool.Charset, Encoding: a.cfg.Spool.Encoding, Now: a.now,
	})
	if err != nil {
		return fmt.Errorf("compose the alarm: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	defer s.Close()
	res, err := s.Send(ctx, &relay.Delivery{From: msg.Sender, To: msg.Recipients, Data: msg.Data, DataUTF8: msg.DataUTF8,
		NeedsUTF8: msg.NeedsUTF8, EightBit: msg.EightBit})
	if err != nil {
		return err
	}
	if len(res.Accepted) == 0 {
		return fmt.Errorf("the relay %s refused every recipient", res.Server)
	}
	return nil
}

// load reads AlarmFile; a missing one is an empty state, a damaged one is
// logged and replaced.
func (a *Alarm) load() *state {
	st := &state{Problems: map[string]*entry{}}
	path := filepath.Join(a.cfg.Spool.Data, AlarmFile(a.cfg.Spool.Instance))
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return st
	case err != nil:
		a.log.Error("cannot read the alarm's state; an alarm already sent may be sent again", "file", path, "error", err)
		return st
	}
	if err := json.Unmarshal(b, st); err != nil {
		a.log.Error("the alarm's state is damaged; an alarm already sent may be sent again", "file", path, "error", err)
		return &state{Problems: map[string]*entry{}}
	}
	if st.Problems == nil {
		st.Problems = map[string]*entry{}
	}
	return st
}

// save writes AlarmFile atomically.
func (a *Alarm) save() {
	b, err := json.MarshalIndent(a.state, "", "  ")
	if err == nil {
		err = spool.WriteFile(a.cfg.Spool.Data, AlarmFile(a.cfg.Spool.Instance), append(b, '\n'), 0o640)
	}
	if err != nil {
		a.log.Error("cannot record the alarm's state in the data folder; after a restart an alarm may be sent again", "error", err)
	}
}

func sortedKeys(m map[string]*entry) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// shortDuration is d as a config writes it: "1h", "1h30m", "45s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
