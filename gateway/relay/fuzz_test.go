package relay

import (
	"bytes"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// chunkConn is a net.Conn whose reads hand out data at most chunk bytes
// at a time, then io.EOF; it takes every write.
type chunkConn struct {
	data  []byte
	chunk int
	read  int
}

func (c *chunkConn) Read(b []byte) (int, error) {
	if c.read >= len(c.data) {
		return 0, io.EOF
	}
	n := copy(b[:min(len(b), c.chunk)], c.data[c.read:])
	c.read += n
	return n, nil
}
func (c *chunkConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *chunkConn) Close() error                     { return nil }
func (c *chunkConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *chunkConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *chunkConn) SetDeadline(time.Time) error      { return nil }
func (c *chunkConn) SetReadDeadline(time.Time) error  { return nil }
func (c *chunkConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzReply feeds what a server might say to both readers of its replies,
// through replyConn as on a real connection, in pieces of the size chunk
// asks for: the reader of the pipelined path and of the commands
// spoolgate writes itself (Conn.replyText), and go-smtp's Client (the
// greeting and the reply to EHLO, and to HELO after a refused EHLO).
//
// Neither may panic or read more than MaxReply a reply; a reply is taken
// only from whole lines of what the server sent; every failure is
// classified with a cause.
func FuzzReply(f *testing.F) {
	f.Add([]byte("250 2.0.0 Ok: queued as 4F2A1\r\n"), uint8(255))
	f.Add([]byte("220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 SMTPUTF8\r\n"), uint8(7))
	f.Add([]byte("250-first\r\n250-second\n250 last\r\n"), uint8(1))
	f.Add([]byte("550 5.1.1 <x@y>: Recipient address rejected\r\n"), uint8(3))
	f.Add([]byte("250 2"), uint8(2))                          // cut off: not a reply
	f.Add([]byte("25\r\n"), uint8(4))                         // too short
	f.Add([]byte("2500 x\r\n250 y\r\n"), uint8(9))            // bad separator
	f.Add([]byte("250-a\r\n251 b\r\n"), uint8(5))             // code changes
	f.Add([]byte("421 4.3.2 bye\r\n\x00\xff\r\n"), uint8(16)) // then garbage
	f.Add([]byte("220 x\r\n502 5.5.2 no EHLO\r\n250 hi\r\n"), uint8(32))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		checkReply(t, data, max(int(chunk), 1))
	})
}

// TestReply_Long runs FuzzReply's checks on replies longer than MaxReply,
// too big to be good seeds (the fuzzer minimises them for minutes).
func TestReply_Long(t *testing.T) {
	for _, data := range []string{
		strings.Repeat("250-"+strings.Repeat("X", 996)+"\r\n", 70) + "250 end\r\n",
		"250 " + strings.Repeat("Y", 70000) + "\r\n",
		"220 " + strings.Repeat("Z", 70000),
	} {
		for _, size := range []int{1, 7, 4096, 1 << 20} {
			checkReply(t, []byte(data), size)
		}
	}
}

// checkReply is FuzzReply's test of data, read size bytes at a time.
func checkReply(t *testing.T, data []byte, size int) {
	t.Helper()
	// Conn.replyText, as the pipelined path reads.
	fc := &chunkConn{data: data, chunk: size}
	dc := &deadlineConn{Conn: fc}
	rc := newReplyConn(fc, dc, time.Minute)
	c := &Conn{dc: dc, rc: rc, text: textproto.NewConn(rc)}
	msg, err := c.replyText(2)
	if fc.read > MaxReply {
		t.Fatalf("read %d bytes for one reply, more than MaxReply", fc.read)
	}
	if err == nil {
		for _, line := range strings.Split(msg, "\n") {
			if !bytes.Contains(data, []byte(line+"\n")) && !bytes.Contains(data, []byte(line+"\r\n")) {
				t.Fatalf("reply text %q: line %q is not a whole line of %q", msg, line, data)
			}
		}
	} else if e := Classify(err, "fuzz (h:25)", "data"); e.Cause == "" || e.Error() == "" {
		t.Fatalf("Classify(%v) = %+v", err, e)
	}

	// go-smtp's Client: the greeting, EHLO (and HELO).
	fc = &chunkConn{data: data, chunk: size}
	dc = &deadlineConn{Conn: fc}
	rc = newReplyConn(fc, dc, time.Minute)
	cl := smtp.NewClient(rc)
	err = cl.Hello("spoolgate.test")
	if fc.read > 3*MaxReply {
		t.Fatalf("read %d bytes for three replies, more than 3 × MaxReply", fc.read)
	}
	if err != nil {
		if e := Classify(err, "fuzz (h:25)", "ehlo"); e.Cause == "" || e.Error() == "" {
			t.Fatalf("Classify(%v) = %+v", err, e)
		}
		return
	}
	if max, ok := cl.MaxMessageSize(); ok && max < 0 {
		t.Fatalf("SIZE %d", max)
	}
}
