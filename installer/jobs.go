package installer

import (
	"context"
	"log/slog"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/overdue"
	"github.com/spoolgate/spoolgate/gateway/schedule"
)

// withSchedule runs the daily jobs beside the relay: the morning overdue
// scan at [overdue] at (when enabled) and the daily log to the librarian at
// [log] daily_at (when daily is on). Both are caught up at start when
// today's run was missed, and each runs once a day, DST days included.
func withSchedule(log *slog.Logger) gateway.Option {
	return gateway.WithBackground(func(ctx context.Context, g *gateway.Gateway) {
		jobs := Jobs(g, log)
		if len(jobs) == 0 {
			return
		}
		schedule.New(g.Config().Service.Location, schedule.Real(), log, jobs...).Run(ctx)
	})
}

// Jobs are the daily jobs a gateway's config asks for.
func Jobs(g *gateway.Gateway, log *slog.Logger) []schedule.Job {
	cfg := g.Config()
	var jobs []schedule.Job
	if cfg.Overdue.Enabled {
		jobs = append(jobs, schedule.Job{
			Name: "overdue scan",
			At:   cfg.Overdue.At,
			Run: func(ctx context.Context, day time.Time) error {
				res, err := overdue.Scan(ctx, cfg, day, overdue.Options{Journal: g.Journal(), Log: log})
				if err != nil {
					return err
				}
				log.Info("overdue scan done", "day", day.Format(time.DateOnly), "queued", len(res.Queued),
					"to_print_or_phone", len(res.Skipped), "dropped", len(res.Dropped), "bad_rows", len(res.RowErrors))
				// A missing export is retried later the same day (it may
				// not be written yet); the daily log reports it.
				return res.LoansError
			},
			LastRun: func() (time.Time, bool, error) { return overdue.LastRun(cfg) },
		})
	}
	if cfg.Log.Daily {
		jobs = append(jobs, daily.Job(cfg, func(day time.Time) daily.Inputs {
			return DailyInputs(g, day, log)
		}, log))
	}
	return jobs
}

// DailyInputs gathers what the daily log of day reports besides the journal:
// the day's overdue scans, as recorded.
func DailyInputs(g *gateway.Gateway, day time.Time, log *slog.Logger) daily.Inputs {
	n, err := overdue.RecordedSummary(g.Config(), day)
	if err != nil {
		log.Warn("cannot read the day's overdue scan for the daily log", "error", err)
	}
	return daily.Inputs{Journal: g.Journal(), Notices: n}
}
