// Package scheduletest has a clock that tests move by hand, to drive a
// schedule.Scheduler through days, daylight-saving changes and restarts
// without waiting.
//
// The pattern: start the Scheduler with a Clock in a goroutine, then call
// RunUntil(t) to let simulated time pass up to t. RunUntil waits until the
// Scheduler sleeps, moves the clock to the end of that sleep (or to t,
// whichever is first) and repeats, so the Scheduler sees every instant it
// asked to wake at, as it would with a real clock.
package scheduletest

import (
	"sort"
	"sync"
	"testing"
	"time"
)

// Clock is a fake schedule.Clock. Its methods are safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	changed chan struct{} // closed and replaced when a waiter is added
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// New returns a Clock that reads t.
func New(t time.Time) *Clock {
	return &Clock{now: t, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the time once the clock has been
// moved d ahead (at once for d <= 0).
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := c.now.Add(d)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at, ch})
	sort.SliceStable(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
	close(c.changed)
	c.changed = make(chan struct{})
	return ch
}

// Set moves the clock to t, forward or back, and wakes the sleepers whose
// time has come.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
}

// Advance moves the clock d ahead.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Sleepers is how many After channels wait.
func (c *Clock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// WaitSleepers waits until n After channels wait, and fails the test after
// 30 s.
func (c *Clock) WaitSleepers(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		got, changed := len(c.waiters), c.changed
		c.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-time.After(50 * time.Millisecond): // a sleeper woken by Set leaves without a signal
		case <-deadline.C:
			tb.Fatalf("scheduletest: %d sleepers after 30 s, want %d", got, n)
		}
	}
}

// RunUntil lets time pass up to t for one goroutine that sleeps on the
// clock: it waits until it sleeps, moves the clock to when it asked to
// wake (or to t, if that is earlier) and repeats until the clock reads t
// and the goroutine sleeps again.
func (c *Clock) RunUntil(tb testing.TB, t time.Time) {
	tb.Helper()
	for {
		c.WaitSleepers(tb, 1)
		c.mu.Lock()
		next := c.waiters[0].at
		c.mu.Unlock()
		if next.After(t) {
			c.Set(t)
			return
		}
		c.Set(next)
	}
}
