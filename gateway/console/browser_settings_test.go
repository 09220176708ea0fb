package console_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daemon"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// An admin edits a setting in a real browser: a value spoolgate would
// refuse is shown with its error and not saved; a good one is saved and
// applied (the engine restarts on the saved file) and the admin stays
// signed in.
func TestBrowser_Settings(t *testing.T) {
	if testing.Short() {
		t.Skip("drives chromium: the full lane runs it (bash .ci/run)")
	}
	exe := chromium(t)
	cfg, addr := browserSite(t)
	e, err := daemon.NewEngine(cfg.File, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("daemon.NewEngine: %v", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(runCtx) }()
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
		chromedp.WindowSize(1280, 1400),
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
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("the text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	spooltest.WaitFor(t, "the console listens", func() bool {
		return chromedp.Do(ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("user"))) == nil
	})
	do("signing in",
		chromedp.SendKeys(chromedp.ID("user"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("verdict")),
		chromedp.Navigate(base+"/settings"),
		chromedp.WaitVisible(chromedp.ID("settings-form")),
	)
	before, err := os.ReadFile(cfg.File)
	if err != nil {
		t.Fatal(err)
	}

	// A value spoolgate would refuse at start.
	do("a bad batch",
		chromedp.SetValue(chromedp.ID("spool-batch"), "many"),
		chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.ID("not-saved")),
	)
	if msg := text("#not-saved"); !strings.Contains(msg, `[spool] batch = "many": want a whole number`) {
		t.Errorf("the refusal: %q", msg)
	}
	if after, _ := os.ReadFile(cfg.File); string(after) != string(before) {
		t.Fatal("a refused value was written")
	}

	// A good one, with a new sender name.
	do("a good change",
		chromedp.SetValue(chromedp.ID("spool-batch"), "7"),
		chromedp.SetValue(chromedp.ID("message-from_name"), "Stadsbiblioteket"),
		chromedp.Click(chromedp.ID("save")),
		chromedp.WaitVisible(chromedp.ID("saved")),
	)
	spooltest.WaitFor(t, "the engine runs on the saved file", func() bool {
		c := e.Config()
		return c.Spool.Batch == 7 && c.Message.FromName == "Stadsbiblioteket"
	})
	saved, err := config.Load(cfg.File)
	if err != nil || saved.Spool.Batch != 7 || saved.Message.FromName != "Stadsbiblioteket" {
		t.Fatalf("the file: %v", err)
	}
	// Still signed in after the restart: the page reloads without a login.
	spooltest.WaitFor(t, "the restarted console serves the page", func() bool {
		return chromedp.Do(ctx, chromedp.Navigate(base+"/settings"), chromedp.WaitVisible(chromedp.ID("settings-form"))) == nil
	})
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("spool-batch"))); err != nil || v != "7" {
		t.Errorf("after the restart the form shows batch %q (%v)", v, err)
	}
}
