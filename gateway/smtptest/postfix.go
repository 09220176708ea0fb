package smtptest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RealServersEnv names the environment variable that turns a skip into a
// failure: with SPOOLGATE_REAL_SERVERS=1 (as CI sets it), a test that
// needs a real server (StartPostfix) fails when the server can't be
// started, instead of skipping.
const RealServersEnv = "SPOOLGATE_REAL_SERVERS"

// Where Debian's postfix package puts Postfix.
const (
	postfixCommand   = "/usr/sbin/postfix"
	postfixDaemons   = "/usr/lib/postfix/sbin"
	postfixStartWait = 60 * time.Second
	postfixStopWait  = 30 * time.Second
)

// PostfixOptions configures StartPostfix. The zero value is Postfix's
// defaults, SMTPUTF8 offered, in front of a next hop without SMTPUTF8.
type PostfixOptions struct {
	// Access is the check_recipient_access map: an address (or a domain)
	// and the action for it, as access(5) reads it: "OK", "REJECT"
	// (554 5.7.1), "DEFER" (450 4.7.1), or a reply of your own, e.g.
	// "550 5.1.1 User unknown" or "450 4.2.0 Try again later". Postfix
	// puts "<address>: Recipient address rejected: " before the text.
	Access map[string]string
	// NoSMTPUTF8 sets smtputf8_enable = no: Postfix then does not offer
	// SMTPUTF8. By default it does, as a stock Postfix does.
	NoSMTPUTF8 bool
	// NextHopSMTPUTF8 makes the next hop (Sink) offer SMTPUTF8. By default
	// it does not, as Dovecot's LMTP and older Exchange servers don't, so
	// Postfix bounces a message that asked for SMTPUTF8 and needs it.
	NextHopSMTPUTF8 bool
	// MessageSizeLimit is message_size_limit in bytes (Postfix offers it
	// as SIZE); 0 keeps Postfix's default, 10240000.
	MessageSizeLimit int64
	// Main holds more main.cf parameters, written after the harness's.
	Main map[string]string
}

// Postfix is a private Postfix instance, from Debian's package, started by
// StartPostfix for one test. It listens on 127.0.0.1 on a free port,
// accepts mail from 127.0.0.1 for any domain (checking recipients against
// PostfixOptions.Access), and relays all it accepts, bounces included, to
// Sink, an in-process Server. Its log is a file the test can read.
//
// Its methods are safe for concurrent use.
type Postfix struct {
	// Dir is the instance's folder: etc/ (main.cf, master.cf, access),
	// queue/, data/ and the log, maillog. It is kept when the test fails.
	Dir string
	// Sink is the next hop: every message Postfix delivers, and every
	// bounce it sends (from the null sender), arrives here.
	Sink *Server

	tb      testing.TB
	etc     string
	port    int
	cmd     *exec.Cmd
	done    chan struct{} // closed when the foreground master has exited
	mu      sync.Mutex    // guards out
	out     bytes.Buffer  // what `postfix start-fg` printed
	rmu     sync.Mutex    // one reload at a time
	reloads int           // guarded by rmu
}

// StartPostfix starts a private Postfix and stops it (postfix stop, then
// any process of the instance still running is killed) when the test
// ends. It needs Linux, root (Postfix starts as root and runs its daemons
// as the user postfix) and Debian's postfix package (apt-get install
// postfix; debconf "No configuration" sets up no system instance, which
// is not needed). Without them the test is skipped, or fails when
// SPOOLGATE_REAL_SERVERS=1.
func StartPostfix(tb testing.TB, opts PostfixOptions) *Postfix {
	tb.Helper()
	if why := postfixMissing(); why != "" {
		unavailable(tb, "a private Postfix can't be started: "+why)
	}
	sink := NewServer(tb, WithSMTPUTF8(opts.NextHopSMTPUTF8))
	dir := postfixDir(tb)
	p := &Postfix{Dir: dir, Sink: sink, tb: tb, etc: filepath.Join(dir, "etc"), done: make(chan struct{})}
	for _, sub := range []string{"etc", "queue", "data"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			tb.Fatalf("smtptest: %v", err)
		}
	}
	pf, err := user.Lookup("postfix")
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	uid, _ := strconv.Atoi(pf.Uid)
	gid, _ := strconv.Atoi(pf.Gid)
	// postlogd, running as postfix, writes the log.
	if err := os.WriteFile(filepath.Join(dir, "maillog"), nil, 0o644); err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	for _, path := range []string{filepath.Join(dir, "data"), filepath.Join(dir, "maillog")} {
		if err := os.Chown(path, uid, gid); err != nil {
			tb.Fatalf("smtptest: %v", err)
		}
	}
	p.writeAccess(tb, opts.Access)

	// A port that was free a moment ago may be taken by the time the
	// master binds it; then it exits at once, and another port is tried.
	for attempt := 1; ; attempt++ {
		p.port = freePort(tb)
		if err := p.writeConfig(opts, sink.Port()); err != nil {
			tb.Fatalf("smtptest: %v", err)
		}
		err := p.start(tb)
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "in use") {
			tb.Fatalf("smtptest: start Postfix: %v\n%s", err, p.logTail(40))
		}
		p.done = make(chan struct{})
	}
	tb.Cleanup(p.stop)
	return p
}

// unavailable skips the test, or fails it when RealServersEnv is set.
func unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv(RealServersEnv) == "1" && runtime.GOOS == "linux" {
		tb.Fatalf("smtptest: %s (%s=1 asks for real servers)", why, RealServersEnv)
	}
	tb.Skipf("smtptest: %s; set %s=1 to make this a failure", why, RealServersEnv)
}

// postfixMissing says why a private Postfix can't run here, or "".
func postfixMissing() string {
	if runtime.GOOS != "linux" {
		return "Postfix runs on Linux only"
	}
	if os.Geteuid() != 0 {
		return "this needs root (Postfix starts as root and runs its daemons as the user postfix)"
	}
	for _, f := range []string{postfixCommand, filepath.Join(postfixDaemons, "master"), filepath.Join(postfixDaemons, "smtpd")} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Sprintf("%s is missing; install Debian's postfix package "+
				"(echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections; "+
				"DEBIAN_FRONTEND=noninteractive apt-get install -y postfix)", f)
		}
	}
	if _, err := user.Lookup("postfix"); err != nil {
		return "there is no user postfix (the postfix package creates it)"
	}
	return ""
}

// postfixDir makes the instance's folder: short (Postfix's sockets live
// under it, and a socket path has at most 107 bytes), readable by the user
// postfix, and kept when the test fails.
func postfixDir(tb testing.TB) string {
	dir, err := os.MkdirTemp("", "spoolgate-postfix-")
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("smtptest: kept the Postfix folder %s", dir)
			return
		}
		if err := os.RemoveAll(dir); err != nil {
			tb.Errorf("smtptest: remove the Postfix folder: %v", err)
		}
	})
	return dir
}

func freePort(tb testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// postfixMaster is master.cf: smtpd on 127.0.0.1:PORT, and the services a
// relaying Postfix needs (Debian's master.cf without local delivery,
// chroot or the pipes), with postlogd for the log file.
const postfixMaster = `127.0.0.1:%d inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

func (p *Postfix) writeConfig(opts PostfixOptions, sinkPort int) error {
	main := [][2]string{
		{"compatibility_level", "3.6"},
		{"queue_directory", filepath.Join(p.Dir, "queue")},
		{"data_directory", filepath.Join(p.Dir, "data")},
		{"command_directory", "/usr/sbin"},
		{"daemon_directory", postfixDaemons},
		{"meta_directory", "/etc/postfix"},
		{"shlib_directory", "/usr/lib/postfix"},
		{"mail_owner", "postfix"},
		{"setgid_group", "postdrop"},
		{"myhostname", "postfix.smtptest.localhost"},
		{"mydomain", "smtptest.localhost"},
		{"myorigin", "$myhostname"},
		{"mydestination", ""},
		{"local_transport", "error:local delivery is disabled"},
		{"alias_maps", ""},
		{"alias_database", ""},
		{"biff", "no"},
		{"inet_interfaces", "127.0.0.1"},
		{"inet_protocols", "ipv4"},
		{"mynetworks", "127.0.0.0/8"},
		{"relayhost", fmt.Sprintf("[127.0.0.1]:%d", sinkPort)},
		{"smtp_tls_security_level", "none"},
		{"smtpd_tls_security_level", "none"},
		{"smtpd_recipient_restrictions", "check_recipient_access texthash:" + filepath.Join(p.etc, "access")},
		{"smtputf8_enable", map[bool]string{false: "yes", true: "no"}[opts.NoSMTPUTF8]},
		{"in_flow_delay", "0"},
		{"queue_run_delay", "1s"},
		{"minimal_backoff_time", "1s"},
		{"maximal_backoff_time", "2s"},
		{"maillog_file_prefixes", p.Dir},
		{"maillog_file", filepath.Join(p.Dir, "maillog")},
	}
	if opts.MessageSizeLimit > 0 {
		main = append(main, [2]string{"message_size_limit", strconv.FormatInt(opts.MessageSizeLimit, 10)})
	}
	keys := make([]string, 0, len(opts.Main))
	for k := range opts.Main {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		main = append(main, [2]string{k, opts.Main[k]})
	}
	var b strings.Builder
	for _, kv := range main {
		fmt.Fprintf(&b, "%s = %s\n", kv[0], kv[1])
	}
	if err := os.WriteFile(filepath.Join(p.etc, "main.cf"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(p.etc, "master.cf"), fmt.Appendf(nil, postfixMaster, p.port), 0o644)
}

// writeAccess writes the access map, replacing the file in one rename.
func (p *Postfix) writeAccess(tb testing.TB, access map[string]string) {
	tb.Helper()
	keys := make([]string, 0, len(access))
	for k := range access {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		if strings.ContainsAny(k, " \t\r\n") || strings.ContainsAny(access[k], "\r\n") {
			tb.Fatalf("smtptest: access map entry %q = %q: no spaces in the address, no line breaks", k, access[k])
		}
		fmt.Fprintf(&b, "%s %s\n", k, access[k])
	}
	path := filepath.Join(p.etc, "access")
	if err := os.WriteFile(path+".new", []byte(b.String()), 0o644); err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
}

// start runs `postfix check` (which makes the queue's folders) and then
// `postfix start-fg`, whose master stays a child of this process, so that
// every process of the instance is reaped when it stops. It returns once
// the master logs that it has started.
func (p *Postfix) start(tb testing.TB) error {
	check := exec.Command(postfixCommand, "-c", p.etc, "check")
	if out, err := check.CombinedOutput(); err != nil {
		return fmt.Errorf("postfix -c %s check: %v: %s", p.etc, err, out)
	}
	// Skip the same checks (slow, they walk /usr/lib/postfix) at start.
	if err := os.WriteFile(filepath.Join(p.Dir, "queue", "quick-start"), nil, 0o644); err != nil {
		return err
	}
	before := p.count("postfix/master[", "daemon started")
	p.cmd = exec.Command(postfixCommand, "-c", p.etc, "start-fg")
	p.cmd.Stdout = lockedWriter{p}
	p.cmd.Stderr = lockedWriter{p}
	if err := p.cmd.Start(); err != nil {
		return err
	}
	done := p.done
	go func() {
		p.cmd.Wait()
		close(done)
	}()
	deadline := time.Now().Add(postfixStartWait)
	for p.count("postfix/master[", "daemon started") == before {
		select {
		case <-done:
			return fmt.Errorf("the master stopped: %s%s", p.output(), p.grep("fatal"))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.kill()
			return fmt.Errorf("the master did not start within %v: %s", postfixStartWait, p.output())
		}
	}
	return nil
}

// stop stops the instance, kills what is left of it, and fails the test
// if a process of it survives.
func (p *Postfix) stop() {
	tb := p.tb
	if tb.Failed() {
		tb.Logf("smtptest: the end of Postfix's log:\n%s", p.logTail(60))
	}
	out, err := exec.Command(postfixCommand, "-c", p.etc, "stop").CombinedOutput()
	select {
	case <-p.done:
	case <-time.After(postfixStopWait):
		tb.Errorf("smtptest: Postfix did not stop within %v (postfix stop: %v %s); killing it", postfixStopWait, err, out)
		p.kill()
		select {
		case <-p.done:
		case <-time.After(postfixStopWait):
			tb.Errorf("smtptest: the postfix start-fg process did not end")
		}
	}
	// The master's children end on their own soon after it.
	deadline := time.Now().Add(postfixStopWait)
	for {
		left := instanceProcesses(p.etc)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range left {
				if proc, err := os.FindProcess(pid); err == nil {
					proc.Kill()
				}
			}
			tb.Errorf("smtptest: Postfix processes %v were still running %v after postfix stop; killed", left, postfixStopWait)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill kills the foreground master's process and every process of the
// instance.
func (p *Postfix) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Kill()
	}
	for _, pid := range instanceProcesses(p.etc) {
		if proc, err := os.FindProcess(pid); err == nil {
			proc.Kill()
		}
	}
}

// instanceProcesses lists the live processes of the instance whose config
// is etc: Postfix passes MAIL_CONFIG to every daemon it starts.
func instanceProcesses(etc string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := []byte("MAIL_CONFIG=" + etc + "\x00")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, env...), append([]byte{0}, want...)) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

type lockedWriter struct{ p *Postfix }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.out.Write(b)
}

func (p *Postfix) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Host is "127.0.0.1".
func (p *Postfix) Host() string { return "127.0.0.1" }

// Port is the port Postfix's smtpd listens on.
func (p *Postfix) Port() int { return p.port }

// Addr is "127.0.0.1:port".
func (p *Postfix) Addr() string { return net.JoinHostPort(p.Host(), strconv.Itoa(p.port)) }

// SetAccess replaces the access map with access (see PostfixOptions) and
// reloads Postfix. A connection open from before keeps the old map: Postfix's
// smtpd reads it when it starts, and finishes its session after a reload.
func (p *Postfix) SetAccess(tb testing.TB, access map[string]string) {
	tb.Helper()
	p.writeAccess(tb, access)
	p.Reload(tb)
}

// Reload runs `postfix reload` and waits until the master has reloaded.
func (p *Postfix) Reload(tb testing.TB) {
	tb.Helper()
	p.rmu.Lock()
	defer p.rmu.Unlock()
	p.reloads++
	if out, err := exec.Command(postfixCommand, "-c", p.etc, "reload").CombinedOutput(); err != nil {
		tb.Fatalf("smtptest: postfix reload: %v: %s", err, out)
	}
	deadline := time.Now().Add(postfixStartWait)
	for p.count("postfix/master[", "reload -- version") < p.reloads {
		if time.Now().After(deadline) {
			tb.Fatalf("smtptest: Postfix did not reload within %v", postfixStartWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Log returns Postfix's log so far.
func (p *Postfix) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "maillog"))
	return string(b)
}

// WaitLog waits up to timeout for a line of the log that holds every one
// of parts, and returns it; it fails the test on time-out.
func (p *Postfix) WaitLog(tb testing.TB, timeout time.Duration, parts ...string) string {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if lines := p.lines(parts...); len(lines) > 0 {
			return lines[0]
		}
		if time.Now().After(deadline) {
			tb.Fatalf("smtptest: no line with %q in Postfix's log after %v:\n%s", parts, timeout, p.logTail(40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Sessions returns what Postfix's smtpd logged at the end of each client
// session so far, oldest first: the command counts, e.g. "ehlo=1 mail=2
// rcpt=2 data=2 quit=1 commands=8". A session counts once it has ended.
func (p *Postfix) Sessions() []string {
	var out []string
	for _, l := range p.lines("/smtpd[", ": disconnect from ") {
		_, counts, _ := strings.Cut(l, "]: disconnect from ")
		if _, c, ok := strings.Cut(counts, " "); ok {
			out = append(out, c)
		}
	}
	return out
}

// WaitSessions waits up to timeout until n client sessions have ended and
// returns them (see Sessions); it fails the test on time-out.
func (p *Postfix) WaitSessions(tb testing.TB, n int, timeout time.Duration) []string {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := p.Sessions()
		if len(s) >= n {
			return s
		}
		if time.Now().After(deadline) {
			tb.Fatalf("smtptest: %d Postfix session(s) ended after %v, want %d:\n%s", len(s), timeout, n, p.logTail(40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var statusLine = regexp.MustCompile(`, status=(\w+) (.*)$`)

// WaitStatus waits up to timeout until Postfix has logged what became of
// the message queueID (as in "250 2.0.0 Ok: queued as queueID") for the
// recipient rcpt, and returns the status (sent, bounced, deferred,
// expired) and the rest of the line, e.g. "(250 2.0.0 OK: queued)". It
// fails the test on time-out.
func (p *Postfix) WaitStatus(tb testing.TB, queueID, rcpt string, timeout time.Duration) (status, detail string) {
	tb.Helper()
	if queueID == "" {
		tb.Fatalf("smtptest: WaitStatus: no queue id")
	}
	l := p.WaitLog(tb, timeout, " "+queueID+": to=<"+rcpt+">", ", status=")
	m := statusLine.FindStringSubmatch(l)
	if m == nil {
		tb.Fatalf("smtptest: cannot read the status in %q", l)
	}
	return m[1], m[2]
}

// count counts the log's lines that hold every one of parts.
func (p *Postfix) count(parts ...string) int { return len(p.lines(parts...)) }

// lines returns the log's lines that hold every one of parts.
func (p *Postfix) lines(parts ...string) []string { return logLines(p.Log(), parts...) }

func (p *Postfix) grep(part string) string { return logGrep(p.Log(), part) }

// logTail is the end of the log, n lines at most.
func (p *Postfix) logTail(n int) string { return logTail(p.Log(), n) }
