package gateway

// The environment suite: the queue folder, the data folder and the journal
// database going wrong under a running gateway.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// TestEnvironment_QueueFolderRecreated: the queue folder removed while the
// gateway runs is reported (once), and once it is back the watcher comes
// back and files dropped in it are delivered.
func TestEnvironment_QueueFolderRecreated(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	r := start(t, cfg)
	drop(t, cfg, "before.eml", msg("a@example.net", "before"))
	srv.WaitMessages(t, 1, 60*time.Second)
	waitEmpty(t, cfg)
	if runtime.GOOS == "windows" {
		// Under wine a watched folder's removal stays pending while the
		// watch handle is open, so it can't be re-created here (as in
		// spool's watcher test); the half above runs everywhere.
		return
	}
	if err := spooltest.RemoveAll(cfg.Spool.Folder); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the lost watch is logged", func() bool { return strings.Contains(r.log.String(), "cannot watch the queue folder") })
	if err := os.Mkdir(cfg.Spool.Folder, 0o755); err != nil {
		t.Fatal(err)
	}
	// No check interval passes in this test (it is a minute): only the
	// watcher, back on the new folder, can bring these files to the
	// gateway's attention.
	for i := 0; i < 3; i++ {
		drop(t, cfg, fmt.Sprintf("after%d.eml", i), msg("a@example.net", fmt.Sprintf("after %d", i)))
	}
	srv.WaitMessages(t, 4, 60*time.Second)
	waitEmpty(t, cfg)
	subj := bySubject(srv.Messages())
	for _, s := range []string{"before", "after 0", "after 1", "after 2"} {
		if subj[s] != 1 {
			t.Errorf("%q delivered %d times", s, subj[s])
		}
	}
	if n := strings.Count(r.log.String(), "cannot read the queue folder"); n > 1 {
		t.Errorf("the missing folder was logged %d times, want at most once", n)
	}
}

// TestEnvironment_DataDiskFull: the journal's disk fills up while the
// gateway runs. The gateway keeps relaying; the journal says once that it
// cannot write and why; a message the relay accepted is removed from the
// queue anyway (so that it is not sent twice), and the log says so. Once
// there is room again the journal records again.
//
// The full disk is a 2 MB tmpfs, which needs root on Linux. Elsewhere the
// journal is made read-only instead.
func TestEnvironment_DataDiskFull(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	if err := os.MkdirAll(cfg.Spool.Data, 0o770); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "linux" || exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", cfg.Spool.Data).Run() != nil {
		t.Log("no tmpfs could be mounted here; testing a read-only journal instead")
		readOnlyJournal(t, srv)
		return
	}
	// Registered before the gateway starts, so it runs after it stopped.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", cfg.Spool.Data).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	r := start(t, cfg)
	drop(t, cfg, "first.eml", msg("a@example.net", "first"))
	srv.WaitMessages(t, 1, 60*time.Second)
	waitEmpty(t, cfg)

	// Fill the disk.
	filler := filepath.Join(cfg.Spool.Data, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	f.Close()

	for i := 0; i < 5; i++ {
		drop(t, cfg, fmt.Sprintf("full%d.eml", i), msg("a@example.net", fmt.Sprintf("disk full %d", i)))
	}
	srv.WaitMessages(t, 6, 60*time.Second)
	waitEmpty(t, cfg)
	log := r.log.String()
	if n := strings.Count(log, "journal: cannot write"); n != 1 {
		t.Errorf("the journal's failure was logged %d times, want once", n)
	}
	if !strings.Contains(log, "the disk is full") {
		t.Error("the log does not say the disk is full")
	}
	if !strings.Contains(log, "the journal could not record a sent message; removing the file anyway so it is not sent twice") {
		t.Error("the log does not say a sent file was removed unrecorded")
	}

	// Room again: the journal records again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	drop(t, cfg, "later.eml", msg("a@example.net", "room again"))
	waitFor(t, "the journal records again", func() bool { return strings.Contains(r.log.String(), "works again") })
	r.stop()
	subj := bySubject(srv.Messages())
	if len(srv.Messages()) != 7 || subj["room again"] != 1 {
		t.Errorf("deliveries %v", subj)
	}
	recs, err := openJournal(t, cfg).Query(journal.Filter{Status: journal.StatusSent})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, rec := range recs {
		files[rec.File] = true
	}
	if !files["first.eml"] || !files["later.eml"] {
		t.Errorf("the journal lacks what was recorded before or after the disk was full: %v", files)
	}
}

// readOnlyJournal: the journal database can't be written. Either the
// gateway refuses to start with an error naming the file, or it relays
// and says once that the journal cannot be written; no file is lost.
func readOnlyJournal(t *testing.T, srv *smtptest.Server) {
	cfg := testConfig(t, srv)
	g, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	g.journal.Close()
	path := filepath.Join(cfg.Spool.Data, JournalFile)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Chmod(p, 0o444)
	}
	os.Chmod(cfg.Spool.Data, 0o555)
	t.Cleanup(func() { os.Chmod(cfg.Spool.Data, 0o755); os.Chmod(path, 0o644) })
	drop(t, cfg, "ro.eml", msg("a@example.net", "read-only journal"))
	g, err = New(cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		g.journal.Close() // it opens: run it below
	} else {
		if !strings.Contains(err.Error(), path) {
			t.Fatalf("the error does not name the journal: %v", err)
		}
		if !exists(cfg, "ro.eml") {
			t.Fatal("the queued file is gone")
		}
		return
	}
	r := start(t, cfg)
	drop(t, cfg, "ro2.eml", msg("a@example.net", "read-only journal 2"))
	srv.WaitMessages(t, 2, 60*time.Second)
	waitEmpty(t, cfg)
	r.stop()
	switch n := strings.Count(r.log.String(), "journal: cannot write"); n {
	case 1:
		if !strings.Contains(r.log.String(), "removing the file anyway") {
			t.Error("the log does not say a sent file was removed unrecorded")
		}
	case 0:
		// The read-only flag did not bite (an administrator, or wine
		// running as root): then the journal must hold both.
		t.Log("the journal could still be written; checking it recorded everything")
		recs, err := openJournal(t, cfg).Query(journal.Filter{Status: journal.StatusSent})
		if err != nil || len(recs) != 2 {
			t.Errorf("the journal logged no failure, yet holds %d sent records (%v)", len(recs), err)
		}
	default:
		t.Errorf("the journal's failure was logged %d times, want once", n)
	}
}

// TestEnvironment_JournalCorrupted: a journal database that is not one
// stops the gateway before it starts, with an error that names the file
// and says what to do; the file itself is left as it was.
func TestEnvironment_JournalCorrupted(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	if err := os.MkdirAll(cfg.Spool.Data, 0o770); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.Spool.Data, JournalFile)
	garbage := []byte(strings.Repeat("this is not an SQLite database\x00\xff", 200))
	if err := os.WriteFile(path, garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	drop(t, cfg, "waiting.eml", msg("a@example.net", "waiting"))
	_, err := New(cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("New accepted a corrupted journal")
	}
	for _, want := range []string{path, "not a usable SQLite database", "move the file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if b, _ := os.ReadFile(path); string(b) != string(garbage) {
		t.Error("the damaged journal was changed")
	}
	if !exists(cfg, "waiting.eml") || len(srv.Messages()) != 0 {
		t.Error("the queue was touched by a gateway that could not start")
	}
	// Moved aside as the error says, the gateway starts and relays.
	if err := os.Rename(path, path+".damaged"); err != nil {
		t.Fatal(err)
	}
	start(t, cfg)
	srv.WaitMessages(t, 1, 60*time.Second)
	waitEmpty(t, cfg)
}

// TestEnvironment_JournalLocked: another program holds the journal's write
// lock while the gateway runs. The gateway keeps relaying, says once that
// the journal is locked, and records again once the lock is gone.
func TestEnvironment_JournalLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	r := start(t, cfg)
	drop(t, cfg, "first.eml", msg("a@example.net", "first"))
	srv.WaitMessages(t, 1, 60*time.Second)
	waitEmpty(t, cfg)

	db, err := sql.Open("sqlite", filepath.Join(cfg.Spool.Data, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	locked := true
	defer func() {
		if locked {
			conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	for i := 0; i < 3; i++ {
		drop(t, cfg, fmt.Sprintf("locked%d.eml", i), msg("a@example.net", fmt.Sprintf("locked %d", i)))
	}
	// The relay goes on while the journal waits for the lock.
	srv.WaitMessages(t, 4, 60*time.Second)
	waitFor(t, "the lock is logged", func() bool { return strings.Contains(r.log.String(), "locked by another program") })
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	locked = false
	waitEmpty(t, cfg)
	drop(t, cfg, "after.eml", msg("a@example.net", "after the lock"))
	waitFor(t, "the journal records again", func() bool { return strings.Contains(r.log.String(), "works again") })
	srv.WaitMessages(t, 5, 60*time.Second)
	waitEmpty(t, cfg)
	r.stop()
	if n := strings.Count(r.log.String(), "journal: cannot write"); n != 1 {
		t.Errorf("the journal's failure was logged %d times, want once", n)
	}
	subj := bySubject(srv.Messages())
	for s, c := range subj {
		if c != 1 {
			t.Errorf("%q delivered %d times", s, c)
		}
	}
	if len(subj) != 5 {
		t.Errorf("deliveries %v", subj)
	}
	recs, _ := openJournal(t, cfg).Query(journal.Filter{File: "after.eml"})
	if len(recs) != 1 || recs[0].Status != journal.StatusSent {
		t.Errorf("the journal after the lock: %+v", recs)
	}
}
