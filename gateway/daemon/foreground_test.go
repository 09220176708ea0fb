package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestStopBound(t *testing.T) {
	chain := &config.Server{Name: "smtp", Timeout: 3 * time.Minute, Next: &config.Server{Timeout: 5 * time.Minute}}
	if got := StopBound(&config.Config{SMTP: chain, Servers: map[string]*config.Server{"smtp": chain}}); got != 5*time.Minute+10*time.Second {
		t.Errorf("relay chain: %v, want 5m10s", got)
	}
	// A unit's own chain counts too.
	slow := &config.Server{Name: "branch", Timeout: 10 * time.Minute, Next: chain}
	if got := StopBound(&config.Config{SMTP: chain, Servers: map[string]*config.Server{"smtp": chain, "branch": slow}}); got != 10*time.Minute+10*time.Second {
		t.Errorf("with [smtp.branch]: %v, want 10m10s", got)
	}
	if got := StopBound(&config.Config{Capture: "/outbox", Servers: map[string]*config.Server{}}); got != 10*time.Second {
		t.Errorf("capture: %v, want 10s", got)
	}
}

// site writes a config that relays to srv with the answer time-out
// timeout, drops one message in its queue folder (due.eml), and returns
// the config's path and the queue folder.
func site(t *testing.T, srv *smtptest.Server, timeout string) (cfgPath, queue string) {
	t.Helper()
	dir := spooltest.TempDir(t)
	cfgPath = filepath.Join(dir, "spoolgate.ini")
	ini := fmt.Sprintf("[spool]\nfolder = queue\ndata = data\nbatch = 0\nsettle = 0s\ninstance = test\n\n"+
		"[smtp]\nhost = %s\nport = %d\nsecurity = none\ntimeout = %s\n\n[message]\nfrom = library@example.org\n\n[log]\ndays = 7\n",
		srv.Host(), srv.Port(), timeout)
	if err := os.WriteFile(cfgPath, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	queue = filepath.Join(dir, "queue")
	if err := os.MkdirAll(queue, 0o770); err != nil {
		t.Fatal(err)
	}
	msg := "From: library@example.org\r\nTo: patron@example.net\r\nSubject: Your loan is due\r\n\r\nPlease return the book.\r\n"
	if err := spool.WriteFile(queue, "due.eml", []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, queue
}

// stallAtData is a server that never answers the message, and says when
// a message got there.
func stallAtData(t *testing.T) (*smtptest.Server, <-chan struct{}) {
	reached := make(chan struct{})
	var once sync.Once
	srv := smtptest.NewServer(t, smtptest.WithFault(func(stage smtptest.Stage, _ string) *smtptest.Reply {
		if stage == smtptest.StageData {
			once.Do(func() { close(reached) })
			return &smtptest.Reply{Stall: true}
		}
		return nil
	}))
	return srv, reached
}

func queueFiles(queue, suffix string) []string {
	ents, _ := os.ReadDir(queue)
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), suffix) {
			out = append(out, e.Name())
		}
	}
	return out
}

func waitReached(t *testing.T, reached <-chan struct{}) {
	t.Helper()
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		t.Fatal("the message did not reach DATA")
	}
}

// A stop while the relay sits on the message: the answer time-out (2 s)
// ends the attempt, well within the stop's bound (timeout + 10 s), and the
// message is deferred, not lost and not sent.
func TestForeground_StopWithMessageStuckInData(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv, reached := stallAtData(t)
	cfgPath, queue := site(t, srv, "2s")
	stderr := &spooltest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Foreground(ctx, cfgPath, stderr) }()
	waitReached(t, reached)

	began := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Foreground: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Foreground did not return after its context ended")
	}
	took := time.Since(began)
	t.Logf("stop with a message stuck in DATA (timeout 2s, bound 12s): returned after %v", took.Round(time.Millisecond))
	if took > 2*time.Second+10*time.Second+10*time.Second {
		t.Errorf("the stop took %v; the bound is timeout + 10 s = 12 s", took)
	}
	if got := queueFiles(queue, spool.SuffixDeferred); len(got) != 1 || !strings.HasPrefix(got[0], "due.eml.") {
		ents, _ := os.ReadDir(queue)
		t.Errorf("after the time-out the message must be deferred in the queue: %v", ents)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("the stalled relay got %d messages", n)
	}
}

// A stop that waits longer than its bound returns all the same, and
// leaves the message claimed in the queue folder, where the next start
// finds it. (The bound is 1 s here, against an answer time-out of 5 s.)
func TestForeground_StopIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv, reached := stallAtData(t)
	cfgPath, queue := site(t, srv, "5s")
	stderr := &spooltest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- foreground(ctx, cfgPath, stderr, func(*config.Config) time.Duration { return time.Second })
	}()
	waitReached(t, reached)

	began := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Foreground: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Foreground did not return after its context ended")
	}
	took := time.Since(began)
	t.Logf("stop bounded at 1 s, relay answer time-out 5 s: returned after %v", took.Round(time.Millisecond))
	if took > 4*time.Second {
		t.Errorf("the stop took %v, with a bound of 1 s", took)
	}
	if got := queueFiles(queue, spool.SuffixSending); len(got) != 1 || !strings.HasPrefix(got[0], "due.eml.") {
		t.Errorf("the message in flight must stay claimed in the queue folder: %v", got)
	}
	if !strings.Contains(stderr.String(), "stopping without waiting longer for the message in flight") {
		t.Errorf("the log must say that the stop gave up waiting:\n%s", stderr)
	}
	// The abandoned attempt ends at the answer time-out: deferred, not
	// lost. (Here only because the test process goes on; spoolgate exits.)
	spooltest.WaitFor(t, "the abandoned attempt to end with the message deferred", func() bool {
		return len(queueFiles(queue, spool.SuffixDeferred)) == 1
	})
	// The abandoned run then stops and closes its journal: wait for it,
	// so that the test folder can be removed (on Windows an open file
	// cannot be).
	spooltest.WaitFor(t, "the abandoned run to stop", func() bool { return strings.Contains(stderr.String(), "msg=stopped") })
	db := filepath.Join(filepath.Dir(queue), "data", "journal.db")
	spooltest.WaitFor(t, "the abandoned run to close its journal", func() bool {
		if os.Rename(db, db+".closed") != nil {
			return false
		}
		return os.Rename(db+".closed", db) == nil
	})
	spooltest.WaitFor(t, "the abandoned gateway to close the journal", func() bool {
		return strings.Contains(stderr.String(), "msg=stopped")
	})
}

func TestRunUntil(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	errRun := errors.New("cannot run")

	// Stopped by itself: its error, at once.
	ctx := context.Background()
	if err := runUntil(ctx, func(context.Context) error { return errRun }, time.Hour, log); err != errRun {
		t.Errorf("run failing by itself: %v", err)
	}

	// Stopped in time: its error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := runUntil(ctx, func(c context.Context) error { <-c.Done(); return errRun }, time.Hour, log); err != errRun {
		t.Errorf("run stopping in time: %v", err)
	}

	// Not stopping: given up after wait.
	hold := make(chan struct{})
	defer close(hold)
	began := time.Now()
	if err := runUntil(ctx, func(context.Context) error { <-hold; return errRun }, 200*time.Millisecond, log); err != nil {
		t.Errorf("run not stopping: %v, want nil", err)
	}
	if took := time.Since(began); took < 200*time.Millisecond || took > 10*time.Second {
		t.Errorf("gave up after %v, want 200 ms", took)
	}
}

// A queue file cannot put envelope parameters on the wire: a domain
// literal that smuggles them is a bad address when the file is read, and a
// quoted local part that would end the path is refused by the relay's path
// builder; both files are set aside with cause bad-address, the relay
// never sees either address, and the good message beside them is sent.
func TestForeground_HostileAddressesSetAside(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithTranscript())
	cfgPath, queue := site(t, srv, "10s")
	for name, rcpt := range map[string]string{
		"inject.eml": "x@[127.0.0.1> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;boss@corp.example]",
		"quoted.eml": `"x> NOTIFY=SUCCESS,DELAY"@example.org`,
	} {
		msg := "X-Receiver: " + rcpt + "\r\nSubject: Overdue\r\n\r\nPlease return the book.\r\n"
		if err := spool.WriteFile(queue, name, []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stderr := &spooltest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Foreground(ctx, cfgPath, stderr) }()

	srv.WaitMessages(t, 1, 60*time.Second) // due.eml
	spooltest.WaitFor(t, "both hostile files to be set aside", func() bool {
		return len(queueFiles(queue, spool.SuffixBad)) == 2
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Foreground: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Foreground did not return after its context ended")
	}

	for _, bad := range queueFiles(queue, spool.SuffixBad) {
		reason, err := os.ReadFile(filepath.Join(queue, bad+".txt"))
		if err != nil {
			t.Errorf("%s has no reason beside it: %v", bad, err)
			continue
		}
		if !strings.Contains(string(reason), "bad-address") {
			t.Errorf("%s.txt does not give the cause bad-address:\n%s", bad, reason)
		}
	}
	tr := srv.Transcript()
	for _, word := range []string{"NOTIFY", "ORCPT", "127.0.0.1", "x>"} {
		if strings.Contains(tr, word) {
			t.Errorf("%q reached the wire:\n%s", word, tr)
		}
	}
	if n := strings.Count(tr, "MAIL FROM:"); n != 1 {
		t.Errorf("%d transactions, want 1 (the good message):\n%s", n, tr)
	}
}
