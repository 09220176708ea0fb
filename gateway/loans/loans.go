// Package loans reads the loans export that the library system (the ILS)
// writes as a CSV file, for the morning overdue scan.
//
// # Columns
//
// The first non-empty line is the header. The default column names are
//
//	patron_id, patron_name, email, guardian_email, notify, language, unit, barcode, title, author, due
//
// in any order; other columns are ignored. Options.Columns maps a logical
// name (one of the above) to the name the export uses instead, e.g.
// {"due": "Förfallodatum"} (the [overdue.columns] section); a mapped column
// is found under its mapped name only. Header names match case-insensitively,
// with surrounding spaces and any byte order mark trimmed.
//
// Required columns: patron_id, email, title and due. Without one of them
// Read returns a *HeaderError that names the missing columns and quotes the
// header it found. The others are optional, and Result.Absent lists those
// that the file lacks. barcode is strongly recommended: without it an item
// can only be told apart by its title.
//
// # Values
//
// Every value is trimmed of surrounding spaces; otherwise it is kept as in
// the file, line breaks in quoted fields included, as "\n" (a composer must
// not put them into a header as they are).
//
//   - patron_id: must not be empty.
//   - email, guardian_email: empty, or one plain address (anna@example.org,
//     no display name). A Loan's Email and GuardianEmail are always either
//     empty or such an address. An invalid address makes the row bad when
//     notify is on; when notify is off the address is not used, so it is
//     dropped (set to "") and the row loads. A row with no email loads: its
//     patron is one to print or phone.
//   - notify: yes/no, y/n, 1/0, true/false, on/off and the words of the
//     library's languages, case-insensitive: ja/nej (sv), ja/nei (nb),
//     tak/nie (pl), ano/ne (cs), да/нет (ru). Empty, or no notify column at
//     all, means the patron has not opted out: true. Anything else makes
//     the row bad.
//   - language: lower-cased, "_" written "-" (sv_SE becomes sv-se); empty
//     when the row has none. It is not checked against a list: the scan
//     falls back to its default language.
//   - unit: as in the file (matching [unit.NAME] is the caller's business).
//   - title: may be empty only when the row has a barcode.
//   - due: YYYY-MM-DD (also YYYY/MM/DD), DD.MM.YYYY (as Nordic, Czech and
//     Polish exports write it; D.M.YYYY too), or a date-time: RFC 3339
//     (2026-12-01T17:00:00+01:00, Z), or YYYY-MM-DD HH:MM[:SS] or
//     YYYY-MM-DDTHH:MM[:SS] or DD.MM.YYYY HH:MM[:SS] without a zone, which are
//     local time. A date is midnight in Options.Location (time.Local when
//     nil) with DueHasTime false; a date-time is that instant, in
//     Options.Location, with DueHasTime true. DD/MM/YYYY and MM/DD/YYYY
//     cannot be told apart, so a date with slashes other than YYYY/MM/DD
//     makes the row bad, as does a year before 1900.
//
// # Bad rows
//
// A bad row (fewer fields than the header, or more unless the extra ones are
// empty as spreadsheets leave them; a CSV quoting error; a bad value above)
// becomes a RowError with the physical line on which the row starts and a
// plain reason, and reading goes on with the next row. A row whose fields
// are all empty is skipped silently. Result.Errors keeps the first
// MaxRowErrors bad rows, and Result.BadRows counts them all; a caller that
// shows them may shorten the list further.
//
// # Encodings and delimiters
//
// The file is UTF-8, with or without a byte order mark, unless the caller
// names a legacy code page (Options.Encoding, or Options.Charset looked up
// with htmlindex, e.g. windows-1252, windows-1250, windows-1251). A byte
// order mark wins over the configured charset: UTF-8, UTF-16LE and UTF-16BE
// (Excel's "Unicode text") are recognized by theirs, and UTF-16 without a
// mark by the zero bytes of its first two ASCII characters. When the file is
// read as UTF-8 and a row is not valid UTF-8, Read returns a *CharsetError,
// whose text tells the librarian to set [overdue] charset, unless an earlier
// row held valid non-ASCII UTF-8 (Å, ł, Я): then the file is UTF-8 and that
// row is a bad row. When a legacy code page
// is configured but the file's start is valid, non-ASCII UTF-8,
// Result.Warnings says so.
//
// The delimiter is Options.Delimiter, or else detected from the header line:
// the one of comma, semicolon and tab, outside quotes, that splits the header
// into the most known column names, then the most frequent. An Excel "sep=;"
// first line sets the delimiter and is skipped. Quoted fields may hold
// delimiters, line breaks and doubled quotes; a quote inside an unquoted
// field is a bad row (the strict CSV of RFC 4180).
//
// # Errors
//
// Read and ReadFile return an error, and no Result, only when the file as a
// whole cannot be used: it cannot be opened or read (the error wraps the
// os error, so errors.Is(err, fs.ErrNotExist) works), it is empty, its header
// lacks a required column (*HeaderError), it is not valid UTF-8
// (*CharsetError), or the options are wrong. They never panic on any input.
//
// # Hostile files and size
//
// ReadFile and EachFile open the export with package safefile: only a
// regular file is read. A symbolic link (even one to the real export), a
// named pipe, a device or a folder is refused at once with an error that
// wraps a *safefile.NotRegularError, names the file and tells the admin to
// point [overdue] loans at the export itself; nothing waits on a pipe, and
// nothing is read from a link's target. The export may hold at most
// MaxFileSize bytes, measured on the open file and counted again while it
// is read (a file that grows past it is refused too, with an error
// wrapping safefile.ErrTooLarge). One row may take at most MaxRowSize
// bytes of text, all its lines together: a longer one (a quoted field
// that is never closed, or a file that is not an export) is a bad row,
// and the rest of the file is not read, as the RowError says.
//
// # Memory
//
// The file is streamed: Each and EachFile hand each good loan to a
// function and keep none, so their memory does not grow with the file
// (the decoding buffers, one row, and at most MaxRowErrors bad rows).
// Read and ReadFile keep every loan in Result.Loans, and so grow with
// them; they are for small exports and tests.
package loans

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/spoolgate/spoolgate/spool/safefile"
)

// MaxAge is the age past which an export is old: the library system writes
// it every night. check and the daily log warn of an older one.
const MaxAge = 24 * time.Hour

// MaxFileSize is the largest export read, in bytes as stored: 2 GiB, some
// 20 million loans, ten times what a large library lends at once.
const MaxFileSize = 2 << 30

// MaxRowSize is the most text one row may take, all its lines together,
// in bytes of UTF-8: 1 MiB, a thousand times a typical row.
const MaxRowSize = 1 << 20

// MaxRowErrors is how many bad rows Result.Errors keeps, in file order;
// Result.BadRows counts them all.
const MaxRowErrors = 1000

// Options says how to read an export. The zero value reads UTF-8 (with or
// without a BOM), detects the delimiter, expects the default column names
// and reads dates in time.Local.
type Options struct {
	// Charset names the file's character set ([overdue] charset), e.g.
	// "windows-1252". Used, via htmlindex, when Encoding is nil, and in
	// messages. Empty means UTF-8.
	Charset string
	// Encoding decodes the file; it overrides Charset's lookup.
	Encoding encoding.Encoding
	// Delimiter separates fields; 0 means detect it from the header.
	Delimiter rune
	// Columns maps logical column names to the export's header names
	// ([overdue.columns]). See CheckColumns.
	Columns map[string]string
	// Location is the time zone of dates and of date-times without a zone;
	// nil means time.Local.
	Location *time.Location
}

// Loan is one row of the export.
type Loan struct {
	Line          int // physical line on which the row starts, from 1
	PatronID      string
	PatronName    string
	Email         string // "" or a plain address
	GuardianEmail string // "" or a plain address
	Language      string // lower case, "" when the row has none
	Unit          string
	Barcode       string
	Title         string
	Author        string
	Due           time.Time // midnight in Options.Location for a date
	DueHasTime    bool      // the export gave a time of day
	Notify        bool      // the patron's opt-in; true unless the row says no
}

// RowError is a row that was not loaded.
type RowError struct {
	Line     int    // physical line on which the row starts
	PatronID string // the row's patron_id, when it could be read
	Reason   string // plain words, for the librarian
}

func (e RowError) String() string {
	if e.PatronID != "" {
		return fmt.Sprintf("line %d (patron %s): %s", e.Line, e.PatronID, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// Result is what Read found.
type Result struct {
	Loans     []Loan     // every good loan, from Read and ReadFile; nil from Each and EachFile
	Loaded    int        // how many good loans were read (handed to Each's function)
	Errors    []RowError // the first MaxRowErrors bad rows
	BadRows   int        // how many bad rows there were in all
	Delimiter rune       // the delimiter used
	Charset   string     // the character set the file was read in, e.g. "utf-8", "utf-16le", "windows-1252"
	Header    []string   // the header as found, trimmed
	HeaderAt  int        // the header's line
	Absent    []string   // optional logical columns the header lacks, e.g. "barcode"
	Warnings  []string   // things the librarian should know although the file was read
}

// HeaderError says the header lacks required columns or names one twice.
type HeaderError struct {
	Path      string            // the file, when read with ReadFile
	Line      int               // the header's line
	Header    []string          // the header as found
	Missing   []string          // required logical columns not found
	Duplicate []string          // logical columns found more than once
	Mapped    map[string]string // Options.Columns, by logical name
}

func (e *HeaderError) Error() string {
	var b strings.Builder
	b.WriteString(prefix(e.Path) + ": ")
	name := func(col string) string {
		if h, ok := e.Mapped[col]; ok {
			return fmt.Sprintf("%s (%q in [overdue.columns])", col, h)
		}
		return col
	}
	if len(e.Missing) > 0 {
		b.WriteString("required column missing: ")
		for i, c := range e.Missing {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(name(c))
		}
	}
	if len(e.Duplicate) > 0 {
		if len(e.Missing) > 0 {
			b.WriteString("; ")
		}
		b.WriteString("column named more than once: ")
		for i, c := range e.Duplicate {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(name(c))
		}
	}
	fmt.Fprintf(&b, "; the header (line %d) has: ", e.Line)
	const most = 40
	for i, h := range e.Header {
		if i == most {
			fmt.Fprintf(&b, ", … (%d columns)", len(e.Header))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", h)
	}
	if len(e.Header) == 0 {
		b.WriteString("nothing")
	}
	return b.String()
}

// CharsetError says the file was read as UTF-8 but is not UTF-8.
type CharsetError struct {
	Path string // the file, when read with ReadFile
	Line int    // the first line that is not valid UTF-8
}

func (e *CharsetError) Error() string {
	return fmt.Sprintf("%s: line %d is not valid UTF-8; set [overdue] charset to the character set the ILS writes (for example charset = windows-1252)", prefix(e.Path), e.Line)
}

// ReadFile reads the export at path into Result.Loans. Its errors name the
// file. See EachFile for what it opens.
func ReadFile(path string, o Options) (*Result, error) {
	var c collector
	res, err := eachFile(path, o, c.add)
	if err != nil {
		return nil, err
	}
	res.Loans = c.loans
	return res, nil
}

// EachFile reads the export at path and calls fn with each good loan, in
// file order, keeping none itself; Result.Loans stays nil. It opens only a
// regular file (see the package comment), and its errors name the file.
// An error from fn stops the reading and is returned as it is. When
// EachFile returns an error, fn may have been called for rows before the
// problem: a caller that must act on the whole file or nothing waits for
// the return.
func EachFile(path string, o Options, fn func(Loan) error) (*Result, error) {
	return eachFile(path, o, func(l *Loan, _, _ int64) error { return fn(*l) })
}

func eachFile(path string, o Options, fn func(*Loan, int64, int64) error) (*Result, error) {
	f, fi, err := safefile.Open(path)
	var nr *safefile.NotRegularError
	switch {
	case errors.As(err, &nr):
		return nil, fmt.Errorf("%s is %s, not a regular file; set [overdue] loans to the export file itself (spoolgate follows no link there): %w",
			prefix(path), nr.Kind, err)
	case err != nil:
		return nil, fmt.Errorf("read the loans export: %w", err)
	}
	defer f.Close()
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a loans export may have: %w", prefix(path), fi.Size(), int64(MaxFileSize),
			&safefile.TooLargeError{Path: path, Size: fi.Size(), Max: MaxFileSize})
	}
	return read(&sizeLimit{r: f, path: path, left: MaxFileSize}, o, path, fi.Size(), fn)
}

// collector gathers the loans for Read and ReadFile.
type collector struct{ loans []Loan }

func (c *collector) add(l *Loan, offset, size int64) error {
	if len(c.loans) == sizeAfter && size > 0 {
		c.loans = presize(c.loans, size, offset)
	}
	c.loans = append(c.loans, *l)
	return nil
}

// sizeLimit reads r until it has given left bytes, and then fails with a
// *safefile.TooLargeError: the file grew past MaxFileSize while it was
// read.
type sizeLimit struct {
	r    io.Reader
	path string
	left int64
}

func (s *sizeLimit) Read(p []byte) (int, error) {
	if s.left <= 0 {
		// One byte more tells a file of exactly the limit from a larger one.
		var one [1]byte
		if n, err := s.r.Read(one[:]); n == 0 {
			return 0, err
		}
		return 0, fmt.Errorf("%s grew past %d bytes while it was read: %w", prefix(s.path), int64(MaxFileSize),
			&safefile.TooLargeError{Path: s.path, Size: -1, Max: MaxFileSize})
	}
	if int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.Read(p)
	s.left -= int64(n)
	return n, err
}

// errRowTooLong stops the CSV reader when a row passes MaxRowSize.
var errRowTooLong = errors.New("row too long")

// rowLimit gives the CSV reader at most MaxRowSize bytes past the end of
// the last row it returned (the reader's read-ahead buffer is far
// smaller), so that one endless row cannot take the memory.
type rowLimit struct {
	r     io.Reader
	pos   int64 // bytes given
	limit int64 // give none at or past this
}

func (l *rowLimit) Read(p []byte) (int, error) {
	if l.pos >= l.limit {
		return 0, errRowTooLong
	}
	if int64(len(p)) > l.limit-l.pos {
		p = p[:l.limit-l.pos]
	}
	n, err := l.r.Read(p)
	l.pos += int64(n)
	return n, err
}

// prefix starts an error's text.
func prefix(path string) string {
	if path == "" {
		return "loans export"
	}
	return "loans export " + path
}

// bufSize is the read buffer; the header and the charset sniff look at
// most this far.
const bufSize = 64 << 10

// Read reads an export from r into Result.Loans.
func Read(r io.Reader, o Options) (*Result, error) {
	var c collector
	res, err := read(r, o, "", 0, c.add)
	if err != nil {
		return nil, err
	}
	res.Loans = c.loans
	return res, nil
}

// Each reads an export from r and calls fn with each good loan, as
// EachFile does. r is read to its end: bound it yourself if it may be
// endless.
func Each(r io.Reader, o Options, fn func(Loan) error) (*Result, error) {
	return read(r, o, "", 0, func(l *Loan, _, _ int64) error { return fn(*l) })
}

// read reads an export and calls fn with each good loan, the input offset
// after it and the file's size when known (0 otherwise; halved for
// UTF-16, to compare with offsets), which the collector uses to size its
// list once instead of growing it step by step.
func read(r io.Reader, o Options, path string, size int64, fn func(*Loan, int64, int64) error) (*Result, error) {
	pfx := prefix(path)
	cols, err := wanted(o.Columns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pfx, err)
	}
	if o.Delimiter != 0 && !validDelimiter(o.Delimiter) {
		return nil, fmt.Errorf("%s: %q cannot be a delimiter; use a comma, a semicolon or a tab", pfx, o.Delimiter)
	}
	loc := o.Location
	if loc == nil {
		loc = time.Local
	}
	res := &Result{}

	raw := bufio.NewReaderSize(r, bufSize)
	text, err := decoder(raw, o, res)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pfx, err)
	}
	br := bufio.NewReaderSize(text, bufSize)
	lineBase, delim, err := sniff(br, o.Delimiter, cols)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pfx, err)
	}
	res.Delimiter = delim
	checkUTF8 := res.Charset == "utf-8"

	lim := &rowLimit{r: br, limit: MaxRowSize}
	cr := csv.NewReader(lim)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	// The header: the first record (csv skips empty lines).
	rec, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return nil, fmt.Errorf("%s: the file is empty (no header line)", pfx)
	case errors.Is(err, errRowTooLong):
		return nil, fmt.Errorf("%s: no header line within the first %d bytes; is it a loans export?", pfx, MaxRowSize)
	case errors.As(err, &pe):
		return nil, fmt.Errorf("%s: the header (line %d) cannot be read: %s", pfx, lineBase+pe.StartLine, csvReason(pe, lineBase))
	case err != nil:
		return nil, fmt.Errorf("%s: %w", pfx, err)
	}
	line, _ := cr.FieldPos(0)
	res.HeaderAt = lineBase + line
	// Until a row holds a non-ASCII character in valid UTF-8, a row that is
	// not UTF-8 means the file is in a legacy charset; after one, it is a
	// damaged row.
	seenUTF8 := false
	if checkUTF8 {
		valid, multi := checkRecord(rec, false)
		if !valid {
			return nil, &CharsetError{Path: path, Line: res.HeaderAt}
		}
		seenUTF8 = multi
	}
	head := make([]string, len(rec))
	for i, h := range rec {
		head[i] = cleanHeader(h)
	}
	res.Header = head
	idx, herr := locate(head, o.Columns)
	if herr != nil {
		herr.Path, herr.Line = path, res.HeaderAt
		return nil, herr
	}
	for i, name := range columnNames {
		if idx[i] < 0 && !required[i] {
			res.Absent = append(res.Absent, name)
		}
	}

	if size > 0 && strings.HasPrefix(res.Charset, "utf-16") {
		size /= 2 // offsets count UTF-8 bytes; ASCII is two bytes in UTF-16
	}
	bad := func(e RowError) {
		if res.BadRows < MaxRowErrors {
			res.Errors = append(res.Errors, e)
		}
		res.BadRows++
	}
	rd := rowReader{idx: idx, width: len(head), loc: loc, units: map[string]string{}, langs: map[string]string{}}
	lastLine := res.HeaderAt
	for {
		lim.limit = cr.InputOffset() + MaxRowSize
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if errors.As(err, &pe) {
			bad(RowError{Line: lineBase + pe.StartLine, Reason: csvReason(pe, lineBase)})
			continue
		}
		if errors.Is(err, errRowTooLong) {
			bad(RowError{Line: lastLine + 1, Reason: fmt.Sprintf("the row after line %d is longer than %d bytes "+
				"(a quoted field that is never closed?); the rest of the file was not read", lastLine, MaxRowSize)})
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pfx, err)
		}
		line, _ := cr.FieldPos(0)
		line += lineBase
		lastLine = line
		if checkUTF8 {
			valid, multi := checkRecord(rec, seenUTF8)
			switch {
			case !valid && !seenUTF8:
				return nil, &CharsetError{Path: path, Line: line}
			case !valid:
				bad(RowError{Line: line, Reason: "not valid UTF-8, although the rows before are (a damaged row?)"})
				continue
			}
			seenUTF8 = seenUTF8 || multi
		}
		loan, rowErr, skip := rd.row(rec, line)
		switch {
		case skip:
		case rowErr != nil:
			bad(*rowErr)
		default:
			res.Loaded++
			if err := fn(&loan, cr.InputOffset(), size); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// sizeAfter is how many loans are read before the list is sized from the
// file's size and the bytes per row so far.
const sizeAfter = 2048

// presize returns loans with room for the rows the file likely holds:
// size is the file's (halved for UTF-16), offset how far the rows so far
// took.
func presize(loans []Loan, size, offset int64) []Loan {
	if offset <= 0 {
		return loans
	}
	est := float64(size) / float64(offset) * float64(len(loans)) * 1.05
	if est > float64(size/8) { // no row is that short
		est = float64(size / 8)
	}
	if int(est) <= cap(loans) {
		return loans
	}
	grown := make([]Loan, len(loans), int(est)+16)
	copy(grown, loans)
	return grown
}

// decoder finds the file's character set from a byte order mark, the
// options, or UTF-16's zero bytes, and returns the text as UTF-8.
func decoder(raw *bufio.Reader, o Options, res *Result) (io.Reader, error) {
	enc := o.Encoding
	name := strings.ToLower(strings.TrimSpace(o.Charset))
	if enc == nil && name != "" {
		e, err := htmlindex.Get(name)
		if err != nil {
			return nil, fmt.Errorf("unknown charset %q; set [overdue] charset to a name such as utf-8, windows-1252, windows-1250 or windows-1251", o.Charset)
		}
		enc = e
	}
	if enc != nil {
		if n, err := htmlindex.Name(enc); err == nil {
			name = strings.ToLower(n)
		} else if name == "" {
			name = "the configured charset"
		}
	}
	if enc == nil || name == "utf-8" {
		enc, name = nil, "utf-8"
	}

	head, err := raw.Peek(4)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	bomName := ""
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		raw.Discard(3)
		enc, bomName = nil, "utf-8"
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		raw.Discard(2)
		enc, bomName = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le"
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		raw.Discard(2)
		enc, bomName = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be"
	case !strings.HasPrefix(name, "utf-16") && len(head) == 4 &&
		head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0:
		enc, bomName = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le"
	case !strings.HasPrefix(name, "utf-16") && len(head) == 4 &&
		head[0] == 0 && head[1] != 0 && head[2] == 0 && head[3] != 0:
		enc, bomName = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be"
	}
	if bomName != "" {
		if bomName != name && o.Charset != "" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("the file is %s (by its byte order mark or zero bytes), so it was read as %s, not as [overdue] charset %s", strings.ToUpper(bomName), bomName, o.Charset))
		}
		name = bomName
	} else if enc != nil && looksUTF8(raw) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the file looks like UTF-8 but [overdue] charset is %s; if names look garbled (Ã¥ for å), set charset = utf-8", name))
	}
	res.Charset = name
	if enc == nil {
		return raw, nil
	}
	return transform.NewReader(raw, enc.NewDecoder()), nil
}

// looksUTF8 reports whether the start of the file is valid UTF-8 with at
// least one multi-byte character, which a legacy code page rarely is.
func looksUTF8(raw *bufio.Reader) bool {
	b, _ := raw.Peek(bufSize)
	multi := false
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return multi && !utf8.FullRune(b) // a character cut at the peek's end
		}
		multi = true
		b = b[n:]
	}
	return multi
}

// sniff skips an Excel "sep=X" line and finds the delimiter. It returns how
// many lines it skipped.
func sniff(br *bufio.Reader, delim rune, cols []string) (skipped int, d rune, err error) {
	b, err := br.Peek(bufSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return 0, 0, err
	}
	// Leading empty lines.
	start := 0
	for start < len(b) && (b[start] == '\n' || b[start] == '\r') {
		start++
	}
	line := firstLine(b[start:])
	if l := bytes.TrimRight(line, "\r"); len(l) >= 5 && bytes.EqualFold(l[:4], []byte("sep=")) {
		if r, n := utf8.DecodeRune(l[4:]); 4+n == len(l) && validDelimiter(r) {
			if delim == 0 {
				delim = r
			}
			skip := start + len(line)
			if skip < len(b) {
				skip++ // the \n
			}
			skipped = bytes.Count(b[:skip], []byte("\n"))
			if _, err := br.Discard(skip); err != nil {
				return 0, 0, err
			}
			b = b[skip:]
			start = 0
			for start < len(b) && (b[start] == '\n' || b[start] == '\r') {
				start++
			}
			line = firstLine(b[start:])
		}
	}
	if delim != 0 {
		return skipped, delim, nil
	}
	best, bestMatch, bestCount := ',', -1, -1
	for _, c := range []rune{',', ';', '\t'} {
		n := countOutsideQuotes(line, byte(c))
		if n == 0 {
			continue
		}
		m := 0
		for _, f := range splitOutsideQuotes(line, byte(c)) {
			h := cleanHeader(strings.Trim(strings.TrimSpace(f), `"`))
			for _, w := range cols {
				if strings.EqualFold(h, w) {
					m++
					break
				}
			}
		}
		if m > bestMatch || (m == bestMatch && n > bestCount) {
			best, bestMatch, bestCount = c, m, n
		}
	}
	return skipped, best, nil
}

// firstLine returns b up to the first line feed outside quotes.
func firstLine(b []byte) []byte {
	in := false
	for i, c := range b {
		switch c {
		case '"':
			in = !in
		case '\n':
			if !in {
				return b[:i]
			}
		}
	}
	return b
}

func countOutsideQuotes(line []byte, c byte) int {
	n, in := 0, false
	for _, x := range line {
		if x == '"' {
			in = !in
		} else if x == c && !in {
			n++
		}
	}
	return n
}

func splitOutsideQuotes(line []byte, c byte) []string {
	var out []string
	in, from := false, 0
	for i, x := range line {
		if x == '"' {
			in = !in
		} else if x == c && !in {
			out = append(out, string(line[from:i]))
			from = i + 1
		}
	}
	return append(out, string(bytes.TrimRight(line[from:], "\r")))
}

func validDelimiter(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// checkRecord reports whether every field is valid UTF-8 and, unless
// seen, whether one holds a non-ASCII character.
func checkRecord(rec []string, seen bool) (valid, multi bool) {
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return false, false
		}
		if !seen && !multi {
			for i := 0; i < len(f); i++ {
				if f[i] >= utf8.RuneSelf {
					multi = true
					break
				}
			}
		}
	}
	return true, multi
}

// csvReason puts a CSV syntax error in plain words.
func csvReason(pe *csv.ParseError, lineBase int) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return `a " inside a field that does not start with one; such a field must be quoted, with each " inside written ""`
	case errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine:
		return fmt.Sprintf(`a quoted field is not closed, or a " inside it is not written ""; lines %d–%d could not be read`, lineBase+pe.StartLine, lineBase+pe.Line)
	case errors.Is(pe.Err, csv.ErrQuote):
		return `text after a quoted field's closing quote, or a " inside a quoted field not written ""`
	}
	return pe.Err.Error()
}
