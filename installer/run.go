package installer

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/kardianos/service"

	"github.com/spoolgate/spoolgate/gateway/daemon"
)

// RunOptions are what `spoolgate run` passes to Run.
type RunOptions struct {
	// Stderr receives the log in the foreground; nil: os.Stderr.
	Stderr io.Writer
	// Exit ends the process with code. Run calls it only when the gateway
	// stops by itself while a service manager runs spoolgate (the Windows
	// service manager would otherwise keep the process alive). nil: never.
	Exit func(code int)
}

// Run runs spoolgate with the config at configPath until it is told to
// stop, and returns when it has stopped.
//
// Started by a service manager (service.Interactive() is false, or
// ForceService is set), it runs as the service: a Program under
// kardianos/service, logging to the system log and to the log file in the
// data folder. Otherwise it runs in the foreground until Ctrl-C, SIGTERM or
// (on Unix) SIGHUP, logging as text to Stderr and to the same log file, and
// waits for the messages in flight at most daemon.StopBound (the longest
// [smtp] timeout plus 10 s), as the service does.
//
// Either way, a config that does not load is returned as it is (it wraps
// config.ErrConfig), so the caller can exit non-zero.
func Run(configPath string, o RunOptions) error {
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if ForceService || !service.Interactive() {
		return runService(configPath, o)
	}
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals()...)
	defer stop()
	return daemon.Foreground(ctx, configPath, o.Stderr)
}

// runService runs a Program under the service manager.
func runService(configPath string, o RunOptions) error {
	p := NewProgram(configPath, service.ConsoleLogger)
	if o.Exit != nil {
		p.fail = func(error) { o.Exit(1) }
	}
	s, err := service.New(p, ServiceConfig(configPath, Options{}))
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	sys, err := s.SystemLogger(nil)
	if err != nil {
		// No system log to be had: say why on stderr, which the service
		// manager may keep, and log there instead.
		fmt.Fprintf(o.Stderr, "spoolgate: the system log cannot be opened, logging to stderr: %v\n", err)
		sys = service.ConsoleLogger
	}
	p.system = sys
	if err := runUnderManager(s, p); err != nil {
		return err
	}
	return p.Err()
}
