package overdue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// minimalINI is a config that loads, without [overdue].
const minimalINI = `[spool]
folder = queue

[smtp]
host = smtp.example.org

[message]
from = library@example.org
`

// loadINI writes a config file (and extra files, by relative name and
// text) into a new folder and loads it; it must load.
func loadINI(t *testing.T, text string, extra ...string) *config.Config {
	t.Helper()
	dir := spooltest.TempDir(t)
	for i := 0; i+1 < len(extra); i += 2 {
		p := filepath.Join(dir, filepath.FromSlash(extra[i]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(extra[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	return cfg
}

// checkErrors runs Check, which must fail, and returns its errors: each a
// *config.Error wrapping config.ErrConfig, joined with errors.Join.
func checkErrors(t *testing.T, cfg *config.Config) []*config.Error {
	t.Helper()
	set, err := Check(cfg)
	if err == nil {
		t.Fatal("Check succeeded; want an error")
	}
	if set != nil {
		t.Error("Check returned a set with its error")
	}
	if !errors.Is(err, config.ErrConfig) {
		t.Errorf("error does not wrap config.ErrConfig: %v", err)
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error is %T, want errors.Join of *config.Error", err)
	}
	var out []*config.Error
	for _, e := range joined.Unwrap() {
		ce, ok := e.(*config.Error)
		if !ok {
			t.Fatalf("%T in the joined error, want *config.Error: %v", e, e)
		}
		out = append(out, ce)
	}
	return out
}

// TestCheck_Bad loads every testdata/bad/<case>/spoolgate.ini, which
// config.Load accepts; Check must fail with an error that holds every
// line of the case's want.txt, each problem at its line.
func TestCheck_Bad(t *testing.T) {
	cases, err := os.ReadDir(filepath.Join("testdata", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 7 {
		t.Fatalf("only %d cases in testdata/bad", len(cases))
	}
	for _, dir := range cases {
		t.Run(dir.Name(), func(t *testing.T) {
			folder := filepath.Join("testdata", "bad", dir.Name())
			want, err := os.ReadFile(filepath.Join(folder, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(filepath.Join(folder, "spoolgate.ini"))
			if err != nil {
				t.Fatalf("config.Load: %v; the case is for Check, not Load", err)
			}
			errs := checkErrors(t, cfg)
			var msg strings.Builder
			for _, e := range errs {
				msg.WriteString(e.Error() + "\n")
				if e.Line == 0 || e.File != cfg.File || e.Section == "" || e.Key == "" {
					t.Errorf("not positioned at a key: %#v", e)
				}
			}
			for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
				if !strings.Contains(msg.String(), strings.TrimSpace(line)) {
					t.Errorf("error does not contain %q:\n%s", line, msg.String())
				}
			}
		})
	}
}

// TestCheck_Columns: the names and headers of [overdue.columns], one case
// at a time; the good ones pass, each bad one is one error at its key.
func TestCheck_Columns(t *testing.T) {
	good := []string{
		"",
		"due = Förfallodatum\nemail = E-post",
		"patron_id =\ndue =", // the defaults
		"due = Datum\ntitle = Titel\nbarcode = Streckkod\nunit = Filial\nlanguage = Språk\nnotify = Avisering\nauthor = Författare\n" +
			"patron_name = Namn\nguardian_email = Målsman\nemail = E-post\npatron_id = Låntagare",
	}
	for _, g := range good {
		cfg := loadINI(t, minimalINI+"\n[overdue.columns]\n"+g+"\n")
		if _, err := Check(cfg); err != nil {
			t.Errorf("%q: %v", g, err)
		}
	}
	bad := []struct {
		kv, key, value, want string
	}{
		{"Title = Titel", "Title", "", "unknown column; did you mean title?"},
		{"patronid =", "patronid", "", "unknown column; did you mean patron_id?"},
		{"shelf = Hylla", "shelf", "", "unknown column; the columns are patron_id, patron_name, email"},
		{"Förfallodatum = due", "Förfallodatum", "", "this is the wrong way round: the key is spoolgate's column name, " +
			"the value the export's header; write due = Förfallodatum"},
		{"E-post = EMAIL", "E-post", "", "this is the wrong way round"},
		{"due = Datum\ntitle = datum", "title", "datum", `maps both due and title to "datum"; give each column a header name of its own`},
		{"title = Titel\ndue = TITEL", "due", "TITEL", `maps both due and title to "Titel"`},
	}
	for _, b := range bad {
		cfg := loadINI(t, minimalINI+"\n[overdue.columns]\n"+b.kv+"\n")
		errs := checkErrors(t, cfg)
		if len(errs) != 1 {
			t.Errorf("%q: %d errors, want 1: %v", b.kv, len(errs), errs)
			continue
		}
		e := errs[0]
		line := 11 + strings.Count(b.kv, "\n")
		if e.Section != "overdue.columns" || e.Key != b.key || e.Value != b.value || e.Line != line ||
			!strings.Contains(e.Want, b.want) {
			t.Errorf("%q: error %#v\nwant [overdue.columns] %s = %q at line %d: %s", b.kv, e, b.key, b.value, line, b.want)
		}
	}
}

// TestCheck_Templates: the set Check returns is the custom templates',
// with [overdue] language as its default.
func TestCheck_Templates(t *testing.T) {
	const warning = "Subject: {{len .Items}} loans due soon\n\nDear {{.Patron.Name}},\n" +
		"{{range .Items}}{{.Title}} {{date .Due}}\n{{end}}{{.Unit.Contact}}\n"
	cfg := loadINI(t, minimalINI+"\n[overdue]\ntemplates = tpl\nlanguage = swe\n", "tpl/en/warning.txt", warning)
	set, err := Check(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if set.DefaultLanguage() != "sv" {
		t.Errorf("DefaultLanguage() = %q, want sv", set.DefaultLanguage())
	}
	n, err := set.Render("en", notice.Warning, notice.Data{
		Today:  time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		Patron: notice.Patron{ID: "1", Name: "Anna"},
		Items:  []notice.Item{{Title: "Sult", Due: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), DaysLeft: 3}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.Subject != "1 loans due soon" {
		t.Errorf("Subject = %q, want the custom template's", n.Subject)
	}

	// The built-in templates, with the default language en, or the one set.
	for lang, want := range map[string]string{"": "en", "\n[overdue]\nlanguage = RU\n": "ru"} {
		set, err := Check(loadINI(t, minimalINI+lang))
		if err != nil || set.DefaultLanguage() != want {
			t.Errorf("%q: set %v, err %v; want the built-ins with default language %s", lang, set, err, want)
		}
	}
}

// TestCheck_ExampleTemplates loads the example templates folder through a
// config, as a site would.
func TestCheck_ExampleTemplates(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join("..", "..", "examples", "templates"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatal(err)
	}
	cfg := loadINI(t, minimalINI+"\n[overdue]\ntemplates = "+abs+"\n")
	if set, err := Check(cfg); err != nil || set == nil {
		t.Errorf("Check: %v", err)
	}
}

// TestCheck_AllProblemsInLineOrder: a template error and column errors are
// reported together, each at its line, in line order; the template error
// wraps the *notice.Error naming the file.
func TestCheck_AllProblemsInLineOrder(t *testing.T) {
	cfg := loadINI(t, minimalINI+"\n[overdue.columns]\ntitel = Titel\ndue = Datum\ntitle = datum\n\n[overdue]\ntemplates = tpl\n",
		"tpl/sv/overdue.txt", "Subject: {{.Nope}}\n\nx\n")
	errs := checkErrors(t, cfg)
	if len(errs) != 3 {
		t.Fatalf("errors = %v, want 3", errs)
	}
	for i, want := range []struct {
		line     int
		key, val string
	}{{11, "titel", ""}, {13, "title", "datum"}, {16, "templates", "tpl"}} {
		if e := errs[i]; e.Line != want.line || e.Key != want.key || e.Value != want.val {
			t.Errorf("error %d = %#v, want %s = %q at line %d", i, e, want.key, want.val, want.line)
		}
	}
	var ne *notice.Error
	if e := errs[2]; e.Section != "overdue" || !strings.Contains(e.Want, filepath.Join("tpl", "sv", "overdue.txt")) ||
		!strings.HasSuffix(e.Want, "; fix the template, or leave templates empty for the built-in notices") || !errors.As(e, &ne) {
		t.Errorf("template error = %#v", e)
	}
}

func TestCheck_NilConfig(t *testing.T) {
	if set, err := Check(nil); err == nil || set != nil {
		t.Errorf("Check(nil) = %v, %v; want an error", set, err)
	}
}

// A folder that is gone since config.Load is a template error too, at the
// key.
func TestCheck_TemplatesFolderGone(t *testing.T) {
	cfg := loadINI(t, minimalINI+"\n[overdue]\ntemplates = tpl\n", "tpl/README", "x")
	if err := spooltest.RemoveAll(cfg.Overdue.Templates); err != nil { // os.RemoveAll fails under wine
		t.Fatal(err)
	}
	errs := checkErrors(t, cfg)
	if len(errs) != 1 || errs[0].Key != "templates" || errs[0].Line != 11 || !strings.Contains(errs[0].Want, "can't be read") {
		t.Errorf("errors = %v", errs)
	}
}

// Scan checks the settings too: without Options.Notices it stops at a bad
// template, with or without them at a bad column, before it writes
// anything; the error wraps config.ErrConfig, as config.Load's do.
func TestScan_StopsAtABadSetting(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg, loan("1", "b1", "Due in three days", "2026-11-28"))
	day := at(t, "2026-11-25")

	cfg.Overdue.Templates = filepath.Join(filepath.Dir(cfg.File), "tpl")
	if err := os.MkdirAll(filepath.Join(cfg.Overdue.Templates, "en"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Overdue.Templates, "en", "warning.txt"), []byte("Subject: {{.Nope}}\n\nx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Scan(context.Background(), cfg, day, Options{})
	var ne *notice.Error
	if !errors.Is(err, config.ErrConfig) || !errors.As(err, &ne) || !strings.Contains(err.Error(), "[overdue] templates") {
		t.Errorf("Scan with a broken template: %v; want the template's config error", err)
	}

	// A set passed in is used as it is: the broken folder is not read.
	builtin, err := notice.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Overdue.Columns = []config.Column{{Name: "Due", Header: "Datum"}}
	_, err = Scan(context.Background(), cfg, day, Options{Notices: builtin})
	if !errors.Is(err, config.ErrConfig) || !strings.Contains(err.Error(), "[overdue.columns] Due: unknown column; did you mean due?") {
		t.Errorf("Scan with a bad column: %v", err)
	}
	if files := noticeFiles(t, cfg); len(files) != 0 {
		t.Errorf("queued %v", files)
	}

	cfg.Overdue.Columns = nil
	res, err := Scan(context.Background(), cfg, day, Options{Notices: builtin})
	if err != nil || len(res.Queued) != 1 {
		t.Fatalf("Scan with the built-in set: %v, %+v", err, res)
	}
	if files := noticeFiles(t, cfg); len(files) != 1 {
		t.Errorf("queued %v, want 1 file", files)
	}
}
