package config

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLoad_NoticeDefaults checks the defaults of [overdue], [log], [unit]
// and [service] on the minimal config.
func TestLoad_NoticeDefaults(t *testing.T) {
	c, _ := mustLoad(t, minimal)
	o := c.Overdue
	checks := []struct {
		name      string
		got, want any
	}{
		{"Enabled", o.Enabled, false},
		{"At", o.At, Clock{6, 30}},
		{"Loans", o.Loans, ""},
		{"Charset", o.Charset, "utf-8"},
		{"Delimiter", o.Delimiter, rune(0)},
		{"WarningDays", o.WarningDays, 3},
		{"OverdueDays", o.OverdueDays, 1},
		{"ReminderDays", o.ReminderDays, 3},
		{"Recipient", o.Recipient, RecipientPatron},
		{"Templates", o.Templates, ""},
		{"Language", o.Language, "en"},
		{"StaleAfter", o.StaleAfter, 48 * time.Hour},
		{"len(Columns)", len(o.Columns), 0},
		{"Daily", c.Log.Daily, true},
		{"DailyAt", c.Log.DailyAt, Clock{23, 55}},
		{"DailyTo", strings.Join(c.Log.DailyTo, ","), "library@example.org"},
		{"Log.Language", c.Log.Language, "en"},
		{"Location", c.Service.Location, time.Local},
		{"Timezone", c.Service.Timezone, ""},
		{"len(Units)", len(c.Units), 0},
		{"len(Servers)", len(c.Servers), 1},
		{"Servers[smtp]", c.Servers["smtp"], c.SMTP},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if o.Encoding == nil || c.Units == nil || o.ColumnMap() == nil {
		t.Errorf("Encoding %v, Units %v, ColumnMap() %v: want none nil", o.Encoding, c.Units, o.ColumnMap())
	}
	if DefaultOverdueAt.String() != "06:30" || DefaultDailyAt.String() != "23:55" {
		t.Errorf("DefaultOverdueAt %s, DefaultDailyAt %s", DefaultOverdueAt, DefaultDailyAt)
	}
}

// everyNoticeKey sets every key of issue 4 (and a backup relay for a unit).
const everyNoticeKey = `
[spool]
folder = queue

[smtp]
host = smtp.example.org

[smtp.backup]
host = smtp2.example.org
next = third

[smtp.third]
host = smtp3.example.org

[message]
from = library@example.org
from_name = Example Library
return_path = bounces@example.org
copy_to = archive@example.org

[log]
daily = no
daily_at = 7:05
daily_to = librarian@example.org,  it@example.org
language = sv_SE

[overdue]
enabled       = true
at            = 05:45
loans         = export/loans.csv     ; need not exist yet
charset       = windows-1252
delimiter     = ";"
warning_days  = 0
overdue_days  = 2
reminder_days = 10
recipient     = Both
templates     = tpl
language      = swe
stale_after   = 3d12h

[overdue.columns]
patron_id = Låntagare
due       = Förfallodatum
email     = "E-post"
unit      =              ; empty: the default header name

[unit.central]
from        = central@example.org
from_name   = Stadsbiblioteket
return_path = central-bounces@example.org
copy_to     = central-archive@example.org
language    = nb-NO
contact     = Storgatan 1, 111 22 Stockholm | 08-123 45 67 |  | Mon-Fri 10-19
smtp        = backup

[unit.Vasastan-2_b]
contact = Odengatan 63

[unit.direct]
smtp = smtp

[service]
timezone = Europe/Stockholm
`

// customWarning is a valid custom English warning template.
const customWarning = "Subject: {{len .Items}} loans due soon\n\nDear {{.Patron.Name}},\n" +
	"{{range .Items}}{{.Title}} {{date .Due}}\n{{end}}{{.Unit.Contact}}\n"

func TestLoad_EveryNoticeKey(t *testing.T) {
	c, dir := mustLoad(t, everyNoticeKey, "tpl/en/warning.txt", customWarning)

	o := c.Overdue
	if !o.Enabled || o.At != (Clock{5, 45}) || o.Loans != filepath.Join(dir, "export", "loans.csv") ||
		o.Charset != "windows-1252" || o.Encoding == nil || o.Delimiter != ';' ||
		o.WarningDays != 0 || o.OverdueDays != 2 || o.ReminderDays != 10 || o.Recipient != RecipientBoth ||
		o.Templates != filepath.Join(dir, "tpl") || o.Language != "sv" || o.StaleAfter != 84*time.Hour {
		t.Errorf("Overdue = %+v", o)
	}
	// The columns as written, in file order, with their lines; "unit ="
	// is kept with no header (the default).
	wantCols := []Column{{"patron_id", "Låntagare", 42}, {"due", "Förfallodatum", 43}, {"email", "E-post", 44}, {"unit", "", 45}}
	if !slices.Equal(o.Columns, wantCols) {
		t.Errorf("Columns = %+v, want %+v", o.Columns, wantCols)
	}
	if m := o.ColumnMap(); !maps.Equal(m, map[string]string{"patron_id": "Låntagare", "due": "Förfallodatum", "email": "E-post"}) {
		t.Errorf("ColumnMap() = %q", m)
	}

	l := c.Log
	if l.Daily || l.DailyAt != (Clock{7, 5}) || strings.Join(l.DailyTo, "|") != "librarian@example.org|it@example.org" ||
		l.Language != "sv" {
		t.Errorf("Log = %+v", l)
	}

	if c.Service.Location == nil || c.Service.Location.String() != "Europe/Stockholm" || c.Service.Timezone != "Europe/Stockholm" {
		t.Errorf("Service = %+v", c.Service)
	}
	// Stockholm is UTC+1 in winter.
	if _, off := time.Date(2026, 1, 15, 12, 0, 0, 0, c.Service.Location).Zone(); off != 3600 {
		t.Errorf("Europe/Stockholm offset in January = %ds, want 3600", off)
	}

	if len(c.Servers) != 3 || c.Servers["smtp"] != c.SMTP || c.Servers["backup"] == nil ||
		c.Servers["backup"].Host != "smtp2.example.org" || c.Servers["backup"].Next != c.Servers["third"] ||
		c.Servers["third"].Host != "smtp3.example.org" {
		t.Errorf("Servers = %+v", c.Servers)
	}

	if len(c.Units) != 3 {
		t.Fatalf("Units = %+v, want 3", c.Units)
	}
	u := c.Units["central"]
	if u == nil || u.Name != "central" || u.From != "central@example.org" || u.FromName != "Stadsbiblioteket" ||
		u.ReturnPath != "central-bounces@example.org" || u.CopyTo != "central-archive@example.org" ||
		u.Language != "nb" || u.SMTP != c.Servers["backup"] {
		t.Errorf("[unit.central] = %+v", u)
	}
	if want := "Storgatan 1, 111 22 Stockholm\n08-123 45 67\nMon-Fri 10-19"; u.Contact != want {
		t.Errorf("Contact = %q, want %q", u.Contact, want)
	}
	if v := c.Units["Vasastan-2_b"]; v == nil || v.Contact != "Odengatan 63" || v.SMTP != nil || v.From != "" {
		t.Errorf("[unit.Vasastan-2_b] = %+v", v)
	}
	if d := c.Units["direct"]; d == nil || d.SMTP != c.SMTP {
		t.Errorf("[unit.direct] = %+v, want SMTP = [smtp]", d)
	}
}

func TestConfig_UnitFor(t *testing.T) {
	c, _ := mustLoad(t, everyNoticeKey, "tpl/en/warning.txt", customWarning)

	u, ok := c.UnitFor(" CENTRAL ")
	if !ok || u.Name != "central" || u.From != "central@example.org" || u.SMTP != c.Servers["backup"] || u.Language != "nb" {
		t.Errorf("UnitFor(CENTRAL) = %+v, %v", u, ok)
	}
	// A unit that sets little gets the rest from [message], [overdue] and [smtp].
	u, ok = c.UnitFor("vasastan-2_B")
	if !ok || u.Name != "Vasastan-2_b" || u.Contact != "Odengatan 63" || u.From != "library@example.org" ||
		u.FromName != "Example Library" || u.ReturnPath != "bounces@example.org" || u.CopyTo != "archive@example.org" ||
		u.Language != "sv" || u.SMTP != c.SMTP {
		t.Errorf("UnitFor(vasastan-2_B) = %+v, %v", u, ok)
	}
	for _, name := range []string{"", "nowhere"} {
		u, ok = c.UnitFor(name)
		if ok || u.Name != "" || u.Contact != "" || u.From != "library@example.org" || u.SMTP != c.SMTP {
			t.Errorf("UnitFor(%q) = %+v, %v; want the fallbacks", name, u, ok)
		}
	}
	// The map is not changed by UnitFor.
	if c.Units["Vasastan-2_b"].From != "" {
		t.Error("UnitFor filled in the config's own Unit")
	}
}

func TestLoad_UnitsInCaptureMode(t *testing.T) {
	c, _ := mustLoad(t, `
[spool]
folder = queue
[smtp]
capture = outbox
[smtp.backup]
host = smtp2.example.org
[message]
from = library@example.org
[unit.a]
smtp = backup
[unit.b]
smtp = smtp
`)
	if c.SMTP != nil || len(c.Servers) != 0 {
		t.Errorf("capture mode: SMTP %v, Servers %v; want none", c.SMTP, c.Servers)
	}
	if c.Units["a"].SMTP != nil || c.Units["b"].SMTP != nil {
		t.Errorf("capture mode: units relay through %v, %v; want nil", c.Units["a"].SMTP, c.Units["b"].SMTP)
	}
	if u, _ := c.UnitFor("a"); u.SMTP != nil {
		t.Errorf("UnitFor in capture mode: SMTP = %v", u.SMTP)
	}
	// A name that does not exist is still an error.
	errs := loadErrors(t, "[spool]\nfolder = q\n[smtp]\ncapture = out\n[message]\nfrom = a@example.org\n[unit.a]\nsmtp = nope\n")
	if len(errs) != 1 || errs[0].Section != "unit.a" || errs[0].Key != "smtp" || errs[0].Value != "nope" || errs[0].Line != 8 {
		t.Errorf("errors = %v", errs)
	}
}

func TestLoad_NoticeValues(t *testing.T) {
	load := func(section, kv string) (*Config, error) {
		return Load(write(t, minimal+"\n["+section+"]\n"+kv+"\n"))
	}
	good := []struct {
		section, kv string
		check       func(*Config) bool
	}{
		{"overdue", "at = 0:00", func(c *Config) bool { return c.Overdue.At == Clock{} }},
		{"overdue", "at = 23:59", func(c *Config) bool { return c.Overdue.At == Clock{23, 59} }},
		{"overdue", "delimiter = ,", func(c *Config) bool { return c.Overdue.Delimiter == ',' }},
		{"overdue", "delimiter = Comma", func(c *Config) bool { return c.Overdue.Delimiter == ',' }},
		{"overdue", "delimiter = semicolon", func(c *Config) bool { return c.Overdue.Delimiter == ';' }},
		{"overdue", "delimiter = `;`", func(c *Config) bool { return c.Overdue.Delimiter == ';' }},
		{"overdue", `delimiter = \t`, func(c *Config) bool { return c.Overdue.Delimiter == '\t' }},
		{"overdue", "delimiter = TAB", func(c *Config) bool { return c.Overdue.Delimiter == '\t' }},
		// ";" unquoted starts a comment: the value is empty, so the
		// delimiter is detected, which finds the semicolons.
		{"overdue", "delimiter = ;", func(c *Config) bool { return c.Overdue.Delimiter == 0 }},
		{"overdue", "charset = latin1", func(c *Config) bool { return c.Overdue.Charset == "windows-1252" }},
		{"overdue", "recipient = GUARDIAN", func(c *Config) bool { return c.Overdue.Recipient == RecipientGuardian }},
		{"overdue", "language = no", func(c *Config) bool { return c.Overdue.Language == "nb" }},
		{"overdue", "language = RU", func(c *Config) bool { return c.Overdue.Language == "ru" }},
		{"overdue", "warning_days = 60\noverdue_days = 60\nreminder_days = 365", func(c *Config) bool {
			return c.Overdue.WarningDays == 60 && c.Overdue.OverdueDays == 60 && c.Overdue.ReminderDays == 365
		}},
		{"overdue", "overdue_days = 0\nreminder_days = 1", func(c *Config) bool { return c.Overdue.ReminderDays == 1 }},
		{"overdue", "overdue_days = 5\nreminder_days = 0", func(c *Config) bool { return c.Overdue.OverdueDays == 5 }},
		{"overdue", "stale_after = 1d", func(c *Config) bool { return c.Overdue.StaleAfter == 24*time.Hour }},
		{"overdue", "enabled = yes\nloans = C:\\ILS\\export\\loans.csv", func(c *Config) bool {
			return c.Overdue.Enabled && filepath.IsAbs(c.Overdue.Loans) && strings.HasSuffix(c.Overdue.Loans, "loans.csv")
		}},
		{"log", "daily_to = one@example.org", func(c *Config) bool { return strings.Join(c.Log.DailyTo, ",") == "one@example.org" }},
		{"service", "timezone = UTC", func(c *Config) bool { return c.Service.Location == time.UTC || c.Service.Location.String() == "UTC" }},
		{"service", "timezone = America/Argentina/Buenos_Aires", func(c *Config) bool {
			return c.Service.Location.String() == "America/Argentina/Buenos_Aires"
		}},
		{"service", "timezone =", func(c *Config) bool { return c.Service.Location == time.Local }},
		{"unit.x", "contact = `a | b`", func(c *Config) bool { return c.Units["x"].Contact == "a\nb" }},
	}
	for _, g := range good {
		c, err := load(g.section, g.kv)
		if err != nil {
			t.Errorf("[%s] %s: %v", g.section, g.kv, err)
			continue
		}
		if !g.check(c) {
			t.Errorf("[%s] %s: got Overdue %+v, Log %+v, Service %+v", g.section, g.kv, c.Overdue, c.Log, c.Service)
		}
	}

	bad := []struct{ section, kv, want string }{
		{"overdue", "at = 6.30", "want a time of day as HH:MM"},
		{"overdue", "at = 06:60", "from 00:00 to 23:59"},
		{"overdue", "at = 6:30pm", "24-hour clock"},
		{"overdue", "at = 24:00", "from 00:00 to 23:59"},
		{"overdue", "enabled = maybe", "want true or false"},
		{"overdue", "charset = utf-16", "a UTF-16 export is recognised by itself"},
		{"overdue", "charset = klingon", "want a character set name"},
		{"overdue", "warning_days = 61", "from 0 to 60"},
		{"overdue", "overdue_days = -1", "from 0 to 60"},
		{"overdue", "reminder_days = 366", "from 0 to 365"},
		{"overdue", "overdue_days = 3", `[overdue] overdue_days = "3": want fewer days than reminder_days (3, the default)`},
		{"overdue", "overdue_days = 4\nreminder_days = 2", `[overdue] reminder_days = "2": want more days than overdue_days (4)`},
		{"overdue", "enabled = on\nloans = l.csv\nwarning_days = 0\noverdue_days = 0\nreminder_days = 0",
			`[overdue] enabled = "on": warning_days, overdue_days and reminder_days are all 0`},
		{"overdue", "stale_after = 12h", "want a duration of 1d or more"},
		{"overdue", "stale_after = 2", "write a unit, e.g. stale_after = 2d"},
		{"overdue", "language = swedish", `[overdue] language = "swedish": unknown language; did you mean sv?`},
		{"overdue", "templates = nowhere", "does not exist; want a folder of notice templates"},
		{"overdue", "enabled = true\nloans =", "[overdue] loans: missing; enabled = true needs the loans export"},
		{"log", "language = fi", `[log] language = "fi": unknown language`},
		{"log", "daily_at = noon", `[log] daily_at = "noon": want a time of day`},
		{"log", "daily = sometimes", `[log] daily = "sometimes": want true or false`},
		{"log", "daily_to = a@example.org,,b@example.org", "one of them is empty"},
		{"log", "daily_to = Librarian <a@example.org>", `"Librarian <a@example.org>" is not an address alone`},
		{"service", "timezone = W. Europe Standard Time", "unknown time zone; want an IANA time zone name"},
		{"service", "timezone = europe/stockholm", "did you mean Europe/Stockholm?"},
		{"service", "timezone = ../../etc/passwd", "unknown time zone"},
		{"service", "tz = UTC", "[service] tz: unknown key; the keys of [service] are timezone"},
		{"unit.x", "return_path = <>", "the null sender <> is not allowed here"},
		{"unit.x", "from = Library <x@example.org>", "want an address alone"},
		{"unit.x", "copy_to = desk", "want an address alone"},
		{"unit.x", "language = de", "unknown language"},
		{"unit.x", "smtp = no such", "want smtp for [smtp], or the NAME of a [smtp.NAME] section"},
		{"unit.x", "host = smtp.example.org", "a unit does not set up a relay itself: name one with smtp = NAME"},
		{"unit.x", "test_to = a@example.org", "unknown key here; test_to belongs in [message]"},
		{"unit.x", "frm = a@example.org", "unknown key; did you mean from?"},
		{"unit", "from = a@example.org", "[unit]: unknown section; a unit's section is [unit.NAME]"},
		{"units.central", "from = a@example.org", "did you mean [unit.central]?"},
		{"overdue.column", "due = Förfallodatum", "did you mean [overdue.columns]?"},
		{"overdue", "due = Förfallodatum", "[overdue] due: unknown key; the keys of [overdue] are at, charset, " +
			"delimiter, enabled, language, loans, overdue_days, recipient, reminder_days, stale_after, templates, warning_days " +
			"(the loans export's columns are named in [overdue.columns])"},
		{"overdue", "daily_to = a@example.org", "daily_to belongs in [log]"},
		{"servce", "timezone = UTC", "did you mean [service]?"},
		{"lgo", "days = 3", "did you mean [log]?"},
	}
	for _, b := range bad {
		c, err := load(b.section, b.kv)
		if err == nil {
			t.Errorf("[%s] %s: loaded (%+v); want an error", b.section, b.kv, c)
			continue
		}
		errs := configErrors(t, err)
		if !strings.Contains(err.Error(), b.want) {
			t.Errorf("[%s] %s: error\n%v\nwant it to contain %q", b.section, b.kv, err, b.want)
		}
		for _, e := range errs {
			if e.Line == 0 {
				t.Errorf("[%s] %s: %v has no line", b.section, b.kv, e)
			}
		}
	}
}

func TestLoad_TwoUnitsDifferInCase(t *testing.T) {
	errs := loadErrors(t, minimal+"\n[unit.Central]\nfrom = a@example.org\n\n[unit.central]\nfrom = b@example.org\n")
	if len(errs) != 1 || errs[0].Section != "unit.central" || errs[0].Line != 14 ||
		!strings.Contains(errs[0].Want, "the same unit as [unit.Central] on line 11") {
		t.Errorf("errors = %v", errs)
	}
}

// TestLoad_KeyOutsideSectionWithSeveralHomes: a key known in several
// sections names them all.
func TestLoad_KeyOutsideSectionWithSeveralHomes(t *testing.T) {
	errs := loadErrors(t, "language = sv\n"+minimal)
	if len(errs) != 1 || !strings.Contains(errs[0].Want, "put it under [log], [overdue] or [unit.NAME]") {
		t.Errorf("errors = %v", errs)
	}
}

// TestLoad_ExampleNoticeKeys checks the example's issue-4 values, and that
// its commented [overdue.columns] and [unit.central] examples load when
// uncommented.
func TestLoad_ExampleNoticeKeys(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "spoolgate.ini")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs(filepath.Dir(path))
	o := c.Overdue
	if o.Enabled || o.Loans != filepath.Join(dir, "loans.csv") || o.At != DefaultOverdueAt || o.Templates != "" ||
		o.WarningDays != 3 || o.OverdueDays != 1 || o.ReminderDays != 3 || o.Recipient != "patron" ||
		o.Language != "en" || o.StaleAfter != DefaultStaleAfter || o.Delimiter != 0 {
		t.Errorf("Overdue = %+v", o)
	}
	if !c.Log.Daily || c.Log.DailyAt != DefaultDailyAt || strings.Join(c.Log.DailyTo, ",") != "library@example.org" ||
		c.Service.Location != time.Local || len(c.Units) != 0 {
		t.Errorf("Log = %+v, Service = %+v, Units = %v", c.Log, c.Service, c.Units)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	uncommented := 0
	for i := 0; i < len(lines); i++ {
		if lines[i] != "; [overdue.columns]" && lines[i] != "; [unit.central]" {
			continue
		}
		for ; i < len(lines) && strings.HasPrefix(lines[i], "; "); i++ {
			lines[i] = strings.TrimPrefix(lines[i], "; ")
			uncommented++
		}
	}
	if uncommented < 15 {
		t.Fatalf("uncommented %d lines; want the [overdue.columns] and [unit.central] examples", uncommented)
	}
	c, _ = mustLoad(t, strings.Join(lines, "\n"))
	if m := c.Overdue.ColumnMap(); len(c.Overdue.Columns) != 11 || len(m) != 11 || m["due"] != "Förfallodatum" {
		t.Errorf("Columns = %+v", c.Overdue.Columns)
	}
	u := c.Units["central"]
	if u == nil || u.From != "central@example.org" || u.Language != "sv" || u.SMTP != c.SMTP ||
		u.Contact != "Storgatan 1, 111 22 Stockholm\n08-123 45 67\nMon-Fri 10-19" {
		t.Errorf("[unit.central] = %+v", u)
	}
}
