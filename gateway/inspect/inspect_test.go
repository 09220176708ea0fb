package inspect

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func testConfig(t *testing.T, srv *smtptest.Server) *config.Config {
	t.Helper()
	root := spooltest.TempDir(t)
	cfg := &config.Config{
		File: filepath.Join(root, "spoolgate.ini"),
		Spool: config.Spool{
			Folder: filepath.Join(root, "queue"), Patterns: []string{"*.tmp", "*.eml"},
			Interval: time.Minute, RetryFor: 48 * time.Hour, RetryDelay: time.Hour, RetryMax: 2 * time.Hour,
			MaxSize: 25 << 20, Charset: "windows-1252", Encoding: charmap.Windows1252,
			Data: filepath.Join(root, "data"), Instance: "test",
		},
		Message: config.Message{From: "library@example.org", ReturnPath: "library@example.org"},
		Journal: config.Journal{Retention: 90 * 24 * time.Hour},
	}
	if srv != nil {
		cfg.SMTP = &config.Server{
			Name: "smtp", Host: srv.Host(), Port: srv.Port(), Security: config.SecurityNone, HELO: "spoolgate.test",
			ConnectTimeout: 5 * time.Second, Timeout: 10 * time.Second, Connections: 1,
		}
	}
	for _, d := range []string{cfg.Spool.Folder, cfg.Spool.Data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

func msg(to, subject string) []byte {
	return fmt.Appendf(nil, "From: library@example.org\r\nTo: %s\r\nSubject: %s\r\n\r\nHello.\r\n", to, subject)
}

func drop(t *testing.T, cfg *config.Config, name string, data []byte, age time.Duration) {
	t.Helper()
	if err := spool.WriteFile(cfg.Spool.Folder, name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if age > 0 {
		at := time.Now().Add(-age)
		if err := os.Chtimes(filepath.Join(cfg.Spool.Folder, name), at, at); err != nil {
			t.Fatal(err)
		}
	}
}

func exists(cfg *config.Config, name string) bool {
	_, err := os.Stat(filepath.Join(cfg.Spool.Folder, name))
	return err == nil
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if spool.IsInstanceLock(e.Name()) {
			continue // the running gateway's
		}
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// relayed runs the real gateway against a server that accepts
// ok@example.net, refuses gone@example.net for good and defers
// busy@example.net, until sent.tmp is sent, refused.tmp is .BAD and
// busy.tmp is deferred; then it stops the gateway.
func relayed(t *testing.T) *config.Config {
	t.Helper()
	srv := smtptest.NewServer(t, smtptest.WithFault(func(st smtptest.Stage, arg string) *smtptest.Reply {
		switch {
		case st == smtptest.StageRcpt && arg == "gone@example.net":
			return smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user")
		case st == smtptest.StageRcpt && arg == "busy@example.net":
			return smtptest.Refuse(452, [3]int{4, 2, 2}, "mailbox busy")
		}
		return nil
	}))
	cfg := testConfig(t, srv)
	log := &spooltest.Buffer{}
	g, err := gateway.New(cfg, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("the gateway did not stop within 60 s")
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("gateway log:\n%s", log)
		}
	})
	drop(t, cfg, "sent.tmp", msg("ok@example.net", "sent"), 0)
	drop(t, cfg, "refused.tmp", msg("gone@example.net", "refused"), 0)
	drop(t, cfg, "busy.tmp", msg("busy@example.net", "busy"), 0)
	spooltest.WaitFor(t, "sent, refused and deferred", func() bool {
		ns := names(t, cfg.Spool.Folder)
		deferred := 0
		for _, n := range ns {
			if strings.HasPrefix(n, "busy.tmp.test-") && strings.HasSuffix(n, ".deferred") {
				deferred++
			}
		}
		return !exists(cfg, "sent.tmp") && exists(cfg, "refused.BAD") && exists(cfg, "refused.BAD.txt") && deferred == 1 && len(ns) == 3
	})
	stop()
	return cfg
}

func TestSummary_CountsQueueAndLastSent(t *testing.T) {
	cfg := relayed(t)
	drop(t, cfg, "w1.eml", msg("a@example.net", "w1"), 3*time.Hour)
	drop(t, cfg, "w2.tmp", msg("a@example.net", "w2"), time.Minute)
	drop(t, cfg, "notes.txt", []byte("not a message"), 0) // matches no pattern: counted as such
	drop(t, cfg, ".hidden.txt", []byte("not counted"), 0)
	drop(t, cfg, "other.tmp.other-1a2b.deferred", msg("a@example.net", "theirs"), 0) // another instance's
	before := names(t, cfg.Spool.Folder)

	q, err := Summary(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if q.Waiting != 2 || q.Deferred != 1 || q.Bad != 1 || q.Unmatched != 1 || q.Folder != cfg.Spool.Folder {
		t.Fatalf("Summary = %+v", q)
	}
	if d := time.Since(q.Oldest); d < 3*time.Hour-time.Minute || d > 3*time.Hour+time.Minute {
		t.Errorf("Oldest is %s ago, want 3h", d)
	}
	if d := time.Since(q.LastSent); q.LastSent.IsZero() || d < 0 || d > 10*time.Minute {
		t.Errorf("LastSent = %v, want the send of a moment ago", q.LastSent)
	}
	s := q.String()
	for _, want := range []string{"Queue: 2 waiting (oldest 3h ago)", "1 deferred", "1 .BAD, 1 matching no pattern; ", "last sent " + q.LastSent.Local().Format("2006-01-02 15:04")} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, lacks %q", s, want)
		}
	}
	if after := names(t, cfg.Spool.Folder); !reflect.DeepEqual(before, after) {
		t.Errorf("Summary changed the folder:\nbefore %v\nafter  %v", before, after)
	}
}

func TestSummary_NoJournalYet(t *testing.T) {
	cfg := testConfig(t, nil)
	drop(t, cfg, "a.eml", msg("a@example.net", "a"), 0)
	q, err := Summary(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if q.Waiting != 1 || !q.LastSent.IsZero() {
		t.Fatalf("Summary = %+v", q)
	}
	if !strings.Contains(q.String(), "nothing sent yet") {
		t.Errorf("String() = %q", q.String())
	}
	if _, err := os.Stat(JournalPath(cfg)); !os.IsNotExist(err) {
		t.Errorf("Summary must not create the journal: %v", err)
	}
}

func TestSummary_NoQueueFolder(t *testing.T) {
	cfg := testConfig(t, nil)
	cfg.Spool.Folder = filepath.Join(cfg.Spool.Folder, "missing")
	if _, err := Summary(cfg); !os.IsNotExist(unwrapAll(err)) {
		t.Fatalf("Summary of a missing folder: %v, want an error wrapping fs.ErrNotExist", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestQueueSummary_String(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 6, 0, 0, time.Local)
	q := &QueueSummary{Waiting: 12, Oldest: now.Add(-3 * time.Minute), Deferred: 1, Bad: 2, LastSent: now.Add(-4 * time.Minute), now: now}
	want := "Queue: 12 waiting (oldest 3m ago), 1 deferred, 2 .BAD; last sent 2026-11-25 10:02 (4m ago)"
	if got := q.String(); got != want {
		t.Fatalf("String() =\n%q, want\n%q", got, want)
	}
	q.Unmatched = 3
	want = "Queue: 12 waiting (oldest 3m ago), 1 deferred, 2 .BAD, 3 matching no pattern; last sent 2026-11-25 10:02 (4m ago)"
	if got := q.String(); got != want {
		t.Fatalf("String() =\n%q, want\n%q", got, want)
	}
	empty := &QueueSummary{now: now}
	if got := empty.String(); got != "Queue: 0 waiting, 0 deferred, 0 .BAD; nothing sent yet" {
		t.Fatalf("empty String() = %q", got)
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 40 * time.Second: "40s", 3*time.Minute + 59*time.Second: "3m", 2 * time.Hour: "2h",
		2*time.Hour + 5*time.Minute: "2h5m", 24 * time.Hour: "1d", 76 * time.Hour: "3d4h",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestList_States(t *testing.T) {
	cfg := relayed(t)
	for i := 0; i < 5; i++ {
		drop(t, cfg, fmt.Sprintf("w%d.eml", i), msg("a@example.net", "w"), time.Duration(10-i)*time.Minute)
	}
	drop(t, cfg, "other.tmp.other-1a2b.deferred", msg("a@example.net", "theirs"), 0)
	drop(t, cfg, "orphan.BAD", msg("a@example.net", "no reason"), 0)
	drop(t, cfg, "notice-2.txt", msg("a@example.net", "a .txt no pattern takes"), 2*time.Hour)
	drop(t, cfg, "notice-1.txt", msg("a@example.net", "a .txt no pattern takes"), 3*time.Hour)
	drop(t, cfg, ".notice-3.txt.part", msg("a@example.net", "hidden"), 3*time.Hour)

	q, err := List(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	if q.NWaiting != 5 || len(q.Waiting) != 3 || q.Waiting[0].Name != "w0.eml" || q.Waiting[2].Name != "w2.eml" || !q.Oldest.Equal(q.Waiting[0].ModTime) {
		t.Errorf("waiting: %d %+v", q.NWaiting, q.Waiting)
	}
	if len(q.Deferred) != 2 {
		t.Fatalf("deferred: %+v", q.Deferred)
	}
	mine, theirs := q.Deferred[0], q.Deferred[1]
	if mine.Orig != "busy.tmp" || mine.Owner != "test" || mine.Attempts != 1 || !strings.Contains(mine.LastReply, "452") ||
		!strings.Contains(mine.LastReply, "mailbox busy") {
		t.Errorf("my deferred file: %+v", mine)
	}
	if d := time.Until(mine.Next); d < 30*time.Minute || d > 2*time.Hour {
		t.Errorf("next attempt in %s, want about the 1 h retry delay", d)
	}
	if theirs.Orig != "other.tmp" || theirs.Owner != "other" || !theirs.Next.IsZero() || theirs.LastReply != "" {
		t.Errorf("another instance's deferred file: %+v", theirs)
	}
	if len(q.Bad) != 2 {
		t.Fatalf("bad: %+v", q.Bad)
	}
	var refused, orphan File
	for _, b := range q.Bad {
		switch b.Name {
		case "refused.BAD":
			refused = b
		case "orphan.BAD":
			orphan = b
		}
	}
	if refused.Reason == nil || refused.Orig != "refused.tmp" || refused.Owner != "test" || !strings.HasPrefix(refused.Key, "test-") ||
		!strings.Contains(refused.Reason.Reply, "550") || refused.Reason.Cause != "address-unknown" ||
		len(refused.Reason.Recipients) != 1 || refused.Reason.Recipients[0].Address != "gone@example.net" {
		t.Errorf("refused: %+v %+v", refused, refused.Reason)
	}
	if orphan.Reason != nil || orphan.Orig != "orphan.BAD" {
		t.Errorf("a .BAD without a reason: %+v", orphan)
	}

	if len(q.Unmatched) != 2 || q.Unmatched[0].Name != "notice-1.txt" || q.Unmatched[1].Name != "notice-2.txt" ||
		q.Unmatched[0].State != spool.Unmatched || q.Unmatched[0].Size == 0 || !reflect.DeepEqual(q.Patterns, cfg.Spool.Patterns) {
		t.Errorf("unmatched: %+v", q.Unmatched)
	}

	all, err := List(cfg, 0)
	if err != nil || len(all.Waiting) != 5 {
		t.Fatalf("List(0): %v %d", err, len(all.Waiting))
	}
}

// The gateway's reason file, read back through spool: the typed facts
// come from spool's block, not from the text.
func TestReadReason_GatewayReport(t *testing.T) {
	cfg := relayed(t)
	r, err := spool.ReadReason(filepath.Join(cfg.Spool.Folder, "refused.BAD.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if r.File != "refused.tmp" || !strings.HasPrefix(r.Key, "test-") || r.Server == "" || r.At.IsZero() ||
		!strings.HasPrefix(r.Reply, "550 5.1.1") || r.Cause != "address-unknown" || r.Text == "" || strings.Contains(r.Text, "-- spoolgate --") {
		t.Fatalf("read back %+v", r)
	}
}

func TestLocate(t *testing.T) {
	cfg := relayed(t)
	drop(t, cfg, "wait.eml", msg("a@example.net", "w"), 0)
	drop(t, cfg, "x.tmp.other-9z.sending", msg("a@example.net", "s"), 0)
	drop(t, cfg, "noreason.2.BAD", msg("a@example.net", "b"), 0)
	for _, tc := range []struct {
		orig, name string
		state      spool.State
	}{
		{"wait.eml", "wait.eml", spool.Waiting},
		{"x.tmp", "x.tmp.other-9z.sending", spool.Sending},
		{"refused.tmp", "refused.BAD", spool.Bad},
		{"noreason.eml", "noreason.2.BAD", spool.Bad},
	} {
		f, err := Locate(cfg, tc.orig)
		if err != nil || f == nil || f.Name != tc.name || f.State != tc.state {
			t.Errorf("Locate(%q) = %+v, %v; want %s", tc.orig, f, err, tc.name)
		}
	}
	f, err := Locate(cfg, "busy.tmp")
	if err != nil || f == nil || f.State != spool.Deferred || !strings.HasPrefix(f.Key, "test-") {
		t.Errorf("Locate(busy.tmp) = %+v, %v", f, err)
	}
	if f, _ := Locate(cfg, "refused.tmp"); f == nil || f.Reason == nil || !strings.Contains(f.Reason.Reply, "550") {
		t.Errorf("Locate of a .BAD file must carry its reason: %+v", f)
	}
	for _, gone := range []string{"sent.tmp", "never.eml", "refused.eml"} {
		if f, err := Locate(cfg, gone); err != nil || f != nil {
			t.Errorf("Locate(%q) = %+v, %v; want nil", gone, f, err)
		}
	}
}
