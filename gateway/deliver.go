package gateway

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/message"
	"github.com/spoolgate/spoolgate/gateway/relay"
	"github.com/spoolgate/spoolgate/spool"
)

// deliver sends one claimed file and leaves it in its next state. It reports
// whether the relay accepted the message, and, when the file was deferred,
// its new entry and when it is due.
func (g *Gateway) deliver(ctx context.Context, pick func(*config.Server) relay.Sender, j job) (accepted bool, deferred *spool.Entry, due time.Time) {
	e := j.entry
	log := g.log.With("file", e.Orig, "key", e.Key)

	if max := g.cfg.Spool.MaxSize; max > 0 && e.Size > max {
		g.refuse(e, nil, badReport{
			Reason: fmt.Sprintf("The file is %s, more than the %s that [spool] max_size allows.", sizeText(e.Size), sizeText(max)),
			Action: "Send large attachments as links, or raise max_size if the mail relay accepts messages this large.",
		})
		return false, nil, due
	}
	raw, err := os.ReadFile(g.spool.Path(e))
	if err != nil {
		// The file is claimed but unreadable: keep it queued and say why.
		log.Error("cannot read a claimed file; it stays queued", "error", err)
		return g.postpone(e, journal.State{}, nil, "", "cannot read the file: "+err.Error())
	}
	msg, chain, err := g.parse(raw, e.Key, log)
	if err != nil {
		var me *message.Error
		if !errors.As(err, &me) {
			me = &message.Error{Reason: "The file cannot be read as a message.", Err: err}
		}
		g.refuse(e, nil, badReport{Reason: me.Error(), Action: "Correct the file (or the program that wrote it) and drop it in the queue again."})
		return false, nil, due
	}

	var st journal.State
	if j.retried {
		if st, err = g.journal.State(e.Key); err != nil {
			log.Error("cannot read this message's history from the journal; recipients that already got it may get it again", "error", err)
		}
	}
	to := remaining(msg.Recipients, st)
	claim := journal.Claim{
		Key: e.Key, File: e.Orig, MessageID: msg.MessageID, From: msg.Sender, To: msg.Recipients,
		Subject: msg.Subject, Size: int64(len(msg.Data)), Kind: msg.Kind, Unit: msg.Unit,
	}
	if len(to) == 0 {
		// Everyone got it before a crash or restart: only the file is left.
		g.journal.Claimed(claim, nil)
		g.finish(e)
		return false, nil, due
	}

	s := pick(chain)
	g.journal.Begin(claim, g.chainName(chain), to, nil)
	res, err := s.Send(ctx, &relay.Delivery{
		From: msg.Sender, To: to, Data: msg.Data, DataUTF8: msg.DataUTF8,
		NeedsUTF8: msg.NeedsUTF8, EightBit: msg.EightBit,
	})
	if errors.Is(err, relay.ErrUnreachable) {
		// Nothing was attempted: put the file back as it was.
		g.unreachable(err)
		if j.retried {
			d, derr := g.spool.Defer(e)
			if derr != nil {
				log.Error("cannot put a file back in the queue", "error", derr)
				return false, nil, due
			}
			return false, &d, g.now().Add(g.cfg.Spool.Interval)
		}
		if _, rerr := g.spool.Release(e); rerr != nil {
			log.Error("cannot put a file back in the queue", "error", rerr)
		}
		g.mu.Lock()
		g.dirty = true
		g.mu.Unlock()
		return false, nil, due
	}
	if err != nil {
		re := asRelayError(err)
		if re.Permanent {
			log.Warn("the relay refused the message", "server", re.Server, "reply", replyOf(re))
			g.refuse(e, to, reportFor(re))
			return false, nil, due
		}
		log.Warn("temporary failure; the message will be retried", "server", re.Server, "error", re)
		return g.postpone(e, st, to, re.Server, replyOf(re))
	}

	// The relay answered: record each recipient's fate.
	if len(res.Refused) > 0 {
		refused := keys(res.Refused)
		for _, r := range refused {
			re := res.Refused[r]
			g.journal.Record(journal.Outcome{Key: e.Key, To: []string{r}, Status: journal.StatusFailed, Server: res.Server, Reply: replyOf(re)}, nil)
			log.Warn("the relay refused a recipient", "to", r, "reply", replyOf(re))
		}
	}
	for _, r := range keys(res.Deferred) {
		re := res.Deferred[r]
		g.journal.Record(journal.Outcome{Key: e.Key, To: []string{r}, Status: journal.StatusDeferred, Server: res.Server, Reply: replyOf(re)}, nil)
	}
	if len(res.Accepted) == 0 {
		if len(res.Deferred) > 0 {
			return g.postpone(e, st, keys(res.Deferred), res.Server, firstReply(res.Deferred))
		}
		g.refuse(e, nil, reportFor(firstError(res.Refused))) // already journalled above
		return false, nil, due
	}
	log.Info("sent", "to", strings.Join(res.Accepted, ", "), "server", res.Server, "reply", res.Reply)
	if len(res.Deferred) == 0 {
		// Remove the file only once the journal holds the outcome.
		g.unrecorded.Add(1)
		g.journal.Record(journal.Outcome{Key: e.Key, To: res.Accepted, Status: journal.StatusSent, Server: res.Server, Reply: res.Reply},
			func(err error) {
				g.unrecorded.Add(-1)
				if err != nil {
					log.Error("the journal could not record a sent message; removing the file anyway so it is not sent twice", "error", err)
				}
				g.finish(e)
			})
		return true, nil, due
	}
	g.journal.Record(journal.Outcome{Key: e.Key, To: res.Accepted, Status: journal.StatusSent, Server: res.Server, Reply: res.Reply}, nil)
	st.Delivered = append(st.Delivered, res.Accepted...)
	_, d, at := g.postpone(e, st, keys(res.Deferred), res.Server, firstReply(res.Deferred))
	return true, d, at
}

// postpone defers a claimed file after a temporary failure, or quarantines
// it once retry_for has passed since the first attempt. st is the message's
// state before this attempt (zero for a first attempt), so the delay grows
// with the attempts made, whatever the journal has committed meanwhile.
func (g *Gateway) postpone(e spool.Entry, st journal.State, to []string, server, reply string) (bool, *spool.Entry, time.Time) {
	if first := st.First; !first.IsZero() && g.now().Sub(first) >= g.cfg.Spool.RetryFor {
		g.refuse(e, to, badReport{
			Server: server, Reply: reply,
			Reason: fmt.Sprintf("The message could not be delivered for %s (since %s); spoolgate gave up as [spool] retry_for says.",
				g.cfg.Spool.RetryFor, first.Local().Format("2006-01-02 15:04")),
			Action: "Check that the mail relay is running and accepts mail from this machine (spoolgate check), then put the file back in the queue.",
		})
		return false, nil, time.Time{}
	}
	d, err := g.spool.Defer(e)
	if err != nil {
		g.log.Error("cannot mark a file for retry", "file", e.Orig, "error", err)
		return false, nil, time.Time{}
	}
	due := g.now().Add(g.retryDelay(st.Attempts + 1))
	g.journal.Record(journal.Outcome{Key: e.Key, To: to, Status: journal.StatusDeferred, Server: server, Reply: reply, Next: due}, nil)
	return false, &d, due
}

// refuse quarantines a claimed file and journals the failure.
func (g *Gateway) refuse(e spool.Entry, to []string, r badReport) {
	if len(to) > 0 {
		g.journal.Record(journal.Outcome{Key: e.Key, To: to, Status: journal.StatusFailed, Server: r.Server, Reply: r.Reply}, nil)
	}
	g.quarantine(e, r)
}

func (g *Gateway) quarantine(e spool.Entry, r badReport) {
	r.File, r.Key, r.At = e.Orig, e.Key, g.now()
	name, err := g.spool.Quarantine(e, spool.Reason{File: r.File, Key: r.Key, At: r.At, Server: r.Server, Reply: r.Reply, Text: r.String()})
	if err != nil {
		g.log.Error("cannot set a refused file aside", "file", e.Orig, "error", err)
		return
	}
	g.log.Warn("file refused; set aside as .BAD", "file", e.Orig, "bad", name, "reason", r.Reason)
}

// finish removes a file whose message needs no more sending.
func (g *Gateway) finish(e spool.Entry) {
	if err := g.spool.Remove(e); err != nil {
		g.log.Error("cannot remove a sent file", "file", e.Name, "error", err)
	}
}

// remaining is the recipients that still need the message.
func remaining(all []string, st journal.State) []string {
	if len(st.Delivered) == 0 && len(st.Failed) == 0 {
		return all
	}
	var out []string
	for _, r := range all {
		if !containsFold(st.Delivered, r) && !containsFold(st.Failed, r) {
			out = append(out, r)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func keys(m map[string]*relay.Error) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func firstError(m map[string]*relay.Error) *relay.Error {
	if k := keys(m); len(k) > 0 {
		return m[k[0]]
	}
	return &relay.Error{Permanent: true}
}

func firstReply(m map[string]*relay.Error) string { return replyOf(firstError(m)) }

func asRelayError(err error) *relay.Error {
	var re *relay.Error
	if errors.As(err, &re) {
		return re
	}
	return &relay.Error{Stage: "send", Err: err}
}

func replyOf(e *relay.Error) string {
	if e == nil {
		return ""
	}
	if e.Reply != "" {
		return e.Reply
	}
	return e.Error()
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
