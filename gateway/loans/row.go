package loans

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// rowReader turns records into loans.
type rowReader struct {
	idx   [numCols]int
	width int // the header's field count
	loc   *time.Location
	units map[string]string // unit values, which repeat
	langs map[string]string // raw language value → normalized

	lastEmail string // the last address found valid; rows come by patron
}

// maxIntern bounds the interning table, so that a file of all-different
// values does not keep a second copy of each.
const maxIntern = 4096

// row reads one record. It returns the loan, or a bad row, or skip for a row
// whose fields are all empty.
func (rd *rowReader) row(rec []string, line int) (l Loan, bad *RowError, skip bool) {
	if allEmpty(rec) {
		return Loan{}, nil, true
	}
	field := func(c int) string {
		if i := rd.idx[c]; i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	l = Loan{Line: line, PatronID: field(colPatronID)}
	if n := len(rec); n != rd.width {
		extra := n > rd.width
		if extra {
			extra = !allEmpty(rec[rd.width:])
		}
		if n < rd.width || extra {
			return Loan{}, &RowError{Line: line, PatronID: printable(l.PatronID), Reason: fieldCountReason(n, rd.width)}, false
		}
	}
	var problems []string
	if l.PatronID == "" {
		problems = append(problems, "no patron_id")
	}
	l.PatronName = field(colPatronName)
	l.Notify = true
	if rd.idx[colNotify] >= 0 {
		v := field(colNotify)
		n, ok := parseNotify(v)
		if !ok {
			problems = append(problems, fmt.Sprintf("notify %q is not yes or no", clip(v)))
		}
		l.Notify = n
	}
	for _, a := range []struct {
		col int
		dst *string
	}{{colEmail, &l.Email}, {colGuardianEmail, &l.GuardianEmail}} {
		v := field(a.col)
		if v == "" || v == rd.lastEmail || validAddress(v) {
			*a.dst = v
			if v != "" {
				rd.lastEmail = v
			}
			continue
		}
		// An address that is not used does not spoil the row.
		if l.Notify {
			problems = append(problems, addressProblem(columnNames[a.col], v))
		}
	}
	l.Language = rd.internLanguage(field(colLanguage))
	l.Unit = rd.internString(field(colUnit))
	l.Barcode = field(colBarcode)
	l.Title = field(colTitle)
	l.Author = field(colAuthor)
	if l.Title == "" && l.Barcode == "" {
		problems = append(problems, "no title and no barcode")
	}
	due := field(colDue)
	t, hasTime, problem := parseDue(due, rd.loc)
	if problem != "" {
		problems = append(problems, problem)
	}
	l.Due, l.DueHasTime = t, hasTime
	if len(problems) > 0 {
		return Loan{}, &RowError{Line: line, PatronID: printable(l.PatronID), Reason: strings.Join(problems, "; ")}, false
	}
	return l, nil, false
}

func fieldCountReason(n, want int) string {
	if n < want {
		return fmt.Sprintf("%d fields where the header has %d (a field or a delimiter is missing)", n, want)
	}
	return fmt.Sprintf("%d fields where the header has %d (a delimiter inside a field that is not quoted?)", n, want)
}

func allEmpty(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func (rd *rowReader) internString(s string) string {
	if v, ok := rd.units[s]; ok {
		return v
	}
	if len(rd.units) < maxIntern {
		s = strings.Clone(s) // not the whole record's memory
		rd.units[s] = s
	}
	return s
}

func (rd *rowReader) internLanguage(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := rd.langs[s]; ok {
		return v
	}
	v := strings.ReplaceAll(strings.ToLower(s), "_", "-")
	if len(rd.langs) < maxIntern {
		v = strings.Clone(v)
		rd.langs[strings.Clone(s)] = v
	}
	return v
}

// parseNotify reads the notify column. Empty means not opted out.
func parseNotify(s string) (notify, ok bool) {
	switch strings.ToLower(s) {
	case "", "yes", "y", "1", "true", "t", "on", "ja", "j", "tak", "ano", "a", "да", "д":
		return true, true
	case "no", "n", "0", "false", "f", "off", "nej", "nei", "nie", "ne", "нет", "н":
		return false, true
	}
	return true, false
}

// validAddress reports whether s is one plain address, like
// anna@example.org.
func validAddress(s string) bool {
	if !strings.Contains(s, "@") || strings.ContainsAny(s, " \t\r\n<>,;\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// addressProblem says why v is not a plain address.
func addressProblem(col, v string) string {
	if a, err := mail.ParseAddress(v); err == nil {
		return fmt.Sprintf("%s %q is not just an address; the column must hold only %s", col, clip(v), clip(a.Address))
	}
	if strings.ContainsAny(v, ",;") {
		return fmt.Sprintf("%s %q is not one e-mail address; the column holds one address", col, clip(v))
	}
	return fmt.Sprintf("%s %q is not an e-mail address", col, clip(v))
}

// parseDue reads the due column; problem is non-empty when it cannot.
func parseDue(s string, loc *time.Location) (t time.Time, hasTime bool, problem string) {
	if s == "" {
		return time.Time{}, false, "no due date"
	}
	bad := func() (time.Time, bool, string) {
		return time.Time{}, false, fmt.Sprintf("due %q is not a date; write YYYY-MM-DD, DD.MM.YYYY or an ISO date-time such as 2026-12-01T17:00", clip(s))
	}
	// The common case, without time.Parse: YYYY-MM-DD.
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if !ok1 || !ok2 || !ok3 {
			return bad()
		}
		return date(y, m, d, loc, s)
	}
	if len(s) == 10 && s[4] == '/' && s[7] == '/' {
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if ok1 && ok2 && ok3 {
			return date(y, m, d, loc, s)
		}
		return bad()
	}
	if strings.Contains(s, "/") {
		return time.Time{}, false, fmt.Sprintf("due %q is ambiguous (day/month or month/day?); the export must write dates as YYYY-MM-DD or DD.MM.YYYY", clip(s))
	}
	if len(s) > 10 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') {
		n := s[:10] + "T" + s[11:]
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00"} {
			if t, err := time.Parse(layout, n); err == nil {
				return checkYear(t.In(loc), true, s)
			}
		}
		for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
			if t, err := time.ParseInLocation(layout, n, loc); err == nil {
				return checkYear(t, true, s)
			}
		}
		return bad()
	}
	if strings.Contains(s, ".") {
		if t, err := time.ParseInLocation("2.1.2006", s, loc); err == nil {
			return checkYear(t, false, s)
		}
		for _, layout := range []string{"2.1.2006 15:04:05", "2.1.2006 15:04"} {
			if t, err := time.ParseInLocation(layout, s, loc); err == nil {
				return checkYear(t, true, s)
			}
		}
	}
	return bad()
}

func date(y, m, d int, loc *time.Location, s string) (time.Time, bool, string) {
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
	if m < 1 || m > 12 || d < 1 || t.Day() != d || t.Month() != time.Month(m) {
		return time.Time{}, false, fmt.Sprintf("due %q is not a date in the calendar", clip(s))
	}
	return checkYear(t, false, s)
}

func checkYear(t time.Time, hasTime bool, s string) (time.Time, bool, string) {
	if t.Year() < 1900 || t.Year() > 9999 {
		return time.Time{}, false, fmt.Sprintf("due %q is not a plausible due date", clip(s))
	}
	return t, hasTime, ""
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// clip shortens a value quoted in a reason.
func clip(s string) string {
	const most = 60
	if len(s) <= most {
		return s
	}
	i := most
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}

// printable is a patron id fit for a one-line reason.
func printable(s string) string {
	return clip(strings.Join(strings.Fields(s), " "))
}
