// Command slowsink is an SMTP server for the crash test: a relay that takes
// its time. It answers each DATA only after a delay (the client has sent the
// whole message and waits for the reply), and for every message it accepts
// it appends one line to a log before it replies 250:
//
//	MESSAGE-ID<TAB>UNIX-NANOSECONDS
//
// (the Message-ID without <>, "-" when the message has none). Each line is
// one write to a file opened with O_APPEND, done before the 250 is sent, so
// the log holds a line for every 250. Like a real relay, slowsink keeps a
// message whose client went away while it waited: once it has the final
// dot, the message is accepted and logged.
//
// With -status, it rewrites FILE every 10 ms with one line
//
//	ACCEPTED OPEN-CONNECTIONS UNIX-NANOSECONDS
//
// so a test can tell, after killing a client, when the sink has finished
// with every connection (OPEN-CONNECTIONS 0 in a line written after the kill).
//
//	slowsink -listen 127.0.0.1:2525 -delay 20ms [-jitter 10ms] -log FILE [-status FILE]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/textproto"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
)

// sink is the server's state.
type sink struct {
	delay, jitter time.Duration
	logMu         sync.Mutex
	log           *os.File
	accepted      atomic.Int64
	open          atomic.Int64 // TCP connections not yet closed
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct{ s *sink }

func (*session) Mail(string, *smtp.MailOptions) error { return nil }
func (*session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*session) Reset()                               {}
func (*session) Logout() error                        { return nil }

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	d := ss.s.delay
	if ss.s.jitter > 0 {
		d += rand.N(ss.s.jitter)
	}
	time.Sleep(d)
	line := messageID(b) + "\t" + fmt.Sprint(time.Now().UnixNano()) + "\n"
	ss.s.logMu.Lock()
	_, err = ss.s.log.WriteString(line) // one write(2); go-smtp sends the 250 after Data returns
	ss.s.logMu.Unlock()
	if err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "cannot log the message: " + err.Error()}
	}
	ss.s.accepted.Add(1)
	return nil
}

// messageID is the message's Message-ID without <>, or "-".
func messageID(b []byte) string {
	h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(b))).ReadMIMEHeader()
	id := strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	if id == "" || strings.ContainsAny(id, "\t\r\n") {
		return "-"
	}
	return id
}

// countingListener counts the connections that are open.
type countingListener struct {
	net.Listener
	open *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	return &countedConn{Conn: c, open: l.open}, nil
}

type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.open.Add(-1) })
	return err
}

func writeStatus(path string, s *sink) {
	tmp := path + ".tmp"
	line := fmt.Sprintf("%d %d %d\n", s.accepted.Load(), s.open.Load(), time.Now().UnixNano())
	if err := os.WriteFile(tmp, []byte(line), 0o644); err == nil {
		os.Rename(tmp, path)
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:2525", "address to listen on")
	delay := flag.Duration("delay", 20*time.Millisecond, "how long to wait, after the final dot, before answering DATA")
	jitter := flag.Duration("jitter", 0, "a random extra wait of up to this much per message")
	logPath := flag.String("log", "", "the file to append \"MESSAGE-ID<TAB>unix-nanos\" to for every accepted message (required)")
	status := flag.String("status", "", "a file to rewrite every 10 ms with \"ACCEPTED OPEN-CONNECTIONS UNIX-NANOS\"")
	flag.Parse()
	if *logPath == "" {
		fmt.Fprintln(os.Stderr, "slowsink: -log FILE is required")
		os.Exit(2)
	}
	f, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	s := &sink{delay: *delay, jitter: *jitter, log: f}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *status != "" {
		writeStatus(*status, s) // it exists once the sink listens
		go func() {
			for range time.Tick(10 * time.Millisecond) {
				writeStatus(*status, s)
			}
		}()
	}
	srv := smtp.NewServer(s)
	srv.Domain = "slowsink.localhost"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.MaxMessageBytes = 64 << 20
	srv.EnableSMTPUTF8 = true

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-sig
		fmt.Printf("accepted %d messages\n", s.accepted.Load())
		os.Exit(0)
	}()
	if err := srv.Serve(countingListener{Listener: ln, open: &s.open}); err != nil {
		log.Fatal(err)
	}
}
