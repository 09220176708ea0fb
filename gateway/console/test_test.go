package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/gateway/testmsg"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// siteFixture is a console over a gateway of the config ini (written in
// a new folder, with its queue folder made), with alice (admin) and libby
// (librarian) as newFixture has them. With run, the gateway runs until
// the test ends, and the console's clock is the real one.
func siteFixture(t *testing.T, ini string, run bool) *fixture {
	t.Helper()
	dir := spooltest.TempDir(t)
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{cfg.Spool.Folder, cfg.Spool.Data} {
		if err := os.MkdirAll(d, 0o770); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g, err := gateway.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- g.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("gateway: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("the gateway did not stop within 30s")
			}
		})
	} else {
		t.Cleanup(func() { g.Journal().Close() })
	}
	users, err := accounts.Open(filepath.Join(cfg.Spool.Data, accounts.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name string
		role accounts.Role
	}{{"alice", accounts.Admin}, {"libby", accounts.Librarian}} {
		if err := users.Add(u.name, u.role, "correct horse"); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(cfg, g, users, log)
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, cfg.Service.Location)}
	if !run {
		s.now = clock.now
	}
	return &fixture{s: s, users: users, clock: clock}
}

// relayINI is a site relaying to srv, its console on testHost.
func relayINI(srv *smtptest.Server, extra string) string {
	return fmt.Sprintf("[spool]\nfolder = queue\ndata = data\nsettle = 0s\ninstance = test\n\n"+
		"[smtp]\nhost = %s\nport = %d\nsecurity = none\n\n"+
		"[message]\nfrom = library@example.org\ntest_to = admin@example.org\n\n"+
		"[log]\ndaily = false\n\n[console]\nlisten = %s\n%s", srv.Host(), srv.Port(), testHost, extra)
}

// api serves one request under /api/ with the session c and a JSON body.
func (f *fixture) api(method, target, body string, c *http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = testHost
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if c != nil {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(w, r)
	return w
}

// The Test page: the form's message reaches the SMTP server, and the page
// and GET /api/test/{name} follow it to sent, with the relay's queue id.
func TestTestPage_SendAndFollow(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageData,
		&smtptest.Reply{Code: 250, Enhanced: [3]int{2, 0, 0}, Message: "Ok: queued as 7C3D2E1F"})))
	f := siteFixture(t, relayINI(srv, ""), true)
	c := f.login(t, "alice")

	w := f.do("GET", "/test", nil, c)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `value="admin@example.org"`) || !strings.Contains(body, `action="/test"`) {
		t.Fatalf("GET /test: %d\n%s", w.Code, body)
	}
	if strings.Contains(body, "<script") {
		t.Error("the form alone loads the script")
	}

	w = f.do("POST", "/test", url.Values{"to": {"patron.test@example.net"}}, c)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/test?name=spoolgate-test-") {
		t.Fatalf("POST /test: %d to %q\n%s", w.Code, loc, w.Body)
	}
	u, _ := url.Parse(loc)
	name := u.Query().Get("name")
	if u.Query().Get("to") != "patron.test@example.net" || !testmsg.IsName(name) {
		t.Errorf("redirected to %s", loc)
	}

	// The page of the outcome loads the script, and refreshes itself
	// without it until the outcome is final.
	msgs := srv.WaitMessages(t, 1, 30*time.Second)
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "patron.test@example.net" || !strings.Contains(string(msgs[0].Data), "spoolgate test message") {
		t.Errorf("the relay got %+v", msgs[0])
	}
	var o testOutcome
	spooltest.WaitFor(t, "the API says the test was sent", func() bool {
		w := f.api("GET", "/api/test/"+name+"?to=patron.test%40example.net", "", c)
		o = testOutcome{}
		return w.Code == http.StatusOK && json.Unmarshal(w.Body.Bytes(), &o) == nil && o.Final
	})
	if o.State != testmsg.Sent || o.QueueID != "7C3D2E1F" || !strings.Contains(o.Reply, "queued as 7C3D2E1F") ||
		o.StateText != "Sent" || o.Class != "ok" || o.AtText == "" {
		t.Errorf("the API's outcome: %+v", o.Outcome)
	}
	body = f.do("GET", loc, nil, c).Body.String()
	for _, want := range []string{`<script src="/static/test.js"></script>`, `id="queue-id">7C3D2E1F<`, `data-state="sent"`, `data-final="true"`, "Dropped " + name} {
		if !strings.Contains(body, want) {
			t.Errorf("the outcome page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "http-equiv") {
		t.Error("a final outcome still refreshes itself")
	}
	for _, bad := range []string{"style=", "<style", "onclick", "javascript:"} {
		if strings.Contains(body, bad) {
			t.Errorf("the test page has %q", bad)
		}
	}

	// The script is served, as a file of the console.
	if w := f.do("GET", "/static/test.js", nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/api/test/") {
		t.Errorf("GET /static/test.js: %d", w.Code)
	}

	// The action is recorded.
	acts, _ := f.s.actions.recent(10)
	found := false
	for _, a := range acts {
		if a.What == ActTest && a.OK && a.User == "alice" && a.Target == "patron.test@example.net" && a.Detail == name {
			found = true
		}
	}
	if !found {
		t.Errorf("the test is not recorded: %+v", acts)
	}
	if body := f.do("GET", "/", nil, c).Body.String(); !strings.Contains(body, "test message sent") {
		t.Error("the overview does not name the test action")
	}
}

// POST /api/test queues a test and answers its name; a bad address is
// refused with the reason.
func TestAPI_Test(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t)
	f := siteFixture(t, relayINI(srv, ""), true)
	token, err := f.users.AddToken("monitor", accounts.Admin)
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, target, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.Host = testHost
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		f.s.Handler().ServeHTTP(w, r)
		return w
	}
	w := do("POST", "/api/test", `{"to": "it@example.net"}`)
	var got struct{ Name, To, Follow string }
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != http.StatusAccepted || err != nil || !testmsg.IsName(got.Name) || got.To != "it@example.net" {
		t.Fatalf("POST /api/test: %d %s", w.Code, w.Body)
	}
	srv.WaitMessages(t, 1, 30*time.Second)
	spooltest.WaitFor(t, "sent", func() bool {
		return strings.Contains(do("GET", got.Follow+"?to=it%40example.net", "").Body.String(), `"state": "sent"`)
	})
	// The default address: [message] test_to.
	if w := do("POST", "/api/test", `{}`); w.Code != http.StatusAccepted || !strings.Contains(w.Body.String(), `"to": "admin@example.org"`) {
		t.Errorf("POST /api/test {}: %d %s", w.Code, w.Body)
	}
	for body, want := range map[string]int{`{"to": "Eve <eve@example.org>"}`: 422, `{"to": "not an address"}`: 422, `nonsense`: 400} {
		if w := do("POST", "/api/test", body); w.Code != want {
			t.Errorf("POST /api/test %s: %d %s; want %d", body, w.Code, w.Body, want)
		}
	}
	for _, name := range []string{"notice-1.eml", "spoolgate-test-x%2F..%2Fy"} {
		if w := do("GET", "/api/test/"+name, ""); w.Code != http.StatusNotFound {
			t.Errorf("GET /api/test/%s: %d", name, w.Code)
		}
	}
}

// A librarian may use none of the admin pages and routes, and each
// refusal is recorded.
func TestRoles_LibrarianRefusedTestCheckSend(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lib := f.login(t, "libby")
	for _, r := range []struct{ method, path string }{
		{"GET", "/test"}, {"GET", "/check"}, {"POST", "/test"}, {"POST", "/check"}, {"POST", "/daily/send"}, {"POST", "/morning/dry-run"},
	} {
		w := f.do(r.method, r.path, url.Values{"to": {"x@example.org"}, "date": {"2026-12-03"}}, lib)
		if w.Code != http.StatusForbidden {
			t.Errorf("librarian %s %s: %d; want 403", r.method, r.path, w.Code)
		}
		acts, _ := f.s.actions.recent(1)
		if len(acts) != 1 || acts[0].What != ActRefused || acts[0].User != "libby" || acts[0].Target != r.method+" "+r.path {
			t.Errorf("librarian %s %s: recorded %+v", r.method, r.path, acts)
		}
	}
	if w := f.api("POST", "/api/test", `{"to": "x@example.org"}`, lib); w.Code != http.StatusForbidden {
		t.Errorf("librarian POST /api/test: %d", w.Code)
	}
	if entries, _ := os.ReadDir(f.s.cfg.Spool.Folder); len(entries) != 0 {
		t.Errorf("the queue holds %d files after the refusals", len(entries))
	}
	// The librarian's navigation has the daily logs and the morning scan,
	// not the test and the check.
	body := f.do("GET", "/", nil, lib).Body.String()
	for _, want := range []string{`href="/daily"`, `href="/morning"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the librarian's navigation lacks %s", want)
		}
	}
	for _, not := range []string{`href="/test"`, `href="/check"`} {
		if strings.Contains(body, not) {
			t.Errorf("the librarian's navigation has %s", not)
		}
	}
}

// Every text of the four pages is there in every language.
func TestWords_PagesComplete(t *testing.T) {
	t.Parallel()
	check := func(what string, cat any) {
		t.Helper()
		b, _ := json.Marshal(cat)
		var m map[string]map[string]any
		json.Unmarshal(b, &m)
		en := m["en"]
		for _, code := range []string{"en", "sv", "nb", "pl", "cs", "ru"} {
			w, ok := m[code]
			if !ok {
				t.Errorf("%s: no %s", what, code)
				continue
			}
			for k, v := range en {
				switch x := w[k].(type) {
				case string:
					if x == "" {
						t.Errorf("%s %s: %s is empty", what, code, k)
					}
					if strings.Count(x, "%") != strings.Count(v.(string), "%") {
						t.Errorf("%s %s: %s has other verbs than English", what, code, k)
					}
				case map[string]any:
					for kk := range v.(map[string]any) {
						if s, _ := x[kk].(string); s == "" {
							t.Errorf("%s %s: %s[%s] is missing", what, code, k, kk)
						}
					}
				default:
					t.Errorf("%s %s: %s is missing", what, code, k)
				}
			}
		}
	}
	check("test", testCatalogue)
	check("check", checkCatalogue)
	check("daily", dailyCatalogue)
	check("morning", morningCatalogue)
	for code := range catalogue {
		for _, k := range []string{ActTest, ActCheck, ActDailySend, ActMorningDryRun} {
			if actionLabels[k][code] == "" {
				t.Errorf("%s: no name of the action %s", code, k)
			}
		}
	}
}

// A test the relay refuses for good: the page says it was set aside as
// .BAD, with the cause in package cause's words, in the visitor's
// language.
func TestTestPage_Refused(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.AtRcpt("nobody@example.net",
		smtptest.Refuse(550, [3]int{5, 1, 1}, "<nobody@example.net>: Recipient address rejected: User unknown"))))
	f := siteFixture(t, relayINI(srv, ""), true)
	c := f.login(t, "alice")
	sv := &http.Cookie{Name: langCookie, Value: "sv"}
	w := f.do("POST", "/test", url.Values{"to": {"nobody@example.net"}}, c, sv)
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("POST /test: %d\n%s", w.Code, w.Body)
	}
	var body string
	spooltest.WaitFor(t, "the page says .BAD", func() bool {
		body = f.do("GET", loc, nil, c, sv).Body.String()
		return strings.Contains(body, `data-state="bad"`)
	})
	for _, want := range []string{"Lagt åt sidan som .BAD: inte skickat", `class="status bad"`, "User unknown", `id="cause-label">`, `data-final="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused test's page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, `id="row-reason" hidden`) || strings.Contains(body, `id="row-todo" hidden`) {
		t.Errorf("the page does not explain the cause:\n%s", body)
	}
	// A bad address is refused before anything is queued.
	w = f.do("POST", "/test", url.Values{"to": {"Eve <eve@example.org>"}}, c)
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "Not an e-mail address: Eve &lt;eve@example.org&gt;") {
		t.Errorf("a bad address: %d\n%s", w.Code, w.Body)
	}
}
