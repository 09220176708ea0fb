package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/overdue"
)

func init() {
	register("overdue", command{usage: "[--config FILE] [--date YYYY-MM-DD] [--dry-run]",
		summary: "run the overdue scan now and queue the notices to patrons; --dry-run shows them", run: cmdOverdue, order: 33})
}

// cmdOverdue runs the morning scan by hand: for today in [service]
// timezone, or --date. Exit 1 when the loans export cannot be read.
func cmdOverdue(args []string, stdout, stderr io.Writer) error {
	var date string
	var dry bool
	path, err := flags("overdue", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&date, "date", "", "scan for this date (YYYY-MM-DD) instead of today")
		fs.BoolVar(&dry, "dry-run", false, "print what would be queued, and queue nothing")
	})
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	set, err := overdue.Check(cfg) // a bad column or template is a config error: exit 2
	if err != nil {
		return err
	}
	now, day, err := dayFlag("overdue", date, cfg.Service.Location)
	if err != nil {
		return err
	}
	if !dry && day.After(now) {
		return &exitError{2, fmt.Errorf("overdue: --date %s is in the future, and a scan queues its notices for good; "+
			"use --dry-run to see what that day will send", date)}
	}
	if cfg.Overdue.Loans == "" {
		return &exitError{2, fmt.Errorf("overdue: [overdue] loans is not set in %s; name the loans export the library system writes", cfg.File)}
	}
	if !cfg.Overdue.Enabled {
		what := "queues"
		if dry {
			what = "shows"
		}
		fmt.Fprintf(stdout, "Note: [overdue] enabled = false, so the daily scan is off; this manual run still %s the notices.\n\n", what)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := overdue.Scan(ctx, cfg, day, overdue.Options{DryRun: dry, Notices: set})
	if res != nil {
		res.WriteText(stdout)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("overdue: interrupted; the notices queued so far stay queued, and the next scan finishes the rest")
	}
	if err != nil {
		return err
	}
	if res.LoansError != nil {
		return &exitError{1, fmt.Errorf("overdue: %w", res.LoansError)}
	}
	return nil
}
