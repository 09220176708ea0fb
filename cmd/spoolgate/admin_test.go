package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/gateway/views"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// spoolgate runs the real binary and returns its output and exit code.
func spoolgate(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("spoolgate %s: %v", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), code
}

// relayConfig is a config relaying to 127.0.0.1:port, with fast retries.
func relayConfig(t *testing.T, port int, extra string) (dir, cfg, queue string) {
	t.Helper()
	dir = spooltest.TempDir(t)
	cfg = writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder      = queue
data        = data
batch       = 0
settle      = 200ms
interval    = 1m
instance    = box1
retry_delay = 1s
retry_max   = 1s
%s
[smtp]
host     = 127.0.0.1
port     = %d
security = none

[message]
from      = library@example.org
from_name = Example Library
`, extra, port))
	queue = filepath.Join(dir, "queue")
	return dir, cfg, queue
}

// withTestTo sets [message] test_to, the last section of relayConfig.
func withTestTo(t *testing.T, cfg string) {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(b, "test_to = admin@example.org\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
}

func plant(t *testing.T, dir, name, text string, age time.Duration) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := spool.WriteFile(dir, name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if age > 0 {
		at := time.Now().Add(-age)
		if err := os.Chtimes(filepath.Join(dir, name), at, at); err != nil {
			t.Fatal(err)
		}
	}
}

func msgText(to, subject string) string {
	return fmt.Sprintf("From: library@example.org\r\nTo: %s\r\nSubject: %s\r\n\r\nHello.\r\n", to, subject)
}

func fileExists(path string) bool { _, err := os.Stat(path); return err == nil }

// dirNames lists the names in dir, but for a running instance's lock.
func dirNames(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		if spool.IsInstanceLock(e.Name()) {
			continue
		}
		out = append(out, e.Name())
	}
	return out
}

func wantAll(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func TestE2E_TestWait_Sent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	port, sinkDir := startSink(t)
	_, cfg, queue := relayConfig(t, port, "")
	withTestTo(t, cfg)
	d := startDaemon(t, cfg)
	spooltest.WaitFor(t, "the queue folder exists", func() bool { return fileExists(queue) })

	out, errOut, code := spoolgate(t, "test", "--config", cfg, "--wait", "--timeout", "2m")
	if code != 0 {
		t.Fatalf("test --wait exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	wantAll(t, "test --wait", out, "Dropped spoolgate-test-", ".eml in "+queue, "Sent to admin@example.org", "queued as SINK", "Queue id:      SINK")
	got := sinkMessages(t, sinkDir)
	if len(got) != 1 || strings.Join(got[0].To, ",") != "admin@example.org" {
		t.Fatalf("the sink received %+v", got)
	}
	host, _ := os.Hostname()
	wantAll(t, "the test message", string(got[0].Data), "Subject: spoolgate test message from "+host+"\r\n",
		"From: \"Example Library\" <library@example.org>\r\n", "To: <admin@example.org>\r\n", "This is a test message from spoolgate", cfg)
	// Only spoolgate's own X-Spoolgate-Id goes out (for bounces): the
	// file's X-Spoolgate-Kind does not.
	if bytes.Contains(got[0].Data, []byte("X-Spoolgate-Kind")) || bytes.Count(got[0].Data, []byte("X-Spoolgate-")) != 1 ||
		!bytes.Contains(got[0].Data, []byte("\r\nX-Spoolgate-Id: ")) {
		t.Errorf("X-Spoolgate- headers going out:\n%s", got[0].Data)
	}
	js, _, code := spoolgate(t, "sent", "--config", cfg, "--json", "--status", "sent")
	var rec views.Sent
	if code != 0 || json.Unmarshal([]byte(js), &rec) != nil || rec.Kind != "test" || !strings.HasPrefix(rec.File, "spoolgate-test-") {
		t.Errorf("the journal must show a sent test message (exit %d): %s", code, js)
	}

	// --to overrides test_to; without --wait it only drops the file.
	out, _, code = spoolgate(t, "test", "--config", cfg, "--to", "other@example.org")
	if code != 0 || !strings.Contains(out, "to other@example.org") {
		t.Fatalf("test --to: exit %d: %s", code, out)
	}
	spooltest.WaitFor(t, "the second test message reached the sink", func() bool { return len(sinkMessages(t, sinkDir)) == 2 })
	if code := d.stop(t); code != 0 {
		t.Fatalf("daemon exit %d", code)
	}
}

func TestE2E_TestWait_Refused(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageRcpt, smtptest.Refuse(550, [3]int{5, 7, 1}, "relaying denied"))))
	_, cfg, queue := relayConfig(t, srv.Port(), "")
	startDaemon(t, cfg)
	spooltest.WaitFor(t, "the queue folder exists", func() bool { return fileExists(queue) })
	out, errOut, code := spoolgate(t, "test", "--config", cfg, "--to", "admin@example.org", "--wait", "--timeout", "2m")
	if code != 1 {
		t.Fatalf("test --wait against a refusing relay: exit %d, want 1\n%s%s", code, out, errOut)
	}
	wantAll(t, "test --wait", out, "Refused: the service set it aside as spoolgate-test-", ".BAD",
		"550 5.7.1 relaying denied", "What happened: The mail relay does not let this machine send mail")
	wantAll(t, "stderr", errOut, "not sent")
	if len(srv.Messages()) != 0 {
		t.Errorf("the relay received %d messages", len(srv.Messages()))
	}
}

func TestE2E_TestWait_NoService(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	_, cfg, queue := relayConfig(t, freePort(t), "")
	withTestTo(t, cfg)
	if err := os.MkdirAll(queue, 0o755); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := spoolgate(t, "test", "--config", cfg, "--wait", "--timeout", "2s")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	wantAll(t, "stderr", errOut, "the service is not running", "spoolgate start", "stays in the queue")
	names := dirNames(queue)
	if len(names) != 1 || !strings.HasPrefix(names[0], "spoolgate-test-") || !strings.HasSuffix(names[0], ".eml") || !strings.Contains(out, names[0]) {
		t.Fatalf("the test file must stay in the queue, named in the output: %v\n%s", names, out)
	}
	b, _ := os.ReadFile(filepath.Join(queue, names[0]))
	if !bytes.HasPrefix(b, []byte("X-Spoolgate-Kind: test\r\n")) || !bytes.Contains(b, []byte("\r\nTo: <admin@example.org>\r\n")) {
		t.Errorf("the test file:\n%s", b)
	}
}

func TestE2E_Test_UsageErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	_, cfg, _ := relayConfig(t, freePort(t), "")
	_, errOut, code := spoolgate(t, "test", "--config", cfg)
	if code != 2 || !strings.Contains(errOut, "test_to") || !strings.Contains(errOut, "--to") {
		t.Errorf("no address: exit %d, want 2 naming test_to: %s", code, errOut)
	}
	_, errOut, code = spoolgate(t, "test", "--config", cfg, "--to", "not an address")
	if code != 2 || !strings.Contains(errOut, "not an address") {
		t.Errorf("bad address: exit %d, want 2: %s", code, errOut)
	}
	_, errOut, code = spoolgate(t, "test", "--config", cfg, "--to", "a@example.org")
	if code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("no queue folder: exit %d, want 1: %s", code, errOut)
	}
}

func TestParseSince(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"24h": 24 * time.Hour, "90m": 90 * time.Minute, "7d": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour, "all": 0, "0": 0,
	} {
		if got, err := parseSince(in); err != nil || got != want {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "7", "d", "7x", "-1h", "1d-3h", "xd", "0d"} {
		if got, err := parseSince(bad); err == nil {
			t.Errorf("parseSince(%q) = %v, want an error", bad, got)
		}
	}
}

func TestMatchBad(t *testing.T) {
	bad := []inspect.File{
		{Name: "abc.BAD", Reason: &spool.Reason{File: "abc.tmp"}},
		{Name: "abc.1.BAD", Reason: &spool.Reason{File: "abc.eml"}},
		{Name: "Notice.BAD"},
		{Name: "dup.BAD", Reason: &spool.Reason{File: "dup.tmp"}},
		{Name: "dup.1.BAD", Reason: &spool.Reason{File: "dup.tmp"}},
	}
	for name, want := range map[string]string{
		"abc.BAD": "abc.BAD", "abc": "abc.BAD", "abc.tmp": "abc.BAD", "abc.1.BAD": "abc.1.BAD", "abc.1": "abc.1.BAD",
		"abc.eml": "abc.1.BAD", "notice": "Notice.BAD", "NOTICE.bad": "Notice.BAD", "dup": "dup.BAD",
	} {
		f, err := matchBad(bad, name)
		if err != nil || f == nil || f.Name != want {
			t.Errorf("matchBad(%q) = %+v, %v; want %s", name, f, err, want)
		}
	}
	if f, err := matchBad(bad, "dup.tmp"); err == nil || !strings.Contains(err.Error(), "dup.BAD, dup.1.BAD") {
		t.Errorf("an ambiguous name: %+v, %v", f, err)
	}
	if f, err := matchBad(bad, "nope"); err != nil || f != nil {
		t.Errorf("an unknown name: %+v, %v", f, err)
	}
	_, err := resolveBad(bad, []string{"abc", "queue/nope.BAD", "zzz"}, false)
	if err == nil || !strings.Contains(err.Error(), "queue/nope.BAD, zzz") || !strings.Contains(err.Error(), "the .BAD files are: Notice.BAD, abc.1.BAD, abc.BAD, dup.1.BAD, dup.BAD") {
		t.Errorf("unknown names: %v", err)
	}
	got, err := resolveBad(bad, []string{"queue/abc.BAD", "abc.tmp", "Notice"}, false)
	if err != nil || len(got) != 2 || got[0].name != "abc.BAD" || got[1].name != "Notice.BAD" {
		t.Errorf("resolveBad: %+v, %v", got, err)
	}
}

// TestE2E_Retry_PartlyDelivered: a message to a and b; a accepts, b
// defers until retry_for runs out and the file goes .BAD. After
// `spoolgate retry`, the running service sends it to b only.
func TestE2E_Retry_PartlyDelivered(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	var deferB atomic.Bool
	deferB.Store(true)
	srv := smtptest.NewServer(t, smtptest.WithFault(func(st smtptest.Stage, arg string) *smtptest.Reply {
		if st == smtptest.StageRcpt && arg == "b@example.net" && deferB.Load() {
			return smtptest.Refuse(452, [3]int{4, 2, 2}, "mailbox busy")
		}
		return nil
	}))
	_, cfg, queue := relayConfig(t, srv.Port(), "retry_for = 3s")
	d := startDaemon(t, cfg)
	spooltest.WaitFor(t, "the queue folder exists", func() bool { return fileExists(queue) })
	plant(t, queue, "notice.eml", msgText("a@example.net, b@example.net", "partly"), 0)
	spooltest.WaitFor(t, "the file goes .BAD after retry_for", func() bool { return fileExists(filepath.Join(queue, "notice.BAD.txt")) })
	if m := srv.Messages(); len(m) != 1 || strings.Join(m[0].To, ",") != "a@example.net" {
		t.Fatalf("before the retry the relay received %+v", m)
	}
	reason, err := spool.ReadReason(filepath.Join(queue, "notice.BAD.txt"))
	if err != nil || reason.File != "notice.eml" || !strings.HasPrefix(reason.Key, "box1-") || !strings.Contains(reason.Reply, "452") ||
		!strings.Contains(reason.Text, "spoolgate retry notice.eml") {
		t.Errorf("the reason: %+v %v", reason, err)
	}

	// queue shows it, while the service runs.
	out, _, code := spoolgate(t, "queue", "--config", cfg)
	if code != 0 {
		t.Fatalf("queue exit %d", code)
	}
	wantAll(t, "queue", out, "notice.BAD  (was notice.eml)", "452 4.2.2 mailbox busy")

	deferB.Store(false)
	out, errOut, code := spoolgate(t, "retry", "--config", cfg, "notice.eml")
	if code != 0 {
		t.Fatalf("retry exit %d: %s%s", code, out, errOut)
	}
	wantAll(t, "retry", out, "notice.BAD: back in the queue as notice.eml.box1-", ".deferred", "already sent to a@example.net")
	all := srv.WaitMessages(t, 2, 60*time.Second)
	if strings.Join(all[1].To, ",") != "b@example.net" {
		t.Fatalf("the retry must go only to b, went to %v", all[1].To)
	}
	spooltest.WaitFor(t, "the queue is empty", func() bool { return len(dirNames(queue)) == 0 })
	js, _, _ := spoolgate(t, "sent", "--config", cfg, "--json", "--file", "notice.eml")
	var rec views.Sent
	if err := json.Unmarshal([]byte(js), &rec); err != nil || rec.Status != "sent" || len(rec.To) != 2 {
		t.Errorf("journal after the retry: %v %s", err, js)
	}
	if code := d.stop(t); code != 0 {
		t.Fatalf("daemon exit %d", code)
	}
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("%d deliveries, want 2", n)
	}
}

// TestE2E_Retry_Names: files of another instance go back under their
// original name (or a free one like it), files of this instance as
// deferred under their key, files without a reason under a name the
// patterns take.
func TestE2E_Retry_Names(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	_, cfg, queue := relayConfig(t, freePort(t), "")
	reason := func(file, key string) string {
		s := "spoolgate could not send this message and will not try again.\r\n\r\nFile:     " + file + "\r\n"
		if key != "" {
			s += "Key:      " + key + "\r\n"
		}
		return s + "When:     2026-01-02 03:04:05 +0000\r\n\r\nWhat happened: The recipient's address does not exist.\r\n"
	}
	plant(t, queue, "theirs.BAD", msgText("a@example.net", "theirs"), 0)
	plant(t, queue, "theirs.BAD.txt", reason("theirs.tmp", "other-1k2"), 0)
	plant(t, queue, "taken.BAD", msgText("a@example.net", "taken"), 0)
	plant(t, queue, "taken.BAD.txt", reason("taken.tmp", "other-9z"), 0)
	plant(t, queue, "taken.tmp", msgText("c@example.net", "a new file of that name"), 0)
	plant(t, queue, "mine.1.BAD", msgText("a@example.net", "mine"), 0)
	plant(t, queue, "mine.1.BAD.txt", reason("mine.eml", "box1-abc"), 0)
	plant(t, queue, "bare.BAD", msgText("a@example.net", "no reason file"), 0)
	plant(t, queue, "nokey.BAD", msgText("a@example.net", "refused before claiming"), 0)
	plant(t, queue, "nokey.BAD.txt", reason("nokey.eml", ""), 0)

	out, errOut, code := spoolgate(t, "retry", "--config", cfg, "nothere", "theirs")
	if code != 1 || !strings.Contains(errOut, "no .BAD file named nothere") ||
		!strings.Contains(errOut, "bare.BAD, mine.1.BAD, nokey.BAD, taken.BAD, theirs.BAD") {
		t.Fatalf("an unknown name: exit %d: %s%s", code, out, errOut)
	}
	if !fileExists(filepath.Join(queue, "theirs.BAD")) {
		t.Fatal("an error in the names must put nothing back")
	}
	if _, errOut, code := spoolgate(t, "retry", "--config", cfg); code != 2 || !strings.Contains(errOut, "--all") {
		t.Errorf("no names: exit %d: %s", code, errOut)
	}

	out, errOut, code = spoolgate(t, "retry", "theirs.BAD", "--config", cfg, "taken", "mine.1", "bare", "nokey.eml")
	if code != 0 {
		t.Fatalf("retry exit %d: %s%s", code, out, errOut)
	}
	want := []string{"bare.tmp", "mine.eml.box1-abc.deferred", "nokey.eml", "taken.retry-1.tmp", "taken.tmp", "theirs.tmp"}
	if got := strings.Join(dirNames(queue), " "); got != strings.Join(want, " ") {
		t.Fatalf("queue after retry:\n%s\nwant\n%s\noutput:\n%s", got, strings.Join(want, " "), out)
	}
	wantAll(t, "retry", out, "theirs.BAD: back in the queue as theirs.tmp\n", "taken.BAD: back in the queue as taken.retry-1.tmp\n",
		"mine.1.BAD: back in the queue as mine.eml.box1-abc.deferred; the service retries it", "bare.BAD: back in the queue as bare.tmp\n")
	if b, _ := os.ReadFile(filepath.Join(queue, "taken.tmp")); !strings.Contains(string(b), "a new file of that name") {
		t.Error("retry replaced a file the library system had dropped")
	}
	out, _, code = spoolgate(t, "retry", "--config", cfg, "--all")
	if code != 0 || !strings.Contains(out, "There are no .BAD files") {
		t.Errorf("--all with nothing left: exit %d: %s", code, out)
	}
}

func TestE2E_Queue(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t, smtptest.WithFault(func(st smtptest.Stage, arg string) *smtptest.Reply {
		switch {
		case st == smtptest.StageRcpt && arg == "busy@example.net":
			return smtptest.Refuse(451, [3]int{4, 3, 0}, "try again later")
		case st == smtptest.StageRcpt && arg == "gone@example.net":
			return smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user")
		}
		return nil
	}))
	dir, cfg, queue := relayConfig(t, srv.Port(), "")
	b, _ := os.ReadFile(cfg)
	// Retries an hour apart, so the deferred file stays deferred.
	b = bytes.Replace(b, []byte("retry_delay = 1s\nretry_max   = 1s"), []byte("retry_delay = 1h\nretry_max   = 2h"), 1)
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, cfg)
	spooltest.WaitFor(t, "the queue folder exists", func() bool { return fileExists(queue) })
	plant(t, queue, "busy.eml", msgText("busy@example.net", "busy"), 0)
	plant(t, queue, "refused.eml", msgText("gone@example.net", "refused"), 0)
	spooltest.WaitFor(t, "one deferred and one .BAD", func() bool {
		names := strings.Join(dirNames(queue), " ")
		return strings.Contains(names, "busy.eml.box1-") && strings.Contains(names, ".deferred") && strings.Contains(names, "refused.BAD.txt")
	})
	if code := d.stop(t); code != 0 {
		t.Fatalf("daemon exit %d", code)
	}
	for i, age := range []time.Duration{2 * time.Hour, 30 * time.Minute, time.Minute} {
		plant(t, queue, fmt.Sprintf("w%d.tmp", i), msgText("a@example.net", "waiting"), age)
	}
	plant(t, queue, "x.tmp.box2-77.sending", msgText("a@example.net", "claimed by another"), 0)
	plant(t, queue, "left.tmp.box1-9.sending", msgText("a@example.net", "claimed when box1 stopped"), 0)
	plant(t, queue, "lost.BAD", "no reason file", 0)
	plant(t, queue, "notice-7.txt", msgText("a@example.net", "named for no pattern"), 3*time.Hour)
	plant(t, queue, "fresh.txt", msgText("a@example.net", "maybe about to be renamed"), 0)
	soon := time.Now().Add(time.Hour) // younger than settle, however slow the test
	if err := os.Chtimes(filepath.Join(queue, "fresh.txt"), soon, soon); err != nil {
		t.Fatal(err)
	}
	before := strings.Join(dirNames(queue), " ")

	out, _, code := spoolgate(t, "queue", "--config", cfg, "--limit", "2")
	if code != 0 {
		t.Fatalf("queue exit %d", code)
	}
	wantAll(t, "queue", out, "spoolgate is not running: nothing is being sent (nothing sent yet)\n\nQueue folder: "+queue,
		"Waiting: 3 (oldest 2h ago)\n  Why they wait: spoolgate is not running", "w0.tmp", "w1.tmp", "and 1 more",
		"Being sent: 2", "x.tmp  by instance box2",
		"left.tmp  claimed by this instance (box1) when it stopped: spoolgate takes it back when it starts",
		"Deferred (temporary failures, retried automatically): 1", "  busy.eml\n", "next attempt: ", "(in ", "attempts:     1", "last error:   451 4.3.0 try again later",
		".BAD (refused for good, not retried): 2", "refused.BAD  (was refused.eml)", "what happened: ", " (address-unknown)\n",
		"reply:         550 5.1.1 no such user", "refused:       gone@example.net: ", "what to do:    ",
		"lost.BAD", "no reason file (lost.BAD.txt is missing)", "spoolgate retry",
		"Not messages (their names match no [spool] pattern = *.tmp, *.eml): 1\n  notice-7.txt  ", "3h ago", "rename them", "add a pattern")
	if strings.Contains(out, "w2.tmp") || strings.Contains(out, "fresh.txt") {
		t.Errorf("--limit 2 must list the two oldest only, and a file still settling is not listed:\n%s", out)
	}

	js, _, code := spoolgate(t, "queue", "--config", cfg, "--json")
	var q views.Queue
	if err := json.Unmarshal([]byte(js), &q); code != 0 || err != nil {
		t.Fatalf("queue --json: exit %d, %v\n%s", code, err, js)
	}
	if q.Waiting != 3 || len(q.Files) != 3 || q.Files[0].Name != "w0.tmp" || len(q.Sending) != 2 || len(q.Deferred) != 1 || len(q.Bad) != 2 || q.Instance != "box1" ||
		q.Running || q.Relay.State != "not-running" || q.WhyWaiting == nil || q.WhyWaiting.Reason != "not-running" {
		t.Fatalf("queue --json: %+v", q)
	}
	def := q.Deferred[0]
	if def.File != "busy.eml" || def.Instance != "box1" || def.Next == nil || time.Until(*def.Next) < 30*time.Minute || !strings.Contains(def.LastError, "451") {
		t.Errorf("deferred: %+v", def)
	}
	for _, bf := range q.Bad {
		if bf.Name == "refused.BAD" && (bf.File != "refused.eml" || !strings.HasPrefix(bf.Reply, "550") || bf.What == "" || bf.Reason == nil || !*bf.Reason ||
			bf.Cause != "address-unknown" || len(bf.Recipients) != 1 || bf.Recipients[0].Address != "gone@example.net" ||
			bf.Recipients[0].Cause != "address-unknown" || bf.When == nil) {
			t.Errorf("bad: %+v", bf)
		}
	}
	if len(q.Unmatched) != 1 || q.Unmatched[0].File != "notice-7.txt" || q.Unmatched[0].Size == 0 ||
		q.Unmatched[0].Age < 3*3600-60 || strings.Join(q.Patterns, ",") != "*.tmp,*.eml" {
		t.Errorf("unmatched: %+v %v", q.Unmatched, q.Patterns)
	}
	if after := strings.Join(dirNames(queue), " "); after != before {
		t.Errorf("queue changed the folder:\n%s\n%s", before, after)
	}

	_, errOut, code := spoolgate(t, "queue", "--config", writeConfig(t, spooltest.TempDir(t), strings.Replace(string(b), "folder      = queue", "folder = "+filepath.Join(dir, "nope"), 1)))
	if code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("a missing queue folder: exit %d: %s", code, errOut)
	}
}

func TestE2E_SentFilters(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.AtRcpt("gone@example.net", smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user"))))
	_, cfg, queue := relayConfig(t, srv.Port(), "")
	d := startDaemon(t, cfg)
	spooltest.WaitFor(t, "the queue folder exists", func() bool { return fileExists(queue) })
	plant(t, queue, "overdue-1.eml", msgText("alice@example.net", "overdue"), 0)
	plant(t, queue, "overdue-2.eml", msgText("bob@example.net", "overdue"), 0)
	plant(t, queue, "hold.eml", msgText("gone@example.net", "hold"), 0)
	spooltest.WaitFor(t, "two sent and one .BAD", func() bool {
		return len(srv.Messages()) == 2 && fileExists(filepath.Join(queue, "hold.BAD.txt"))
	})
	d.stop(t)

	files := func(args ...string) string {
		t.Helper()
		out, errOut, code := spoolgate(t, append([]string{"sent", "--config", cfg, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("sent %v: exit %d: %s", args, code, errOut)
		}
		var fs []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if l == "" {
				continue
			}
			var r views.Sent
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			fs = append(fs, r.File)
		}
		return strings.Join(fs, " ")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "hold.eml overdue-2.eml overdue-1.eml"},
		{[]string{"--to", "ALICE"}, "overdue-1.eml"},
		{[]string{"--status", "failed"}, "hold.eml"},
		{[]string{"--status", "sent", "--file", "overdue"}, "overdue-2.eml overdue-1.eml"},
		{[]string{"--file", "-2"}, "overdue-2.eml"},
		{[]string{"--since", "7d", "--to", "bob@"}, "overdue-2.eml"},
		{[]string{"--since", "all", "--status", "deferred"}, ""},
	} {
		// The journal orders by the time of the last event; ties are
		// possible, so compare as sets where order is not the point.
		got := files(tc.args...)
		if sortWords(got) != sortWords(tc.want) {
			t.Errorf("sent %v: %q, want %q", tc.args, got, tc.want)
		}
	}
	out, _, _ := spoolgate(t, "sent", "--config", cfg, "--status", "failed", "--since", "7d")
	wantAll(t, "sent", out, "hold.eml", "550 5.1.1 no such user", "1 message(s) in the last 7d matching status failed")
	for _, bad := range [][]string{{"--status", "bogus"}, {"--since", "7x"}} {
		if _, errOut, code := spoolgate(t, append([]string{"sent", "--config", cfg}, bad...)...); code != 2 {
			t.Errorf("sent %v: exit %d, want 2: %s", bad, code, errOut)
		}
	}
}

func sortWords(s string) string {
	w := strings.Fields(s)
	slices.Sort(w)
	return strings.Join(w, " ")
}

// test --wait against a running service whose relay wants a login: the
// file waits (nothing is set aside), and --wait says that the service runs
// but the relay is unavailable, with the cause and the relay's reply.
func TestE2E_TestWait_RelayUnavailable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageMail, smtptest.Refuse(530, [3]int{5, 7, 0}, "Authentication required"))))
	_, cfg, queue := relayConfig(t, srv.Port(), "")
	startDaemon(t, cfg)
	spooltest.WaitFor(t, "the queue folder exists", func() bool { return fileExists(queue) })
	out, errOut, code := spoolgate(t, "test", "--config", cfg, "--to", "admin@example.org", "--wait", "--timeout", "5s")
	if code != 1 {
		t.Fatalf("test --wait against a relay that wants a login: exit %d, want 1\n%s%s", code, out, errOut)
	}
	wantAll(t, "stderr", errOut, "the service is running, but the relay is unavailable", "530 5.7.0 Authentication required", "next attempt")
	if strings.Contains(out+errOut, ".BAD") || strings.Contains(errOut, "not running") {
		t.Errorf("test --wait blames the file or the service:\n%s%s", out, errOut)
	}
}
