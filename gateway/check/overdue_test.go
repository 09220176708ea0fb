package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

const goodExport = "patron_id,email,title,due,barcode,unit\n" +
	"1001,anna@example.net,Moby Dick,2026-03-01,B1,central\n" +
	"1002,bo@example.net,Dune,2026-03-02,B2,central\n"

// overdueConfig loads a capture-mode config (no relay to check) with
// [overdue] enabled on dir/loans.csv, the given more [overdue] lines and
// sections after them, and writes export there unless it is "".
func overdueConfig(t *testing.T, export string, more ...string) (*config.Config, string) {
	t.Helper()
	dir := spooltest.TempDir(t)
	for _, d := range []string{"queue", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	loans := filepath.Join(dir, "loans.csv")
	if export != "" {
		if err := os.WriteFile(loans, []byte(export), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := loadIn(t, dir, "capture = outbox\n\n[overdue]\nenabled = true\nloans = loans.csv\n"+strings.Join(more, "\n")+"\n\n[unit.central]\nfrom = central@example.org\n")
	return cfg, loans
}

// overdueStep returns the first [overdue] step called name.
func overdueStep(t *testing.T, r *Report, name string) Step {
	t.Helper()
	for _, s := range r.Overdue {
		if s.Step == name {
			return s
		}
	}
	t.Fatalf("no %s step:\n%s", name, textOf(r))
	return Step{}
}

func wantOverdue(t *testing.T, r *Report, name string, st Status, inDetail string, inVerdict ...string) Step {
	t.Helper()
	s := overdueStep(t, r, name)
	if s.Status != st {
		t.Errorf("%s: status %s, want %s:\n%s", name, s.Status, st, textOf(r))
	}
	if !strings.Contains(s.Detail, inDetail) {
		t.Errorf("%s: detail %q lacks %q", name, s.Detail, inDetail)
	}
	for _, v := range inVerdict {
		if !strings.Contains(s.Verdict, v) {
			t.Errorf("%s: verdict %q lacks %q", name, s.Verdict, v)
		}
	}
	if st != StatusOK && s.Verdict == "" {
		t.Errorf("%s: status %s without a verdict", name, st)
	}
	return s
}

func overdueNames(r *Report) string {
	var names []string
	for _, s := range r.Overdue {
		names = append(names, s.Step)
	}
	return strings.Join(names, " ")
}

func TestOverdue_Good(t *testing.T) {
	cfg, loans := overdueConfig(t, goodExport)
	r := runCheck(t, cfg, Options{})
	if got := overdueNames(r); got != "LOANS COLUMNS AGE NOTICES" {
		t.Errorf("steps %s:\n%s", got, textOf(r))
	}
	wantOverdue(t, r, "LOANS", StatusOK, loans+": 2 loans read (utf-8, comma separated)")
	wantOverdue(t, r, "COLUMNS", StatusOK, "the header (line 1) has every column spoolgate needs: patron_id, email, title, due; optional columns it lacks: patron_name, guardian_email, notify, language, author")
	wantOverdue(t, r, "AGE", StatusOK, "written "+time.Now().Format("2006-01-02"))
	wantOverdue(t, r, "NOTICES", StatusOK, "the built-in templates load; default language en")
	if !r.OK() {
		t.Errorf("not OK:\n%s", textOf(r))
	}
	if text := textOf(r); !strings.Contains(text, "\nOverdue notices ([overdue])\n  [ ok ] LOANS    "+loans+": 2 loans read") {
		t.Errorf("text:\n%s", text)
	}
}

func TestOverdue_Disabled(t *testing.T) {
	dir := spooltest.TempDir(t)
	cfg := loadIn(t, dir, "capture = outbox\n\n[overdue]\nenabled = false\nloans = nowhere.csv\n")
	r := runCheck(t, cfg, Options{})
	if len(r.Overdue) != 0 || strings.Contains(textOf(r), "Overdue notices") {
		t.Errorf("[overdue] is off, yet checked:\n%s", textOf(r))
	}
}

func TestOverdue_Missing(t *testing.T) {
	cfg, loans := overdueConfig(t, "")
	r := runCheck(t, cfg, Options{})
	wantOverdue(t, r, "LOANS", StatusFail, loans+": does not exist", "Set loans in [overdue] to the file the library system exports", "run spoolgate check again")
	if got := overdueNames(r); got != "LOANS NOTICES" {
		t.Errorf("steps %s", got)
	}
	if r.OK() {
		t.Error("OK without the export")
	}

	// In a folder that does not exist either: an unmounted share, say.
	cfg.Overdue.Loans = filepath.Join(filepath.Dir(loans), "share", "loans.csv")
	r = runCheck(t, cfg, Options{})
	wantOverdue(t, r, "LOANS", StatusFail, "does not exist", "The folder "+filepath.Join(filepath.Dir(loans), "share")+" does not exist either")
}

func TestOverdue_NotAFile(t *testing.T) {
	cfg, loans := overdueConfig(t, "")
	if err := os.Mkdir(loans, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runCheck(t, cfg, Options{})
	wantOverdue(t, r, "LOANS", StatusFail, loans+" is a folder, not a regular file", "inside that folder, e.g. "+filepath.Join(loans, "loans.csv"))
}

func TestOverdue_Columns(t *testing.T) {
	t.Run("mapped column not found", func(t *testing.T) {
		cfg, _ := overdueConfig(t, "patron_id;email;title;Due date\n1;a@example.net;X;2026-03-01\n", "\n[overdue.columns]\ndue = Förfallodatum")
		r := runCheck(t, cfg, Options{})
		wantOverdue(t, r, "COLUMNS", StatusFail, `missing: due ("Förfallodatum"); the header (line 1) has: "patron_id", "email", "title", "Due date"`,
			"In [overdue.columns], due = Förfallodatum names no column of the export: set due to")
		wantOverdue(t, r, "LOANS", StatusOK, "a regular file of 60 bytes")
	})
	t.Run("unmapped column missing", func(t *testing.T) {
		cfg, _ := overdueConfig(t, "patron_id,mail,title,due\n1,a@example.net,X,2026-03-01\n")
		r := runCheck(t, cfg, Options{})
		wantOverdue(t, r, "COLUMNS", StatusFail, `missing: email; the header (line 1) has: "patron_id", "mail", "title", "due"`,
			"The export has no column named email: add email = HEADER to [overdue.columns]")
		if r.OK() {
			t.Error("OK with a column missing")
		}
	})
	t.Run("mapped and found", func(t *testing.T) {
		cfg, _ := overdueConfig(t, "Låntagare;E-post;Titel;Förfallodatum;Streckkod\n1;a@example.net;X;01.03.2026;B1\n",
			"\n[overdue.columns]\npatron_id = Låntagare\nemail = E-post\ntitle = Titel\ndue = Förfallodatum\nbarcode = Streckkod")
		r := runCheck(t, cfg, Options{})
		wantOverdue(t, r, "COLUMNS", StatusOK, `has every column spoolgate needs: patron_id ("Låntagare"), email ("E-post"), title ("Titel"), due ("Förfallodatum")`)
		wantOverdue(t, r, "LOANS", StatusOK, "1 loan read (utf-8, semicolon separated)")
	})
	t.Run("no barcode", func(t *testing.T) {
		cfg, _ := overdueConfig(t, "patron_id,email,title,due\n1,a@example.net,X,2026-03-01\n")
		r := runCheck(t, cfg, Options{})
		wantOverdue(t, r, "COLUMNS", StatusWarn, "optional columns it lacks: patron_name, guardian_email, notify, language, unit, barcode, author",
			"barcode = HEADER in [overdue.columns]")
		if !r.OK() {
			t.Errorf("a warning made the check fail:\n%s", textOf(r))
		}
	})
}

func TestOverdue_Rows(t *testing.T) {
	cfg, _ := overdueConfig(t, goodExport+
		"1003,not an address,Emma,2026-03-03,B3,central\n"+
		"1004,c@example.net,Ulysses,2026-03-04,B4,Vasastan\n")
	r := runCheck(t, cfg, Options{})
	wantOverdue(t, r, "LOANS", StatusOK, "3 loans read")
	var warns []string
	for _, s := range r.Overdue {
		if s.Step == "LOANS" && s.Status == StatusWarn {
			warns = append(warns, s.Detail+" -> "+s.Verdict)
		}
	}
	if len(warns) != 2 || !strings.Contains(warns[0], "1 bad row left out; the first: line 4 (patron 1003): ") ||
		!strings.Contains(warns[1], "the export names units without a [unit.NAME] section: Vasastan -> ") ||
		!strings.Contains(warns[1], "add a [unit.NAME] section") {
		t.Errorf("warnings:\n%s", strings.Join(warns, "\n"))
	}
}

func TestOverdue_Charset(t *testing.T) {
	cfg, _ := overdueConfig(t, "patron_id,email,title,due,barcode\n1,a@example.net,R\xe4ven,2026-03-01,B1\n")
	r := runCheck(t, cfg, Options{})
	wantOverdue(t, r, "LOANS", StatusFail, "line 2 is not valid UTF-8", "Set charset in [overdue]", "windows-1252")

	cfg, _ = overdueConfig(t, "patron_id,email,title,due,barcode\n1,a@example.net,R\xe4ven,2026-03-01,B1\n", "charset = windows-1252")
	r = runCheck(t, cfg, Options{})
	wantOverdue(t, r, "LOANS", StatusOK, "1 loan read (windows-1252, comma separated)")
}

func TestOverdue_Age(t *testing.T) {
	cfg, loans := overdueConfig(t, goodExport)
	old := time.Now().Add(-3*24*time.Hour - time.Hour)
	if err := os.Chtimes(loans, old, old); err != nil {
		t.Fatal(err)
	}
	r := runCheck(t, cfg, Options{})
	wantOverdue(t, r, "AGE", StatusWarn, "written "+old.Format("2006-01-02 15:04")+", 3 days ago",
		"the morning scan would send notices from old loans", "export job")
	if !r.OK() {
		t.Errorf("an old export is a warning, not a failure:\n%s", textOf(r))
	}

	// Just under a day is fine: the ILS writes it every night.
	recent := time.Now().Add(-23 * time.Hour)
	if err := os.Chtimes(loans, recent, recent); err != nil {
		t.Fatal(err)
	}
	r = runCheck(t, cfg, Options{})
	wantOverdue(t, r, "AGE", StatusOK, "written "+recent.Format("2006-01-02 15:04"))

	// The check's clock, not the machine's.
	r = runCheck(t, cfg, Options{Now: func() time.Time { return recent.Add(25 * time.Hour) }})
	wantOverdue(t, r, "AGE", StatusWarn, "1 day ago")

	// In [service] timezone, as the daily log writes times.
	cfg, loans = overdueConfig(t, goodExport, "\n[service]\ntimezone = Asia/Tokyo")
	at := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)
	if err := os.Chtimes(loans, at, at); err != nil {
		t.Fatal(err)
	}
	r = runCheck(t, cfg, Options{Now: func() time.Time { return at.Add(time.Hour) }})
	wantOverdue(t, r, "AGE", StatusOK, "written 2026-03-02 08:30")
}

func TestOverdue_Templates(t *testing.T) {
	dir := spooltest.TempDir(t)
	tmpl := filepath.Join(dir, "sv", "overdue.txt")
	if err := os.MkdirAll(filepath.Dir(tmpl), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmpl, []byte("Subject: Försenat\n\nHej {{.Patron.Name}}!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := overdueConfig(t, goodExport, "templates = "+dir, "language = sv")
	r := runCheck(t, cfg, Options{})
	wantOverdue(t, r, "NOTICES", StatusOK, "the templates in "+dir+" load (sv/overdue.txt; the rest built-in); default language sv")

	// Broken after spoolgate loaded it: the check finds it.
	if err := os.WriteFile(tmpl, []byte("Subject: Försenat\n\nHej {{.Patron.Nope}}!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCheck(t, cfg, Options{})
	wantOverdue(t, r, "NOTICES", StatusFail, tmpl, "Fix the template, or leave templates in [overdue] empty")
	if r.OK() {
		t.Error("OK with a broken template")
	}
}
