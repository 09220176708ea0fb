package console

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// liveSecret is the SMTP password of a live site: no page or API
// response may contain it.
const liveSecret = "Relay-pw-5e1d0b"

// live is a console over a gateway that runs, relaying through STARTTLS
// with a login to an in-process SMTP server.
type live struct {
	*fixture
	cfg *config.Config
	g   *gateway.Gateway
	srv *smtptest.Server
}

// newLive starts a gateway on a fresh site relaying to a server that
// answers with fault (nil: accepts everything), and its console, with
// the users alice (admin) and libby (librarian).
func newLive(t *testing.T, fault smtptest.Fault) *live {
	t.Helper()
	certs := smtptest.NewTLSCerts(t)
	srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithAuth("lib", liveSecret), smtptest.WithFault(fault))
	dir := spooltest.TempDir(t)
	ini := fmt.Sprintf(`[spool]
folder = queue
data = data
instance = test
settle = 0s
retry_delay = 1s
retry_max = 2s

[smtp]
host = %s
port = %d
security = starttls
ca_file = %s
username = lib
password = %s

[message]
from = library@example.org

[log]
daily = false

[console]
listen = %s
`, srv.Host(), srv.Port(), certs.CAFile, liveSecret, testHost)
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("the gateway did not stop within 60s")
		}
	})
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
	return &live{fixture: &fixture{s: s, users: users}, cfg: cfg, g: g, srv: srv}
}

// drop writes a message to patron to into the queue.
func (l *live) drop(t *testing.T, name, to, subject string) {
	t.Helper()
	msg := "From: library@example.org\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\nPlease return the book.\r\n"
	if err := spool.WriteFile(l.cfg.Spool.Folder, name, []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (l *live) has(name string) bool {
	_, err := os.Lstat(filepath.Join(l.cfg.Spool.Folder, name))
	return err == nil
}

// refused is a live site whose relay refused patron@example.net's
// notice.eml for good (550 5.1.1): notice.BAD waits with its reason. The
// relay accepts everything from then on.
func refused(t *testing.T) *live {
	t.Helper()
	l := newLive(t, smtptest.AtRcpt("patron@example.net", smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user here")))
	l.drop(t, "notice.eml", "patron@example.net", "Your loan is due")
	spooltest.WaitFor(t, "notice.BAD with its reason", func() bool { return l.has("notice.BAD") && l.has("notice.BAD.txt") })
	l.srv.SetFault(nil)
	return l
}

// noSecret fails the test if body shows the relay's password.
func noSecret(t *testing.T, what, body string) {
	t.Helper()
	if strings.Contains(body, liveSecret) {
		t.Errorf("%s shows the SMTP password", what)
	}
}

// The queue page lists the .BAD file with its cause, what happened and
// what to do in the reader's language (here Swedish), the refused
// recipient and the relay's reply; a librarian gets Retry but not
// Discard, an admin both.
func TestQueue_BadInSwedish(t *testing.T) {
	t.Parallel()
	l := refused(t)
	c := l.login(t, "libby")
	sv := &http.Cookie{Name: langCookie, Value: "sv"}
	w := l.do("GET", "/queue", nil, c, sv)
	body := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusOK {
		t.Fatalf("GET /queue: %d\n%s", w.Code, body)
	}
	meaning, todo := cause.Explain("sv", cause.AddressUnknown)
	for _, want := range []string{"<h1>Kö</h1>", "Lagda åt sidan som .BAD (1)", "notice.BAD", cause.Label("sv", cause.AddressUnknown),
		meaning, todo, "patron@example.net", "550 5.1.1", `id="retry-0"`, "Försök igen"} {
		if !strings.Contains(body, want) {
			t.Errorf("the queue page in Swedish lacks %q", want)
		}
	}
	if strings.Contains(body, `id="discard-0"`) {
		t.Error("a librarian is offered Discard")
	}
	en, _ := cause.Explain("en", cause.AddressUnknown)
	if strings.Contains(body, en) {
		t.Error("the Swedish page explains in English")
	}
	noSecret(t, "the queue page", body)
	w = l.do("GET", "/queue", nil, l.login(t, "alice"))
	if !strings.Contains(w.Body.String(), `id="discard-0"`) || !strings.Contains(w.Body.String(), `action="/queue/discard"`) {
		t.Errorf("an admin is not offered Discard:\n%s", w.Body)
	}
}

// Retry by a librarian: the file goes back, the journal records the
// retry, the running gateway sends it to the relay, the page says so and
// lists it no more, and the action is recorded with the user.
func TestQueue_Retry(t *testing.T) {
	t.Parallel()
	l := refused(t)
	c := l.login(t, "libby")
	w := l.do("POST", "/queue/retry", url.Values{"name": {"notice.BAD"}}, c)
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/queue?") {
		t.Fatalf("POST /queue/retry: %d %s\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	msgs := l.srv.WaitMessages(t, 1, 30*time.Second)
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "patron@example.net" {
		t.Errorf("the relay received %v", msgs[0].To)
	}
	spooltest.WaitFor(t, "the queue to empty", func() bool {
		ents, _ := os.ReadDir(l.cfg.Spool.Folder)
		for _, e := range ents {
			if !spool.IsInstanceLock(e.Name()) {
				return false
			}
		}
		return true
	})
	w = l.do("GET", w.Header().Get("Location"), nil, c)
	body := w.Body.String()
	if !strings.Contains(body, "notice.BAD is back in the queue as notice.eml.test-") || strings.Contains(body, `id="retry-0"`) {
		t.Errorf("the queue page after the retry:\n%s", body)
	}
	acts, _ := l.s.actions.recent(10)
	if len(acts) == 0 || acts[0].What != ActRetry || acts[0].User != "libby" || !acts[0].OK || acts[0].Target != "notice.BAD" || acts[0].At.IsZero() {
		t.Errorf("the actions: %+v", acts)
	}
	rows, _, err := l.g.Journal().Search(journalSearch("patron@example.net"))
	if err != nil || len(rows) != 1 {
		t.Fatalf("search: %v %v", rows, err)
	}
	_, evs, err := l.g.Journal().History(rows[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	var what []string
	for _, e := range evs {
		what = append(what, e.What)
	}
	if w := strings.Join(what, " "); !strings.Contains(w, "failed retried") || !strings.HasSuffix(w, "sent") {
		t.Errorf("the history: %s", w)
	}
	// A second retry of the same name: nothing to put back.
	w = l.do("POST", "/queue/retry", url.Values{"name": {"notice.BAD"}}, c)
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "There is no .BAD file notice.BAD") {
		t.Errorf("retry again: %d\n%s", w.Code, w.Body)
	}
}

// Discard: a librarian is refused (403, recorded) and nothing moves; an
// admin moves the file and its reason out of the queue into the data
// folder's discarded folder, recorded.
func TestQueue_Discard(t *testing.T) {
	t.Parallel()
	l := refused(t)
	w := l.do("POST", "/queue/discard", url.Values{"name": {"notice.BAD"}}, l.login(t, "libby"))
	if w.Code != http.StatusForbidden {
		t.Errorf("a librarian's discard: %d; want 403", w.Code)
	}
	if !l.has("notice.BAD") || !l.has("notice.BAD.txt") {
		t.Fatal("a refused discard moved the file")
	}
	acts, _ := l.s.actions.recent(10)
	if len(acts) == 0 || acts[0].What != ActRefused || acts[0].User != "libby" || acts[0].Target != "POST /queue/discard" {
		t.Errorf("the refusal is not recorded: %+v", acts)
	}
	c := l.login(t, "alice")
	w = l.do("POST", "/queue/discard", url.Values{"name": {"notice.BAD"}}, c)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("an admin's discard: %d\n%s", w.Code, w.Body)
	}
	if l.has("notice.BAD") || l.has("notice.BAD.txt") {
		t.Error("the file or its reason is still in the queue")
	}
	into := filepath.Join(l.cfg.Spool.Data, DiscardFolder)
	for _, n := range []string{"notice.BAD", "notice.BAD.txt"} {
		if _, err := os.Stat(filepath.Join(into, n)); err != nil {
			t.Errorf("%s is not in %s: %v", n, into, err)
		}
	}
	acts, _ = l.s.actions.recent(10)
	if len(acts) == 0 || acts[0].What != ActDiscard || acts[0].User != "alice" || !acts[0].OK || !strings.Contains(acts[0].Detail, into) {
		t.Errorf("the discard is not recorded: %+v", acts)
	}
	w = l.do("GET", w.Header().Get("Location"), nil, c)
	if body := html.UnescapeString(w.Body.String()); !strings.Contains(body, "notice.BAD and its reason were moved to "+filepath.Join(into, "notice.BAD")) {
		t.Errorf("the page after the discard:\n%s", body)
	}
	// A name that is not a .BAD file's is refused.
	if w := l.do("POST", "/queue/discard", url.Values{"name": {"../spoolgate.ini"}}, c); w.Code != http.StatusNotFound {
		t.Errorf("discard ../spoolgate.ini: %d", w.Code)
	}
}
