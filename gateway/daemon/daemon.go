// Package daemon wires a running spoolgate together, in one place: the
// gateway (the relay engine), the daily jobs beside it under the scheduler
// (the morning overdue scan and the daily log to the librarian), and the
// log a running spoolgate writes. `spoolgate run` uses it in the
// foreground (Foreground) and as the OS service (the installer's Program
// calls New and OpenLog), and `spoolgate report` composes the daily log
// from the same inputs the scheduled job does (daily.Gather, with the
// overdue scans as recorded), as the web console does, so what the
// librarian gets by mail and what the admin prints or sees cannot differ
// in what they read.
//
// Nothing here exits the process or talks to a service manager.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/alarm"
	"github.com/spoolgate/spoolgate/gateway/bounces"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/gateway/overdue"
	"github.com/spoolgate/spoolgate/gateway/schedule"
)

// New returns the gateway of cfg with its daily jobs, logging to log, ready
// to Run. An error says why it cannot start (it wraps config.ErrConfig when
// the config is at fault). With [overdue] enabled, the loans export's
// column names and the notice templates are checked here (overdue.Check),
// so a broken template stops the start instead of the morning's scan.
// With [console] listen set, the console's users file is read and, when it
// has an account, the console's address bound here (see withConsole), so
// a malformed users file, a bad certificate or a port in use stops the
// start with an error that names it.
func New(cfg *config.Config, log *slog.Logger) (*gateway.Gateway, error) {
	return newGateway(cfg, log, nil)
}

// newGateway is New run by the engine e, or by none (nil): with one, the
// console's Save restarts e, and the console takes over the sign-ins of
// the console before; without, the console saves settings and says that
// a restart of the service applies them.
func newGateway(cfg *config.Config, log *slog.Logger, e *Engine) (*gateway.Gateway, error) {
	var notices *notice.Set
	if cfg.Overdue.Enabled {
		set, err := overdue.Check(cfg)
		if err != nil {
			return nil, err
		}
		notices = set
	}
	opts := []gateway.Option{withSchedule(log, notices), gateway.WithBackground(alarm.Job(log)), withBounces(log)}
	var ln net.Listener
	if cfg.Console.Listen != "" {
		opt, l, err := withConsole(cfg, log, e)
		if err != nil {
			return nil, err
		}
		opts, ln = append(opts, opt), l
	}
	g, err := gateway.New(cfg, log, opts...)
	if err != nil && ln != nil {
		ln.Close()
	}
	return g, err
}

// consolePoll is how often a console with no account yet looks for the
// first one.
var consolePoll = 5 * time.Second

// withConsole serves the web console beside the relay, for as long as the
// gateway runs. Its users are the accounts file in the data folder
// (accounts.FileName). When the file has an account, the address is bound
// now and returned, so that a port in use is an error of New. With no
// account yet (a new install, before spoolgate console user add) nobody
// could sign in: the console then binds nothing, says so in the log, and
// starts once the first account is added (looking every consolePoll), so
// no restart is needed. The listener stays bound until the gateway runs
// and stops; if Run fails before that, it is closed when the process ends.
func withConsole(cfg *config.Config, log *slog.Logger, e *Engine) (gateway.Option, net.Listener, error) {
	path := filepath.Join(cfg.Spool.Data, accounts.FileName)
	users, err := accounts.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("the web console's users cannot be read: %w; "+
			"spoolgate console user list says what is wrong, or set [console] listen empty to turn the console off", err)
	}
	var ln net.Listener
	if hasAccount(users) {
		if ln, err = console.Listen(cfg); err != nil {
			return nil, nil, err
		}
	}
	opt := gateway.WithBackground(func(ctx context.Context, g *gateway.Gateway) {
		srv, err := console.New(cfg, g, users, log)
		if err == nil && e != nil {
			srv.SetRestart(e.Restart)
			e.carryOn(srv)
		}
		if err != nil {
			log.Error("the web console cannot start", "listen", cfg.Console.Listen, "error", err)
			if ln != nil {
				ln.Close()
			}
			return
		}
		if ln == nil {
			log.Info("the web console starts once it has a user: add one with spoolgate console user add NAME --role admin",
				"listen", cfg.Console.Listen, "users", path)
			if !waitForAccount(ctx, users) {
				return
			}
			if ln, err = console.Listen(cfg); err != nil {
				log.Error("the web console cannot start", "listen", cfg.Console.Listen, "error", err)
				return
			}
		}
		if err := srv.Serve(ctx, ln); err != nil {
			log.Error("the web console stopped", "listen", cfg.Console.Listen, "error", err)
		}
	})
	return opt, ln, nil
}

// hasAccount tells whether users has a user or a token.
func hasAccount(users *accounts.Store) bool {
	all, err := users.List()
	return err == nil && len(all) > 0
}

// waitForAccount waits until users has an account (true) or ctx ends
// (false).
func waitForAccount(ctx context.Context, users *accounts.Store) bool {
	t := time.NewTicker(consolePoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			if hasAccount(users) {
				return true
			}
		}
	}
}

// withBounces reads the bounce mailbox beside the relay every [bounces]
// every, when [bounces] enabled (package bounces: a failure is logged and
// tried again at the next tick).
func withBounces(log *slog.Logger) gateway.Option {
	return gateway.WithBackground(func(ctx context.Context, g *gateway.Gateway) {
		if g.Config().Bounces.Enabled {
			bounces.Run(ctx, g.Config(), g.Journal(), log)
		}
	})
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
			return daily.Gather(cfg, g.Journal(), day, time.Time{}, overdue.RecordedSummary, log)
		}, log))
	}
	return jobs
}
