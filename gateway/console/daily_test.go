package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// The Daily logs page shows today's daily log as its text, in [log]
// language (Swedish here), past days by date, and lets an admin send
// today's now, once.
func TestDailyPage_SwedishAndSendNow(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t)
	f := siteFixture(t, relayINI(srv, "")+"", false)
	f.s.cfg.Log.Language = "sv"
	f.s.cfg.Log.DailyTo = []string{"librarian@example.org"}
	lib := f.login(t, "libby")

	w := f.do("GET", "/daily", nil, lib)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("GET /daily: %d\n%s", w.Code, body)
	}
	for _, want := range []string{`<section id="report" lang="sv">`, "Dagslogg från spoolgate", "torsdag", "KÖN JUST NU",
		`<pre class="report" id="report-text">`, `href="/daily?date=2026-11-20"`, `aria-current="page">2026-12-03 (today)`} {
		if !strings.Contains(body, want) {
			t.Errorf("today's page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, `action="/daily/send"`) {
		t.Error("the librarian is offered Send now")
	}

	// A past day, and days that are not.
	if body := f.do("GET", "/daily?date=2026-12-01", nil, lib).Body.String(); !strings.Contains(body, "tisdag") || !strings.Contains(body, `value="2026-12-01"`) {
		t.Errorf("the page of 2026-12-01:\n%s", body)
	}
	for date, want := range map[string]string{"2026-12-04": "That day has not come yet.", "yesterday": "Not a date: yesterday."} {
		if body := f.do("GET", "/daily?"+url.Values{"date": {date}}.Encode(), nil, lib).Body.String(); !strings.Contains(body, want) || strings.Contains(body, `id="report-text"`) {
			t.Errorf("date %s: want %q:\n%s", date, want, body)
		}
	}

	// Send now, as an admin: queued once, not twice.
	admin := f.login(t, "alice")
	if body := f.do("GET", "/daily", nil, admin).Body.String(); !strings.Contains(body, `action="/daily/send"`) {
		t.Error("the admin is not offered Send now")
	}
	w = f.do("POST", "/daily/send", url.Values{}, admin)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Queued today&#39;s daily log as spoolgate-daily-") ||
		!strings.Contains(w.Body.String(), "to librarian@example.org") {
		t.Fatalf("POST /daily/send: %d\n%s", w.Code, w.Body)
	}
	entries, _ := os.ReadDir(f.s.cfg.Spool.Folder)
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "spoolgate-daily-20261203") {
		t.Errorf("the queue holds %v", entries)
	}
	w = f.do("POST", "/daily/send", url.Values{}, admin)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "it is not queued twice") {
		t.Errorf("the second POST /daily/send: %d\n%s", w.Code, w.Body)
	}
	if entries, _ := os.ReadDir(f.s.cfg.Spool.Folder); len(entries) != 1 {
		t.Errorf("after the second send the queue holds %d files", len(entries))
	}
	acts, _ := f.s.actions.recent(2)
	if len(acts) != 2 || acts[0].What != ActDailySend || acts[0].OK || !acts[1].OK || !strings.HasPrefix(acts[1].Target, "spoolgate-daily-") {
		t.Errorf("the sends recorded as %+v", acts)
	}
}

// GET /api/report is the daily log's Summary, for a librarian.
func TestAPI_Report(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.s.cfg.Log.Language = "sv"
	lib := f.login(t, "libby")
	w := f.api("GET", "/api/report?date=2026-12-02", "", lib)
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); w.Code != http.StatusOK || err != nil {
		t.Fatalf("GET /api/report: %d %s", w.Code, w.Body)
	}
	if doc["day"] != "2026-12-02" || doc["language"] != "sv" || doc["running"] != true || !strings.HasPrefix(doc["subject"].(string), "spoolgate 2026-12-02") {
		t.Errorf("the report: %v", doc)
	}
	if w := f.api("GET", "/api/report", "", lib); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"day": "2026-12-03"`) {
		t.Errorf("GET /api/report (today): %d %s", w.Code, w.Body)
	}
	for _, date := range []string{"2026-12-04", "12/02/2026"} {
		if w := f.api("GET", "/api/report?date="+url.QueryEscape(date), "", lib); w.Code != http.StatusBadRequest {
			t.Errorf("GET /api/report?date=%s: %d", date, w.Code)
		}
	}
	if strings.Contains(w.Body.String(), smtpPassword) || strings.Contains(w.Body.String(), clientSecret) {
		t.Error("the report has a secret")
	}
}
