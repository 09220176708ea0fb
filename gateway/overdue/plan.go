package overdue

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/lang"
	"github.com/spoolgate/spoolgate/gateway/loans"
	"github.com/spoolgate/spoolgate/gateway/notice"
)

// key identifies a notice: patron, item, kind and due date.
type key struct{ patron, item, kind, due string }

func (k key) id() string { return k.patron + "\x00" + k.item + "\x00" + k.kind + "\x00" + k.due }

// cand is a loan that reached a trigger on a covered day.
type cand struct {
	loan    *entry
	kind    string
	due     time.Time // civil
	trigger time.Time // civil: the day the notice was due to go out
}

// key is the notice's key.
func (c *cand) key() key {
	return key{patron: c.loan.PatronID(), item: itemOf(c.loan), kind: c.kind, due: c.due.Format(dateLayout)}
}

// itemOf is the item part of a loan's key: the barcode, or the title when
// the row has none.
func itemOf(l *entry) string {
	if b := l.Barcode(); b != "" {
		return b
	}
	return l.Title()
}

// entry is a loan that reached a trigger, as the scan keeps it: the row's
// text fields in one string of their own, cut at ends, and its due
// instant in seconds. It takes about a third of a loans.Loan, and none of
// the row's other columns.
type entry struct {
	text    string
	ends    [numFields]uint32
	due     int64 // Unix seconds
	line    int32
	hasTime bool
	notify  bool
}

// The text fields of an entry, in the order of its text.
const (
	fPatronID = iota
	fPatronName
	fEmail
	fGuardianEmail
	fLanguage
	fUnit
	fBarcode
	fTitle
	fAuthor
	numFields
)

// compact makes the entry of a row.
func compact(row *loans.Loan) *entry {
	fields := [numFields]string{row.PatronID, row.PatronName, row.Email, row.GuardianEmail, row.Language,
		row.Unit, row.Barcode, row.Title, row.Author}
	n := 0
	for _, f := range fields {
		n += len(f)
	}
	var b strings.Builder
	b.Grow(n)
	e := &entry{due: row.Due.Unix(), line: int32(row.Line), hasTime: row.DueHasTime, notify: row.Notify}
	for i, f := range fields {
		b.WriteString(f)
		e.ends[i] = uint32(b.Len())
	}
	e.text = b.String()
	return e
}

func (e *entry) field(i int) string {
	start := uint32(0)
	if i > 0 {
		start = e.ends[i-1]
	}
	return e.text[start:e.ends[i]]
}

func (e *entry) PatronID() string      { return e.field(fPatronID) }
func (e *entry) PatronName() string    { return e.field(fPatronName) }
func (e *entry) Email() string         { return e.field(fEmail) }
func (e *entry) GuardianEmail() string { return e.field(fGuardianEmail) }
func (e *entry) Language() string      { return e.field(fLanguage) }
func (e *entry) Unit() string          { return e.field(fUnit) }
func (e *entry) Barcode() string       { return e.field(fBarcode) }
func (e *entry) Title() string         { return e.field(fTitle) }
func (e *entry) Author() string        { return e.field(fAuthor) }

// Due is the due instant in loc.
func (e *entry) Due(loc *time.Location) time.Time { return time.Unix(e.due, 0).In(loc) }

// unitInfo is what a row's unit means for its notices.
type unitInfo struct {
	name       string // the [unit.NAME] NAME, "" when none applies
	display    string // the unit's name in the notice: its config.Unit DisplayName, or the row's text for a unit without a section
	from       string
	fromName   string
	returnPath string
	language   string
	contact    string
}

// unitFor resolves a row's unit with config.UnitFor, the one place for
// the fallback rules that the gateway applies to the unit's files too.
func (s *scanner) unitFor(text string) *unitInfo {
	k := strings.ToLower(strings.TrimSpace(text))
	if u, ok := s.units[k]; ok {
		return u
	}
	cu, ok := s.cfg.UnitFor(text)
	u := &unitInfo{display: strings.TrimSpace(text), from: cu.From, fromName: cu.FromName,
		returnPath: cu.ReturnPath, language: cu.Language, contact: cu.Contact}
	if ok {
		u.name, u.display = cu.Name, cmp.Or(cu.DisplayName, u.display)
	} else if k != "" {
		w := fmt.Sprintf("the loans export names the unit %q, which has no [unit.NAME] section; its notices go out with the [message] settings", u.display)
		s.res.Warnings = append(s.res.Warnings, w)
		s.log.Warn("a unit in the loans export is not configured; its notices use [message]", "unit", u.display)
	}
	if u.returnPath == "" {
		u.returnPath = u.from
	}
	s.units[k] = u
	return u
}

// recipients are the addresses a loan's notice goes to.
func (s *scanner) recipients(l *entry) []string {
	email, guardian := l.Email(), l.GuardianEmail()
	switch s.cfg.Overdue.Recipient {
	case config.RecipientGuardian:
		if guardian != "" {
			return []string{guardian}
		}
	case config.RecipientBoth:
		var out []string
		if email != "" {
			out = append(out, email)
		}
		if guardian != "" && !strings.EqualFold(guardian, email) {
			out = append(out, guardian)
		}
		return out
	}
	if email != "" {
		return []string{email}
	}
	return nil
}

// group is one message to be: a patron's items of one kind.
type group struct {
	kind  string
	first *entry // the patron's name and language come from here
	to    []string
	unit  *unitInfo
	lang  string
	cands []cand    // its own copies, so that the scan's list of every candidate can be freed
	from  time.Time // civil: the earliest day among the cands
}

// trig is a kind of notice and its offset: a loan due on d reaches it on
// d + off.
type trig struct {
	kind string
	off  int
}

// startPlan readies consider: the kinds of notice this scan sends.
func (s *scanner) startPlan() {
	o := s.cfg.Overdue
	s.trigs = s.trigs[:0]
	if o.WarningDays > 0 {
		s.trigs = append(s.trigs, trig{notice.Warning, -o.WarningDays})
	}
	if o.OverdueDays > 0 {
		s.trigs = append(s.trigs, trig{notice.Overdue, o.OverdueDays})
	}
	if o.ReminderDays > 0 {
		s.trigs = append(s.trigs, trig{notice.Reminder, o.ReminderDays})
	}
	s.cands = nil
}

// consider keeps the notices a loan reaches in the covered days, with a
// compact copy of the loan; a loan that reaches none is not kept. It is
// called for each row of the export as it is read.
func (s *scanner) consider(row *loans.Loan) {
	first := civil(s.res.From)
	due := civil(row.Due.In(s.loc))
	var l *entry
	for _, t := range s.trigs {
		at := due.AddDate(0, 0, t.off)
		if at.Before(first) || at.After(s.day) {
			continue
		}
		if l == nil {
			l = compact(row)
		}
		s.cands = append(s.cands, cand{loan: l, kind: t.kind, due: due, trigger: at})
		if s.minDue.IsZero() || due.Before(s.minDue) {
			s.minDue = due
		}
		if due.After(s.maxDue) {
			s.maxDue = due
		}
	}
}

// plan decides, for every notice consider kept, what becomes of it:
// already queued (ignored), dropped, skipped, or grouped into a message.
func (s *scanner) plan(st *store) ([]*group, error) {
	cands := s.cands
	s.cands = nil
	if len(cands) == 0 {
		return nil, nil
	}
	minDue, maxDue := s.minDue, s.maxDue
	known, err := st.known(minDue.Format(dateLayout), maxDue.Format(dateLayout))
	if err != nil {
		return nil, err
	}

	// Candidates in the order of their loan (patron, item, due date), then
	// of their trigger, then of their row: a loan's notices are next to
	// each other, so the latest of each loan and a row repeated in the
	// export are found without a map of every candidate.
	sort.Slice(cands, func(i, j int) bool {
		a, b := &cands[i], &cands[j]
		if pa, pb := a.loan.PatronID(), b.loan.PatronID(); pa != pb {
			return pa < pb
		}
		if ia, ib := itemOf(a.loan), itemOf(b.loan); ia != ib {
			return ia < ib
		}
		if !a.due.Equal(b.due) {
			return a.due.Before(b.due)
		}
		if !a.trigger.Equal(b.trigger) {
			return a.trigger.Before(b.trigger)
		}
		if a.loan.line != b.loan.line {
			return a.loan.line < b.loan.line
		}
		return kindOrder(a.kind) < kindOrder(b.kind)
	})
	sameLoan := func(a, b *cand) bool {
		return a.due.Equal(b.due) && a.loan.PatronID() == b.loan.PatronID() && itemOf(a.loan) == itemOf(b.loan)
	}

	groups := map[string]*group{} // the current patron's
	var out []*group
	flush := func() {
		for _, g := range groups {
			out = append(out, g)
		}
		clear(groups)
	}
	skipped := map[string]*Skipped{}
	dropped := map[string]*Dropped{}
	dayText := s.day.Format(dateLayout)
	drop := func(c *cand, reason string) {
		k := c.kind + "\x00" + c.loan.PatronID() + "\x00" + c.trigger.Format(dateLayout) + "\x00" + reason
		d := dropped[k]
		if d == nil {
			d = &Dropped{Kind: c.kind, PatronID: c.loan.PatronID(), PatronName: c.loan.PatronName(),
				For: inLocation(c.trigger, s.loc), Reason: reason}
			dropped[k] = d
		}
		d.Items = append(d.Items, s.item(c.loan))
	}
	skip := func(c *cand, reason string) {
		k := c.kind + "\x00" + c.loan.PatronID() + "\x00" + reason
		d := skipped[k]
		if d == nil {
			d = &Skipped{Kind: c.kind, PatronID: c.loan.PatronID(), PatronName: c.loan.PatronName(),
				Unit: strings.TrimSpace(c.loan.Unit()), Reason: reason}
			skipped[k] = d
		}
		d.Items = append(d.Items, s.item(c.loan))
	}
	var latest *cand // the latest notice of the current loan: it replaces earlier ones
	for i := range cands {
		c := &cands[i]
		if i == 0 || !sameLoan(c, &cands[i-1]) {
			// The loan's latest trigger is its last; the first row with it.
			end := i
			for end+1 < len(cands) && sameLoan(&cands[end+1], c) {
				end++
			}
			for end > i && cands[end-1].trigger.Equal(cands[end].trigger) {
				end--
			}
			latest = &cands[end]
		}
		if i > 0 && c.loan.PatronID() != cands[i-1].loan.PatronID() {
			flush()
		}
		if i > 0 && sameLoan(c, &cands[i-1]) && c.kind == cands[i-1].kind {
			continue // a row repeated in the export
		}
		if known[c.key().id()] {
			continue // queued before
		}
		l := c.loan
		to := s.recipients(l)
		mailable := l.notify && len(to) > 0
		switch {
		case s.day.Sub(c.trigger) > s.stale:
			drop(c, fmt.Sprintf("stale: it was due to go out on %s, more than %s (stale_after) before %s",
				c.trigger.Format(dateLayout), durationText(s.stale), dayText))
		case c.kind == notice.Warning && c.due.Before(s.day):
			drop(c, fmt.Sprintf("too late: the item was already past due on %s", dayText))
		case latest.trigger.After(c.trigger):
			if mailable {
				drop(c, fmt.Sprintf("replaced by the %s notice of the same loan", latest.kind))
			}
		case !l.notify:
			skip(c, ReasonNotifyOff)
		case len(to) == 0:
			skip(c, ReasonNoAddress)
		default:
			u := s.unitFor(l.Unit())
			gk := c.kind + "\x00" + u.name + "\x00" + strings.ToLower(strings.Join(to, ","))
			g := groups[gk]
			if g == nil {
				g = &group{kind: c.kind, first: l, to: to, unit: u, lang: s.language(l, u), from: c.trigger}
				groups[gk] = g
			}
			if l.line < g.first.line { // the patron's name and language come from the first row
				g.first, g.lang = l, s.language(l, u)
			}
			if c.trigger.Before(g.from) {
				g.from = c.trigger
			}
			g.cands = append(g.cands, *c)
		}
	}
	flush()
	byLine := func(items []Item) {
		sort.SliceStable(items, func(i, j int) bool { return items[i].Line < items[j].Line })
	}
	for _, d := range dropped {
		byLine(d.Items)
		s.res.Dropped = append(s.res.Dropped, *d)
	}
	for _, d := range skipped {
		byLine(d.Items)
		s.res.Skipped = append(s.res.Skipped, *d)
	}
	for _, g := range out {
		sort.Slice(g.cands, func(i, j int) bool { return lessItem(g.cands[i].loan, g.cands[j].loan) })
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.first.PatronID() != b.first.PatronID() {
			return a.first.PatronID() < b.first.PatronID()
		}
		if a.kind != b.kind {
			return kindOrder(a.kind) < kindOrder(b.kind)
		}
		if a.unit.name != b.unit.name {
			return a.unit.name < b.unit.name
		}
		return strings.Join(a.to, ",") < strings.Join(b.to, ",")
	})
	return out, nil
}

// lessItem orders a notice's items: by due date, then title and barcode.
func lessItem(a, b *entry) bool {
	if a.due != b.due {
		return a.due < b.due
	}
	if a.Title() != b.Title() {
		return a.Title() < b.Title()
	}
	return a.Barcode() < b.Barcode()
}

// language is the language of a row's notice: the row's when spoolgate
// has it, else the unit's, else the default.
func (s *scanner) language(l *entry, u *unitInfo) string {
	if c, ok := lang.Parse(l.Language()); ok {
		return c
	}
	if c, ok := lang.Parse(u.language); ok {
		return c
	}
	return s.set.DefaultLanguage()
}

func (s *scanner) item(l *entry) Item {
	return Item{Title: l.Title(), Author: l.Author(), Barcode: l.Barcode(), Due: l.Due(s.loc), Line: int(l.line)}
}

// durationText writes a duration in days or hours.
func durationText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return fmt.Sprintf("%g hours", d.Hours())
}
