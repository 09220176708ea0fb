package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/oauth/oauthtest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// loginRun is the real binary running spoolgate oauth login, with a user
// who acts on what it prints.
type loginRun struct {
	mu     sync.Mutex
	stdout strings.Builder
	stderr strings.Builder
}

func (r *loginRun) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stdout.String() + r.stderr.String()
}

// runLogin runs the binary with args, and hands each line it prints on
// stdout to user, which acts as the person at the keyboard would: it
// returns an error when what it did failed, and stops being asked once it
// has acted (done). It returns the exit code once the binary ends.
func runLogin(t *testing.T, args []string, user func(line string) (done bool, err error)) (*loginRun, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	run := &loginRun{}
	cmd.Stderr = lockedWriter{&run.mu, &run.stderr}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acted := make(chan error, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pipe)
		done := false
		for sc.Scan() {
			line := sc.Text()
			run.mu.Lock()
			run.stdout.WriteString(line + "\n")
			run.mu.Unlock()
			if !done {
				var err error
				if done, err = user(line); done || err != nil {
					done = true
					acted <- err
				}
			}
		}
		if !done {
			acted <- errors.New("the binary printed nothing to act on")
		}
		_, _ = io.Copy(io.Discard, pipe)
	}()
	<-read
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("spoolgate %s did not finish within 90 s:\n%s", strings.Join(args, " "), run.output())
	}
	if err := <-acted; err != nil {
		t.Fatalf("the user could not sign in: %v\n%s", err, run.output())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return run, code
}

// lockedWriter writes to a builder under a lock shared with its reader.
type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// noTokenIn fails when output holds a secret of the sign-in: the refresh
// tokens issued, the client secret, or an access token (every token the
// endpoint issues is a JWT, which starts eyJ).
func noTokenIn(t *testing.T, output string, secrets ...string) {
	t.Helper()
	for _, s := range append(secrets, "eyJ") {
		if s != "" && strings.Contains(output, s) {
			t.Errorf("the output holds a secret (%.6s…):\n%s", s, output)
		}
	}
}

// deviceLine is what the binary prints for the device-code flow.
var deviceLine = regexp.MustCompile(`open (http://\S+) in a browser and enter the code (\S+)`)

// The real binary signs a Microsoft 365 mailbox in by the device-code
// flow: the test is the user who opens the page the binary names and
// enters the code it shows, and only then does the endpoint approve.
func TestE2E_OAuthLoginMicrosoftDeviceCode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	tokens := oauthtest.NewPlain(t)
	app := tokens.AddMicrosoftApp("deleg@example.org")
	lg := oauthtest.NewLogin(t, tokens, app.ClientID, "deleg@example.org")
	lg.SetDevice(1000, false, 1, 60) // approved only by the user
	dir := spooltest.TempDir(t)
	cfg := loginConfig(t, dir, lg, app, oauthtest.Client{ID: "g", Secret: "Gmail~Secret.Value.1"})

	browser := &http.Client{Timeout: 30 * time.Second}
	run, code := runLogin(t, []string{"oauth", "login", "--config", cfg}, func(line string) (bool, error) {
		m := deviceLine.FindStringSubmatch(line)
		if m == nil {
			return false, nil
		}
		if m[1] != lg.URL+"/devicelogin" {
			return true, fmt.Errorf("the binary names the page %s; want %s/devicelogin", m[1], lg.URL)
		}
		resp, err := browser.PostForm(m[1], url.Values{"user_code": {m[2]}})
		if err != nil {
			return true, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "signed in") {
			return true, fmt.Errorf("entering the code %s: %d %s", m[2], resp.StatusCode, body)
		}
		return true, nil
	})
	out := run.output()
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, out)
	}
	issued := lg.Issued()
	if len(issued) != 1 {
		t.Fatalf("%d refresh tokens issued; want 1:\n%s", len(issued), out)
	}
	mustHave(t, out, "Signed in.", filepath.Join(dir, "ms-refresh-token"))
	checkTokenFile(t, filepath.Join(dir, "ms-refresh-token"), issued[0], out)
	noTokenIn(t, out, issued[0])
	if polls, tooSoon := lg.Polls(); polls < 1 || tooSoon != 0 {
		t.Errorf("%d polls, %d too soon; want some, none too soon", polls, tooSoon)
	}
}

// The real binary signs a Google mailbox in by the loopback flow: the
// test is the browser that opens the URL the binary prints; the
// authorize endpoint sends it back to the address the binary listens on.
func TestE2E_OAuthLoginGoogleLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	tokens := oauthtest.NewPlain(t)
	cl := tokens.AddClient("user@gmail.test", oauthtest.GoogleScope)
	lg := oauthtest.NewLogin(t, tokens, cl.ID, "user@gmail.test")
	dir := spooltest.TempDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := loginConfig(t, dir, lg, oauthtest.MicrosoftApp{Tenant: "t", ClientID: "m"}, cl)

	browser := &http.Client{Timeout: 30 * time.Second}
	var landed string // where the browser ended
	run, code := runLogin(t, []string{"oauth", "login", "--config", cfg, "--smtp", "gmail"}, func(line string) (bool, error) {
		u := strings.TrimSpace(line)
		if !strings.HasPrefix(u, lg.URL+"/o/oauth2/v2/auth?") {
			return false, nil
		}
		resp, err := browser.Get(u)
		if err != nil {
			return true, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		landed = resp.Request.URL.Scheme + "://" + resp.Request.URL.Host
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "signed in") {
			return true, fmt.Errorf("the browser got %d %s", resp.StatusCode, body)
		}
		return true, nil
	})
	out := run.output()
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, out)
	}
	redirect, err := url.Parse(lg.Authorize().Get("redirect_uri"))
	if err != nil || redirect.Hostname() != "127.0.0.1" || landed != "http://"+redirect.Host {
		t.Errorf("the browser ended at %s; the redirect was %v (%v): want the binary's loopback listener", landed, redirect, err)
	}
	issued := lg.Issued()
	if len(issued) != 1 {
		t.Fatalf("%d refresh tokens issued; want 1:\n%s", len(issued), out)
	}
	file := filepath.Join(dir, "tokens", "gmail-refresh-token")
	mustHave(t, out, "Signed in.", file)
	checkTokenFile(t, file, issued[0], out)
	noTokenIn(t, out, issued[0], cl.Secret)
}
