package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/views"
)

func init() {
	register("sent", command{usage: "[--config FILE] [--since 7d] [--to A] [--status S] [--file F] [--json]", summary: "what the journal recorded: the sent mail view", run: cmdSent, order: 20})
}

// sinceFlag is --since: a Go duration (90m, 24h), a number of days (7d,
// 1d12h), or "all".
type sinceFlag struct {
	d    time.Duration // 0 = all
	text string
}

func (f *sinceFlag) String() string { return f.text }

func (f *sinceFlag) Set(s string) error {
	d, err := parseSince(s)
	if err != nil {
		return err
	}
	f.d, f.text = d, s
	return nil
}

func parseSince(s string) (time.Duration, error) {
	if s == "all" || s == "0" {
		return 0, nil
	}
	bad := fmt.Errorf("want a time like 2h, 24h, 7d or all")
	var days time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 100000 {
			return 0, bad
		}
		days, rest = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil || (days > 0 && strings.HasPrefix(rest, "-")) {
			return 0, bad
		}
	}
	if d+days <= 0 {
		return 0, bad
	}
	return d + days, nil
}

var statuses = []journal.Status{journal.StatusQueued, journal.StatusAttempted, journal.StatusSent, journal.StatusPartlySent,
	journal.StatusDeferred, journal.StatusFailed, journal.StatusSkipped,
	journal.StatusBounced, journal.StatusDelivered, journal.StatusDelayed}

func cmdSent(args []string, stdout, stderr io.Writer) error {
	since := sinceFlag{d: 24 * time.Hour, text: "24h"}
	var (
		asJSON         bool
		to, status, fn string
	)
	path, err := flags("sent", args, stderr, func(fs *flag.FlagSet) {
		fs.Var(&since, "since", "show records of this long ago and newer (e.g. 2h, 72h, 7d, or all)")
		fs.StringVar(&to, "to", "", "only recipients whose address contains this text (e.g. a patron's address)")
		fs.StringVar(&status, "status", "", "only recipients (or messages) with this status: sent, partly-sent, deferred, failed, skipped, queued or attempted; or with what a report that came back said: bounced, delivered or delayed")
		fs.StringVar(&fn, "file", "", "only messages whose file name contains this text")
		fs.BoolVar(&asJSON, "json", false, "print one JSON object a line")
	})
	if err != nil {
		return err
	}
	status = strings.ToLower(strings.TrimSpace(status))
	if status != "" && !slices.Contains(statuses, journal.Status(status)) {
		return &exitError{2, fmt.Errorf("sent: --status %q: want one of sent, partly-sent, deferred, failed, skipped, queued, attempted, bounced, delivered, delayed", status)}
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	j, err := openJournal(cfg, stderr, "")
	if err != nil {
		return err
	}
	defer j.Close()
	f := journal.Filter{To: strings.TrimSpace(to), Status: journal.Status(status), File: strings.TrimSpace(fn)}
	if since.d > 0 {
		f.Since = time.Now().Add(-since.d)
	}
	recs, err := j.Query(f)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range recs {
			out := views.SentOf(r)
			if err := enc.Encode(out); err != nil {
				return err
			}
		}
		return nil
	}
	// One row a recipient: a librarian asks about a patron, not a file.
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSTATUS\tTO\tFILE\tSUBJECT\tCAUSE\tREPLY")
	rows := 0
	for _, r := range recs {
		for _, rc := range sentRows(r, f) {
			rows++
			status, reply := rc.Status, rc.Reply
			if rc.Outcome != "" {
				status = rc.Outcome
			}
			if b := rc.Bounce; b != nil && rc.Outcome == journal.StatusBounced {
				// What came back says more than the relay's 250.
				reply = strings.TrimSpace(b.Class + " " + b.Status + " " + b.Diagnostic)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rc.Time.Local().Format("2006-01-02 15:04:05"), status,
				orDash(rc.Address), r.File, clip(r.Subject, 40), orDash(rc.Cause), clip(oneLine(reply), 60))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	what := "in the last " + since.text
	if since.d == 0 {
		what = "in the journal"
	}
	fmt.Fprintf(stdout, "%d recipient(s) of %d message(s) %s%s\n", rows, len(recs), what, filterText(f))
	return nil
}

// sentRows are the rows of one message in the text view: its recipients
// that the filter asks for, or, for a file refused before it named any
// recipient, the message itself.
func sentRows(r journal.Record, f journal.Filter) []journal.Recipient {
	if len(r.Recipients) == 0 {
		return []journal.Recipient{{Status: r.Status, Reply: r.Reply, Cause: r.Cause, Time: r.Time}}
	}
	var out []journal.Recipient
	for _, rc := range r.Recipients {
		if f.To != "" && !strings.Contains(strings.ToLower(rc.Address), strings.ToLower(f.To)) {
			continue
		}
		if f.Status != "" && rc.Status != f.Status && r.Status != f.Status && rc.Outcome != f.Status {
			continue
		}
		out = append(out, rc)
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// filterText says which filters were given, for the summary line.
func filterText(f journal.Filter) string {
	var parts []string
	if f.To != "" {
		parts = append(parts, fmt.Sprintf("to %q", f.To))
	}
	if f.Status != "" {
		parts = append(parts, "status "+string(f.Status))
	}
	if f.File != "" {
		parts = append(parts, fmt.Sprintf("file %q", f.File))
	}
	if len(parts) == 0 {
		return ""
	}
	return " matching " + strings.Join(parts, ", ")
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// openJournal opens the journal of cfg for a command that reads it,
// logging to stderr; a journal that does not exist yet is an error
// saying so, with why (e.g. "so nothing it sent can have bounced") after
// the reason.
func openJournal(cfg *config.Config, stderr io.Writer, why string) (*journal.Journal, error) {
	db := filepath.Join(cfg.Spool.Data, gateway.JournalFile)
	if _, err := os.Stat(db); err != nil {
		return nil, fmt.Errorf("no journal yet at %s: spoolgate has not run with this config%s (%w)", db, why, err)
	}
	return journal.Open(db, slog.New(slog.NewTextHandler(stderr, nil)))
}
