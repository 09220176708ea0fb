package relay

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

const waitLong = 20 * time.Second

// plainServer describes srv as a config.Server without TLS.
// pipelining is what plainServer sets. The tests of Send run with it on
// (go-smtp's server offers PIPELINING), and TestSend_OneCommandAtATime runs
// them again with it off.
var pipelining = true

func plainServer(name, host string, port int) *config.Server {
	return &config.Server{
		Name:           name,
		Host:           host,
		Port:           port,
		Security:       config.SecurityNone,
		TLSVerify:      true,
		HELO:           "spoolgate.test",
		ConnectTimeout: 10 * time.Second,
		Timeout:        10 * time.Second,
		Connections:    1,
		Pipelining:     pipelining,
	}
}

func serverFor(name string, s interface {
	Host() string
	Port() int
}) *config.Server {
	return plainServer(name, s.Host(), s.Port())
}

// chain links servers in order and returns the head.
func chain(srvs ...*config.Server) *config.Server {
	for i := 0; i+1 < len(srvs); i++ {
		srvs[i].Next = srvs[i+1]
	}
	return srvs[0]
}

// testLogger logs to t until the test ends.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// slogTo logs to w.
func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func newSession(t *testing.T, head *config.Server) *Session {
	t.Helper()
	s := NewSession(head, testLogger(t))
	t.Cleanup(func() { s.Close() })
	return s
}

func testMessage(subject string) []byte {
	return []byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: " + subject + "\r\n\r\nHello.\r\n")
}

func delivery(subject string, to ...string) *Delivery {
	if len(to) == 0 {
		to = []string{"b@example.org"}
	}
	return &Delivery{From: "a@example.org", To: to, Data: testMessage(subject)}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	t.Cleanup(cancel)
	return ctx
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}

func TestSend_Success(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithTranscript())
	head := serverFor("smtp", srv)
	s := newSession(t, head)

	data := []byte("From: a@example.org\r\nSubject: dots\r\n\r\n" +
		".starts with a dot\r\n" +
		"..two dots\r\n" +
		".\r\n" +
		"middle . dot\r\n" +
		"last line\r\n")
	d := &Delivery{From: "a@example.org", To: []string{"b@example.org", "c@example.org"}, Data: data}
	res, err := s.Send(ctxT(t), d)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if want := []string{"b@example.org", "c@example.org"}; !reflect.DeepEqual(res.Accepted, want) {
		t.Errorf("Accepted = %v, want %v", res.Accepted, want)
	}
	if len(res.Refused) != 0 || len(res.Deferred) != 0 {
		t.Errorf("Refused = %v, Deferred = %v, want none", res.Refused, res.Deferred)
	}
	if want := fmt.Sprintf("smtp (127.0.0.1:%d)", srv.Port()); res.Server != want {
		t.Errorf("Server = %q, want %q", res.Server, want)
	}
	if res.Reply != "250 2.0.0 OK: queued" {
		t.Errorf("Reply = %q", res.Reply)
	}
	if res.QueueID != "" {
		t.Errorf("QueueID = %q, want none", res.QueueID)
	}

	msgs := srv.WaitMessages(t, 1, waitLong)
	m := msgs[0]
	if m.From != d.From || !reflect.DeepEqual(m.To, d.To) {
		t.Errorf("envelope = %q %v, want %q %v", m.From, m.To, d.From, d.To)
	}
	if !bytes.Equal(m.Data, data) {
		t.Errorf("data =\n%q\nwant\n%q", m.Data, data)
	}
	if m.Size != int64(len(data)) {
		t.Errorf("SIZE = %d, want %d", m.Size, len(data))
	}
	if !m.Body8Bit {
		t.Errorf("BODY=8BITMIME was not sent to a server that offers it")
	}
	if m.UTF8 {
		t.Errorf("SMTPUTF8 was sent for an ASCII message")
	}
	// The dots went over the wire stuffed.
	if tr := srv.Transcript(); !strings.Contains(tr, "\r\n..starts with a dot\r\n...two dots\r\n..\r\n") {
		t.Errorf("transcript lacks the dot-stuffed lines:\n%s", tr)
	}
	if tr := srv.Transcript(); !strings.Contains(tr, "EHLO spoolgate.test\r\n") {
		t.Errorf("transcript lacks EHLO spoolgate.test:\n%s", tr)
	}
}

func TestSend_ReusesConnection(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithTranscript())
	s := newSession(t, serverFor("smtp", srv))
	for i := range 3 {
		if _, err := s.Send(ctxT(t), delivery(fmt.Sprint("message ", i))); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	srv.WaitMessages(t, 3, waitLong)
	if n := srv.Connections(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	if tr := srv.Transcript(); strings.Contains(tr, "RSET") {
		t.Errorf("RSET sent between successful messages:\n%s", tr)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitFor(t, "QUIT in the transcript", func() bool { return strings.Contains(srv.Transcript(), "QUIT\r\n221 ") })
}

// waitFor polls cond for up to waitLong.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSend_RefusedAtMail(t *testing.T) {
	for _, tc := range []struct {
		code      int
		enh       [3]int
		permanent bool
	}{
		{451, [3]int{4, 3, 0}, false},
		{550, [3]int{5, 7, 1}, true},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithTranscript(),
				smtptest.WithFault(smtptest.At(smtptest.StageMail, smtptest.Refuse(tc.code, tc.enh, "not now"))))
			s := newSession(t, serverFor("smtp", srv))
			res, err := s.Send(ctxT(t), delivery("x"))
			if res != nil {
				t.Errorf("Result = %+v, want nil", res)
			}
			e := asError(t, err)
			if e.Stage != "mail" || e.Code != tc.code || e.Permanent != tc.permanent || IsPermanent(err) != tc.permanent {
				t.Errorf("error = %+v, want stage mail, code %d, permanent %v", e, tc.code, tc.permanent)
			}
			wantReply := fmt.Sprintf("%d %d.%d.%d not now", tc.code, tc.enh[0], tc.enh[1], tc.enh[2])
			if e.Reply != wantReply || e.Enhanced != fmt.Sprintf("%d.%d.%d", tc.enh[0], tc.enh[1], tc.enh[2]) {
				t.Errorf("Reply = %q, Enhanced = %q, want %q", e.Reply, e.Enhanced, wantReply)
			}
			if e.Temporary() == tc.permanent {
				t.Errorf("Temporary() = %v", e.Temporary())
			}

			// The connection stays usable: RSET, then the next message (to
			// another recipient: one deferred here would get a new
			// connection, see TestSend_ReconnectsAfterMessageDeferred).
			srv.SetFault(nil)
			if _, err := s.Send(ctxT(t), delivery("y", "other@example.org")); err != nil {
				t.Fatalf("second Send: %v", err)
			}
			if n := srv.Connections(); n != 1 {
				t.Errorf("%d connections, want 1", n)
			}
			if !strings.Contains(srv.Transcript(), "RSET\r\n250 ") {
				t.Errorf("no RSET after the failed transaction:\n%s", srv.Transcript())
			}
		})
	}
}

func TestSend_SomeRecipientsRefused(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(func(stage smtptest.Stage, arg string) *smtptest.Reply {
		switch {
		case stage == smtptest.StageRcpt && arg == "gone@example.org":
			return smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user")
		case stage == smtptest.StageRcpt && arg == "full@example.org":
			return smtptest.Refuse(452, [3]int{4, 2, 2}, "mailbox full")
		}
		return nil
	}))
	s := newSession(t, serverFor("smtp", srv))
	res, err := s.Send(ctxT(t), delivery("x", "ok@example.org", "gone@example.org", "full@example.org", "ok2@example.org"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if want := []string{"ok@example.org", "ok2@example.org"}; !reflect.DeepEqual(res.Accepted, want) {
		t.Errorf("Accepted = %v, want %v", res.Accepted, want)
	}
	if e := res.Refused["gone@example.org"]; len(res.Refused) != 1 || e == nil || !e.Permanent || e.Code != 550 || e.Stage != "rcpt" || e.Reply != "550 5.1.1 no such user" {
		t.Errorf("Refused = %v", res.Refused)
	}
	if e := res.Deferred["full@example.org"]; len(res.Deferred) != 1 || e == nil || e.Permanent || e.Code != 452 || e.Enhanced != "4.2.2" {
		t.Errorf("Deferred = %v", res.Deferred)
	}
	m := srv.WaitMessages(t, 1, waitLong)[0]
	if want := []string{"ok@example.org", "ok2@example.org"}; !reflect.DeepEqual(m.To, want) {
		t.Errorf("server got To = %v, want %v", m.To, want)
	}
}

func TestSend_AllRecipientsRefused(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithTranscript(), smtptest.WithFault(func(stage smtptest.Stage, arg string) *smtptest.Reply {
		if stage != smtptest.StageRcpt {
			return nil
		}
		if arg == "later@example.org" {
			return smtptest.Refuse(450, [3]int{4, 2, 0}, "try later")
		}
		return smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user")
	}))
	s := newSession(t, serverFor("smtp", srv))
	res, err := s.Send(ctxT(t), delivery("x", "gone@example.org", "later@example.org"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(res.Accepted) != 0 || len(res.Refused) != 1 || len(res.Deferred) != 1 || res.Reply != "" {
		t.Errorf("Result = %+v, want one refused, one deferred, none accepted, no reply", res)
	}
	tr := srv.Transcript()
	if strings.Contains(tr, "Subject: x") {
		t.Errorf("the message went out with no recipient:\n%s", tr)
	}
	if !pipelining && strings.Contains(tr, "DATA") {
		t.Errorf("DATA sent with no recipient:\n%s", tr)
	}
	if !strings.Contains(tr, "RSET\r\n") {
		t.Errorf("no RSET after the refused transaction:\n%s", tr)
	}
	// The connection goes on.
	srv.SetFault(nil)
	if _, err := s.Send(ctxT(t), delivery("y")); err != nil {
		t.Fatalf("second Send: %v", err)
	}
	if n := srv.Connections(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestSend_RefusedAtData(t *testing.T) {
	for _, tc := range []struct {
		code      int
		permanent bool
	}{
		{452, false},
		{554, true},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageData,
				smtptest.Refuse(tc.code, [3]int{tc.code / 100, 6, 0}, "content refused"))))
			s := newSession(t, serverFor("smtp", srv))
			_, err := s.Send(ctxT(t), delivery("x"))
			e := asError(t, err)
			if e.Stage != "data" || e.Code != tc.code || e.Permanent != tc.permanent {
				t.Errorf("error = %+v, want stage data, code %d, permanent %v", e, tc.code, tc.permanent)
			}
			srv.SetFault(nil)
			if _, err := s.Send(ctxT(t), delivery("y")); err != nil {
				t.Fatalf("second Send: %v", err)
			}
			if n := len(srv.Messages()); n != 1 {
				t.Errorf("%d messages, want 1", n)
			}
		})
	}
}

func TestSend_QueueID(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageData,
		&smtptest.Reply{Code: 250, Enhanced: [3]int{2, 0, 0}, Message: "Ok: queued as 4F2A1B3C"})))
	s := newSession(t, serverFor("smtp", srv))
	res, err := s.Send(ctxT(t), delivery("x"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.Reply != "250 2.0.0 Ok: queued as 4F2A1B3C" || res.QueueID != "4F2A1B3C" {
		t.Errorf("Reply = %q, QueueID = %q", res.Reply, res.QueueID)
	}
}

func TestSend_CutAfterData(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.CutAfterData()))
	s := newSession(t, serverFor("smtp", srv))
	_, err := s.Send(ctxT(t), delivery("x"))
	e := asError(t, err)
	if e.Stage != "data" || e.Permanent || IsPermanent(err) {
		t.Errorf("error = %+v, want a temporary error at data", e)
	}
	// The dead connection was dropped: the next Send reconnects.
	srv.SetFault(nil)
	if _, err := s.Send(ctxT(t), delivery("y")); err != nil {
		t.Fatalf("second Send: %v", err)
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestSend_StalledServerTimesOut(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	for _, stage := range []smtptest.Stage{smtptest.StageRcpt, smtptest.StageData} {
		t.Run(string(stage), func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.Stall(stage)))
			head := serverFor("smtp", srv)
			head.Timeout = time.Second
			s := newSession(t, head)
			start := time.Now()
			_, err := s.Send(ctxT(t), delivery("x"))
			elapsed := time.Since(start)
			e := asError(t, err)
			if e.Permanent {
				t.Errorf("error = %+v, want temporary", e)
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("error %v is not a time-out", err)
			}
			// Timeout is 1 s; allow a slow machine plenty, but far less
			// than the 10 s it would take without the per-I/O deadline.
			if elapsed > 8*time.Second {
				t.Errorf("gave up after %v, want about 1s", elapsed)
			}
		})
	}
}

func TestSend_DelayWithinTimeout(t *testing.T) {
	// A server that is slow, but answers within Timeout, is fine.
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.Delay(smtptest.StageData, 300*time.Millisecond)))
	head := serverFor("smtp", srv)
	head.Timeout = 5 * time.Second
	s := newSession(t, head)
	if _, err := s.Send(ctxT(t), delivery("x")); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

func TestSend_ContextEndsStalledSend(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.Stall(smtptest.StageData)))
	head := serverFor("smtp", srv)
	head.Timeout = time.Minute
	s := newSession(t, head)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	_, err := s.Send(ctx, delivery("x"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want one wrapping context.Canceled", err)
	}
	if IsPermanent(err) {
		t.Errorf("a cancelled send is permanent")
	}
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("took %v", elapsed)
	}
	// The session recovers with a new connection.
	srv.SetFault(nil)
	if _, err := s.Send(ctxT(t), delivery("y")); err != nil {
		t.Fatalf("second Send: %v", err)
	}
}

func TestSend_ReconnectsAfterServerClosed(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.CloseAfterEachMessage()))
	s := newSession(t, serverFor("smtp", srv))
	for i := range 3 {
		if _, err := s.Send(ctxT(t), delivery(fmt.Sprint(i))); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	srv.WaitMessages(t, 3, waitLong)
	if n := srv.Connections(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
}

func TestSend_421AtMailReconnectsOnce(t *testing.T) {
	srv := smtptest.NewServer(t)
	s := newSession(t, serverFor("smtp", srv))
	if _, err := s.Send(ctxT(t), delivery("1")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	srv.SetFault(smtptest.At(smtptest.StageMail, smtptest.Refuse(421, [3]int{4, 3, 2}, "shutting down")))
	_, err := s.Send(ctxT(t), delivery("2"))
	e := asError(t, err)
	if e.Stage != "mail" || e.Code != 421 || e.Permanent {
		t.Errorf("error = %+v, want a temporary 421 at mail", e)
	}
	// Once on the kept connection, once on a new one; not more.
	if n := srv.Connections(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	// And the 421 connection was dropped: the next Send connects anew.
	srv.SetFault(nil)
	if _, err := s.Send(ctxT(t), delivery("3")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := srv.Connections(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
}

// Raw UTF-8 header text goes RFC 2047-encoded (Data), without SMTPUTF8,
// even to a relay that offers SMTPUTF8: Postfix offers it by default and
// then bounces the message when its next hop (Dovecot's LMTP, an older
// Exchange) lacks it. Only an address that is not ASCII needs SMTPUTF8,
// and then DataUTF8 goes.
func TestSend_SMTPUTF8(t *testing.T) {
	encoded := []byte("From: a@example.org\r\nSubject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nHello.\r\n")
	raw := []byte("From: a@example.org\r\nSubject: Grüße\r\n\r\nHello.\r\n")
	for _, offered := range []bool{true, false} {
		t.Run(fmt.Sprint("offered=", offered), func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithSMTPUTF8(offered), smtptest.WithTranscript())
			s := newSession(t, serverFor("smtp", srv))
			d := &Delivery{From: "a@example.org", To: []string{"b@example.org"}, Data: encoded, DataUTF8: raw}
			if _, err := s.Send(ctxT(t), d); err != nil {
				t.Fatalf("Send: %v", err)
			}
			m := srv.WaitMessages(t, 1, waitLong)[0]
			if m.UTF8 || !bytes.Equal(m.Data, encoded) {
				t.Errorf("SMTPUTF8 = %v, data = %q; want no SMTPUTF8 and %q", m.UTF8, m.Data, encoded)
			}
			want := fmt.Sprintf("MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=%d\r\n", len(encoded))
			if tr := srv.Transcript(); !strings.Contains(tr, want) {
				t.Errorf("transcript lacks %q:\n%s", want, tr)
			}
		})
	}
	t.Run("international address", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.WithSMTPUTF8(true), smtptest.WithTranscript())
		s := newSession(t, serverFor("smtp", srv))
		d := &Delivery{From: "a@example.org", To: []string{"jörg@example.org"}, Data: encoded, DataUTF8: raw, NeedsUTF8: true}
		if _, err := s.Send(ctxT(t), d); err != nil {
			t.Fatalf("Send: %v", err)
		}
		m := srv.WaitMessages(t, 1, waitLong)[0]
		if !m.UTF8 || !bytes.Equal(m.Data, raw) {
			t.Errorf("SMTPUTF8 = %v, data = %q; want SMTPUTF8 and %q", m.UTF8, m.Data, raw)
		}
		want := fmt.Sprintf("MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=%d SMTPUTF8\r\n", len(raw))
		if tr := srv.Transcript(); !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	})
}

func TestSend_InternationalAddress(t *testing.T) {
	d := &Delivery{From: "a@example.org", To: []string{"jörg@exämple.org"}, Data: testMessage("x"), NeedsUTF8: true}

	t.Run("offered", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.WithSMTPUTF8(true))
		s := newSession(t, serverFor("smtp", srv))
		if _, err := s.Send(ctxT(t), d); err != nil {
			t.Fatalf("Send: %v", err)
		}
		m := srv.WaitMessages(t, 1, waitLong)[0]
		if !m.UTF8 || m.To[0] != "jörg@exämple.org" {
			t.Errorf("UTF8 = %v, To = %v", m.UTF8, m.To)
		}
	})
	t.Run("not offered", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.WithTranscript())
		s := newSession(t, serverFor("smtp", srv))
		_, err := s.Send(ctxT(t), d)
		e := asError(t, err)
		if !e.Permanent || e.Stage != "mail" || !errors.Is(err, ErrNoSMTPUTF8) || !strings.Contains(e.Error(), "does not support international (non-ASCII) addresses") {
			t.Errorf("error = %v (%+v), want a permanent refusal at mail", e, e)
		}
		if strings.Contains(srv.Transcript(), "MAIL FROM") {
			t.Errorf("MAIL was sent:\n%s", srv.Transcript())
		}
	})
}

func TestSend_SizeExceeded(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithMaxSize(100), smtptest.WithTranscript())
	s := newSession(t, serverFor("smtp", srv))
	d := delivery("x")
	d.Data = append(d.Data, bytes.Repeat([]byte("0123456789\r\n"), 20)...)
	_, err := s.Send(ctxT(t), d)
	e := asError(t, err)
	want := fmt.Sprintf("the relay accepts at most 100 bytes (SIZE 100); this message is %d bytes", len(d.Data))
	if !e.Permanent || e.Stage != "mail" || !errors.Is(err, ErrTooLarge) || !strings.Contains(e.Error(), want) {
		t.Errorf("error = %v (%+v), want a permanent refusal at mail wrapping ErrTooLarge: %q", e, e, want)
	}
	if tr := srv.Transcript(); strings.Contains(tr, "MAIL FROM") || strings.Contains(tr, "DATA") {
		t.Errorf("MAIL or DATA was sent:\n%s", tr)
	}
	// A message that fits goes through on the same connection.
	if _, err := s.Send(ctxT(t), delivery("small")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !strings.Contains(srv.Transcript(), fmt.Sprintf("SIZE=%d", len(testMessage("small")))) {
		t.Errorf("MAIL without SIZE:\n%s", srv.Transcript())
	}
}

func TestSend_NoRecipients(t *testing.T) {
	srv := smtptest.NewServer(t)
	s := newSession(t, serverFor("smtp", srv))
	_, err := s.Send(ctxT(t), &Delivery{From: "a@example.org", Data: testMessage("x")})
	if !IsPermanent(err) || !errors.Is(err, ErrNoRecipients) {
		t.Errorf("error = %v, want permanent", err)
	}
}

// stopsReadingInData plays a server that takes MAIL, RCPT and DATA and
// then stops reading, so that the client's writes block once the socket
// buffers are full.
func stopsReadingInData(t *testing.T) *smtptest.RawServer {
	var raw *smtptest.RawServer
	raw = smtptest.NewRawServer(t, func(c net.Conn) {
		io.WriteString(c, "220 raw ESMTP\r\n")
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"):
				io.WriteString(c, "250-raw\r\n250 8BITMIME\r\n")
			case cmd == "DATA":
				io.WriteString(c, "354 go ahead\r\n")
				<-raw.Done()
				return
			default:
				io.WriteString(c, "250 ok\r\n")
			}
		}
	})
	return raw
}

func TestSend_ServerStopsReadingData(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	raw := stopsReadingInData(t)
	head := serverFor("smtp", raw)
	head.Timeout = time.Second
	s := newSession(t, head)
	d := delivery("big")
	d.Data = append(d.Data, bytes.Repeat([]byte(strings.Repeat("x", 998)+"\r\n"), 64<<10)...) // 64 MB
	start := time.Now()
	_, err := s.Send(ctxT(t), d)
	elapsed := time.Since(start)
	e := asError(t, err)
	var ne net.Error
	if e.Stage != "data" || e.Permanent || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("error = %v (%+v), want a temporary time-out at data", err, e)
	}
	if elapsed > 8*time.Second {
		t.Errorf("gave up after %v, want about 1s", elapsed)
	}
}

// TestSend_OneCommandAtATime runs the tests of Send with pipelining = false,
// as for a relay that does not offer PIPELINING or mishandles it.
func TestSend_OneCommandAtATime(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	pipelining = false
	defer func() { pipelining = true }()
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"Success", TestSend_Success},
		{"ReusesConnection", TestSend_ReusesConnection},
		{"RefusedAtMail", TestSend_RefusedAtMail},
		{"SomeRecipientsRefused", TestSend_SomeRecipientsRefused},
		{"AllRecipientsRefused", TestSend_AllRecipientsRefused},
		{"RefusedAtData", TestSend_RefusedAtData},
		{"QueueID", TestSend_QueueID},
		{"CutAfterData", TestSend_CutAfterData},
		{"StalledServerTimesOut", TestSend_StalledServerTimesOut},
		{"DelayWithinTimeout", TestSend_DelayWithinTimeout},
		{"ContextEndsStalledSend", TestSend_ContextEndsStalledSend},
		{"ReconnectsAfterServerClosed", TestSend_ReconnectsAfterServerClosed},
		{"421AtMailReconnectsOnce", TestSend_421AtMailReconnectsOnce},
		{"SMTPUTF8", TestSend_SMTPUTF8},
		{"InternationalAddress", TestSend_InternationalAddress},
		{"SizeExceeded", TestSend_SizeExceeded},
		{"NoRecipients", TestSend_NoRecipients},
		{"ServerStopsReadingData", TestSend_ServerStopsReadingData},
		{"SessionMessages", TestSend_SessionMessages},
		{"SessionMessagesCountsRefused", TestSend_SessionMessagesCountsRefused},
		{"SessionTime", TestSend_SessionTime},
		{"ReconnectsBeforeDeferredRecipient", TestSend_ReconnectsBeforeDeferredRecipient},
		{"ReconnectsAfterMessageDeferred", TestSend_ReconnectsAfterMessageDeferred},
	} {
		t.Run(tc.name, tc.test)
	}
}

// With PIPELINING, MAIL, every RCPT and DATA reach the server in one
// piece, before it has answered any; without, one at a time.
func TestSend_Pipelining(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("pipelining=", on), func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithTranscript())
			sv := serverFor("smtp", srv)
			sv.Pipelining = on
			s := newSession(t, sv)
			res, err := s.Send(ctxT(t), delivery("p", "b@example.org", "c@example.org"))
			if err != nil || len(res.Accepted) != 2 {
				t.Fatalf("Send: %+v, %v", res, err)
			}
			tr := srv.Transcript()
			mail, data := strings.Index(tr, "MAIL FROM:"), strings.Index(tr, "DATA\r\n")
			reply := strings.Index(tr[max(mail, 0):], "\r\n250 ")
			if mail < 0 || data < 0 || reply < 0 {
				t.Fatalf("transcript lacks MAIL, DATA or a reply:\n%s", tr)
			}
			if grouped := data < mail+reply; grouped != on {
				t.Errorf("pipelining = %v, but DATA came before MAIL's reply: %v\n%s", on, grouped, tr)
			}
			if m := srv.WaitMessages(t, 1, waitLong)[0]; !bytes.Equal(m.Data, testMessage("p")) {
				t.Errorf("the server got %q, want %q", m.Data, testMessage("p"))
			}
		})
	}
}

// A server that opens DATA although it refused every recipient gets an
// empty message, ended at once, and the connection goes on.
func TestSend_PipelinedDataOpenedWithNoRecipient(t *testing.T) {
	got := make(chan string, 1)
	raw := smtptest.NewRawServer(t, func(c net.Conn) {
		io.WriteString(c, "220 raw ESMTP\r\n")
		r := bufio.NewReader(c)
		var seen strings.Builder
		defer func() { got <- seen.String() }()
		inData := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			seen.WriteString(line)
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case inData:
				if cmd == "." {
					inData = false
					io.WriteString(c, "250 2.0.0 empty, dropped\r\n")
				}
			case strings.HasPrefix(cmd, "EHLO"):
				io.WriteString(c, "250-raw\r\n250 PIPELINING\r\n")
			case strings.HasPrefix(cmd, "RCPT"):
				io.WriteString(c, "550 5.1.1 no such user\r\n")
			case cmd == "DATA":
				inData = true
				io.WriteString(c, "354 go ahead\r\n")
			case cmd == "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			default: // MAIL, RSET
				io.WriteString(c, "250 ok\r\n")
			}
		}
	})
	s := newSession(t, serverFor("raw", raw))
	res, err := s.Send(ctxT(t), delivery("x", "gone@example.org"))
	if err != nil || len(res.Accepted) != 0 || len(res.Refused) != 1 {
		t.Fatalf("Send: %+v, %v; want one refused recipient", res, err)
	}
	if _, err := s.Send(ctxT(t), delivery("y", "gone@example.org")); err != nil {
		t.Fatalf("second Send on the same connection: %v", err)
	}
	if n := raw.Connections(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	s.Close()
	tr := <-got
	if strings.Contains(tr, "Subject:") || strings.Count(tr, "DATA\r\n.\r\nRSET\r\n") != 2 {
		t.Errorf("want DATA ended empty and RSET after each refused transaction; the server read:\n%s", tr)
	}
}
