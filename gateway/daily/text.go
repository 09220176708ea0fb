package daily

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/spool"
)

// problem is what most needs attention, in the order the subject leads
// with it.
type problem int

const (
	allWell      problem = iota
	notRunning           // the gateway is not running: nothing is sent
	relayDown            // a relay chain is unavailable: nothing is sent through it
	relayUnknown         // no health record: whether mail flows is not known
	failures             // recipients or files refused for good on the day
	warnings             // anything else: stuck or unmatched files, certificates, the loans export…
)

// problem is what most needs attention.
func (r *Report) problem() problem {
	switch {
	case !r.Running:
		return notRunning
	case r.Relay.Recorded && r.Relay.State == health.Unavailable:
		return relayDown
	case !r.Relay.Recorded:
		// The gateway records its relays' health as it starts; a running
		// one without a record could not write to its data folder.
		return relayUnknown
	case r.Total.Failed > 0:
		return failures
	case len(r.Warnings) > 0:
		return warnings
	}
	return allWell
}

// AllWell tells whether nothing needs attention: no failures on the day,
// the gateway running with no relay chain unavailable, and no warnings,
// among them files deferred for long (stuck) and files no pattern takes.
func (r *Report) AllWell() bool { return r.problem() == allWell }

// ToPrint is how many notices were not mailed and must be printed or
// phoned.
func (r *Report) ToPrint() int {
	if r.Notices == nil {
		return 0
	}
	return len(r.Notices.Skipped)
}

// waiting is how many files wait to be sent, now or after a retry.
func (r *Report) waiting() int { return r.Queue.Waiting + r.Queue.Deferred }

// Subject tells at a glance whether all is well, and if not leads with
// the problem, e.g.
// "spoolgate 2026-11-25: all well — 143 sent, 0 failed, 12 to print",
// "spoolgate 2026-11-25: 2 FAILED — 143 sent, 1 warning",
// "spoolgate 2026-12-02: RELAY UNAVAILABLE since 14:02 (login refused) — 0 sent, 41 waiting".
// Its counts are the table's totals.
func (r *Report) Subject() string {
	t := r.t
	p := r.problem()
	var lead string
	switch p {
	case allWell:
		lead = t.SubjAllWell
	case notRunning:
		lead = t.SubjNotRunning
	case relayDown:
		lead = fmt.Sprintf(t.SubjRelayDown, r.clock(r.Relay.Since))
		if c := r.Relay.Cause; c != "" {
			lead += " (" + cause.Label(r.Lang, cause.Cause(c)) + ")"
		}
	case relayUnknown:
		lead = t.SubjRelayUnknown
	case failures:
		lead = strings.ToUpper(fmt.Sprintf(r.plural(t.SubjFailed, r.Total.Failed), r.Total.Failed))
	case warnings:
		lead = strings.ToUpper(fmt.Sprintf(r.plural(t.SubjWarnings, len(r.Warnings)), len(r.Warnings)))
	}
	parts := []string{fmt.Sprintf(r.plural(t.SubjSent, r.Total.Sent), r.Total.Sent)}
	if p != failures && (r.Total.Failed > 0 || p == allWell) {
		parts = append(parts, fmt.Sprintf(r.plural(t.SubjFailed, r.Total.Failed), r.Total.Failed))
	}
	if n := r.waiting(); n > 0 {
		parts = append(parts, fmt.Sprintf(r.plural(t.SubjWaiting, n), n))
	}
	if n := r.ToPrint(); n > 0 {
		parts = append(parts, fmt.Sprintf(r.plural(t.SubjPrint, n), n))
	}
	if n := len(r.Warnings); n > 0 && p != warnings {
		parts = append(parts, fmt.Sprintf(r.plural(t.SubjWarnings, n), n))
	}
	return "spoolgate " + r.Day.Format("2006-01-02") + ": " + lead + " — " + strings.Join(parts, ", ")
}

// clock writes a time of the report's day as 14:02, and of another day
// with its date.
func (r *Report) clock(t time.Time) string {
	t = t.In(r.loc)
	if y, m, d := t.Date(); y == r.Day.Year() && m == r.Day.Month() && d == r.Day.Day() {
		return t.Format("15:04")
	}
	return r.dateTime(t)
}

// fields writes labelled lines, the values aligned after the longest of
// labels.
func fields(b *strings.Builder, labels ...string) func(label, value string) {
	lw := 0
	for _, l := range labels {
		lw = max(lw, utf8.RuneCountInString(l))
	}
	return func(label, value string) {
		if value != "" {
			fmt.Fprintf(b, "     %s%s %s\n", label, strings.Repeat(" ", max(0, lw-utf8.RuneCountInString(label))), value)
		}
	}
}

// relay writes the relay's health when it is not available: why (from
// its cause), its reply, what to do, and when spoolgate tries again.
func (r *Report) relay(b *strings.Builder) {
	t := r.t
	switch r.problem() {
	case notRunning:
		fmt.Fprintf(b, "%s\n", t.NotRunning)
	case relayDown:
		h := r.Relay
		if h.Limit != "" {
			// Not a fault: the chain waits for its limit's window.
			fmt.Fprintf(b, "%s.\n", cause.LimitText(r.Lang, r.cfg.ChainTitle(h.Chain), h.Limit == health.LimitDaily, r.clock(h.NextAttempt)))
		} else {
			fmt.Fprintf(b, t.RelayDown+"\n", r.clock(h.Since))
		}
		field := fields(b, t.LReason, t.LReply, t.LDetail, t.LToDo, t.LNext)
		meaning, action := cause.Explain(r.Lang, causeOf(h.Cause))
		field(t.LReason, meaning)
		reply, detail := relayReply(h.Server, h.Reply)
		field(t.LReply, withServer(reply, h.Server))
		field(t.LDetail, withServer(oneLine(detail), h.Server))
		field(t.LToDo, action)
		if !h.NextAttempt.IsZero() {
			field(t.LNext, r.clock(h.NextAttempt))
		}
	case relayUnknown:
		fmt.Fprintf(b, t.RelayNone+"\n", r.Relay.Path)
		fields(b, t.LDetail)(t.LDetail, oneLine(r.Relay.Err))
	default:
		return
	}
	b.WriteString("\n")
}

// withServer adds the server that said reply, unless the reply names it.
func withServer(reply, server string) string {
	reply = oneLine(reply)
	if reply != "" && server != "" && !strings.Contains(reply, server) {
		reply += " (" + server + ")"
	}
	return reply
}

// Text is the report as plain text, lines ending in "\n".
func (r *Report) Text() string {
	t := r.t
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	heading := func(h string) { line("\n%s\n%s", h, strings.Repeat("=", utf8.RuneCountInString(h))) }

	line(t.Title, fmt.Sprintf(t.DayFormat, notice.FormatWeekday(r.Lang, r.Day), notice.FormatDate(r.Lang, r.Day)))
	host := r.Host
	if host == "" {
		host = "?"
	}
	line(t.Host, host, r.cfg.File)
	b.WriteString("\n")
	r.relay(&b)
	var parts []string
	if n := len(r.Failures); n > 0 {
		parts = append(parts, fmt.Sprintf(r.plural(t.FailuresN, n), n))
	}
	if n := len(r.Warnings); n > 0 {
		parts = append(parts, fmt.Sprintf(r.plural(t.WarningsN, n), n))
	}
	switch {
	case r.AllWell():
		line("%s", t.AllWell)
	case len(parts) > 0:
		line(t.Attention, strings.Join(parts, ", "))
	}

	heading(t.HMessages)
	r.table(&b)

	if r.Notices != nil || r.cfg.Overdue.Enabled {
		heading(t.HNotices)
		r.notices(&b)
	}

	heading(fmt.Sprintf("%s (%d)", t.HFailures, len(r.Failures)))
	r.failures(&b)
	r.writeBounces(&b, heading)

	heading(t.HQueue)
	q := r.Queue
	if q.Err != "" {
		line(t.QErr, q.Err)
	} else {
		s := fmt.Sprintf(t.QWaiting, q.Waiting)
		if q.Waiting > 0 && !q.Oldest.IsZero() {
			s += fmt.Sprintf(t.QOldest, r.age(r.Made.Sub(q.Oldest)))
		}
		line("%s", s)
		line(t.QDeferred, q.Deferred)
		line(t.QBad, q.Bad)
		if q.Unmatched > 0 {
			line(t.QUnmatched, q.Unmatched)
		}
	}
	if q.LastSent.IsZero() {
		line("%s", t.QNever)
	} else {
		line(t.QLastSent, r.dateTime(q.LastSent))
	}

	heading(t.HWarnings)
	if len(r.Warnings) == 0 {
		line("%s", t.NoWarnings)
	}
	for _, w := range r.Warnings {
		line("- %s", w.Text)
	}

	heading(t.HLog)
	name := filepath.Base(r.LogPath)
	switch att := r.attachment(); {
	case r.LogFile == "":
		line(t.LogNone, r.LogPath)
	case att.truncated:
		line(t.LogTail, name, size(int64(len(att.data))), size(att.size))
	default:
		line(t.LogAttached, name)
	}
	if r.cfg.Log.Daily {
		line("\n"+t.Footer, r.cfg.Log.DailyAt.String())
	}
	return b.String()
}

// table writes the day's figures by kind.
func (r *Report) table(b *strings.Builder) {
	t := r.t
	if len(r.Figures) == 0 {
		fmt.Fprintf(b, "%s\n", t.NoMessages)
		return
	}
	type row struct {
		label string
		c     Counts
	}
	var rows []row
	for _, k := range r.kindOrder() {
		l := t.KindLabel[k]
		if l == "" {
			l = k
		}
		rows = append(rows, row{l, *r.Figures[k]})
	}
	rows = append(rows, row{t.Total, r.Total})
	lw := 0
	for _, rw := range rows {
		lw = max(lw, utf8.RuneCountInString(rw.label))
	}
	// The column of recipients who had it already only on a day that
	// has some.
	cols := []string{t.ColSent, t.ColDeferred, t.ColFailed}
	value := func(c Counts) []int { return []int{c.Sent, c.Deferred, c.Failed} }
	if r.Total.Skipped > 0 {
		cols = []string{t.ColSent, t.ColSkipped, t.ColDeferred, t.ColFailed}
		value = func(c Counts) []int { return []int{c.Sent, c.Skipped, c.Deferred, c.Failed} }
	}
	ws := make([]int, len(cols))
	width := len(cols) * 2
	for i, c := range cols {
		ws[i] = max(utf8.RuneCountInString(c), len(strconv.Itoa(value(r.Total)[i])))
		width += ws[i]
	}
	pad := func(s string, w int) string { return s + strings.Repeat(" ", max(0, w-utf8.RuneCountInString(s))) }
	lpad := func(s string, w int) string { return strings.Repeat(" ", max(0, w-utf8.RuneCountInString(s))) + s }
	b.WriteString("  " + pad("", lw))
	for i, c := range cols {
		b.WriteString("  " + lpad(c, ws[i]))
	}
	b.WriteString("\n")
	for i, rw := range rows {
		if i == len(rows)-1 {
			b.WriteString("  " + strings.Repeat("-", lw+width) + "\n")
		}
		b.WriteString("  " + pad(rw.label, lw))
		for j, n := range value(rw.c) {
			b.WriteString("  " + lpad(strconv.Itoa(n), ws[j]))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "\n%s\n", t.CountNote)
	if r.Total.Skipped > 0 {
		fmt.Fprintf(b, "%s\n", t.SkippedNote)
	}
	if r.Total.Deferred > 0 {
		fmt.Fprintf(b, "%s\n", t.DeferredNote)
	}
}

// notices writes what the overdue scan did.
func (r *Report) notices(b *strings.Builder) {
	t := r.t
	n := r.Notices
	if n == nil {
		fmt.Fprintf(b, "%s\n", t.NoScan)
		return
	}
	if n.LoansError != "" {
		fmt.Fprintf(b, t.LoansErr+"\n", n.LoansError)
	}
	var parts []string
	for _, k := range notice.Kinds() {
		if c := n.Queued[k]; c > 0 {
			parts = append(parts, fmt.Sprintf(r.plural(t.NoticeN[k], c), c))
		}
	}
	var extra []string
	for k, c := range n.Queued {
		if c > 0 && !slices.Contains(notice.Kinds(), k) {
			extra = append(extra, fmt.Sprintf("%s: %d", k, c))
		}
	}
	slices.Sort(extra)
	parts = append(parts, extra...)
	if len(parts) == 0 {
		fmt.Fprintf(b, "%s\n", t.QueuedNone)
	} else {
		fmt.Fprintf(b, t.Queued+"\n", strings.Join(parts, ", "))
	}
	if len(n.Skipped) > 0 {
		fmt.Fprintf(b, "\n"+t.PrintHead+"\n", len(n.Skipped))
		for _, s := range n.Skipped {
			why := s.Reason
			switch why {
			case SkipNoEmail:
				why = t.ReasonNoEmail
			case SkipNotifyOff:
				why = t.ReasonNotifyOff
			}
			line := fmt.Sprintf("  - "+t.Patron+", %s: %s", oneLine(s.Name), oneLine(s.PatronID), r.kindOne(s.Kind), oneLine(strings.Join(s.Titles, "; ")))
			if why != "" {
				line += " (" + oneLine(why) + ")"
			}
			b.WriteString(line + "\n")
		}
	}
	if len(n.Dropped) > 0 {
		fmt.Fprintf(b, "\n"+t.DroppedHead+"\n", r.age(r.cfg.Overdue.StaleAfter), len(n.Dropped))
		for _, d := range n.Dropped {
			line := fmt.Sprintf("  - "+t.Patron+", %s: %s", oneLine(d.Name), oneLine(d.PatronID), r.kindOne(d.Kind), oneLine(strings.Join(d.Titles, "; ")))
			if !d.Due.IsZero() {
				line += " (" + fmt.Sprintf(t.Due, notice.FormatDate(r.Lang, d.Due)) + ")"
			}
			b.WriteString(line + "\n")
		}
	}
	if len(n.RowErrors) > 0 {
		fmt.Fprintf(b, "\n"+t.RowErrHead+"\n", len(n.RowErrors))
		for i, e := range n.RowErrors {
			if i == maxFailures {
				fmt.Fprintf(b, "  "+t.MoreFailures+"\n", len(n.RowErrors)-i)
				break
			}
			fmt.Fprintf(b, "  - "+t.RowErr+"\n", e.Line, oneLine(e.Reason))
		}
	}
}

func (r *Report) kindOne(kind string) string {
	if s := r.t.KindOne[kind]; s != "" {
		return s
	}
	return kind
}

// failures writes every refused recipient and every refused file: what
// happened and what to do, from its cause in the report's language; the
// relay's reply verbatim, or spoolgate's own detail, labelled as such; and
// how to send a .BAD file again.
func (r *Report) failures(b *strings.Builder) {
	t := r.t
	if len(r.Failures) == 0 {
		fmt.Fprintf(b, "%s\n", t.NoFailures)
		return
	}
	field := fields(b, t.LMessage, t.LReason, t.LReply, t.LDetail, t.LToDo, t.LRetry)
	for i, f := range r.Failures {
		if i == maxFailures {
			fmt.Fprintf(b, t.MoreFailures+"\n", len(r.Failures)-i)
			break
		}
		who := fmt.Sprintf(t.FailTo, f.To)
		if f.To == "" {
			who = fmt.Sprintf(t.FailFile, f.File)
		}
		fmt.Fprintf(b, "%3d. %s  %s\n", i+1, f.Time.In(r.loc).Format("15:04"), who)
		desc := r.kindOne(f.Kind)
		if f.File != "" {
			desc = f.File + ", " + desc
		}
		if f.Subject != "" {
			desc = fmt.Sprintf("\"%s\" (%s)", oneLine(f.Subject), desc)
		}
		field(t.LMessage, desc)
		meaning, action := cause.Explain(r.Lang, f.Cause)
		field(t.LReason, meaning)
		reply, detail := f.RelayReply()
		field(t.LReply, withServer(reply, f.Server))
		field(t.LDetail, oneLine(detail))
		field(t.LToDo, action)
		if f.Bad != "" {
			field(t.LRetry, fmt.Sprintf(t.RetryCmd, spool.RetryCommand(f.Bad)))
		}
	}
}

// size writes a byte count for people.
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
