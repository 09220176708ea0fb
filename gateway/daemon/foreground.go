package daemon

import (
	"context"
	"io"
	"log/slog"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// Foreground runs spoolgate with the config at configPath until ctx ends,
// logging as text to stderr and to the log file, then waits for the
// messages in flight without a bound and returns. A config that does not
// load is returned as it is (it wraps config.ErrConfig).
//
// When ctx ends, the log says why first (context.Cause, e.g. the signal):
// a closed terminal sends SIGHUP, and an admin who finds it stopped should
// learn why.
func Foreground(ctx context.Context, configPath string, stderr io.Writer) error {
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	log, closeLog := OpenLog(cfg, slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.Log.Level}))
	defer closeLog()
	g, err := New(cfg, log)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer context.AfterFunc(ctx, func() {
		log.Info("told to stop", "why", context.Cause(ctx).Error())
		cancel()
	})()
	return g.Run(runCtx)
}
