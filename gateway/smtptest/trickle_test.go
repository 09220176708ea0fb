package smtptest_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// readLine reads one line from r and how long its last byte took after
// its first.
func readLine(t *testing.T, r *bufio.Reader) (string, time.Duration) {
	t.Helper()
	first, err := r.ReadByte()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rest, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return string(first) + rest, time.Since(start)
}

func TestServer_GreetingTrickle(t *testing.T) {
	const every = 10 * time.Millisecond
	s := smtptest.NewServer(t, smtptest.WithGreetingTrickle(every))
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	line, took := readLine(t, bufio.NewReaderSize(c, 16))
	if !strings.HasPrefix(line, "220 ") {
		t.Fatalf("greeting = %q", line)
	}
	// Trickled: one byte every 10 ms, so the rest took about (n-1)*10 ms;
	// a ticker may drop ticks on a busy machine, never add them.
	if want := time.Duration(len(line)-1) * every; took < want*9/10 {
		t.Errorf("the %d-byte greeting took %v after its first byte, want at least %v", len(line), took, want*9/10)
	}
}

func TestServer_TrickleReplyAtData(t *testing.T) {
	const every = 10 * time.Millisecond
	s := smtptest.NewServer(t, smtptest.WithFault(smtptest.TrickleReply(smtptest.StageData, every)))
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if line, took := readLine(t, r); took > time.Second {
		t.Fatalf("greeting %q took %v: only the DATA reply should trickle", line, took)
	}
	for _, cmd := range []string{"EHLO x", "MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "DATA"} {
		io.WriteString(c, cmd+"\r\n")
		for {
			line, _ := readLine(t, r)
			if line[3] == ' ' {
				break
			}
		}
	}
	io.WriteString(c, "Subject: x\r\n\r\nx\r\n.\r\n")
	line, took := readLine(t, r)
	if !strings.HasPrefix(line, "250 ") {
		t.Fatalf("reply to the message = %q", line)
	}
	if want := time.Duration(len(line)-1) * every * 9 / 10; took < want {
		t.Errorf("the %d-byte reply took %v after its first byte, want at least %v", len(line), took, want)
	}
	s.WaitMessages(t, 1, 10*time.Second)
}

func TestEndlessEHLO(t *testing.T) {
	var sent atomic.Int64
	done := make(chan struct{})
	defer close(done)
	raw := smtptest.NewRawServer(t, smtptest.EndlessEHLO(done, &sent))
	c, err := net.Dial("tcp", raw.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if line, _ := readLine(t, r); !strings.HasPrefix(line, "220 ") {
		t.Fatalf("greeting = %q", line)
	}
	io.WriteString(c, "EHLO x\r\n")
	for i := range 1000 { // 1 MB of continuation lines, and no end
		line, _ := readLine(t, r)
		if !strings.HasPrefix(line, "250-") {
			t.Fatalf("line %d = %.20q, want a continuation line", i, line)
		}
	}
	if n := sent.Load(); n < 1000*1000 {
		t.Errorf("sent = %d bytes, want at least the 1 MB read", n)
	}
}
