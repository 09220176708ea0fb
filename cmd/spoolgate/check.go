package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"os/signal"
	"syscall"

	"github.com/spoolgate/spoolgate/gateway/check"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/overdue"
)

func init() {
	register("check", command{usage: "[--config FILE] [--send ADDRESS] [--json]",
		summary: "troubleshoot: the config, the folders, each relay step by step (and its senders), the overdue export", run: cmdCheck, order: 30})
}

// cmdCheck runs the troubleshooter. It exits 0 when nothing failed
// (warnings allowed), 1 when something did, and 2 for a bad config.
func cmdCheck(args []string, stdout, stderr io.Writer) error {
	var sendTo string
	var asJSON bool
	path, err := flags("check", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&sendTo, "send", "", "also send a real test message to this address")
		fs.BoolVar(&asJSON, "json", false, "print the findings as one JSON document")
	})
	if err != nil {
		return err
	}
	if sendTo != "" {
		a, err := mail.ParseAddress(sendTo)
		if err != nil {
			return &exitError{2, fmt.Errorf("check: --send %q is not an e-mail address", sendTo)}
		}
		sendTo = a.Address
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	// The settings config leaves to the scan ([overdue.columns], the
	// templates) are config errors too: exit 2, whether or not the scan is
	// enabled, as when the service starts.
	if _, err := overdue.Check(cfg); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := check.Run(ctx, cfg, check.Options{SendTo: sendTo})
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		r.WriteText(stdout)
	}
	if !r.OK() {
		return &exitError{1, fmt.Errorf("check: %d problem(s) found", r.Problems())}
	}
	return nil
}
