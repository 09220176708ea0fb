package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spoolgate/spoolgate/gateway/bounce"
	"github.com/spoolgate/spoolgate/gateway/bounces"
	"github.com/spoolgate/spoolgate/gateway/config"
)

func init() {
	register("bounces", command{usage: "[--config FILE] [--dry-run] [--json] | --forget ADDRESS",
		summary: "read the bounce mailbox now and record what came back; --forget lifts an address's suppression", run: cmdBounces, order: 22})
}

// bouncesTimeout bounds one pass from the command line.
const bouncesTimeout = 10 * time.Minute

func cmdBounces(args []string, stdout, stderr io.Writer) error {
	var (
		dry, asJSON bool
		forget      string
	)
	path, err := flags("bounces", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&dry, "dry-run", false, "read and classify, but record nothing and move nothing")
		fs.BoolVar(&asJSON, "json", false, "print what was found as JSON")
		fs.StringVar(&forget, "forget", "", "lift the suppression of this address: send to it again")
	})
	if err != nil {
		return err
	}
	forget = strings.TrimSpace(forget)
	if forget != "" && (dry || asJSON) {
		return &exitError{2, errors.New("bounces: --forget takes no --dry-run or --json")}
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	if forget == "" && cfg.Bounces.IMAP.Host == "" {
		return &exitError{2, fmt.Errorf("bounces: %s has no [bounces] imap: set the bounce mailbox there (see the bounce mailbox in docs/admin.md)", cfg.File)}
	}
	j, err := openJournal(cfg, stderr, ", so nothing it sent can have bounced")
	if err != nil {
		return err
	}
	defer j.Close()

	if forget != "" {
		n, err := j.Forget(forget)
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Fprintf(stdout, "%s is not suppressed: no hard bounce of it is on record.\n", forget)
			return nil
		}
		fmt.Fprintf(stdout, "%s: %d hard bounce(s) forgotten; spoolgate sends to it again.\n", forget, n)
		return nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), bouncesTimeout)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	res, err := bounces.Pass(ctx, cfg, j, log, bounces.Options{DryRun: dry})
	if asJSON {
		if res.Mails == nil {
			res.Mails = []bounces.Mail{}
		}
		for i := range res.Mails {
			if res.Mails[i].Recipients == nil {
				res.Mails[i].Recipients = []bounces.Finding{}
			}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if e := enc.Encode(res); e != nil && err == nil {
			err = e
		}
		return err
	}
	printBounces(stdout, res, dry, cfg)
	return err
}

// printBounces writes one line per mail (per recipient of a DSN): kind,
// class, recipient, status, the matched file or "unmatched", and where
// the mail went.
func printBounces(w io.Writer, res bounces.Result, dry bool, cfg *config.Config) {
	if len(res.Mails) == 0 {
		fmt.Fprintf(w, "No mail in %s of the bounce mailbox (%s).\n", cfg.Bounces.Folder, cfg.Bounces.IMAP.Address())
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tOUTCOME\tCLASS\tTO\tSTATUS\tMESSAGE\tMOVED TO")
	for _, m := range res.Mails {
		moved := m.Moved
		switch {
		case dry:
			moved = "(dry run: not moved)"
		case moved == "" && m.Err != "":
			moved = "not moved: " + m.Err
		}
		if m.Kind != bounce.KindDSN {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t%s\t%s\n", m.Kind, clip(orDash(m.Why), 60), moved)
			continue
		}
		msg := "unmatched"
		if m.Key != "" {
			msg = orDash(m.File) + " (" + m.Key + ")"
		}
		if m.Seen {
			msg += " (recorded before)"
		}
		for _, f := range m.Recipients {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Kind, f.Outcome, orDash(f.Class), f.Address, orDash(f.Status), msg, moved)
		}
	}
	tw.Flush()
	what := fmt.Sprintf("%d report(s) recorded", res.Recorded)
	if dry {
		what = "dry run: nothing recorded, nothing moved"
	}
	fmt.Fprintf(w, "%d mail(s) read; %s.\n", len(res.Mails), what)
	if res.More {
		fmt.Fprintln(w, "More mail waits in the mailbox: run spoolgate bounces again, or let the service read it at its next pass.")
	}
}
