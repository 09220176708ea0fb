package gateway

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/journal"
)

// dedupe drops from to the recipients who were sent a file of the same
// content (c.Hash) within [spool] dedupe_window, recording each as skipped
// with the earlier send; so a .BAD file renamed back, or a notice the
// library system drops twice, reaches nobody twice. It returns the
// recipients left, and a function to call once this delivery's outcome is
// recorded: until the journal has it, another worker with a file of the
// same content waits, so that it sees this one's outcome.
func (g *Gateway) dedupe(c journal.Claim, to []string, log *slog.Logger) ([]string, func()) {
	w := g.cfg.Spool.DedupeWindow
	if w <= 0 || c.Hash == "" {
		return to, nil
	}
	g.mu.Lock()
	for g.sending[c.Hash] {
		g.sendingDone.Wait()
	}
	g.sending[c.Hash] = true
	g.mu.Unlock()
	release := func() {
		// Once this delivery's outcome is durable, so that the next file
		// of this content finds it in the journal.
		g.journal.Then(func(error) {
			g.mu.Lock()
			delete(g.sending, c.Hash)
			g.mu.Unlock()
			g.sendingDone.Broadcast()
		})
	}

	earlier, err := g.journal.DeliveredBefore(c.Hash, c.Key, g.now().Add(-w))
	if err != nil {
		log.Error("cannot look up earlier sends of this content in the journal; sending it to every recipient", "error", err)
		return to, release
	}
	if len(earlier) == 0 {
		return to, release
	}
	var left []string
	claimed := false
	for _, r := range to {
		e, ok := earlier[strings.ToLower(r)]
		if !ok {
			left = append(left, r)
			continue
		}
		if !claimed {
			g.journal.Claimed(c, nil)
			claimed = true
		}
		g.journal.Record(journal.Outcome{
			Key: c.Key, To: []string{r}, Status: journal.StatusSkipped, Cause: string(cause.AlreadySent),
			Reply: fmt.Sprintf("sent before, %s, as %s (%s)", e.At.Local().Format(time.DateTime), e.File, e.Key),
		}, nil)
		log.Info("not sent again: this recipient got an identical message within [spool] dedupe_window", "to", r,
			"earlier", e.At.Local().Format(time.DateTime), "earlier_file", e.File)
	}
	return left, release
}

// suppress drops from to the recipients whose address hard-bounced within
// [bounces] suppress_days, when [bounces] suppress is on
// (journal.HardBounced; spoolgate bounces --forget lifts it), recording
// each as skipped with the cause address-bounced and the bounce. It
// returns the recipients left.
func (g *Gateway) suppress(c journal.Claim, to []string, log *slog.Logger) []string {
	b := g.cfg.Bounces
	if !b.Suppress || len(to) == 0 {
		return to
	}
	since := g.now().AddDate(0, 0, -b.SuppressDays)
	var left []string
	for i, r := range to {
		hb, err := g.journal.HardBounced(r, since)
		if err != nil {
			log.Error("cannot look up the bounces of this recipient in the journal; sending to the rest", "to", r, "error", err)
			return append(left, to[i:]...)
		}
		if hb == nil {
			left = append(left, r)
			continue
		}
		g.journal.Claimed(c, nil)
		g.journal.Record(journal.Outcome{
			Key: c.Key, To: []string{r}, Status: journal.StatusSkipped, Cause: string(cause.AddressBounced),
			Reply: fmt.Sprintf("bounced %s (%s %s); spoolgate bounces --forget %s sends to it again",
				hb.At.Local().Format(time.DateOnly), hb.Status, hb.Diagnostic, r),
		}, nil)
		log.Warn("not sent: this address hard-bounced within [bounces] suppress_days; correct it in the library system, or run spoolgate bounces --forget ADDRESS",
			"to", r, "bounced", hb.At.Local().Format(time.DateTime), "status", hb.Status)
	}
	return left
}
