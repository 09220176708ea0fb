package installer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kardianos/service"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/logfile"
	"github.com/spoolgate/spoolgate/spool"
)

// LogFolder is the log files' folder inside the data folder.
const LogFolder = logfile.Folder

// openLog returns the logger of a running spoolgate: each record at
// cfg.Log.Level or above goes to the daily log file in the data folder
// (which it opens, creating the folders) and to each of sinks, and a
// function that closes the log file. A log file that cannot be opened
// (an admin who ran spoolgate as another user may own today's file) does
// not stop spoolgate: the sinks get a warning that says why, and
// everything else.
func openLog(cfg *config.Config, sinks ...slog.Handler) (log *slog.Logger, closeFile func()) {
	spool.MakeFolder(cfg.Spool.Data, 0o770) // only inside a folder that exists; a failure shows in logfile.Open's error
	lf, err := logfile.Open(filepath.Join(cfg.Spool.Data, LogFolder), cfg.Log.Days)
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

// systemHandler is a slog.Handler that writes to the Windows Event Log or
// the system journal through kardianos's service.Logger: Error and above as
// errors, Warn as warnings, the rest as information. A record becomes one
// line: the message, then its attributes as key=value text.
type systemHandler struct {
	out   service.Logger
	level slog.Leveler
	text  slog.Handler // formats the attributes into st.buf
	st    *textState
}

type textState struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func newSystemHandler(out service.Logger, level slog.Leveler) *systemHandler {
	st := &textState{}
	text := slog.NewTextHandler(&st.buf, &slog.HandlerOptions{
		Level: slog.LevelDebug, // the level is checked in Enabled
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			// The service manager stamps the time and the level, and the
			// message leads the line.
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	return &systemHandler{out: out, level: level, text: text, st: st}
}

func (h *systemHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *systemHandler) Handle(ctx context.Context, r slog.Record) error {
	h.st.mu.Lock()
	h.st.buf.Reset()
	err := h.text.Handle(ctx, r)
	attrs := strings.TrimSpace(h.st.buf.String())
	h.st.mu.Unlock()
	if err != nil {
		return err
	}
	line := r.Message
	if attrs != "" {
		line += " " + attrs
	}
	switch {
	case r.Level >= slog.LevelError:
		return h.out.Error(line)
	case r.Level >= slog.LevelWarn:
		return h.out.Warning(line)
	}
	return h.out.Info(line)
}

func (h *systemHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.text = h.text.WithAttrs(attrs)
	return &c
}

func (h *systemHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.text = h.text.WithGroup(name)
	return &c
}
