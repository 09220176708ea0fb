package daily

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spoolgate/spoolgate/gateway/notice"
)

// AllWell tells whether nothing needs attention: no failures and no
// warnings.
func (r *Report) AllWell() bool { return len(r.Failures) == 0 && len(r.Warnings) == 0 }

// ToPrint is how many notices were not mailed and must be printed or
// phoned.
func (r *Report) ToPrint() int {
	if r.Notices == nil {
		return 0
	}
	return len(r.Notices.Skipped)
}

// Subject tells at a glance whether all is well, e.g.
// "spoolgate 2026-11-25: 143 sent, 2 failed, 12 to print — 1 warning".
func (r *Report) Subject() string {
	t := r.t
	parts := []string{
		fmt.Sprintf(r.plural(t.SubjSent, r.Total.Sent), r.Total.Sent),
		fmt.Sprintf(r.plural(t.SubjFailed, len(r.Failures)), len(r.Failures)),
	}
	if n := r.ToPrint(); n > 0 {
		parts = append(parts, fmt.Sprintf(r.plural(t.SubjPrint, n), n))
	}
	s := "spoolgate " + r.Day.Format("2006-01-02") + ": " + strings.Join(parts, ", ")
	switch {
	case r.AllWell():
		s += " — " + t.SubjAllWell
	case len(r.Warnings) > 0:
		s += " — " + fmt.Sprintf(r.plural(t.SubjWarnings, len(r.Warnings)), len(r.Warnings))
	}
	return s
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
	if r.AllWell() {
		line("%s", t.AllWell)
	} else {
		var parts []string
		if n := len(r.Failures); n > 0 {
			parts = append(parts, fmt.Sprintf(r.plural(t.FailuresN, n), n))
		}
		if n := len(r.Warnings); n > 0 {
			parts = append(parts, fmt.Sprintf(r.plural(t.WarningsN, n), n))
		}
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
	order := slices.Clone(kinds)
	var others []string
	for k := range r.Figures {
		if !slices.Contains(kinds, k) {
			others = append(others, k)
		}
	}
	slices.Sort(others)
	order = append(order, others...)

	type row struct {
		label string
		c     Counts
	}
	var rows []row
	for _, k := range order {
		if c := r.Figures[k]; c != nil {
			l := t.KindLabel[k]
			if l == "" {
				l = k
			}
			rows = append(rows, row{l, *c})
		}
	}
	rows = append(rows, row{t.Total, r.Total})
	lw := 0
	for _, rw := range rows {
		lw = max(lw, utf8.RuneCountInString(rw.label))
	}
	cols := []string{t.ColSent, t.ColDeferred, t.ColFailed}
	ws := make([]int, len(cols))
	for i, c := range cols {
		ws[i] = max(utf8.RuneCountInString(c), len(strconv.Itoa(r.Total.Sent+r.Total.Deferred+r.Total.Failed)))
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
			b.WriteString("  " + strings.Repeat("-", lw+len(cols)*2+ws[0]+ws[1]+ws[2]) + "\n")
		}
		b.WriteString("  " + pad(rw.label, lw))
		for j, n := range []int{rw.c.Sent, rw.c.Deferred, rw.c.Failed} {
			b.WriteString("  " + lpad(strconv.Itoa(n), ws[j]))
		}
		b.WriteString("\n")
	}
	if r.Total.Deferred > 0 {
		fmt.Fprintf(b, "\n%s\n", t.DeferredNote)
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

// failures writes every refused recipient with what to do.
func (r *Report) failures(b *strings.Builder) {
	t := r.t
	if len(r.Failures) == 0 {
		fmt.Fprintf(b, "%s\n", t.NoFailures)
		return
	}
	lw := 0
	for _, l := range []string{t.LMessage, t.LReason, t.LReply, t.LToDo} {
		lw = max(lw, utf8.RuneCountInString(l))
	}
	field := func(label, value string) {
		fmt.Fprintf(b, "     %s%s %s\n", label, strings.Repeat(" ", lw-utf8.RuneCountInString(label)), value)
	}
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
		why := t.Causes[f.Cause]
		if f.Cause == "file" {
			field(t.LReason, why[0]+" "+oneLine(f.Reply))
			field(t.LToDo, fmt.Sprintf(t.FileAction, f.Reason))
			continue
		}
		desc := r.kindOne(f.Kind)
		if f.File != "" {
			desc = f.File + ", " + desc
		}
		if f.Subject != "" {
			field(t.LMessage, fmt.Sprintf("\"%s\" (%s)", oneLine(f.Subject), desc))
		} else {
			field(t.LMessage, desc)
		}
		field(t.LReason, why[0])
		if f.Reply != "" {
			reply := oneLine(f.Reply)
			if f.Server != "" && !strings.Contains(reply, f.Server) {
				reply += " (" + f.Server + ")"
			}
			field(t.LReply, reply)
		}
		field(t.LToDo, why[1])
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
