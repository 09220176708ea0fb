package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Stockholm under wine too

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/schedule"
	"github.com/spoolgate/spoolgate/gateway/schedule/scheduletest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func stockholm(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// run is one call of a job.
type run struct {
	job string
	day string    // the day it was given, YYYY-MM-DD
	at  time.Time // the clock when it ran
}

// book records the runs of jobs and keeps their "last day done" state,
// which outlives a Scheduler as a job's own state file would.
type book struct {
	clock func() time.Time
	mu    sync.Mutex
	runs  []run
	last  map[string]time.Time
	fail  map[string]int // fail the next n runs of a job
	panic map[string]int // panic in the next n runs of a job
}

func newBook() *book {
	return &book{last: map[string]time.Time{}, fail: map[string]int{}, panic: map[string]int{}}
}

func (b *book) job(name string, h, m int) schedule.Job {
	return schedule.Job{
		Name: name,
		At:   config.Clock{Hour: h, Minute: m},
		Run: func(_ context.Context, day time.Time) error {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.runs = append(b.runs, run{name, day.Format(time.DateOnly), b.clock()})
			if b.panic[name] > 0 {
				b.panic[name]--
				panic("job " + name + " hit a bug")
			}
			if b.fail[name] > 0 {
				b.fail[name]--
				return errors.New("the loans export is locked")
			}
			b.last[name] = day
			return nil
		},
		LastRun: func() (time.Time, bool, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			t, ok := b.last[name]
			return t, ok, nil
		},
	}
}

// of returns the runs of job, formatted "DAY@LOCALTIME ZONE".
func (b *book) of(job string, loc *time.Location) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, r := range b.runs {
		if r.job == job {
			out = append(out, r.day+"@"+r.at.In(loc).Format("2006-01-02 15:04 MST"))
		}
	}
	return out
}

// started is a Scheduler running on a fake clock.
type started struct {
	clock *scheduletest.Clock
	log   *spooltest.Buffer
	stop  func()
}

// start runs a Scheduler of jobs on a fake clock that reads from, and
// waits until it sleeps.
func start(t *testing.T, b *book, loc *time.Location, from time.Time, jobs ...schedule.Job) *started {
	t.Helper()
	clock := scheduletest.New(from)
	b.mu.Lock()
	b.clock = clock.Now
	b.mu.Unlock()
	lb := &spooltest.Buffer{}
	log := slog.New(slog.NewTextHandler(lb, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		schedule.New(loc, clock, log, jobs...).Run(ctx)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Errorf("the scheduler did not stop within 30 s")
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("scheduler log:\n%s", lb.String())
		}
	})
	clock.WaitSleepers(t, 1)
	return &started{clock: clock, log: lb, stop: stop}
}

func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func check(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s ran:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestScheduler_NormalDay(t *testing.T) {
	loc := stockholm(t)
	b := newBook()
	s := start(t, b, loc, at(loc, "2026-11-25 00:00"), b.job("scan", 6, 30), b.job("daily", 23, 55))
	s.clock.RunUntil(t, at(loc, "2026-11-25 06:29"))
	check(t, "the scan before 06:30", b.of("scan", loc), nil)
	s.clock.RunUntil(t, at(loc, "2026-11-26 00:00"))
	check(t, "the scan", b.of("scan", loc), []string{"2026-11-25@2026-11-25 06:30 CET"})
	check(t, "the daily log", b.of("daily", loc), []string{"2026-11-25@2026-11-25 23:55 CET"})
}

func TestScheduler_TwoDaysInARow(t *testing.T) {
	loc := stockholm(t)
	b := newBook()
	s := start(t, b, loc, at(loc, "2026-11-25 12:00"), b.job("scan", 6, 30), b.job("daily", 23, 55))
	s.clock.RunUntil(t, at(loc, "2026-11-27 12:00"))
	// Started at noon: the scan catches up at once, then runs at 06:30.
	check(t, "the scan", b.of("scan", loc), []string{
		"2026-11-25@2026-11-25 12:00 CET", "2026-11-26@2026-11-26 06:30 CET", "2026-11-27@2026-11-27 06:30 CET"})
	check(t, "the daily log", b.of("daily", loc), []string{
		"2026-11-25@2026-11-25 23:55 CET", "2026-11-26@2026-11-26 23:55 CET"})
}

func TestScheduler_RestartAfterAtCatchesUpOnce(t *testing.T) {
	loc := stockholm(t)
	b := newBook()
	scan, daily := b.job("scan", 6, 30), b.job("daily", 23, 55)

	// Not running at 06:30: started at 09:12, the scan runs at once.
	s := start(t, b, loc, at(loc, "2026-11-25 09:12"), scan, daily)
	s.clock.RunUntil(t, at(loc, "2026-11-25 10:00"))
	check(t, "the scan", b.of("scan", loc), []string{"2026-11-25@2026-11-25 09:12 CET"})
	s.stop()

	// Restarted the same day: nothing runs again.
	s = start(t, b, loc, at(loc, "2026-11-25 10:03"), scan, daily)
	s.clock.RunUntil(t, at(loc, "2026-11-25 23:00"))
	check(t, "the scan after a restart", b.of("scan", loc), []string{"2026-11-25@2026-11-25 09:12 CET"})
	check(t, "the daily log before 23:55", b.of("daily", loc), nil)
	s.stop()

	// Restarted after 23:55 without having run the daily log: it runs once.
	s = start(t, b, loc, at(loc, "2026-11-25 23:57"), scan, daily)
	s.clock.RunUntil(t, at(loc, "2026-11-26 00:00"))
	s.stop()
	s = start(t, b, loc, at(loc, "2026-11-25 23:58"), scan, daily)
	s.clock.RunUntil(t, at(loc, "2026-11-26 06:00"))
	check(t, "the daily log", b.of("daily", loc), []string{"2026-11-25@2026-11-25 23:57 CET"})
	check(t, "the scan", b.of("scan", loc), []string{"2026-11-25@2026-11-25 09:12 CET"})
}

func TestScheduler_RestartBeforeAtWaits(t *testing.T) {
	loc := stockholm(t)
	b := newBook()
	scan := b.job("scan", 6, 30)
	s := start(t, b, loc, at(loc, "2026-11-25 05:00"), scan)
	s.clock.RunUntil(t, at(loc, "2026-11-25 06:00"))
	s.stop()
	s = start(t, b, loc, at(loc, "2026-11-25 06:10"), scan)
	s.clock.RunUntil(t, at(loc, "2026-11-25 06:29"))
	check(t, "the scan before 06:30", b.of("scan", loc), nil)
	s.clock.RunUntil(t, at(loc, "2026-11-25 12:00"))
	check(t, "the scan", b.of("scan", loc), []string{"2026-11-25@2026-11-25 06:30 CET"})
}

func TestScheduler_DaylightSavingDays(t *testing.T) {
	loc := stockholm(t)
	for _, tc := range []struct {
		name     string
		from, to string
		want     map[string][]string
	}{
		{
			// 2026-03-29: at 02:00 CET the clocks jump to 03:00 CEST;
			// 02:30 does not exist that day and the job runs at 03:00.
			name: "spring", from: "2026-03-28 00:00", to: "2026-03-31 00:00",
			want: map[string][]string{
				"night": {"2026-03-28@2026-03-28 02:30 CET", "2026-03-29@2026-03-29 03:00 CEST", "2026-03-30@2026-03-30 02:30 CEST"},
				"scan":  {"2026-03-28@2026-03-28 06:30 CET", "2026-03-29@2026-03-29 06:30 CEST", "2026-03-30@2026-03-30 06:30 CEST"},
				"daily": {"2026-03-28@2026-03-28 23:55 CET", "2026-03-29@2026-03-29 23:55 CEST", "2026-03-30@2026-03-30 23:55 CEST"},
			},
		},
		{
			// 2026-10-25: at 03:00 CEST the clocks go back to 02:00 CET;
			// 02:30 happens twice and the job runs at the first.
			name: "autumn", from: "2026-10-24 00:00", to: "2026-10-27 00:00",
			want: map[string][]string{
				"night": {"2026-10-24@2026-10-24 02:30 CEST", "2026-10-25@2026-10-25 02:30 CEST", "2026-10-26@2026-10-26 02:30 CET"},
				"scan":  {"2026-10-24@2026-10-24 06:30 CEST", "2026-10-25@2026-10-25 06:30 CET", "2026-10-26@2026-10-26 06:30 CET"},
				"daily": {"2026-10-24@2026-10-24 23:55 CEST", "2026-10-25@2026-10-25 23:55 CET", "2026-10-26@2026-10-26 23:55 CET"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBook()
			s := start(t, b, loc, at(loc, tc.from), b.job("night", 2, 30), b.job("scan", 6, 30), b.job("daily", 23, 55))
			s.clock.RunUntil(t, at(loc, tc.to))
			for _, job := range []string{"night", "scan", "daily"} {
				check(t, job, b.of(job, loc), tc.want[job])
			}
		})
	}
}

func TestScheduler_AutumnRunsAtFirstOccurrenceWithoutState(t *testing.T) {
	// Without LastRun, the Scheduler's memory alone keeps the repeated
	// 02:30 from running the job twice.
	loc := stockholm(t)
	b := newBook()
	j := b.job("night", 2, 30)
	j.LastRun = nil
	s := start(t, b, loc, at(loc, "2026-10-25 00:00"), j)
	s.clock.RunUntil(t, at(loc, "2026-10-25 12:00"))
	check(t, "night", b.of("night", loc), []string{"2026-10-25@2026-10-25 02:30 CEST"})
}

func TestRunTime(t *testing.T) {
	loc := stockholm(t)
	for _, tc := range []struct {
		day  string
		at   config.Clock
		want string // UTC
	}{
		{"2026-11-25", config.Clock{Hour: 6, Minute: 30}, "2026-11-25T05:30:00Z"},
		{"2026-03-29", config.Clock{Hour: 2, Minute: 30}, "2026-03-29T01:00:00Z"}, // 03:00 CEST
		{"2026-03-29", config.Clock{Hour: 2, Minute: 0}, "2026-03-29T01:00:00Z"},  // 03:00 CEST
		{"2026-03-29", config.Clock{Hour: 1, Minute: 59}, "2026-03-29T00:59:00Z"}, // 01:59 CET
		{"2026-03-29", config.Clock{Hour: 3, Minute: 0}, "2026-03-29T01:00:00Z"},  // 03:00 CEST
		{"2026-03-29", config.Clock{Hour: 23, Minute: 55}, "2026-03-29T21:55:00Z"},
		{"2026-10-25", config.Clock{Hour: 2, Minute: 30}, "2026-10-25T00:30:00Z"}, // the first 02:30, CEST
		{"2026-10-25", config.Clock{Hour: 2, Minute: 0}, "2026-10-25T00:00:00Z"},  // the first 02:00, CEST
		{"2026-10-25", config.Clock{Hour: 3, Minute: 0}, "2026-10-25T02:00:00Z"},  // CET
		{"2026-10-25", config.Clock{Hour: 0, Minute: 0}, "2026-10-24T22:00:00Z"},
	} {
		day, _ := time.Parse(time.DateOnly, tc.day)
		got := schedule.RunTime(loc, day, tc.at).UTC().Format(time.RFC3339)
		if got != tc.want {
			t.Errorf("RunTime(%s %s) = %s, want %s", tc.day, tc.at, got, tc.want)
		}
	}
	// A zone whose midnight is skipped: America/Santiago moves from 00:00
	// to 01:00 on 2026-09-06; a job at 00:00 runs at 01:00 that day.
	if santiago, err := time.LoadLocation("America/Santiago"); err != nil {
		t.Fatal(err)
	} else {
		day, _ := time.Parse(time.DateOnly, "2026-09-06")
		got := schedule.RunTime(santiago, day, config.Clock{}).In(santiago).Format("2006-01-02 15:04 -07")
		if got != "2026-09-06 01:00 -03" {
			t.Errorf("RunTime(Santiago, 2026-09-06 00:00) = %s, want 2026-09-06 01:00 -03", got)
		}
	}
}

func TestScheduler_FailedRunIsRetriedLaterThatDay(t *testing.T) {
	loc := stockholm(t)
	b := newBook()
	b.fail["scan"] = 2
	s := start(t, b, loc, at(loc, "2026-11-25 06:00"), b.job("scan", 6, 30))
	s.clock.RunUntil(t, at(loc, "2026-11-26 00:00"))
	check(t, "the scan", b.of("scan", loc), []string{
		"2026-11-25@2026-11-25 06:30 CET", "2026-11-25@2026-11-25 06:45 CET", "2026-11-25@2026-11-25 07:00 CET"})
	if !strings.Contains(s.log.String(), "tried again later") {
		t.Errorf("the log does not say the failed run is tried again:\n%s", s.log.String())
	}
}

func TestScheduler_FailingJobGivesUpForTheDay(t *testing.T) {
	loc := stockholm(t)
	b := newBook()
	b.fail["scan"] = schedule.MaxTries + 1 // every try of the first day, and the first of the next
	b.panic["daily"] = 1                   // a panic is a failure too
	s := start(t, b, loc, at(loc, "2026-11-25 06:00"), b.job("scan", 6, 30), b.job("daily", 23, 30))
	s.clock.RunUntil(t, at(loc, "2026-11-26 12:00"))
	check(t, "the scan", b.of("scan", loc), []string{
		"2026-11-25@2026-11-25 06:30 CET", "2026-11-25@2026-11-25 06:45 CET", "2026-11-25@2026-11-25 07:00 CET", "2026-11-25@2026-11-25 07:15 CET",
		"2026-11-26@2026-11-26 06:30 CET", "2026-11-26@2026-11-26 06:45 CET"})
	check(t, "the daily log", b.of("daily", loc), []string{"2026-11-25@2026-11-25 23:30 CET", "2026-11-25@2026-11-25 23:45 CET"})
	log := s.log.String()
	for _, want := range []string{"giving up until tomorrow", "hit a bug"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not say %q:\n%s", want, log)
		}
	}
}

func TestScheduler_ClockJumpsPastRunTime(t *testing.T) {
	// The machine sleeps at 06:00 and wakes at 08:40: the scan runs on
	// waking, once.
	loc := stockholm(t)
	b := newBook()
	s := start(t, b, loc, at(loc, "2026-11-25 06:00"), b.job("scan", 6, 30))
	s.clock.Set(at(loc, "2026-11-25 08:40"))
	s.clock.RunUntil(t, at(loc, "2026-11-25 12:00"))
	check(t, "the scan", b.of("scan", loc), []string{"2026-11-25@2026-11-25 08:40 CET"})
	// And a clock set back before 06:30 does not run it again.
	s.clock.Set(at(loc, "2026-11-25 06:00"))
	s.clock.RunUntil(t, at(loc, "2026-11-25 12:00"))
	check(t, "the scan after the clock went back", b.of("scan", loc), []string{"2026-11-25@2026-11-25 08:40 CET"})
}

func TestScheduler_JobStateSaysDone(t *testing.T) {
	// Another process (spoolgate report --send, say) ran today's job.
	loc := stockholm(t)
	b := newBook()
	b.last["daily"] = time.Date(2026, 11, 25, 0, 0, 0, 0, loc)
	s := start(t, b, loc, at(loc, "2026-11-25 23:00"), b.job("daily", 23, 55))
	s.clock.RunUntil(t, at(loc, "2026-11-26 23:59"))
	check(t, "the daily log", b.of("daily", loc), []string{"2026-11-26@2026-11-26 23:55 CET"})
}

func TestScheduler_LastRunErrorRunsTheJob(t *testing.T) {
	loc := stockholm(t)
	b := newBook()
	j := b.job("daily", 23, 55)
	j.LastRun = func() (time.Time, bool, error) { return time.Time{}, false, errors.New("state file unreadable") }
	s := start(t, b, loc, at(loc, "2026-11-25 23:00"), j)
	s.clock.RunUntil(t, at(loc, "2026-11-26 00:00"))
	check(t, "the daily log", b.of("daily", loc), []string{"2026-11-25@2026-11-25 23:55 CET"})
	if !strings.Contains(s.log.String(), "state file unreadable") {
		t.Errorf("the log does not give LastRun's error:\n%s", s.log.String())
	}
}

func TestScheduler_StopsWithContext(t *testing.T) {
	loc := stockholm(t)
	clock := scheduletest.New(at(loc, "2026-11-25 06:29"))
	started := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	job := schedule.Job{Name: "slow", At: config.Clock{Hour: 6, Minute: 30}, Run: func(ctx context.Context, _ time.Time) error {
		close(started)
		<-ctx.Done() // a job that takes until shutdown
		return ctx.Err()
	}}
	go func() {
		defer close(done)
		schedule.New(loc, clock, nil, job).Run(ctx)
	}()
	clock.WaitSleepers(t, 1)
	clock.Advance(time.Minute)
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the job did not start at 06:30")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
}

func TestNext(t *testing.T) {
	loc := stockholm(t)
	for _, tc := range []struct{ now, want string }{
		{"2026-11-25 06:00", "2026-11-25 06:30 CET"},
		{"2026-11-25 06:30", "2026-11-26 06:30 CET"},
		{"2026-03-28 07:00", "2026-03-29 06:30 CEST"},
	} {
		got := schedule.Next(loc, config.Clock{Hour: 6, Minute: 30}, at(loc, tc.now)).In(loc).Format("2006-01-02 15:04 MST")
		if got != tc.want {
			t.Errorf("Next(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
}

func ExampleRunTime() {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	for _, d := range []string{"2026-03-29", "2026-10-25"} {
		day, _ := time.Parse(time.DateOnly, d)
		fmt.Println(schedule.RunTime(loc, day, config.Clock{Hour: 2, Minute: 30}).In(loc).Format("2006-01-02 15:04 MST"))
	}
	// Output:
	// 2026-03-29 03:00 CEST
	// 2026-10-25 02:30 CEST
}
