package console

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/journal"
)

func journalSearch(to string) journal.Search { return journal.Search{To: to} }

const testRelay = "smtp.example.org:587"

// journaled writes a message of one recipient to the journal as the
// gateway would: attempts, each with its outcome (deferred with a 451
// before the last), and flushes.
func journaled(t *testing.T, j *journal.Journal, key, file, to, subject string, last journal.Outcome, deferrals int) {
	t.Helper()
	c := journal.Claim{Key: key, File: file, MessageID: "<" + key + "@example.org>", From: "library@example.org",
		To: []string{to}, Subject: subject, Size: 321}
	j.Begin(c, testRelay, []string{to}, nil)
	for range deferrals {
		j.Record(journal.Outcome{Key: key, To: []string{to}, Status: journal.StatusDeferred, Server: testRelay,
			Reply: "451 4.3.0 Try again later", Cause: string(cause.Temporary), Next: time.Now().Add(time.Minute)}, nil)
		j.Attempt(key, testRelay, []string{to}, nil)
	}
	last.Key, last.To, last.Server = key, []string{to}, testRelay
	j.Record(last, nil)
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
}

func sentOK(queueID string) journal.Outcome {
	return journal.Outcome{Status: journal.StatusSent, Reply: "250 2.0.0 Ok: queued as " + queueID, QueueID: queueID}
}

func failedUnknown() journal.Outcome {
	return journal.Outcome{Status: journal.StatusFailed, Reply: "550 5.1.1 <patron@example.net>: no such user", Cause: string(cause.AddressUnknown)}
}

// threeMessages journals a sent, a failed and a deferred message.
func threeMessages(t *testing.T, j *journal.Journal) {
	t.Helper()
	journaled(t, j, "test-1", "due-1.eml", "kalle.anka@exempel.se", "Påminnelse om lån", sentOK("4AbC01"), 1)
	journaled(t, j, "test-2", "due-2.eml", "patron@example.net", "Your loan is due", failedUnknown(), 0)
	journaled(t, j, "test-3", "hold-3.eml", "other@example.net", "A hold is ready", journal.Outcome{Status: journal.StatusDeferred,
		Reply: "421 4.7.0 Try later", Cause: string(cause.Temporary), Next: time.Now().Add(time.Hour)}, 0)
}

// rowsOf are the addresses of the result rows of a Sent page.
func rowsOf(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `<td class="address">`)[1:] {
		i := strings.Index(part, `">`)
		j := strings.Index(part, "</a>")
		if i >= 0 && j > i {
			out = append(out, html.UnescapeString(part[i+2:j]))
		}
	}
	return out
}

// The search filters by a fragment of the address, by status, by cause
// and by dates, alone and together.
func TestSent_Search(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	threeMessages(t, f.s.g.Journal())
	c := f.login(t, "libby")
	today := time.Now().In(f.s.location())
	day := func(d int) string { return today.AddDate(0, 0, d).Format("2006-01-02") }
	for _, tc := range []struct {
		query string
		want  string
	}{
		{"", "other@example.net patron@example.net kalle.anka@exempel.se"},
		{"to=ANKA", "kalle.anka@exempel.se"},
		{"to=example.net", "other@example.net patron@example.net"},
		{"status=failed", "patron@example.net"},
		{"status=sent", "kalle.anka@exempel.se"},
		{"cause=address-unknown", "patron@example.net"},
		{"cause=temporary&to=other", "other@example.net"},
		{"file=hold", "other@example.net"},
		{"subject=loan+due", "patron@example.net"},
		{"since=" + day(0) + "&until=" + day(0), "other@example.net patron@example.net kalle.anka@exempel.se"},
		{"since=" + day(1), ""},
		{"until=" + day(-1), ""},
		{"since=" + day(-1) + "&status=failed", "patron@example.net"},
	} {
		w := f.do("GET", "/sent/?"+tc.query, nil, c)
		if w.Code != http.StatusOK {
			t.Errorf("GET /sent/?%s: %d", tc.query, w.Code)
			continue
		}
		if got := strings.Join(rowsOf(w.Body.String()), " "); got != tc.want {
			t.Errorf("/sent/?%s: rows %q; want %q", tc.query, got, tc.want)
		}
	}
	// The form offers every cause, labelled in the reader's language.
	w := f.do("GET", "/sent/", nil, c, &http.Cookie{Name: langCookie, Value: "pl"})
	body := html.UnescapeString(w.Body.String())
	for _, k := range cause.All() {
		if !strings.Contains(body, `<option value="`+string(k)+`">`+cause.Label("pl", k)+`</option>`) {
			t.Errorf("the cause select lacks %s in Polish", k)
		}
	}
	if w := f.do("GET", "/sent/?since=03.12.2026", nil, c); !strings.Contains(w.Body.String(), "Not a date: 03.12.2026") {
		t.Errorf("a bad date:\n%s", w.Body)
	}
	// /sent takes to /sent/.
	if w := f.do("GET", "/sent?to=x", nil, c); w.Code/100 != 3 || !strings.HasPrefix(w.Header().Get("Location"), "/sent/") {
		t.Errorf("GET /sent: %d %s", w.Code, w.Header().Get("Location"))
	}
}

// Past a page of rows, a next link (the journal's cursor) leads to the
// older ones, with the search kept.
func TestSent_Paging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	j := f.s.g.Journal()
	n := sentPageSize + 5
	for i := range n {
		journaled(t, j, fmt.Sprintf("test-p%02d", i), fmt.Sprintf("n%02d.eml", i), fmt.Sprintf("p%02d@lib.example", i), "Notice", sentOK(fmt.Sprintf("Q%02d", i)), 0)
	}
	journaled(t, j, "test-x", "x.eml", "x@elsewhere.example", "Notice", sentOK("QX"), 0)
	c := f.login(t, "libby")
	w := f.do("GET", "/sent/?to=lib.example&status=sent", nil, c)
	first := rowsOf(w.Body.String())
	if len(first) != sentPageSize || first[0] != fmt.Sprintf("p%02d@lib.example", n-1) {
		t.Fatalf("the first page: %d rows from %v", len(first), first[:min(len(first), 1)])
	}
	body := w.Body.String()
	i := strings.Index(body, `<a href="/sent/?`)
	if i < 0 || !strings.Contains(body, `id="next"`) {
		t.Fatalf("no next link:\n%s", body)
	}
	next := body[i+len(`<a href="`):]
	next = html.UnescapeString(next[:strings.Index(next, `"`)])
	u, err := url.Parse(next)
	if err != nil || u.Query().Get("to") != "lib.example" || u.Query().Get("status") != "sent" || u.Query().Get("before") == "" {
		t.Fatalf("the next link %q keeps not the search", next)
	}
	w = f.do("GET", next, nil, c)
	second := rowsOf(w.Body.String())
	if len(second) != 5 || second[4] != "p00@lib.example" || strings.Contains(w.Body.String(), `id="next"`) || !strings.Contains(w.Body.String(), `id="first"`) {
		t.Errorf("the second page: %v", second)
	}
	if w := f.do("GET", "/sent/?before=nonsense", nil, c); !strings.Contains(w.Body.String(), "That page link is not valid any more") {
		t.Errorf("a bad cursor:\n%s", w.Body)
	}
}

// A message's page shows its attempts and the relay's replies, the queue
// id, and each recipient's outcome explained by package cause.
func TestSent_Message(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	threeMessages(t, f.s.g.Journal())
	c := f.login(t, "libby")
	w := f.do("GET", "/sent/", nil, c)
	if !strings.Contains(w.Body.String(), `href="/sent/test-1"`) {
		t.Fatalf("the row does not link to its message:\n%s", w.Body)
	}
	w = f.do("GET", "/sent/test-1", nil, c)
	body := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusOK {
		t.Fatalf("GET /sent/test-1: %d", w.Code)
	}
	for _, want := range []string{"due-1.eml", "Påminnelse om lån", `<dd id="attempts">2</dd>`, "kalle.anka@exempel.se",
		"451 4.3.0 Try again later", "250 2.0.0 Ok: queued as 4AbC01", "<code>4AbC01</code>", ">attempt<", ">deferred<", ">sent<", "<test-1@example.org>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the message page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<tr class="event">`); n < 4 {
		t.Errorf("the history has %d events; want the claim, two attempts and three outcomes", n)
	}
	w = f.do("GET", "/sent/test-2", nil, c, &http.Cookie{Name: langCookie, Value: "cs"})
	body = html.UnescapeString(w.Body.String())
	meaning, todo := cause.Explain("cs", cause.AddressUnknown)
	for _, want := range []string{cause.Label("cs", cause.AddressUnknown), meaning, todo, "550 5.1.1"} {
		if !strings.Contains(body, want) {
			t.Errorf("the failed message in Czech lacks %q", want)
		}
	}
	for _, path := range []string{"/sent/", "/sent/test-1", "/sent/test-2", "/queue"} {
		body := f.do("GET", path, nil, c).Body.String()
		if strings.Contains(body, smtpPassword) || strings.Contains(body, clientSecret) {
			t.Errorf("GET %s shows a secret of the config", path)
		}
	}
	w = f.do("GET", "/sent/no-such-key", nil, c)
	if !strings.Contains(w.Body.String(), "The journal has no message no-such-key.") {
		t.Errorf("an unknown key:\n%s", w.Body)
	}
}
