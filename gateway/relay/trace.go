package relay

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
)

// Trace receives the SMTP dialogue of a connection, one line at a time
// without its line end, as the SMTP layer sees it (above TLS). fromClient
// is true for what spoolgate sent, false for the server's replies. server
// is the server's label, "NAME (host:port)".
//
// Credentials never reach a Trace: the payload of an AUTH command reads
// "AUTH PLAIN ********", and every other line spoolgate sends during the
// AUTH exchange reads "********". The message itself, after DATA, is not
// passed line by line: one client line gives its size, then comes the
// final ".".
//
// A Trace is called on the goroutine doing the connection's I/O.
type Trace func(server string, fromClient bool, line string)

// Masked is what a Trace gets instead of a line that carries credentials.
const Masked = "********"

type traceKey struct{}

// WithTrace returns a context whose connections (Dial, Open, a Session's
// Connect and Send) report their dialogue to t, in the way of
// net/http/httptrace. A connection keeps the Trace of the context it was
// dialled with.
func WithTrace(ctx context.Context, t Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

func traceFrom(ctx context.Context) Trace {
	t, _ := ctx.Value(traceKey{}).(Trace)
	return t
}

// maxTraceLine bounds a line kept for the Trace; the rest is cut off. A
// line longer than this is not SMTP (RFC 5321 allows 512 for a reply).
const maxTraceLine = 4096

// tracer follows a connection's dialogue in both directions. It always
// records the greeting and the last EHLO reply, for Conn.Greeting and
// Conn.Capabilities, and hands lines to fn when it is set. It is used by
// the one goroutine doing the connection's I/O.
type tracer struct {
	fn     Trace // or nil
	server string

	rbuf, wbuf []byte // partial lines

	sent     bool     // the client has written a line
	greeting []string // the server's lines before the client's first
	lastCmd  string   // the client's last command verb, upper case
	ehlo     []string // the reply to the last EHLO, while it arrives and after
	ehloDone bool     // ehlo holds a whole reply
	auth     bool     // in an AUTH exchange: mask what the client sends

	data     bool   // the client is sending the message after DATA's 354
	dataSize int64  // bytes of the message so far
	dataLine []byte // the start of the message's current line
}

// traceConn passes a connection's bytes to a tracer.
type traceConn struct {
	net.Conn
	t *tracer
}

func (c *traceConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.t.read(b[:n])
	}
	return n, err
}

func (c *traceConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.t.write(b[:n])
	}
	return n, err
}

func (t *tracer) read(b []byte) {
	t.rbuf = splitLines(t.rbuf, b, t.serverLine)
}

func (t *tracer) write(b []byte) {
	if t.data {
		t.dataBytes(b)
		return
	}
	t.wbuf = splitLines(t.wbuf, b, t.clientLine)
}

// splitLines appends b to the partial line buf, calls line for every line
// completed and returns what is left of a line.
func splitLines(buf, b []byte, line func(string)) []byte {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			room := maxTraceLine - len(buf)
			if room > 0 {
				buf = append(buf, b[:min(room, len(b))]...)
			}
			return buf
		}
		room := maxTraceLine - len(buf)
		if room > 0 {
			buf = append(buf, b[:min(room, i)]...)
		}
		line(string(bytes.TrimRight(buf, "\r")))
		buf = buf[:0]
		b = b[i+1:]
	}
	return buf
}

func (t *tracer) serverLine(line string) {
	if !t.sent {
		t.greeting = append(t.greeting, line)
	}
	if (t.lastCmd == "EHLO" || t.lastCmd == "HELO") && !t.ehloDone {
		t.ehlo = append(t.ehlo, line)
		t.ehloDone = lastReplyLine(line)
	}
	if t.lastCmd == "DATA" && lastReplyLine(line) && strings.HasPrefix(line, "354") {
		t.data, t.dataSize, t.dataLine = true, 0, t.dataLine[:0]
	}
	if t.fn != nil {
		t.fn(t.server, false, line)
	}
}

func (t *tracer) clientLine(line string) {
	t.sent = true
	verb, rest, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	switch {
	case verb == "AUTH":
		// "AUTH PLAIN <base64 of the credentials>": keep the mechanism.
		mech, payload, _ := strings.Cut(rest, " ")
		line = "AUTH " + mech
		if payload != "" {
			line += " " + Masked
		}
	case t.auth:
		line = Masked
	}
	if !t.auth || verb == "AUTH" {
		t.lastCmd = verb
	}
	if verb == "EHLO" || verb == "HELO" {
		t.ehlo, t.ehloDone = nil, false
	}
	if t.fn != nil {
		t.fn(t.server, true, line)
	}
}

// dataBytes follows the message after DATA until its final ".", which ends
// the message; the Trace gets one line with the size, then the ".".
func (t *tracer) dataBytes(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			t.keepDataLine(b)
			t.dataSize += int64(len(b))
			return
		}
		t.keepDataLine(b[:i])
		line := b[:i+1]
		b = b[i+1:]
		if l := string(t.dataLine); l == "." || l == ".\r" {
			t.data = false
			t.dataLine = t.dataLine[:0]
			t.lastCmd = "."
			if t.fn != nil {
				t.fn(t.server, true, "[message: "+strconv.FormatInt(t.dataSize, 10)+" bytes]")
				t.fn(t.server, true, ".")
			}
			t.wbuf = splitLines(t.wbuf[:0], b, t.clientLine)
			return
		}
		t.dataSize += int64(len(line))
		t.dataLine = t.dataLine[:0]
	}
}

// keepDataLine keeps the first 3 bytes of the message's current line,
// enough to tell the final "." (with or without its CR) from any other.
func (t *tracer) keepDataLine(b []byte) {
	if room := 3 - len(t.dataLine); room > 0 {
		t.dataLine = append(t.dataLine, b[:min(room, len(b))]...)
	}
}

// lastReplyLine reports whether line ends a reply ("250 ..." rather than
// "250-...").
func lastReplyLine(line string) bool {
	return len(line) < 4 || line[3] != '-'
}

// capabilities returns the EHLO keywords of the last EHLO reply: each line
// after the first, without its code.
func (t *tracer) capabilities() []string {
	if len(t.ehlo) < 2 || !strings.HasPrefix(t.ehlo[0], "250") {
		return nil
	}
	var out []string
	for _, l := range t.ehlo[1:] {
		if len(l) > 4 {
			out = append(out, l[4:])
		}
	}
	return out
}
