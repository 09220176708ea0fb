package relay

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// traceLog collects a Trace's lines as "C: ..." and "S: ...".
type traceLog struct{ lines []string }

func (l *traceLog) trace(server string, fromClient bool, line string) {
	p := "S: "
	if fromClient {
		p = "C: "
	}
	l.lines = append(l.lines, p+line)
}

func (l *traceLog) String() string { return strings.Join(l.lines, "\n") }

func TestTrace_MasksCredentialsAndSummarisesData(t *testing.T) {
	const user, pass = "lib", "Tr0ub4dor&3"
	certs := smtptest.NewTLSCerts(t)
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
		t.Run(mech, func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithAuth(user, pass, mech))
			head := tlsServer("smtp", srv, config.SecurityStartTLS, certs)
			head.Username, head.Password = user, pass
			var log traceLog
			s := newSession(t, head)
			d := delivery("traced")
			if _, err := s.Send(WithTrace(ctxT(t), log.trace), d); err != nil {
				t.Fatalf("Send: %v", err)
			}
			s.Close()
			got := log.String()
			for _, secret := range []string{
				pass,
				base64.StdEncoding.EncodeToString([]byte(pass)),
				base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass)),
			} {
				if strings.Contains(got, secret) {
					t.Errorf("the trace shows %q:\n%s", secret, got)
				}
			}
			wantAuth := "C: AUTH " + mech
			if mech == "PLAIN" || mech == "LOGIN" { // go-sasl sends an initial response
				wantAuth += " " + Masked
			}
			want := []string{
				"S: 220 ", "C: EHLO spoolgate.test", "C: STARTTLS", wantAuth,
				"C: MAIL FROM:<a@example.org>", "C: RCPT TO:<b@example.org>", "C: DATA", "S: 354 ",
				"C: [message: ", "C: .", "S: 250 2.0.0 OK: queued", "C: QUIT",
			}
			if mech != "PLAIN" { // a second client line: the password or the digest
				want = append(want, "C: "+Masked)
			}
			for _, want := range want {
				if !strings.Contains(got, "\n"+want) && !strings.HasPrefix(got, want) {
					t.Errorf("the trace lacks %q:\n%s", want, got)
				}
			}
			if strings.Contains(got, "Subject: traced") || strings.Contains(got, "Hello.") {
				t.Errorf("the trace shows the message:\n%s", got)
			}
			// The message's size, then the final dot, then the reply.
			i := strings.Index(got, "C: [message: ")
			if i < 0 || !strings.HasPrefix(got[i:], "C: [message: "+strconv.Itoa(len(d.Data))+" bytes]\nC: .\nS: 250") {
				t.Errorf("message summary wrong:\n%s", got)
			}
		})
	}
}

func TestConn_GreetingAndCapabilities(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithAuth("lib", "pw", "PLAIN"), smtptest.WithMaxSize(5000))
	head := tlsServer("smtp", srv, config.SecurityStartTLS, certs)
	ctx := ctxT(t)
	c, err := Dial(ctx, head)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(waitLong)
	if c.Greeting() != nil || c.Capabilities() != nil {
		t.Errorf("before Hello: greeting %q, capabilities %q", c.Greeting(), c.Capabilities())
	}
	if err := c.Hello(ctx); err != nil {
		t.Fatal(err)
	}
	if g := c.Greeting(); len(g) != 1 || !strings.HasPrefix(g[0], "220 smtptest.localhost") {
		t.Errorf("greeting = %q", g)
	}
	caps := strings.Join(c.Capabilities(), "|")
	for _, want := range []string{"STARTTLS", "SIZE 5000", "AUTH PLAIN"} {
		if !strings.Contains(caps, want) {
			t.Errorf("capabilities %q lack %q", caps, want)
		}
	}
	if err := c.StartTLS(ctx); err != nil {
		t.Fatal(err)
	}
	caps = strings.Join(c.Capabilities(), "|")
	if strings.Contains(caps, "STARTTLS") || !strings.Contains(caps, "SIZE 5000") {
		t.Errorf("capabilities after STARTTLS = %q", caps)
	}
	if g := c.Greeting(); len(g) != 1 {
		t.Errorf("greeting after STARTTLS = %q", g)
	}
	if c.LocalAddr() == nil || c.RemoteAddr().String() != srv.Addr() {
		t.Errorf("addresses %v -> %v", c.LocalAddr(), c.RemoteAddr())
	}
}

func TestRefusals_AreTold(t *testing.T) {
	plain := smtptest.NewServer(t)
	head := serverFor("smtp", plain)
	head.Security = config.SecurityStartTLS
	if err := newSession(t, head).Connect(ctxT(t)); !errors.Is(err, ErrNoSTARTTLS) || !firstPermanent(err) {
		t.Errorf("starttls required: %v", err)
	}
	head.Security = config.SecurityNone
	head.Username, head.Password = "lib", "pw"
	if err := newSession(t, head).Connect(ctxT(t)); !errors.Is(err, ErrNoAUTH) {
		t.Errorf("no AUTH: %v", err)
	}
	cram := smtptest.NewServer(t, smtptest.WithAuth("lib", "pw", "XOAUTH2"))
	head = serverFor("smtp", cram)
	head.Username, head.Password = "lib", "pw"
	if err := newSession(t, head).Connect(ctxT(t)); !errors.Is(err, ErrNoAuthMechanism) {
		t.Errorf("no mechanism: %v", err)
	}
}

// firstPermanent reports whether the first *Error in err is permanent.
func firstPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}
