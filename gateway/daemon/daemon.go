// Package daemon wires a running spoolgate together, in one place: the
// gateway (the relay engine), the daily jobs beside it under the scheduler
// (the morning overdue scan and the daily log to the librarian), and the
// log a running spoolgate writes. `spoolgate run` uses it in the
// foreground (Foreground) and as the OS service (the installer's Program
// calls New and OpenLog), and `spoolgate report` composes the daily log
// from the same inputs the scheduled job does (DailyInputs), so what the
// librarian gets by mail and what the admin prints cannot differ in what
// they read.
//
// Nothing here exits the process or talks to a service manager.
package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/gateway/overdue"
	"github.com/spoolgate/spoolgate/gateway/schedule"
)

// New returns the gateway of cfg with its daily jobs, logging to log, ready
// to Run. An error says why it cannot start (it wraps config.ErrConfig when
// the config is at fault). With [overdue] enabled, the loans export's
// column names and the notice templates are checked here (overdue.Check),
// so a broken template stops the start instead of the morning's scan.
func New(cfg *config.Config, log *slog.Logger) (*gateway.Gateway, error) {
	var notices *notice.Set
	if cfg.Overdue.Enabled {
		set, err := overdue.Check(cfg)
		if err != nil {
			return nil, err
		}
		notices = set
	}
	return gateway.New(cfg, log, withSchedule(log, notices))
}

// withSchedule runs the daily jobs beside the relay: the morning overdue
// scan at [overdue] at (when enabled) and the daily log to the librarian at
// [log] daily_at (when daily is on). Both are caught up at start when
// today's run was missed, and each runs once a day, DST days included.
func withSchedule(log *slog.Logger, notices *notice.Set) gateway.Option {
	return gateway.WithBackground(func(ctx context.Context, g *gateway.Gateway) {
		jobs := Jobs(g, notices, log)
		if len(jobs) == 0 {
			return
		}
		schedule.New(g.Config().Service.Location, schedule.Real(), log, jobs...).Run(ctx)
	})
}

// Jobs are the daily jobs a gateway's config asks for. The overdue scan
// renders with notices, the templates checked at start (nil: each scan
// loads and checks them itself).
func Jobs(g *gateway.Gateway, notices *notice.Set, log *slog.Logger) []schedule.Job {
	cfg := g.Config()
	var jobs []schedule.Job
	if cfg.Overdue.Enabled {
		jobs = append(jobs, schedule.Job{
			Name: "overdue scan",
			At:   cfg.Overdue.At,
			Run: func(ctx context.Context, day time.Time) error {
				res, err := overdue.Scan(ctx, cfg, day, overdue.Options{Journal: g.Journal(), Log: log, Notices: notices})
				if err != nil {
					return err
				}
				log.Info("overdue scan done", "day", day.Format(time.DateOnly), "queued", len(res.Queued),
					"to_print_or_phone", len(res.Skipped), "dropped", len(res.Dropped), "bad_rows", res.BadRows)
				// A missing export is retried later the same day (it may
				// not be written yet); the daily log reports it.
				return res.LoansError
			},
			LastRun: func() (time.Time, bool, error) { return overdue.LastRun(cfg) },
		})
	}
	if cfg.Log.Daily {
		jobs = append(jobs, daily.Job(cfg, func(day time.Time) daily.Inputs {
			return DailyInputs(cfg, g.Journal(), day, time.Time{}, log)
		}, log))
	}
	return jobs
}

// DailyInputs gathers what the daily log of day reads besides the config:
// the journal j (nil: nothing was ever sent) and the day's overdue scans as
// recorded, as of now (the zero time: the moment it is composed). A scan
// record that cannot be read is logged to log (nil: not logged) and shows
// in the daily log as a scan that did not run.
func DailyInputs(cfg *config.Config, j *journal.Journal, day, now time.Time, log *slog.Logger) daily.Inputs {
	n, err := overdue.RecordedSummary(cfg, day)
	if err != nil && log != nil {
		log.Warn("cannot read the day's overdue scan for the daily log", "error", err)
	}
	return daily.Inputs{Journal: j, Now: now, Notices: n}
}
