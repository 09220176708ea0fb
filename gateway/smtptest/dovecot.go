package smtptest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Where Debian's dovecot-core and dovecot-submissiond packages put Dovecot.
const (
	dovecotCommand   = "/usr/sbin/dovecot"
	dovecotLibexec   = "/usr/lib/dovecot"
	dovecotStartWait = 30 * time.Second
	dovecotStopWait  = 15 * time.Second
)

// DovecotHost is the address a private Dovecot listens on: 127.0.0.2, not
// 127.0.0.1. Dovecot treats a connection whose remote address equals its
// local address as secured, as if it were TLS, and then offers and
// accepts AUTH in the clear even with ssl = required. A client on this
// machine that dials 127.0.0.2 comes from 127.0.0.1 (Linux routes all of
// 127.0.0.0/8 to the loopback device and picks 127.0.0.1 as the source),
// so Dovecot sees two different addresses and asks for TLS first, as a
// real submission server does.
const DovecotHost = "127.0.0.2"

// DovecotOptions configures StartDovecot.
type DovecotOptions struct {
	// Issuer is the only issuer (the iss claim) Dovecot accepts. When it
	// is "", Dovecot does not check iss at all.
	Issuer string
	// Key is the HS256 key Dovecot checks a token's signature with. When
	// it is nil, StartDovecot makes a random 32-byte key (Dovecot.Key).
	Key []byte
	// SinkAddr is the relay Dovecot hands each accepted message to, as
	// "host:port", speaking plain SMTP. When it is "", StartDovecot starts
	// a Server of its own (Dovecot.Sink).
	SinkAddr string
	// Settings holds more dovecot.conf settings, written after the
	// harness's (a later setting wins), e.g. "auth_failure_delay": "2s".
	Settings map[string]string
}

// Dovecot is a private Dovecot 2.3 submission server, from Debian's
// packages, started by StartDovecot for one test. It listens on
// DovecotHost on a free port, offers STARTTLS with a certificate from its
// own CA (CAFile, CAPool), and offers and accepts AUTH only after
// STARTTLS, and only XOAUTH2 and OAUTHBEARER. It checks each bearer token
// itself, as a JWT signed with HS256 (Dovecot's passdb oauth2 with
// introspection_mode = local):
//
//   - the signature, with Key;
//   - exp (required, and not passed), nbf and iat (not in the future);
//   - iss, against Issuer when Issuer is set;
//   - sub, which must be present;
//   - email (username_attribute), which must equal the SASL user name.
//     A token without email is not refused but fails as an internal
//     error: "454 4.7.0 Temporary authentication failure. [host:time]".
//
// Dovecot looks the key up as keys/<azp>/HS256/<kid> under Dir, with
// "default" for a token without an azp claim or a kid header. The
// harness writes only keys/default/HS256/default, so a token with azp or
// kid is refused ("HS256 key ... not found" in the log). Dovecot
// keeps a key it has read in memory until it stops.
//
// A good token gets "235 2.7.0 Logged in.". A refused one gets a 334
// reply with the base64 of a JSON error report, for XOAUTH2
// {"status":"401","schemes":"bearer","scope":"mail"} and for OAUTHBEARER
// {"status":"invalid_token"}, and once the client has answered it (an
// empty line for XOAUTH2, "AQ==" for OAUTHBEARER) "535 5.7.8
// Authentication failed.", whatever the cause. Only the log (Log) says
// why, for example "oauth2 failed: Local validation failed: Token has
// expired". Before STARTTLS, AUTH is not offered, and answered with
// "530 5.7.0 TLS required.".
//
// Once logged in, a client's MAIL, RCPT and DATA go through to the relay
// (SinkAddr, or Sink) and the relay's replies come back; Dovecot adds a
// Received line "by dovecot.smtptest.localhost with ESMTPSA".
//
// Unlike a production Dovecot, a refused login is answered within about
// half a second (Dovecot sends refusals on a 500 ms tick): the harness
// sets auth_failure_delay = 0 (the default is 2 s) and turns off the
// penalty that grows with each failure from one address.
//
// Its methods are safe for concurrent use.
type Dovecot struct {
	// Dir is the instance's folder: dovecot.conf, oauth2.conf, keys/, the
	// certificate, run/ (base_dir) and the log, dovecot.log. It is under
	// /tmp with a short name (Dovecot's sockets live in run/, and a
	// socket path has at most 107 bytes), and it is kept when the test
	// fails.
	Dir string
	// Sink is the relay StartDovecot started, or nil when
	// DovecotOptions.SinkAddr was set.
	Sink *Server
	// Issuer and Key are the issuer and the HS256 key Dovecot checks
	// tokens with (Key as made when the options had none).
	Issuer string
	Key    []byte
	// CAFile is the PEM of the CA that signed Dovecot's certificate (for
	// "localhost", 127.0.0.1 and 127.0.0.2); CAPool holds the same CA.
	CAFile string
	CAPool *x509.CertPool

	tb       testing.TB
	instance string // instance_name, "dovecot-dc…": the prefix of every process title
	port     int
	cmd      *exec.Cmd
	done     chan struct{} // closed when the master has exited
	mu       sync.Mutex    // guards out and stopped
	out      bytes.Buffer  // what the master printed
	stopped  bool
}

// StartDovecot starts a private Dovecot and stops it when the test ends.
// It returns once Dovecot listens and has sent its greeting. It needs
// Linux and Debian's dovecot-core and dovecot-submissiond packages, which
// .ci/run installs; without them the test fails, on Linux whatever
// RealServersEnv says. On other systems (the Windows tests under wine) the
// test is skipped.
//
// It runs without root: Dovecot's internal and login processes, and the
// submission process, run as the user running the test. As root they run
// as the users dovecot and dovenull that Debian's package creates, since
// Dovecot refuses to run its login process as root.
func StartDovecot(tb testing.TB, opts DovecotOptions) *Dovecot {
	tb.Helper()
	if runtime.GOOS != "linux" {
		tb.Skipf("smtptest: a private Dovecot runs on Linux only")
	}
	if why := dovecotMissing(); why != "" {
		tb.Fatalf("smtptest: a private Dovecot can't be started: %s", why)
	}
	d := &Dovecot{tb: tb, Issuer: opts.Issuer, Key: opts.Key, done: make(chan struct{})}
	if d.Key == nil {
		d.Key = make([]byte, 32)
		rand.Read(d.Key)
	}
	sink := opts.SinkAddr
	if sink == "" {
		d.Sink = NewServer(tb)
		sink = d.Sink.Addr()
	}
	sinkHost, sinkPort, err := net.SplitHostPort(sink)
	if err != nil {
		tb.Fatalf("smtptest: DovecotOptions.SinkAddr %q: %v", sink, err)
	}
	d.Dir = dovecotDir(tb)
	d.instance = "dovecot-" + filepath.Base(d.Dir)
	ids, err := dovecotUsers()
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	if err := d.writeFiles(tb, ids); err != nil {
		tb.Fatalf("smtptest: %v", err)
	}

	// A port that was free a moment ago may be taken by the time the
	// master binds it; then it exits at once, and another port is tried.
	for attempt := 1; ; attempt++ {
		d.port = freePortOn(tb, DovecotHost)
		if err := d.writeConfig(opts, ids, sinkHost, sinkPort); err != nil {
			tb.Fatalf("smtptest: %v", err)
		}
		err := d.start()
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "in use") {
			tb.Fatalf("smtptest: start Dovecot: %v\n%s", err, d.logTail(40))
		}
		d.done = make(chan struct{})
		d.mu.Lock()
		d.out.Reset()
		d.mu.Unlock()
	}
	tb.Cleanup(d.Stop)
	return d
}

// dovecotMissing says why a private Dovecot can't run here, or "".
func dovecotMissing() string {
	for _, f := range []string{dovecotCommand, filepath.Join(dovecotLibexec, "submission"), filepath.Join(dovecotLibexec, "submission-login")} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Sprintf("%s is missing; install Debian's dovecot-core and dovecot-submissiond packages "+
				"(apt-get install -y dovecot-core dovecot-submissiond; .ci/run installs them)", f)
		}
	}
	if os.Geteuid() == 0 {
		for _, name := range []string{"dovecot", "dovenull"} {
			if _, err := user.Lookup(name); err != nil {
				return "there is no user " + name + " (the dovecot-core package creates it)"
			}
		}
	}
	return ""
}

// dovecotIDs are the users the instance runs as.
type dovecotIDs struct {
	internal, login string // default_internal_user, default_login_user
	group           string // default_internal_group
	uid, gid        int    // the mail user (userdb), which submission runs as
}

func dovecotUsers() (dovecotIDs, error) {
	if os.Geteuid() == 0 {
		u, err := user.Lookup("dovecot")
		if err != nil {
			return dovecotIDs{}, err
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			return dovecotIDs{}, err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return dovecotIDs{internal: "dovecot", login: "dovenull", group: g.Name, uid: uid, gid: gid}, nil
	}
	u, err := user.Current()
	if err != nil {
		return dovecotIDs{}, err
	}
	g, err := user.LookupGroupId(strconv.Itoa(os.Getegid()))
	if err != nil {
		return dovecotIDs{}, err
	}
	return dovecotIDs{internal: u.Username, login: u.Username, group: g.Name, uid: os.Geteuid(), gid: os.Getegid()}, nil
}

// dovecotDir makes the instance's folder: short (see Dovecot.Dir),
// readable by Dovecot's users, and kept when the test fails.
func dovecotDir(tb testing.TB) string {
	dir, err := os.MkdirTemp("/tmp", "dc")
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("smtptest: kept the Dovecot folder %s", dir)
			return
		}
		if err := os.RemoveAll(dir); err != nil {
			tb.Errorf("smtptest: remove the Dovecot folder: %v", err)
		}
	})
	return dir
}

func freePortOn(tb testing.TB, host string) int {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		tb.Fatalf("smtptest: listen on %s: %v", host, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// writeFiles writes what does not change between attempts: the CA and the
// server certificate, the key, and the folders.
func (d *Dovecot) writeFiles(tb testing.TB, ids dovecotIDs) error {
	tb.Helper()
	caPEM, certPEM, keyPEM, pool := dovecotCerts(tb)
	d.CAPool = pool
	d.CAFile = filepath.Join(d.Dir, "ca.pem")
	keyDir := filepath.Join("keys", "default", "HS256")
	for _, sub := range []string{"run", "state", keyDir} {
		if err := os.MkdirAll(filepath.Join(d.Dir, sub), 0o755); err != nil {
			return err
		}
	}
	// The mail user owns its home and mail folders (submission needs a
	// mail storage set, though it never writes to it).
	for _, sub := range []string{"home", "mail"} {
		path := filepath.Join(d.Dir, sub)
		if err := os.Mkdir(path, 0o755); err != nil {
			return err
		}
		if err := os.Chown(path, ids.uid, ids.gid); err != nil {
			return err
		}
	}
	// The key is the base64 (standard, padded) of its bytes: Dovecot
	// 2.3.19 decodes it. With the raw bytes in the file, every token
	// fails with "Incorrect JWT signature".
	files := []struct {
		name string
		data []byte
	}{
		{"ca.pem", caPEM},
		{"cert.pem", certPEM},
		{"key.pem", keyPEM}, // read by the master, which runs as the test's user
		{filepath.Join(keyDir, "default"), []byte(base64.StdEncoding.EncodeToString(d.Key))},
	}
	for _, f := range files {
		mode := os.FileMode(0o644)
		if f.name == "key.pem" {
			mode = 0o600
		}
		if err := os.WriteFile(filepath.Join(d.Dir, f.name), f.data, mode); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(d.Dir, "dovecot.log"), nil, 0o644)
}

// dovecotCerts makes a CA and a server certificate it signed (NewTLSCerts:
// for "localhost", 127.0.0.1 and DovecotHost, valid for a day), and
// returns them and the server key as PEM.
func dovecotCerts(tb testing.TB) (caPEM, certPEM, keyPEM []byte, pool *x509.CertPool) {
	tb.Helper()
	c := NewTLSCerts(tb)
	certPEM, keyPEM = c.ServerPEM(tb)
	return c.CAPEM, certPEM, keyPEM, c.CAPool
}

// dovecotConf is dovecot.conf. The %[n] verbs are filled in by
// writeConfig; the settings from DovecotOptions.Settings follow it.
const dovecotConf = `# A private Dovecot for one test (gateway/smtptest, StartDovecot).
instance_name = %[1]s
base_dir = %[2]s/run
state_dir = %[2]s/state
log_path = %[2]s/dovecot.log
info_log_path = %[2]s/dovecot.log
debug_log_path = %[2]s/dovecot.log

protocols = submission
listen = %[3]s
hostname = dovecot.smtptest.localhost

default_internal_user = %[4]s
default_internal_group = %[5]s
default_login_user = %[6]s
first_valid_uid = %[7]d
first_valid_gid = %[8]d
mail_location = maildir:%[2]s/mail/%%n

ssl = required
ssl_cert = <%[2]s/cert.pem
ssl_key = <%[2]s/key.pem

auth_mechanisms = xoauth2 oauthbearer
auth_verbose = yes
auth_failure_delay = 0

passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = %[2]s/oauth2.conf
}
userdb {
  driver = static
  args = uid=%[7]d gid=%[8]d home=%[2]s/home/%%n
}

submission_relay_host = %[9]s
submission_relay_port = %[10]s
submission_relay_trusted = yes

service submission-login {
  chroot =
  inet_listener submission {
    address = %[3]s
    port = %[11]d
  }
}
service anvil {
  chroot =
  # No penalty for failed logins (the delay that grows with each failure).
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-urlauth-login {
  chroot =
}
`

// oauth2Conf is the passdb's oauth2.conf.
const oauth2Conf = `introspection_mode = local
local_validation_key_dict = fs:posix:prefix=%[1]s/keys/
username_attribute = email
%[2]s`

func (d *Dovecot) writeConfig(opts DovecotOptions, ids dovecotIDs, sinkHost, sinkPort string) error {
	for _, s := range []string{d.Issuer, ids.internal, ids.login, ids.group, sinkHost, sinkPort} {
		if strings.ContainsAny(s, " \t\r\n\"'{}<%$#") {
			return fmt.Errorf("%q can't go into dovecot.conf as it is", s)
		}
	}
	issuers := ""
	if d.Issuer != "" {
		issuers = "issuers = " + d.Issuer + "\n"
	}
	if err := os.WriteFile(filepath.Join(d.Dir, "oauth2.conf"), fmt.Appendf(nil, oauth2Conf, d.Dir, issuers), 0o644); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, dovecotConf, d.instance, d.Dir, DovecotHost, ids.internal, ids.group, ids.login,
		ids.uid, ids.gid, sinkHost, sinkPort, d.port)
	keys := make([]string, 0, len(opts.Settings))
	for k := range opts.Settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if strings.ContainsAny(k+opts.Settings[k], "\r\n") {
			return fmt.Errorf("dovecot.conf setting %q = %q: no line breaks", k, opts.Settings[k])
		}
		fmt.Fprintf(&b, "%s = %s\n", k, opts.Settings[k])
	}
	return os.WriteFile(filepath.Join(d.Dir, "dovecot.conf"), []byte(b.String()), 0o644)
}

// start runs `dovecot -F`, whose master stays a child of this process,
// and waits until the submission port answers with a greeting.
func (d *Dovecot) start() error {
	d.cmd = exec.Command(dovecotCommand, "-F", "-c", filepath.Join(d.Dir, "dovecot.conf"))
	d.cmd.Stdout = dovecotWriter{d}
	d.cmd.Stderr = dovecotWriter{d}
	if err := d.cmd.Start(); err != nil {
		return err
	}
	cmd, done := d.cmd, d.done
	go func() {
		cmd.Wait()
		close(done)
	}()
	deadline := time.Now().Add(dovecotStartWait)
	for {
		select {
		case <-done:
			return fmt.Errorf("the master stopped: %s%s", d.output(), d.grep("Fatal"))
		default:
		}
		err := d.greeting()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			d.kill()
			return fmt.Errorf("Dovecot did not answer within %v (%v): %s", dovecotStartWait, err, d.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// greeting dials the submission port and reads the greeting.
func (d *Dovecot) greeting() error {
	conn, err := net.DialTimeout("tcp", d.Addr(), time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "220 ") {
		return fmt.Errorf("greeting %q", strings.TrimSpace(line))
	}
	conn.Write([]byte("QUIT\r\n"))
	return nil
}

// Stop stops the instance (SIGTERM to the master, which stops its
// processes), kills what is left of it, and fails the test if a process
// of it survives. It runs when the test ends; it may be called before,
// to take the server away, and more than once.
func (d *Dovecot) Stop() {
	d.mu.Lock()
	stopped := d.stopped
	d.stopped = true
	d.mu.Unlock()
	if stopped {
		return
	}
	tb := d.tb
	if tb.Failed() {
		tb.Logf("smtptest: the end of Dovecot's log:\n%s", d.logTail(60))
	}
	if d.cmd != nil && d.cmd.Process != nil {
		d.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-d.done:
	case <-time.After(dovecotStopWait):
		tb.Errorf("smtptest: Dovecot did not stop within %v; killing it", dovecotStopWait)
		d.kill()
		<-d.done
	}
	deadline := time.Now().Add(dovecotStopWait)
	for {
		left := d.processes()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			d.kill()
			tb.Errorf("smtptest: Dovecot processes %v were still running %v after the master stopped; killed", left, dovecotStopWait)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill kills the master and every process of the instance.
func (d *Dovecot) kill() {
	if d.cmd != nil && d.cmd.Process != nil {
		d.cmd.Process.Kill()
	}
	for _, pid := range d.processes() {
		if proc, err := os.FindProcess(pid); err == nil {
			proc.Kill()
		}
	}
}

// processes lists the live processes of the instance: Dovecot titles each
// process it starts "<instance_name>/<service>" (an instance_name that
// does not start with "dovecot" gets "dovecot-" put before it).
func (d *Dovecot) processes() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	prefix := []byte(d.instance + "/")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.HasPrefix(cmdline, prefix) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

type dovecotWriter struct{ d *Dovecot }

func (w dovecotWriter) Write(b []byte) (int, error) {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	return w.d.out.Write(b)
}

func (d *Dovecot) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.String()
}

// Host is DovecotHost, "127.0.0.2".
func (d *Dovecot) Host() string { return DovecotHost }

// Port is the submission port (STARTTLS).
func (d *Dovecot) Port() int { return d.port }

// Addr is "127.0.0.2:port".
func (d *Dovecot) Addr() string { return net.JoinHostPort(DovecotHost, strconv.Itoa(d.port)) }

// TLSConfig is a client configuration that trusts only Dovecot's CA, for
// the server name DovecotHost (the certificate also holds "localhost"
// and 127.0.0.1).
func (d *Dovecot) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: d.CAPool, ServerName: DovecotHost, MinVersion: tls.VersionTLS12}
}

// Log returns Dovecot's log so far.
func (d *Dovecot) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.Dir, "dovecot.log"))
	return string(b)
}

// WaitLog waits up to timeout for a line of the log that holds every one
// of parts, and returns it; it fails the test on time-out.
func (d *Dovecot) WaitLog(tb testing.TB, timeout time.Duration, parts ...string) string {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if l := d.lines(parts...); len(l) > 0 {
			return l[0]
		}
		if time.Now().After(deadline) {
			tb.Fatalf("smtptest: no line with %q in Dovecot's log after %v:\n%s", parts, timeout, d.logTail(40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lines returns the log's lines that hold every one of parts.
func (d *Dovecot) lines(parts ...string) []string { return logLines(d.Log(), parts...) }

func (d *Dovecot) grep(part string) string { return logGrep(d.Log(), part) }

// logTail is the end of the log, n lines at most.
func (d *Dovecot) logTail(n int) string { return logTail(d.Log(), n) }
