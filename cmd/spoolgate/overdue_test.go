package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// overdueConfig writes a capture-mode config with [overdue] (enabled as
// given) reading loans.csv, and the export; it returns the config's path
// and the queue folder.
func overdueConfig(t *testing.T, enabled bool, loans string) (cfg, queue string) {
	t.Helper()
	dir := spooltest.TempDir(t)
	on := "false"
	if enabled {
		on = "true"
	}
	cfg = writeConfig(t, dir, `
[spool]
folder = queue
data   = data

[smtp]
capture = outbox

[message]
from      = library@example.org
from_name = Stadsbiblioteket

[overdue]
enabled = `+on+`
loans   = loans.csv

[unit.ostra]
from     = ostra@example.org
language = sv

[service]
timezone = Europe/Stockholm
`)
	if loans != "" {
		if err := os.WriteFile(filepath.Join(dir, "loans.csv"), []byte(loans), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	queue = filepath.Join(dir, "queue")
	if err := os.MkdirAll(queue, 0o755); err != nil {
		t.Fatal(err)
	}
	return cfg, queue
}

func notices(t *testing.T, queue string) []string {
	t.Helper()
	ents, err := os.ReadDir(queue)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "notice-") {
			out = append(out, e.Name())
		}
	}
	return out
}

const overdueLoans = "\ufeffpatron_id;patron_name;email;notify;language;unit;barcode;title;due\r\n" +
	"1;Anna Svensson;anna@example.org;ja;sv;;b1;Röda rummet;2020-06-18\r\n" +
	"1;Anna Svensson;anna@example.org;ja;sv;;b2;Mio, min Mio;2020-06-18\r\n" +
	"2;Kari;kari@example.org;ja;;OSTRA;b3;Sult;2020-06-14\r\n" +
	"3;Ola Paper;;ja;;;b4;Pan;2020-06-14\r\n" +
	"4;Bad Row;x@example.org;ja;;;b5;Bad;14/06/2020\r\n"

// A dry run shows the notices and queues nothing; the run queues them;
// running it again queues nothing new.
func TestE2E_Overdue(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	cfg, queue := overdueConfig(t, false, overdueLoans)
	out, errOut, code := spoolgate(t, "overdue", "--config", cfg, "--date", "2020-06-15", "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"the daily scan is off; this manual run still shows the notices",
		"Overdue scan for 2020-06-15 (dry run",
		"Would queue (2)",
		"patron 1 Anna Svensson: warning, 2 items to anna@example.org (sv)",
		"patron 2 Kari: overdue, 1 item to kari@example.org (sv, unit ostra)",
		"To print or phone (1)",
		"patron 3 Ola Paper: overdue, 1 item, no e-mail address",
		"line 6 (patron 4)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run does not say %q:\n%s", want, out)
		}
	}
	if n := notices(t, queue); len(n) != 0 {
		t.Fatalf("the dry run queued %v", n)
	}

	out, errOut, code = spoolgate(t, "overdue", "--config", cfg, "--date", "2020-06-15")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "this manual run still queues the notices") || !strings.Contains(out, "Queued (2)") {
		t.Errorf("run:\n%s", out)
	}
	files := notices(t, queue)
	if len(files) != 2 {
		t.Fatalf("queue %v, want 2 notices", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(queue, f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "X-Spoolgate-Kind: ") {
			t.Errorf("%s has no X-Spoolgate-Kind", f)
		}
		if strings.Contains(f, "-2-") && !strings.Contains(string(b), "X-Spoolgate-Unit: ostra") {
			t.Errorf("Kari's notice is not the unit's:\n%s", b)
		}
	}

	out, _, code = spoolgate(t, "overdue", "--config", cfg, "--date", "2020-06-15")
	if code != 0 || strings.Contains(out, "Queued (") || len(notices(t, queue)) != 2 {
		t.Errorf("second run: exit %d, queue %v\n%s", code, notices(t, queue), out)
	}
}

// A missing loans export: exit 1, and the error names the file.
func TestE2E_Overdue_MissingLoans(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	cfg, _ := overdueConfig(t, true, "")
	out, errOut, code := spoolgate(t, "overdue", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "loans.csv") || !strings.Contains(out, "could not be read") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out, "the daily scan is off") {
		t.Errorf("the scan is enabled, but the note says it is off:\n%s", out)
	}
}

func TestE2E_Overdue_Usage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	cfg, queue := overdueConfig(t, true, overdueLoans)
	tomorrow := time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	for _, args := range [][]string{
		{"--date", "15.06.2020"},
		{"--date", tomorrow},
		{"--dry-run", "extra"},
	} {
		out, errOut, code := spoolgate(t, append([]string{"overdue", "--config", cfg}, args...)...)
		if code != 2 {
			t.Errorf("overdue %v: exit %d, want 2\n%s%s", args, code, out, errOut)
		}
	}
	if _, errOut, _ := spoolgate(t, "overdue", "--config", cfg, "--date", tomorrow); !strings.Contains(errOut, "--dry-run") {
		t.Errorf("a future date without --dry-run does not point to it: %s", errOut)
	}
	out, errOut, code := spoolgate(t, "overdue", "--config", cfg, "--date", tomorrow, "--dry-run")
	if code != 0 || !strings.Contains(out, "Overdue scan for "+tomorrow+" (dry run") {
		t.Errorf("a future dry run: exit %d\n%s%s", code, out, errOut)
	}
	if n := notices(t, queue); len(n) != 0 {
		t.Errorf("queued %v", n)
	}
	if out, _, _ := spoolgate(t, "help"); !strings.Contains(out, "spoolgate overdue [--config FILE] [--date YYYY-MM-DD] [--dry-run]") {
		t.Errorf("help does not list overdue:\n%s", out)
	}
}

// A column name or a template that package overdue finds wrong is a bad
// config, as config.Load's errors are: exit 2, naming the file, line and
// key, and nothing queued.
func TestE2E_Overdue_BadSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	cfg, queue := overdueConfig(t, true, overdueLoans)
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "loans   = loans.csv\n", "loans   = loans.csv\ntemplates = tpl\n", 1) +
		"\n[overdue.columns]\nTitle = Titel\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(filepath.Dir(cfg), "tpl", "sv", "overdue.txt")
	if err := os.MkdirAll(filepath.Dir(tmpl), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmpl, []byte("Subject: Försenat\n\nHej {{.Patron.Nope}}!\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := spoolgate(t, "overdue", "--config", cfg, "--date", "2020-06-15")
	if code != 2 {
		t.Errorf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{
		cfg + `:16: [overdue] templates = "tpl": notice template ` + tmpl,
		"; fix the template, or leave templates empty for the built-in notices",
		cfg + ":26: [overdue.columns] Title: unknown column; did you mean title?",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := notices(t, queue); len(n) != 0 {
		t.Errorf("queued %v", n)
	}
}
