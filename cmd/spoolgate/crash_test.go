package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// The crash test kills the real spoolgate with SIGKILL, again and again,
// while it relays a queue to a slow SMTP server in another process
// (bench/slowsink, which answers each DATA after a delay and logs every
// message it accepts before it replies 250). After the last restart it lets
// spoolgate finish and checks the delivery guarantee:
//
//   - nothing is lost: every message reached the relay at least once, and
//     the journal records each one as sent;
//   - nothing is left: the queue folder is empty (no file waiting, claimed,
//     deferred or .BAD);
//   - a message reaches the relay twice only because a kill landed after the
//     relay had taken it and before the journal committed the relay's
//     acceptance. After each kill the test compares the relay's log with
//     the journal (`spoolgate sent --json`, as recovery will read it): a
//     message the relay accepted in that run and the journal does not record
//     as sent is "caught" by the kill. Each caught message must be sent
//     again exactly once, and nothing else may be sent twice: for every
//     message, deliveries - 1 == the kills that caught it.
//
// Half the kills come at a random moment of a run; the other half come
// right after a 250: up to 0.6 ms after the test sees the relay log a
// message (inotify), aiming at the window between the relay's reply and
// the journal's commit. Each kill's line in the output says how long after
// the last 250 it landed and what it caught. The seed fixes the choices,
// not the timing, so two runs with one seed differ.
//
// CI runs the quick version (300 messages, 8 kills); bench/crash.sh runs
// the full one and prints the figures, through SPOOLGATE_CRASH (e.g.
// "messages=2000 kills=24 delay=20ms jitter=10ms min=50ms max=400ms seed=7").
func TestCrash_SIGKILLWhileRelaying(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the crash test kills spoolgate with SIGKILL, which Windows does not have; it runs on Linux and macOS")
	}
	set := crashSettingsFrom(t, os.Getenv("SPOOLGATE_CRASH"))
	rng := rand.New(rand.NewPCG(set.seed, 0))
	t.Logf("crash: settings %s (rerun with SPOOLGATE_CRASH=%q)", set, set.String())

	dir := spooltest.TempDir(t)
	sinkBin := filepath.Join(dir, "slowsink")
	if out, err := exec.Command("go", "build", "-o", sinkBin, "../../bench/slowsink").CombinedOutput(); err != nil {
		t.Fatalf("build bench/slowsink: %v\n%s", err, out)
	}
	port := freePort(t)
	sinkLogPath, sinkStatus := filepath.Join(dir, "sink.log"), filepath.Join(dir, "sink.status")
	sink := exec.Command(sinkBin, "-listen", fmt.Sprintf("127.0.0.1:%d", port), "-delay", set.delay.String(),
		"-jitter", set.jitter.String(), "-log", sinkLogPath, "-status", sinkStatus)
	sinkErr := &spooltest.Buffer{} // go-smtp logs every connection a kill resets
	sink.Stderr = sinkErr
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sink.Process.Kill()
		sink.Wait()
		if t.Failed() {
			t.Logf("the sink's log:\n%s", sinkErr.String())
		}
	})
	spooltest.WaitFor(t, "the slow SMTP sink listens", func() bool { _, err := os.Stat(sinkStatus); return err == nil })

	queue := filepath.Join(dir, "queue")
	if err := os.MkdirAll(queue, 0o755); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, set.messages)
	for i := range ids {
		ids[i] = fmt.Sprintf("crash-%05d.%d@example.org", i, set.seed)
		if err := os.WriteFile(filepath.Join(queue, fmt.Sprintf("m%05d.eml", i)), crashMessage(i, ids[i]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder      = queue
data        = data
batch       = 0
settle      = 0s
interval    = 1m
retry_delay = 1s
retry_max   = 1s

[smtp]
host        = 127.0.0.1
port        = %d
security    = none
connections = %d

[message]
from = library@example.org
`, port, set.connections))

	logs := &spooltest.Buffer{} // every run's stderr, shown when the test fails
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("spoolgate's logs, all runs:\n%s", logs.String())
		}
	})
	sl := &sinkLog{path: sinkLogPath, count: map[string]int{}}
	// One watcher for the whole test: closing one can take milliseconds,
	// longer than the window a kill right after a 250 aims at.
	w, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Add(sinkLogPath); err != nil {
		t.Fatal(err)
	}
	var kills []killReport
	caughtBy := map[string]int{} // message id -> kills that caught it

	for round := range set.kills {
		fmt.Fprintf(logs, "--- run %d\n", round+1)
		sl.round = round
		p := startCrashRun(t, cfg, logs)
		k := killReport{round: round + 1, timed: round%2 == 0}
		if k.timed {
			// A random moment: during start-up, recovery or sending.
			k.after = set.minRun + time.Duration(rng.Int64N(int64(set.maxRun-set.minRun)))
			select {
			case <-time.After(k.after):
			case err := <-p.done:
				t.Fatalf("run %d: spoolgate exited by itself: %v", round+1, err)
			}
		} else {
			// Right after the relay logs (and so answers 250 to) the
			// n-th message of this run.
			n := 1 + rng.IntN(30)
			k.offset = time.Duration(rng.Int64N(int64(600 * time.Microsecond)))
			k.after = p.waitForDeliveries(t, sl, w, n, len(ids))
			spin(k.offset)
			if d := sl.deliveries[round]; len(d) > 0 {
				k.aim = time.Duration(time.Now().UnixNano() - d[len(d)-1].at)
			}
		}
		k.at = time.Now().UnixNano()
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.done
		// Wait until the sink is done with the dead client's connection:
		// it may still accept the message whose DATA was in flight.
		spooltest.WaitFor(t, "the sink closed the killed run's connection", func() bool {
			open, at := readSinkStatus(sinkStatus)
			return at > k.at && open == 0
		})
		if err := sl.read(); err != nil {
			t.Fatal(err)
		}
		journal := journalStatuses(t, cfg)
		for _, d := range sl.deliveries[round] {
			k.delivered++
			if d.at <= k.at {
				k.since = time.Duration(k.at - d.at)
			}
			if journal[d.id]["sent"] {
				continue
			}
			// The relay has it and the journal does not say so: recovery
			// will send it again.
			caughtBy[d.id]++
			k.caught = append(k.caught, d.id)
			switch {
			case d.at > k.at:
				k.unanswered++ // the relay accepted it after the kill
			default:
				k.answered++ // the 250 was sent before the kill
			}
			if !journal[d.id]["attempted"] && !journal[d.id]["deferred"] {
				k.attemptNotDurable++
			}
		}
		kills = append(kills, k)
		t.Logf("crash: %s", k)
		if k.unanswered > set.connections {
			t.Errorf("run %d: the relay accepted %d messages after the kill; with connections = %d at most one in flight on each can be",
				k.round, k.unanswered, set.connections)
		}
	}

	// The last run: let it finish.
	fmt.Fprintf(logs, "--- run %d (to the end)\n", set.kills+1)
	sl.round = set.kills
	p := startCrashRun(t, cfg, logs)
	deadline := 2*time.Minute + time.Duration(set.messages)*(set.delay+set.jitter+50*time.Millisecond)
	// A file leaves the folder only after the relay's 250 (logged before
	// it) and the journal's commit: once the folder is empty, the relay's
	// log is complete.
	waitUntil(t, deadline, "the queue folder is empty", func() (bool, string) {
		select {
		case err := <-p.done:
			t.Fatalf("the last run exited by itself: %v", err)
		default:
		}
		if err := sl.read(); err != nil {
			t.Fatal(err)
		}
		ents := dirNames(queue) // but the running instance's lock
		return len(ents) == 0, fmt.Sprintf("%d of %d messages received, %d files in the queue folder", len(sl.count), len(ids), len(ents))
	})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("the last run's exit after SIGTERM: %v, want 0", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("spoolgate did not stop within 60 s of SIGTERM")
	}
	if err := sl.read(); err != nil {
		t.Fatal(err)
	}

	// Nothing lost, nothing left.
	var lost []string
	for _, id := range ids {
		if sl.count[id] == 0 {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d messages never reached the relay: %v", len(lost), lost)
	}
	if len(sl.count) != len(ids) {
		t.Errorf("the relay received %d distinct Message-IDs, want %d", len(sl.count), len(ids))
	}
	left, err := os.ReadDir(queue)
	if ents := left; err != nil || len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the queue folder must be empty at the end (nothing waiting, claimed, deferred or .BAD): %v %v", names, err)
	}
	journal := journalStatuses(t, cfg)
	notSent, stale := 0, 0
	for _, id := range ids {
		if len(journal[id]) > 1 {
			stale++ // an older record, under the key the file had before a crash put it back
		}
		if !journal[id]["sent"] {
			notSent++
			if notSent <= 10 {
				t.Errorf("the journal does not record %s as sent: %v", id, journal[id])
			}
		}
	}

	// A kill is no reason for an error at the next start.
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("spoolgate logged an error: %s", strings.TrimSpace(line))
		}
	}

	// Duplicates: each one explained by a kill that caught the message,
	// and each caught message sent again exactly once.
	duplicates, twice, answered, unanswered, most := 0, 0, 0, 0, 0
	var timedDup, afterDup, timedKills, afterKills, notDurable int
	for _, k := range kills {
		answered += k.answered
		unanswered += k.unanswered
		notDurable += k.attemptNotDurable
		most = max(most, len(k.caught))
		if k.timed {
			timedKills++
			timedDup += len(k.caught)
		} else {
			afterKills++
			afterDup += len(k.caught)
		}
	}
	for _, id := range ids {
		n := sl.count[id]
		if n > 1 {
			duplicates += n - 1
			twice++
		}
		if n > 0 && n-1 != caughtBy[id] {
			t.Errorf("%s reached the relay %d times, but kills caught it (accepted, not yet journalled as sent) %d times: "+
				"a message may be sent again only after such a kill, and must be then", id, n, caughtBy[id])
		}
	}
	// The gateway waits for the journal once 32 accepted messages are not
	// yet recorded (gateway.maxUnrecorded), so one kill can cause at most
	// those plus one message in flight on each connection (and, as each
	// worker checks the bound before it claims, up to one more accepted
	// message for each connection beyond the first).
	if bound := 32 + 2*set.connections - 1; most > bound {
		t.Errorf("one kill caused %d duplicates; with %d connections the gateway bounds it to %d", most, set.connections, bound)
	}
	t.Logf("crash: %d messages, %d kills (%d at random moments, %d right after a 250), sink delay %s+%s",
		len(ids), len(kills), timedKills, afterKills, set.delay, set.jitter)
	t.Logf("crash: %d deliveries, %d duplicates (%d messages sent more than once), %.2f duplicates per kill; lost %d of %d, left in the queue %d",
		sl.lines, duplicates, twice, float64(duplicates)/float64(max(len(kills), 1)), len(lost), len(ids), len(left))
	t.Logf("crash: duplicates by kill: %d from %d random kills, %d from %d kills right after a 250; at most %d from one kill",
		timedDup, timedKills, afterDup, afterKills, most)
	t.Logf("crash: duplicates by moment: %d killed after the relay's 250 and before the journal commit, %d killed while the relay held the whole message and had not answered yet (%d of them with the attempt itself not yet durable)",
		answered, unanswered, notDurable)
	t.Logf("crash: the journal shows %d sent messages with a second, older record that is not \"sent\" (a file put back in the queue under a new key)", stale)
}

// crashSettings are one crash run's sizes and timings.
type crashSettings struct {
	messages, kills int
	connections     int           // spoolgate's [smtp] connections
	delay, jitter   time.Duration // the sink's wait before answering DATA
	minRun, maxRun  time.Duration // how long a run lives before a random kill
	seed            uint64
}

func (s crashSettings) String() string {
	return fmt.Sprintf("messages=%d kills=%d connections=%d delay=%s jitter=%s min=%s max=%s seed=%d",
		s.messages, s.kills, s.connections, s.delay, s.jitter, s.minRun, s.maxRun, s.seed)
}

// crashSettingsFrom reads "key=value ..." over the quick defaults CI uses.
func crashSettingsFrom(t *testing.T, env string) crashSettings {
	t.Helper()
	s := crashSettings{messages: 300, kills: 8, connections: 1, delay: 5 * time.Millisecond, jitter: 2 * time.Millisecond,
		minRun: 30 * time.Millisecond, maxRun: 250 * time.Millisecond, seed: rand.Uint64() % 1e6}
	for _, kv := range strings.Fields(env) {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "messages":
			s.messages, err = strconv.Atoi(v)
		case "kills":
			s.kills, err = strconv.Atoi(v)
		case "connections":
			s.connections, err = strconv.Atoi(v)
		case "delay":
			s.delay, err = time.ParseDuration(v)
		case "jitter":
			s.jitter, err = time.ParseDuration(v)
		case "min":
			s.minRun, err = time.ParseDuration(v)
		case "max":
			s.maxRun, err = time.ParseDuration(v)
		case "seed":
			s.seed, err = strconv.ParseUint(v, 10, 64)
		default:
			err = errors.New("unknown setting")
		}
		if err != nil {
			t.Fatalf("SPOOLGATE_CRASH: %q: %v (want messages= kills= connections= delay= jitter= min= max= seed=)", kv, err)
		}
	}
	if s.messages < 1 || s.kills < 1 || s.connections < 1 || s.delay < 0 || s.jitter < 0 || s.minRun <= 0 || s.maxRun <= s.minRun {
		t.Fatalf("SPOOLGATE_CRASH: %s: want messages, kills, connections >= 1, delay, jitter >= 0 and 0 < min < max", s)
	}
	return s
}

// crashMessage is a notice of about 1.5 KB with its own Message-ID.
func crashMessage(i int, id string) []byte {
	body := strings.Repeat("The following item is due back soon. Please return or renew it.\r\n", 20)
	return fmt.Appendf(nil, "From: Example Library <library@example.org>\r\nTo: patron%d@example.net\r\n"+
		"Subject: Due soon: item %d\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\nMessage-ID: <%s>\r\n\r\nDear patron,\r\n\r\n%s", i, i, id, body)
}

// crashRun is one run of the real binary.
type crashRun struct {
	cmd     *exec.Cmd
	done    chan error
	started time.Time
}

func startCrashRun(t *testing.T, cfg string, logs io.Writer) *crashRun {
	t.Helper()
	p := &crashRun{cmd: exec.Command(binary, "run", "--config", cfg), done: make(chan error, 1)}
	p.cmd.Stderr = logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.started = time.Now()
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

// waitForDeliveries waits until the relay has logged n messages in this
// run (or has every message: then there is nothing left to catch), woken by
// inotify as the log grows, and returns how long the run has lived.
func (p *crashRun) waitForDeliveries(t *testing.T, sl *sinkLog, w *fsnotify.Watcher, n, all int) time.Duration {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		if err := sl.read(); err != nil {
			t.Fatal(err)
		}
		if len(sl.deliveries[sl.round]) >= n || len(sl.count) >= all {
			return time.Since(p.started)
		}
		select {
		case <-w.Events:
		case err := <-w.Errors:
			t.Fatalf("watch the sink's log: %v", err)
		case <-time.After(50 * time.Millisecond): // in case an event is missed
		case err := <-p.done:
			t.Fatalf("run %d: spoolgate exited by itself: %v", sl.round+1, err)
		case <-deadline:
			t.Fatalf("run %d: the relay logged %d messages in 2 minutes, want %d", sl.round+1, len(sl.deliveries[sl.round]), n)
		}
	}
}

// spin waits d precisely; time.Sleep can oversleep by a millisecond, the
// width of the window the kill aims at.
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

// sinkLog reads the slow sink's log as it grows.
type sinkLog struct {
	path       string
	off        int64
	partial    []byte
	round      int                // the run new lines belong to
	count      map[string]int     // deliveries per Message-ID
	deliveries map[int][]delivery // by run
	lines      int
}

type delivery struct {
	id string
	at int64 // Unix nanoseconds, when the sink logged it (just before its 250)
}

func (l *sinkLog) read() error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, l.off, 1<<40))
	if err != nil {
		return err
	}
	l.off += int64(len(b))
	b = append(l.partial, b...)
	end := bytes.LastIndexByte(b, '\n') + 1
	l.partial = slices.Clone(b[end:])
	if l.deliveries == nil {
		l.deliveries = map[int][]delivery{}
	}
	sc := bufio.NewScanner(bytes.NewReader(b[:end]))
	for sc.Scan() {
		id, at, ok := strings.Cut(sc.Text(), "\t")
		ns, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil {
			return fmt.Errorf("sink log: bad line %q", sc.Text())
		}
		l.count[id]++
		l.lines++
		l.deliveries[l.round] = append(l.deliveries[l.round], delivery{id: id, at: ns})
	}
	return nil
}

// readSinkStatus reads the sink's status line: its open connections and
// when the line was written.
func readSinkStatus(path string) (open, at int64) {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1, 0
	}
	var accepted int64
	if _, err := fmt.Sscan(string(b), &accepted, &open, &at); err != nil {
		return -1, 0
	}
	return open, at
}

// journalStatuses is what the journal says, through `spoolgate sent
// --json`: for each Message-ID, the statuses of its records (a file put
// back in the queue after a crash gets a new key and a second record).
func journalStatuses(t *testing.T, cfg string) map[string]map[string]bool {
	t.Helper()
	cmd := exec.Command(binary, "sent", "--config", cfg, "--json", "--since", "24h")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "no journal yet") {
			return map[string]map[string]bool{}
		}
		t.Fatalf("spoolgate sent --json: %v\n%s", err, stderr.String())
	}
	st := map[string]map[string]bool{}
	for line := range strings.Lines(string(out)) {
		var r struct {
			MessageID string `json:"message_id"`
			Status    string `json:"status"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("sent --json line %q: %v", line, err)
		}
		if st[r.MessageID] == nil {
			st[r.MessageID] = map[string]bool{}
		}
		st[r.MessageID][r.Status] = true
	}
	return st
}

// killReport is what one kill caught.
type killReport struct {
	round             int
	timed             bool          // a random moment, not right after a 250
	after             time.Duration // how long the run lived
	offset            time.Duration // for a kill after a 250: how long after the sink logged it
	at                int64         // Unix nanoseconds
	since             time.Duration // from the last 250 before the kill to the kill
	aim               time.Duration // for a kill after a 250: from the 250 it reacted to
	delivered         int           // messages the relay accepted in this run
	caught            []string      // ... of which the journal did not record as sent
	answered          int           // caught after the relay's 250
	unanswered        int           // caught while the relay held the message, before its 250
	attemptNotDurable int           // caught with not even the attempt in the journal
}

func (k killReport) String() string {
	how := fmt.Sprintf("at a random moment, %s after start", k.after.Round(time.Millisecond))
	if !k.timed {
		how = fmt.Sprintf("%s after a 250 it saw, %s after start", k.aim.Round(10*time.Microsecond), k.after.Round(time.Millisecond))
	}
	since := "none"
	if k.delivered > 0 {
		since = k.since.Round(10 * time.Microsecond).String()
	}
	return fmt.Sprintf("kill %d %s (last 250 %s before): %d delivered in the run, %d caught (%d answered, not journalled; %d held by the relay, unanswered) %v",
		k.round, how, since, k.delivered, len(k.caught), k.answered, k.unanswered, k.caught)
}

// waitUntil polls cond for up to timeout and fails with cond's last
// progress note.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, note := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s: %s", timeout, what, note)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
