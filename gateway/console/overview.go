package console

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/overdue"
)

func init() {
	register(page{order: NavOverview, path: "/", name: "overview", role: accounts.Librarian,
		label: func(w *words) string { return w.NavOverview }, load: loadOverview})
	registerPost(post{path: "/actions/ping", role: accounts.Admin, handle: ping})
}

// overview is the overview page: all well or not, at a glance.
type overview struct {
	AllWell bool

	Relays   []relayRow
	RelayErr string // the relay's health could not be read: why

	Queue    *inspect.QueueSummary
	Oldest   string // how long the oldest waiting file has waited
	QueueErr string

	Sent, Skipped, Failed int
	TodayErr              string
	LastSent              string // "" when nothing was sent

	Actions    []actionRow
	ActionsErr string

	// The daily jobs the config runs: the day each last ran for.
	Scan, Daily string // "" when the config does not run it
}

// relayRow is one relay chain as the gateway recorded its health.
type relayRow struct {
	Chain, State, Class  string
	Since, Server, Next  string
	Label, Meaning, ToDo string // package cause's words for the cause
	Reply                string // the relay's own
}

type actionRow struct {
	When, User, Addr, What, Target string
	OK                             bool
}

// loadOverview reads what the overview shows: the relay's health per
// chain and the queue as inspect reads them for status and queue, today's
// outcomes from the journal, the days the daily jobs last ran for, and the
// recent actions. What it cannot read
// it says in its place.
func loadOverview(s *Server, r *http.Request, v *visitor) any {
	now := s.now()
	o := &overview{}
	t := v.w

	// The relay: the gateway serving this page runs.
	h := inspect.ReadHealth(s.cfg, true, now)
	if rec, err := health.Read(s.cfg.Spool.Data, s.cfg.Spool.Instance); err == nil && len(rec.Relays) > 0 {
		for _, rl := range rec.Relays {
			o.Relays = append(o.Relays, s.relayRow(rl, v))
		}
	} else {
		o.Relays = append(o.Relays, s.relayRow(h.Relay, v))
		if h.Err != "" {
			o.RelayErr = fmt.Sprintf(t.RelayNoRecord, h.Err)
		}
	}
	switch {
	case h.JournalErr != "":
		o.TodayErr = fmt.Sprintf(t.CannotRead, h.JournalErr)
	case !h.LastSent.IsZero():
		o.LastSent = s.stamp(h.LastSent)
	}

	// The queue.
	q, err := inspect.Summary(s.cfg)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		o.QueueErr = fmt.Sprintf(t.CannotRead, "the queue folder "+s.cfg.Spool.Folder+" does not exist")
	case err != nil:
		o.QueueErr = fmt.Sprintf(t.CannotRead, err.Error())
	default:
		o.Queue = q
		if q.Waiting > 0 && !q.Oldest.IsZero() {
			o.Oldest = inspect.Age(now.Sub(q.Oldest))
		}
	}

	// Today, counted as the daily log counts: each recipient whose last
	// event fell today, in the state it then had.
	if err := s.countToday(o, now); err != nil && o.TodayErr == "" {
		o.TodayErr = fmt.Sprintf(t.CannotRead, err.Error())
	}

	acts, err := s.actions.recent(20)
	if err != nil {
		o.ActionsErr = fmt.Sprintf(t.CannotRead, err.Error())
	}
	for _, a := range acts {
		what := t.Acts[a.What]
		if what == "" {
			what = actionLabel(a.What, v.lang)
		}
		o.Actions = append(o.Actions, actionRow{When: s.stamp(a.At), User: a.User, Addr: a.Addr, What: what, Target: a.Target, OK: a.OK})
	}

	if s.cfg.Overdue.Enabled {
		o.Scan = s.lastRun(overdue.LastRun, t)
	}
	if s.cfg.Log.Daily {
		o.Daily = s.lastRun(daily.LastRun, t)
	}

	o.AllWell = o.RelayErr == "" && o.QueueErr == "" && o.TodayErr == "" && o.Failed == 0 &&
		(o.Queue == nil || o.Queue.Bad == 0 && o.Queue.Unmatched == 0)
	for _, rl := range o.Relays {
		if rl.Class != "ok" && rl.Class != "unknown" {
			o.AllWell = false
		}
	}
	return o
}

// lastRun is the day a daily job last ran for, from its record (read).
func (s *Server) lastRun(read func(*config.Config) (time.Time, bool, error), t *words) string {
	day, ok, err := read(s.cfg)
	switch {
	case err != nil:
		return fmt.Sprintf(t.CannotRead, err.Error())
	case !ok:
		return t.NotYet
	}
	return day.Format(time.DateOnly)
}

// relayRow is rl in v's language; the cause in package cause's words.
func (s *Server) relayRow(rl health.Relay, v *visitor) relayRow {
	st := string(rl.State)
	row := relayRow{Chain: rl.Chain, State: v.w.States[st], Server: rl.Server, Reply: rl.Reply}
	if row.State == "" {
		row.State = st
	}
	if row.Chain == "" {
		row.Chain = "smtp"
	}
	switch rl.State {
	case health.Available:
		row.Class = "ok"
	case health.Unknown:
		row.Class = "unknown"
	default:
		row.Class = "bad"
	}
	if !rl.Since.IsZero() {
		row.Since = s.stamp(rl.Since)
	}
	if !rl.NextAttempt.IsZero() {
		row.Next = s.stamp(rl.NextAttempt)
	}
	if rl.State == health.Unavailable {
		c := cause.Cause(rl.Cause)
		row.Label = cause.Label(v.lang, c)
		row.Meaning, row.ToDo = cause.Explain(v.lang, c)
	}
	return row
}

// countToday counts today's outcomes (from local midnight) into o.
func (s *Server) countToday(o *overview, now time.Time) error {
	j := s.g.Journal()
	loc := s.location()
	n := now.In(loc)
	start := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	recs, err := j.Query(journal.Filter{Since: start})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if len(rec.Recipients) == 0 {
			if rec.Status == journal.StatusFailed && !rec.Time.Before(start) {
				o.Failed++
			}
			continue
		}
		for _, rc := range rec.Recipients {
			if rc.Time.Before(start) {
				continue
			}
			switch rc.Status {
			case journal.StatusSent:
				o.Sent++
			case journal.StatusSkipped:
				o.Skipped++
			case journal.StatusFailed:
				o.Failed++
			}
		}
	}
	return nil
}

// stamp is t as a date and time in the service's time zone.
func (s *Server) stamp(t time.Time) string {
	return t.In(s.location()).Format("2006-01-02 15:04:05")
}

// ping is POST /actions/ping, the admin check: it records an action and
// does nothing else, so an admin can see that actions are recorded (and a
// test, that a librarian may not use an admin route).
func ping(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		s.actions.record(Action{At: s.now(), User: v.user.Name, Addr: remoteHost(r), What: ActPing, OK: true})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}
