package smtptest

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// RawServer listens on 127.0.0.1 and hands every connection to a script
// that plays the server's side by hand, for dialogues go-smtp's server
// can't be made to have (a 421 greeting, a greeting that never comes, an
// endless reply: EndlessEHLO).
type RawServer struct {
	ln   net.Listener
	addr *net.TCPAddr
	done chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	count int
}

// NewRawServer starts a RawServer. Each connection runs script on its own
// goroutine and is closed when script returns. When the test ends, the
// listener and every connection are closed (a script blocked on the
// connection then returns) and the server waits for the scripts; a script
// that waits for something else should also wait for Done.
func NewRawServer(tb testing.TB, script func(conn net.Conn)) *RawServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	s := &RawServer{
		ln:    ln,
		addr:  ln.Addr().(*net.TCPAddr),
		done:  make(chan struct{}),
		conns: make(map[net.Conn]struct{}),
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.count++
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer func() {
					c.Close()
					s.mu.Lock()
					delete(s.conns, c)
					s.mu.Unlock()
				}()
				script(c)
			}()
		}
	}()
	tb.Cleanup(func() {
		close(s.done)
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		waited := make(chan struct{})
		go func() { s.wg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(30 * time.Second):
			tb.Errorf("smtptest: a raw server script did not return")
		}
	})
	return s
}

// Host is "127.0.0.1".
func (s *RawServer) Host() string { return s.addr.IP.String() }

// Port is the port the server listens on.
func (s *RawServer) Port() int { return s.addr.Port }

// Addr is "127.0.0.1:port".
func (s *RawServer) Addr() string { return s.addr.String() }

// Done is closed when the test ends.
func (s *RawServer) Done() <-chan struct{} { return s.done }

// Connections is the number of connections accepted so far.
func (s *RawServer) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// ClosedPort returns a port on 127.0.0.1 where nothing listens: a relay
// that refuses connections.
func ClosedPort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// EndlessEHLO returns a RawServer script that greets and then answers
// EHLO (or HELO) with "250-" continuation lines that never end, as fast as
// the client takes them, until the client closes the connection or the
// test ends (close done, e.g. a RawServer's Done). It adds the bytes it
// sent to sent, when not nil.
func EndlessEHLO(done <-chan struct{}, sent *atomic.Int64) func(net.Conn) {
	line := []byte("250-" + strings.Repeat("X", 996) + "\r\n")
	var block []byte
	for range 64 {
		block = append(block, line...)
	}
	return func(c net.Conn) {
		io.WriteString(c, "220 endless.test ESMTP\r\n")
		r := bufio.NewReader(c)
		for {
			cmd, err := r.ReadString('\n')
			if err != nil {
				return
			}
			verb := strings.ToUpper(strings.TrimSpace(cmd))
			if strings.HasPrefix(verb, "EHLO") || strings.HasPrefix(verb, "HELO") {
				break
			}
			io.WriteString(c, "503 5.5.1 EHLO first\r\n")
		}
		for {
			select {
			case <-done:
				return
			default:
			}
			n, err := c.Write(block)
			if sent != nil {
				sent.Add(int64(n))
			}
			if err != nil {
				return
			}
		}
	}
}
