// Command spoolgate relays the message files that a library system drops in
// a queue folder to the organisation's mail relay, at a limited rate.
//
// Exit codes: 0 success, 1 failure, 2 a bad config or bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/installer"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `spoolgate relays message files from a queue folder to a mail relay.

Usage:
  spoolgate run     [--config FILE]        relay in the foreground until Ctrl-C
  spoolgate sent    [--config FILE] [--since DURATION] [--json]
                                            list what the journal recorded
  spoolgate version                         print the version

--config defaults to %s
Exit codes: 0 success, 1 failure, 2 bad config or usage.
`

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stdout, usage, installer.DefaultConfigPath())
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(args[1:], stderr)
	case "sent":
		err = cmdSent(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "spoolgate %s\n", version)
	default:
		err = &exitError{2, fmt.Errorf("unknown command %q; run spoolgate help", args[0])}
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "spoolgate: %v\n", err)
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, config.ErrConfig):
		return 2
	}
	return 1
}

// flags parses a subcommand's flags; --config is common to all.
func flags(name string, args []string, stderr io.Writer, more func(*flag.FlagSet)) (cfgPath string, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfgPath, "config", installer.DefaultConfigPath(), "the config file")
	if more != nil {
		more(fs)
	}
	if err := fs.Parse(args); err != nil {
		return "", &exitError{2, err}
	}
	if fs.NArg() > 0 {
		return "", &exitError{2, fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	return cfgPath, nil
}

func cmdRun(args []string, stderr io.Writer) error {
	path, err := flags("run", args, stderr, nil)
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	g, err := gateway.New(cfg, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return g.Run(ctx)
}
