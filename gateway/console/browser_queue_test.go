package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
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

// The queue and the sent view in a real browser: the relay refuses a
// patron's notice for good, so it waits as .BAD; the librarian signs in,
// reads why on the queue page, presses Retry, and the relay (which now
// takes it) receives it, and the page lists it no more; then she finds
// it in the sent view by the patron's address. With
// SPOOLGATE_SCREENSHOTS=1 it saves docs/screenshots/queue.png and
// sent.png.
func TestBrowser_QueueRetryAndSent(t *testing.T) {
	if testing.Short() {
		t.Skip("drives chromium: the full lane runs it (bash .ci/run)")
	}
	exe := chromium(t)
	const patron = "patron@example.net"
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.AtRcpt(patron, smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user here"))))
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
	msg := "From: library@example.org\r\nTo: " + patron + "\r\nSubject: Your loan is due\r\n\r\nPlease return the book.\r\n"
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
	if err := users.Add("libby", accounts.Librarian, "correct horse"); err != nil {
		t.Fatal(err)
	}
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
	exists := func(name string) bool { _, err := os.Lstat(filepath.Join(queue, name)); return err == nil }
	spooltest.WaitFor(t, "due.BAD", func() bool { return exists("due.BAD") && exists("due.BAD.txt") })
	srv.SetFault(nil)

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
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()

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
	shot := func(name string) {
		t.Helper()
		if os.Getenv("SPOOLGATE_SCREENSHOTS") != "1" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join("..", "..", "docs", "screenshots", name)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}

	do("signing in",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "libby"),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("verdict")),
	)
	do("the queue page",
		chromedp.Click(chromedp.CSS(`nav a[href="/queue"]`)),
		chromedp.WaitVisible(chromedp.ID("retry-0")),
	)
	if h1, bad := text("h1"), text("#bad"); h1 != "Queue" || !strings.Contains(bad, "due.BAD") || !strings.Contains(bad, patron) ||
		!strings.Contains(bad, "550 5.1.1 no such user here") || !strings.Contains(bad, "What to do") {
		t.Errorf("the queue page: h1 %q, .BAD files:\n%s", h1, bad)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#bad .discard").length`)); err != nil || n != 0 {
		t.Errorf("a librarian sees %d Discard buttons (%v)", n, err)
	}
	shot("queue.png")

	do("pressing Retry",
		chromedp.Click(chromedp.ID("retry-0")),
		chromedp.WaitVisible(chromedp.ID("message")),
	)
	if m := text("#message"); !strings.Contains(m, "due.BAD is back in the queue as due.eml.test-") {
		t.Errorf("after Retry the page says %q", m)
	}
	got := srv.WaitMessages(t, 1, 30*time.Second)
	if len(got[0].To) != 1 || got[0].To[0] != patron || !strings.Contains(string(got[0].Data), "Your loan is due") {
		t.Errorf("the relay received %v", got[0].To)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		do("reloading the queue", chromedp.Navigate(base+"/queue"), chromedp.WaitVisible(chromedp.ID("bad")))
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#bad .bad-file").length`))
		if err == nil && n == 0 && !strings.Contains(text("#deferred"), "due.eml") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue page still lists the file:\n%s", text("main"))
		}
		time.Sleep(300 * time.Millisecond)
	}

	do("searching the sent view",
		chromedp.Click(chromedp.CSS(`nav a[href="/sent/"]`)),
		chromedp.WaitVisible(chromedp.ID("to")),
		chromedp.SendKeys(chromedp.ID("to"), "patron@"),
		chromedp.Click(chromedp.ID("do-search")),
		chromedp.WaitVisible(chromedp.CSS("#results tr.row")),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#results tr.row").length`))
	if err != nil || rows != 1 {
		t.Errorf("%d rows for the patron (%v)", rows, err)
	}
	if row := text("#results tr.row"); !strings.Contains(row, patron) || !strings.Contains(row, "sent") || !strings.Contains(row, "due.eml") {
		t.Errorf("the patron's row: %q", row)
	}
	shot("sent.png")
	do("the message's page",
		chromedp.Click(chromedp.CSS("#results tr.row td.address a")),
		chromedp.WaitVisible(chromedp.ID("history")),
	)
	if h := text("#history"); !strings.Contains(h, "put back in the queue") || !strings.Contains(h, "550 5.1.1") {
		t.Errorf("the message's history:\n%s", h)
	}
}
