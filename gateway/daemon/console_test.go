package daemon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// freePort returns a loopback port nothing listens on just now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// consoleSite is site with [console] listen on a free loopback port, and
// the user admin (password "correct horse") when withUser.
func consoleSite(t *testing.T, withUser bool) (cfg *config.Config, addr string) {
	t.Helper()
	srv := smtptest.NewServer(t)
	path, _ := site(t, srv, "30s")
	addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "\n[console]\nlisten = %s\n", addr)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if cfg, err = config.Load(path); err != nil {
		t.Fatal(err)
	}
	if withUser {
		addUser(t, cfg)
	}
	return cfg, addr
}

func addUser(t *testing.T, cfg *config.Config) {
	t.Helper()
	if err := os.MkdirAll(cfg.Spool.Data, 0o750); err != nil {
		t.Fatal(err)
	}
	users, err := accounts.Open(filepath.Join(cfg.Spool.Data, accounts.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Add("admin", accounts.Admin, "correct horse"); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a log that tests read while the gateway writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runGateway runs New's gateway of cfg until the test ends, and returns
// the log and a function that stops it and returns Run's error.
func runGateway(t *testing.T, cfg *config.Config) (*syncBuffer, func() error) {
	t.Helper()
	var logs syncBuffer
	g, err := New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				runErr = fmt.Errorf("Run did not return within 30s of the end of its context")
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return &logs, stop
}

func TestConsole_ServedByTheGateway(t *testing.T) {
	cfg, addr := consoleSite(t, true)
	logs, stop := runGateway(t, cfg)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	base := "http://" + addr

	// The address is bound by New: the login page answers at once.
	resp, err := client.Get(base + "/")
	if err != nil {
		t.Fatalf("GET /: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/login" || !strings.Contains(string(body), `name="password"`) {
		t.Fatalf("GET / signed out: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	resp, err = client.PostForm(base+"/login", url.Values{"user": {"admin"}, "password": {"correct horse"}})
	if err != nil {
		t.Fatalf("POST /login: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" || !strings.Contains(string(body), "Signed in as admin (admin)") {
		t.Fatalf("after login: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	// The due.eml site plants goes out, and the overview counts it.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(string(body), `<dd id="sent">1</dd>`) {
		if time.Now().After(deadline) {
			t.Fatalf("the overview never counted the message sent:\n%s", body)
		}
		time.Sleep(200 * time.Millisecond)
		resp, err = client.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("the console still listens after the gateway stopped")
	}
	for _, want := range []string{"web console listening", "web console stopped", "console sign-in"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
}

// A port in use stops the start, with an error naming the address and
// the fix.
func TestConsole_PortInUse(t *testing.T) {
	cfg, addr := consoleSite(t, true)
	busy, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = New(cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("New succeeded with the console's port in use")
	}
	for _, want := range []string{"[console] listen = " + addr, "another program", "set another host:port"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// With no user yet the console binds nothing (so a gateway test or a new
// install takes no port), and starts once a user is added.
func TestConsole_WaitsForTheFirstUser(t *testing.T) {
	old := consolePoll
	consolePoll = 50 * time.Millisecond
	defer func() { consolePoll = old }()
	cfg, addr := consoleSite(t, false)
	logs, _ := runGateway(t, cfg)
	time.Sleep(200 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the console listens with no user")
	}
	addUser(t, cfg)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/login")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /login: %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console did not start after the first user was added: %v\n%s", err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "spoolgate console user add") {
		t.Errorf("the log does not say how to add a user:\n%s", logs)
	}
}

// A console users file that cannot be read stops the start.
func TestConsole_BadUsersFile(t *testing.T) {
	cfg, _ := consoleSite(t, false)
	if err := os.MkdirAll(cfg.Spool.Data, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Spool.Data, accounts.FileName), []byte("not a line of the file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "console") {
		t.Fatalf("New with a malformed users file: %v", err)
	}
}
