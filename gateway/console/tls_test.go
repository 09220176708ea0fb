package console

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Under TLS the console speaks TLS 1.2 or later only, answers as the
// certificate's names, and marks its cookies Secure; it stops when its
// context ends; and no session id reaches its log.
func TestServe_TLS(t *testing.T) {
	t.Parallel()
	certs := smtptest.NewTLSCerts(t)
	certPEM, keyPEM := certs.ServerPEM(t)
	dir := spooltest.TempDir(t)
	for name, b := range map[string][]byte{"console.crt": certPEM, "console.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	text := strings.Replace(testConfig, "listen = "+testHost,
		"listen = "+addr+"\ntls_cert = console.crt\ntls_key = console.key", 1)
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g, err := gateway.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Journal().Close()
	users, err := accounts.Open(filepath.Join(cfg.Spool.Data, accounts.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Add("alice", accounts.Admin, "correct horse"); err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, g, users, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer cancel()

	_, port, _ := net.SplitHostPort(addr)
	client := func(maxVersion uint16) *http.Client {
		return &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{TLSClientConfig: &tls.Config{
				RootCAs: certs.CAPool, ServerName: "localhost", MinVersion: tls.VersionTLS10, MaxVersion: maxVersion}},
		}
	}
	// TLS 1.1 is refused.
	if resp, err := client(tls.VersionTLS11).Get("https://" + addr + "/login"); err == nil {
		resp.Body.Close()
		t.Error("a TLS 1.1 client was served")
	}
	// Plain HTTP gets no page.
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/login"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), `name="password"`) {
			t.Error("the sign-in form was served over plain HTTP")
		}
	}
	c := client(tls.VersionTLS13)
	for _, base := range []string{"https://" + addr, "https://localhost:" + port} {
		resp, err := c.Get(base + "/login")
		if err != nil {
			t.Fatalf("GET %s/login: %v", base, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s/login: %d", base, resp.StatusCode)
		}
	}
	resp, err := c.PostForm("https://localhost:"+port+"/login", url.Values{"user": {"alice"}, "password": {"correct horse"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var sid *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == sessionCookie {
			sid = k
		}
	}
	if resp.StatusCode != http.StatusSeeOther || sid == nil || !sid.Secure || !sid.HttpOnly || sid.SameSite != http.SameSiteStrictMode {
		t.Fatalf("login under TLS: %d, cookie %+v; want Secure, HttpOnly, SameSite=Strict", resp.StatusCode, sid)
	}
	req, _ := http.NewRequest("GET", "https://localhost:"+port+"/", nil)
	req.AddCookie(sid)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET / under TLS: %d", resp.StatusCode)
	}

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(ShutdownWait + 5*time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if d := time.Since(start); d > ShutdownWait+time.Second {
		t.Errorf("Serve took %v to stop", d)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still listening after Serve returned")
	}
	l := logs.String()
	if strings.Contains(l, sid.Value) {
		t.Error("the log contains a session id")
	}
	if strings.Contains(l, "correct horse") || strings.Contains(l, smtpPassword) || strings.Contains(l, clientSecret) {
		t.Error("the log contains a secret")
	}
	if !strings.Contains(l, fmt.Sprintf("url=https://%s/", addr)) {
		t.Errorf("the log does not say where the console listens:\n%s", l)
	}
}
