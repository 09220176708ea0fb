// Package schedule runs named jobs once a day at a local wall-clock time.
//
// The contract:
//
//   - Each Job runs at most once per calendar date of the Scheduler's
//     location (successful runs; a failed run is tried again, see below).
//   - A job's run time on date D is the first instant whose local date and
//     time are at or after (D, At). On an ordinary day that is At itself.
//     On the autumn day when At occurs twice (02:30 in Europe/Stockholm on
//     2026-10-25), it is the first of the two; the second does not run the
//     job again. On the spring day when At does not exist (02:30 on
//     2026-03-29), it is the instant the clocks jump, 03:00: the first
//     instant after the skipped time. Run times are worked out from the
//     wall-clock date with the location's rules, never by adding 24 hours.
//   - Catch-up: when the Scheduler starts, or wakes, after a job's run time
//     and the job has not run that day, it runs at once. Runs of earlier,
//     fully missed days are not made up: the job itself decides what a late
//     run covers.
//   - "Has run today" is asked of the job (Job.LastRun, its own state) just
//     before a run is due, so a restart, or a run made by another process
//     (say, a command line), is never repeated. Without LastRun the
//     Scheduler remembers runs in memory only.
//   - A run that returns an error (or panics) is logged and tried again
//     RetryDelay (15 minutes) later the same day, at most MaxTries times in
//     all on a date; after that the job waits for the next day.
//   - The Scheduler never sleeps longer than a minute at a time and looks
//     at the clock again on waking, so a machine that was suspended, or a
//     clock that was set, is noticed within a minute.
//   - Jobs run one at a time, in the Scheduler's goroutine, in the order
//     given when several are due at once.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// RetryDelay is how long after a failed run the job is tried again.
const RetryDelay = 15 * time.Minute

// MaxTries is how many times a job is tried on one date.
const MaxTries = 4

// maxSleep bounds one sleep, so that a jump of the wall clock (a suspended
// machine, a clock that was set) is noticed soon.
const maxSleep = time.Minute

// Clock is the source of time. Real is the machine's; package
// scheduletest has one that tests move by hand.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Real returns the machine's clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Job is a daily job.
type Job struct {
	Name string       // for the log, e.g. "overdue scan"
	At   config.Clock // local time of the daily run
	// Run does the job for day: midnight (the day's first instant) of that
	// date in the Scheduler's location. An error makes the Scheduler try
	// again later the same day.
	Run func(ctx context.Context, day time.Time) error
	// LastRun returns the last day the job completed, from the job's own
	// state; ok is false if it never did. The date is read as the returned
	// time's Year, Month and Day, not converted to another location. It
	// may be nil; an error is logged and the job runs (it must then avoid
	// doing its work twice itself).
	LastRun func() (day time.Time, ok bool, err error)
}

// Scheduler runs jobs. Make one with New.
type Scheduler struct {
	loc   *time.Location
	clock Clock
	log   *slog.Logger
	jobs  []*jobState
}

type jobState struct {
	Job
	done    time.Time // last date completed, as a UTC midnight; zero if none known
	failDay time.Time // date of the failures counted in tries
	tries   int
	retryAt time.Time
}

// New returns a Scheduler of jobs in loc (nil means time.Local). clock
// nil means Real(); log nil discards.
func New(loc *time.Location, clock Clock, log *slog.Logger, jobs ...Job) *Scheduler {
	if loc == nil {
		loc = time.Local
	}
	if clock == nil {
		clock = Real()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{loc: loc, clock: clock, log: log}
	for _, j := range jobs {
		s.jobs = append(s.jobs, &jobState{Job: j})
	}
	return s
}

// Run runs the jobs as scheduled until ctx ends. A job that is running
// when ctx ends gets ctx and is waited for. With no jobs it returns at once.
func (s *Scheduler) Run(ctx context.Context) {
	if len(s.jobs) == 0 {
		return
	}
	for _, j := range s.jobs {
		s.log.Info("scheduled a daily job", "job", j.Name, "at", j.At.String(), "time_zone", s.loc.String())
	}
	for ctx.Err() == nil {
		now := s.clock.Now()
		wake := now.Add(maxSleep)
		for _, j := range s.jobs {
			if ctx.Err() != nil {
				return
			}
			if next := s.step(ctx, j, now); next.Before(wake) {
				wake = next
			}
			now = s.clock.Now() // a run takes time
		}
		d := wake.Sub(now)
		if d <= 0 {
			continue
		}
		if d > maxSleep {
			d = maxSleep
		}
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(d):
		}
	}
}

// Next returns when job's next run is due after now, on the assumption
// that today's run (if its time has passed) is done: the run time of
// today if now is before it, else of tomorrow. For logs and status.
func Next(loc *time.Location, at config.Clock, now time.Time) time.Time {
	today := dateOf(now.In(loc))
	if t := RunTime(loc, today, at); now.Before(t) {
		return t
	}
	return RunTime(loc, today.AddDate(0, 0, 1), at)
}

// step runs j if it is due at now and returns when it next needs
// attention.
func (s *Scheduler) step(ctx context.Context, j *jobState, now time.Time) time.Time {
	today := dateOf(now.In(s.loc))
	tomorrow := func() time.Time { return RunTime(s.loc, today.AddDate(0, 0, 1), j.At) }
	if !j.done.IsZero() && !j.done.Before(today) {
		return tomorrow()
	}
	at := RunTime(s.loc, today, j.At)
	if now.Before(at) {
		return at
	}
	if j.failDay.Equal(today) {
		if j.tries >= MaxTries {
			return tomorrow()
		}
		if now.Before(j.retryAt) {
			return j.retryAt
		}
	} else {
		j.failDay, j.tries = today, 0
	}
	if j.LastRun != nil {
		last, ok, err := j.LastRun()
		switch {
		case err != nil:
			s.log.Warn("cannot tell whether a daily job already ran today; running it", "job", j.Name, "error", err)
		case ok && !dateOf(last).Before(today):
			j.done = dateOf(last)
			return tomorrow()
		}
	}

	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, s.loc)
	s.log.Info("running a daily job", "job", j.Name, "day", today.Format(time.DateOnly))
	err := s.run(ctx, j, day)
	if err == nil {
		j.done = today
		next := tomorrow()
		s.log.Info("daily job done", "job", j.Name, "day", today.Format(time.DateOnly), "next", next.Format("2006-01-02 15:04 MST"))
		return next
	}
	if ctx.Err() != nil {
		s.log.Warn("daily job stopped by shutdown; it runs again at the next start", "job", j.Name, "error", err)
		return s.clock.Now()
	}
	j.tries++
	if j.tries >= MaxTries {
		s.log.Error("daily job failed; giving up until tomorrow", "job", j.Name, "day", today.Format(time.DateOnly),
			"tries", j.tries, "error", err)
		return tomorrow()
	}
	j.retryAt = s.clock.Now().Add(RetryDelay)
	s.log.Error("daily job failed; it is tried again later", "job", j.Name, "day", today.Format(time.DateOnly),
		"tries", j.tries, "retry_at", j.retryAt.In(s.loc).Format("15:04"), "error", err)
	return j.retryAt
}

// run calls the job, turning a panic into an error.
func (s *Scheduler) run(ctx context.Context, j *jobState, day time.Time) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("internal error in a daily job", "job", j.Name, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return j.Run(ctx, day)
}

// RunTime returns the run time of a job at at on the date of day (its
// Year, Month and Day, in its own location): the first instant whose date
// and time in loc are at or after that date and at. See the package
// documentation for daylight-saving days.
func RunTime(loc *time.Location, day time.Time, at config.Clock) time.Time {
	y, m, d := day.Date()
	want := wall{y, m, d, at.Hour, at.Minute}
	// time.Date picks one of the instants of a repeated time (Go picks the
	// later one) and moves a skipped time forward by the size of the gap.
	// The first instant at or after want is within a few hours of that
	// guess; time-zone changes happen on whole minutes, so looking minute
	// by minute finds it exactly.
	guess := time.Date(y, m, d, at.Hour, at.Minute, 0, 0, loc)
	const span = 4 * time.Hour
	for t := guess.Add(-span).Truncate(time.Minute); !t.After(guess.Add(span)); t = t.Add(time.Minute) {
		if !wallOf(t.In(loc)).before(want) {
			return t
		}
	}
	return guess
}

type wall struct {
	y            int
	m            time.Month
	d, hour, min int
}

func wallOf(t time.Time) wall {
	y, m, d := t.Date()
	return wall{y, m, d, t.Hour(), t.Minute()}
}

func (a wall) before(b wall) bool {
	switch {
	case a.y != b.y:
		return a.y < b.y
	case a.m != b.m:
		return a.m < b.m
	case a.d != b.d:
		return a.d < b.d
	case a.hour != b.hour:
		return a.hour < b.hour
	}
	return a.min < b.min
}

// dateOf is the calendar date of t in its own location, as a UTC midnight
// (comparable with Before and Equal, and moved with AddDate).
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
