package daily

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/spool"
)

// How the day is counted.
//
// The table, the subject and the list of failures come from one pass over
// the same records (tally), so they always agree: Total.Failed is
// len(Failures), and the subject prints the table's totals.
//
// The unit is the recipient. A message to two patrons is two outcomes, and
// a message sent to one and refused for the other (partly-sent) counts one
// sent and one failed. That is the librarian's question ("did the notice
// reach the patron?"), and what a refusal is about. A file refused before
// any recipient was known (not a message, no recipients, too large) counts
// as one failure with no recipient, and so does each refused recipient of
// a .BAD file the journal does not know (one set aside before this version
// journaled such refusals, or while the journal could not be written).
//
// A recipient counts on the day of its last event, in the state it then
// had: sent; skipped (it had an identical message before, so it was not
// sent again: delivered, and counted apart); deferred (to be tried again);
// or failed. A recipient still in flight (queued, attempted) is not
// counted: its outcome belongs to a later event. So a recipient deferred in
// the evening and sent after midnight counts as deferred on the first day
// in a report made before it was sent (as the nightly one is), and as sent
// on the second day.

// within tells whether t falls on the day [start, end).
func within(t, start, end time.Time) bool { return !t.Before(start) && t.Before(end) }

// tally counts the day's outcomes and lists its failures: every recipient
// of recs whose last event fell on the day, every message refused with no
// recipient recorded, and, from bad, the .BAD files set aside on the day
// that none of recs knows.
func (r *Report) tally(recs []journal.Record, bad []badFile, start, end time.Time) {
	known := make(map[string]bool, len(recs))
	badOf := map[string]string{} // message key → its .BAD file
	for _, b := range bad {
		if b.reason.Key != "" {
			badOf[b.reason.Key] = b.name
		}
	}
	for _, rec := range recs {
		known[rec.Key] = true
		f := Failure{File: rec.File, Subject: rec.Subject, Kind: rec.Kind, Key: rec.Key, Bad: badOf[rec.Key]}
		if len(rec.Recipients) == 0 {
			// Refused before any recipient was known.
			if rec.Status == journal.StatusFailed && within(rec.Time, start, end) {
				f.Time, f.Server, f.Reply, f.Cause = rec.Time, rec.Server, rec.Reply, causeOf(rec.Cause)
				r.fail(f)
			}
			continue
		}
		for _, rc := range rec.Recipients {
			if !within(rc.Time, start, end) {
				continue
			}
			if rc.Status == journal.StatusFailed {
				f.Time, f.To, f.Server, f.Reply, f.Cause = rc.Time, rc.Address, rc.Server, rc.Reply, causeOf(rc.Cause)
				r.fail(f)
				continue
			}
			r.count(rec.Kind, rc.Status)
		}
	}
	for _, b := range bad {
		if known[b.reason.Key] || !within(b.at, start, end) {
			continue
		}
		rs := b.reason
		f := Failure{Time: b.at, File: rs.File, Key: rs.Key, Bad: b.name, Server: rs.Server, Reply: rs.Reply, Cause: causeOf(rs.Cause)}
		if f.File == "" {
			f.File = strings.TrimSuffix(b.name, spool.SuffixBad)
		}
		if f.Reply == "" {
			// Refused by spoolgate itself: what it found is a technical
			// detail. A reason file of an older version has no cause, and
			// its English explanation is kept as that detail.
			f.Server, f.Reply = "", cmp.Or(rs.Limit, rs.Detail)
			if rs.Cause == "" {
				f.Reply = cmp.Or(f.Reply, rs.What)
			}
		}
		if len(rs.Recipients) == 0 {
			r.fail(f)
			continue
		}
		for _, rc := range rs.Recipients {
			g := f
			g.To, g.Cause = rc.Address, causeOf(cmp.Or(rc.Cause, rs.Cause))
			if rc.Reply != "" {
				g.Reply = rc.Reply
			}
			r.fail(g)
		}
	}
	slices.SortStableFunc(r.Failures, func(a, b Failure) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.File, b.File), strings.Compare(a.To, b.To))
	})
}

// causeOf is a cause as the journal or a reason file recorded it; Unknown
// when none was.
func causeOf(s string) cause.Cause {
	if s == "" {
		return cause.Unknown
	}
	return cause.Cause(s)
}

// fail lists f and counts it.
func (r *Report) fail(f Failure) {
	r.Failures = append(r.Failures, f)
	r.count(f.Kind, journal.StatusFailed)
}

// count counts one outcome of a message of kind.
func (r *Report) count(kind string, st journal.Status) {
	c := r.Figures[kind]
	if c == nil {
		c = &Counts{}
	}
	switch st {
	case journal.StatusSent:
		c.Sent++
		r.Total.Sent++
	case journal.StatusSkipped:
		c.Skipped++
		r.Total.Skipped++
	case journal.StatusDeferred:
		c.Deferred++
		r.Total.Deferred++
	case journal.StatusFailed:
		c.Failed++
		r.Total.Failed++
	default:
		return // in flight: its outcome belongs to a later event
	}
	r.Figures[kind] = c
}

// badFile is a .BAD file of the queue folder with its reason file.
type badFile struct {
	name   string
	reason spool.Reason
	at     time.Time // when it was set aside: the reason's time, else its reason file's
}

// folder is what the report needs of the queue folder besides QueueHealth.
type folder struct {
	deferred  []spool.Entry // this instance's deferred files
	unmatched []spool.Entry // oldest first
	bad       []badFile     // those set aside since the day's start
}

// readFolder reads the queue folder once, as spoolgate queue does: the
// queue's health, this instance's deferred files, the unmatched files, and
// the .BAD files set aside since start with their reasons (older ones are
// not read: they can't be the day's failures).
func (r *Report) readFolder(start time.Time) folder {
	sp := spool.New(spool.Options{Dir: r.cfg.Spool.Folder, Patterns: r.cfg.Spool.Patterns,
		Instance: r.cfg.Spool.Instance, Settle: r.cfg.Spool.Settle})
	ents, err := sp.List()
	if err != nil {
		r.Queue.Err = err.Error()
		return folder{}
	}
	var f folder
	q := &r.Queue
	for _, e := range ents {
		switch e.State {
		case spool.Waiting:
			q.Waiting++
			if q.Oldest.IsZero() || e.ModTime.Before(q.Oldest) {
				q.Oldest = e.ModTime
			}
		case spool.Deferred:
			if spool.Owner(e.Key) == r.cfg.Spool.Instance {
				q.Deferred++
				f.deferred = append(f.deferred, e)
			}
		case spool.Bad:
			q.Bad++
			if b, ok := r.readBad(sp, e.Name, start); ok {
				f.bad = append(f.bad, b)
			}
		case spool.Unmatched:
			q.Unmatched++
			f.unmatched = append(f.unmatched, e)
		}
	}
	slices.SortFunc(f.unmatched, func(a, b spool.Entry) int { return a.ModTime.Compare(b.ModTime) })
	return f
}

// readBad reads the reason of the .BAD file name when it was written at or
// after start and the file is not another instance's.
func (r *Report) readBad(sp *spool.Spool, name string, start time.Time) (badFile, bool) {
	path := sp.ReasonPath(name)
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.ModTime().Before(start) {
		return badFile{}, false
	}
	rs, err := spool.ReadReason(path)
	if err != nil {
		return badFile{}, false
	}
	if o := spool.Owner(rs.Key); o != "" && o != r.cfg.Spool.Instance {
		return badFile{}, false // another gateway's, in its own journal and report
	}
	return badFile{name: name, reason: rs, at: cmp.Or(rs.At, fi.ModTime())}, true
}

// stuck warns of this instance's deferred files that have been tried
// repeatedAttempts times or waited stuckAfter since their first attempt,
// with what the journal knows of them.
func (r *Report) stuck(files []spool.Entry, deferred []journal.Record) {
	byKey := make(map[string]journal.Record, len(deferred))
	for _, rec := range deferred {
		byKey[rec.Key] = rec
	}
	var rs []journal.Record
	for _, e := range files {
		rec, ok := byKey[e.Key]
		if !ok {
			rec = journal.Record{Key: e.Key, File: e.Orig}
		}
		rec.First = cmp.Or(rec.First, e.ModTime)
		if rec.Attempts >= repeatedAttempts || r.Made.Sub(rec.First) >= stuckAfter {
			rs = append(rs, rec)
		}
	}
	if len(rs) == 0 {
		return
	}
	slices.SortFunc(rs, func(a, b journal.Record) int { return a.First.Compare(b.First) })
	var b strings.Builder
	fmt.Fprintf(&b, r.plural(r.t.WRepeated, len(rs)), len(rs))
	for i, rec := range rs {
		if i == maxFailures {
			b.WriteString("\n  " + fmt.Sprintf(r.t.MoreFiles, len(rs)-i))
			break
		}
		to := strings.Join(rec.To, ", ")
		if to == "" {
			to = "?"
		}
		b.WriteString("\n  ")
		fmt.Fprintf(&b, r.t.WRepeatedLine, rec.File, to, rec.Attempts, r.dateTime(rec.First), oneLine(rec.Reply))
	}
	r.Warnings = append(r.Warnings, Warning{Kind: "repeated", Text: b.String()})
}

// unmatched warns of files that no pattern takes, oldest first.
func (r *Report) unmatched(files []spool.Entry) {
	if len(files) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, r.plural(r.t.WUnmatched, len(files)), len(files))
	for i, e := range files {
		if i == maxFailures {
			b.WriteString("\n  " + fmt.Sprintf(r.t.MoreFiles, len(files)-i))
			break
		}
		fmt.Fprintf(&b, "\n  %s (%s)", e.Name, r.age(r.Made.Sub(e.ModTime)))
	}
	r.Warnings = append(r.Warnings, Warning{Kind: "unmatched", Text: b.String()})
}
