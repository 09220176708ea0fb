package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/oauth"
	"github.com/spoolgate/spoolgate/gateway/oauth/oauthtest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// loginConfig writes a config whose [smtp] signs in to Microsoft and
// [smtp.gmail] to Google, both by refresh tokens, at lg.
func loginConfig(t *testing.T, dir string, lg *oauthtest.Login, app oauthtest.MicrosoftApp, cl oauthtest.Client) string {
	t.Helper()
	return writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder = queue
data   = data

[smtp]
auth = oauth2
oauth_provider = microsoft
username = deleg@example.org
oauth_tenant = %[1]s
oauth_client_id = %[2]s
oauth_refresh_token_file = ms-refresh-token
oauth_token_url = %[3]s

[smtp.gmail]
auth = oauth2
oauth_provider = google
username = user@gmail.test
oauth_client_id = %[4]s
oauth_client_secret = %[5]s
oauth_refresh_token_file = tokens/gmail-refresh-token
oauth_token_url = %[6]s

[smtp.password]
host = 127.0.0.1
port = 25
security = none

[message]
from = library@example.org
`, app.Tenant, app.ClientID, lg.MicrosoftTokenURL(app.Tenant), cl.ID, cl.Secret, lg.TokenURL()))
}

func checkTokenFile(t *testing.T, path, want, output string) {
	t.Helper()
	got, err := oauth.ReadRefreshToken(path)
	if err != nil {
		t.Fatalf("the refresh-token file: %v", err)
	}
	if got != want {
		t.Errorf("the refresh-token file holds another token than the sign-in gave")
	}
	if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("the refresh-token file's mode is %v; want 0600", fi.Mode().Perm())
	}
	if strings.Contains(output, want) {
		t.Errorf("the output shows the refresh token:\n%s", output)
	}
}

func TestOAuthLogin_MicrosoftDeviceCode(t *testing.T) {
	if testing.Short() {
		t.Skip("waits seconds on the device-code polling: the full lane runs it (bash .ci/run)")
	}
	tokens := oauthtest.NewPlain(t)
	app := tokens.AddMicrosoftApp("deleg@example.org")
	lg := oauthtest.NewLogin(t, tokens, app.ClientID, "deleg@example.org")
	dir := spooltest.TempDir(t)
	cfg := loginConfig(t, dir, lg, app, oauthtest.Client{ID: "g", Secret: "s"})
	var out, errOut strings.Builder
	done := make(chan error, 1)
	go func() { done <- cmdOAuth([]string{"login", "--config", cfg}, &out, &errOut) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("oauth login: %v\n%s%s", err, out.String(), errOut.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatal("oauth login did not finish within 90 s")
	}
	issued := lg.Issued()
	if len(issued) != 1 {
		t.Fatalf("%d refresh tokens issued; want 1", len(issued))
	}
	mustHave(t, out.String(), "open "+lg.URL+"/devicelogin", "enter the code ", "Signed in.", filepath.Join(dir, "ms-refresh-token"))
	checkTokenFile(t, filepath.Join(dir, "ms-refresh-token"), issued[0], out.String()+errOut.String())
	if polls, tooSoon := lg.Polls(); polls != 3 || tooSoon != 0 {
		t.Errorf("%d polls, %d too soon; want 3 and 0", polls, tooSoon)
	}
}

func TestOAuthLogin_GoogleAuthorizationCode(t *testing.T) {
	tokens := oauthtest.NewPlain(t)
	cl := tokens.AddClient("user@gmail.test", oauthtest.GoogleScope)
	lg := oauthtest.NewLogin(t, tokens, cl.ID, "user@gmail.test")
	dir := spooltest.TempDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := loginConfig(t, dir, lg, oauthtest.MicrosoftApp{Tenant: "t", ClientID: "m"}, cl)

	// The test plays the user: it opens the URL the command prints, and
	// the authorize endpoint sends the browser back to the command.
	pr, pw := io.Pipe()
	var out strings.Builder
	browsed := make(chan error, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		opened := false
		for sc.Scan() {
			line := sc.Text()
			out.WriteString(line + "\n")
			if u := strings.TrimSpace(line); !opened && strings.HasPrefix(u, lg.URL+"/o/oauth2/v2/auth?") {
				opened = true
				resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(u)
				if err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || !strings.Contains(string(body), "signed in") {
						err = fmt.Errorf("the browser got %d %s", resp.StatusCode, body)
					}
				}
				browsed <- err
			}
		}
		if !opened {
			browsed <- errors.New("no URL to open was printed")
		}
	}()
	var errOut strings.Builder
	done := make(chan error, 1)
	go func() {
		err := cmdOAuth([]string{"login", "--config", cfg, "--smtp", "gmail"}, pw, &errOut)
		pw.Close()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("oauth login: %v\n%s", err, errOut.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatal("oauth login did not finish within 90 s")
	}
	if err := <-browsed; err != nil {
		t.Fatal(err)
	}
	<-read
	issued := lg.Issued()
	if len(issued) != 1 {
		t.Fatalf("%d refresh tokens issued; want 1", len(issued))
	}
	q := lg.Authorize()
	for k, want := range map[string]string{"client_id": cl.ID, "response_type": "code", "scope": oauthtest.GoogleScope,
		"access_type": "offline", "prompt": "consent", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("authorize %s = %q; want %q", k, q.Get(k), want)
		}
	}
	output := out.String() + errOut.String()
	if strings.Contains(output, cl.Secret) {
		t.Errorf("the output shows the client secret:\n%s", output)
	}
	checkTokenFile(t, filepath.Join(dir, "tokens", "gmail-refresh-token"), issued[0], output)
}

func TestOAuthLogin_Refuses(t *testing.T) {
	tokens := oauthtest.NewPlain(t)
	lg := oauthtest.NewLogin(t, tokens, "c", "x@example.org")
	dir := spooltest.TempDir(t)
	cfg := loginConfig(t, dir, lg, oauthtest.MicrosoftApp{Tenant: "t", ClientID: "c"}, oauthtest.Client{ID: "g", Secret: "s"})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"login", "--config", cfg, "--smtp", "password"}, "does not sign in with a refresh token"},
		{[]string{"login", "--config", cfg, "--smtp", "nosuch"}, "has no [smtp.nosuch]"},
		{[]string{"logout", "--config", cfg}, "the only subcommand is login"},
	} {
		err := cmdOAuth(c.args, io.Discard, io.Discard)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v; want exit 2 and %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ms-refresh-token")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused login wrote a file: %v", err)
	}
}

func mustHave(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("the output lacks %q:\n%s", w, text)
		}
	}
}
