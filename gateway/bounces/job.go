package bounces

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/mailbox"
)

// Run runs Pass every [bounces] every until ctx ends, the first at once.
// A failed pass is logged with what to do, and tried again at the next
// tick; a permanent failure (a refused login, an untrusted certificate,
// a missing folder) is logged as an error once, and again only when it
// changes or after it cleared. A pass that left mail for later is
// followed by the next at once.
func Run(ctx context.Context, cfg *config.Config, j *journal.Journal, log *slog.Logger) {
	every := cfg.Bounces.Every
	if every <= 0 {
		every = 5 * time.Minute
	}
	var last string // the permanent failure already logged
	for {
		res, err := Pass(ctx, cfg, j, log, Options{})
		if ctx.Err() != nil {
			return
		}
		args := []any{"imap", cfg.Bounces.IMAP.Address(), "error", err}
		if h := hint(err); h != "" {
			args = append(args, "to_do", h)
		}
		switch {
		case err == nil:
			if last != "" {
				log.Info("bounce mailbox: read again", "imap", cfg.Bounces.IMAP.Address())
			}
			last = ""
			if res.Recorded > 0 || len(res.Mails) > 0 {
				log.Info("bounce mailbox: pass done", "mails", len(res.Mails), "reports_recorded", res.Recorded, "more", res.More)
			}
		case mailbox.IsPermanent(err):
			if err.Error() != last {
				log.Error("bounce mailbox: cannot be read; spoolgate tries again every [bounces] every, and says so again only when this changes", args...)
			}
			last = err.Error()
		default:
			log.Warn("bounce mailbox: this pass failed; it is tried again at the next one", args...)
		}
		if err == nil && res.More {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// hint is what to do about err; "" for a *mailbox.Error, whose text says
// it.
func hint(err error) string {
	var me *mailbox.Error
	if errors.As(err, &me) {
		return ""
	}
	return "check [bounces] in the config and the mailbox server; spoolgate bounces --dry-run runs a pass and shows what fails"
}
