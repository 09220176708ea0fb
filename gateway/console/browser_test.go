package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/daemon"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// chromium returns Debian's chromium, or skips the test without it; where
// SPOOLGATE_REAL_SERVERS=1 (CI) a missing browser fails the test instead.
func chromium(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the browser tests drive Debian's chromium on Linux; the Windows build serves the same pages")
	}
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	const how = "chromium is not installed (Debian: apt-get install --no-install-recommends chromium); the browser test drives it"
	if os.Getenv("SPOOLGATE_REAL_SERVERS") == "1" {
		t.Fatal(how + ", and SPOOLGATE_REAL_SERVERS=1 says it must run")
	}
	t.Skip(how)
	return ""
}

// browserSite is a site relaying to an in-process SMTP server, with one
// message waiting, the console on a free loopback port and the user admin
// (password "correct horse"). It returns the config and the console's
// address.
func browserSite(t *testing.T) (*config.Config, string) {
	t.Helper()
	srv := smtptest.NewServer(t)
	dir := spooltest.TempDir(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ini := fmt.Sprintf("[spool]\nfolder = queue\ndata = data\nbatch = 0\nsettle = 0s\ninstance = test\n\n"+
		"[smtp]\nhost = %s\nport = %d\nsecurity = none\n\n[message]\nfrom = library@example.org\n\n"+
		"[log]\ndays = 7\ndaily = false\n\n[console]\nlisten = %s\n", srv.Host(), srv.Port(), addr)
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	queue := filepath.Join(dir, "queue")
	if err := os.MkdirAll(queue, 0o770); err != nil {
		t.Fatal(err)
	}
	msg := "From: library@example.org\r\nTo: patron@example.net\r\nSubject: Your loan is due\r\n\r\nPlease return the book.\r\n"
	if err := spool.WriteFile(queue, "due.eml", []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
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
	return cfg, addr
}

// The real gateway serves the console to a real browser: sign in through
// the form, read the overview (the message sent counted), switch to
// Swedish, sign out.
func TestBrowser_Overview(t *testing.T) {
	if testing.Short() {
		t.Skip("drives chromium: the full lane runs it (bash .ci/run)")
	}
	exe := chromium(t)
	cfg, addr := browserSite(t)
	g, err := daemon.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("daemon.New: %v", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(runCtx) }()
	defer func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return within 30s")
		}
	}()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 1000),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	base := "http://" + addr
	// text reads the text of the element the CSS selector sel finds.
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("the text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// A typo first, then the right password.
	do("the sign-in page",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "correct hose"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("message")),
	)
	if msg := text("#message"); msg != "Wrong user name or password." {
		t.Errorf("after a wrong password: %q", msg)
	}
	// The form keeps the name typed.
	do("signing in",
		chromedp.SendKeys(chromedp.ID("password"), "correct horse"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("verdict")),
	)
	if h1, who := text("h1"), text("#who"); h1 != "Overview" || who != "Signed in as admin (admin)" {
		t.Errorf("the overview: h1 %q, who %q", h1, who)
	}
	// The planted message goes out; the overview counts it.
	deadline := time.Now().Add(30 * time.Second)
	for text("#sent") != "1" {
		if time.Now().After(deadline) {
			t.Fatalf("the overview never counted the message sent (sent %q)", text("#sent"))
		}
		time.Sleep(300 * time.Millisecond)
		do("reloading", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("verdict")))
	}
	verdict, state, lastSent, actions := text("#verdict"), text("#relay .state"), text("#last-sent"), text("#actions")
	if verdict != "All is well: nothing needs attention." || state != "available" || strings.Contains(lastSent, "Nothing") {
		t.Errorf("overview: verdict %q, relay %q, %q", verdict, state, lastSent)
	}
	if !strings.Contains(actions, "sign-in failed") || !strings.Contains(actions, "signed in") {
		t.Errorf("the recent actions lack the failed and the good sign-in:\n%s", actions)
	}
	// The CSP lets the console's own style sheet in, and it applies.
	sheets, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.styleSheets.length`))
	if err != nil || sheets != 1 {
		t.Errorf("%d style sheets loaded (%v); want the console's one", sheets, err)
	}
	weight, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".brand")).fontWeight`))
	if err != nil || weight != "700" {
		t.Errorf("the style sheet does not apply: .brand font-weight %q (%v)", weight, err)
	}
	if os.Getenv("SPOOLGATE_SCREENSHOTS") == "1" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "..", "docs", "screenshots", "overview.png")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}

	// Swedish, by the switcher; it stays after a reload.
	do("switching to Swedish",
		chromedp.Click(chromedp.ID("lang-sv")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="sv"] #verdict`)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("verdict")),
	)
	if h1, who, queue, verdict := text("h1"), text("#who"), text("#queue h2"), text("#verdict"); h1 != "Översikt" ||
		who != "Inloggad som admin (administratör)" || queue != "Kön just nu" || verdict != "Allt är i ordning: inget behöver åtgärdas." {
		t.Errorf("in Swedish: h1 %q, who %q, queue %q, verdict %q", h1, who, queue, verdict)
	}

	// Sign out: the sign-in page says so, in Swedish, and the overview
	// is closed.
	do("signing out",
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("user")),
	)
	msg := text("#message")
	do("the overview after signing out", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("user")))
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || msg != "Du är utloggad." || url != base+"/login" {
		t.Errorf("after sign-out: message %q, at %s (%v)", msg, url, err)
	}
}
