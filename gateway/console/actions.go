package console

import (
	"context"
	"log/slog"
	"time"

	"github.com/spoolgate/spoolgate/gateway/journal"
)

// Action is something done, or refused, in the console, as the journal
// keeps it and the overview lists it.
type Action = journal.Action

// The kinds of action (Action.What) the console records.
const (
	ActLogin       = "login"
	ActLoginFailed = "login-failed"
	ActLogout      = "logout"
	ActRefused     = "refused" // a route the user's role may not use
	ActPing        = "ping"    // the admin check: an admin action that does nothing else
)

// recordWait bounds how long a request waits for its action to be
// written, so the page it goes on to shows it.
const recordWait = 2 * time.Second

// recorder keeps the actions: the seam between the console and where
// they are kept.
type recorder interface {
	// record keeps a and logs it; a failure to keep it is logged, not
	// returned.
	record(a Action)
	// recent returns the latest limit actions, newest first.
	recent(limit int) ([]Action, error)
}

// journalRecorder keeps the actions in the gateway's journal.
type journalRecorder struct {
	j   *journal.Journal
	log *slog.Logger
}

func (r journalRecorder) record(a Action) {
	logAction(r.log, a)
	done := make(chan struct{})
	r.j.RecordAction(a, func(err error) {
		if err != nil {
			r.log.Error("the journal cannot record a console action", "what", a.What, "user", a.User, "error", err)
		}
		close(done)
	})
	select {
	case <-done:
	case <-time.After(recordWait):
	}
}

func (r journalRecorder) recent(limit int) ([]Action, error) { return r.j.Actions(limit) }

// logAction writes a to the log: a refusal or failure as a warning.
func logAction(log *slog.Logger, a Action) {
	level := slog.LevelInfo
	if !a.OK {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "console action", "what", a.What, "user", a.User, "address", a.Addr,
		"target", a.Target, "ok", a.OK, "detail", a.Detail)
}
