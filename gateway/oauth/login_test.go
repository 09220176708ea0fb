package oauth

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/oauth/oauthtest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestLogin_DeviceCodeURL(t *testing.T) {
	for _, c := range []struct{ provider, tenant, tokenURL, want string }{
		{ProviderMicrosoft, "example.org", "", "https://login.microsoftonline.com/example.org/oauth2/v2.0/devicecode"},
		{ProviderMicrosoft, "x", "https://login.microsoftonline.us/t1/oauth2/v2.0/token", "https://login.microsoftonline.us/t1/oauth2/v2.0/devicecode"},
		{ProviderGeneric, "", "http://127.0.0.1:9/token", "http://127.0.0.1:9/devicecode"},
		{ProviderGeneric, "", "https://idp.example.org/oauth/access", ""},
		{ProviderGeneric, "", "", ""},
		{ProviderGoogle, "", "", ""},
		{ProviderGoogle, "", "http://127.0.0.1:9/token", ""},
	} {
		got, err := DeviceCodeURL(c.provider, c.tenant, c.tokenURL)
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("DeviceCodeURL(%q, %q, %q) = %q, %v; want %q", c.provider, c.tenant, c.tokenURL, got, err, c.want)
		}
	}
	for tok, want := range map[string]string{
		"":                          GoogleAuthorizeURL,
		"http://127.0.0.1:9/token":  "http://127.0.0.1:9/o/oauth2/v2/auth",
		"https://oauth2.example/ab": "https://oauth2.example/o/oauth2/v2/auth",
	} {
		if got, err := AuthorizeURL(tok); got != want || err != nil {
			t.Errorf("AuthorizeURL(%q) = %q, %v; want %q", tok, got, err, want)
		}
	}
}

func TestLogin_DeviceCode(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	old := slowDownStep
	slowDownStep = time.Second
	t.Cleanup(func() { slowDownStep = old })
	tokens := oauthtest.NewPlain(t)
	app := tokens.AddMicrosoftApp("deleg@example.org")
	lg := oauthtest.NewLogin(t, tokens, app.ClientID, "deleg@example.org")
	lg.SetDevice(3, true, 1, 60) // slow_down, then two authorization_pending
	var out strings.Builder
	l := &Login{Provider: ProviderMicrosoft, Tenant: app.Tenant, ClientID: app.ClientID, TokenURL: lg.MicrosoftTokenURL(app.Tenant), Out: &out}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	rt, err := l.Run(ctx)
	if err != nil {
		t.Fatalf("device code: %v\n%s", err, out.String())
	}
	// 1 s, then 2 s three times after the slow_down.
	if d := time.Since(start); d < 6500*time.Millisecond {
		t.Errorf("signed in after %s; slow_down was not honoured", d)
	}
	if issued := lg.Issued(); len(issued) != 1 || rt != issued[0] {
		t.Errorf("got a refresh token that was not issued (%d issued)", len(issued))
	}
	polls, tooSoon := lg.Polls()
	if polls != 4 || tooSoon != 0 {
		t.Errorf("%d polls, %d too soon; want 4 and 0", polls, tooSoon)
	}
	if !strings.Contains(out.String(), lg.URL+"/devicelogin") || !strings.Contains(out.String(), "enter the code ") {
		t.Errorf("the output does not say where to sign in:\n%s", out.String())
	}
	if strings.Contains(out.String(), rt) {
		t.Errorf("the output shows the refresh token")
	}
	// The refresh token works.
	src, err := New(Settings{Provider: ProviderMicrosoft, Tenant: app.Tenant, ClientID: app.ClientID,
		TokenURL: app.TokenURL, RefreshTokenFile: writeRT(t, rt), Username: "deleg@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(ctx); err != nil {
		t.Errorf("the refresh token from the sign-in: %v", err)
	}
}

func TestLogin_DeviceCodeExpires(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	tokens := oauthtest.NewPlain(t)
	lg := oauthtest.NewLogin(t, tokens, "client", "deleg@example.org")
	lg.SetDevice(1000, false, 1, 3)
	var out strings.Builder
	l := &Login{Provider: ProviderGeneric, ClientID: "client", TokenURL: lg.TokenURL(), Scope: "smtp offline_access", Out: &out}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	_, err := l.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("a code never approved: %v; want expired", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("gave up after %s; the code lived 3 s", d)
	}
	if len(lg.Issued()) != 0 {
		t.Errorf("a token was issued")
	}
}

func TestLogin_DeviceCodeRefusesGoogleAndUnderivable(t *testing.T) {
	l := &Login{Provider: ProviderGeneric, ClientID: "c", TokenURL: "https://idp.example.org/oauth/access", Out: io.Discard}
	if _, err := l.DeviceCode(context.Background()); err == nil || !strings.Contains(err.Error(), "/devicecode") {
		t.Errorf("underivable: %v", err)
	}
	l = &Login{Provider: ProviderGeneric, ClientID: "c", TokenURL: "http://example.org/token", Out: io.Discard}
	if _, err := l.DeviceCode(context.Background()); err == nil || !strings.Contains(err.Error(), "https://") {
		t.Errorf("plain http to another machine: %v", err)
	}
}

// playUser reads the URL the sign-in prints and opens it, as a browser
// would, following the redirect back to the loopback listener.
func playUser(t *testing.T, r io.Reader, done chan<- error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "http") || !strings.Contains(line, "/o/oauth2/v2/auth?") {
			continue
		}
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(line)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), "signed in") {
				t.Errorf("the browser's page: %d %s", resp.StatusCode, body)
			}
		}
		done <- err
		_, _ = io.Copy(io.Discard, r)
		return
	}
	done <- io.ErrUnexpectedEOF
}

func TestLogin_AuthorizationCode(t *testing.T) {
	tokens := oauthtest.NewPlain(t)
	cl := tokens.AddClient("user@gmail.test", oauthtest.GoogleScope)
	lg := oauthtest.NewLogin(t, tokens, cl.ID, "user@gmail.test")
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go playUser(t, pr, done)
	l := &Login{Provider: ProviderGoogle, ClientID: cl.ID, ClientSecret: cl.Secret, TokenURL: lg.TokenURL(), Out: pw, Timeout: 60 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rt, err := l.Run(ctx)
	pw.Close()
	if err != nil {
		t.Fatalf("authorization code: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the browser: %v", err)
	}
	if issued := lg.Issued(); len(issued) != 1 || rt != issued[0] {
		t.Errorf("got a refresh token that was not issued (%d issued)", len(issued))
	}
	q := lg.Authorize()
	for k, want := range map[string]string{"client_id": cl.ID, "response_type": "code", "scope": GoogleScope,
		"access_type": "offline", "prompt": "consent", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("authorize %s = %q; want %q", k, q.Get(k), want)
		}
	}
	if !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") || q.Get("state") == "" {
		t.Errorf("redirect_uri %q, state %q", q.Get("redirect_uri"), q.Get("state"))
	}
	src, err := New(Settings{Provider: ProviderGoogle, ClientID: cl.ID, ClientSecret: cl.Secret,
		TokenURL: tokens.TokenURL(), RefreshTokenFile: writeRT(t, rt), Username: "user@gmail.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(ctx); err != nil {
		t.Errorf("the refresh token from the sign-in: %v", err)
	}
}

func TestLogin_AuthorizationCodeTimesOut(t *testing.T) {
	tokens := oauthtest.NewPlain(t)
	lg := oauthtest.NewLogin(t, tokens, "c", "user@gmail.test")
	l := &Login{Provider: ProviderGoogle, ClientID: "c", TokenURL: lg.TokenURL(), Out: io.Discard, Timeout: time.Second}
	if _, err := l.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "no sign-in within") {
		t.Errorf("nobody opened the URL: %v", err)
	}
}

func writeRT(t *testing.T, rt string) string {
	t.Helper()
	p := filepath.Join(spooltest.TempDir(t), "refresh-token")
	if err := WriteRefreshToken(p, rt); err != nil {
		t.Fatal(err)
	}
	return p
}
