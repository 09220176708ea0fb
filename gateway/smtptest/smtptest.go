// Package smtptest runs real SMTP servers in the test process, for tests
// of SMTP clients over real TCP on 127.0.0.1.
//
// NewServer is a go-smtp server that records every message it accepts and
// can be told to fail: a Fault decides, at MAIL, RCPT, DATA and AUTH, to
// answer with an error, wait, never answer, or cut or close the
// connection. It offers STARTTLS or implicit TLS with certificates from
// NewTLSCerts, AUTH (PLAIN, LOGIN, CRAM-MD5), SMTPUTF8 and SIZE as asked.
//
// A Reply can also trickle its answer one byte at a time, and
// WithGreetingTrickle does that to the greeting: the replies of a server
// that keeps a client waiting without ever going silent.
//
// What go-smtp's server can't be made to do (fail the greeting, say) is
// done with NewRawServer, which hands each connection to a script;
// EndlessEHLO is such a script.
//
// Servers stop in t.Cleanup. Nothing in this package is safe to use from
// a goroutine that outlives its test.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is a message the server accepted.
type Message struct {
	From     string
	To       []string
	Data     []byte    // as received: dot-unstuffed, CRLF line ends
	At       time.Time // when the final dot was read
	UTF8     bool      // MAIL had SMTPUTF8
	Body8Bit bool      // MAIL had BODY=8BITMIME
	Size     int64     // MAIL's SIZE parameter, or 0
	TLS      bool      // the connection was encrypted
	AuthUser string    // the user logged in as, or ""
}

// AuthAttempt is one AUTH exchange the server finished.
type AuthAttempt struct {
	Mechanism string // PLAIN, LOGIN or CRAM-MD5
	Username  string
	OK        bool
}

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	tb   testing.TB
	srv  *smtp.Server
	ln   net.Listener
	addr *net.TCPAddr
	done chan struct{} // closed when the server stops

	// set by options before the start
	tlsCert     *tls.Certificate
	implicitTLS bool
	user, pass  string
	mechs       []string
	smtputf8    bool
	maxSize     int64
	transcript  bool
	greetEvery  time.Duration // WithGreetingTrickle

	mu        sync.Mutex
	fault     Fault
	msgs      []Message
	changed   chan struct{} // closed and replaced when a message arrives
	conns     int
	auths     []AuthAttempt
	log       bytes.Buffer // the transcript, with WithTranscript
	stopped   bool         // no more t.Logf
	serveDone chan struct{}
}

// Option configures a Server.
type Option func(*Server)

// WithTLS offers STARTTLS with cert.
func WithTLS(cert tls.Certificate) Option {
	return func(s *Server) { s.tlsCert, s.implicitTLS = &cert, false }
}

// WithImplicitTLS makes the server speak TLS from the first byte (port 465
// style) with cert.
func WithImplicitTLS(cert tls.Certificate) Option {
	return func(s *Server) { s.tlsCert, s.implicitTLS = &cert, true }
}

// WithAuth offers AUTH with the given mechanisms (default: PLAIN, LOGIN and
// CRAM-MD5), accepts user and pass, and refuses MAIL before a login with
// 530. AUTH is offered over plain text too.
func WithAuth(user, pass string, mechanisms ...string) Option {
	return func(s *Server) {
		s.user, s.pass = user, pass
		s.mechs = mechanisms
		if len(s.mechs) == 0 {
			s.mechs = []string{"PLAIN", "LOGIN", "CRAM-MD5"}
		}
	}
}

// WithSMTPUTF8 offers SMTPUTF8 or not (the default is not).
func WithSMTPUTF8(on bool) Option { return func(s *Server) { s.smtputf8 = on } }

// WithMaxSize offers SIZE n and refuses larger messages; 0 means no limit
// (the default; SIZE is offered without a number). go-smtp's server always
// offers 8BITMIME.
func WithMaxSize(n int64) Option { return func(s *Server) { s.maxSize = n } }

// WithFault installs f from the start; see Server.SetFault.
func WithFault(f Fault) Option { return func(s *Server) { s.fault = f } }

// WithGreetingTrickle makes the server send its greeting one byte every
// d, as a server that keeps a client waiting without ever going silent.
func WithGreetingTrickle(d time.Duration) Option { return func(s *Server) { s.greetEvery = d } }

// WithTranscript records the dialogue of every connection, both ways, as
// the SMTP layer sees it (above TLS); see Server.Transcript.
func WithTranscript() Option { return func(s *Server) { s.transcript = true } }

// NewServer starts a server on 127.0.0.1 on a free port. It stops when the
// test ends.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		tb:        tb,
		done:      make(chan struct{}),
		changed:   make(chan struct{}),
		serveDone: make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}

	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = "smtptest.localhost"
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = s.smtputf8
	srv.MaxMessageBytes = s.maxSize
	srv.ErrorLog = log.New(logWriter{s}, "smtptest: ", 0)
	if s.transcript {
		srv.Debug = transcriptWriter{s}
	}
	var tlsConf *tls.Config
	if s.tlsCert != nil {
		tlsConf = &tls.Config{Certificates: []tls.Certificate{*s.tlsCert}, MinVersion: tls.VersionTLS12}
		if !s.implicitTLS {
			srv.TLSConfig = tlsConf
		}
	}
	s.srv = srv

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	s.addr = ln.Addr().(*net.TCPAddr)
	var l net.Listener = &listener{Listener: ln, s: s}
	if s.implicitTLS {
		l = tls.NewListener(l, tlsConf)
	}
	s.ln = l
	go func() {
		defer close(s.serveDone)
		srv.Serve(l)
	}()
	tb.Cleanup(s.stop)
	return s
}

func (s *Server) stop() {
	close(s.done) // ends stalls and delays
	s.srv.Close()
	s.ln.Close() // in case Serve has not registered the listener yet
	select {
	case <-s.serveDone:
	case <-time.After(30 * time.Second):
		s.tb.Errorf("smtptest: the server did not stop")
	}
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}

// Host is "127.0.0.1".
func (s *Server) Host() string { return s.addr.IP.String() }

// Port is the port the server listens on.
func (s *Server) Port() int { return s.addr.Port }

// Addr is "127.0.0.1:port".
func (s *Server) Addr() string { return s.addr.String() }

// SetFault replaces the fault hook; nil removes it. It takes effect from
// the next command.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Messages returns a copy of the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		m.To = append([]string(nil), m.To...)
		m.Data = append([]byte(nil), m.Data...)
		out[i] = m
	}
	return out
}

// WaitMessages waits up to timeout until at least n messages were accepted
// and returns them; it fails the test on time-out.
func (s *Server) WaitMessages(tb testing.TB, n int, timeout time.Duration) []Message {
	tb.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := len(s.msgs), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("smtptest: %d message(s) after %v, want %d", got, timeout, n)
			return nil
		}
	}
}

// Connections is the number of TCP connections accepted so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Auths returns the AUTH exchanges finished so far.
func (s *Server) Auths() []AuthAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AuthAttempt(nil), s.auths...)
}

// Transcript returns the dialogue of all connections so far, as the server
// read and wrote it, or "" without WithTranscript. Connections that run at
// the same time are interleaved.
func (s *Server) Transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func (s *Server) addMessage(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) currentFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fault
}

// listener counts connections and wraps them so that faults can cut them.
type listener struct {
	net.Listener
	s *Server
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.s.mu.Lock()
	l.s.conns++
	l.s.mu.Unlock()
	return &faultConn{Conn: c, done: l.s.done, trickle: l.s.greetEvery}, nil
}

// faultConn is the server's TCP connection, below TLS if any.
type faultConn struct {
	net.Conn
	done <-chan struct{} // the server's: ends a trickle

	mu         sync.Mutex
	closeAfter bool          // close once the next reply was written
	trickle    time.Duration // send the next reply one byte every trickle
}

func (c *faultConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	every := c.trickle
	c.trickle = 0
	c.mu.Unlock()
	var n int
	var err error
	if every > 0 {
		n, err = Trickle(c.Conn, b, every, c.done)
	} else {
		n, err = c.Conn.Write(b)
	}
	c.mu.Lock()
	closeNow := c.closeAfter
	c.mu.Unlock()
	if closeNow {
		c.Conn.Close()
	}
	return n, err
}

func (c *faultConn) closeAfterReply() {
	c.mu.Lock()
	c.closeAfter = true
	c.mu.Unlock()
}

// trickleReply makes the next reply go out one byte every d.
func (c *faultConn) trickleReply(d time.Duration) {
	c.mu.Lock()
	c.trickle = d
	c.mu.Unlock()
}

// Trickle writes b to w one byte every d, the first at once, until all is
// written, a write fails or done is closed. It returns the bytes written,
// and an error when it did not write them all.
func Trickle(w io.Writer, b []byte, d time.Duration, done <-chan struct{}) (int, error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for i := range b {
		if i > 0 {
			select {
			case <-t.C:
			case <-done:
				return i, net.ErrClosed
			}
		}
		if _, err := w.Write(b[i : i+1]); err != nil {
			return i, err
		}
	}
	return len(b), nil
}

// netConn finds the faultConn under go-smtp's connection.
func netConn(c *smtp.Conn) *faultConn {
	nc := c.Conn()
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	fc, _ := nc.(*faultConn)
	return fc
}

// logWriter sends go-smtp's error log to t.Logf while the test runs.
type logWriter struct{ s *Server }

func (w logWriter) Write(b []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if !w.s.stopped {
		w.s.tb.Logf("%s", bytes.TrimRight(b, "\n"))
	}
	return len(b), nil
}

type transcriptWriter struct{ s *Server }

func (w transcriptWriter) Write(b []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(b)
}

var _ io.Writer = transcriptWriter{}

// errorf is a helper for the backend's error replies.
func errorf(code int, enh smtp.EnhancedCode, format string, args ...any) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: fmt.Sprintf(format, args...)}
}
