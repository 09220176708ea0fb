package relay

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// A relay that answers EHLO with continuation lines that never end costs a
// bounded amount of memory and ends with ErrReplyTooLong, temporary, at
// the EHLO stage; the message stays queued (ErrUnreachable).
func TestConnect_EndlessEHLO(t *testing.T) {
	var sent atomic.Int64
	done := make(chan struct{})
	defer close(done)
	raw := smtptest.NewRawServer(t, smtptest.EndlessEHLO(done, &sent))
	head := serverFor("endless", raw)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := newSession(t, head).Send(ctxT(t), delivery("x"))
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)

	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, ErrReplyTooLong) || IsPermanent(err) {
		t.Fatalf("Send = %v, want a temporary ErrUnreachable wrapping ErrReplyTooLong", err)
	}
	e := asError(t, err)
	if e.Stage != "ehlo" || e.Cause != cause.Unreachable || e.Server != Label(head) {
		t.Errorf("error = %+v, want unreachable at ehlo from %s", e, Label(head))
	}
	if msg := e.Error(); !strings.Contains(msg, Label(head)) || !strings.Contains(msg, "64 KB") {
		t.Errorf("error %q does not name the server and the limit", msg)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("endless EHLO: given up after %v; the server pushed %d KB; allocated %d KB in all, heap grew %d KB",
		elapsed.Round(time.Millisecond), sent.Load()>>10, allocated>>10, heap>>10)
	if allocated > 50<<20 || heap > 50<<20 {
		t.Errorf("allocated %d MB, heap grew %d MB, want under 50 MB", allocated>>20, heap>>20)
	}
}

// A greeting trickled one byte every 500 ms is given up after timeout
// (2 s), not a read time-out after each byte.
func TestConnect_TrickledGreeting(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t, smtptest.WithGreetingTrickle(500*time.Millisecond))
	head := serverFor("trickle", srv)
	head.Timeout = 2 * time.Second
	start := time.Now()
	err := newSession(t, head).Connect(ctxT(t))
	elapsed := time.Since(start)
	t.Logf("trickled greeting (1 byte / 500 ms, timeout 2s): given up after %v", elapsed.Round(time.Millisecond))
	e := asError(t, err)
	var ne net.Error
	if e.Stage != "greeting" || e.Permanent || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error = %v (%+v), want a temporary time-out at the greeting", err, e)
	}
	if elapsed < 1500*time.Millisecond || elapsed > 10*time.Second {
		t.Errorf("given up after %v, want about 2s", elapsed)
	}
}

// The TLS handshake of security = tls is bounded as a whole by timeout: a
// server that trickles its handshake one byte every 200 ms is given up.
func TestConnect_TrickledTLSHandshake(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	certs := smtptest.NewTLSCerts(t)
	srv := smtptest.NewServer(t, smtptest.WithImplicitTLS(certs.Server), smtptest.WithGreetingTrickle(200*time.Millisecond))
	head := tlsServer("smtps", srv, config.SecurityTLS, certs)
	head.Timeout = 2 * time.Second
	start := time.Now()
	err := newSession(t, head).Connect(ctxT(t))
	elapsed := time.Since(start)
	t.Logf("trickled TLS handshake (timeout 2s): given up after %v: %v", elapsed.Round(time.Millisecond), err)
	e := asError(t, err)
	if e.Stage != "tls" || e.Permanent || e.Cause != cause.TLSFailed {
		t.Errorf("error = %+v, want a temporary tls-failed", e)
	}
	if elapsed < 1500*time.Millisecond || elapsed > 10*time.Second {
		t.Errorf("given up after %v, want about 2s", elapsed)
	}
}

// The AUTH exchange is bounded as a whole: a server that answers each of
// LOGIN's two steps within timeout (2 s), but takes longer than timeout
// for both, is given up after timeout.
func TestAuth_SlowExchangeBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	const step = 1400 * time.Millisecond
	var raw *smtptest.RawServer
	raw = smtptest.NewRawServer(t, func(c net.Conn) {
		io.WriteString(c, "220 raw ESMTP\r\n")
		r := bufio.NewReader(c)
		steps := 0
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"):
				io.WriteString(c, "250-raw\r\n250 AUTH LOGIN\r\n")
			case cmd == "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			default: // AUTH LOGIN with the user name, then the password
				select {
				case <-time.After(step):
				case <-raw.Done():
					return
				}
				if steps++; steps == 1 {
					io.WriteString(c, "334 UGFzc3dvcmQ6\r\n")
				} else {
					io.WriteString(c, "235 2.7.0 ok\r\n")
				}
			}
		}
	})
	head := serverFor("slow", raw)
	head.Timeout = 2 * time.Second
	head.Username, head.Password = "lib", "s3cret"
	start := time.Now()
	err := newSession(t, head).Connect(ctxT(t))
	elapsed := time.Since(start)
	t.Logf("AUTH steps answered after 1.4 s each (timeout 2s): given up after %v", elapsed.Round(time.Millisecond))
	e := asError(t, err)
	if e.Stage != "auth" || e.Permanent || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v (%+v), want a temporary time-out at auth", err, e)
	}
	if !strings.Contains(err.Error(), "AUTH exchange took longer than timeout") {
		t.Errorf("error %q does not say why", err)
	}
	if elapsed < 1500*time.Millisecond || elapsed > 10*time.Second {
		t.Errorf("given up after %v, want about 2s", elapsed)
	}
}

// A reply trickled one byte every 500 ms, at RCPT or to the message, is
// given up after timeout (2 s), with and without PIPELINING; the message
// stays queued (a temporary error).
func TestSend_TrickledReply(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	for _, stage := range []smtptest.Stage{smtptest.StageRcpt, smtptest.StageData} {
		for _, on := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/pipelining=%v", stage, on), func(t *testing.T) {
				srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.TrickleReply(stage, 500*time.Millisecond)))
				head := serverFor("trickle", srv)
				head.Timeout = 2 * time.Second
				head.Pipelining = on
				s := newSession(t, head)
				start := time.Now()
				_, err := s.Send(ctxT(t), delivery("x"))
				elapsed := time.Since(start)
				t.Logf("%s reply trickled (1 byte / 500 ms, timeout 2s, pipelining %v): given up after %v", stage, on, elapsed.Round(time.Millisecond))
				e := asError(t, err)
				var ne net.Error
				if e.Permanent || !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("error = %v (%+v), want a temporary time-out", err, e)
				}
				if want := strings.ToLower(string(stage)); e.Stage != want {
					t.Errorf("stage = %q, want %q", e.Stage, want)
				}
				if elapsed < 1500*time.Millisecond || elapsed > 10*time.Second {
					t.Errorf("given up after %v, want about 2s", elapsed)
				}
			})
		}
	}
}

// Each reply of a pipelined group gets its own deadline from the moment it
// is awaited: a relay that takes most of timeout for each of several
// recipients is not given up.
func TestSend_PipelinedRepliesEachWithinTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.Delay(smtptest.StageRcpt, 700*time.Millisecond)))
	head := serverFor("slow", srv)
	head.Timeout = time.Second
	s := newSession(t, head)
	res, err := s.Send(ctxT(t), delivery("x", "b@example.org", "c@example.org", "d@example.org"))
	if err != nil || len(res.Accepted) != 3 {
		t.Fatalf("Send = %+v, %v; want 3 accepted", res, err)
	}
}

// fakeConn is a net.Conn that reads from r, takes every write, and
// records the deadlines set on it.
type fakeConn struct {
	r         io.Reader
	w         bytes.Buffer
	deadlines []time.Time
	read      int
}

func (f *fakeConn) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	f.read += n
	return n, err
}
func (f *fakeConn) Write(b []byte) (int, error)        { return f.w.Write(b) }
func (f *fakeConn) Close() error                       { return nil }
func (f *fakeConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (f *fakeConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (f *fakeConn) SetDeadline(t time.Time) error      { f.deadlines = append(f.deadlines, t); return nil }
func (f *fakeConn) SetReadDeadline(t time.Time) error  { return nil }
func (f *fakeConn) SetWriteDeadline(t time.Time) error { return nil }

// endless reads as "250-xxxx…\r\n" lines for ever.
type endless struct{ pos int }

func (e *endless) Read(b []byte) (int, error) {
	const line = "250-0123456789abcdef\r\n"
	for i := range b {
		b[i] = line[e.pos%len(line)]
		e.pos++
	}
	return len(b), nil
}

// A read phase has one deadline, set when the reply is awaited, and one
// budget of MaxReply bytes; the next write starts a write phase.
func TestReplyConn_ReadPhase(t *testing.T) {
	fc := &fakeConn{r: &endless{}}
	dc := &deadlineConn{Conn: fc}
	now := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	rc := newReplyConn(fc, dc, time.Minute)
	rc.now = func() time.Time { return now }
	tr := textproto.NewReader(bufio.NewReader(rc))
	_, _, err := tr.ReadResponse(250)
	if !errors.Is(err, ErrReplyTooLong) {
		t.Fatalf("ReadResponse = %v, want ErrReplyTooLong", err)
	}
	if fc.read > MaxReply {
		t.Errorf("read %d bytes, want at most %d", fc.read, MaxReply)
	}
	if want := []time.Time{now.Add(time.Minute), time.Unix(1, 0)}; len(fc.deadlines) != 2 || !fc.deadlines[0].Equal(want[0]) || !fc.deadlines[1].Equal(want[1]) {
		t.Errorf("deadlines = %v, want one for the reply (%v), then the stop", fc.deadlines, want)
	}
	// Stopped: nothing more goes through.
	if _, err := rc.Write([]byte("QUIT\r\n")); !errors.Is(err, ErrReplyTooLong) {
		t.Errorf("Write after the stop = %v", err)
	}
}

// A write phase: each Write gets timeout plus its own bytes at
// minWriteRate, and the phase as a whole timeout plus all its bytes at
// minWriteRate, from its first Write.
func TestReplyConn_WritePhase(t *testing.T) {
	fc := &fakeConn{r: strings.NewReader("250 ok\r\n")}
	dc := &deadlineConn{Conn: fc}
	now := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	const timeout = 10 * time.Second
	rc := newReplyConn(fc, dc, timeout)
	rc.now = func() time.Time { return now }
	chunk := make([]byte, minWriteRate) // a second's worth
	start := now
	var want []time.Time
	for i := range 30 {
		rc.Write(chunk)
		// The phase may take timeout + (i+1) s in all; this write
		// timeout + 1 s from now.
		want = append(want, minTime(start.Add(timeout+time.Duration(i+1)*time.Second), now.Add(timeout+time.Second)))
		now = now.Add(2 * time.Second) // a server taking 5 KB a second
	}
	for i := range want {
		if !fc.deadlines[i].Equal(want[i]) {
			t.Errorf("write %d: deadline %v, want %v", i, fc.deadlines[i].Sub(start), want[i].Sub(start))
		}
	}
	// At 5 KB a second, the phase cap (10 KB a second) takes over from
	// the per-write one after 10 writes: the deadline stops moving away.
	if last := fc.deadlines[len(want)-1].Sub(start); last != timeout+30*time.Second {
		t.Errorf("last deadline %v after the start, want %v", last, timeout+30*time.Second)
	}
	// A read starts a new phase with a deadline of its own.
	buf := make([]byte, 16)
	rc.Read(buf)
	if got := fc.deadlines[len(fc.deadlines)-1]; !got.Equal(now.Add(timeout)) {
		t.Errorf("read deadline %v, want %v", got, now.Add(timeout))
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// The pipelined path gives each reply its own budget: several replies
// together may exceed MaxReply, one may not.
func TestReplyConn_AwaitReplyRenewsBudget(t *testing.T) {
	line := "250-" + strings.Repeat("x", 996) + "\r\n"
	big := strings.Repeat(line, 60) + "250 ok\r\n" // 60 KB: one reply under the limit
	fc := &fakeConn{r: strings.NewReader(big + big + big)}
	dc := &deadlineConn{Conn: fc}
	rc := newReplyConn(fc, dc, time.Minute)
	c := &Conn{rc: rc, text: textproto.NewConn(rc)}
	for i := range 3 {
		if err := c.reply(250); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
}
