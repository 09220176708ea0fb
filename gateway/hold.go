package gateway

import (
	"fmt"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
)

// healthName names a relay chain in the health record: "smtp" for [smtp]
// (and for capture mode), "smtp.NAME" for a unit's [smtp.NAME].
func (g *Gateway) healthName(chain *config.Server) string {
	if chain == nil || g.cfg.Capture != "" || chain == g.cfg.SMTP {
		return "smtp"
	}
	return "smtp." + chain.Name
}

// chainNames are the chains of the health record: [smtp] and each
// [smtp.NAME] a unit uses.
func (g *Gateway) chainNames() []string {
	names := []string{"smtp"}
	if g.cfg.Capture != "" {
		return names
	}
	seen := map[string]bool{"smtp": true}
	for _, u := range g.cfg.Units {
		if n := g.healthName(u.SMTP); u.SMTP != nil && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}

// pause records that chain is unavailable for f's cause, and makes the
// queue wait until the next attempt: the [spool] interval after the first
// failure, doubled after each one in a row, at most [spool] retry_max (or
// the interval, if that is longer). When f.Wait says that a sending limit
// is reached, the queue waits until the limit's window allows again
// instead. It returns when the next attempt is.
func (g *Gateway) pause(chain string, f failure) time.Time {
	if f.Wait != nil {
		next := f.Wait.Until
		if f.Reply == "" {
			f.Reply = f.Wait.Text()
		}
		g.pauseUntil(chain, f, next, f.Wait.Text())
		return next
	}
	prev := g.health.Get(chain)
	delay := g.cfg.Spool.Interval
	limit := max(g.cfg.Spool.RetryMax, delay)
	if prev.State == "unavailable" {
		for i := 0; i < prev.Failures && delay < limit; i++ {
			delay *= 2
		}
	}
	delay = min(delay, limit)
	next := g.now().Add(delay)
	meaning, _ := cause.Explain("en", f.Cause)
	g.pauseUntil(chain, f, next, fmt.Sprintf("%s; the queue waits and spoolgate tries again at %s", lowerFirst(strings.TrimSuffix(meaning, ".")), next.Format(time.TimeOnly)))
	return next
}

// pauseUntil records that chain is unavailable for f until next, in
// words msg, and makes the queue wait until then.
func (g *Gateway) pauseUntil(chain string, f failure, next time.Time, msg string) {
	limit := ""
	if f.Wait != nil {
		limit = health.LimitMinute
		if f.Wait.Daily {
			limit = health.LimitDaily
		}
	}
	h, changed := g.health.Down(chain, string(f.Cause), f.Server, f.Reply, next, limit)
	g.mu.Lock()
	if next.After(g.pausedUntil[chain]) {
		g.pausedUntil[chain] = next
	}
	g.mu.Unlock()
	g.reschedule()
	switch {
	case f.Wait != nil && f.Server == "":
		// spoolgate's own limit, not the relay's word: no error.
		if changed {
			g.log.Info("sending paused: "+msg, "chain", chain)
		}
	case changed:
		g.log.Error("relay unavailable: "+msg, "chain", chain, "cause", f.Cause, "server", f.Server, "reply", f.Reply, "since", h.Since.Format(time.DateTime))
	default:
		g.log.Info("relay still unavailable: "+msg, "chain", chain, "cause", f.Cause, "server", f.Server, "reply", f.Reply, "since", h.Since.Format(time.DateTime), "attempts", h.Failures)
	}
	if err := g.health.Err(); err != nil {
		g.log.Error("cannot record the relay's health in the data folder; queue and status will not show it", "error", err)
	}
}

// unreachable records that the worker could not connect to [smtp]'s chain.
func (g *Gateway) unreachable(err error) {
	g.pause(g.healthName(nil), failureOf(err))
}

// up records that chain answered a message, and says so when it had been
// unavailable.
func (g *Gateway) up(chain string) {
	was, recovered := g.health.Up(chain)
	if !recovered {
		return
	}
	g.mu.Lock()
	delete(g.pausedUntil, chain)
	g.mu.Unlock()
	g.log.Info("the relay works again", "chain", chain, "unavailable_since", was.Since.Format(time.DateTime),
		"cause", was.Cause, "attempts", was.Failures)
}

// pausedLocked tells whether the whole queue waits: every chain is
// unavailable or at a sending limit. (With units on chains of their own,
// one chain's pause holds only its own files: see chainPaused.)
func (g *Gateway) pausedLocked() bool {
	now := g.now()
	for _, c := range g.chains {
		if !now.Before(g.pausedUntil[c]) {
			return false
		}
	}
	return true
}

// chainPaused tells until when chain is paused, or zero when it is not.
func (g *Gateway) chainPaused(chain string) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until := g.pausedUntil[chain]; g.now().Before(until) {
		return until
	}
	return time.Time{}
}

func lowerFirst(s string) string {
	for i, r := range s {
		if i == 0 && r >= 'A' && r <= 'Z' {
			return string(r+'a'-'A') + s[1:]
		}
		break
	}
	return s
}
