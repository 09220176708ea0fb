package daemon

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// stopGrace is how much longer than the relay's answer time-out a stop
// waits for the messages in flight.
const stopGrace = 10 * time.Second

// StopBound is how long a stop waits for the messages in flight: the
// longest answer time-out ([smtp] timeout) of every relay server cfg
// names, in the [smtp] chain and in each [smtp.NAME] chain, plus 10
// seconds; 10 seconds in capture mode. A message in flight gets an answer
// or is given up within its server's timeout (package relay bounds every
// reply), so a stop that waits this long lets it finish in all but the
// slowest case: a message still in flight then stays claimed in the queue
// folder, and the next start puts it back in the queue.
func StopBound(cfg *config.Config) time.Duration {
	var longest time.Duration
	seen := map[*config.Server]bool{}
	heads := []*config.Server{cfg.SMTP}
	for _, s := range cfg.Servers {
		heads = append(heads, s)
	}
	for _, head := range heads {
		for s := head; s != nil && !seen[s]; s = s.Next {
			seen[s] = true
			longest = max(longest, s.Timeout)
		}
	}
	return longest + stopGrace
}

// Foreground runs spoolgate with the config at configPath until ctx ends,
// logging as text to stderr and to the log file, then waits for the
// messages in flight at most StopBound(cfg) and returns. A message still
// in flight then stays claimed in the queue folder, and the next start puts
// it back in the queue; the caller is to exit the process, which ends the
// send. A config that does not load is returned as it is (it wraps
// config.ErrConfig).
//
// When ctx ends, the log says why first (context.Cause, e.g. the signal):
// a closed terminal sends SIGHUP, and an admin who finds it stopped should
// learn why.
func Foreground(ctx context.Context, configPath string, stderr io.Writer) error {
	return foreground(ctx, configPath, stderr, StopBound)
}

// foreground is Foreground with the stop's bound taken from bound; tests
// shorten it.
func foreground(ctx context.Context, configPath string, stderr io.Writer, bound func(*config.Config) time.Duration) error {
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	log, closeLog := OpenLog(cfg, slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.Log.Level}))
	defer closeLog()
	e, err := NewEngine(configPath, cfg, log)
	if err != nil {
		return err
	}
	return runUntil(ctx, e.Run, bound(cfg), log)
}

// runUntil runs run until ctx ends, then cancels run's context and waits
// for it to return at most wait. It returns run's error when run returned,
// by itself or in time, and nil when it gave up waiting (run goes on, and
// ends when the process does).
func runUntil(ctx context.Context, run func(context.Context) error, wait time.Duration, log *slog.Logger) error {
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(runCtx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	log.Info("told to stop", "why", context.Cause(ctx).Error())
	cancel()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		log.Warn("stopping without waiting longer for the message in flight; it stays claimed in the queue folder and goes back in the queue at the next start",
			"waited", wait.String())
		return nil
	}
}
