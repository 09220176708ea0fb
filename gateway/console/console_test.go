package console

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/lang"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// The secrets of the test config: no page may contain them.
const (
	smtpPassword = "SMTP-pass-7f3a9c"
	clientSecret = "OAuth-secret-91bd4e"
)

const testHost = "127.0.0.1:8025"

// testConfig is a site (never run: nothing is sent) with a password and an OAuth
// client secret in its config.
const testConfig = `[spool]
folder = queue
data = data
instance = test
settle = 0s

[smtp]
host = smtp.example.org
username = library@example.org
password = ` + smtpPassword + `
next = cloud

[smtp.cloud]
auth = oauth2
oauth_provider = microsoft
username = library@example.org
oauth_tenant = t
oauth_client_id = c
oauth_client_secret = ` + clientSecret + `

[message]
from = library@example.org

[console]
listen = ` + testHost + `
session = 30m
`

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	s     *Server
	users *accounts.Store
	clock *testClock
}

// newFixture makes a console over a gateway that is not running, with an
// admin (alice) and a librarian (libby), both with password "correct horse".
func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := spooltest.TempDir(t)
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(testConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g, err := gateway.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Journal().Close() })
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
	clock := &testClock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.Local)}
	s.now = clock.now
	return &fixture{s: s, users: users, clock: clock}
}

// do serves one request with Host testHost, from 192.0.2.1.
func (f *fixture) do(method, target string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	r.Host = testHost
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(w, r)
	return w
}

// login signs user in and returns the session cookie.
func (f *fixture) login(t testing.TB, user string) *http.Cookie {
	t.Helper()
	w := f.do("POST", "/login", url.Values{"user": {user}, "password": {"correct horse"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("login %s: %d %s", user, w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("login %s: no session cookie", user)
	return nil
}

func TestUnauthenticated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, p := range []string{"/", "/no-such-page"} {
		w := f.do("GET", p, nil)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login" {
			t.Errorf("GET %s: %d to %q; want 303 to /login", p, w.Code, w.Header().Get("Location"))
		}
	}
	w := f.do("POST", "/actions/ping", url.Values{})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login" {
		t.Errorf("POST /actions/ping: %d; want 303 to /login", w.Code)
	}
	for _, p := range []string{"/api/whoami", "/api/status", "/api/"} {
		w := f.do("GET", p, nil)
		if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Errorf("GET %s: %d %s; want 401 in JSON", p, w.Code, w.Header().Get("Content-Type"))
		}
	}
	// A cookie naming no session is no session.
	w = f.do("GET", "/", nil, &http.Cookie{Name: sessionCookie, Value: newID()})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?expired=1" {
		t.Errorf("GET / with an unknown session: %d to %q", w.Code, w.Header().Get("Location"))
	}
	w = f.do("GET", "/login", nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `action="/login"`) || !strings.Contains(w.Body.String(), `name="password"`) {
		t.Errorf("GET /login: %d\n%s", w.Code, w.Body)
	}
}

func TestLogin_Cookie(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login(t, "alice")
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure without TLS", c)
	}
	if len(c.Value) != 43 { // 256 bits in unpadded base64url
		t.Errorf("session id %d characters; want 43", len(c.Value))
	}
	w := f.do("GET", "/", nil, c)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Signed in as alice (admin)") {
		t.Fatalf("GET / signed in: %d\n%s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), c.Value) {
		t.Error("the page shows the session id")
	}
	// Another login gets another id.
	if c2 := f.login(t, "alice"); c2.Value == c.Value {
		t.Error("two logins, one session id")
	}
	acts, _ := f.s.actions.recent(0)
	if len(acts) != 2 || acts[0].What != ActLogin || !acts[0].OK || acts[0].User != "alice" {
		t.Errorf("actions %+v; want two logins", acts)
	}
}

func TestLogin_RateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wrong := url.Values{"user": {"alice"}, "password": {"wrong"}}
	for i := range MaxFailures {
		w := f.do("POST", "/login", wrong)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "Wrong user name or password.") {
			t.Fatalf("failure %d: %d\n%s", i+1, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "wrong") && !strings.Contains(w.Body.String(), "Wrong") {
			t.Errorf("failure %d: the page shows the password typed", i+1)
		}
	}
	// Now even the right password waits.
	w := f.do("POST", "/login", url.Values{"user": {"alice"}, "password": {"correct horse"}})
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" ||
		!strings.Contains(w.Body.String(), "try again at 10:00:01") {
		t.Fatalf("attempt after %d failures: %d Retry-After %q\n%s", MaxFailures, w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	// Another name from the same address waits too.
	if w := f.do("POST", "/login", url.Values{"user": {"libby"}, "password": {"correct horse"}}); w.Code != http.StatusTooManyRequests {
		t.Errorf("another user from the address: %d; want 429", w.Code)
	}
	// The wait grows: 1s after the fifth failure, 2s after the sixth.
	f.clock.add(time.Second)
	if w := f.do("POST", "/login", wrong); w.Code != http.StatusUnauthorized {
		t.Fatalf("after the wait: %d; want 401", w.Code)
	}
	f.clock.add(time.Second)
	if w := f.do("POST", "/login", wrong); w.Code != http.StatusTooManyRequests {
		t.Errorf("1s after the sixth failure: %d; want 429", w.Code)
	}
	f.clock.add(time.Second)
	f.login(t, "alice")
	acts, _ := f.s.actions.recent(0)
	failed := 0
	for _, a := range acts {
		if a.What == ActLoginFailed {
			failed++
			if a.User != "alice" || a.Addr != "192.0.2.1" || a.OK || strings.Contains(a.Detail, "wrong") && !strings.Contains(a.Detail, "wrong user") {
				t.Errorf("failure recorded as %+v", a)
			}
		}
	}
	if failed != MaxFailures+1 {
		t.Errorf("%d failures recorded; want %d", failed, MaxFailures+1)
	}
}

func TestLimiter_Delays(t *testing.T) {
	t.Parallel()
	l := newLimiter()
	now := time.Unix(1_000_000, 0)
	var waits []time.Duration
	for range MaxFailures + 12 {
		l.fail("a", "u", now)
		if u := l.wait("a", "u", now); !u.IsZero() {
			waits = append(waits, u.Sub(now))
		}
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300}
	for i := range want {
		want[i] *= time.Second
	}
	if !reflect.DeepEqual(waits, want) {
		t.Errorf("waits %v; want %v", waits, want)
	}
	l.succeed("a", "u")
	if u := l.wait("a", "u", now); !u.IsZero() {
		t.Errorf("after a success: wait until %v", u)
	}
}

func TestCrossOriginPost(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login(t, "alice")
	for _, p := range []string{"/logout", "/login", "/actions/ping", "/lang"} {
		r := httptest.NewRequest("POST", p, strings.NewReader("user=alice&password=correct+horse&lang=sv"))
		r.Host = testHost
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", "http://evil.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.AddCookie(c)
		w := httptest.NewRecorder()
		f.s.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("cross-origin POST %s: %d; want 403", p, w.Code)
		}
		// Only an Origin, as an older browser sends it.
		r.Header.Del("Sec-Fetch-Site")
		w = httptest.NewRecorder()
		f.s.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("cross-origin POST %s with Origin only: %d; want 403", p, w.Code)
		}
	}
	// The session survived: the logout was refused.
	if w := f.do("GET", "/", nil, c); w.Code != http.StatusOK {
		t.Errorf("after the refused logout: %d", w.Code)
	}
	// The same origin may.
	r := httptest.NewRequest("POST", "/actions/ping", nil)
	r.Host = testHost
	r.Header.Set("Origin", "http://"+testHost)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(c)
	w := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusSeeOther {
		t.Errorf("same-origin POST: %d; want 303", w.Code)
	}
}

func TestForeignHost(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login(t, "alice")
	for _, host := range []string{"evil.example", "evil.example:8025", "127.0.0.1:8026", "attacker.example:80", "127.0.0.1.evil.example:8025", ""} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		r.AddCookie(c)
		w := httptest.NewRecorder()
		f.s.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusMisdirectedRequest {
			t.Errorf("Host %q: %d; want 421", host, w.Code)
		}
		if strings.Contains(w.Body.String(), "alice") {
			t.Errorf("Host %q: the answer shows the page", host)
		}
	}
	for _, host := range []string{testHost, "localhost:8025", "LOCALHOST.:8025", "[::1]:8025"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		r.AddCookie(c)
		w := httptest.NewRecorder()
		f.s.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Errorf("Host %q: %d; want 200", host, w.Code)
		}
	}
}

func TestHostList(t *testing.T) {
	t.Parallel()
	name, _ := os.Hostname()
	for _, tc := range []struct {
		listen   string
		yes, not []string
	}{
		{"127.0.0.1:8025", []string{"127.0.0.1:8025", "localhost:8025", "[::1]:8025"}, []string{"127.0.0.1", "example.org:8025", name + ":8025"}},
		{"[::1]:9000", []string{"[::1]:9000", "localhost:9000", "127.0.0.1:9000"}, []string{"[::1]:8025"}},
		{"0.0.0.0:8443", []string{"127.0.0.1:8443", "localhost:8443", name + ":8443", strings.ToUpper(name) + ":8443"}, []string{"evil.example:8443", name + ":8444"}},
		{"192.0.2.7:80", []string{"192.0.2.7:80", "192.0.2.7"}, []string{"localhost:80", "localhost", "192.0.2.8:80"}},
	} {
		h, err := newHostList(tc.listen, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, y := range tc.yes {
			if !h.allows(y) {
				t.Errorf("listen %s: Host %q refused; want it allowed (allowed: %v)", tc.listen, y, h.names())
			}
		}
		for _, n := range tc.not {
			if h.allows(n) {
				t.Errorf("listen %s: Host %q allowed; want it refused", tc.listen, n)
			}
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login(t, "alice")
	check := func(what string, w *httptest.ResponseRecorder) {
		t.Helper()
		for k, v := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "no-referrer",
			"X-Content-Type-Options":  "nosniff",
			"Cache-Control":           "no-store",
		} {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s: %s: %q; want %q", what, k, got, v)
			}
		}
	}
	check("GET /", f.do("GET", "/", nil, c))
	check("GET /login", f.do("GET", "/login", nil))
	check("GET / signed out", f.do("GET", "/", nil))
	check("GET /api/whoami", f.do("GET", "/api/whoami", nil))
	check("404", f.do("GET", "/nothing", nil, c))
	w := f.do("GET", "/static/console.css", nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Errorf("GET /static/console.css: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	check("GET /static/console.css", w)
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "evil.example"
	w = httptest.NewRecorder()
	f.s.Handler().ServeHTTP(w, r)
	check("421", w)
	// No page has inline script or style.
	for _, p := range []string{"/", "/login"} {
		body := f.do("GET", p, nil, c).Body.String()
		if p == "/login" {
			body = f.do("GET", p, nil).Body.String()
		}
		for _, bad := range []string{"<script", "style=", "<style", "onclick", "onchange", "javascript:", "http://", "https://"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", p, bad)
			}
		}
	}
}

func TestRoles_LibrarianRefusedAdminRoute(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lib := f.login(t, "libby")
	w := f.do("GET", "/", nil, lib)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Signed in as libby (librarian)") {
		t.Fatalf("librarian's overview: %d\n%s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), `action="/actions/ping"`) {
		t.Error("the librarian's overview offers the admin action")
	}
	w = f.do("POST", "/actions/ping", url.Values{}, lib)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "This needs the admin role.") {
		t.Errorf("librarian POST /actions/ping: %d\n%s", w.Code, w.Body)
	}
	acts, _ := f.s.actions.recent(1)
	if len(acts) != 1 || acts[0].What != ActRefused || acts[0].User != "libby" || acts[0].OK || acts[0].Target != "POST /actions/ping" {
		t.Errorf("the refusal recorded as %+v", acts)
	}
	// The refusal shows on the overview.
	if body := f.do("GET", "/", nil, lib).Body.String(); !strings.Contains(body, "not allowed for the role") {
		t.Error("the overview does not show the refused action")
	}
	admin := f.login(t, "alice")
	if w := f.do("POST", "/actions/ping", url.Values{}, admin); w.Code != http.StatusSeeOther {
		t.Errorf("admin POST /actions/ping: %d", w.Code)
	}
	if body := f.do("GET", "/", nil, admin).Body.String(); !strings.Contains(body, "admin check") {
		t.Error("the overview does not show the admin check")
	}
	// A user whose role changes in the file has the new role at once.
	if err := f.users.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	if err := f.users.Add("alice", accounts.Librarian, "correct horse"); err != nil {
		t.Fatal(err)
	}
	if w := f.do("POST", "/actions/ping", url.Values{}, admin); w.Code != http.StatusForbidden {
		t.Errorf("admin made librarian in the file: POST /actions/ping %d; want 403", w.Code)
	}
	// A user removed from the file is signed out.
	if err := f.users.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	if w := f.do("GET", "/", nil, admin); w.Code != http.StatusSeeOther {
		t.Errorf("removed user: GET / %d; want 303", w.Code)
	}
}

func TestSession_IdleExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // session = 30m
	c := f.login(t, "libby")
	for range 3 {
		f.clock.add(29 * time.Minute)
		if w := f.do("GET", "/", nil, c); w.Code != http.StatusOK {
			t.Fatalf("after 29 minutes idle: %d; want 200", w.Code)
		}
	}
	f.clock.add(30 * time.Minute)
	w := f.do("GET", "/", nil, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?expired=1" {
		t.Errorf("after 30 minutes idle: %d to %q; want 303 to /login?expired=1", w.Code, w.Header().Get("Location"))
	}
	if f.s.sessions.count() != 0 {
		t.Errorf("%d sessions kept after expiry", f.s.sessions.count())
	}
	// However busy, a session ends after SessionMax.
	c = f.login(t, "libby")
	for d := time.Duration(0); d < SessionMax-20*time.Minute; d += 20 * time.Minute {
		f.clock.add(20 * time.Minute)
		if w := f.do("GET", "/api/whoami", nil, c); w.Code != http.StatusOK {
			t.Fatalf("busy session after %v: %d", d, w.Code)
		}
	}
	f.clock.add(20 * time.Minute)
	if w := f.do("GET", "/", nil, c); w.Code != http.StatusSeeOther {
		t.Errorf("after SessionMax: %d; want 303", w.Code)
	}
}

func TestLogout_EndsSessionOnServer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login(t, "alice")
	w := f.do("POST", "/logout", url.Values{}, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?out=1" {
		t.Fatalf("logout: %d to %q", w.Code, w.Header().Get("Location"))
	}
	cleared := false
	for _, k := range w.Result().Cookies() {
		if k.Name == sessionCookie && k.MaxAge < 0 {
			cleared = true
		}
	}
	if !cleared {
		t.Error("logout does not clear the cookie")
	}
	// The old cookie, replayed, is no session.
	if w := f.do("GET", "/", nil, c); w.Code != http.StatusSeeOther {
		t.Errorf("the old cookie after logout: %d; want 303", w.Code)
	}
	if w := f.do("GET", "/api/whoami", nil, c); w.Code != http.StatusUnauthorized {
		t.Errorf("the old cookie on the API after logout: %d; want 401", w.Code)
	}
	if n := f.s.sessions.count(); n != 0 {
		t.Errorf("%d sessions after logout", n)
	}
	if body := f.do("GET", "/login?out=1", nil).Body.String(); !strings.Contains(body, "You are signed out.") {
		t.Error("the sign-in page does not say the user signed out")
	}
}

func TestAPI_Bearer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token, err := f.users.AddToken("monitor", accounts.Librarian)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.Host = testHost
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		f.s.Handler().ServeHTTP(w, r)
		return w
	}
	w := get("/api/whoami", "Bearer "+token)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"user": "monitor"`) {
		t.Errorf("whoami with the token: %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), token) {
		t.Error("the answer shows the token")
	}
	for _, bad := range []string{"Bearer " + token + "x", "Bearer ", "Basic " + token, token} {
		if w := get("/api/whoami", bad); w.Code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d; want 401", bad, w.Code)
		}
	}
	// A token opens the API, not the pages.
	if w := get("/", "Bearer "+token); w.Code != http.StatusSeeOther {
		t.Errorf("GET / with a token: %d; want 303 to /login", w.Code)
	}
	// A session opens the API too.
	c := f.login(t, "libby")
	if w := f.do("GET", "/api/whoami", nil, c); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"role": "librarian"`) {
		t.Errorf("whoami with a session: %d %s", w.Code, w.Body)
	}
}

func TestNoSecretReachesTheBrowser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	admin := f.login(t, "alice")
	lib := f.login(t, "libby")
	token, _ := f.users.AddToken("monitor", accounts.Admin)
	var pagesSeen []string
	for _, c := range []*http.Cookie{admin, lib, nil} {
		for _, p := range []string{"/", "/login", "/login?out=1", "/api/whoami", "/nothing", "/static/console.css"} {
			for _, code := range lang.Codes() {
				r := httptest.NewRequest("GET", p, nil)
				r.Host = testHost
				r.Header.Set("Accept-Language", code)
				if c != nil {
					r.AddCookie(c)
				}
				w := httptest.NewRecorder()
				f.s.Handler().ServeHTTP(w, r)
				body := w.Body.String()
				for _, secret := range []string{smtpPassword, clientSecret, "correct horse", token, admin.Value, lib.Value} {
					if strings.Contains(body, secret) {
						t.Errorf("GET %s (%s): the answer contains a secret", p, code)
					}
				}
				pagesSeen = append(pagesSeen, p)
			}
		}
	}
	if len(pagesSeen) == 0 {
		t.Fatal("no page read")
	}
	// The config the console serves from holds them, so the test means
	// something.
	if f.s.cfg.SMTP.Password != smtpPassword || f.s.cfg.Servers["cloud"].OAuth.ClientSecret != clientSecret {
		t.Fatalf("the test config lost its secrets: %q", f.s.cfg.SMTP.Password)
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login(t, "libby")
	page := func(al string, cookies ...*http.Cookie) string {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = testHost
		if al != "" {
			r.Header.Set("Accept-Language", al)
		}
		for _, k := range cookies {
			r.AddCookie(k)
		}
		w := httptest.NewRecorder()
		f.s.Handler().ServeHTTP(w, r)
		return w.Body.String()
	}
	for al, want := range map[string]string{
		"":                        "Overview",
		"sv-SE,sv;q=0.9,en;q=0.5": "Översikt",
		"nb":                      "Oversikt",
		"no":                      "Oversikt",
		"de-DE, pl;q=0.8":         "Przegląd",
		"cs-CZ":                   "Přehled",
		"ru":                      "Обзор",
		"fr-FR":                   "Overview",
	} {
		if body := page(al, c); !strings.Contains(body, "<h1>"+want+"</h1>") {
			t.Errorf("Accept-Language %q: want %q", al, want)
		}
	}
	// The switcher's choice wins over the browser's.
	w := f.do("POST", "/lang", url.Values{"lang": {"sv"}, "back": {"/"}}, c)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("POST /lang: %d to %q", w.Code, w.Header().Get("Location"))
	}
	var lc *http.Cookie
	for _, k := range w.Result().Cookies() {
		if k.Name == langCookie {
			lc = k
		}
	}
	if lc == nil || lc.Value != "sv" || !lc.HttpOnly || lc.SameSite != http.SameSiteStrictMode {
		t.Fatalf("language cookie %+v", lc)
	}
	body := page("ru", c, lc)
	if !strings.Contains(body, "<h1>Översikt</h1>") || !strings.Contains(body, `<html lang="sv">`) || !strings.Contains(body, "bibliotekarie") {
		t.Errorf("with the sv cookie the page is not Swedish:\n%s", body)
	}
	// The switcher never sends anyone to another site.
	for _, back := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "evil"} {
		w := f.do("POST", "/lang", url.Values{"lang": {"pl"}, "back": {back}}, c)
		if loc := w.Header().Get("Location"); loc != "/" {
			t.Errorf("back %q: to %q; want /", back, loc)
		}
	}
}

// Every text is there in every language, and no language copies
// English wholesale.
func TestWords_Complete(t *testing.T) {
	t.Parallel()
	en := reflect.ValueOf(*catalogue["en"])
	for _, code := range lang.Codes() {
		w, ok := catalogue[code]
		if !ok {
			t.Errorf("no words for %s", code)
			continue
		}
		v := reflect.ValueOf(*w)
		same := 0
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			switch f := v.Field(i); f.Kind() {
			case reflect.String:
				if f.String() == "" {
					t.Errorf("%s: %s is empty", code, name)
				}
				if code != "en" && f.String() == en.Field(i).String() {
					same++
				}
			case reflect.Map:
				for _, k := range en.Field(i).MapKeys() {
					if s := f.MapIndex(k); !s.IsValid() || s.String() == "" {
						t.Errorf("%s: %s[%s] is missing", code, name, k)
					}
				}
			}
		}
		if same > 3 {
			t.Errorf("%s: %d texts are the English ones", code, same)
		}
		if strings.Count(w.SignedInAs, "%s") != 2 || strings.Count(w.TooMany, "%s") != 1 ||
			strings.Count(w.CannotRead, "%s") != 1 || strings.Count(w.RelayNoRecord, "%s") != 1 {
			t.Errorf("%s: a text lost its %%s", code)
		}
	}
}

// The overview shows the queue's counts and today's outcomes.
func TestOverview_Counts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login(t, "alice")
	queue := f.s.cfg.Spool.Folder
	for _, n := range []string{"a.eml", "b.eml"} {
		if err := os.WriteFile(filepath.Join(queue, n), []byte("To: x@example.org\r\n\r\nhi\r\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(queue, "c.eml.BAD"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	body := f.do("GET", "/", nil, c).Body.String()
	for _, want := range []string{`<dd id="waiting">2</dd>`, `<dd id="bad">1</dd>`, `<dd id="sent">0</dd>`, "Needs attention", "Nothing has been sent yet.",
		`<li id="daily-last">The daily log was last sent for: not yet</li>`} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q:\n%s", want, body)
		}
	}
}
