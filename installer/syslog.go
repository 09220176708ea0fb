package installer

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/kardianos/service"
)

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
