package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/views"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// cli is the spoolgate command, built once for the tests that compare
// the API with what it prints.
var cli = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "spoolgate-console-cli-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "spoolgate")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", bin, "github.com/spoolgate/spoolgate/cmd/spoolgate").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// run runs the spoolgate command on the live site's config and returns
// what it printed on stdout.
func (l *live) run(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := cli()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, "--config", l.cfg.File)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil && o.Len() == 0 {
		t.Fatalf("spoolgate %s: %v\n%s", strings.Join(args, " "), err, e.String())
	}
	return o.String()
}

// api serves one API request with a Bearer token (or none) and the
// cookies, and returns the response.
func (l *live) api(method, target, token, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	r.Host = testHost
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	l.s.Handler().ServeHTTP(w, r)
	return w
}

// ages is text with the numbers of its ages ("last sent 11s ago") made
// #, for texts read a second apart.
func ages(text string) string { return ageRE.ReplaceAllString(text, "# ago") }

var ageRE = regexp.MustCompile(`[0-9][0-9a-z ]* ago`)

func decode(t *testing.T, what string, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, b)
	}
}

// Each API route answers what the command line prints for the same
// state, decoded into the same views types: /api/queue and queue --json,
// /api/status and status --json (but for the OS service, which the
// console is), /api/sent/{key} and the message's line of sent --json,
// /api/sent and the recipients of sent --json. A token of the librarian
// role works for them; nothing shows the relay's password.
func TestAPI_SameAsCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	if os.Getenv("SPOOLGATE_UNDER_WINE") == "1" {
		t.Skip("builds the command line with go, which is not there under wine; the Linux lane compares them")
	}
	t.Parallel()
	l := refused(t)
	l.drop(t, "welcome.eml", "reader@example.net", "Welcome to the library")
	l.srv.WaitMessages(t, 1, 30*time.Second)
	spooltest.WaitFor(t, "welcome.eml sent", func() bool {
		return !l.has("welcome.eml") && len(l.run(t, "sent", "--json", "--since", "all", "--status", "sent")) > 0
	})
	token, err := l.users.AddToken("monitor", accounts.Librarian)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) []byte {
		t.Helper()
		w := l.api("GET", path, token, "")
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("GET %s: %d %s\n%s", path, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		noSecret(t, "GET "+path, w.Body.String())
		return w.Body.Bytes()
	}

	var apiQ, cliQ views.Queue
	decode(t, "/api/queue", get("/api/queue"), &apiQ)
	out := l.run(t, "queue", "--json")
	noSecret(t, "queue --json", out)
	decode(t, "queue --json", []byte(out), &cliQ)
	apiQ.Time, cliQ.Time = time.Time{}, time.Time{}
	apiQ.Relay.Text, cliQ.Relay.Text = ages(apiQ.Relay.Text), ages(cliQ.Relay.Text)
	if !reflect.DeepEqual(apiQ, cliQ) {
		t.Errorf("/api/queue:\n%+v\nqueue --json:\n%+v", apiQ, cliQ)
	}
	if len(apiQ.Bad) != 1 || apiQ.Bad[0].Name != "notice.BAD" || apiQ.Bad[0].Cause != "address-unknown" {
		t.Errorf("/api/queue's .BAD files: %+v", apiQ.Bad)
	}
	var sv views.Queue
	decode(t, "/api/queue?lang=sv", get("/api/queue?lang=sv"), &sv)
	if len(sv.Bad) != 1 || sv.Bad[0].What == cliQ.Bad[0].What || sv.Bad[0].What == "" {
		t.Errorf("/api/queue?lang=sv explains as the English: %+v", sv.Bad)
	}

	var apiS, cliS views.Status
	decode(t, "/api/status", get("/api/status"), &apiS)
	decode(t, "status --json", []byte(l.run(t, "status", "--json")), &cliS)
	if apiS.Service != "" {
		t.Errorf("/api/status names the service %q; the console is the service", apiS.Service)
	}
	apiS.Time, cliS.Time, cliS.Service = time.Time{}, time.Time{}, ""
	apiS.Relay.Text, cliS.Relay.Text = ages(apiS.Relay.Text), ages(cliS.Relay.Text)
	if !reflect.DeepEqual(apiS, cliS) {
		t.Errorf("/api/status:\n%+v\nstatus --json:\n%+v", apiS, cliS)
	}

	// sent --json: one message a line.
	var msgs []views.Sent
	for _, line := range strings.Split(strings.TrimSpace(l.run(t, "sent", "--json", "--since", "all")), "\n") {
		var m views.Sent
		decode(t, "sent --json", []byte(line), &m)
		msgs = append(msgs, m)
	}
	if len(msgs) != 2 {
		t.Fatalf("sent --json printed %d messages; want 2", len(msgs))
	}
	var want []views.SentRow
	for _, m := range msgs {
		var h views.SentHistory
		decode(t, "/api/sent/"+m.QueueKey, get("/api/sent/"+url.PathEscape(m.QueueKey)), &h)
		if !reflect.DeepEqual(h.Sent, m) {
			t.Errorf("/api/sent/%s:\n%+v\nsent --json:\n%+v", m.QueueKey, h.Sent, m)
		}
		if len(h.Events) < 2 || h.Events[0].What != "claimed" && h.Events[0].What != "attempt" {
			t.Errorf("/api/sent/%s: events %+v", m.QueueKey, h.Events)
		}
		for _, rc := range m.Recipients {
			want = append(want, views.SentRow{Time: rc.Time, Status: rc.Status, Address: rc.Address, File: m.File, Subject: m.Subject,
				Cause: rc.Cause, Reply: rc.Reply, QueueID: rc.QueueID, Server: m.Server, MessageID: m.MessageID, QueueKey: m.QueueKey,
				Unit: m.Unit, Kind: m.Kind, Attempts: m.Attempts})
		}
	}
	var page views.SentPage
	decode(t, "/api/sent", get("/api/sent"), &page)
	slices.SortFunc(want, func(a, b views.SentRow) int { return b.Time.Compare(a.Time) })
	for i := range page.Rows {
		page.Rows[i].Server = "" // the recipient's server (the message's is its last)
	}
	for i := range want {
		want[i].Server = ""
	}
	if !reflect.DeepEqual(page.Rows, want) || page.Next != nil {
		t.Errorf("/api/sent:\n%+v\nfrom sent --json:\n%+v", page, want)
	}
	if w := l.api("GET", "/api/sent/no-such-key", token, ""); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"error"`) {
		t.Errorf("/api/sent/no-such-key: %d %s", w.Code, w.Body)
	}
}

// /api/sent filters and pages with the journal's cursor.
func TestAPI_SentPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	threeMessages(t, f.s.g.Journal())
	l := &live{fixture: f}
	token, err := f.users.AddToken("monitor", accounts.Librarian)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	next := "/api/sent?to=%40&limit=1"
	for next != "" {
		w := l.api("GET", next, token, "")
		var p views.SentPage
		decode(t, next, w.Body.Bytes(), &p)
		for _, r := range p.Rows {
			addrs = append(addrs, r.Address)
		}
		next = ""
		if p.Next != nil {
			next = "/api/sent?to=%40&limit=1&before=" + url.QueryEscape(*p.Next)
		}
		if len(addrs) > 5 {
			t.Fatal("the cursor does not end")
		}
	}
	if got := strings.Join(addrs, " "); got != "other@example.net patron@example.net kalle.anka@exempel.se" {
		t.Errorf("paged rows: %s", got)
	}
	for _, q := range []string{"status=nonsense", "cause=nonsense", "since=yesterday", "limit=0", "before=x"} {
		if w := l.api("GET", "/api/sent?"+q, token, ""); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("/api/sent?%s: %d %s", q, w.Code, w.Body)
		}
	}
	w := l.api("GET", "/api/sent?status=failed&cause=address-unknown", token, "")
	var p views.SentPage
	decode(t, "failed", w.Body.Bytes(), &p)
	if len(p.Rows) != 1 || p.Rows[0].Address != "patron@example.net" || p.Next != nil {
		t.Errorf("failed rows: %+v", p)
	}
}

// POST /api/retry: a librarian's token puts the file back (and the relay
// gets it), 404 for a name of no .BAD file, 400 without a name; the
// session works as well as a token. A librarian's token cannot discard
// (403, recorded); an admin's can. A token that is not valid gets 401.
func TestAPI_RetryAndRoles(t *testing.T) {
	t.Parallel()
	l := refused(t)
	lib, err := l.users.AddToken("desk", accounts.Librarian)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := l.users.AddToken("it", accounts.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if w := l.api("POST", "/api/retry", lib, `{"nome": "x"}`); w.Code != http.StatusBadRequest {
		t.Errorf("a body without name: %d %s", w.Code, w.Body)
	}
	if w := l.api("POST", "/api/retry", "not-a-token", `{"name": "notice.BAD"}`); w.Code != http.StatusUnauthorized {
		t.Errorf("a wrong token: %d", w.Code)
	}
	if w := l.api("POST", "/api/discard", lib, `{"name": "notice.BAD"}`); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"error"`) {
		t.Errorf("a librarian token's discard: %d %s", w.Code, w.Body)
	}
	acts, _ := l.s.actions.recent(5)
	if len(acts) == 0 || acts[0].What != ActRefused || acts[0].User != "desk" {
		t.Errorf("the refusal is not recorded: %+v", acts)
	}
	w := l.api("POST", "/api/retry", lib, `{"name": "notice.eml"}`)
	var got map[string]any
	decode(t, "retry", w.Body.Bytes(), &got)
	if w.Code != http.StatusOK || got["retried"] != "notice.BAD" || !strings.HasPrefix(fmt.Sprint(got["as"]), "notice.eml.test-") {
		t.Fatalf("retry: %d %s", w.Code, w.Body)
	}
	l.srv.WaitMessages(t, 1, 30*time.Second)
	if w := l.api("POST", "/api/retry", lib, `{"name": "notice.BAD"}`); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "no .BAD file named notice.BAD") {
		t.Errorf("retry again: %d %s", w.Code, w.Body)
	}
	acts, _ = l.s.actions.recent(5)
	if len(acts) < 2 || acts[1].What != ActRetry || acts[1].User != "desk" || !acts[1].OK {
		t.Errorf("the retry is not recorded: %+v", acts)
	}
	// An admin's token discards; the session of a signed-in user works too.
	l.srv.SetFault(nil)
	l.drop(t, "x.eml", "", "no recipient")
	spooltest.WaitFor(t, "x.BAD", func() bool { return l.has("x.BAD") })
	c := l.login(t, "libby")
	if w := l.api("GET", "/api/queue", "", "", c); w.Code != http.StatusOK {
		t.Errorf("the API with a session: %d", w.Code)
	}
	if w := l.api("POST", "/api/discard", admin, `{"name": "x.BAD"}`); w.Code != http.StatusOK || l.has("x.BAD") {
		t.Errorf("an admin token's discard: %d %s", w.Code, w.Body)
	}
	noSecret(t, "the API", w.Body.String())
}
