package inspect

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/journal"
)

// NotRunning is the relay's state in a view when no spoolgate of the
// instance runs: whatever the last one recorded, nothing is being sent.
const NotRunning = health.NotRunning

// Health is the relay's health as queue and status show it: whether a
// spoolgate of the instance runs, the relay chain that most needs
// attention as the running gateway recorded it (package health), the last
// successful send (the journal's), and the rate window.
type Health struct {
	Running bool
	// Relay is the chain that most needs attention. Its State is
	// NotRunning when no spoolgate runs, and Unknown when the running
	// one has sent nothing through any chain yet, or its record is
	// missing or unreadable (Err says why).
	Relay    health.Relay
	Who      string    // the Relay's chain as people know it (config.ChainTitle)
	Started  time.Time // when the running gateway started, from its record; zero if unknown
	LastSent time.Time // the relay's last acceptance (journal.LastSent); zero if never
	Window   Window    // the rate window; Batch 0 when there is no limit
	Err      string    // why the health record could not be read
	// JournalErr is why the journal could not be read: LastSent and
	// Window.Accepted are then unknown.
	JournalErr string
	Now        time.Time // when it was read
}

// Window is the rate window: at most Batch messages accepted by the relay
// in any Interval ([spool] batch and interval).
type Window struct {
	Batch    int
	Interval time.Duration
	// Accepted is how many messages the relay accepted in the last
	// Interval, since the gateway started (the running gateway counts
	// from its start), from the journal's sent recipients.
	Accepted int
	// Opens is when the window has room again, if Accepted fills it;
	// zero otherwise.
	Opens time.Time
}

// Full tells whether the window has no room for another message, with
// sending more messages in flight.
func (w Window) Full(sending int) bool { return w.Batch > 0 && w.Accepted+sending >= w.Batch }

// ReadHealth reads the relay's health of cfg's instance at now. running
// says whether a spoolgate of the instance runs (gateway.InstanceRunning
// asks its instance lock); a health record is only current when one does.
// What it cannot read it says in Err and JournalErr, and shows the rest: a
// view of the queue goes on without it. It never creates the journal or
// anything else.
func ReadHealth(cfg *config.Config, running bool, now time.Time) *Health {
	h := &Health{Running: running, Now: now, Window: Window{Batch: cfg.Spool.Batch, Interval: cfg.Spool.Interval}}
	if running {
		rec, err := health.Read(cfg.Spool.Data, cfg.Spool.Instance)
		switch {
		case errors.Is(err, health.ErrNone):
			h.Relay = health.Relay{State: health.Unknown}
			h.Err = "no relay health recorded in " + cfg.Spool.Data + " yet"
		case err != nil:
			h.Relay = health.Relay{State: health.Unknown}
			h.Err = err.Error()
		default:
			h.Relay, h.Started = rec.Worst(), rec.Started
			h.Who = cfg.ChainTitle(h.Relay.Chain)
		}
	} else {
		h.Relay = health.Relay{State: NotRunning}
	}
	if err := h.fromJournal(cfg); err != nil {
		h.JournalErr = err.Error()
	}
	return h
}

// fromJournal reads the last send and the rate window.
func (h *Health) fromJournal(cfg *config.Config) error {
	j, err := OpenJournal(cfg)
	if err != nil || j == nil {
		return err
	}
	defer j.Close()
	if h.LastSent, err = j.LastSent(); err != nil {
		return err
	}
	if h.Running {
		return h.Window.count(j, h.Started, h.Now)
	}
	return nil
}

// count reads the acceptances in the window from the journal: the
// messages with a recipient sent in the last Interval and after started,
// one per sent outcome, as the gateway counts them. Only the messages
// touched in the last Interval are read: at most a batch of sends and
// their failures.
func (w *Window) count(j *journal.Journal, started, now time.Time) error {
	if w.Batch <= 0 || w.Interval <= 0 {
		return nil
	}
	cut := now.Add(-w.Interval)
	if started.After(cut) {
		cut = started
	}
	recs, err := j.Query(journal.Filter{Since: cut})
	if err != nil {
		return err
	}
	type accept struct {
		key string
		at  time.Time
	}
	seen := map[accept]bool{}
	var times []time.Time
	for _, r := range recs {
		for _, rc := range r.Recipients {
			a := accept{r.Key, rc.Time}
			if rc.Status != journal.StatusSent || !rc.Time.After(cut) || rc.Time.After(now) || seen[a] {
				continue
			}
			seen[a] = true
			times = append(times, rc.Time)
		}
	}
	w.Accepted = len(times)
	if w.Accepted < w.Batch {
		return nil
	}
	// Room opens when all but Batch-1 of them have left the window.
	slices.SortFunc(times, time.Time.Compare)
	w.Opens = times[w.Accepted-w.Batch].Add(w.Interval)
	return nil
}

// State is the relay's state as views name it: available, unavailable,
// unknown or not-running.
func (h *Health) State() string { return string(h.Relay.State) }

// View is the relay's health as --json views print it.
func (h *Health) View() health.View { return health.ViewOf(h.Relay, h.Running, h.Err) }

// Line is the relay's health in one line, for the admin, e.g.
//
//	Relay unavailable since 14:02: the mail relay refused spoolgate's login (535 5.7.8 …); next attempt 14:07
//	Relay available (last sent 3m ago)
//	Relay: not yet used since spoolgate started at 09:12 (last sent 2d ago)
//	spoolgate is not running: nothing is being sent (last sent 3h ago)
func (h *Health) Line() string {
	switch h.Relay.State {
	case NotRunning:
		return "spoolgate is not running: nothing is being sent" + h.lastSent(" ")
	case health.Unavailable:
		return "Relay " + RelayLine(h.Relay, h.Who, h.Now)
	case health.Available:
		return "Relay available" + h.lastSent(" ")
	}
	if h.Err != "" {
		return "Relay: unknown (" + h.Err + ")" + h.lastSent(" ")
	}
	s := "Relay: not yet used since spoolgate started"
	if !h.Started.IsZero() {
		s += " at " + clock(h.Started, h.Now)
	}
	return s + h.lastSent(" ")
}

// lastSent is "(last sent 3m ago)" or "(nothing sent yet)", after sep.
func (h *Health) lastSent(sep string) string {
	switch {
	case h.JournalErr != "":
		return sep + "(last send unknown: the journal cannot be read)"
	case h.LastSent.IsZero():
		return sep + "(nothing sent yet)"
	}
	return sep + "(last sent " + Age(h.Now.Sub(h.LastSent)) + " ago)"
}

// RelayLine is an unavailable relay chain in a few words after "the relay
// is", for the admin: since when, the cause in words, the relay's exact
// reply and the next attempt, e.g.
//
//	unavailable since 14:02: the mail relay refused spoolgate's login (535 5.7.8 …); next attempt 14:07
//
// or, for a chain waiting for a sending limit (who names it, see
// config.ChainTitle),
//
//	unavailable since 14:02: Microsoft 365's daily limit reached; sending resumes at 06:12 (…)
//
// A chain other than [smtp] is named after the time. Times are of the day
// of now, with the date when on another day. For a chain that is not
// unavailable it is its state.
func RelayLine(h health.Relay, who string, now time.Time) string {
	if h.State != health.Unavailable {
		return string(h.State)
	}
	var b strings.Builder
	b.WriteString("unavailable")
	if !h.Since.IsZero() {
		b.WriteString(" since " + clock(h.Since, now))
	}
	if h.Chain != "" && h.Chain != "smtp" {
		b.WriteString(" ([" + h.Chain + "])")
	}
	if h.Limit != "" {
		b.WriteString(": " + cause.LimitText("en", cmp.Or(who, h.Chain), h.Limit == health.LimitDaily, clock(h.NextAttempt, now)))
		if h.Reply != "" {
			b.WriteString(" (" + strings.Join(strings.Fields(h.Reply), " ") + ")")
		}
		return b.String()
	}
	meaning, _ := cause.Explain("en", cause.Cause(h.Cause))
	b.WriteString(": " + lowerFirst(strings.TrimSuffix(meaning, ".")))
	if h.Reply != "" {
		b.WriteString(" (" + strings.Join(strings.Fields(h.Reply), " ") + ")")
	}
	switch {
	case h.NextAttempt.IsZero():
	case !h.NextAttempt.After(now):
		b.WriteString("; next attempt due now")
	default:
		b.WriteString("; next attempt " + clock(h.NextAttempt, now))
	}
	return b.String()
}

// Waiting reasons: why the files waiting in the queue folder are not
// being sent, as Why gives them.
const (
	WaitNotRunning = "not-running" // no spoolgate of the instance runs
	WaitRelay      = "relay"       // the relay is unavailable: the queue waits for its next attempt
	WaitRateWindow = "rate-window" // [spool] batch messages went out in the last interval
	WaitSettling   = "settling"    // every waiting file changed within [spool] settle
	WaitSending    = "sending"     // nothing holds them: they are being sent
)

// Why says why waiting files (oldest modified at oldest) wait, with
// sending files of this instance in flight: a reason (the Wait
// constants) and a line for the admin. It returns "", "" when no file
// waits.
func (h *Health) Why(cfg *config.Config, waiting int, oldest time.Time, sending int) (reason, text string) {
	if waiting == 0 {
		return "", ""
	}
	w := h.Window
	switch {
	case !h.Running:
		return WaitNotRunning, "spoolgate is not running: start it (spoolgate start, or spoolgate run in a console)"
	case h.Relay.State == health.Unavailable:
		s := "the relay is unavailable: the queue waits, and goes out once the relay takes mail again"
		if n := h.Relay.NextAttempt; !n.IsZero() && n.After(h.Now) {
			s += " (next attempt " + clock(n, h.Now) + ")"
		}
		return WaitRelay, s
	case w.Full(sending):
		s := fmt.Sprintf("the rate window is full: %d sent in the last %s", w.Accepted, shortDuration(w.Interval))
		if sending > 0 {
			s += fmt.Sprintf(" and %d being sent", sending)
		}
		s += fmt.Sprintf(" ([spool] batch = %d per interval = %s)", w.Batch, shortDuration(w.Interval))
		if !w.Opens.IsZero() {
			s += fmt.Sprintf("; it opens at %s (in %s)", clock(w.Opens, h.Now), Age(w.Opens.Sub(h.Now)))
		}
		return WaitRateWindow, s
	case cfg.Spool.Settle > 0 && !oldest.IsZero() && h.Now.Sub(oldest) < cfg.Spool.Settle:
		return WaitSettling, fmt.Sprintf("they were written a moment ago: spoolgate takes a file once it has not changed for [spool] settle = %s", shortDuration(cfg.Spool.Settle))
	}
	s := "nothing holds them: spoolgate is sending them"
	if w.Batch > 0 {
		s += fmt.Sprintf(" (%d of [spool] batch = %d sent in the last %s)", w.Accepted, w.Batch, shortDuration(w.Interval))
	}
	return WaitSending, s
}

// clock is t as a time of day when it falls on now's day, else with the
// date; local time.
func clock(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// shortDuration is d as a config writes it: "3m", "1h30m", "45s".
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

// lowerFirst lowers the first letter of an English sentence, for quoting
// it after a colon: "The mail relay …" becomes "the mail relay …".
func lowerFirst(s string) string {
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z') {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
