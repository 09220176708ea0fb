package gateway

// The hostile-input suite for the queue folder: what the queue writer (the
// library system's account, or anyone who has it) can put in the folder to
// make spoolgate send, show, hang on or lose something. Each runs the real
// gateway (a real folder, fsnotify, the in-process SMTP server) and ends
// with its expected outcome. Files that only Unix can make (named pipes,
// sockets, a link to /dev/zero, a newline in a name) are in
// hostile_queue_unix_test.go.

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// secrets are files outside the queue that the service can read and the
// queue writer cannot: one that looks like a message (a root-only
// file), and a password file, whose first line is the password.
type secrets struct {
	message, password string // their paths
}

const (
	secretMessage  = "To: boss@corp.example\r\nSubject: the merger plan\r\n\r\nSECRET-BODY-4711\r\n"
	secretPassword = "hunter2-SMTP-PASSWORD\n"
)

func plantSecrets(t *testing.T) secrets {
	t.Helper()
	dir := spooltest.TempDir(t)
	s := secrets{message: filepath.Join(dir, "root-only.txt"), password: filepath.Join(dir, "smtp-password")}
	for p, data := range map[string]string{s.message: secretMessage, s.password: secretPassword} {
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// leaks returns the words of the secrets (or of where they are) that text
// holds.
func leaks(text string) []string {
	var out []string
	for _, w := range []string{"boss@corp", "merger", "SECRET-BODY", "hunter2", "PASSWORD", "root-only", "smtp-password", "/dev/zero", "nowhere"} {
		if strings.Contains(text, w) {
			out = append(out, w)
		}
	}
	return out
}

// badOf waits until the queue holds name's BAD file and its reason, and
// returns the reason file's text.
func badOf(t *testing.T, cfg *config.Config, bad string) string {
	t.Helper()
	waitFor(t, bad+" and its reason are in the queue", func() bool { return present(cfg, bad) && present(cfg, bad+".txt") })
	b, err := os.ReadFile(filepath.Join(cfg.Spool.Folder, bad+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// present tells whether the queue folder holds name, whatever it is (exists
// follows a link).
func present(cfg *config.Config, name string) bool {
	_, err := os.Lstat(filepath.Join(cfg.Spool.Folder, name))
	return err == nil
}

// symlinkOrSkip makes a symbolic link, or skips the test where none can
// be made (Windows without the privilege).
func symlinkOrSkip(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, err := os.Lstat(link); err != nil {
		t.Skip("os.Symlink made no link (wine):", err)
	}
}

// neverDeferred fails the test when the log or the queue shows that a
// file was deferred (retried as a temporary failure) instead of being set
// aside at once.
func neverDeferred(t *testing.T, r *running, cfg *config.Config) {
	t.Helper()
	if n := hasSuffix(files(t, cfg.Spool.Folder), spool.SuffixDeferred); n > 0 {
		t.Errorf("%d files deferred: %v", n, files(t, cfg.Spool.Folder))
	}
	if strings.Contains(r.log.String(), "cannot read a claimed file") {
		t.Error("a file that will never be read was treated as temporarily unreadable")
	}
}

// A symbolic link to a file the queue writer cannot read (one that looks
// like a message, and the SMTP password file) is set aside at once as
// not-a-file, and never sent: its .BAD.txt, the log and the journal name
// the kind and quote nothing of it. The link itself becomes the .BAD
// file. A real message beside them is sent.
func TestHostile_LinkToSecret(t *testing.T) {
	sec := plantSecrets(t)
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	symlinkOrSkip(t, sec.message, filepath.Join(cfg.Spool.Folder, "secret.eml"))
	symlinkOrSkip(t, sec.password, filepath.Join(cfg.Spool.Folder, "password.eml"))
	drop(t, cfg, "good.eml", msg("patron@example.net", "a real notice"))
	r := start(t, cfg)

	for _, bad := range []string{"secret.BAD", "password.BAD"} {
		reason := badOf(t, cfg, bad)
		if l := leaks(reason); len(l) > 0 {
			t.Errorf("%s.txt quotes %v:\n%s", bad, l, reason)
		}
		if !strings.Contains(reason, "Cause: not-a-file") || !strings.Contains(reason, "symbolic link") && !strings.Contains(reason, "reparse point") {
			t.Errorf("%s.txt does not say it is a link (not-a-file):\n%s", bad, reason)
		}
		if fi, err := os.Lstat(filepath.Join(cfg.Spool.Folder, bad)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s must be the link itself, set aside: %v %v", bad, fi, err)
		}
	}
	waitFor(t, "the real notice is sent", func() bool { return bySubject(srv.Messages())["a real notice"] == 1 })
	r.stop()
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages sent, want only the real notice", n)
	}
	for _, m := range srv.Messages() {
		if l := leaks(string(m.Data) + strings.Join(m.To, ",")); len(l) > 0 {
			t.Errorf("a secret was sent: %v", l)
		}
	}
	if l := leaks(r.log.String()); len(l) > 0 {
		t.Errorf("the log quotes %v", l)
	}
	neverDeferred(t, r, cfg)
	recs, err := openJournal(t, cfg).Query(journal.Filter{Status: journal.StatusFailed})
	if err != nil || len(recs) != 2 {
		t.Fatalf("journal: %d failed records, %v; want the two links", len(recs), err)
	}
	for _, rec := range recs {
		if rec.Cause != "not-a-file" || rec.Attempts != 0 || len(leaks(rec.Reply)) > 0 {
			t.Errorf("journal record of %s: cause %q, %d attempts, reply %q", rec.File, rec.Cause, rec.Attempts, rec.Reply)
		}
	}
}

// A link to nowhere is set aside at once, not retried for retry_for as a
// temporary failure.
func TestHostile_DanglingLink(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	symlinkOrSkip(t, filepath.Join(cfg.Spool.Folder, "nowhere"), filepath.Join(cfg.Spool.Folder, "dangling.eml"))
	r := start(t, cfg)
	reason := badOf(t, cfg, "dangling.BAD")
	if !strings.Contains(reason, "Cause: not-a-file") || len(leaks(reason)) > 0 {
		t.Errorf("dangling.BAD.txt:\n%s", reason)
	}
	stillRunning(t, cfg, srv)
	neverDeferred(t, r, cfg)
}

// A 255-byte name cannot be claimed (the claimed name would be longer than
// a name may be): it is set aside under a short .BAD name with the
// original name in its reason, once, not logged at every scan for ever;
// spoolgate retry brings it back under a name that can be claimed, and
// it is sent.
func TestHostile_NameTooLong(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.Spool.Interval = time.Second // scans often: a name logged at every scan would show
	long := strings.Repeat("n", 251) + ".eml"
	if err := os.MkdirAll(cfg.Spool.Folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Spool.Folder, long), msg("patron@example.net", "long name"), 0o644); err != nil {
		t.Skip("this file system takes no 255-byte names:", err)
	}
	r := start(t, cfg)
	var bad string
	waitFor(t, "a short .BAD file", func() bool {
		for _, n := range files(t, cfg.Spool.Folder) {
			if strings.HasSuffix(n, spool.SuffixBad) {
				bad = n
				return exists(cfg, n+".txt")
			}
		}
		return false
	})
	if len(bad) > 200 {
		t.Errorf("the BAD name is %d bytes long", len(bad))
	}
	rs, err := spool.ReadReason(filepath.Join(cfg.Spool.Folder, bad+".txt"))
	if err != nil || rs.File != long || rs.Cause != "not-a-file" {
		t.Fatalf("reason: File %q, Cause %q, %v; want the original name", rs.File, rs.Cause, err)
	}
	time.Sleep(3 * cfg.Spool.Interval)
	if n := strings.Count(r.log.String(), "cannot take a file from the queue"); n > 0 {
		t.Errorf("the claim's failure was logged %d times", n)
	}
	if exists(cfg, long) {
		t.Error("the long name is still waiting")
	}

	// spoolgate retry: back under a shorter name, and sent.
	sp := spool.New(spool.Options{Dir: cfg.Spool.Folder, Patterns: cfg.Spool.Patterns, Instance: cfg.Spool.Instance})
	if _, err := sp.Requeue(bad); err != nil {
		t.Fatalf("Requeue: %v", err)
	}
	waitFor(t, "the requeued file is sent", func() bool { return bySubject(srv.Messages())["long name"] == 1 })
}

// The journal's file deleted while the service runs: the next write logs
// an error and begins a new journal, and what is sent from then on is in
// it.
func TestHostile_JournalDeleted(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	r := start(t, cfg)
	drop(t, cfg, "first.eml", msg("a@example.net", "before"))
	srv.WaitMessages(t, 1, 60*time.Second)
	waitEmpty(t, cfg)
	path := filepath.Join(cfg.Spool.Data, JournalFile)
	for _, sfx := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + sfx); err != nil && !os.IsNotExist(err) {
			if runtime.GOOS == "windows" {
				t.Skip("Windows does not let an open database file be deleted:", err)
			}
			t.Fatal(err)
		}
	}
	drop(t, cfg, "second.eml", msg("a@example.net", "after"))
	srv.WaitMessages(t, 2, 60*time.Second)
	waitEmpty(t, cfg)
	waitFor(t, "the deletion is logged", func() bool {
		return strings.Contains(r.log.String(), "was deleted while spoolgate was running")
	})
	drop(t, cfg, "third.eml", msg("a@example.net", "later"))
	srv.WaitMessages(t, 3, 60*time.Second)
	waitEmpty(t, cfg)
	r.stop()
	if !strings.Contains(r.log.String(), "level=ERROR") {
		t.Error("the deletion is not logged as an error")
	}
	recs, err := openJournal(t, cfg).Query(journal.Filter{Status: journal.StatusSent})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, rec := range recs {
		got[rec.File] = true
	}
	if !got["second.eml"] || !got["third.eml"] || got["first.eml"] {
		t.Errorf("the new journal holds %v; want second.eml and third.eml", got)
	}
}
