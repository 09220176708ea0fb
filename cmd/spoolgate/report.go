package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/overdue"
)

func init() {
	register("report", command{usage: "[--config FILE] [--date YYYY-MM-DD] [--send]",
		summary: "print the daily log to the librarian (default: today); --send queues it now", run: cmdReport, order: 45})
}

func cmdReport(args []string, stdout, stderr io.Writer) error {
	var (
		date string
		send bool
	)
	path, err := flags("report", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&date, "date", "", "the day to report, YYYY-MM-DD (default: today, in [service] timezone)")
		fs.BoolVar(&send, "send", false, "queue the report to [log] daily_to instead of printing it (once per day)")
	})
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	now, day, err := dayFlag("report", date, cfg.Service.Location)
	if err != nil {
		return err
	}
	if send && day.Format(time.DateOnly) > now.Format(time.DateOnly) {
		return &exitError{2, fmt.Errorf("report: --date %s --send: that day has not come yet", date)}
	}
	j, err := inspect.OpenJournal(cfg)
	if err != nil {
		return err
	}
	if j != nil {
		defer j.Close()
	}
	r, err := daily.Compose(context.Background(), cfg, day, reportInputs(cfg, day, j, now))
	if err != nil {
		return err
	}
	if !send {
		fmt.Fprintf(stdout, "Subject: %s\n\n%s", r.Subject(), r.Text())
		return nil
	}
	if _, err := os.Stat(cfg.Spool.Folder); errors.Is(err, fs.ErrNotExist) {
		return queueErr(cfg, err)
	}
	name, err := daily.Queue(cfg, r, now)
	if errors.Is(err, daily.ErrQueued) {
		return &exitError{1, fmt.Errorf("report: the daily log of %s was queued before, as %s; it is not queued twice: %w", r.Day.Format(time.DateOnly), name, err)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Queued %s in %s, to %s.\nSubject: %s\n", name, cfg.Spool.Folder, strings.Join(r.To(), ", "), r.Subject())
	return nil
}

// reportInputs gathers what the daily log reads besides the config: the
// journal and the day's overdue scans, as recorded.
func reportInputs(cfg *config.Config, day time.Time, j *journal.Journal, now time.Time) daily.Inputs {
	n, _ := overdue.RecordedSummary(cfg, day) // a scan that can't be read shows as "did not run"
	return daily.Inputs{Journal: j, Now: now, Notices: n}
}
