package notice

import (
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spoolgate/spoolgate/gateway/lang"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

var testToday = time.Date(2026, 11, 25, 6, 30, 0, 0, time.UTC)

var testTitles = []string{"Pippi Långstrump", "Pan Tadeusz", "Война и мир", "Babička", "Sult"}

// testData is a patron with n loans of a kind, all due on the same day:
// a warning on 28 November 2026, an overdue notice on 24 November, a
// reminder on 22 November.
func testData(kind string, n int) Data {
	d := Data{
		Today:   testToday,
		Patron:  Patron{ID: "P-77", Name: "Zofia Nowak-Åberg", Email: "zofia@example.org"},
		Unit:    Unit{Name: "Östra biblioteket", Contact: "Storgatan 1\r\n08-123 456 78"},
		Library: Library{Name: "Stadsbiblioteket", From: "bibliotek@example.org"},
	}
	for i := 0; i < n; i++ {
		it := Item{Title: testTitles[i], Author: "Author " + fmt.Sprint(i), Barcode: fmt.Sprint(39000 + i)}
		switch kind {
		case Warning:
			it.DaysLeft, it.Due = 3, testToday.AddDate(0, 0, 3)
		case Overdue:
			it.DaysOverdue, it.Due = 1, testToday.AddDate(0, 0, -1)
		default:
			it.DaysOverdue, it.Due = 3, testToday.AddDate(0, 0, -3)
		}
		d.Items = append(d.Items, it)
	}
	return d
}

// wantDate is how each language writes a date of November 2026.
var wantDate = map[string]string{
	"en": "%d November 2026",
	"sv": "%d november 2026",
	"nb": "%d. november 2026",
	"pl": "%d listopada 2026",
	"cs": "%d. listopadu 2026",
	"ru": "%d ноября 2026 г.",
}

var dueDay = map[string]int{Warning: 28, Overdue: 24, Reminder: 22}

// countForms are the phrases that show the number of loans, in the order of
// the language's plural forms; withCount means they follow the number.
var countForms = map[string]struct {
	withCount bool
	forms     []string
}{
	"en": {true, []string{"item is", "items are"}},
	"sv": {false, []string{"ditt lån", "dina lån"}},
	"nb": {false, []string{"lånet ditt", "lånene dine"}},
	"pl": {true, []string{"pozycja", "pozycje", "pozycji"}},
	"cs": {true, []string{"výpůjčka", "výpůjčky", "výpůjček"}},
	"ru": {true, []string{"издание", "издания", "изданий"}},
}

// wantForm is the index of the form for 1, 3 and 5 items.
func wantForm(lang string, n int) int {
	switch {
	case n == 1:
		return 0
	case n == 3 || len(countForms[lang].forms) == 2:
		return 1
	default:
		return 2
	}
}

func TestRender_EveryBuiltinTemplate(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range lang.Codes() {
		for _, kind := range Kinds() {
			for _, count := range []int{1, 3, 5} {
				t.Run(fmt.Sprintf("%s/%s/%d", lang, kind, count), func(t *testing.T) {
					d := testData(kind, count)
					n, err := s.Render(lang, kind, d)
					if err != nil {
						t.Fatal(err)
					}
					checkNotice(t, n, d, lang, kind)
					all := n.Subject + "\n" + n.Text
					cf := countForms[lang]
					for i, form := range cf.forms {
						phrase := form
						if cf.withCount {
							phrase = fmt.Sprintf("%d %s", count, form)
						}
						if i == wantForm(lang, count) && !strings.Contains(all, phrase) {
							t.Errorf("no %q for %d items in:\n%s", phrase, count, all)
						}
						if i != wantForm(lang, count) && form != cf.forms[wantForm(lang, count)] && strings.Contains(all, phrase) {
							t.Errorf("the wrong plural %q for %d items in:\n%s", phrase, count, all)
						}
					}
					date := fmt.Sprintf(wantDate[lang], dueDay[kind])
					if !strings.Contains(n.Text, date) {
						t.Errorf("the due date %q is not in:\n%s", date, n.Text)
					}
					if !strings.Contains(n.Text, "Storgatan 1\n08-123 456 78") {
						t.Errorf("the unit's contact lines are not in:\n%s", n.Text)
					}

					raw, err := n.Message(mail.Address{Name: "Stadsbiblioteket", Address: "bibliotek@example.org"},
						[]string{"zofia@example.org"}, Headers{Unit: d.Unit.Name, Date: testToday})
					if err != nil {
						t.Fatal(err)
					}
					m := parseMessage(t, raw)
					if m.subject != n.Subject {
						t.Errorf("decoded subject %q, rendered %q", m.subject, n.Subject)
					}
					if m.text != n.Text {
						t.Errorf("decoded body differs from the rendered one:\n%q\n%q", m.text, n.Text)
					}
					if got := m.msg.Header.Get("X-Spoolgate-Kind"); got != kind {
						t.Errorf("X-Spoolgate-Kind = %q, want %q", got, kind)
					}
					if m.html != "" {
						t.Errorf("a built-in template gave an HTML part")
					}
				})
			}
		}
	}
}

// checkNotice checks what every rendered notice must satisfy.
func checkNotice(t *testing.T, n *Notice, d Data, lang, kind string) {
	t.Helper()
	if n.Language != lang || n.Kind != kind {
		t.Errorf("notice is %s/%s, want %s/%s", n.Language, n.Kind, lang, kind)
	}
	if strings.TrimSpace(n.Subject) == "" || strings.ContainsAny(n.Subject, "\r\n") {
		t.Errorf("subject %q is empty or not one line", n.Subject)
	}
	for what, s := range map[string]string{"subject": n.Subject, "text": n.Text, "html": n.HTML} {
		if !utf8.ValidString(s) {
			t.Errorf("the %s is not valid UTF-8", what)
		}
		if strings.Contains(s, "<no value>") {
			t.Errorf("the %s has <no value>:\n%s", what, s)
		}
	}
	if !strings.HasSuffix(n.Text, "\n") || strings.HasPrefix(n.Text, "\n") || strings.Contains(n.Text, "\n\n\n") {
		t.Errorf("the text has stray blank lines:\n%q", n.Text)
	}
	if !strings.Contains(n.Text, oneLine(d.Patron.Name)) {
		t.Errorf("the patron's name %q is not in:\n%s", d.Patron.Name, n.Text)
	}
	for _, it := range d.Items {
		if !strings.Contains(n.Text, it.Title) {
			t.Errorf("the title %q is not in:\n%s", it.Title, n.Text)
		}
	}
}

func TestRender_FallsBackToDefaultLanguage(t *testing.T) {
	s, err := Load("", DefaultLanguage("sv-SE"))
	if err != nil {
		t.Fatal(err)
	}
	if s.DefaultLanguage() != "sv" {
		t.Errorf("DefaultLanguage() = %q, want sv", s.DefaultLanguage())
	}
	for lang, want := range map[string]string{"": "sv", "de": "sv", "xx-YY": "sv", "pl-PL": "pl", "RUS": "ru", "no": "nb", "en": "en"} {
		n, err := s.Render(lang, Overdue, testData(Overdue, 1))
		if err != nil {
			t.Fatal(err)
		}
		if n.Language != want {
			t.Errorf("Render(%q) wrote %s, want %s", lang, n.Language, want)
		}
	}
	n, _ := s.Render("", Warning, testData(Warning, 1))
	if !strings.Contains(n.Text, "Hej ") {
		t.Errorf("the default-language notice is not Swedish:\n%s", n.Text)
	}
	if _, err := Load("", DefaultLanguage("de")); err == nil || !strings.Contains(err.Error(), `"de"`) {
		t.Errorf("Load with default language de: err = %v", err)
	}
}

func TestRender_RefusesBadInput(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Render("en", "overdew", testData(Overdue, 1)); err == nil || !strings.Contains(err.Error(), "overdew") {
		t.Errorf("unknown kind: err = %v", err)
	}
	if _, err := s.Render("en", Overdue, testData(Overdue, 0)); err == nil || !strings.Contains(err.Error(), "no items") {
		t.Errorf("no items: err = %v", err)
	}
}

func TestRender_DataIsMadeSingleLine(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	d := testData(Warning, 1)
	d.Patron.Name = " Eve\r\n\tMallory\x00\u2028 "
	d.Items[0].Title = "Line one\nLine two\x1b[31m"
	d.Items[0].Author = "Bad \xff byte"
	d.Unit.Contact = "\r\nStorgatan 1\rTel. 08-1\x07\n\n"
	n, err := s.Render("en", Warning, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Dear Eve Mallory,\n", "- Line one Line two [31m / Bad \uFFFD byte\n", "\nStorgatan 1\nTel. 08-1\n"} {
		if !strings.Contains(n.Text, want) {
			t.Errorf("%q is not in:\n%s", want, n.Text)
		}
	}
	if d.Patron.Name != " Eve\r\n\tMallory\x00\u2028 " {
		t.Error("Render changed the caller's data")
	}
}

func writeFile(t *testing.T, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad_CustomFolderOverridesAndFallsBack(t *testing.T) {
	dir := spooltest.TempDir(t)
	// Notepad style: a byte-order mark and CRLF line endings.
	writeFile(t, dir, "sv/overdue.txt", "\uFEFFSubject: Egen rubrik: {{len .Items}} lån\r\n\r\nHej {{.Patron.Name}}!\r\n{{range .Items}}* {{.Title}} ({{weekday .Due}} {{date .Due}})\r\n{{end}}")
	writeFile(t, dir, "sv/overdue.html", "<p>Hej {{.Patron.Name}}!</p>")
	writeFile(t, dir, "sv/notes.md", "ignored")
	writeFile(t, dir, "sv/README.txt", "ignored")
	writeFile(t, dir, "README.txt", "ignored")
	writeFile(t, dir, ".git/config", "ignored")
	writeFile(t, dir, "PL/warning.txt", "Subject: Własny temat ({{len .Items}} {{plural (len .Items) \"pozycja\" \"pozycje\" \"pozycji\"}})\n\nDzień dobry, {{.Patron.Name}}.\n")
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}

	d := testData(Overdue, 3)
	n, err := s.Render("sv", Overdue, d)
	if err != nil {
		t.Fatal(err)
	}
	if n.Subject != "Egen rubrik: 3 lån" {
		t.Errorf("custom subject = %q", n.Subject)
	}
	want := "Hej Zofia Nowak-Åberg!\n* Pippi Långstrump (tisdag 24 november 2026)\n* Pan Tadeusz (tisdag 24 november 2026)\n* Война и мир (tisdag 24 november 2026)\n"
	if n.Text != want {
		t.Errorf("custom text =\n%q\nwant\n%q", n.Text, want)
	}
	if n.HTML != "<p>Hej Zofia Nowak-Åberg!</p>\n" || !s.HasHTML("sv", Overdue) {
		t.Errorf("custom html = %q", n.HTML)
	}
	if n, err := s.Render("pl", Warning, testData(Warning, 5)); err != nil || n.Subject != "Własny temat (5 pozycji)" {
		t.Errorf("custom pl warning from an upper-case folder: %v, %+v", err, n)
	}

	// The rest are the built-ins.
	for _, c := range []struct{ lang, kind, want string }{
		{"sv", Warning, "Lånetiden går snart ut"},
		{"sv", Reminder, "Påminnelse: lånetiden har gått ut"},
		{"en", Overdue, "items are overdue"},
		{"pl", Overdue, "Minął termin zwrotu"},
	} {
		n, err := s.Render(c.lang, c.kind, testData(c.kind, 3))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(n.Subject, c.want) {
			t.Errorf("%s/%s subject %q, want the built-in %q", c.lang, c.kind, n.Subject, c.want)
		}
		if s.HasHTML(c.lang, c.kind) || n.HTML != "" {
			t.Errorf("%s/%s has an HTML part", c.lang, c.kind)
		}
	}
}

func TestLoad_BrokenTemplates(t *testing.T) {
	cases := []struct {
		name    string
		file    string // relative to the folder
		content string
		want    []string // in the error, besides the file's path
	}{
		{"bad syntax", "sv/overdue.txt", "Subject: Hej\n\nHej {{if .Patron.Name}}\n", []string{"unexpected EOF"}},
		{"unknown function", "en/warning.txt", "Subject: Hi\n\n{{shout .Patron.Name}}\n", []string{`"shout" not defined`}},
		{"missing Subject line", "en/warning.txt", "Dear {{.Patron.Name}},\n\nYour loans.\n", []string{"Subject"}},
		{"no empty line after the subject", "en/warning.txt", "Subject: Hi\nDear {{.Patron.Name}}\n", []string{"line 2 must be empty"}},
		{"no body", "en/warning.txt", "Subject: Hi\n\n \n", []string{"no body"}},
		{"field that doesn't exist", "en/warning.txt", "Subject: Hi\n\nDear\n{{.Patron.Nmae}},\n", []string{"Nmae", ":4:"}},
		{"field that doesn't exist in the subject", "cs/reminder.txt", "Subject: {{.Library.Nam}}\n\nDobrý den\n", []string{"Nam"}},
		{"index past the items", "ru/overdue.txt", "Subject: Привет\n\n{{(index .Items 1).Title}}\n", []string{"index"}},
		{"wrong number of plural forms", "pl/warning.txt", "Subject: {{plural (len .Items) \"pozycja\" \"pozycji\"}}\n\nx\n", []string{"needs 3 plural forms"}},
		{"empty subject", "nb/warning.txt", "Subject: {{if false}}x{{end}}\n\nHei\n", []string{"subject is empty"}},
		{"field that doesn't exist in html", "en/warning.html", "<p>{{.Patron.Nmae}}</p>", []string{"Nmae"}},
		{"html with a Subject line", "en/warning.html", "Subject: Hi\n\n<p>Hi</p>", []string{"subject comes from warning.txt"}},
		{"html bad syntax", "en/overdue.html", "<p>{{range .Items}}</p>", []string{"unexpected EOF"}},
		{"not UTF-8", "sv/warning.txt", "Subject: L\xe5netiden\n\nHej\n", []string{"UTF-8"}},
		{"unknown language", "de/warning.txt", "Subject: Hallo\n\nHallo\n", []string{"not a language"}},
		{"misspelt kind", "en/warnings.txt", "Subject: Hi\n\nHi\n", []string{"warning, overdue or reminder"}},
		{".htm", "en/warning.htm", "<p>Hi</p>", []string{".html"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := spooltest.TempDir(t)
			path := writeFile(t, dir, c.file, c.content)
			if c.file == "de/warning.txt" {
				path = filepath.Dir(path)
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load accepted the broken template")
			}
			var te *Error
			if !errors.As(err, &te) || te.File != path {
				t.Fatalf("err = %v (%T), want an *Error naming %s", err, err, path)
			}
			msg := err.Error()
			for _, w := range append(c.want, path) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestLoad_FolderProblems(t *testing.T) {
	dir := spooltest.TempDir(t)
	missing := filepath.Join(dir, "nope")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing folder: err = %v", err)
	}
	file := writeFile(t, dir, "file.txt", "x")
	if _, err := Load(file); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("a file as the folder: err = %v", err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(empty); err != nil {
		t.Errorf("an empty folder (all built-in) failed: %v", err)
	}
}

func TestLoad_ExampleFolder(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "templates")
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("examples/templates does not load: %v", err)
	}
	if !s.HasHTML("en", Warning) || s.HasHTML("en", Overdue) {
		t.Error("the example has an HTML twin for en/warning only")
	}
	for _, count := range []int{1, 3} {
		d := testData(Warning, count)
		d.Items[0].Title = `Q&A <script>alert("x")</script>`
		n, err := s.Render("en", Warning, d)
		if err != nil {
			t.Fatal(err)
		}
		checkNotice(t, n, d, "en", Warning)
		if !strings.Contains(n.Subject, fmt.Sprintf("%d %s due soon", count, map[bool]string{true: "loan is", false: "loans are"}[count == 1])) {
			t.Errorf("example subject %q", n.Subject)
		}
		if !strings.Contains(n.Text, "Hello Zofia") || !strings.Contains(n.Text, "Saturday 28 November 2026") {
			t.Errorf("the example text is not the custom one:\n%s", n.Text)
		}
		// text/template leaves the title alone; html/template escapes it.
		if !strings.Contains(n.Text, `Q&A <script>alert("x")</script>`) {
			t.Errorf("the text body changed the title:\n%s", n.Text)
		}
		if strings.Contains(n.HTML, "<script>") || !strings.Contains(n.HTML, "Q&amp;A &lt;script&gt;") {
			t.Errorf("the HTML body does not escape the title:\n%s", n.HTML)
		}
		for _, want := range []string{"Hello Zofia Nowak-Åberg", "Saturday 28 November 2026", "Storgatan 1<br>08-123 456 78<br>"} {
			if !strings.Contains(n.HTML, want) {
				t.Errorf("%q is not in the HTML:\n%s", want, n.HTML)
			}
		}
	}
	// Everything else is built-in.
	n, err := s.Render("en", Overdue, testData(Overdue, 1))
	if err != nil || !strings.HasPrefix(n.Text, "Dear Zofia") {
		t.Errorf("en overdue is not the built-in: %v\n%+v", err, n)
	}
	if _, err := os.Stat(filepath.Join(dir, "README.txt")); err != nil {
		t.Errorf("the example folder has no README.txt: %v", err)
	}
}
