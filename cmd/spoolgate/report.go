package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/overdue"
)

func init() {
	register("report", command{usage: "[--config FILE] [--date YYYY-MM-DD] [--send | --json]",
		summary: "print the daily log to the librarian (default: today); --send queues it now, --json prints its facts", run: cmdReport, order: 45})
}

func cmdReport(args []string, stdout, stderr io.Writer) error {
	var (
		date         string
		send, asJSON bool
	)
	path, err := flags("report", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&date, "date", "", "the day to report, YYYY-MM-DD (default: today, in [service] timezone)")
		fs.BoolVar(&send, "send", false, "queue the report to [log] daily_to instead of printing it (once per day)")
		fs.BoolVar(&asJSON, "json", false, "print the report's facts as one JSON document")
	})
	if err != nil {
		return err
	}
	if send && asJSON {
		return &exitError{2, errors.New("report: give --send or --json, not both")}
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
	in := daily.Gather(cfg, j, day, now, overdue.RecordedSummary, nil)
	// The relay's health is only as current as the gateway that recorded
	// it: a report of a gateway that is not running says so first.
	running, err := gateway.InstanceRunning(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "report: cannot tell whether spoolgate is running: %v\n", err)
		running = true // say what the record says, not that it stopped
	}
	in.NotRunning = !running
	r, err := daily.Compose(context.Background(), cfg, day, in)
	if err != nil {
		return err
	}
	switch {
	case asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // replies quote <addresses>
		return enc.Encode(r.Summary())
	case !send:
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
