package gateway

import (
	"fmt"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/journal"
)

// recover finishes or undoes what the previous run left half done. For each
// file this instance had claimed, the journal tells whether the relay had
// already accepted it: if so, the file is removed and not sent again; if it
// was refused for good (and could not be set aside: a full disk), it is set
// aside now, with the reason the journal recorded; if an attempt may have
// begun, it is deferred (keeping its key, so recipients
// that got it are not sent it again); if the journal holds no attempt, it
// goes back to the queue under its original name. (The attempt is queued
// for the journal before the relay gets DATA but not waited for, so a
// kill just after DATA can leave a sent message with no attempt recorded:
// it is sent again, as in the window docs/design.md describes.)
func (g *Gateway) recover() error {
	snap, err := g.spool.Scan(1)
	if err != nil {
		return fmt.Errorf("read the queue folder at start: %w", err)
	}
	for _, e := range snap.Sending {
		st, err := g.journal.State(e.Key)
		if err != nil {
			return fmt.Errorf("read the journal at start: %w", err)
		}
		switch {
		case st.Found && (st.Status == journal.StatusSent || st.Status == journal.StatusPartlySent):
			g.finish(e)
			g.log.Info("recovered: the relay had accepted this message before the restart; not sending it again", "file", e.Orig, "key", e.Key)
		case st.Found && st.Status == journal.StatusFailed:
			g.log.Info("recovered: this file had been refused before the restart, but not yet set aside; setting it aside now", "file", e.Orig, "key", e.Key)
			g.quarantine(e, g.journaledFailure(e.Key))
		case st.Found && st.Attempts > 0:
			if _, err := g.spool.Defer(e); err != nil {
				return fmt.Errorf("recover %s: %w", e.Name, err)
			}
			g.log.Warn("recovered: the previous run stopped while sending this message; it will be retried (the relay may have got it once already)",
				"file", e.Orig, "key", e.Key, "attempts", st.Attempts)
		default:
			if _, err := g.spool.Release(e); err != nil {
				return fmt.Errorf("recover %s: %w", e.Name, err)
			}
			g.log.Info("recovered: a claimed file with no attempt in the journal is back in the queue (if the previous run stopped just as it sent it, the relay may get it twice)", "file", e.Orig)
		}
	}
	return nil
}

// journaledFailure is the refusal the journal recorded for the message
// key: its cause, and the relay's reply and refused recipients, or what
// spoolgate found itself when no relay answered.
func (g *Gateway) journaledFailure(key string) failure {
	f := failure{Cause: cause.Unknown, Permanent: true}
	recs, err := g.journal.Query(journal.Filter{Key: key, Limit: 1})
	if err != nil || len(recs) == 0 {
		return f
	}
	r := recs[0]
	if c := cause.Cause(r.Cause); c.Known() {
		f.Cause = c
	}
	if f.Server = r.Server; f.Server != "" {
		f.Reply = r.Reply
	} else {
		f.Detail = r.Reply // spoolgate's own words, journaled as the reply
	}
	for _, rc := range r.Recipients {
		if rc.Status == journal.StatusFailed {
			f.Recipients = append(f.Recipients, journal.Recipient{Address: rc.Address, Status: rc.Status, Reply: rc.Reply, Cause: rc.Cause})
		}
	}
	return f
}

// purge drops journal records older than the retention period: patron
// addresses are personal data.
func (g *Gateway) purge() {
	n, err := g.journal.Purge(g.now().Add(-g.cfg.Journal.Retention))
	if err != nil {
		g.log.Error("cannot purge old journal records", "error", err)
		return
	}
	if n > 0 {
		g.log.Info("purged old journal records", "messages", n, "older_than", time.Duration(g.cfg.Journal.Retention).String())
	}
}
