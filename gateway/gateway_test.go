package gateway

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

func TestRun_RelaysDroppedFiles(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	r := start(t, cfg)
	for i := 0; i < 3; i++ {
		drop(t, cfg, fmt.Sprintf("n%d.tmp", i), msg(fmt.Sprintf("p%d@example.net", i), fmt.Sprintf("notice %d", i)))
	}
	got := srv.WaitMessages(t, 3, 60*time.Second)
	waitFor(t, "the queue is empty", func() bool { return len(files(t, cfg.Spool.Folder)) == 0 })
	for _, m := range got {
		if m.From != "library@example.org" || len(m.To) != 1 || !bytes.Contains(m.Data, []byte("\r\n.dot line\r\n")) {
			t.Errorf("received %+v", m)
		}
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	recs, err := openJournal(t, cfg).Query(journal.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("journal has %d records, want 3", len(recs))
	}
	for _, rec := range recs {
		if rec.Status != journal.StatusSent || !strings.HasPrefix(rec.Reply, "250") || rec.MessageID == "" || rec.Subject == "" {
			t.Errorf("journal record %+v", rec)
		}
	}
	if len(srv.Messages()) != 3 {
		t.Fatalf("sent %d messages, want exactly 3", len(srv.Messages()))
	}
}

func TestRun_PermanentRefusalGoesBad(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageRcpt,
		smtptest.Refuse(550, [3]int{5, 1, 1}, "<nobody@example.net>: Recipient address rejected: User unknown"))))
	cfg := testConfig(t, srv)
	start(t, cfg)
	drop(t, cfg, "abc.tmp", msg("nobody@example.net", "refused"))
	waitFor(t, "abc.BAD and its reason exist", func() bool {
		_, e1 := os.Stat(filepath.Join(cfg.Spool.Folder, "abc.BAD"))
		_, e2 := os.Stat(filepath.Join(cfg.Spool.Folder, "abc.BAD.txt"))
		return e1 == nil && e2 == nil
	})
	reason, _ := os.ReadFile(filepath.Join(cfg.Spool.Folder, "abc.BAD.txt"))
	for _, want := range []string{"550", "User unknown", "does not exist", "abc.tmp", "smtp (" + srv.Addr() + ")"} {
		if !strings.Contains(string(reason), want) {
			t.Errorf("reason lacks %q:\n%s", want, reason)
		}
	}
	bad, _ := os.ReadFile(filepath.Join(cfg.Spool.Folder, "abc.BAD"))
	if !bytes.Equal(bad, msg("nobody@example.net", "refused")) {
		t.Error("the .BAD file must keep the original bytes")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
}

func TestRun_BadFileGoesBadWithReason(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.Spool.MaxSize = 10 << 10
	start(t, cfg)
	drop(t, cfg, "norcpt.eml", []byte("Subject: nobody\r\n\r\nbody\r\n"))
	drop(t, cfg, "big.eml", append(msg("a@example.net", "big"), bytes.Repeat([]byte("0123456789abcdef\r\n"), 1000)...))
	drop(t, cfg, "nulbytes.eml", []byte("To: a@example.net\r\n\r\nx\x00y\r\n"))
	for name, want := range map[string]string{"norcpt": "recipient", "big": "max_size", "nulbytes": "NUL"} {
		waitFor(t, name+".BAD.txt exists", func() bool {
			_, err := os.Stat(filepath.Join(cfg.Spool.Folder, name+".BAD.txt"))
			return err == nil
		})
		b, _ := os.ReadFile(filepath.Join(cfg.Spool.Folder, name+".BAD.txt"))
		if !strings.Contains(string(b), want) {
			t.Errorf("%s.BAD.txt lacks %q:\n%s", name, want, b)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
}

func TestRun_TemporaryFailureIsRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	var fails atomic.Int32
	fails.Store(2)
	srv := smtptest.NewServer(t, smtptest.WithFault(func(st smtptest.Stage, arg string) *smtptest.Reply {
		if st == smtptest.StageData && fails.Add(-1) >= 0 {
			return smtptest.Refuse(451, [3]int{4, 3, 0}, "try again later")
		}
		return nil
	}))
	cfg := testConfig(t, srv)
	r := start(t, cfg)
	drop(t, cfg, "t.tmp", msg("a@example.net", "retry me"))
	waitFor(t, "the file is deferred", func() bool { return hasSuffix(files(t, cfg.Spool.Folder), ".deferred") == 1 })
	srv.WaitMessages(t, 1, 60*time.Second)
	waitFor(t, "the queue is empty", func() bool { return len(files(t, cfg.Spool.Folder)) == 0 })
	r.stop()
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages delivered, want 1", n)
	}
	recs, _ := openJournal(t, cfg).Query(journal.Filter{})
	if len(recs) != 1 || recs[0].Status != journal.StatusSent || recs[0].Attempts != 3 {
		t.Fatalf("journal: %+v", recs)
	}
}

func TestRun_GivesUpAfterRetryFor(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageMail,
		smtptest.Refuse(421, [3]int{4, 7, 0}, "greylisted, come back later"))))
	cfg := testConfig(t, srv)
	cfg.Spool.RetryFor = 2 * time.Second
	start(t, cfg)
	drop(t, cfg, "late.tmp", msg("a@example.net", "late"))
	// Read until it can be read: on Windows a file being put in place
	// may refuse a reader for a moment.
	var b []byte
	waitFor(t, "late.BAD.txt with its reason", func() bool {
		var err error
		b, err = os.ReadFile(filepath.Join(cfg.Spool.Folder, "late.BAD.txt"))
		return err == nil && len(b) > 0
	})
	if !strings.Contains(string(b), "retry_for") || !strings.Contains(string(b), "greylisted") {
		t.Fatalf("reason:\n%s", b)
	}
}

func TestRun_PartialRecipients(t *testing.T) {
	var deferB atomic.Bool
	deferB.Store(true)
	srv := smtptest.NewServer(t, smtptest.WithFault(func(st smtptest.Stage, arg string) *smtptest.Reply {
		if st != smtptest.StageRcpt {
			return nil
		}
		switch {
		case arg == "gone@example.net":
			return smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user")
		case arg == "busy@example.net" && deferB.Load():
			return smtptest.Refuse(452, [3]int{4, 2, 2}, "mailbox busy")
		}
		return nil
	}))
	cfg := testConfig(t, srv)
	r := start(t, cfg)
	drop(t, cfg, "p.tmp", msg("ok@example.net, gone@example.net, busy@example.net", "partial"))
	first := srv.WaitMessages(t, 1, 60*time.Second)
	if fmt.Sprint(first[0].To) != "[ok@example.net]" {
		t.Fatalf("first delivery to %v", first[0].To)
	}
	waitFor(t, "the file is deferred", func() bool { return hasSuffix(files(t, cfg.Spool.Folder), ".deferred") == 1 })
	deferB.Store(false)
	all := srv.WaitMessages(t, 2, 60*time.Second)
	if fmt.Sprint(all[1].To) != "[busy@example.net]" {
		t.Fatalf("the retry must go only to the deferred recipient, went to %v", all[1].To)
	}
	waitFor(t, "the queue is empty", func() bool { return len(files(t, cfg.Spool.Folder)) == 0 })
	r.stop()
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("%d deliveries, want 2", n)
	}
	recs, _ := openJournal(t, cfg).Query(journal.Filter{Status: journal.StatusSent})
	if len(recs) != 1 {
		t.Fatalf("journal: %+v", recs)
	}
	j := openJournal(t, cfg)
	st, _ := j.State(recs[0].Key)
	if fmt.Sprint(st.Failed) != "[gone@example.net]" || len(st.Delivered) != 2 {
		t.Fatalf("state %+v", st)
	}
}

func TestRun_RateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.Spool.Batch, cfg.Spool.Interval = 3, 2*time.Second
	for i := 0; i < 8; i++ {
		drop(t, cfg, fmt.Sprintf("r%d.tmp", i), msg("a@example.net", fmt.Sprintf("rate %d", i)))
	}
	start(t, cfg)
	got := srv.WaitMessages(t, 8, 120*time.Second)
	// In any interval-long stretch, at most batch acceptances: message i
	// and message i+batch are at least one interval apart.
	for i := 0; i+3 < len(got); i++ {
		if gap := got[i+3].At.Sub(got[i].At); gap < cfg.Spool.Interval {
			t.Errorf("messages %d and %d only %v apart: more than 3 in %v", i, i+3, gap, cfg.Spool.Interval)
		}
	}
	// Oldest first.
	for i, m := range got {
		if !bytes.Contains(m.Data, []byte(fmt.Sprintf("Subject: rate %d\r\n", i))) {
			t.Errorf("message %d out of order", i)
		}
	}
}

func TestRun_UnreachableRenamesNothing(t *testing.T) {
	host, port := "127.0.0.1", smtptest.ClosedPort(t)
	cfg := testConfig(t, nil)
	cfg.SMTP = serverConfig("smtp", host, port)
	cfg.SMTP.Next = serverConfig("backup", host, port)
	r := start(t, cfg)
	drop(t, cfg, "wait.tmp", msg("a@example.net", "waiting"))
	waitFor(t, "the outage is logged", func() bool { return strings.Contains(r.log.String(), "relay unavailable: ") })
	if got := files(t, cfg.Spool.Folder); len(got) != 1 || got[0] != "wait.tmp" {
		t.Fatalf("queue = %v, want wait.tmp untouched", got)
	}
	if n := strings.Count(r.log.String(), "relay unavailable: "); n != 1 {
		t.Fatalf("logged %d times, want once per check", n)
	}
}

func TestRun_FailoverToNext(t *testing.T) {
	host, port := "127.0.0.1", smtptest.ClosedPort(t)
	backup := smtptest.NewServer(t)
	cfg := testConfig(t, nil)
	cfg.SMTP = serverConfig("smtp", host, port)
	cfg.SMTP.Next = serverConfig("backup", backup.Host(), backup.Port())
	start(t, cfg)
	drop(t, cfg, "f.tmp", msg("a@example.net", "failover"))
	backup.WaitMessages(t, 1, 60*time.Second)
	waitFor(t, "the queue is empty", func() bool { return len(files(t, cfg.Spool.Folder)) == 0 })
}

// A second gateway of the same instance (the service, and the same config
// run again in a console) refuses to run: it would take the first one's
// claimed files for a crashed run's and send them again. Another instance
// on the same folders runs beside it.
func TestRun_SecondGatewayOfOneInstanceRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	r := start(t, cfg)
	waitFor(t, "the first gateway runs", func() bool { return strings.Contains(r.log.String(), "spoolgate is relaying") })

	g, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = g.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "another spoolgate of instance test ([spool] instance, the host name by default) is already running") {
		t.Fatalf("the second gateway's Run: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the second gateway waited for the lock instead of refusing at once")
	}

	other := *cfg
	other.Spool.Instance = "other"
	start(t, &other)
	drop(t, cfg, "once.tmp", msg("a@example.net", "once"))
	srv.WaitMessages(t, 1, 60*time.Second)
	waitFor(t, "the queue is empty", func() bool { return len(files(t, cfg.Spool.Folder)) == 0 })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	// Once the first has stopped, the instance runs again.
	start(t, cfg)
	drop(t, cfg, "again.tmp", msg("a@example.net", "again"))
	srv.WaitMessages(t, 2, 60*time.Second)
	if got := bySubject(srv.Messages()); got["once"] != 1 || got["again"] != 1 {
		t.Errorf("sent %v, want each once", got)
	}
}
