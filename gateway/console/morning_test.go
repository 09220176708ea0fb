package console

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/overdue"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// morningSite is a site with the morning scan on, reading the example
// loans export (examples/loans.csv) with the built-in templates.
func morningSite(t *testing.T) *fixture {
	t.Helper()
	srv := smtptest.NewServer(t)
	f := siteFixture(t, relayINI(srv, "\n[overdue]\nenabled = true\nloans = loans.csv\nwarning_days = 3\noverdue_days = 1\nreminder_days = 3\n"), false)
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "loans.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.s.cfg.Overdue.Loans, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// An admin's dry run lists the notices a scan would write for the date
// and the patrons to print or phone, and writes nothing.
func TestMorningPage_DryRun(t *testing.T) {
	t.Parallel()
	f := morningSite(t)
	c := f.login(t, "alice")
	body := f.do("GET", "/morning", nil, c).Body.String()
	for _, want := range []string{"No morning scan has run yet.", `action="/morning/dry-run"`, `value="2026-12-03"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page before any scan lacks %q:\n%s", want, body)
		}
	}

	w := f.do("POST", "/morning/dry-run", url.Values{"date": {"2026-12-01"}}, c)
	body = w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("POST /morning/dry-run: %d\n%s", w.Code, body)
	}
	dry := body[strings.Index(body, `<div id="dry-result">`):]
	dry = dry[:strings.Index(dry, "</div>")]
	for _, want := range []string{"Dry run for 2026-12-01: nothing was queued or recorded", "Would queue (3):",
		"Zofia Wójcik (1004)", "Sarah Jones (1009)", "Ole Nordmann (1002)", "zofia.wojcik@example.org", "notice-20261201-warning-1004-",
		"Lalka, due 2026-12-04", "Due-soon notices", "Reminders",
		"To print or phone, as these patrons get no e-mail (3):", "John Smith (1007)", "e-mail notices turned off",
		"Emma Öberg (1003)", "Karin Berg (1008)", "no e-mail address"} {
		if !strings.Contains(dry, want) {
			t.Errorf("the dry run lacks %q:\n%s", want, dry)
		}
	}
	// Nothing written: no file in the queue, no state database.
	if entries, _ := os.ReadDir(f.s.cfg.Spool.Folder); len(entries) != 0 {
		t.Errorf("the dry run wrote %d files into the queue", len(entries))
	}
	if _, err := os.Stat(filepath.Join(f.s.cfg.Spool.Data, overdue.StateFile)); !os.IsNotExist(err) {
		t.Errorf("the dry run made the state database: %v", err)
	}
	if _, ok, _ := overdue.LastRun(f.s.cfg); ok {
		t.Error("the dry run is recorded as a scan")
	}
	acts, _ := f.s.actions.recent(1)
	if len(acts) != 1 || acts[0].What != ActMorningDryRun || !acts[0].OK || acts[0].Target != "2026-12-01" || acts[0].User != "alice" {
		t.Errorf("the dry run recorded as %+v", acts)
	}

	for date, want := range map[string]string{"01/12/2026": "Not a date: 01/12/2026."} {
		w := f.do("POST", "/morning/dry-run", url.Values{"date": {date}}, c)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), want) {
			t.Errorf("date %q: %d\n%s", date, w.Code, w.Body)
		}
	}
}

// The page shows the last scan as it was recorded: the notices by kind
// and the patrons to print or phone.
func TestMorningPage_LastScan(t *testing.T) {
	t.Parallel()
	f := morningSite(t)
	loc := f.s.location()
	day := time.Date(2026, 12, 1, 6, 30, 0, 0, loc)
	if _, err := overdue.Scan(context.Background(), f.s.cfg, day, overdue.Options{Now: func() time.Time { return day }}); err != nil {
		t.Fatal(err)
	}
	lib := f.login(t, "libby")
	f.s.cfg.Log.Language = "sv" // the page's words are the visitor's, not [log]'s
	body := f.do("GET", "/morning", nil, lib).Body.String()
	last := body[strings.Index(body, `<section id="last">`):]
	for _, want := range []string{"The last scan: 2026-12-01", "<td>Due-soon notices</td><td>2</td><td>2</td><td>0</td><td>0</td>",
		"<td>Reminders</td><td>1</td><td>1</td><td>1</td><td>0</td>", "<th>Total</th><th>3</th>",
		"To print or phone, as these patrons get no e-mail (3):", "John Smith (1007)", "Hundraåringen som klev ut genom fönstret och försvann, due 2026-11-30"} {
		if !strings.Contains(last, want) {
			t.Errorf("the last scan lacks %q:\n%s", want, last)
		}
	}
	if strings.Contains(body, `action="/morning/dry-run"`) {
		t.Error("the librarian is offered the dry run")
	}
	// In the visitor's language, with the daily log's words.
	r := f.do("GET", "/morning", nil, lib, &http.Cookie{Name: langCookie, Value: "sv"}).Body.String()
	for _, want := range []string{"Förvarningar", "Påminnelser", "har valt bort e-postmeddelanden", "Att skriva ut eller ringa"} {
		if !strings.Contains(r, want) {
			t.Errorf("the Swedish page lacks %q", want)
		}
	}
}

// An admin runs today's scan now: its notices are queued and the scan
// recorded, as the scheduled job does; a second run queues nothing
// twice; a librarian may not run it.
func TestMorningPage_RunNow(t *testing.T) {
	t.Parallel()
	f := morningSite(t)
	f.clock.add(-48 * time.Hour) // 2026-12-01: notices fall due in the example export
	if w := f.do("POST", "/morning/run", url.Values{}, f.login(t, "libby")); w.Code != http.StatusForbidden {
		t.Fatalf("a librarian ran the scan: %d", w.Code)
	}
	c := f.login(t, "alice")
	w := f.do("POST", "/morning/run", url.Values{}, c)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `id="ran"`) || !strings.Contains(body, "Today&#39;s scan ran:") {
		t.Fatalf("POST /morning/run: %d\n%s", w.Code, body)
	}
	queued := func() int {
		entries, _ := os.ReadDir(f.s.cfg.Spool.Folder)
		return len(entries)
	}
	n := queued()
	if n == 0 {
		t.Fatal("the run queued no notice")
	}
	if _, ok, _ := overdue.LastRun(f.s.cfg); !ok {
		t.Error("the run is not recorded as the day's scan")
	}
	f.do("POST", "/morning/run", url.Values{}, c)
	if m := queued(); m != n {
		t.Errorf("a second run queued %d files more", m-n)
	}
	acts, _ := f.s.actions.recent(1)
	if len(acts) != 1 || acts[0].What != ActMorningRun || !acts[0].OK || acts[0].User != "alice" {
		t.Errorf("the run recorded as %+v", acts)
	}
}
