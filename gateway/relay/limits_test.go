package relay

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// With session_messages = 2, five messages take three connections, each
// ended with QUIT.
func TestSend_SessionMessages(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithTranscript())
	head := serverFor("smtp", srv)
	head.SessionMessages = 2
	s := newSession(t, head)
	for i := range 5 {
		if _, err := s.Send(ctxT(t), delivery(fmt.Sprint("message ", i))); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	srv.WaitMessages(t, 5, waitLong)
	if n := srv.Connections(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
	waitQuits(t, srv, 2)
	s.Close()
	waitQuits(t, srv, 3)
}

// A refused transaction counts as a message too; a message refused by
// spoolgate itself (never sent) does not.
func TestSend_SessionMessagesCountsRefused(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithMaxSize(1000),
		smtptest.WithFault(smtptest.AtRcpt("gone@example.org", smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user"))))
	head := serverFor("smtp", srv)
	head.SessionMessages = 2
	s := newSession(t, head)
	big := delivery("big")
	big.Data = append(big.Data, strings.Repeat("x", 2000)...)
	if _, err := s.Send(ctxT(t), big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Send big: %v, want ErrTooLarge", err)
	}
	if res, err := s.Send(ctxT(t), delivery("x", "gone@example.org")); err != nil || len(res.Refused) != 1 {
		t.Fatalf("Send to gone: %+v, %v; want one refused recipient", res, err)
	}
	if _, err := s.Send(ctxT(t), delivery("y")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, err := s.Send(ctxT(t), delivery("z")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("%d connections, want 2 (the refused transaction and y on the first, z on the second)", n)
	}
}

// With session_time = 1m, a connection is used while it is younger and
// replaced (QUIT) once it is that old, by Connect as by Send.
func TestSend_SessionTime(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithTranscript())
	head := serverFor("smtp", srv)
	head.SessionTime = time.Minute
	s := newSession(t, head)
	clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }

	send := func(what string) {
		t.Helper()
		if _, err := s.Send(ctxT(t), delivery(what)); err != nil {
			t.Fatalf("Send %s: %v", what, err)
		}
	}
	send("first")
	clock = clock.Add(59 * time.Second)
	send("second, 59s later")
	if n := srv.Connections(); n != 1 {
		t.Fatalf("%d connections after 59s, want 1", n)
	}
	clock = clock.Add(time.Second)
	if err := s.Connect(ctxT(t)); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("%d connections after Connect at 60s, want 2", n)
	}
	send("third")
	clock = clock.Add(2 * time.Minute)
	send("fourth, 2m later")
	if n := srv.Connections(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
	waitQuits(t, srv, 2)
}

// A recipient deferred (4xx at RCPT) on a connection is tried again on a
// new one, so that a relay whose policy changed meanwhile is asked anew;
// other recipients keep the connection.
func TestSend_ReconnectsBeforeDeferredRecipient(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithTranscript(),
		smtptest.WithFault(smtptest.AtRcpt("c@example.org", smtptest.Refuse(450, [3]int{4, 2, 0}, "try again later"))))
	s := newSession(t, serverFor("smtp", srv))

	res, err := s.Send(ctxT(t), delivery("1", "b@example.org", "c@example.org"))
	if err != nil || len(res.Accepted) != 1 || res.Deferred["c@example.org"] == nil {
		t.Fatalf("Send: %+v, %v; want b accepted, c deferred", res, err)
	}
	if _, err := s.Send(ctxT(t), delivery("2", "d@example.org")); err != nil {
		t.Fatalf("Send to d: %v", err)
	}
	if n := srv.Connections(); n != 1 {
		t.Fatalf("%d connections, want 1: d was never deferred", n)
	}

	srv.SetFault(nil) // the relay's policy changed
	res, err = s.Send(ctxT(t), delivery("3", "C@example.org"))
	if err != nil || len(res.Accepted) != 1 {
		t.Fatalf("Send to c again: %+v, %v; want it accepted", res, err)
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("%d connections, want 2: a new one before c was tried again", n)
	}
	waitQuits(t, srv, 1)
	// c went through on the new connection: the next message keeps it.
	if _, err := s.Send(ctxT(t), delivery("4", "c@example.org")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// A temporary refusal of the whole message (4xx at MAIL or after DATA)
// makes every one of its recipients wait for a new connection; a
// permanent one does not.
func TestSend_ReconnectsAfterMessageDeferred(t *testing.T) {
	for _, stage := range []smtptest.Stage{smtptest.StageMail, smtptest.StageData} {
		t.Run(string(stage), func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(stage, smtptest.Refuse(451, [3]int{4, 3, 0}, "local problem"))))
			s := newSession(t, serverFor("smtp", srv))
			_, err := s.Send(ctxT(t), delivery("1", "b@example.org", "c@example.org"))
			if e := asError(t, err); e.Permanent || e.Code != 451 {
				t.Fatalf("Send: %v, want a 451", err)
			}
			srv.SetFault(smtptest.At(stage, smtptest.Refuse(554, [3]int{5, 7, 1}, "no")))
			if _, err := s.Send(ctxT(t), delivery("2", "c@example.org")); !IsPermanent(err) {
				t.Fatalf("Send: %v, want a permanent refusal", err)
			}
			if n := srv.Connections(); n != 2 {
				t.Errorf("%d connections, want 2: a new one before c was tried again", n)
			}
			srv.SetFault(nil)
			if _, err := s.Send(ctxT(t), delivery("3", "c@example.org")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if n := srv.Connections(); n != 2 {
				t.Errorf("%d connections, want 2: c was refused for good, not deferred, on the second", n)
			}
		})
	}
}

// waitQuits waits until the server's transcript holds n QUITs and n
// replies 221. The server's transcript may log a reply after what the
// next connection said, so the two are counted apart.
func waitQuits(t *testing.T, srv *smtptest.Server, n int) {
	t.Helper()
	waitFor(t, fmt.Sprint(n, " QUITs answered"), func() bool {
		tr := srv.Transcript()
		return strings.Count(tr, "\r\nQUIT\r\n") == n && strings.Count(tr, "\r\n221 ") == n
	})
}

func TestTooLarge(t *testing.T) {
	err := Classify(tooLarge(12897485, 10485760), "smtp (mail.example.org:25)", "mail")
	want := "smtp (mail.example.org:25): mail: the relay accepts at most 10 MB (SIZE 10485760); this message is 12.3 MB"
	if err.Error() != want || !err.Permanent || !errors.Is(err, ErrTooLarge) {
		t.Errorf("error = %q (permanent %v, ErrTooLarge %v); want %q", err, err.Permanent, errors.Is(err, ErrTooLarge), want)
	}
	// Sizes that print alike get the message's bytes.
	if got := tooLarge(10485770, 10485760).Error(); !strings.HasSuffix(got, "this message is 10 MB (10485770 bytes)") {
		t.Errorf("tooLarge = %q", got)
	}
	for n, want := range map[int64]string{
		0: "0 bytes", 1023: "1023 bytes", 1024: "1 KB", 1536: "1.5 KB", 10240000: "9.8 MB",
		25 << 20: "25 MB", 3 << 30: "3 GB", 5 << 40: "5120 GB",
	} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
}
