package smtptest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// IMAPUser and IMAPPassword are the login of the one mailbox of a
// StartDovecotIMAP server.
const (
	IMAPUser     = "bounces"
	IMAPPassword = "a bounce mailbox password"
)

// IMAPServer is a private Dovecot 2.3 IMAP and LMTP server, from Debian's
// packages, started by StartDovecotIMAP for one test. It listens on
// DovecotHost (127.0.0.2, so that Dovecot asks for TLS before a login;
// see DovecotHost) on three free ports:
//
//   - IMAPS (implicit TLS), ImplicitPort;
//   - IMAP with STARTTLS, StartTLSPort: before STARTTLS it offers
//     LOGINDISABLED and no AUTH mechanism;
//   - LMTP, LMTPAddr, in plain text, where Postfix delivers.
//
// Its certificate is for "localhost", 127.0.0.1 and 127.0.0.2, signed by
// its own CA (CAFile, CAPool). It has one user, IMAPUser with
// IMAPPassword (a passwd-file passdb; AUTH=PLAIN and LOGIN), whose mail is
// a maildir, mail_location = maildir:~/Maildir, under Dir/home/bounces.
// LMTP takes mail for IMAPUser at any domain (bounces@library.example).
// A refused login is answered at once (auth_failure_delay = 0).
//
// Its methods Append and List speak IMAP over their own connection, not
// through the code under test.
type IMAPServer struct {
	// Dir is the instance's folder (under /tmp, short: Dovecot's sockets
	// live in Dir/run), kept when the test fails.
	Dir string
	// CAFile is the PEM of the CA that signed the certificate; CAPool
	// holds the same CA.
	CAFile string
	CAPool *x509.CertPool

	opts                       IMAPOptions
	d                          *Dovecot // the process, its log and its stop
	imapPort, imapsPort, lmtpP int
}

// IMAPOptions configures StartDovecotIMAP.
type IMAPOptions struct {
	// Key, when set, makes the server also take OAuth2 bearer tokens
	// (AUTH=XOAUTH2 and AUTH=OAUTHBEARER), checked as StartDovecot checks
	// them: a JWT signed with HS256 under Key, with sub and exp, and an
	// email claim equal to the SASL user name. Any user name whose local
	// part is IMAPUser (e.g. bounces@library.example) reaches the one
	// mailbox.
	Key []byte
	// Issuer is the only iss accepted, when set.
	Issuer string
}

// StartDovecotIMAP starts a private Dovecot IMAP and LMTP server and
// stops it when the test ends. It returns once both IMAP ports greet. It
// needs Linux and Debian's dovecot-core, dovecot-imapd and dovecot-lmtpd
// packages; without them the test is skipped, or fails when
// SPOOLGATE_REAL_SERVERS=1. Like StartDovecot, it runs without root, and
// as root runs its processes as the users dovecot and dovenull.
func StartDovecotIMAP(tb testing.TB, opts ...IMAPOptions) *IMAPServer {
	tb.Helper()
	var o IMAPOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if why := imapMissing(); why != "" {
		unavailable(tb, "a private Dovecot IMAP server can't be started: "+why)
	}
	dir := dovecotDir(tb)
	s := &IMAPServer{Dir: dir, opts: o}
	d := &Dovecot{tb: tb, Dir: dir, instance: "dovecot-" + filepath.Base(dir), done: make(chan struct{})}
	s.d = d
	ids, err := dovecotUsers()
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	if err := s.writeFiles(tb, ids); err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	for attempt := 1; ; attempt++ {
		s.imapPort = freePortOn(tb, DovecotHost)
		s.imapsPort = freePortOn(tb, DovecotHost)
		s.lmtpP = freePortOn(tb, DovecotHost)
		if err := s.writeConfig(ids); err != nil {
			tb.Fatalf("smtptest: %v", err)
		}
		err := s.start()
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "in use") {
			tb.Fatalf("smtptest: start Dovecot IMAP: %v\n%s", err, d.logTail(40))
		}
		d.done = make(chan struct{})
		d.mu.Lock()
		d.out.Reset()
		d.mu.Unlock()
	}
	tb.Cleanup(d.Stop)
	return s
}

// imapMissing says why a private Dovecot IMAP server can't run here, or "".
func imapMissing() string {
	if runtime.GOOS != "linux" {
		return "it runs on Linux only"
	}
	for _, f := range []string{dovecotCommand, filepath.Join(dovecotLibexec, "imap"), filepath.Join(dovecotLibexec, "imap-login"), filepath.Join(dovecotLibexec, "lmtp")} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Sprintf("%s is missing; install Debian's dovecot-core, dovecot-imapd and dovecot-lmtpd packages "+
				"(apt-get install -y --no-install-recommends dovecot-core dovecot-imapd dovecot-lmtpd; .ci/run installs them)", f)
		}
	}
	return dovecotMissingUsers()
}

// dovecotMissingUsers says which user Dovecot needs as root is missing, or "".
func dovecotMissingUsers() string {
	if os.Geteuid() != 0 {
		return ""
	}
	for _, name := range []string{"dovecot", "dovenull"} {
		if _, err := user.Lookup(name); err != nil {
			return "there is no user " + name + " (the dovecot-core package creates it)"
		}
	}
	return ""
}

func (s *IMAPServer) writeFiles(tb testing.TB, ids dovecotIDs) error {
	tb.Helper()
	caPEM, certPEM, keyPEM, pool := dovecotCerts(tb)
	s.CAPool = pool
	s.CAFile = filepath.Join(s.Dir, "ca.pem")
	for _, sub := range []string{"run", "state"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, sub), 0o755); err != nil {
			return err
		}
	}
	for _, sub := range []string{"home", filepath.Join("home", IMAPUser)} {
		path := filepath.Join(s.Dir, sub)
		if err := os.Mkdir(path, 0o700); err != nil {
			return err
		}
		if err := os.Chown(path, ids.uid, ids.gid); err != nil {
			return err
		}
	}
	files := []struct {
		name string
		data string
		mode os.FileMode
	}{
		{"ca.pem", string(caPEM), 0o644},
		{"cert.pem", string(certPEM), 0o644},
		{"key.pem", string(keyPEM), 0o600},
		// Read by the auth process, which runs as the internal user.
		{"passwd", IMAPUser + ":{PLAIN}" + IMAPPassword + "::::::\n", 0o644},
		{"dovecot.log", "", 0o644},
	}
	if s.opts.Key != nil {
		keyDir := filepath.Join(s.Dir, "keys", "default", "HS256")
		if err := os.MkdirAll(keyDir, 0o755); err != nil {
			return err
		}
		// base64, as Dovecot 2.3.19 reads it (see writeFiles of Dovecot).
		if err := os.WriteFile(filepath.Join(keyDir, "default"), []byte(base64.StdEncoding.EncodeToString(s.opts.Key)), 0o644); err != nil {
			return err
		}
		issuers := ""
		if s.opts.Issuer != "" {
			if strings.ContainsAny(s.opts.Issuer, " \t\r\n") {
				return fmt.Errorf("issuer %q: no spaces", s.opts.Issuer)
			}
			issuers = "issuers = " + s.opts.Issuer + "\n"
		}
		if err := os.WriteFile(filepath.Join(s.Dir, "oauth2.conf"), fmt.Appendf(nil, oauth2Conf, s.Dir, issuers), 0o644); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, f.name), []byte(f.data), f.mode); err != nil {
			return err
		}
	}
	return nil
}

// imapConf is the IMAP instance's dovecot.conf; writeConfig fills in the
// %[n] verbs.
const imapConf = `# A private Dovecot IMAP and LMTP server for one test (gateway/smtptest, StartDovecotIMAP).
instance_name = %[1]s
base_dir = %[2]s/run
state_dir = %[2]s/state
log_path = %[2]s/dovecot.log
info_log_path = %[2]s/dovecot.log
debug_log_path = %[2]s/dovecot.log

protocols = imap lmtp
listen = %[3]s
hostname = dovecot.smtptest.localhost
postmaster_address = postmaster@smtptest.localhost

default_internal_user = %[4]s
default_internal_group = %[5]s
default_login_user = %[6]s
first_valid_uid = %[7]d
first_valid_gid = %[8]d
mail_location = maildir:~/Maildir

ssl = required
ssl_cert = <%[2]s/cert.pem
ssl_key = <%[2]s/key.pem

auth_mechanisms = plain login%[12]s
auth_verbose = yes
auth_failure_delay = 0

passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN %[2]s/passwd
}
%[13]s
# The home is by the local part (%%n): LMTP's recipient
# bounces@library.example and the login bounces share one mailbox.
userdb {
  driver = static
  args = uid=%[7]d gid=%[8]d home=%[2]s/home/%%n allow_all_users=yes
}

service imap-login {
  chroot =
  inet_listener imap {
    address = %[3]s
    port = %[9]d
  }
  inet_listener imaps {
    address = %[3]s
    port = %[10]d
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0
  }
  inet_listener lmtp {
    address = %[3]s
    port = %[11]d
  }
}
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-urlauth-login {
  chroot =
}
protocol lmtp {
  lmtp_save_to_detail_mailbox = no
}
`

func (s *IMAPServer) writeConfig(ids dovecotIDs) error {
	for _, v := range []string{ids.internal, ids.login, ids.group} {
		if strings.ContainsAny(v, " \t\r\n\"'{}<%$#") {
			return fmt.Errorf("%q can't go into dovecot.conf as it is", v)
		}
	}
	mechs, passdb := "", ""
	if s.opts.Key != nil {
		mechs = " xoauth2 oauthbearer"
		passdb = "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = " + s.Dir + "/oauth2.conf\n}\n"
	}
	conf := fmt.Sprintf(imapConf, s.d.instance, s.Dir, DovecotHost, ids.internal, ids.group, ids.login,
		ids.uid, ids.gid, s.imapPort, s.imapsPort, s.lmtpP, mechs, passdb)
	return os.WriteFile(filepath.Join(s.Dir, "dovecot.conf"), []byte(conf), 0o644)
}

// start runs `dovecot -F` and waits until both IMAP ports greet.
func (s *IMAPServer) start() error {
	d := s.d
	d.cmd = exec.Command(dovecotCommand, "-F", "-c", filepath.Join(s.Dir, "dovecot.conf"))
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
		err := s.greet(false)
		if err == nil {
			err = s.greet(true)
		}
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

func (s *IMAPServer) greet(implicit bool) error {
	c, err := s.dial(implicit)
	if err != nil {
		return err
	}
	c.conn.Close()
	return nil
}

// Host is DovecotHost, "127.0.0.2".
func (s *IMAPServer) Host() string { return DovecotHost }

// ImplicitPort is the IMAPS port (implicit TLS).
func (s *IMAPServer) ImplicitPort() int { return s.imapsPort }

// StartTLSPort is the plain IMAP port, where a login needs STARTTLS first.
func (s *IMAPServer) StartTLSPort() int { return s.imapPort }

// LMTPPort is the LMTP port, plain text.
func (s *IMAPServer) LMTPPort() int { return s.lmtpP }

// LMTPAddr is "127.0.0.2:port" of LMTP.
func (s *IMAPServer) LMTPAddr() string { return net.JoinHostPort(DovecotHost, strconv.Itoa(s.lmtpP)) }

// TLSConfig is a client configuration that trusts only the server's CA.
func (s *IMAPServer) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CAPool, ServerName: DovecotHost, MinVersion: tls.VersionTLS12}
}

// Log returns Dovecot's log so far.
func (s *IMAPServer) Log() string { return s.d.Log() }

// WaitLog waits up to timeout for a line of the log that holds every one
// of parts, and returns it; it fails the test on time-out.
func (s *IMAPServer) WaitLog(tb testing.TB, timeout time.Duration, parts ...string) string {
	tb.Helper()
	return s.d.WaitLog(tb, timeout, parts...)
}

// Stop stops the server before the test ends (it stops anyway then).
func (s *IMAPServer) Stop() { s.d.Stop() }

// IMAPMessage is one message of a folder, as List reads it.
type IMAPMessage struct {
	UID   uint32
	Flags []string // e.g. `\Seen`
	Raw   []byte
}

// Seen reports whether the message has the flag \Seen.
func (m IMAPMessage) Seen() bool {
	for _, f := range m.Flags {
		if strings.EqualFold(f, `\Seen`) {
			return true
		}
	}
	return false
}

// Append appends raw to folder (a path with "/" between levels, see
// IMAPDelimiter; created when missing) with flags (e.g.
// `\Seen`; none for a new message) and returns its UID. It fails the test
// on an error.
func (s *IMAPServer) Append(tb testing.TB, folder string, raw []byte, flags ...string) uint32 {
	tb.Helper()
	c := s.login(tb)
	defer c.close()
	cmd := fmt.Sprintf("APPEND %s (%s) {%d}", imapFolder(folder), strings.Join(flags, " "), len(raw))
	resp, err := c.appendCmd(cmd, raw)
	if err != nil && strings.Contains(err.Error(), "TRYCREATE") {
		if _, err := c.cmd("CREATE " + imapFolder(folder)); err != nil {
			tb.Fatalf("smtptest: IMAP CREATE %s: %v", folder, err)
		}
		resp, err = c.appendCmd(cmd, raw)
	}
	if err != nil {
		tb.Fatalf("smtptest: IMAP APPEND to %s: %v", folder, err)
	}
	m := regexp.MustCompile(`\[APPENDUID \d+ (\d+)\]`).FindStringSubmatch(resp)
	if m == nil {
		tb.Fatalf("smtptest: IMAP APPEND: no APPENDUID in %q", resp)
	}
	uid, _ := strconv.ParseUint(m[1], 10, 32)
	return uint32(uid)
}

// List returns the messages of folder (a path with "/" between levels)
// in UID order, with their flags and
// text, read with BODY.PEEK[] (so that List marks nothing \Seen); a
// folder that does not exist has none. It fails the test on an error.
func (s *IMAPServer) List(tb testing.TB, folder string) []IMAPMessage {
	tb.Helper()
	c := s.login(tb)
	defer c.close()
	if _, err := c.cmd("EXAMINE " + imapFolder(folder)); err != nil {
		if strings.Contains(err.Error(), "NONEXISTENT") || strings.Contains(err.Error(), "doesn't exist") {
			return nil
		}
		tb.Fatalf("smtptest: IMAP EXAMINE %s: %v", folder, err)
	}
	untagged, err := c.cmd("UID FETCH 1:* (UID FLAGS BODY.PEEK[])")
	if err != nil {
		tb.Fatalf("smtptest: IMAP FETCH in %s: %v", folder, err)
	}
	uidRE := regexp.MustCompile(`\bUID (\d+)`)
	flagsRE := regexp.MustCompile(`\bFLAGS \(([^)]*)\)`)
	var out []IMAPMessage
	for _, u := range untagged {
		if !strings.Contains(u.line, " FETCH (") {
			continue
		}
		m := IMAPMessage{}
		if x := uidRE.FindStringSubmatch(u.line); x != nil {
			n, _ := strconv.ParseUint(x[1], 10, 32)
			m.UID = uint32(n)
		}
		if x := flagsRE.FindStringSubmatch(u.line); x != nil {
			m.Flags = strings.Fields(x[1])
		}
		if len(u.literals) > 0 {
			m.Raw = u.literals[0]
		}
		out = append(out, m)
	}
	return out
}

// WaitList waits up to timeout until folder holds at least n messages and
// returns them; it fails the test on time-out.
func (s *IMAPServer) WaitList(tb testing.TB, folder string, n int, timeout time.Duration) []IMAPMessage {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		l := s.List(tb, folder)
		if len(l) >= n {
			return l
		}
		if time.Now().After(deadline) {
			tb.Fatalf("smtptest: %d message(s) in %s after %v, want %d\n%s", len(l), folder, timeout, n, s.d.logTail(30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// imapConn is the harness's own small IMAP client: one command at a
// time, every untagged response with its literals.
type imapConn struct {
	conn net.Conn
	r    *bufio.Reader
	tag  int
}

type imapUntagged struct {
	line     string // the response, each literal as {n}
	literals [][]byte
}

func (s *IMAPServer) dial(implicit bool) (*imapConn, error) {
	addr := net.JoinHostPort(DovecotHost, strconv.Itoa(s.imapPort))
	if implicit {
		addr = net.JoinHostPort(DovecotHost, strconv.Itoa(s.imapsPort))
	}
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	if implicit {
		tc := tls.Client(nc, s.TLSConfig())
		if err := tc.Handshake(); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	c := &imapConn{conn: nc, r: bufio.NewReader(nc)}
	line, err := c.r.ReadString('\n')
	if err != nil {
		nc.Close()
		return nil, err
	}
	if !strings.HasPrefix(line, "* OK") {
		nc.Close()
		return nil, fmt.Errorf("greeting %q", strings.TrimSpace(line))
	}
	return c, nil
}

// login connects over IMAPS and logs in as IMAPUser.
func (s *IMAPServer) login(tb testing.TB) *imapConn {
	tb.Helper()
	c, err := s.dial(true)
	if err != nil {
		tb.Fatalf("smtptest: IMAP connect: %v", err)
	}
	if _, err := c.cmd("LOGIN " + imapQuote(IMAPUser) + " " + imapQuote(IMAPPassword)); err != nil {
		c.conn.Close()
		tb.Fatalf("smtptest: IMAP LOGIN: %v", err)
	}
	return c
}

func (c *imapConn) close() {
	c.cmd("LOGOUT")
	c.conn.Close()
}

func (c *imapConn) send(line string) (string, error) {
	c.tag++
	tag := "h" + strconv.Itoa(c.tag)
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	_, err := io.WriteString(c.conn, tag+" "+line+"\r\n")
	return tag, err
}

// cmd runs one command and returns its untagged responses; a NO or BAD is
// an error holding the reply.
func (c *imapConn) cmd(line string) ([]imapUntagged, error) {
	tag, err := c.send(line)
	if err != nil {
		return nil, err
	}
	return c.replies(tag)
}

// appendCmd runs an APPEND whose command ends with the literal's {n}.
func (c *imapConn) appendCmd(line string, literal []byte) (string, error) {
	tag, err := c.send(line)
	if err != nil {
		return "", err
	}
	l, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(l, "+") {
		return "", fmt.Errorf("%s", strings.TrimSpace(l))
	}
	if _, err := c.conn.Write(append(append([]byte{}, literal...), '\r', '\n')); err != nil {
		return "", err
	}
	var last string
	_, err = c.repliesFn(tag, func(s string) { last = s })
	return last, err
}

func (c *imapConn) replies(tag string) ([]imapUntagged, error) { return c.repliesFn(tag, nil) }

var literalAtEnd = regexp.MustCompile(`\{(\d+)\+?\}\r?\n$`)

func (c *imapConn) repliesFn(tag string, final func(string)) ([]imapUntagged, error) {
	var out []imapUntagged
	for {
		var u imapUntagged
		for {
			l, err := c.r.ReadString('\n')
			if err != nil {
				return out, err
			}
			m := literalAtEnd.FindStringSubmatch(l)
			u.line += strings.TrimRight(l, "\r\n")
			if m == nil {
				break
			}
			n, _ := strconv.Atoi(m[1])
			lit := make([]byte, n)
			if _, err := io.ReadFull(c.r, lit); err != nil {
				return out, err
			}
			u.literals = append(u.literals, lit)
		}
		if strings.HasPrefix(u.line, tag+" ") {
			if final != nil {
				final(u.line)
			}
			if !strings.HasPrefix(u.line, tag+" OK") {
				return out, fmt.Errorf("%s", u.line)
			}
			return out, nil
		}
		out = append(out, u)
	}
}

// IMAPDelimiter is the server's hierarchy delimiter: Dovecot's default
// for maildir, ".". Append and List take folder paths with "/" between
// levels, as Box.Move does, and turn them into the server's names.
const IMAPDelimiter = "."

func imapFolder(path string) string { return imapQuote(strings.ReplaceAll(path, "/", IMAPDelimiter)) }

func imapQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
