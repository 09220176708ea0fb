package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/views"
	"github.com/spoolgate/spoolgate/installer"
)

// Exit codes of `spoolgate status`, besides 0 (running, as the service or
// in the foreground), 1 (the state could not be read) and 2 (a bad config).
const (
	exitStopped      = 3 // stopped, or failed
	exitNotInstalled = 4
)

func init() {
	register("install", command{usage: "[--config FILE] [--user NAME] [--writer ACCOUNT] [--no-service]", summary: "install the service (Windows service or systemd unit) and prepare its folders", run: cmdInstall, order: 40})
	register("uninstall", command{summary: "stop and remove the service (the config, folders and account stay)", run: control("uninstall", installer.Uninstall, "uninstalled the service; the config, the folders and (on Linux) the account stay"), order: 41})
	register("start", command{summary: "start the service and wait until it runs", run: control("start", installer.Start, "the service is running"), order: 42})
	register("stop", command{summary: "stop the service after the message in flight", run: control("stop", installer.Stop, "the service is stopped"), order: 43})
	register("restart", command{summary: "restart the service (after a config change)", run: control("restart", installer.Restart, "the service is running"), order: 44})
	register("status", command{usage: "[--config FILE] [--json]", summary: "the service's state and the queue's; exit 0 running (as the service or in the foreground), 3 stopped, 4 not installed", run: cmdStatus, order: 45})
}

func cmdInstall(args []string, stdout, stderr io.Writer) error {
	var o installer.Options
	var noService bool
	var unitFor string
	path, err := flags("install", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&o.User, "user", "", "Linux: the account the service runs as, created when missing (default "+installer.DefaultUser+")")
		fs.StringVar(&o.Writer, "writer", "", "the account the ILS runs as: it may write the queue folder and read nothing else of spoolgate's "+
			"(Linux: it joins the group USER-queue, and leaves the service's group; Windows: Modify on the queue folder)")
		// For packages (packaging/), which bring the service themselves.
		fs.BoolVar(&noService, "no-service", false, "prepare the account, folders and permissions only; register no service (for packages)")
		fs.StringVar(&unitFor, "print-unit", "", "print the systemd unit that runs `EXE` with this config, and change nothing (for packages)")
	})
	if err != nil {
		return err
	}
	cfg, err := config.Load(path) // makes the path absolute
	if err != nil {
		return err
	}
	if unitFor != "" {
		user := o.User
		if user == "" {
			user = installer.DefaultUser
		}
		unit, err := installer.Unit(cfg, cfg.File, unitFor, user)
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, unit)
		return err
	}
	install := installer.Install
	if noService {
		install = installer.Prepare
	}
	r, err := install(cfg, o)
	if r != nil {
		for _, l := range r.Done {
			fmt.Fprintf(stdout, "%s\n", l)
		}
		for _, l := range r.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", l)
		}
		if err == nil {
			for _, l := range r.Notes {
				fmt.Fprintf(stdout, "\n%s\n", l)
			}
		}
	}
	if err != nil {
		return err
	}
	if !noService {
		fmt.Fprintf(stdout, "\nStart it with: spoolgate start\n")
	}
	return nil
}

// control is a command that takes no arguments but --config (which it
// ignores: the service runs with the config it was installed with) and
// does one thing to the service.
func control(name string, do func() error, ok string) func([]string, io.Writer, io.Writer) error {
	return func(args []string, stdout, stderr io.Writer) error {
		if _, err := flags(name, args, stderr, nil); err != nil {
			return err
		}
		if err := do(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", ok)
		return nil
	}
}

func cmdStatus(args []string, stdout, stderr io.Writer) error {
	var asJSON bool
	path, err := flags("status", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print one JSON document (the console's /api/status)")
	})
	if err != nil {
		return err
	}
	text := stdout
	if asJSON {
		text = io.Discard
	}
	st, stErr := installer.Status()
	service := strings.ReplaceAll(st.String(), " ", "-")
	switch {
	case stErr != nil:
		service = "unknown"
		fmt.Fprintf(text, "Service: unknown (%v)\n", stErr)
	case st == installer.NotInstalled && installer.Supported() != nil:
		fmt.Fprintf(text, "Service: not installed (%v)\n", installer.Supported())
	case st == installer.Failed:
		fmt.Fprintf(text, "Service: failed; %s\n", installer.LogHint())
	default:
		fmt.Fprintf(text, "Service: %s\n", st)
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	// A spoolgate run in a console relays as the service would; only its
	// instance lock shows it. The relay's health is only current while
	// one runs.
	running, runErr := gateway.InstanceRunning(cfg)
	foreground := false
	if stErr != nil || st != installer.Running {
		switch {
		case runErr != nil:
			fmt.Fprintf(text, "Spoolgate: unknown (%v)\n", runErr)
		case running && stErr != nil:
			foreground = true
			fmt.Fprintf(text, "Spoolgate: running (as the service or in the foreground)\n")
		case running:
			foreground = true
			fmt.Fprintf(text, "Spoolgate: running (in the foreground, not as the service)\n")
		default:
			fmt.Fprintf(text, "Spoolgate: not running\n")
		}
	} else if runErr != nil {
		fmt.Fprintf(stderr, "warning: cannot tell whether spoolgate is running: %v\n", runErr)
	}
	if runErr != nil {
		running = true // say what its record says, not that it stopped
	}
	h := healthOf(cfg, running, stderr)
	fmt.Fprintf(text, "%s\n", h.Line())
	q, err := inspect.Summary(cfg)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		q = nil
		fmt.Fprintf(text, "Queue: the queue folder %s does not exist yet\n", cfg.Spool.Folder)
	case err != nil:
		return fmt.Errorf("queue: %w", err)
	default:
		fmt.Fprintf(text, "%s\n", q)
		if _, why := h.Why(cfg, q.Waiting, q.Oldest, q.Sending); why != "" {
			fmt.Fprintf(text, "Why they wait: %s.\n", why)
		}
	}
	if asJSON {
		doc := views.StatusOf(cfg, h, q)
		doc.Service = service
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			return err
		}
	}
	switch {
	case foreground:
		return nil
	case stErr != nil:
		return stErr
	case st == installer.NotInstalled:
		return &exitError{exitNotInstalled, errors.New("the service is not installed")}
	case st != installer.Running:
		return &exitError{exitStopped, fmt.Errorf("the service is %s", st)}
	}
	return nil
}
