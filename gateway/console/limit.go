package console

import (
	"sync"
	"time"
)

// The login rate limit.
const (
	// MaxFailures is how many failed sign-ins in a row, from one address
	// or for one user name, go without a wait.
	MaxFailures = 5
	// FirstDelay is the wait after the MaxFailures-th failure; it doubles
	// with each further failure, up to MaxDelay.
	FirstDelay = time.Second
	MaxDelay   = 5 * time.Minute

	// forgetAfter is how long a quiet address or name is remembered.
	forgetAfter = 24 * time.Hour
	// maxTracked bounds the addresses and names remembered.
	maxTracked = 100000
)

// limiter counts failed sign-ins per remote address and per user name.
type limiter struct {
	mu sync.Mutex
	by map[string]*strikes // "addr " + address, or "user " + name
}

type strikes struct {
	failures int
	until    time.Time // no attempt before this
	last     time.Time // the last failure
}

func newLimiter() *limiter { return &limiter{by: map[string]*strikes{}} }

func limitKeys(addr, user string) []string {
	return []string{"addr " + addr, "user " + user}
}

// wait returns when the next attempt from addr for user may be made: the
// zero time, or a time after now while they must wait.
func (l *limiter) wait(addr, user string, now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var until time.Time
	for _, k := range limitKeys(addr, user) {
		if s := l.by[k]; s != nil && s.until.After(now) && s.until.After(until) {
			until = s.until
		}
	}
	return until
}

// fail counts a failed attempt from addr for user at now, and returns how
// many failures in a row there now are (the larger of the two counts).
func (l *limiter) fail(addr, user string, now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.by) >= maxTracked {
		l.forgetLocked(now)
	}
	most := 0
	for _, k := range limitKeys(addr, user) {
		s := l.by[k]
		if s == nil {
			if len(l.by) >= maxTracked {
				continue // under a flood of names: the address still counts
			}
			s = &strikes{}
			l.by[k] = s
		}
		s.failures++
		s.last = now
		if n := s.failures - MaxFailures; n >= 0 {
			d := MaxDelay
			if n < 20 {
				d = min(FirstDelay<<n, MaxDelay)
			}
			s.until = now.Add(d)
		}
		most = max(most, s.failures)
	}
	return most
}

// succeed forgets the failures of addr and user.
func (l *limiter) succeed(addr, user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range limitKeys(addr, user) {
		delete(l.by, k)
	}
}

func (l *limiter) forgetLocked(now time.Time) {
	for k, s := range l.by {
		if now.Sub(s.last) > forgetAfter && !s.until.After(now) {
			delete(l.by, k)
		}
	}
}
