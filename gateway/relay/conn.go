package relay

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// Fallbacks for a config.Server built by hand with zero values; config.Load
// always sets these.
const (
	defaultConnectTimeout = 30 * time.Second
	defaultTimeout        = 5 * time.Minute
	defaultHELO           = "localhost"
)

// Label names a server the way spoolgate's logs, errors and journal do:
// "NAME (host:port)", e.g. "smtp (mail.example.org:25)".
func Label(srv *config.Server) string {
	if srv == nil {
		return ""
	}
	return srv.Name + " (" + srv.Address() + ")"
}

// Conn is one open connection to one server.
//
// The connection is set up in steps, each a method that returns an *Error
// naming its stage, so that a troubleshooter can run them one by one and
// say which step failed:
//
//	c, err := relay.Dial(ctx, srv) // stage "dial" (and "tls" for security = tls)
//	err = c.Hello(ctx)             // stages "greeting" and "ehlo"
//	err = c.StartTLS(ctx)          // stage "tls" (as srv.Security says)
//	err = c.Auth(ctx)              // stage "auth" (only with a username)
//
// Open runs all four. After a failed step the Conn must be closed.
//
// Greeting and Capabilities tell what the server said at each step, and a
// context from WithTrace gets the whole dialogue, credentials masked.
//
// Nothing the server does can hold a Conn for ever or make it hold
// unbounded memory:
//
//   - the TCP connect takes at most srv.ConnectTimeout;
//   - the TLS handshake (security = tls, or after STARTTLS) and the whole
//     AUTH exchange each take at most srv.Timeout;
//   - every reply (the greeting, the reply to EHLO and to every other
//     command, each reply of a pipelined group) must arrive whole within
//     srv.Timeout of the moment it is awaited, after the command was
//     written, and in at most MaxReply bytes; a reply that is longer ends
//     the connection with an error wrapping ErrReplyTooLong;
//   - what spoolgate writes between two replies (a command, the message
//     after DATA) must make progress within srv.Timeout, and as a whole
//     take no longer than srv.Timeout plus its size at 10 KB a second.
//
// While a step (or a Session's Send) runs, the end of its context also
// ends the I/O at once.
type Conn struct {
	srv     *config.Server
	label   string
	timeout time.Duration
	dc      *deadlineConn
	client  *smtp.Client
	wire    net.Conn        // what client reads and writes: plain, or the TLS connection
	text    *textproto.Conn // on wire, for commands spoolgate writes itself; nil until the first
	rc      *replyConn      // the bounds of wire's replies and writes
	plain   *replyConn      // dc, traced and bounded: for the plain-text part of the dialogue
	tr      *tracer
	tls     *tls.ConnectionState // nil while the connection is plain text
	helo    string
	mech    string // the AUTH mechanism used, or ""

	// Kept by a Session: for session_messages, session_time and the
	// reconnect before a deferred recipient is tried again.
	transactions int                 // MAIL commands sent
	opened       time.Time           // when the Session got the connection
	deferred     map[string]struct{} // recipients refused for now on this connection
}

// Open dials srv and runs every connection step. On error the connection
// is closed and the *Error names the failed stage.
func Open(ctx context.Context, srv *config.Server) (*Conn, error) {
	c, err := Dial(ctx, srv)
	if err != nil {
		return nil, err
	}
	for _, step := range []func(context.Context) error{c.Hello, c.StartTLS, c.Auth} {
		if err := step(ctx); err != nil {
			c.abort()
			return nil, err
		}
	}
	return c, nil
}

// Dial opens the TCP connection to srv within srv.ConnectTimeout (stage
// "dial"). With security = tls it also does the TLS handshake (stage
// "tls"). It reads nothing from the server yet: Hello reads the greeting.
func Dial(ctx context.Context, srv *config.Server) (*Conn, error) {
	label := Label(srv)
	connectTimeout := srv.ConnectTimeout
	if connectTimeout <= 0 {
		connectTimeout = defaultConnectTimeout
	}
	timeout := srv.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	helo := srv.HELO
	if helo == "" {
		helo = defaultHELO
	}
	d := net.Dialer{Timeout: connectTimeout}
	nc, err := d.DialContext(ctx, "tcp", srv.Address())
	if err != nil {
		return nil, Classify(err, label, "dial")
	}
	c := &Conn{
		srv:     srv,
		label:   label,
		timeout: timeout,
		dc:      &deadlineConn{Conn: nc},
		tr:      &tracer{fn: traceFrom(ctx), server: label},
		helo:    helo,
	}
	c.plain = newReplyConn(&traceConn{Conn: c.dc, t: c.tr}, c.dc, timeout)
	if srv.Security != config.SecurityTLS {
		return c, nil
	}
	tc, err := c.handshake(ctx)
	if err != nil {
		c.dc.Close()
		return nil, Classify(err, label, "tls")
	}
	rc := newReplyConn(&traceConn{Conn: tc, t: c.tr}, c.dc, timeout)
	c.setClient(rc, rc)
	return c, nil
}

// handshake runs the TLS handshake on dc, as a whole within timeout (and
// before ctx ends), and records the connection's TLS state.
func (c *Conn) handshake(ctx context.Context) (*tls.Conn, error) {
	hctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := c.dc.deadline(time.Now().Add(c.timeout)); err != nil {
		return nil, err
	}
	tc := tls.Client(c.dc, tlsConfig(c.srv))
	if err := tc.HandshakeContext(hctx); err != nil {
		if ctx.Err() == nil && hctx.Err() != nil {
			err = fmt.Errorf("the TLS handshake took longer than timeout = %s: %w", c.timeout, err)
		}
		return nil, err
	}
	state := tc.ConnectionState()
	c.tls = &state
	return tc, nil
}

func tlsConfig(srv *config.Server) *tls.Config {
	return &tls.Config{
		ServerName:         srv.Host,
		RootCAs:            srv.RootCAs,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: !srv.TLSVerify, //nolint:gosec // the administrator's choice: tls_verify = false
	}
}

// setClient puts a new go-smtp Client on conn, which reads and writes
// through rc (the deadlines are rc's; go-smtp's own are ignored).
func (c *Conn) setClient(rc *replyConn, conn net.Conn) {
	cl := smtp.NewClient(conn)
	cl.CommandTimeout = c.timeout
	cl.SubmissionTimeout = c.timeout
	c.client, c.wire, c.text, c.rc = cl, conn, nil, rc
}

// Hello reads the server's greeting (stage "greeting": anything but 220
// fails) and introduces spoolgate with EHLO srv.HELO (stage "ehlo"; a
// server that answers EHLO with 500 or 502 gets HELO instead).
func (c *Conn) Hello(ctx context.Context) error {
	defer c.watch(ctx)()
	if c.client == nil {
		c.setClient(c.plain, c.plain)
	}
	// go-smtp reads the greeting and sends EHLO in one call. It writes
	// nothing before the greeting has arrived, so nothing written means the
	// greeting failed.
	before := c.dc.written
	if err := c.client.Hello(c.helo); err != nil {
		stage := "ehlo"
		if c.dc.written == before {
			stage = "greeting"
		}
		return Classify(err, c.label, stage)
	}
	return nil
}

// StartTLS protects the connection as srv.Security says (stage "tls"):
//
//   - starttls: STARTTLS is required; a server that does not offer it fails.
//   - auto: STARTTLS when the server offers it, plain text otherwise. A
//     server that offers STARTTLS and then fails the handshake (a bad
//     certificate, say) fails: spoolgate never falls back to plain text
//     after a failed handshake.
//   - tls (already encrypted by Dial) and none: nothing to do.
//
// After the handshake it sends EHLO again (stage "ehlo"), as RFC 3207 asks.
func (c *Conn) StartTLS(ctx context.Context) error {
	if c.tls != nil {
		return nil
	}
	switch c.srv.Security {
	case config.SecurityNone, config.SecurityTLS:
		return nil
	}
	offered, _ := c.client.Extension("STARTTLS")
	if !offered {
		if c.srv.Security == config.SecurityStartTLS {
			return Classify(kindRefusal{"the server does not offer STARTTLS, and security = starttls requires it", ErrNoSTARTTLS}, c.label, "tls")
		}
		return nil // auto: plain text
	}
	defer c.watch(ctx)()

	// go-smtp's Client has no STARTTLS for a connection it already greeted
	// (its NewClientStartTLS would introduce itself as "localhost"). So
	// spoolgate sends STARTTLS itself, reading the reply one byte at a time
	// so that nothing the server sends after it is buffered as plain text
	// (the STARTTLS injection attack), and hands the TLS connection to a new
	// Client. The old Client is dropped without closing the connection.
	if _, err := io.WriteString(c.plain, "STARTTLS\r\n"); err != nil {
		return Classify(err, c.label, "tls")
	}
	r := textproto.NewReader(bufio.NewReaderSize(byteReader{c.plain}, 1024))
	code, _, err := r.ReadResponse(220)
	if err != nil {
		var pe *textproto.Error
		if errors.As(err, &pe) {
			err = smtpError(code, pe.Msg)
		}
		return Classify(err, c.label, "tls")
	}
	tc, err := c.handshake(ctx)
	if err != nil {
		return Classify(err, c.label, "tls")
	}
	// A new Client expects a greeting; RFC 3207 has none after TLS, so one
	// is replayed locally. Client.Hello then sends the second EHLO.
	rc := newReplyConn(&traceConn{Conn: tc, t: c.tr}, c.dc, c.timeout)
	c.setClient(rc, &greetedConn{Conn: rc, greeting: []byte("220 TLS started\r\n")})
	if err := c.client.Hello(c.helo); err != nil {
		return Classify(err, c.label, "ehlo")
	}
	return nil
}

// Auth logs in when srv.Username is set (stage "auth"). It picks the first
// mechanism the server offers of PLAIN, LOGIN and CRAM-MD5; with auth =
// oauth2, XOAUTH2 or OAUTHBEARER with a token of the server's shared
// oauth.Source (authOAuth). It never sends
// a password over plain text to a server that is not on this machine: that
// fails before any AUTH command is sent.
func (c *Conn) Auth(ctx context.Context) error {
	srv := c.srv
	if srv.Auth == config.AuthOAuth2 {
		return c.authOAuth(ctx)
	}
	if srv.Username == "" {
		return nil
	}
	if !mayAuthPlaintext(c.remoteHost(), c.tls != nil) {
		why := "the server offers no TLS"
		if srv.Security == config.SecurityNone {
			why = "security = none"
		}
		return Classify(kindRefusal{refusal(why + ", and spoolgate never sends a password unencrypted; set security = starttls or tls"), ErrPlaintextAuth}, c.label, "auth")
	}
	ok, offered := c.client.Extension("AUTH")
	if !ok {
		return Classify(kindRefusal{"a username is set, but the server does not offer AUTH", ErrNoAUTH}, c.label, "auth")
	}
	var sc sasl.Client
	switch {
	case c.client.SupportsAuth(sasl.Plain):
		c.mech, sc = sasl.Plain, sasl.NewPlainClient("", srv.Username, srv.Password)
	case c.client.SupportsAuth(sasl.Login):
		c.mech, sc = sasl.Login, sasl.NewLoginClient(srv.Username, srv.Password)
	case c.client.SupportsAuth(cramMD5):
		c.mech, sc = cramMD5, &cramMD5Client{username: srv.Username, password: srv.Password}
	default:
		return Classify(kindRefusal{refusal(fmt.Sprintf("the server offers AUTH %s; spoolgate speaks PLAIN, LOGIN and CRAM-MD5", offered)), ErrNoAuthMechanism}, c.label, "auth")
	}
	// The whole exchange, not only each reply, within timeout: a server
	// could ask for ever more (LOGIN, CRAM-MD5 and PLAIN take at most
	// three round trips).
	actx, cancel := context.WithTimeoutCause(ctx, c.timeout,
		fmt.Errorf("the AUTH exchange took longer than timeout = %s: %w", c.timeout, context.DeadlineExceeded))
	defer cancel()
	defer c.watch(actx)()
	c.tr.auth = true
	defer func() { c.tr.auth = false }()
	if err := c.client.Auth(sc); err != nil {
		return Classify(err, c.label, "auth")
	}
	return nil
}

// Server is the server's label, "NAME (host:port)".
func (c *Conn) Server() string { return c.label }

// TLS returns the TLS state, or nil for a plain-text connection.
func (c *Conn) TLS() *tls.ConnectionState { return c.tls }

// AuthMechanism is the mechanism Auth logged in with (or tried to), or "".
func (c *Conn) AuthMechanism() string { return c.mech }

// Greeting is the server's greeting as it was received, one string a line
// ("220 mail.example.org ESMTP"), or nil before Hello read it.
func (c *Conn) Greeting() []string { return append([]string(nil), c.tr.greeting...) }

// Capabilities are the keywords of the server's last EHLO reply with their
// parameters, as sent ("SIZE 10240000", "AUTH PLAIN LOGIN"): after
// StartTLS, those offered over TLS. It is nil before Hello, and when the
// server answered HELO only.
func (c *Conn) Capabilities() []string { return c.tr.capabilities() }

// LocalAddr is this machine's end of the connection: the address the relay
// sees spoolgate connect from.
func (c *Conn) LocalAddr() net.Addr { return c.dc.LocalAddr() }

// RemoteAddr is the server's address that was connected to.
func (c *Conn) RemoteAddr() net.Addr { return c.dc.RemoteAddr() }

// Extension reports whether the server offered the EHLO keyword ext, and
// its parameters.
func (c *Conn) Extension(ext string) (bool, string) {
	if c.client == nil {
		return false, ""
	}
	return c.client.Extension(ext)
}

// Close sends QUIT, waiting at most timeout for the answer, and closes the
// connection. It returns the error of QUIT, if any; the connection is
// closed either way.
func (c *Conn) Close(timeout time.Duration) error {
	if c.client == nil {
		return c.dc.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	stop := c.watch(ctx)
	err := c.client.Quit()
	stop()
	c.dc.Close()
	return err
}

// abort closes the connection without a word.
func (c *Conn) abort() { c.dc.Close() }

// Abort closes the connection without QUIT, as is right after a failed
// TLS handshake or a greeting that never came.
func (c *Conn) Abort() { c.abort() }

// dead reports whether the connection's context ended during a step, after
// which every I/O on it fails.
func (c *Conn) dead() bool {
	c.dc.mu.Lock()
	defer c.dc.mu.Unlock()
	return c.dc.stopped != nil
}

func (c *Conn) remoteHost() string {
	host, _, err := net.SplitHostPort(c.dc.RemoteAddr().String())
	if err != nil {
		return ""
	}
	return host
}

// watch makes the end of ctx end the connection's I/O until the returned
// function is called.
func (c *Conn) watch(ctx context.Context) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	s := context.AfterFunc(ctx, func() { c.dc.stop(context.Cause(ctx)) })
	return func() { s() }
}

// mayAuthPlaintext reports whether a password may be sent to host: always
// over TLS, and over plain text only when host (the address actually
// connected to) is on this machine, where nobody can listen in.
func mayAuthPlaintext(host string, tls bool) bool {
	if tls {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 { // fe80::1%eth0
		host = host[:i]
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

const cramMD5 = "CRAM-MD5"

// cramMD5Client is the client side of CRAM-MD5 (RFC 2195).
type cramMD5Client struct {
	username, password string
}

func (a *cramMD5Client) Start() (string, []byte, error) { return cramMD5, nil, nil }

func (a *cramMD5Client) Next(challenge []byte) ([]byte, error) {
	h := hmac.New(md5.New, []byte(a.password))
	h.Write(challenge)
	return []byte(a.username + " " + hex.EncodeToString(h.Sum(nil))), nil
}

// MaxReply is the most one reply of the server may take, in bytes: the
// greeting, the reply to EHLO or to any other command, each reply of a
// pipelined group. A reply is a few lines (RFC 5321 allows 512 bytes a
// line), and a long EHLO reply a few hundred bytes; a server that sends
// more without ending its reply is broken or hostile, and the connection
// is closed with an error wrapping ErrReplyTooLong.
const MaxReply = 64 << 10

// minWriteRate is the slowest average, in bytes a second, at which a
// server must take what spoolgate writes between two replies (a command,
// a pipelined group, the message after DATA), beyond the first timeout:
// writing n bytes may take at most timeout + n/minWriteRate in all, and a
// single write that makes no progress is given up after timeout. A 10 MB
// message may so take timeout plus about 17 minutes on a relay that
// takes it at the slowest rate; one that takes nothing is given up after
// timeout.
const minWriteRate = 10 << 10

// ErrReplyTooLong is wrapped by the error of a reply longer than MaxReply.
// It is temporary: the connection is closed, and the message stays queued.
var ErrReplyTooLong = errors.New("the server's reply is longer than spoolgate accepts")

// replyTooLong is the error of a reply that went past MaxReply.
func replyTooLong() error {
	return fmt.Errorf("%w: more than %s in one reply (MaxReply); the connection is closed", ErrReplyTooLong, sizeText(MaxReply))
}

// replyConn bounds what the server says and how long it may take, on the
// connection as the SMTP layer sees it (above TLS), whoever reads: go-smtp's
// Client, the pipelined path, or STARTTLS's reply.
//
// The dialogue alternates between phases. A read phase starts at the first
// Read after a Write (or at the first Read of all, for the greeting): the
// reply is awaited from then, and must arrive whole within timeout, in at
// most MaxReply bytes, however the server spaces its bytes. A server that
// trickles one byte every few seconds is given up at timeout, and one that
// sends an endless reply at MaxReply, before it costs more memory. The
// pipelined path, which reads several replies in one phase, calls
// awaitReply before each, giving each its own deadline and budget.
//
// A write phase lasts from the first Write after a read to the next read.
// Each Write must make progress within timeout (plus the time its own
// bytes take at minWriteRate), and the phase as a whole may take at most
// timeout plus its bytes at minWriteRate: see minWriteRate.
//
// The deadlines are set on dc, the TCP connection, below TLS; deadlines set
// from outside (go-smtp sets one per command, and clears it) are ignored.
// replyConn is used by the one goroutine doing the connection's I/O.
type replyConn struct {
	net.Conn               // the SMTP layer's connection: traced plain, or traced TLS on dc
	dc       *deadlineConn // the TCP connection, whose deadlines it sets
	timeout  time.Duration
	now      func() time.Time

	reading bool      // in a read phase
	left    int       // bytes the reply being read may still take
	buf     []byte    // read and not yet handed on: whole lines, then a partial one
	ready   int       // buf[:ready] is whole lines
	wstart  time.Time // when the write phase began
	wbytes  int64     // bytes written in the write phase
}

func newReplyConn(nc net.Conn, dc *deadlineConn, timeout time.Duration) *replyConn {
	return &replyConn{Conn: nc, dc: dc, timeout: timeout, now: time.Now}
}

// awaitReply starts a read phase now: the next reply must arrive whole
// within timeout and in MaxReply bytes.
func (c *replyConn) awaitReply() error {
	c.reading = true
	c.left = MaxReply
	return c.dc.deadline(c.now().Add(c.timeout))
}

// Read hands on whole lines only. A line is held back until its line end
// has arrived, and a read that fails (the deadline, MaxReply, the server
// gone) drops the partial line: a reader on bufio (textproto's, go-smtp's)
// would otherwise take "250 2" cut off by the deadline for a whole reply,
// and read the rest of it later as the reply to the next command. A
// failed read stops the connection, so that nothing is read or written on
// it any more.
//
// It never reads more from the connection than the caller asked for, so
// that a caller reading one byte at a time (STARTTLS's reply) leaves what
// follows the reply unread.
func (c *replyConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if !c.reading {
		if err := c.awaitReply(); err != nil {
			return 0, err
		}
	}
	for c.ready == 0 {
		if c.left <= 0 {
			err := replyTooLong()
			c.fail(err)
			return 0, err
		}
		c.buf = slices.Grow(c.buf, min(len(b), c.left))
		start := len(c.buf)
		n, err := c.Conn.Read(c.buf[start : start+min(len(b), c.left)])
		c.left -= n
		c.buf = c.buf[:start+n]
		if i := bytes.LastIndexByte(c.buf[start:], '\n'); i >= 0 {
			c.ready = start + i + 1
		}
		if err != nil {
			c.fail(err)
			if c.ready == 0 {
				return 0, err
			}
		}
	}
	n := copy(b, c.buf[:c.ready])
	c.buf = c.buf[:copy(c.buf, c.buf[n:])]
	c.ready -= n
	if len(c.buf) == 0 && cap(c.buf) > 4096 {
		c.buf = nil // a long reply is over: let its buffer go
	}
	return n, nil
}

// fail stops the connection after a failed read: what is left of the
// reply, or of a pipelined group, would be read as the answer to what
// comes next.
func (c *replyConn) fail(err error) {
	c.ready = 0
	c.buf = c.buf[:0]
	c.dc.stop(err)
}

func (c *replyConn) Write(b []byte) (int, error) {
	now := c.now()
	if c.reading || c.wstart.IsZero() {
		c.reading = false
		c.wstart, c.wbytes = now, 0
	}
	c.wbytes += int64(len(b))
	d := now.Add(c.timeout + rateTime(int64(len(b))))
	if phase := c.wstart.Add(c.timeout + rateTime(c.wbytes)); phase.Before(d) {
		d = phase
	}
	if err := c.dc.deadline(d); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// rateTime is how long n bytes take at minWriteRate.
func rateTime(n int64) time.Duration {
	return time.Duration(n/minWriteRate)*time.Second + time.Duration(n%minWriteRate)*time.Second/minWriteRate
}

func (c *replyConn) SetDeadline(time.Time) error      { return nil }
func (c *replyConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replyConn) SetWriteDeadline(time.Time) error { return nil }

// deadlineConn is the TCP connection. Only replyConn and the steps that
// bound a whole operation (the TLS handshake) set its deadline, through
// deadline; deadlines set from outside (by go-smtp, or by crypto/tls on
// the connection under it) are ignored. The end of a watched context
// stops it: the I/O under way and all later I/O fail at once.
type deadlineConn struct {
	net.Conn
	written int64 // bytes written so far; only the owning goroutine uses it

	mu      sync.Mutex
	stopped error // set when a watched context ended; all I/O fails with it
}

// deadline sets the deadline of reads and writes to t, unless the
// connection was stopped.
func (c *deadlineConn) deadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped != nil {
		return c.stopped
	}
	return c.Conn.SetDeadline(t)
}

func (c *deadlineConn) check() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

func (c *deadlineConn) cause(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped != nil && !errors.Is(err, c.stopped) {
		return fmt.Errorf("%w (%v)", c.stopped, err)
	}
	return err
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(b)
	if err != nil && err != io.EOF {
		err = c.cause(err)
	}
	return n, err
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(b)
	c.written += int64(n)
	if err != nil {
		err = c.cause(err)
	}
	return n, err
}

func (c *deadlineConn) SetDeadline(time.Time) error      { return nil }
func (c *deadlineConn) SetReadDeadline(time.Time) error  { return nil }
func (c *deadlineConn) SetWriteDeadline(time.Time) error { return nil }

// stop fails the I/O under way and all later I/O with err.
func (c *deadlineConn) stop(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped == nil {
		c.stopped = err
	}
	_ = c.Conn.SetDeadline(time.Unix(1, 0))
}

// byteReader reads one byte at a time, so a bufio.Reader on top of it
// never reads past the line it was asked for.
type byteReader struct{ r io.Reader }

func (b byteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return b.r.Read(p)
}

// greetedConn replays a greeting before reading from the connection.
type greetedConn struct {
	net.Conn
	greeting []byte
}

func (g *greetedConn) Read(b []byte) (int, error) {
	if len(g.greeting) > 0 {
		n := copy(b, g.greeting)
		g.greeting = g.greeting[n:]
		return n, nil
	}
	return g.Conn.Read(b)
}

// Probe asks the server whether it takes from as the sender of a message,
// and sends none: MAIL FROM:<from> (with SMTPUTF8 when from is not ASCII),
// then RSET and EHLO again whatever the answer, so that the connection can
// carry another Probe. A refusal is an *Error of stage "mail"; so is a
// sender that no SMTP path can hold (see envelopeCommand), refused before
// anything is sent, and a failed RSET, after which the Conn must be
// closed. It is the troubleshooter's test of a sender (spoolgate check):
// it never sends RCPT or DATA.
func (c *Conn) Probe(ctx context.Context, from string) error {
	defer c.watch(ctx)()
	utf8 := false
	for i := 0; i < len(from); i++ {
		utf8 = utf8 || from[i] >= 0x80
	}
	mail, err := c.mailCommand(from, 0, utf8)
	if err != nil {
		return Classify(err, c.label, "mail")
	}
	if ok, _ := c.client.Extension("SMTPUTF8"); utf8 && !ok {
		return Classify(kindRefusal{"the relay does not support international (non-ASCII) addresses", ErrNoSMTPUTF8}, c.label, "mail")
	}
	merr := c.command(mail, 250)
	if merr != nil && connGone(merr) {
		return Classify(merr, c.label, "mail")
	}
	if err := c.client.Reset(); err != nil {
		return Classify(err, c.label, "mail")
	}
	if err := c.client.Hello(c.helo); err != nil {
		return Classify(err, c.label, "ehlo")
	}
	if merr != nil {
		return Classify(merr, c.label, "mail")
	}
	return nil
}
