package daemon

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/logfile"
	"github.com/spoolgate/spoolgate/spool"
)

// OpenLog returns the logger of a running spoolgate: each record at
// cfg.Log.Level or above goes to the daily log file in the data folder (logfile.Folder)
// (which it opens, creating the folders) and to each of sinks, and a
// function that closes the log file. A log file that cannot be opened
// (an admin who ran spoolgate as another user may own today's file) does
// not stop spoolgate: the sinks get a warning that says why, and
// everything else.
func OpenLog(cfg *config.Config, sinks ...slog.Handler) (log *slog.Logger, closeFile func()) {
	spool.MakeFolder(cfg.Spool.Data, 0o750) // only inside a folder that exists; a failure shows in logfile.Open's error
	lf, err := logfile.Open(filepath.Join(cfg.Spool.Data, logfile.Folder), cfg.Log.Days)
	if err != nil {
		log = slog.New(fanout(sinks))
		log.Warn("logging without a log file", "error", err)
		return log, func() {}
	}
	file := slog.NewTextHandler(lf, &slog.HandlerOptions{Level: cfg.Log.Level})
	return slog.New(fanout(append([]slog.Handler{file}, sinks...))), func() { lf.Close() }
}

// fanout is a slog.Handler that hands each record to every handler that
// is enabled for its level.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
