// Package daily is the daily log to the librarian: a message, written in
// [log] language, that tells at a glance whether mail is flowing.
//
// The contract:
//
//   - Compose reads what happened on one calendar day (in [service]
//     timezone) and returns a Report. It only reads: the journal, the queue
//     folder, the relay's health as the running gateway recorded it
//     (package health), the loans export's file time, the day's log file,
//     and the relays' TLS certificates (by connecting, greeting and
//     starting TLS; it never logs in or sends). A relay that can't be
//     reached, a missing log file or loans export, an unreadable queue
//     folder are lines of the report, never errors. Compose fails only
//     when the journal can't be read.
//   - The day's figures, the subject and the list of failures are counted
//     in one pass over the same records, recipient by recipient (see
//     tally), so they always agree.
//   - Every failure is explained from the cause the journal recorded with
//     it (package cause), in the report's language; nothing here reads a
//     reply to decide what it means. The relay's reply is quoted verbatim
//     beside it, and every refused recipient is named.
//   - The subject says all is well only when it is: no failures that day,
//     the gateway running with its relay available, and nothing stuck
//     (see AllWell). Otherwise it leads with the problem.
//   - Queue writes the Message into the queue folder, so that it goes out
//     through the rate limit, retries and failover like any message, and
//     never queues the same day's report twice (see Queue).
//   - Summary is the same facts for spoolgate report --json.
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

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/lang"
	"github.com/spoolgate/spoolgate/gateway/loans"
	"github.com/spoolgate/spoolgate/gateway/logfile"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/gateway/oauth"
)

// certWarning is how close a relay certificate's expiry must be to be
// reported.
const certWarning = 30 * 24 * time.Hour

// A deferred file is stuck, and the report says so, once it has been
// tried repeatedAttempts times or has waited stuckAfter since its first
// attempt. stuckAfter is longer than greylisting or a relay's restart,
// and far shorter than [spool] retry_for (48 hours by default), after
// which the file would be given up.
const (
	repeatedAttempts = 3
	stuckAfter       = 4 * time.Hour
)

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
	// NotRunning says that this instance's gateway is not running, as
	// spoolgate report finds it (its instance lock is free). The gateway's
	// own daily log leaves it false: it is the running gateway.
	NotRunning bool
}

// Counts are the outcomes of one kind of message, recipient by recipient
// (see tally).
type Counts struct {
	Sent     int `json:"sent"`
	Skipped  int `json:"skipped"` // had an identical message before ([spool] dedupe_window): delivered, not sent again
	Deferred int `json:"deferred"`
	Failed   int `json:"failed"`
}

// Failure is one recipient refused for good, or one file refused before
// any recipient was known (To is "").
type Failure struct {
	Time    time.Time
	To      string // the refused recipient; "" for a file refused before any recipient was known
	File    string // the message file's name as the library system dropped it
	Subject string
	Kind    string
	Server  string      // the server that answered; "" when spoolgate refused the file itself
	Reply   string      // the server's reply, verbatim; spoolgate's own detail (in [log] language) when Server is ""
	Cause   cause.Cause // what it means: the report renders it with cause.Explain
	Key     string      // the message's key in the journal
	Bad     string      // the .BAD file in the queue folder, while it is there: what spoolgate retry takes
}

// RelayReply is the failure's reply split by whose words they are (see
// relayReply).
func (f Failure) RelayReply() (reply, detail string) { return relayReply(f.Server, f.Reply) }

// relayReply tells the relay's own reply from spoolgate's own words in
// text, as the journal and the health record keep either: one of reply and
// detail is "". A server's reply starts with its code; anything else (a
// refusal spoolgate made itself, a connection error) is spoolgate's
// detail, in [log] language for the refusals it words itself (a
// connection error stays in the system's words). This tells whose words
// they are, never what they mean: that is the cause's to say.
func relayReply(server, text string) (reply, detail string) {
	if server != "" && isReply(text) {
		return text, ""
	}
	return "", text
}

// isReply tells whether s starts like an SMTP reply: a 2xx to 5xx code,
// then a space, a hyphen or nothing.
func isReply(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9' {
		return false
	}
	return len(s) == 3 || s[3] == ' ' || s[3] == '-'
}

// Warning is something the librarian or IT should look at.
type Warning struct {
	Kind string // failover, certificate, certificate-check, oauth-secret, oauth-secret-expired, oauth-sign-in, loans-missing, loans-old, loans-unreadable, loans-error, rows, repeated, unmatched
	Text string // in the report's language
}

// QueueHealth is the queue's health when the report was made.
type QueueHealth struct {
	Waiting   int
	Oldest    time.Time // the oldest waiting file's time; zero if none
	Deferred  int       // this instance's files waiting for a retry
	Bad       int
	Unmatched int       // files no [spool] pattern takes, there for [spool] settle at least
	LastSent  time.Time // zero if never
	Err       string    // the folder could not be read: why
}

// RelayHealth is the relay's health as the running gateway recorded it in
// the data folder (package health): the chain that most needs attention.
type RelayHealth struct {
	health.Relay
	// Recorded is false when no gateway of this instance has recorded
	// it; Err then says why the record could not be read, if it exists.
	Recorded bool
	Err      string
	Path     string // the record's file
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
	Failures []Failure // as many as Total.Failed, oldest first
	Bounces  *Bounces  // what came back to the return path; nil when nothing did
	Queue    QueueHealth
	Running  bool // this instance's gateway was running when the report was made
	Relay    RelayHealth
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
	code, ok := lang.Parse(cfg.Log.Language)
	if !ok {
		code = "en"
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
		Day: start, Lang: code, Made: now, Host: host, Running: !in.NotRunning,
		Figures: map[string]*Counts{}, Notices: in.Notices,
		cfg: cfg, loc: loc, t: languages[code], journal: in.Journal,
	}

	var recs, deferred []journal.Record
	if j := in.Journal; j != nil {
		// From the day's start with no end: a message whose last event
		// came later may have recipients whose outcome fell on the day.
		var err error
		if recs, err = j.Query(journal.Filter{Since: start}); err != nil {
			return nil, fmt.Errorf("daily log: %w", err)
		}
		if deferred, err = j.Query(journal.Filter{Status: journal.StatusDeferred}); err != nil {
			return nil, fmt.Errorf("daily log: %w", err)
		}
		if r.Queue.LastSent, err = j.LastSent(); err != nil {
			return nil, fmt.Errorf("daily log: %w", err)
		}
	}
	f := r.readFolder(start)
	r.tally(recs, f.bad, start, end)
	r.readBounces(start, end)
	r.failovers(recs, start, end)
	r.relayHealth()
	r.certificates(ctx)
	r.secrets()
	r.loansExport()
	if n := in.Notices; n != nil {
		if n.LoansError != "" {
			r.warn("loans-error", r.t.LoansErr, n.LoansError)
		}
		if len(n.RowErrors) > 0 {
			r.warn("rows", r.plural(r.t.WRowErrors, len(n.RowErrors)), len(n.RowErrors))
		}
	}
	r.stuck(f.deferred, deferred)
	r.unmatched(f.unmatched)
	r.LogPath = filepath.Join(cfg.Spool.Data, logfile.Folder, logfile.Name(start))
	if fi, err := os.Stat(r.LogPath); err == nil && fi.Mode().IsRegular() {
		r.LogFile = r.LogPath
	}
	return r, nil
}

// relayHealth reads the relay's health as the gateway recorded it.
func (r *Report) relayHealth() {
	r.Relay.Path = filepath.Join(r.cfg.Spool.Data, health.FileName(r.cfg.Spool.Instance))
	rec, err := health.Read(r.cfg.Spool.Data, r.cfg.Spool.Instance)
	switch {
	case errors.Is(err, health.ErrNone):
	case err != nil:
		r.Relay.Err = err.Error()
	default:
		r.Relay.Relay, r.Relay.Recorded = rec.Worst(), true
	}
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

// failovers warns of the day's messages sent through a backup server.
func (r *Report) failovers(recs []journal.Record, start, end time.Time) {
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
		if rec.Status != journal.StatusSent || rec.Server == "" || isHead[rec.Server] || !within(rec.Time, start, end) {
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

// secrets warns of an OAuth2 client secret that expires within
// config.SecretWarning (30 days) or has expired, from each server's
// oauth_client_secret_expires (no token tells when its secret expires),
// and of a refresh-token sign-in that must be renewed because its file
// cannot be read (missing, empty, unreadable). The token is read only to
// know that it is there; nothing of it is written.
func (r *Report) secrets() {
	for _, s := range r.cfg.EveryServer() {
		if s.Auth != config.AuthOAuth2 {
			continue
		}
		if f := s.OAuth.RefreshTokenFile; f != "" {
			if _, err := oauth.ReadRefreshToken(f); err != nil {
				r.warn("oauth-sign-in", r.t.WSignIn, label(s), f, oneLine(err.Error()), r.loginCommand(s))
			}
		}
		at, soon := s.OAuth.SecretExpiresSoon(r.Made)
		switch {
		case !soon:
		case !at.After(r.Made):
			r.warn("oauth-secret-expired", r.t.WSecretExpired, label(s), r.date(at))
		default:
			r.warn("oauth-secret", r.t.WSecretSoon, label(s), r.date(at), r.days(at.Sub(r.Made)))
		}
	}
}

// loginCommand is the command that signs s in again.
func (r *Report) loginCommand(s *config.Server) string {
	c := "spoolgate oauth login --config " + r.cfg.File
	if s != r.cfg.SMTP && s.Name != "smtp" {
		c += " --smtp " + s.Name
	}
	return c
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
	case r.Made.Sub(fi.ModTime()) > loans.MaxAge:
		r.warn("loans-old", r.t.WLoansOld, o.Loans, r.dateTime(fi.ModTime()))
	}
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
