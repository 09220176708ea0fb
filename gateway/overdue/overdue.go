// Package overdue is the morning scan: it reads the library system's loans
// export, decides which patrons get a notice for a day, and queues each
// notice as a message file in the queue folder, where the gateway relays it
// like any file the ILS drops (rate limit, retries, failover, journal).
//
// # What is sent
//
// Dates are calendar dates in cfg.Service.Location; a due date-time counts
// as its date. For the scan day D a loan due on date d gets
//
//	a warning   when d = D + [overdue] warning_days
//	an overdue  when d = D - [overdue] overdue_days
//	a reminder  when d = D - [overdue] reminder_days
//
// and a setting of 0 turns that kind off. Daylight-saving changes do not
// matter: the arithmetic is on dates, not hours.
//
// A patron gets one message per kind, listing all their items of that kind.
// Loans of different configured units go out as separate messages (each
// from its own unit), as do rows that give different addresses. The
// recipient is the patron, the guardian (when the row has a guardian_email;
// else the patron) or both on one message, by [overdue] recipient. A
// patron with notify off, or without an address for the chosen recipient,
// gets no mail: the notice is in Result.Skipped ("to print or phone").
//
// The row's unit selects [unit.NAME] (case-insensitive, config.UnitFor):
// its from, from_name, return_path, language and contact, falling back to
// [message] and [overdue] language as UnitFor says; the file carries
// X-Spoolgate-Unit: NAME, so the gateway sends it through the unit's relay
// chain and adds the unit's copy_to. The notice names the unit as the row
// writes it. The language is the row's when spoolgate has it, else the
// unit's, else [overdue] language. When the envelope sender (return_path)
// differs from From, the file starts with an X-Sender line, which the
// gateway uses as the envelope sender and removes. Patron data cannot add
// a header or a line: package notice makes it single lines, and file names
// keep only [A-Za-z0-9_-] of a patron id.
//
// Files are named notice-YYYYMMDD-KIND-PATRON-HASH.eml (the extension is
// .eml when [spool] pattern takes it, else that of the first "*.ext"
// pattern) and written atomically (spool.WriteFile). The Message-ID is
// derived from the notice's keys, so a notice written again keeps it.
//
// # No duplicates, no losses
//
// A notice is identified by its key: patron id, item (the barcode, or the
// title when the row has none), kind and due date. notices.db in the data
// folder (SQLite, WAL, synchronous=FULL) holds every key queued, and the
// scans that completed. A key is queued at most once, whatever runs again:
// a second scan the same day, a restart, a manual `spoolgate overdue`, or
// two of them at once (keys are inserted in an immediate transaction; a key
// another scan inserted first is taken out of this scan's message).
//
// Each batch of messages is queued in three steps:
//  1. one transaction records the keys and, in the outbox table, each
//     file's name and complete bytes;
//  2. the files are written atomically into the queue folder (fsynced);
//  3. their outbox rows are deleted.
//
// A scan holds the state lock (notices.db.lock, a system file lock) shared
// from step 1 to step 3 of each batch, and exclusively while it recovers
// (below): so outbox rows that a recovery sees belong to a scan that died,
// never to one still writing them.
//
// A crash after step 1 leaves outbox rows. Before anything else, the next
// scan looks for each one's file: under its name or a later state (claimed,
// deferred, .BAD) in the queue folder, or in the journal (the gateway
// removes a sent file only after its journal record is committed). Found:
// the row is deleted. Not found: the file is written again from the stored
// bytes, with the same name and Message-ID. The keys were committed before
// the file existed, so no other scan can queue the notice again, and the
// stored bytes mean it is never lost. A pending notice that has meanwhile
// gone stale (below) is dropped and reported instead.
//
// # Catch-up
//
// A scan for D also covers the days after the last completed scan before
// D, so a notice whose day was missed entirely (spoolgate was stopped, the
// machine off, the export missing) goes out once, late. It is not sent,
// and is reported in Result.Dropped with the reason, when it has gone
// stale: its day is more than [overdue] stale_after before D; or it is a
// warning for an item already past due on D; or a later notice of the
// same loan goes out in the same scan (the reminder replaces a missed
// overdue notice). So after a closure spoolgate never mails a backlog at
// once. The first scan ever covers D alone. A completed scan is recorded;
// a scan whose loans export cannot be read is not (the next one catches
// up), but its error is kept for Recorded.
//
// Keys whose due date is more than the longest notice offset plus
// stale_after plus 90 days in the past are purged; such a loan can no
// longer produce a notice that is not stale, even for a manual scan of a
// date up to 90 days back.
//
// # Errors
//
// A loans export that is missing or unreadable is Result.LoansError, with a
// nil error, so that the daily log can report it; so is one that is not a
// regular file (a symbolic link, a named pipe, a device: refused at once,
// see loans.EachFile) or larger than loans.MaxFileSize. Bad rows are
// Result.RowErrors (the first loans.MaxRowErrors; Result.BadRows counts
// them all); the good rows are processed. Scan returns an error for
// what stops the whole scan: a setting Check finds wrong ([overdue.columns],
// the templates; *config.Error values wrapping config.ErrConfig), the spool
// patterns, the state database, a file that cannot be written (its notices
// stay pending in the outbox and are written by the next scan). It never
// panics on any export.
//
// # Memory
//
// The export is streamed (loans.EachFile): a row that reaches no trigger
// in the covered days is dropped as soon as it is read, and one that does
// is kept as a compact copy of the few fields a notice needs. So the
// scan's memory grows with the notices of the day, not with the export:
// BenchmarkScan1M measures a 1,000,000-loan export.
package overdue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/loans"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/spool"
)

// StateFile is the state database's file name in the data folder.
const StateFile = "notices.db"

// journalFile is the gateway's journal in the data folder
// (gateway.JournalFile; that package imports this one).
const journalFile = "journal.db"

// The reasons a notice is skipped: the patron is one to print or phone.
const (
	ReasonNoAddress = "no e-mail address"
	ReasonNotifyOff = "notices turned off"
)

// Options are the knobs of one scan.
type Options struct {
	// DryRun computes everything and writes nothing: no file, no change
	// to the state database (which is not even created).
	DryRun bool
	// Now stamps the messages' Date and the state records; nil is
	// time.Now.
	Now func() time.Time
	// Log receives the scan's own messages; nil discards them.
	Log *slog.Logger
	// Journal is the gateway's open journal, used after a crash to tell
	// whether a pending notice's file was already relayed. nil: the data
	// folder's journal.db is opened when needed.
	Journal Journal
	// Notices are the templates to write with: the set Check returned,
	// e.g. when the service started, so that a template edited since then
	// is not read until the next start. nil: Scan calls Check itself and
	// stops with its error. Either way Scan checks [overdue.columns].
	Notices *notice.Set

	// hook, in tests, is called at each step of queuing a batch:
	// "composed" (before the keys are recorded), "pending" (after), and
	// "written" (after the files are written). An error stops the scan
	// there, as a crash would.
	hook func(stage string) error
}

// Journal is what Scan needs of the gateway's journal.
type Journal interface {
	Query(journal.Filter) ([]journal.Record, error)
}

// Item is one loan in a notice.
type Item struct {
	Title   string
	Author  string
	Barcode string
	Due     time.Time // in cfg.Service.Location
	Line    int       // the row's line in the export
}

// Planned is a notice queued (or, in a dry run, that would be).
type Planned struct {
	Kind       string   // warning, overdue or reminder
	PatronID   string   //
	PatronName string   // as the export has it (may hold any characters)
	To         []string // the recipients' addresses
	Unit       string   // the [unit.NAME] NAME, "" when none applies
	Language   string   // the language it is written in
	Items      []Item   // the patron's items of this kind, by due date
	File       string   // its file name in the queue folder
	// For is the day the notice was due to go out: Day, or an earlier day
	// missed entirely when it is sent late.
	For time.Time
	// Recovered: written at this scan from the outbox, after an earlier
	// scan was interrupted between recording and writing it.
	Recovered bool `json:",omitempty"`
}

// Skipped is a notice not mailed: the patron is to be written to on paper
// or phoned.
type Skipped struct {
	Kind       string
	PatronID   string
	PatronName string
	Unit       string // the row's unit, as in the export
	Items      []Item
	Reason     string // ReasonNoAddress or ReasonNotifyOff
}

// Dropped is a notice not sent because it came too late, with the reason.
type Dropped struct {
	Kind       string
	PatronID   string
	PatronName string
	Items      []Item
	For        time.Time // the day it was due to go out
	Reason     string    // plain words, for the librarian
}

// Count is one kind's figures.
type Count struct {
	Queued  int // notices (messages) queued
	Items   int // loans in the queued notices
	Skipped int // notices to print or phone
	Dropped int // notices dropped as stale
}

// Result is what a scan did (or, in a dry run, would do).
type Result struct {
	Day    time.Time // the scan's date, midnight in cfg.Service.Location
	From   time.Time // the first day covered: Day, or earlier when catching up
	DryRun bool

	Queued  []Planned
	Skipped []Skipped
	Dropped []Dropped
	Counts  map[string]Count // by kind; every kind is present

	Loans      int              // loans read from the export
	LoansTime  time.Time        // the export's modification time (how fresh it is)
	RowErrors  []loans.RowError // bad rows, by line: the first loans.MaxRowErrors
	BadRows    int              // how many bad rows there were in all (len(RowErrors) or more)
	Warnings   []string         // about the export or the units, for the daily log
	LoansError error            // the export could not be read; nothing else was done but recovery
}

// Scan runs the scan for day: the date day.Date() gives, in
// cfg.Service.Location (pass now.In(cfg.Service.Location)). See the
// package comment for what it does.
func Scan(ctx context.Context, cfg *config.Config, day time.Time, opts Options) (*Result, error) {
	s, err := newScanner(cfg, day, opts)
	if err != nil {
		return nil, err
	}
	res := s.res
	defer s.finish() // the counts are right whatever the return
	st, err := openStore(filepath.Join(cfg.Spool.Data, StateFile), opts.DryRun)
	if err != nil {
		return nil, err
	}
	defer st.close()

	if !opts.DryRun {
		unlock, err := lockState(ctx, s.lockPath(), true, func() {
			s.log.Info("waiting for another overdue scan to finish writing its notices to the queue")
		})
		if err != nil {
			return res, err
		}
		err = s.recoverOutbox(ctx, st)
		unlock()
		if err != nil {
			return res, err
		}
	}
	last, ok, err := st.lastBefore(s.day)
	if err != nil {
		return res, err
	}
	if ok && last.AddDate(0, 0, 1).Before(s.day) {
		res.From = last.AddDate(0, 0, 1)
	}

	// The export is streamed: only the loans that reach a trigger in the
	// covered days are kept (see consider), so memory does not grow with
	// the export's size.
	s.startPlan()
	rows := 0
	lr, err := loans.EachFile(cfg.Overdue.Loans, loans.Options{
		Charset:   cfg.Overdue.Charset,
		Encoding:  cfg.Overdue.Encoding,
		Delimiter: cfg.Overdue.Delimiter,
		Columns:   cfg.Overdue.ColumnMap(),
		Location:  s.loc,
	}, func(l loans.Loan) error {
		if rows++; rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s.consider(&l)
		return nil
	})
	if err != nil && ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err != nil {
		s.cands = nil
		if cfg.Overdue.Loans == "" {
			err = errors.New("[overdue] loans does not name the loans export")
		}
		res.LoansError = err
		s.finish()
		s.log.Error("the loans export cannot be read; no notices were queued", "error", err)
		if !opts.DryRun {
			if err := st.recordRun(s.day, res, false, s.now()); err != nil {
				return res, err
			}
		}
		return res, nil
	}
	res.Loans = lr.Loaded
	if fi, err := os.Lstat(cfg.Overdue.Loans); err == nil {
		res.LoansTime = fi.ModTime()
	}
	res.RowErrors = lr.Errors
	res.BadRows = lr.BadRows
	res.Warnings = append(res.Warnings, lr.Warnings...)
	if lr.BadRows > 0 {
		s.log.Warn("bad rows in the loans export were left out", "rows", lr.BadRows, "first", lr.Errors[0].String())
	}

	groups, err := s.plan(st)
	if err != nil {
		return res, err
	}
	if err := s.queue(ctx, st, groups); err != nil {
		return res, err
	}
	s.finish()
	if !opts.DryRun {
		if err := st.recordRun(s.day, res, true, s.now()); err != nil {
			return res, err
		}
		if err := st.purge(s.day.AddDate(0, 0, -s.keepDays())); err != nil {
			s.log.Warn("cannot purge old notice records", "error", err)
		}
	}
	c := res.total()
	s.log.Info("overdue scan", "day", s.day.Format(dateLayout), "from", res.From.Format(dateLayout),
		"queued", c.Queued, "skipped", c.Skipped, "dropped", c.Dropped, "bad_rows", res.BadRows, "dry_run", opts.DryRun)
	return res, nil
}

// total sums the counts of every kind.
func (r *Result) total() Count {
	var t Count
	for _, c := range r.Counts {
		t.Queued += c.Queued
		t.Items += c.Items
		t.Skipped += c.Skipped
		t.Dropped += c.Dropped
	}
	return t
}

// LastRun returns the date of the last completed scan (midnight in
// cfg.Service.Location), and false when no scan has completed yet. The
// scheduler runs the scan at start when today's is missing.
func LastRun(cfg *config.Config) (time.Time, bool, error) {
	st, err := openStore(filepath.Join(cfg.Spool.Data, StateFile), true)
	if err != nil {
		return time.Time{}, false, err
	}
	defer st.close()
	d, ok, err := st.last()
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	return inLocation(d, location(cfg)), true, nil
}

// Recorded returns what the scans of day queued, skipped and dropped, as
// recorded in the state database, for the daily log: Queued holds every
// notice the day's scans queued; Skipped, Dropped, RowErrors and Warnings
// are the last scan's. When the day's scans all failed to read the loans
// export, LoansError holds the last one's error (as text). It returns nil
// when no scan of day was recorded.
func Recorded(cfg *config.Config, day time.Time) (*Result, error) {
	st, err := openStore(filepath.Join(cfg.Spool.Data, StateFile), true)
	if err != nil {
		return nil, err
	}
	defer st.close()
	return st.recorded(civil(day), location(cfg))
}

// dateLayout is how dates are stored and logged.
const dateLayout = "2006-01-02"

// civil returns t's date (in t's own location) as midnight UTC, on which
// day arithmetic is exact.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// inLocation returns the civil date d as midnight in loc.
func inLocation(d time.Time, loc *time.Location) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

func location(cfg *config.Config) *time.Location {
	if cfg.Service.Location != nil {
		return cfg.Service.Location
	}
	return time.Local
}

// scanner is one scan's state.
type scanner struct {
	cfg   *config.Config
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	loc   *time.Location
	day   time.Time // civil
	set   *notice.Set
	sp    *spool.Spool // names and writes the notice files
	stale time.Duration
	res   *Result

	units  map[string]*unitInfo // by the row's unit, lower case; used by plan alone
	trigs  []trig               // the kinds of notice this scan sends, with their offsets
	cands  []cand               // the loans that reach a trigger in the covered days
	minDue time.Time            // civil: the earliest due date among cands
	maxDue time.Time            // civil: the latest
	jrnl   Journal
	jclose func()
}

func newScanner(cfg *config.Config, day time.Time, opts Options) (*scanner, error) {
	if cfg == nil {
		return nil, errors.New("overdue: no config")
	}
	s := &scanner{cfg: cfg, opts: opts, log: opts.Log, now: opts.Now, loc: location(cfg), day: civil(day),
		units: map[string]*unitInfo{}, stale: cfg.Overdue.StaleAfter}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.stale <= 0 {
		s.stale = 48 * time.Hour
	}
	if cfg.Spool.Data == "" {
		return nil, errors.New("overdue: [spool] data names no folder for the notice records")
	}
	if cfg.Spool.Folder == "" {
		return nil, errors.New("overdue: [spool] folder names no queue folder")
	}
	if !opts.DryRun {
		// As gateway.New does: a manual scan before the first start works.
		if err := spool.MakeFolder(cfg.Spool.Folder, 0o770); err != nil {
			return nil, fmt.Errorf("overdue: create the queue folder: %w", err)
		}
	}
	if cfg.Message.From == "" {
		return nil, errors.New("overdue: [message] from is not set; notices need a sender")
	}
	switch cfg.Overdue.Recipient {
	case "", config.RecipientPatron, config.RecipientGuardian, config.RecipientBoth:
	default:
		return nil, fmt.Errorf("overdue: [overdue] recipient = %q: want patron, guardian or both", cfg.Overdue.Recipient)
	}
	s.set = opts.Notices
	if s.set == nil {
		set, err := Check(cfg)
		if err != nil {
			return nil, err // positioned *config.Errors, as Load's
		}
		s.set = set
	} else if errs := checkColumns(cfg); len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	s.sp = spool.New(spool.Options{Dir: cfg.Spool.Folder, Patterns: cfg.Spool.Patterns, Instance: cfg.Spool.Instance})
	if sample := "notice-20260101-warning-0-0123456789"; s.sp.NameFor(sample, ".eml") == "" {
		return nil, fmt.Errorf("overdue: no [spool] pattern (%s) gives a file name for a notice such as %s.eml, so the gateway would never send one; add *.eml to pattern",
			strings.Join(cfg.Spool.Patterns, ", "), sample)
	}
	s.res = &Result{Day: inLocation(s.day, s.loc), From: inLocation(s.day, s.loc), DryRun: opts.DryRun, Counts: map[string]Count{}}
	for _, k := range notice.Kinds() {
		s.res.Counts[k] = Count{}
	}
	return s, nil
}

// keepDays is how long keys are kept after their due date.
func (s *scanner) keepDays() int {
	o := s.cfg.Overdue
	longest := max(o.WarningDays, o.OverdueDays, o.ReminderDays, 0)
	return longest + int(s.stale/(24*time.Hour)) + 1 + 90
}

// finish fills in the counts and sorts the lists.
func (s *scanner) finish() {
	r := s.res
	for k := range r.Counts {
		r.Counts[k] = Count{}
	}
	for _, p := range r.Queued {
		c := r.Counts[p.Kind]
		c.Queued++
		c.Items += len(p.Items)
		r.Counts[p.Kind] = c
	}
	for _, p := range r.Skipped {
		c := r.Counts[p.Kind]
		c.Skipped++
		r.Counts[p.Kind] = c
	}
	for _, p := range r.Dropped {
		c := r.Counts[p.Kind]
		c.Dropped++
		r.Counts[p.Kind] = c
	}
	sort.SliceStable(r.Queued, func(i, j int) bool {
		a, b := r.Queued[i], r.Queued[j]
		if a.PatronID != b.PatronID {
			return a.PatronID < b.PatronID
		}
		if kindOrder(a.Kind) != kindOrder(b.Kind) {
			return kindOrder(a.Kind) < kindOrder(b.Kind)
		}
		return a.File < b.File
	})
	sort.SliceStable(r.Skipped, func(i, j int) bool {
		a, b := r.Skipped[i], r.Skipped[j]
		if a.PatronID != b.PatronID {
			return a.PatronID < b.PatronID
		}
		return kindOrder(a.Kind) < kindOrder(b.Kind)
	})
	sort.SliceStable(r.Dropped, func(i, j int) bool {
		a, b := r.Dropped[i], r.Dropped[j]
		if a.PatronID != b.PatronID {
			return a.PatronID < b.PatronID
		}
		if kindOrder(a.Kind) != kindOrder(b.Kind) {
			return kindOrder(a.Kind) < kindOrder(b.Kind)
		}
		return a.For.Before(b.For)
	})
}

func kindOrder(k string) int {
	switch k {
	case notice.Warning:
		return 0
	case notice.Overdue:
		return 1
	case notice.Reminder:
		return 2
	}
	return 3
}

// oneLine makes s a single line for plain-text output.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || (r >= 0x80 && r < 0xa0)
	}), " ")
}
