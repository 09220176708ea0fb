package mailbox_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/mailbox"
)

// scripted is an in-process IMAP server for what a real Dovecot can't be
// made to do: leave out MOVE or UIDPLUS, or send a literal larger than
// the size it gave. It keeps every command it got.
type scripted struct {
	caps string
	body map[string]string // UID → the BODY[] it sends, as a literal
	// stall: a command that begins so gets no answer, ever.
	stall string

	mu       sync.Mutex
	commands []string
}

func startScripted(t *testing.T, s *scripted) *config.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return &config.Server{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Security: config.SecurityNone,
		Username: "u", Password: "p", ConnectTimeout: 5 * time.Second, Timeout: 10 * time.Second}
}

func (s *scripted) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	fmt.Fprintf(c, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN %s] scripted\r\n", s.caps)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		tag, cmd, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		s.mu.Lock()
		s.commands = append(s.commands, cmd)
		s.mu.Unlock()
		if s.stall != "" && strings.HasPrefix(cmd, s.stall) {
			io.Copy(io.Discard, r)
			return
		}
		var out string
		switch f := strings.Fields(cmd); {
		case strings.HasPrefix(cmd, "CAPABILITY"):
			out = "* CAPABILITY IMAP4rev1 " + s.caps + "\r\n"
		case strings.HasPrefix(cmd, "SELECT"):
			out = "* 2 EXISTS\r\n* OK [UIDVALIDITY 7] UIDs valid\r\n"
		case cmd == "UID SEARCH ALL":
			out = "* SEARCH 5 9\r\n"
		case strings.HasPrefix(cmd, "UID SEARCH UID "):
			out = "* SEARCH " + f[3] + "\r\n"
		case strings.HasSuffix(cmd, "(UID RFC822.SIZE)"):
			out = "* 1 FETCH (UID 5 RFC822.SIZE 10)\r\n* 2 FETCH (UID 9 RFC822.SIZE 20)\r\n"
		case strings.HasSuffix(cmd, "(UID BODY.PEEK[])"):
			b := s.body[f[2]]
			out = fmt.Sprintf("* 1 FETCH (FLAGS (\\Recent) UID %s BODY[] {%d}\r\n%s)\r\n", f[2], len(b), b)
		case cmd == `LIST "" ""`:
			out = "* LIST (\\Noselect) \"/\" \"\"\r\n"
		case strings.HasPrefix(cmd, "LOGOUT"):
			out = "* BYE bye\r\n"
		}
		fmt.Fprintf(c, "%s%s OK done\r\n", out, tag)
		if strings.HasPrefix(cmd, "LOGOUT") {
			return
		}
	}
}

func (s *scripted) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

func TestMove_UIDPLUSWithoutMOVE(t *testing.T) {
	s := &scripted{caps: "UIDPLUS"}
	b, err := mailbox.Open(context.Background(), startScripted(t, s), "INBOX", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Move(context.Background(), 9, mailbox.Processed); err != nil {
		t.Fatal(err)
	}
	got := s.got()
	for _, want := range []string{`CREATE "spoolgate"`, `CREATE "spoolgate/processed"`, `UID COPY 9 "spoolgate/processed"`, `UID STORE 9 +FLAGS.SILENT (\Deleted)`, "UID EXPUNGE 9"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %q in %q", want, got)
		}
	}
	for _, c := range got {
		if strings.HasPrefix(c, "EXPUNGE") || strings.HasPrefix(c, "CLOSE") {
			t.Errorf("a plain %q, which removes every \\Deleted message", c)
		}
	}
}

func TestMove_NeitherMOVENorUIDPLUS(t *testing.T) {
	s := &scripted{}
	b, err := mailbox.Open(context.Background(), startScripted(t, s), "INBOX", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Move(context.Background(), 9, mailbox.Processed)
	if !errors.Is(err, mailbox.ErrNoMove) || !mailbox.IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent ErrNoMove", err)
	}
	for _, c := range s.got() {
		if strings.Contains(c, "COPY") || strings.Contains(c, "STORE") || strings.Contains(c, "EXPUNGE") {
			t.Errorf("sent %q", c)
		}
	}
}

// A server that sends a literal larger than the size it gave: the literal
// is read past, not kept, and the connection stays usable.
func TestFetch_LiteralOverTheBound(t *testing.T) {
	s := &scripted{caps: "MOVE", body: map[string]string{"5": strings.Repeat("x", 5000), "9": "Subject: ok\r\n\r\nok\r\n"}}
	b, err := mailbox.Open(context.Background(), startScripted(t, s), "INBOX", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.MaxSize = 100
	got, err := b.Fetch(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].TooLarge || got[0].Raw != nil || got[0].Size != 5000 || got[0].UIDValidity != 7 {
		t.Fatalf("Fetch = %+v", got)
	}
	if string(got[1].Raw) != s.body["9"] {
		t.Errorf("the second message: %q", got[1].Raw)
	}
	if err := b.Move(context.Background(), 9, mailbox.Unrecognised); err != nil {
		t.Errorf("Move after it: %v", err)
	}
}

// A server that stops answering in the middle of a session: the command
// times out within Timeout, the error is temporary, and the Box then
// fails at once, without waiting again.
func TestFetch_StalledServerTimesOut(t *testing.T) {
	s := &scripted{caps: "MOVE", stall: "UID SEARCH"}
	srv := startScripted(t, s)
	srv.Timeout = 500 * time.Millisecond
	b, err := mailbox.Open(context.Background(), srv, "INBOX", testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	start := time.Now()
	_, err = b.Fetch(context.Background(), 10)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || mailbox.IsPermanent(err) {
		t.Fatalf("err = %v, want a temporary time-out", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Fetch took %v with Timeout = 500ms", took)
	}
	start = time.Now()
	if _, err := b.Fetch(context.Background(), 10); err == nil || time.Since(start) > time.Second {
		t.Errorf("a Fetch after the time-out: %v after %v", err, time.Since(start))
	}
	if err := b.Move(context.Background(), 5, mailbox.Processed); err == nil {
		t.Errorf("a Move after the time-out succeeded")
	}
	start = time.Now()
	b.Close()
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close of a broken connection took %v", took)
	}
}
