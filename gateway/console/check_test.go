package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// The Check page runs check on a POST and shows each step, its verdict
// and the transcript, and never the SMTP password.
func TestCheckPage(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.WithAuth("library@example.org", smtpPassword, "PLAIN", "LOGIN"))
	ini := strings.Replace(relayINI(srv, ""), "security = none\n",
		"security = none\nusername = library@example.org\npassword = "+smtpPassword+"\n", 1)
	f := siteFixture(t, ini, false)
	c := f.login(t, "alice")

	w := f.do("GET", "/check", nil, c)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `action="/check"`) || strings.Contains(w.Body.String(), `id="verdict"`) {
		t.Fatalf("GET /check: %d\n%s", w.Code, w.Body)
	}
	w = f.do("POST", "/check", url.Values{}, c)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("POST /check: %d\n%s", w.Code, body)
	}
	for _, want := range []string{`id="verdict"`, `id="folders"`, `id="server-0"`, "<code>TCP</code>", "<code>AUTH</code>", "<code>EHLO</code>",
		`<span class="state ok">ok</span>`, "Transcript (passwords masked)", "C: EHLO", "C: AUTH"} {
		if !strings.Contains(body, want) {
			t.Errorf("the check page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, smtpPassword) {
		t.Errorf("the check page shows the SMTP password:\n%s", body)
	}

	// A relay that refuses the login: the verdict says what to do, in
	// the page's words and check's.
	srv.SetFault(smtptest.At(smtptest.StageAuth, smtptest.Refuse(535, [3]int{5, 7, 8}, "Error: authentication failed")))
	body = f.do("POST", "/check", url.Values{}, c).Body.String()
	for _, want := range []string{`class="status bad" id="verdict"`, "problem(s)", `<span class="state bad">FAILED</span>`, "535", "What to do"} {
		if !strings.Contains(body, want) {
			t.Errorf("the failed check's page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, smtpPassword) {
		t.Errorf("the failed check's page shows the SMTP password")
	}
	acts, _ := f.s.actions.recent(2)
	if len(acts) != 2 || acts[0].What != ActCheck || acts[0].OK || !acts[1].OK || acts[0].User != "alice" {
		t.Errorf("the checks recorded as %+v", acts)
	}
	for _, a := range acts {
		if strings.Contains(a.Detail, smtpPassword) {
			t.Error("the action's detail has the password")
		}
	}
}
