package mailbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/mailbox"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// bounceServer is the [bounces] server for s, over IMAPS (SecurityTLS)
// or STARTTLS, trusting only s's CA.
func bounceServer(s *smtptest.IMAPServer, sec config.Security) *config.Server {
	port := s.ImplicitPort()
	if sec == config.SecurityStartTLS {
		port = s.StartTLSPort()
	}
	return &config.Server{
		Name: "bounces", Host: s.Host(), Port: port, Security: sec, TLSVerify: true, RootCAs: s.CAPool,
		Username: smtptest.IMAPUser, Password: smtptest.IMAPPassword,
		ConnectTimeout: 10 * time.Second, Timeout: 30 * time.Second,
	}
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func open(t *testing.T, srv *config.Server) *mailbox.Box {
	t.Helper()
	b, err := mailbox.Open(context.Background(), srv, "INBOX", testLog(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func message(n int) []byte {
	return fmt.Appendf(nil, "From: a@example.org\r\nTo: b@example.org\r\nSubject: message %d\r\nMessage-ID: <m%d@example.org>\r\n\r\nbody %d\r\n", n, n, n)
}

func TestOpen_ImplicitTLSAndStartTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	s.Append(t, "INBOX", message(1))
	for _, sec := range []config.Security{config.SecurityTLS, config.SecurityStartTLS} {
		t.Run(string(sec), func(t *testing.T) {
			b := open(t, bounceServer(s, sec))
			got, err := b.Fetch(context.Background(), 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !strings.Contains(string(got[0].Raw), "body 1") {
				t.Errorf("Fetch = %+v", got)
			}
			if err := b.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := b.Close(); err != nil {
				t.Errorf("a second Close: %v", err)
			}
		})
	}
	s.WaitLog(t, 10*time.Second, "Login: user=<bounces>, method=PLAIN", "TLS")
}

func TestOpen_WrongPassword(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	for _, sec := range []config.Security{config.SecurityTLS, config.SecurityStartTLS} {
		srv := bounceServer(s, sec)
		srv.Password = "not the password"
		srv.PasswordFile = "/etc/spoolgate/bounce-password"
		_, err := mailbox.Open(context.Background(), srv, "INBOX", testLog(t))
		if !errors.Is(err, mailbox.ErrLoginRefused) || !mailbox.IsPermanent(err) {
			t.Fatalf("%s: err = %v, want a permanent ErrLoginRefused", sec, err)
		}
		msg := err.Error()
		for _, want := range []string{"refused the login", "AUTHENTICATIONFAILED", "check [bounces] username and password_file (/etc/spoolgate/bounce-password)"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: the error %q does not say %q", sec, msg, want)
			}
		}
		if strings.Contains(msg, srv.Password) {
			t.Errorf("the error holds the password: %q", msg)
		}
	}
}

func TestOpen_UntrustedCertificate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	other := smtptest.NewTLSCerts(t)
	for _, sec := range []config.Security{config.SecurityTLS, config.SecurityStartTLS} {
		srv := bounceServer(s, sec)
		srv.RootCAs = other.CAPool
		_, err := mailbox.Open(context.Background(), srv, "INBOX", testLog(t))
		if !errors.Is(err, mailbox.ErrCertificate) || !mailbox.IsPermanent(err) {
			t.Fatalf("%s: err = %v, want a permanent ErrCertificate", sec, err)
		}
		if !strings.Contains(err.Error(), "ca_file") {
			t.Errorf("%s: the error %q does not say what to do", sec, err)
		}
	}
	// tls_verify = false: the administrator's choice.
	srv := bounceServer(s, config.SecurityTLS)
	srv.RootCAs, srv.TLSVerify = other.CAPool, false
	open(t, srv)
}

func TestOpen_NoneOnlyToLoopback(t *testing.T) {
	srv := &config.Server{Host: "192.0.2.1", Port: 143, Security: config.SecurityNone, Username: "u", Password: "p", ConnectTimeout: time.Second, Timeout: time.Second}
	_, err := mailbox.Open(context.Background(), srv, "", nil)
	if !errors.Is(err, mailbox.ErrNoTLS) || !mailbox.IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent ErrNoTLS", err)
	}
}

func TestOpen_MissingFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	_, err := mailbox.Open(context.Background(), bounceServer(s, config.SecurityTLS), "Bounces", testLog(t))
	if !errors.Is(err, mailbox.ErrNoFolder) || !mailbox.IsPermanent(err) || !strings.Contains(err.Error(), "[bounces] folder") {
		t.Fatalf("err = %v, want a permanent ErrNoFolder naming [bounces] folder", err)
	}
}

func TestFetch_OldestFirstAndUnseen(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	var uids []uint32
	for i := 1; i <= 3; i++ {
		uids = append(uids, s.Append(t, "INBOX", message(i)))
	}
	b := open(t, bounceServer(s, config.SecurityTLS))
	got, err := b.Fetch(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Fetch(2) gave %d messages", len(got))
	}
	for i, m := range got {
		if m.UID != uids[i] || m.UIDValidity == 0 || m.UIDValidity != b.UIDValidity() || m.TooLarge || m.Size != int64(len(message(i+1))) {
			t.Errorf("message %d: %+v", i, m)
		}
		if string(m.Raw) != string(message(i+1)) {
			t.Errorf("message %d: raw %q", i, m.Raw)
		}
	}
	// A message appended after Open is seen by the next Fetch.
	uids = append(uids, s.Append(t, "INBOX", message(4)))
	all, err := b.Fetch(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || all[3].UID != uids[3] {
		t.Errorf("Fetch(0) = %d messages, want 4 ending with UID %d", len(all), uids[3])
	}
	for _, m := range s.List(t, "INBOX") {
		if m.Seen() {
			t.Errorf("Fetch marked UID %d \\Seen (flags %v)", m.UID, m.Flags)
		}
	}
}

func TestFetch_TooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	big := append(message(1), []byte(strings.Repeat("x", 5000)+"\r\n")...)
	bigUID := s.Append(t, "INBOX", big)
	smallUID := s.Append(t, "INBOX", message(2))
	b := open(t, bounceServer(s, config.SecurityTLS))
	b.MaxSize = 1000
	got, err := b.Fetch(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Fetch = %+v", got)
	}
	if m := got[0]; m.UID != bigUID || !m.TooLarge || m.Raw != nil || m.Size != int64(len(big)) {
		t.Errorf("the large message: UID %d TooLarge %v %d bytes read, size %d", m.UID, m.TooLarge, len(m.Raw), m.Size)
	}
	if m := got[1]; m.UID != smallUID || m.TooLarge || len(m.Raw) == 0 {
		t.Errorf("the small message: %+v", m)
	}
	// Not read whole: Dovecot counts the bodies it sent.
	b.Close()
	s.WaitLog(t, 10*time.Second, "Logged out", "body_count=1 body_bytes="+fmt.Sprint(len(message(2))))
}

func TestMove(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	u1 := s.Append(t, "INBOX", message(1))
	u2 := s.Append(t, "INBOX", message(2))
	u3 := s.Append(t, "INBOX", message(3))
	// Someone else's message marked \Deleted is not expunged by a move.
	u4 := s.Append(t, "INBOX", message(4), `\Deleted`)
	b := open(t, bounceServer(s, config.SecurityStartTLS))
	ctx := context.Background()
	if err := b.Move(ctx, u1, mailbox.Processed); err != nil {
		t.Fatal(err)
	}
	if err := b.Move(ctx, u2, mailbox.Unrecognised); err != nil {
		t.Fatal(err)
	}
	if err := b.Move(ctx, u3, mailbox.Processed); err != nil {
		t.Fatal(err)
	}
	// Moving a UID again changes nothing, and says so.
	err := b.Move(ctx, u1, mailbox.Processed)
	if !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("a second Move: %v, want ErrNotFound", err)
	}
	inbox := s.List(t, "INBOX")
	if len(inbox) != 1 || inbox[0].UID != u4 {
		t.Errorf("INBOX holds %+v, want only UID %d", inbox, u4)
	}
	processed := s.List(t, "spoolgate/processed")
	if len(processed) != 2 || string(processed[0].Raw) != string(message(1)) || string(processed[1].Raw) != string(message(3)) {
		t.Errorf("spoolgate/processed holds %d messages", len(processed))
	}
	if l := s.List(t, "spoolgate/unrecognised"); len(l) != 1 || string(l[0].Raw) != string(message(2)) {
		t.Errorf("spoolgate/unrecognised holds %d messages", len(l))
	}
	got, err := b.Fetch(ctx, 10)
	if err != nil || len(got) != 1 || got[0].UID != u4 {
		t.Errorf("Fetch after the moves: %v, %v", got, err)
	}
	// A new connection finds the folders made.
	b2 := open(t, bounceServer(s, config.SecurityTLS))
	if err := b2.Move(ctx, u4, mailbox.Processed); err != nil {
		t.Fatal(err)
	}
	if n := len(s.List(t, "spoolgate/processed")); n != 3 {
		t.Errorf("spoolgate/processed holds %d, want 3", n)
	}
}

func TestOpen_StalledServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // accepted, and never answered
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, sec := range []config.Security{config.SecurityNone, config.SecurityTLS} {
		srv := &config.Server{Host: "127.0.0.1", Port: port, Security: sec, TLSVerify: true, Username: "u", Password: "p",
			ConnectTimeout: time.Second, Timeout: 500 * time.Millisecond}
		start := time.Now()
		_, err := mailbox.Open(context.Background(), srv, "", nil)
		took := time.Since(start)
		if err == nil || mailbox.IsPermanent(err) {
			t.Errorf("%s: err = %v, want a temporary error", sec, err)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("%s: err = %v, want a time-out", sec, err)
		}
		if took > 5*time.Second {
			t.Errorf("%s: Open took %v with Timeout = 500ms", sec, took)
		}
	}
	// A context's deadline sooner than Timeout wins.
	srv := &config.Server{Host: "127.0.0.1", Port: port, Security: config.SecurityNone, Username: "u", Password: "p",
		ConnectTimeout: time.Second, Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := mailbox.Open(ctx, srv, "", nil); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("Open under a 300ms context: %v after %v", err, time.Since(start))
	}
}
