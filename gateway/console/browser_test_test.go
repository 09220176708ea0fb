package console_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/spoolgate/spoolgate/gateway/daemon"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// browserCtx starts headless chromium (exe) for the test, with a bound of
// d on everything it does.
func browserCtx(t *testing.T, exe string, d time.Duration) context.Context {
	t.Helper()
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
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	ctx, cancel := context.WithTimeout(ctx, d)
	t.Cleanup(cancel)
	return ctx
}

// An admin sends a test message from the Test page and watches it go out
// live (static/test.js polling /api/test/NAME): the page shows it sent,
// with the queue id of a real Postfix, which logs it delivered to the
// address under that id.
func TestBrowser_TestMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("drives chromium: the full lane runs it (bash .ci/run)")
	}
	exe := chromium(t)
	pf := smtptest.StartPostfix(t, smtptest.PostfixOptions{})
	cfg, addr := browserSite(t)
	cfg.SMTP.Host, cfg.SMTP.Port = pf.Host(), pf.Port()
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

	ctx := browserCtx(t, exe, 120*time.Second)
	base := "http://" + addr
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

	do("signing in",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("verdict")),
	)
	const to = "it.desk@example.net"
	do("the Test page",
		chromedp.Click(chromedp.CSS(`nav a[href="/test"]`)),
		chromedp.WaitVisible(chromedp.ID("send")),
		chromedp.SendKeys(chromedp.ID("to"), to),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("outcome")),
	)
	if h1 := text("h1"); h1 != "Test" {
		t.Errorf("h1 %q", h1)
	}
	// The page follows the message without a reload, until it is sent.
	do("waiting for the page to say sent", chromedp.WaitVisible(chromedp.CSS(`#state[data-state="sent"]`)))
	state, qid, reply := text("#state"), text("#queue-id"), text("#reply")
	if state != "Sent" || qid == "" || !strings.Contains(reply, "queued as "+qid) {
		t.Fatalf("the page says %q, queue id %q, reply %q", state, qid, reply)
	}
	// It arrived: Postfix logs the message under that id, delivered to
	// the address (through to its next hop).
	if status, detail := pf.WaitStatus(t, qid, to, 60*time.Second); status != "sent" {
		t.Errorf("Postfix's status of %s for %s: %s %s", qid, to, status, detail)
	}
	arrived := false
	for _, m := range pf.Sink.WaitMessages(t, 2, 60*time.Second) {
		if len(m.To) == 1 && m.To[0] == to && strings.Contains(string(m.Data), "spoolgate test message") {
			arrived = true
		}
	}
	if !arrived {
		t.Error("the test message never reached Postfix's next hop")
	}
	if os.Getenv("SPOOLGATE_SCREENSHOTS") == "1" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "..", "docs", "screenshots", "test.png")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}

	// The action is on the overview.
	do("the overview", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("verdict")))
	if acts := text("#actions"); !strings.Contains(acts, "test message sent") || !strings.Contains(acts, to) {
		t.Errorf("the recent actions lack the test:\n%s", acts)
	}
}
