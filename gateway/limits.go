package gateway

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
)

// The windows of a chain's sending limits ([smtp] daily_limit and
// minute_limit).
const (
	dayWindow    = 24 * time.Hour
	minuteWindow = time.Minute
)

// limits counts, per relay chain (by health name), the messages sent in
// the last 24 hours and their recipients, for the chain's daily_limit
// (recipients in any 24 hours) and minute_limit (messages in any 60
// seconds). A message counts from when it is handed to the relay; it stops
// counting if the relay accepted none of its recipients. The counts live
// in memory; at start they are read back from the journal's sent records
// (seed), so a restart does not reset the daily window.
type limits struct {
	mu     sync.Mutex
	chains map[string][]*send // oldest first
}

// send is one message in a chain's window: when, and to how many.
type send struct {
	at time.Time
	n  int
}

// limitWait says that a chain's limit is reached: which one and when
// sending may resume.
type limitWait struct {
	Until time.Time
	Daily bool // the daily limit; else the minute limit
	Limit int
}

// Text is the wait in words, for the relay's health, queue and the log.
func (w limitWait) Text() string {
	if w.Daily {
		return fmt.Sprintf("daily limit reached (%d recipients in 24 hours, [smtp] daily_limit); sending resumes at %s",
			w.Limit, w.Until.Local().Format("15:04"))
	}
	return fmt.Sprintf("minute limit reached (%d messages in 60 seconds, [smtp] minute_limit); sending resumes at %s",
		w.Limit, w.Until.Local().Format("15:04:05"))
}

func limited(srv *config.Server) bool {
	return srv != nil && (srv.DailyLimit > 0 || srv.MinuteLimit > 0)
}

// pruneLocked drops the sends older than 24 hours.
func (l *limits) pruneLocked(chain string, now time.Time) []*send {
	s := l.chains[chain]
	cut := now.Add(-dayWindow)
	i := 0
	for i < len(s) && !s[i].at.After(cut) {
		i++
	}
	s = s[i:]
	if l.chains == nil {
		l.chains = map[string][]*send{}
	}
	l.chains[chain] = s
	return s
}

// reserve counts a message to n recipients against chain's limits (srv
// is the chain's first server) and returns its place, for done. When the
// message would exceed a limit it counts nothing and says until when the
// chain must wait. A message to more recipients than daily_limit passes
// once the day's window is empty: it could never pass otherwise.
func (l *limits) reserve(chain string, srv *config.Server, n int, now time.Time) (*send, *limitWait) {
	if !limited(srv) {
		return nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.pruneLocked(chain, now)
	var wait *limitWait
	later := func(w limitWait) {
		if wait == nil || w.Until.After(wait.Until) {
			wait = &w
		}
	}
	if m := srv.MinuteLimit; m > 0 {
		cut := now.Add(-minuteWindow)
		i := len(s)
		for i > 0 && s[i-1].at.After(cut) {
			i--
		}
		if inMinute := s[i:]; len(inMinute) >= m {
			later(limitWait{Until: inMinute[len(inMinute)-m].at.Add(minuteWindow), Limit: m})
		}
	}
	if d := srv.DailyLimit; d > 0 {
		sum := 0
		for _, x := range s {
			sum += x.n
		}
		if sum > 0 && sum+n > d {
			// The window allows it once enough of the oldest sends leave it.
			var until time.Time
			for _, x := range s {
				sum -= x.n
				until = x.at.Add(dayWindow)
				if sum+n <= d || sum == 0 {
					break
				}
			}
			later(limitWait{Until: until, Daily: true, Limit: d})
		}
	}
	if wait != nil {
		return nil, wait
	}
	r := &send{at: now, n: n}
	l.chains[chain] = append(s, r)
	return r, nil
}

// done settles a reserved message: sent is how many recipients the relay
// accepted; with none, the message no longer counts.
func (l *limits) done(chain string, r *send, sent int) {
	if r == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if sent > 0 {
		r.n = sent
		return
	}
	l.chains[chain] = slices.DeleteFunc(l.chains[chain], func(x *send) bool { return x == r })
}

// reopens is when chain's window allows sending again after the relay
// refused a message for a quota or rate (reply): for a daily quota, when
// the oldest send in the 24-hour window leaves it; for a rate, when the
// oldest one of the last minute does. It is zero when no such limit is
// configured or nothing was sent in that window: the usual backoff applies.
func (l *limits) reopens(chain string, srv *config.Server, reply string, now time.Time) *limitWait {
	if !limited(srv) {
		return nil
	}
	r := strings.ToLower(reply)
	daily := strings.Contains(r, "daily") || strings.Contains(r, "5.4.5") || strings.Contains(r, "quota")
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.pruneLocked(chain, now)
	switch {
	case daily && srv.DailyLimit > 0 && len(s) > 0:
		return &limitWait{Until: s[0].at.Add(dayWindow), Daily: true, Limit: srv.DailyLimit}
	case !daily && srv.MinuteLimit > 0:
		cut := now.Add(-minuteWindow)
		for _, x := range s {
			if x.at.After(cut) {
				return &limitWait{Until: x.at.Add(minuteWindow), Limit: srv.MinuteLimit}
			}
		}
	}
	return nil
}

// chainServer is the first server of the chain that sends a unit's
// messages ([smtp] for none).
func (g *Gateway) chainServer(chain *config.Server) *config.Server {
	if g.cfg.Capture != "" {
		return nil
	}
	if chain == nil {
		return g.cfg.SMTP
	}
	return chain
}

// seedLimits reads the last 24 hours of sent recipients back from the
// journal, so the daily window survives a restart. A message counts at
// its last event, per chain of its unit.
func (g *Gateway) seedLimits() {
	some := limited(g.chainServer(nil))
	for _, u := range g.cfg.Units {
		some = some || limited(g.chainServer(u.SMTP))
	}
	if !some {
		return
	}
	now := g.now()
	recs, err := g.journal.Query(journal.Filter{Since: now.Add(-dayWindow), Status: journal.StatusSent})
	if err != nil {
		g.log.Error("cannot read the last day's sent messages from the journal; the daily limit counts from now", "error", err)
		return
	}
	g.limits.mu.Lock()
	defer g.limits.mu.Unlock()
	if g.limits.chains == nil {
		g.limits.chains = map[string][]*send{}
	}
	for _, r := range recs {
		n := 0
		for _, x := range r.Recipients {
			if x.Status == journal.StatusSent {
				n++
			}
		}
		if n == 0 {
			continue
		}
		var chain *config.Server
		if u, ok := g.cfg.UnitFor(r.Unit); ok {
			chain = u.SMTP
		}
		name := g.healthName(chain)
		g.limits.chains[name] = append(g.limits.chains[name], &send{at: r.Time, n: n})
	}
	for name, s := range g.limits.chains {
		slices.SortFunc(s, func(a, b *send) int { return a.at.Compare(b.at) })
		g.limits.chains[name] = s
	}
}
