// Package daily is the daily log to the librarian: a message, written in
// [log] language, that tells at a glance whether mail is flowing.
//
// The contract:
//
//   - Compose reads what happened on one calendar day (in [service]
//     timezone) and returns a Report. It only reads: the journal, the queue
//     folder, the loans export's file time, the day's log file, and the
//     relays' TLS certificates (by connecting, greeting and starting TLS;
//     it never logs in or sends). A relay that can't be reached, a missing
//     log file or loans export, an unreadable queue folder are lines of the
//     report, never errors. Compose fails only when the journal can't be
//     read.
//   - The day's figures come from the journal: each message is counted by
//     the state it was in at its last event of that day (sent, deferred,
//     failed), by its kind (X-Spoolgate-Kind). A message deferred in the
//     evening and sent after midnight counts as deferred on the first day
//     only if the report was made before it was sent (as the nightly one
//     is); a report made later counts it on the day it was sent. Files set
//     aside as .BAD before the journal knew them (an unreadable file, one
//     over max_size) are found through their .BAD.txt reason files.
//   - Every refused recipient is listed with the relay's reply, what it
//     means and what to do, in the report's language.
//   - Queue writes the Message into the queue folder, so that it goes out
//     through the rate limit, retries and failover like any message, and
//     never queues the same day's report twice (see Queue).
//
// The package depends on neither package gateway nor package inspect, so
// that the gateway can run the daily log itself.
package daily

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/logfile"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/spool"
)

// certWarning is how close a relay certificate's expiry must be to be
// reported.
const certWarning = 30 * 24 * time.Hour

// repeatedAttempts is how many attempts make a deferred message a warning.
const repeatedAttempts = 3

// maxFailures bounds the failures listed one by one.
const maxFailures = 100

// Skip reasons of a SkippedPatron that the report words itself.
const (
	SkipNoEmail   = "no-email"   // the row has no e-mail address (for the chosen recipient)
	SkipNotifyOff = "notify-off" // the patron turned e-mail notices off
)

// NoticeSummary is what the day's overdue scan did, for the report. The
// scan fills it; nil means no scan ran that day.
type NoticeSummary struct {
	Queued     map[string]int  // notices queued, by kind (warning, overdue, reminder)
	Skipped    []SkippedPatron // notices not mailed: "to print or phone"
	Dropped    []DroppedNotice // notices too late to send (stale)
	RowErrors  []RowError      // rows of the loans export that could not be read
	LoansError string          // the export could not be read at all: why; "" if it could
}

// SkippedPatron is one notice that was not mailed.
type SkippedPatron struct {
	PatronID string
	Name     string
	Kind     string   // warning, overdue, reminder
	Titles   []string // the items' titles
	Reason   string   // SkipNoEmail, SkipNotifyOff, or words shown as they are
}

// DroppedNotice is a notice that was not sent because it was too late.
type DroppedNotice struct {
	PatronID string
	Name     string
	Kind     string
	Titles   []string
	Due      time.Time // the items' due date
}

// RowError is a row of the loans export that could not be read.
type RowError struct {
	Line   int
	Reason string
}

// Inputs are what Compose reads besides the config.
type Inputs struct {
	Journal *journal.Journal // the journal; nil when there is none yet (nothing was ever sent)
	Notices *NoticeSummary   // the day's overdue scan; nil if none ran
	Now     time.Time        // when the report is made; zero means time.Now()
}

// Counts are the messages of one kind.
type Counts struct {
	Sent, Deferred, Failed int
}

// Failure is one recipient refused for good, or one file set aside as .BAD
// that the journal does not know.
type Failure struct {
	Time    time.Time
	To      string // the recipient; "" for a file that was never read as a message
	File    string // the file's name in the queue
	Subject string
	Kind    string
	Server  string
	Reply   string // the relay's reply; for a file, the reason file's explanation
	Cause   string // see cause
	Reason  string // the reason file's name, for a file ("x.BAD.txt"); else ""
}

// Warning is something the librarian or IT should look at.
type Warning struct {
	Kind string // failover, certificate, certificate-check, loans-missing, loans-old, loans-unreadable, loans-error, rows, repeated
	Text string // in the report's language
}

// QueueHealth is the queue's health when the report was made.
type QueueHealth struct {
	Waiting  int
	Oldest   time.Time // the oldest waiting file's time; zero if none
	Deferred int
	Bad      int
	LastSent time.Time // zero if never
	Err      string    // the folder could not be read: why
}

// Report is one day's log. Make it with Compose.
type Report struct {
	Day      time.Time // the day's first instant, in the report's location
	Lang     string    // the language it is written in
	Made     time.Time
	Host     string
	Figures  map[string]*Counts // by kind ("" = the library system's own mail)
	Total    Counts
	Notices  *NoticeSummary
	Failures []Failure
	Queue    QueueHealth
	Warnings []Warning
	LogFile  string // the day's log file, or "" if there is none
	LogPath  string // where it was looked for

	cfg     *config.Config
	loc     *time.Location
	t       *texts
	journal *journal.Journal
	att     *attachment // the log file as attached, once read
}

// Compose reads the day that contains day's date (its Year, Month and Day,
// as given) in cfg.Service.Location and returns its report.
func Compose(ctx context.Context, cfg *config.Config, day time.Time, in Inputs) (*Report, error) {
	loc := cfg.Service.Location
	if loc == nil {
		loc = time.Local
	}
	lang, ok := notice.Language(cfg.Log.Language)
	if !ok {
		lang = "en"
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	y, m, d := day.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, loc)
	end := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	host, _ := os.Hostname()
	r := &Report{
		Day: start, Lang: lang, Made: now, Host: host,
		Figures: map[string]*Counts{}, Notices: in.Notices,
		cfg: cfg, loc: loc, t: languages[lang], journal: in.Journal,
	}

	var deferred []journal.Record
	if j := in.Journal; j != nil {
		recs, err := j.Query(journal.Filter{Since: start, Until: end})
		if err != nil {
			return nil, fmt.Errorf("daily log: %w", err)
		}
		for _, rec := range recs {
			r.count(rec.Kind, rec.Status)
		}
		r.failovers(recs)
		fails, err := j.Failures(start, end)
		if err != nil {
			return nil, fmt.Errorf("daily log: %w", err)
		}
		for _, f := range fails {
			r.Failures = append(r.Failures, Failure{
				Time: f.Time, To: f.To, File: f.File, Subject: f.Subject, Kind: f.Kind,
				Server: f.Server, Reply: f.Reply, Cause: cause(f.Reply),
			})
		}
		if deferred, err = j.Query(journal.Filter{Status: journal.StatusDeferred}); err != nil {
			return nil, fmt.Errorf("daily log: %w", err)
		}
		if r.Queue.LastSent, err = j.LastSent(); err != nil {
			return nil, fmt.Errorf("daily log: %w", err)
		}
	}
	r.badFiles(start, end, in.Journal)
	r.queueHealth()
	r.certificates(ctx)
	r.loansExport()
	if n := in.Notices; n != nil {
		if n.LoansError != "" {
			r.warn("loans-error", r.t.LoansErr, n.LoansError)
		}
		if len(n.RowErrors) > 0 {
			r.warn("rows", r.plural(r.t.WRowErrors, len(n.RowErrors)), len(n.RowErrors))
		}
	}
	r.repeated(deferred)
	r.LogPath = filepath.Join(cfg.Spool.Data, logfile.Folder, logfile.Name(start))
	if fi, err := os.Stat(r.LogPath); err == nil && fi.Mode().IsRegular() {
		r.LogFile = r.LogPath
	}
	return r, nil
}

func (r *Report) count(kind string, st journal.Status) {
	c := r.Figures[kind]
	if c == nil {
		c = &Counts{}
	}
	switch st {
	case journal.StatusSent:
		c.Sent++
		r.Total.Sent++
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

func (r *Report) warn(kind, format string, args ...any) {
	r.Warnings = append(r.Warnings, Warning{Kind: kind, Text: fmt.Sprintf(format, args...)})
}

// plural picks the form of forms for n in the report's language.
func (r *Report) plural(forms []string, n int) string {
	s, err := notice.Plural(r.Lang, n, forms...)
	if err != nil {
		return forms[len(forms)-1] // a test checks every table has the right number of forms
	}
	return s
}

// heads are the labels of the servers that head a chain: [smtp] and each
// unit's own. A message sent through any other server went through a
// backup.
func heads(cfg *config.Config) []*config.Server {
	var out []*config.Server
	if cfg.SMTP != nil {
		out = append(out, cfg.SMTP)
	}
	names := make([]string, 0, len(cfg.Units))
	for n := range cfg.Units {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if u := cfg.Units[n]; u != nil && u.SMTP != nil && !slices.Contains(out, u.SMTP) {
			out = append(out, u.SMTP)
		}
	}
	return out
}

// failovers warns of messages sent through a backup server.
func (r *Report) failovers(recs []journal.Record) {
	if r.cfg.Capture != "" || r.cfg.SMTP == nil {
		return
	}
	hs := heads(r.cfg)
	isHead := map[string]bool{}
	for _, h := range hs {
		isHead[label(h)] = true
	}
	byServer := map[string]int{}
	var order []string
	for _, rec := range recs {
		if rec.Status != journal.StatusSent || rec.Server == "" || isHead[rec.Server] {
			continue
		}
		if byServer[rec.Server] == 0 {
			order = append(order, rec.Server)
		}
		byServer[rec.Server]++
	}
	slices.Sort(order)
	for _, s := range order {
		n := byServer[s]
		r.warn("failover", r.plural(r.t.WFailover, n), n, s, r.headOf(s))
	}
}

// headOf names the head of the chain that server belongs to.
func (r *Report) headOf(server string) string {
	for _, h := range heads(r.cfg) {
		for s := h; s != nil; s = s.Next {
			if label(s) == server {
				return label(h)
			}
		}
	}
	return label(r.cfg.SMTP)
}

// label names a server as the relay and the journal do:
// "NAME (host:port)" (relay.Label).
func label(s *config.Server) string {
	if s == nil {
		return ""
	}
	return s.Name + " (" + s.Address() + ")"
}

// badFiles adds the .BAD files set aside on the day that the journal has no
// record of, from their reason files.
func (r *Report) badFiles(start, end time.Time, j *journal.Journal) {
	ents, err := os.ReadDir(r.cfg.Spool.Folder)
	if err != nil {
		return // queueHealth says so
	}
	for _, de := range ents {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, spool.SuffixReason) {
			continue
		}
		path := filepath.Join(r.cfg.Spool.Folder, name)
		rs, err := inspect.ReadReason(path)
		if err != nil {
			continue
		}
		when, _ := time.Parse("2006-01-02 15:04:05 -0700", rs.When)
		if when.IsZero() {
			if fi, err := de.Info(); err == nil {
				when = fi.ModTime()
			}
		}
		if when.Before(start) || !when.Before(end) {
			continue
		}
		if rs.Key != "" && j != nil {
			if st, err := j.State(rs.Key); err == nil && st.Found {
				continue // listed from the journal
			}
		}
		file := rs.File
		if file == "" {
			file = strings.TrimSuffix(name, ".txt")
		}
		r.Failures = append(r.Failures, Failure{Time: when, File: file, Reply: rs.What, Cause: "file", Reason: name, Server: rs.Server})
		r.count("", journal.StatusFailed)
	}
	slices.SortStableFunc(r.Failures, func(a, b Failure) int { return a.Time.Compare(b.Time) })
}

// queueHealth reads the queue folder, as spoolgate status does.
func (r *Report) queueHealth() {
	sp := spool.New(spool.Options{Dir: r.cfg.Spool.Folder, Patterns: r.cfg.Spool.Patterns, Instance: r.cfg.Spool.Instance})
	snap, err := sp.Scan(1)
	if err != nil {
		r.Queue.Err = err.Error()
		return
	}
	r.Queue.Waiting, r.Queue.Oldest, r.Queue.Deferred, r.Queue.Bad = snap.Waiting, snap.Oldest, len(snap.Deferred), snap.Bad
}

// loansExport warns when the overdue scan's export is missing or stale.
func (r *Report) loansExport() {
	o := r.cfg.Overdue
	if !o.Enabled || o.Loans == "" {
		return
	}
	fi, err := os.Stat(o.Loans)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.warn("loans-missing", r.t.WLoansMissing, o.Loans)
	case err != nil:
		r.warn("loans-unreadable", r.t.WLoansStat, o.Loans, err)
	case r.Made.Sub(fi.ModTime()) > 24*time.Hour:
		r.warn("loans-old", r.t.WLoansOld, o.Loans, r.dateTime(fi.ModTime()))
	}
}

// repeated warns of messages deferred again and again.
func (r *Report) repeated(deferred []journal.Record) {
	var rs []journal.Record
	for _, rec := range deferred {
		if rec.Attempts >= repeatedAttempts {
			rs = append(rs, rec)
		}
	}
	if len(rs) == 0 {
		return
	}
	slices.SortFunc(rs, func(a, b journal.Record) int { return a.First.Compare(b.First) })
	var b strings.Builder
	b.WriteString(fmt.Sprintf(r.plural(r.t.WRepeated, len(rs)), len(rs)))
	for i, rec := range rs {
		if i == maxFailures {
			b.WriteString("\n  " + fmt.Sprintf(r.t.MoreFailures, len(rs)-i))
			break
		}
		b.WriteString("\n  ")
		fmt.Fprintf(&b, r.t.WRepeatedLine, rec.File, strings.Join(rec.To, ", "), rec.Attempts, r.dateTime(rec.First), oneLine(rec.Reply))
	}
	r.Warnings = append(r.Warnings, Warning{Kind: "repeated", Text: b.String()})
}

// dateTime writes t in the report's location and language.
func (r *Report) dateTime(t time.Time) string {
	t = t.In(r.loc)
	return fmt.Sprintf(r.t.DateTime, notice.FormatDate(r.Lang, t), t.Format("15:04"))
}

// date writes the date of t in the report's location and language.
func (r *Report) date(t time.Time) string { return notice.FormatDate(r.Lang, t.In(r.loc)) }

// age writes a duration for people: "5 min", "2 h 5 min", "3 days".
func (r *Report) age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d >= 48*time.Hour:
		n := int(d / (24 * time.Hour))
		return fmt.Sprintf(r.plural(r.t.DaysN, n), n)
	case d >= time.Hour:
		return fmt.Sprintf(r.t.AgeHM, int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf(r.t.AgeM, int(d/time.Minute))
}

// days writes a whole number of days, rounded up: "in 10 days".
func (r *Report) days(d time.Duration) string {
	n := int((d + 24*time.Hour - 1) / (24 * time.Hour))
	return fmt.Sprintf(r.plural(r.t.DaysN, n), n)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
