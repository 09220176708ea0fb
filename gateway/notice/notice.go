// Package notice composes a library's notices to patrons from templates, in
// the patron's language, as message files for the queue folder.
//
// The contract:
//   - There are three kinds of notice: "warning" (loans fall due in a few
//     days), "overdue" (loans fell due yesterday, or a few days ago) and
//     "reminder" (a second notice for loans still not returned).
//   - A Set holds one template per language (lang.Codes: en, sv, nb, pl, cs,
//     ru) and kind. <folder>/<lang>/<kind>.txt in a custom folder replaces
//     the built-in one; a file the folder lacks falls back to the built-in of
//     that language and kind. A .txt template's first line is "Subject: …",
//     then comes an empty line, then the body (text/template, nothing
//     escaped). An optional <kind>.html twin (html/template, escaped; body
//     only) makes the message multipart/alternative. The built-in templates
//     are plain text.
//   - Load parses every template and runs it against sample data for every
//     language and kind. Any problem (a syntax error, no Subject line, a
//     field that doesn't exist, a wrong number of plural forms, an empty
//     subject) is an *Error naming the file, so a bad template stops
//     spoolgate when it starts, not at the morning scan.
//   - Render makes every patron, loan, unit and library string in the data
//     a single line before the templates see it: line breaks and other
//     control characters become a space. Only Unit.Contact (from the
//     config) keeps its line breaks, and the rendered subject is made one
//     line again (and cut at 200 characters). Patron data can add neither a
//     header nor a line.
//   - Dates are written the way each language writes them in running text
//     (FormatDate); English uses day-month-year, "28 November 2026", which
//     no reader can misread.
//   - Notice.Message writes the message with github.com/jordan-wright/email:
//     From, To, Subject, Date, Message-ID, Auto-Submitted: auto-generated,
//     X-Spoolgate-Kind and X-Spoolgate-Unit. Non-ASCII header text is
//     RFC 2047 encoded and long header lines are folded.
//
// Templates can call these functions, each bound to the template's
// language:
//
//	date t                  the date in the language's own way: "28 listopada 2026"
//	weekday t               the weekday's name: "poniedziałek"
//	plural n "one" "other"  the form for count n; pl, cs and ru take three
//	                        forms (one, few, many): plural 5 "pozycja" "pozycje" "pozycji"
//	lines s                 s split into lines, e.g. Unit.Contact for HTML
//
// This package reads template files but never writes a file or sends mail.
package notice

import (
	"embed"
	"errors"
	"fmt"
	htemplate "html/template"
	"os"
	"path"
	"path/filepath"
	"strings"
	ttemplate "text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spoolgate/spoolgate/gateway/lang"
)

// The kinds of notice.
const (
	Warning  = "warning"  // loans fall due in a few days
	Overdue  = "overdue"  // loans fell due yesterday or a few days ago
	Reminder = "reminder" // a second notice for loans still not returned
)

// Kinds returns the kinds of notice: warning, overdue and reminder.
func Kinds() []string { return []string{Warning, Overdue, Reminder} }

func knownKind(kind string) bool {
	return kind == Warning || kind == Overdue || kind == Reminder
}

// Data is what a template sees: {{.Patron.Name}}, {{range .Items}},
// {{.Unit.Contact}} and so on.
type Data struct {
	Kind     string    // warning, overdue or reminder (Render sets it)
	Language string    // the language code the notice is written in (Render sets it)
	Today    time.Time // the day of the scan
	Patron   Patron    // who the notice is about
	Items    []Item    // that patron's loans of this kind, at least one
	Unit     Unit      // the branch the loans belong to; empty when the row has none
	Library  Library   // the library as a whole
}

// Patron is the borrower a notice is about. The notice may go to a
// guardian; it still names the patron.
type Patron struct {
	ID    string // the patron's id (card number) in the ILS
	Name  string // as the ILS writes it, e.g. "Anna Svensson"
	Email string // the patron's own address, may be ""
}

// Item is one loan.
type Item struct {
	Title       string
	Author      string // may be ""
	Barcode     string // may be ""
	Due         time.Time
	DaysOverdue int // days since Due: 1 = due yesterday; 0 when not yet due
	DaysLeft    int // days until Due: 0 = due today; 0 when overdue
}

// Unit is the branch of the library that lent the items.
type Unit struct {
	// Name is the unit's name as patrons read it, e.g. "Östra biblioteket":
	// [unit.NAME] name, else the unit's from_name, else NAME. The built-in
	// templates sign with it above Library.Name, once when the two are
	// the same.
	Name    string
	Contact string // free text, may span lines: address, phone, email, opening hours
}

// Library is the library as a whole.
type Library struct {
	Name string // e.g. "Stadsbiblioteket"
	From string // its sender address, e.g. "bibliotek@example.org"
}

// Notice is one rendered notice, ready for Message.
type Notice struct {
	Kind     string // warning, overdue or reminder
	Language string // the language it is written in
	Subject  string // one line, at most maxSubject characters
	Text     string // the plain-text body; lines end in "\n"
	HTML     string // the HTML body, or "" when there is no .html template
}

// maxSubject is the longest subject, in characters, Render returns; a
// longer one is cut and ends in "…". It keeps every header line well within
// the 998 octets RFC 5322 allows, even when a subject can't be folded.
const maxSubject = 200

// Error is a template that can't be used. File names it: the path of a file
// in the custom folder, or "built-in en/warning.txt".
type Error struct {
	File string
	Err  error
}

func (e *Error) Error() string { return "notice template " + e.File + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Set is a loaded, validated set of templates: one for every built-in
// language and kind. It is safe for concurrent use.
type Set struct {
	lang      string // default language
	templates map[string]*tmpl
}

type tmpl struct {
	lang     *language
	kind     string
	textFile string // for errors: the path, or "built-in en/warning.txt"
	htmlFile string
	subject  *ttemplate.Template
	body     *ttemplate.Template
	html     *htemplate.Template // nil without an .html template
}

// An Option changes how Load builds a Set.
type Option func(*options)

type options struct {
	lang string
}

// DefaultLanguage sets the language Render uses when a patron's language is
// empty or not one spoolgate has (the config's [overdue] language). Without
// it the default is English.
func DefaultLanguage(code string) Option {
	return func(o *options) { o.lang = code }
}

//go:embed templates
var builtin embed.FS

// source is one template file's text and the name to report it by.
type source struct {
	file string
	text string
}

// Load builds the Set from a folder of custom templates, or from the
// built-in templates alone when folder is "". The folder holds one
// subfolder per language (en, sv, nb, pl, cs, ru) with warning.txt,
// overdue.txt and reminder.txt, each optional, and optional .html twins;
// other files are ignored, as are README files and names starting with
// ".". A subfolder or a .txt/.html file with a name spoolgate doesn't know
// is an error, so a misspelt name is never silently ignored. Every template is
// parsed and run against sample data; the first problem is returned as an
// *Error.
func Load(folder string, opts ...Option) (*Set, error) {
	o := options{lang: "en"}
	for _, opt := range opts {
		opt(&o)
	}
	def, ok := lang.Parse(o.lang)
	if !ok {
		return nil, fmt.Errorf("notice: the default language %q is not one spoolgate has (%s)", o.lang, strings.Join(lang.Codes(), ", "))
	}
	custom := map[string]source{}
	if folder != "" {
		var err error
		if custom, err = readFolder(folder); err != nil {
			return nil, err
		}
	}
	s := &Set{lang: def, templates: map[string]*tmpl{}}
	for _, code := range lang.Codes() {
		for _, kind := range Kinds() {
			key := code + "/" + kind
			txt, ok := custom[key+".txt"]
			if !ok {
				b, err := builtin.ReadFile("templates/" + key + ".txt")
				if err != nil {
					return nil, fmt.Errorf("notice: built-in template %s.txt is missing: %w", key, err)
				}
				txt = source{file: "built-in " + key + ".txt", text: string(b)}
			}
			html, hasHTML := custom[key+".html"]
			if !hasHTML {
				if b, err := builtin.ReadFile("templates/" + key + ".html"); err == nil {
					html, hasHTML = source{file: "built-in " + key + ".html", text: string(b)}, true
				}
			}
			t, err := parse(languages[code], kind, txt, html, hasHTML)
			if err != nil {
				return nil, err
			}
			if err := t.validate(); err != nil {
				return nil, err
			}
			s.templates[key] = t
		}
	}
	return s, nil
}

// readFolder reads the custom templates, keyed "en/warning.txt".
func readFolder(folder string) (map[string]source, error) {
	fi, err := os.Stat(folder)
	if err != nil {
		return nil, &Error{File: folder, Err: fmt.Errorf("the templates folder can't be read: %w", err)}
	}
	if !fi.IsDir() {
		return nil, &Error{File: folder, Err: errors.New("is not a folder; [overdue] templates names a folder with one subfolder per language")}
	}
	entries, err := os.ReadDir(folder)
	if err != nil {
		return nil, &Error{File: folder, Err: fmt.Errorf("the templates folder can't be read: %w", err)}
	}
	out := map[string]source{}
	seen := map[string]string{}
	for _, e := range entries {
		dir := filepath.Join(folder, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue // a README or the like
		}
		code := strings.ToLower(e.Name())
		if _, ok := languages[code]; !ok {
			return nil, &Error{File: dir, Err: fmt.Errorf("is not a language spoolgate has; name language folders %s", strings.Join(lang.Codes(), ", "))}
		}
		if other, dup := seen[code]; dup {
			return nil, &Error{File: dir, Err: fmt.Errorf("is the same language as %s; keep one of them", other)}
		}
		seen[code] = dir
		files, err := os.ReadDir(dir)
		if err != nil {
			return nil, &Error{File: dir, Err: fmt.Errorf("can't be read: %w", err)}
		}
		for _, f := range files {
			name := f.Name()
			file := filepath.Join(dir, name)
			ext := strings.ToLower(filepath.Ext(name))
			if strings.HasPrefix(name, ".") || f.IsDir() || (ext != ".txt" && ext != ".html" && ext != ".htm") ||
				strings.HasPrefix(strings.ToLower(name), "readme") {
				continue
			}
			kind := strings.ToLower(strings.TrimSuffix(name, filepath.Ext(name)))
			if !knownKind(kind) || ext == ".htm" {
				return nil, &Error{File: file, Err: errors.New("is not a template spoolgate uses; name templates warning, overdue or reminder, with .txt or .html")}
			}
			key := code + "/" + kind + ext
			if _, dup := out[key]; dup {
				return nil, &Error{File: file, Err: fmt.Errorf("is a second %s template; keep one", key)}
			}
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, &Error{File: file, Err: fmt.Errorf("can't be read: %w", err)}
			}
			text, err := decodeFile(b)
			if err != nil {
				return nil, &Error{File: file, Err: err}
			}
			out[key] = source{file: file, text: text}
		}
	}
	return out, nil
}

// decodeFile checks a template file is UTF-8, drops a byte-order mark (as
// Notepad writes) and makes line endings "\n".
func decodeFile(b []byte) (string, error) {
	s := strings.TrimPrefix(string(b), "\uFEFF")
	if !utf8.ValidString(s) {
		return "", errors.New("is not UTF-8 text; save it as UTF-8")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n"), nil
}

func funcs(l *language) map[string]any {
	return map[string]any{
		"date":    func(t time.Time) string { return l.date(l, t) },
		"weekday": func(t time.Time) string { return l.weekdays[t.Weekday()] },
		"plural":  func(n int, forms ...string) (string, error) { return l.pick(n, forms) },
		"lines": func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, "\n")
		},
	}
}

// parse parses one language and kind's templates.
func parse(l *language, kind string, txt, html source, hasHTML bool) (*tmpl, error) {
	name := path.Join(l.code, kind)
	t := &tmpl{lang: l, kind: kind, textFile: txt.file}
	first, rest, _ := strings.Cut(txt.text, "\n")
	if len(first) < len("Subject:") || !strings.EqualFold(first[:len("Subject:")], "Subject:") {
		return nil, &Error{File: txt.file, Err: errors.New(`line 1 must be the subject, "Subject: …", then an empty line, then the body`)}
	}
	body, ok := strings.CutPrefix(rest, "\n")
	if !ok {
		return nil, &Error{File: txt.file, Err: errors.New("line 2 must be empty: the subject is one line, and the body starts after an empty line")}
	}
	if strings.TrimSpace(body) == "" {
		return nil, &Error{File: txt.file, Err: errors.New("has no body after the subject line")}
	}
	fm := funcs(l)
	var err error
	t.subject, err = ttemplate.New(name + ".txt").Option("missingkey=error").Funcs(fm).Parse(first[len("Subject:"):])
	if err != nil {
		return nil, &Error{File: txt.file, Err: err}
	}
	// Two newlines in front keep the parser's line numbers those of the file.
	t.body, err = ttemplate.New(name + ".txt").Option("missingkey=error").Funcs(fm).Parse("\n\n" + body)
	if err != nil {
		return nil, &Error{File: txt.file, Err: err}
	}
	if hasHTML {
		t.htmlFile = html.file
		if first, _, _ := strings.Cut(html.text, "\n"); len(first) >= 8 && strings.EqualFold(first[:8], "Subject:") {
			return nil, &Error{File: html.file, Err: fmt.Errorf("starts with a Subject line; the subject comes from %s.txt, the .html file is the body only", kind)}
		}
		if strings.TrimSpace(html.text) == "" {
			return nil, &Error{File: html.file, Err: errors.New("is empty")}
		}
		t.html, err = htemplate.New(name + ".html").Option("missingkey=error").Funcs(htemplate.FuncMap(fm)).Parse(html.text)
		if err != nil {
			return nil, &Error{File: html.file, Err: err}
		}
	}
	return t, nil
}

// validate runs the templates against sample data, as Render would.
func (t *tmpl) validate() error {
	for _, d := range samples(t.kind) {
		d.Kind, d.Language = t.kind, t.lang.code
		n, err := t.render(d)
		if err != nil {
			var te *Error
			if errors.As(err, &te) {
				items := fmt.Sprintf("%d items", len(d.Items))
				if len(d.Items) == 1 {
					items = "1 item"
				}
				te.Err = fmt.Errorf("%w (with sample data of %s)", te.Err, items)
			}
			return err
		}
		if strings.Contains(n.Subject+n.Text, "<no value>") {
			return &Error{File: t.textFile, Err: errors.New(`prints "<no value>" for sample data`)}
		}
		if strings.Contains(n.HTML, "<no value>") {
			return &Error{File: t.htmlFile, Err: errors.New(`prints "<no value>" for sample data`)}
		}
	}
	return nil
}

// samples are the data a template must render without error: one item and
// a full unit, three items with gaps, and five items without a unit.
func samples(kind string) []Data {
	today := time.Date(2026, 11, 25, 6, 30, 0, 0, time.UTC)
	item := func(title, author, barcode string, days int) Item {
		it := Item{Title: title, Author: author, Barcode: barcode}
		switch kind {
		case Warning:
			it.DaysLeft = days
			it.Due = today.AddDate(0, 0, days)
		default:
			it.DaysOverdue = days
			it.Due = today.AddDate(0, 0, -days)
		}
		return it
	}
	first, soon := 3, 0 // the days of the first item, and of the nearest in the second sample
	if kind != Warning {
		soon = 1
	}
	if kind == Overdue {
		first = 1
	}
	patron := Patron{ID: "1234567", Name: "Anna Svensson", Email: "anna@example.org"}
	lib := Library{Name: "Stadsbiblioteket", From: "bibliotek@example.org"}
	return []Data{
		{Today: today, Patron: patron, Library: lib,
			Items: []Item{item("Mio, min Mio", "Astrid Lindgren", "39001000123456", first)},
			Unit:  Unit{Name: "Östra biblioteket", Contact: "Storgatan 1, 123 45 Staden\n08-123 456 78\nMån–fre 10–19, lör 11–15"}},
		{Today: today, Patron: patron, Library: lib, Unit: Unit{Name: "Filialen"},
			Items: []Item{
				item("Lalka", "Bolesław Prus", "39001000123457", soon),
				item("Мастер и Маргарита", "", "39001000123458", soon+1),
				item("Babička", "Božena Němcová", "", soon+2),
			}},
		{Today: today, Patron: Patron{Name: "Ola Nordmann"},
			Items: []Item{
				item("Sult", "Knut Hamsun", "1", first),
				item("Pan Tadeusz", "Adam Mickiewicz", "2", first+1),
				item("Krakatit", "Karel Čapek", "3", 5),
				item("The Hobbit", "J. R. R. Tolkien", "4", 12),
				item("Война и мир", "Лев Толстой", "5", 22),
			}},
	}
}

// Render writes the notice of a kind for the data, in the language of code
// (a language code such as sv or sv-SE). An empty code, or a language spoolgate doesn't have, takes the Set's default
// language; lang.Parse says which spellings are understood. The data is
// made safe first (see the package comment); its Kind and Language are set
// to what is rendered. It is an error when the kind is unknown or there are
// no items.
func (s *Set) Render(code, kind string, d Data) (*Notice, error) {
	c, ok := lang.Parse(code)
	if !ok {
		c = s.lang
	}
	t := s.templates[c+"/"+kind]
	if t == nil {
		return nil, fmt.Errorf("notice: unknown kind %q (want warning, overdue or reminder)", kind)
	}
	if len(d.Items) == 0 {
		return nil, fmt.Errorf("notice: a %s notice for %q has no items", kind, oneLine(d.Patron.Name))
	}
	d = clean(d)
	d.Kind, d.Language = kind, c
	return t.render(d)
}

// DefaultLanguage returns the language Render uses for an unknown one.
func (s *Set) DefaultLanguage() string { return s.lang }

// HasHTML reports whether the notices of a language and kind have an HTML
// part.
func (s *Set) HasHTML(code, kind string) bool {
	c, ok := lang.Parse(code)
	if !ok {
		c = s.lang
	}
	t := s.templates[c+"/"+kind]
	return t != nil && t.html != nil
}

func (t *tmpl) render(d Data) (*Notice, error) {
	var b strings.Builder
	if err := t.subject.Execute(&b, d); err != nil {
		return nil, &Error{File: t.textFile, Err: err}
	}
	subject := truncate(oneLine(b.String()), maxSubject)
	if subject == "" {
		return nil, &Error{File: t.textFile, Err: errors.New("the subject is empty")}
	}
	b.Reset()
	if err := t.body.Execute(&b, d); err != nil {
		return nil, &Error{File: t.textFile, Err: err}
	}
	text := tidy(b.String())
	if text == "" {
		return nil, &Error{File: t.textFile, Err: errors.New("the body is empty")}
	}
	n := &Notice{Kind: t.kind, Language: t.lang.code, Subject: subject, Text: text}
	if t.html != nil {
		b.Reset()
		if err := t.html.Execute(&b, d); err != nil {
			return nil, &Error{File: t.htmlFile, Err: err}
		}
		n.HTML = strings.TrimSpace(b.String()) + "\n"
	}
	return n, nil
}

// tidy trims blank lines at the start and end of a text body, keeps at most
// one blank line in a row, and ends it in a newline.
func tidy(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := true // drops blank lines at the start
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

// clean makes every string in d a single line, except Unit.Contact, which
// keeps its line breaks but nothing else below a space.
func clean(d Data) Data {
	d.Patron.ID = oneLine(d.Patron.ID)
	d.Patron.Name = oneLine(d.Patron.Name)
	d.Patron.Email = oneLine(d.Patron.Email)
	items := make([]Item, len(d.Items))
	for i, it := range d.Items {
		it.Title = oneLine(it.Title)
		it.Author = oneLine(it.Author)
		it.Barcode = oneLine(it.Barcode)
		items[i] = it
	}
	d.Items = items
	d.Unit.Name = oneLine(d.Unit.Name)
	d.Unit.Contact = multiLine(d.Unit.Contact)
	d.Library.Name = oneLine(d.Library.Name)
	d.Library.From = oneLine(d.Library.From)
	return d
}

// oneLine turns every run of white space and control characters (CR, LF,
// tab, NUL, DEL, C1 controls, the Unicode line and paragraph separators) into
// one space, trims the ends, and replaces invalid UTF-8 with U+FFFD.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s { // invalid bytes come out as U+FFFD
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// multiLine makes each line of s clean with oneLine and drops blank lines at
// either end; CR LF and lone CR count as line breaks.
func multiLine(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = oneLine(l)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// truncate cuts s to at most max characters, ending in "…" when cut.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}
