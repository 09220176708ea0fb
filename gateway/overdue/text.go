package overdue

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spoolgate/spoolgate/gateway/notice"
)

// maxTextRowErrors is how many bad rows WriteText lists.
const maxTextRowErrors = 100

// WriteText writes the result for a person: the counts per kind, then
// each notice with its patron and items, the patrons to print or phone,
// the dropped notices and the export's bad rows. Patron data is written
// on single lines.
func (r *Result) WriteText(w io.Writer) {
	// Written as it goes, not built whole: a big scan lists tens of
	// thousands of notices.
	b := bufio.NewWriterSize(w, 64<<10)
	defer b.Flush()
	day := r.Day.Format(dateLayout)
	if r.DryRun {
		fmt.Fprintf(b, "Overdue scan for %s (dry run: nothing was queued or recorded)\n", day)
	} else {
		fmt.Fprintf(b, "Overdue scan for %s\n", day)
	}
	if r.From.Before(r.Day) {
		fmt.Fprintf(b, "It also covers the days missed since the last scan: %s to %s.\n",
			r.From.Format(dateLayout), r.Day.AddDate(0, 0, -1).Format(dateLayout))
	}
	if r.LoansError != nil {
		fmt.Fprintf(b, "\nThe loans export could not be read, so no notices were decided:\n  %s\n", oneLine(r.LoansError.Error()))
		for _, p := range r.Queued {
			if p.Recovered {
				fmt.Fprintf(b, "A notice of an interrupted scan was written to the queue: %s\n", p.File)
			}
		}
		return
	}
	bad := max(r.BadRows, len(r.RowErrors))
	rows := "rows"
	if bad == 1 {
		rows = "row"
	}
	fmt.Fprintf(b, "Loans export: %d loans read", r.Loans)
	if !r.LoansTime.IsZero() {
		fmt.Fprintf(b, " (the file is of %s)", r.LoansTime.In(r.Day.Location()).Format("2006-01-02 15:04"))
	}
	if bad > 0 {
		fmt.Fprintf(b, ", %d bad %s left out (listed below)", bad, rows)
	}
	b.WriteString(".\n\n")

	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', tabwriter.AlignRight)
	verb := "queued"
	if r.DryRun {
		verb = "would queue"
	}
	fmt.Fprintf(tw, "\t%s\titems\tto print or phone\tdropped\t\n", verb)
	var t Count
	for _, k := range notice.Kinds() {
		c := r.Counts[k]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", k, c.Queued, c.Items, c.Skipped, c.Dropped)
		t.Queued, t.Items, t.Skipped, t.Dropped = t.Queued+c.Queued, t.Items+c.Items, t.Skipped+c.Skipped, t.Dropped+c.Dropped
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t\n", t.Queued, t.Items, t.Skipped, t.Dropped)
	tw.Flush()

	if len(r.Queued) > 0 {
		title := "Queued"
		if r.DryRun {
			title = "Would queue"
		}
		fmt.Fprintf(b, "\n%s (%d):\n", title, len(r.Queued))
		for _, p := range r.Queued {
			fmt.Fprintf(b, "  patron %s %s: %s, %s to %s (%s", oneLine(p.PatronID), oneLine(p.PatronName), p.Kind,
				itemCount(len(p.Items)), strings.Join(p.To, ", "), p.Language)
			if p.Unit != "" {
				fmt.Fprintf(b, ", unit %s", p.Unit)
			}
			if p.For.Before(r.Day) {
				fmt.Fprintf(b, ", late: due to go out on %s", p.For.Format(dateLayout))
			}
			if p.Recovered {
				b.WriteString(", written again after an interrupted scan")
			}
			fmt.Fprintf(b, ")\n      %s\n", p.File)
			writeItems(b, p.Items)
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(b, "\nTo print or phone (%d):\n", len(r.Skipped))
		for _, p := range r.Skipped {
			fmt.Fprintf(b, "  patron %s %s: %s, %s, %s", oneLine(p.PatronID), oneLine(p.PatronName), p.Kind, itemCount(len(p.Items)), p.Reason)
			if p.Unit != "" {
				fmt.Fprintf(b, " (unit %s)", oneLine(p.Unit))
			}
			b.WriteString("\n")
			writeItems(b, p.Items)
		}
	}
	if len(r.Dropped) > 0 {
		fmt.Fprintf(b, "\nDropped, not sent (%d):\n", len(r.Dropped))
		for _, p := range r.Dropped {
			fmt.Fprintf(b, "  patron %s %s: %s of %s, %s: %s\n", oneLine(p.PatronID), oneLine(p.PatronName), p.Kind,
				p.For.Format(dateLayout), itemCount(len(p.Items)), oneLine(p.Reason))
			writeItems(b, p.Items)
		}
	}
	if len(r.RowErrors) > 0 {
		fmt.Fprintf(b, "\nBad %s in the loans export (%d), left out:\n", rows, bad)
		for i, e := range r.RowErrors {
			if i == maxTextRowErrors {
				fmt.Fprintf(b, "  … and %d more\n", bad-i)
				break
			}
			fmt.Fprintf(b, "  %s\n", oneLine(e.String()))
		}
	}
	if len(r.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, x := range r.Warnings {
			fmt.Fprintf(b, "  %s\n", oneLine(x))
		}
	}
}

func itemCount(n int) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}

func writeItems(b *bufio.Writer, items []Item) {
	for _, it := range items {
		b.WriteString("      - ")
		b.WriteString(oneLine(it.Title))
		if it.Author != "" {
			b.WriteString(" / " + oneLine(it.Author))
		}
		if it.Barcode != "" {
			b.WriteString(" [" + oneLine(it.Barcode) + "]")
		}
		b.WriteString(", due " + dueText(it.Due) + "\n")
	}
}

// dueText writes a due date, with its time of day when it has one.
func dueText(t time.Time) string {
	if h, m, s := t.Clock(); h == 0 && m == 0 && s == 0 {
		return t.Format(dateLayout)
	}
	return t.Format("2006-01-02 15:04")
}
