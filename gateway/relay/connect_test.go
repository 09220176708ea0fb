package relay

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// greet421 is a raw server that turns everyone away at the greeting.
func greet421(t *testing.T) *smtptest.RawServer {
	return smtptest.NewRawServer(t, func(c net.Conn) {
		io.WriteString(c, "421 4.3.2 Service not available, try later\r\n")
	})
}

// ehloRefused greets and then refuses both EHLO and HELO.
func ehloRefused(t *testing.T) *smtptest.RawServer {
	return smtptest.NewRawServer(t, func(c net.Conn) {
		io.WriteString(c, "220 raw ESMTP\r\n")
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(strings.ToUpper(line), "QUIT") {
				io.WriteString(c, "221 bye\r\n")
				return
			}
			io.WriteString(c, "554 5.7.1 go away\r\n")
		}
	})
}

func TestConnect_FailsOver(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	for _, tc := range []struct {
		name  string
		first func(t *testing.T) *config.Server
		stage string
	}{
		{"greeting 421", func(t *testing.T) *config.Server { return serverFor("busy", greet421(t)) }, "greeting"},
		{"connection refused", func(t *testing.T) *config.Server { return plainServer("down", "127.0.0.1", smtptest.ClosedPort(t)) }, "dial"},
		{"EHLO refused", func(t *testing.T) *config.Server { return serverFor("rude", ehloRefused(t)) }, "ehlo"},
		{"greeting never comes", func(t *testing.T) *config.Server {
			raw := smtptest.NewRawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
			srv := serverFor("silent", raw)
			srv.Timeout = time.Second
			return srv
		}, "greeting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := smtptest.NewServer(t)
			first := tc.first(t)
			head := chain(first, serverFor("backup", good))
			s := newSession(t, head)
			res, err := s.Send(ctxT(t), delivery("x"))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if want := Label(head.Next); res.Server != want {
				t.Errorf("Server = %q, want %q", res.Server, want)
			}
			good.WaitMessages(t, 1, waitLong)

			// The same server alone: unreachable, with its reason.
			first.Next = nil
			s2 := newSession(t, first)
			err = s2.Connect(ctxT(t))
			if !errors.Is(err, ErrUnreachable) {
				t.Fatalf("Connect = %v, want ErrUnreachable", err)
			}
			e := asError(t, err)
			if e.Stage != tc.stage || e.Server != Label(first) {
				t.Errorf("error = %+v, want stage %q for %q", e, tc.stage, Label(first))
			}
		})
	}
}

func TestConnect_AllDown(t *testing.T) {
	a := plainServer("a", "127.0.0.1", smtptest.ClosedPort(t))
	b := serverFor("b", greet421(t))
	s := newSession(t, chain(a, b))
	_, err := s.Send(ctxT(t), delivery("x"))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Send = %v, want ErrUnreachable", err)
	}
	if IsPermanent(err) {
		t.Errorf("ErrUnreachable is permanent")
	}
	for _, want := range []string{Label(a) + ": dial: ", Label(b) + ": greeting: 421 4.3.2 Service not available"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// Connect says the same.
	if err := s.Connect(ctxT(t)); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Connect = %v, want ErrUnreachable", err)
	}
}

func TestConnect_NoServer(t *testing.T) {
	s := newSession(t, nil)
	if err := s.Connect(ctxT(t)); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Connect = %v, want ErrUnreachable", err)
	}
}

func tlsServer(name string, s interface {
	Host() string
	Port() int
}, sec config.Security, certs *smtptest.TLSCerts) *config.Server {
	srv := serverFor(name, s)
	srv.Security = sec
	srv.RootCAs = certs.CAPool
	srv.CAFile = certs.CAFile
	return srv
}

func TestStartTLS(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	for _, sec := range []config.Security{config.SecurityStartTLS, config.SecurityAuto} {
		t.Run(string(sec), func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithTranscript())
			s := newSession(t, tlsServer("smtp", srv, sec, certs))
			if _, err := s.Send(ctxT(t), delivery("x")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if m := srv.WaitMessages(t, 1, waitLong)[0]; !m.TLS {
				t.Errorf("message went over plain text")
			}
			if st := s.conn.TLS(); st == nil || st.Version < tls.VersionTLS12 {
				t.Errorf("TLS state = %+v", st)
			}
			// EHLO before and after STARTTLS, both with our name.
			if n := strings.Count(srv.Transcript(), "EHLO spoolgate.test\r\n"); n != 2 {
				t.Errorf("%d EHLOs, want 2:\n%s", n, srv.Transcript())
			}
		})
	}
}

func TestStartTLS_AutoWithoutTLSGoesPlain(t *testing.T) {
	srv := smtptest.NewServer(t)
	head := serverFor("smtp", srv)
	head.Security = config.SecurityAuto
	s := newSession(t, head)
	if _, err := s.Send(ctxT(t), delivery("x")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := srv.WaitMessages(t, 1, waitLong)[0]; m.TLS {
		t.Errorf("TLS without STARTTLS?")
	}
}

func TestStartTLS_RequiredButNotOffered(t *testing.T) {
	plain := smtptest.NewServer(t)
	good := smtptest.NewServer(t)
	first := serverFor("plain", plain)
	first.Security = config.SecurityStartTLS
	s := newSession(t, chain(first, serverFor("backup", good)))
	res, err := s.Send(ctxT(t), delivery("x"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.Server != Label(first.Next) || len(plain.Messages()) != 0 {
		t.Errorf("delivered to %s; plain server has %d messages", res.Server, len(plain.Messages()))
	}

	first.Next = nil
	err = newSession(t, first).Connect(ctxT(t))
	e := asError(t, err)
	if e.Stage != "tls" || !strings.Contains(e.Error(), "does not offer STARTTLS") {
		t.Errorf("error = %v, want a tls error about STARTTLS", err)
	}
}

func TestStartTLS_BadCertificateFailsOverWithoutDowngrade(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	for _, bad := range []struct {
		name string
		cert tls.Certificate
		want any
	}{
		{"expired", certs.Expired, &x509.CertificateInvalidError{}},
		{"wrong name", certs.WrongName, &x509.HostnameError{}},
	} {
		for _, sec := range []config.Security{config.SecurityAuto, config.SecurityStartTLS, config.SecurityTLS} {
			t.Run(bad.name+"/"+string(sec), func(t *testing.T) {
				opt := smtptest.WithTLS(bad.cert)
				if sec == config.SecurityTLS {
					opt = smtptest.WithImplicitTLS(bad.cert)
				}
				badSrv := smtptest.NewServer(t, opt, smtptest.WithTranscript())
				good := smtptest.NewServer(t, smtptest.WithTLS(certs.Server))
				first := tlsServer("bad", badSrv, sec, certs)
				s := newSession(t, chain(first, tlsServer("good", good, config.SecurityStartTLS, certs)))
				res, err := s.Send(ctxT(t), delivery("x"))
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				if res.Server != Label(first.Next) {
					t.Errorf("delivered to %s", res.Server)
				}
				if m := good.WaitMessages(t, 1, waitLong)[0]; !m.TLS {
					t.Errorf("the good server got the message over plain text")
				}
				if tr := badSrv.Transcript(); strings.Contains(tr, "MAIL FROM") || len(badSrv.Messages()) != 0 {
					t.Errorf("downgraded to plain text on the bad server:\n%s", tr)
				}

				first.Next = nil
				err = newSession(t, first).Connect(ctxT(t))
				e := asError(t, err)
				if e.Stage != "tls" || e.Permanent {
					t.Errorf("error = %+v, want a temporary tls error", e)
				}
				switch bad.want.(type) {
				case *x509.CertificateInvalidError:
					var ce x509.CertificateInvalidError
					if !errors.As(err, &ce) || ce.Reason != x509.Expired {
						t.Errorf("error %v is not an expired certificate", err)
					}
				case *x509.HostnameError:
					var he x509.HostnameError
					if !errors.As(err, &he) {
						t.Errorf("error %v is not a host name mismatch", err)
					}
				}
			})
		}
	}
}

func TestStartTLS_VerifyOffAcceptsWrongName(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	srv := smtptest.NewServer(t, smtptest.WithTLS(certs.WrongName))
	head := tlsServer("smtp", srv, config.SecurityStartTLS, certs)
	head.TLSVerify = false
	s := newSession(t, head)
	if _, err := s.Send(ctxT(t), delivery("x")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := srv.WaitMessages(t, 1, waitLong)[0]; !m.TLS {
		t.Errorf("message went over plain text")
	}
}

func TestStartTLS_UnknownCA(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	other := smtptest.NewTLSCerts(t)
	srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server))
	s := newSession(t, tlsServer("smtp", srv, config.SecurityStartTLS, other))
	err := s.Connect(ctxT(t))
	var ua x509.UnknownAuthorityError
	if !errors.Is(err, ErrUnreachable) || !errors.As(err, &ua) {
		t.Errorf("Connect = %v, want ErrUnreachable for an unknown authority", err)
	}
}

func TestImplicitTLS(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	srv := smtptest.NewServer(t, smtptest.WithImplicitTLS(certs.Server), smtptest.WithAuth("lib", "s3cret"))
	head := tlsServer("smtps", srv, config.SecurityTLS, certs)
	head.Username, head.Password = "lib", "s3cret"
	s := newSession(t, head)
	if _, err := s.Send(ctxT(t), delivery("x")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := srv.WaitMessages(t, 1, waitLong)[0]
	if !m.TLS || m.AuthUser != "lib" {
		t.Errorf("TLS = %v, AuthUser = %q", m.TLS, m.AuthUser)
	}
}

func TestAuth_Mechanisms(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	for _, tc := range []struct {
		offered []string
		want    string
	}{
		{[]string{"PLAIN"}, "PLAIN"},
		{[]string{"LOGIN"}, "LOGIN"},
		{[]string{"CRAM-MD5"}, "CRAM-MD5"},
		{[]string{"CRAM-MD5", "LOGIN", "PLAIN"}, "PLAIN"},
		{[]string{"CRAM-MD5", "LOGIN"}, "LOGIN"},
	} {
		t.Run(strings.Join(tc.offered, "+"), func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithAuth("lib", "pä55 word", tc.offered...))
			head := tlsServer("smtp", srv, config.SecurityStartTLS, certs)
			head.Username, head.Password = "lib", "pä55 word"
			s := newSession(t, head)
			if _, err := s.Send(ctxT(t), delivery("x")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := s.conn.AuthMechanism(); got != tc.want {
				t.Errorf("mechanism = %q, want %q", got, tc.want)
			}
			auths := srv.Auths()
			if len(auths) != 1 || auths[0] != (smtptest.AuthAttempt{Mechanism: tc.want, Username: "lib", OK: true}) {
				t.Errorf("server saw %+v", auths)
			}
			if m := srv.WaitMessages(t, 1, waitLong)[0]; m.AuthUser != "lib" {
				t.Errorf("AuthUser = %q", m.AuthUser)
			}
		})
	}
}

func TestAuth_WrongPasswordFailsOver(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	strict := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithAuth("lib", "right"))
	good := smtptest.NewServer(t)
	first := tlsServer("strict", strict, config.SecurityStartTLS, certs)
	first.Username, first.Password = "lib", "wrong"
	var logs strings.Builder
	s := NewSession(chain(first, serverFor("backup", good)), slogTo(&logs))
	defer s.Close()
	res, err := s.Send(ctxT(t), delivery("x"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if res.Server != Label(first.Next) {
		t.Errorf("delivered to %s", res.Server)
	}
	if a := strict.Auths(); len(a) != 1 || a[0].OK {
		t.Errorf("strict server saw %+v", a)
	}
	if !strings.Contains(logs.String(), "stage=auth") || strings.Contains(logs.String(), "wrong") {
		t.Errorf("log does not name the auth failure, or shows the password:\n%s", logs.String())
	}

	first.Next = nil
	err = newSession(t, first).Connect(ctxT(t))
	e := asError(t, err)
	if e.Stage != "auth" || e.Code != 535 || e.Enhanced != "5.7.8" {
		t.Errorf("error = %+v, want 535 5.7.8 at auth", e)
	}
}

func TestAuth_PlaintextLoopback(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithAuth("lib", "s3cret"))
	head := serverFor("local", srv)
	head.Username, head.Password = "lib", "s3cret"
	s := newSession(t, head)
	if _, err := s.Send(ctxT(t), delivery("x")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := srv.WaitMessages(t, 1, waitLong)[0]; m.TLS || m.AuthUser != "lib" {
		t.Errorf("TLS = %v, AuthUser = %q", m.TLS, m.AuthUser)
	}
}

func TestAuth_NotOffered(t *testing.T) {
	srv := smtptest.NewServer(t)
	head := serverFor("smtp", srv)
	head.Username, head.Password = "lib", "s3cret"
	err := newSession(t, head).Connect(ctxT(t))
	e := asError(t, err)
	if e.Stage != "auth" || !strings.Contains(e.Error(), "does not offer AUTH") {
		t.Errorf("error = %v", err)
	}
}

func TestMayAuthPlaintext(t *testing.T) {
	for _, tc := range []struct {
		host string
		tls  bool
		want bool
	}{
		{"192.0.2.10", true, true},
		{"mail.example.org", true, true},
		{"192.0.2.10", false, false},
		{"mail.example.org", false, false},
		{"2001:db8::1", false, false},
		{"127.0.0.1", false, true},
		{"127.3.4.5", false, true},
		{"::1", false, true},
		{"[::1]", false, true},
		{"localhost", false, true},
		{"LocalHost", false, true},
		{"localhost.example.org", false, false},
		{"", false, false},
	} {
		if got := mayAuthPlaintext(tc.host, tc.tls); got != tc.want {
			t.Errorf("mayAuthPlaintext(%q, %v) = %v, want %v", tc.host, tc.tls, got, tc.want)
		}
	}
}

func TestAuth_PlaintextRefusalMessage(t *testing.T) {
	// The refusal itself, as Auth builds it for a non-loopback server.
	for _, sec := range []config.Security{config.SecurityNone, config.SecurityAuto} {
		c := &Conn{srv: &config.Server{Name: "smtp", Host: "mail.example.org", Port: 25, Security: sec, Username: "u", Password: "p"}, label: "smtp (mail.example.org:25)",
			dc: &deadlineConn{Conn: fakeRemote{addr: "192.0.2.10:25"}}}
		err := c.Auth(ctxT(t))
		e := asError(t, err)
		if e.Stage != "auth" || !e.Permanent || !strings.Contains(e.Error(), "spoolgate never sends a password unencrypted; set security = starttls or tls") {
			t.Errorf("%s: error = %v", sec, err)
		}
	}
}

// fakeRemote is a net.Conn that only knows its remote address; Auth must
// refuse before it touches the connection.
type fakeRemote struct {
	net.Conn
	addr string
}

func (f fakeRemote) RemoteAddr() net.Addr {
	a, _ := net.ResolveTCPAddr("tcp", f.addr)
	return a
}

func TestClose_Idempotent(t *testing.T) {
	srv := smtptest.NewServer(t)
	s := newSession(t, serverFor("smtp", srv))
	if err := s.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Errorf("Close %d: %v", i, err)
		}
	}
	// A closed session connects again when used.
	if _, err := s.Send(ctxT(t), delivery("x")); err != nil {
		t.Fatalf("Send after Close: %v", err)
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestLabel(t *testing.T) {
	if got := Label(&config.Server{Name: "smtp", Host: "mail.example.org", Port: 25}); got != "smtp (mail.example.org:25)" {
		t.Errorf("Label = %q", got)
	}
	if got := Label(&config.Server{Name: "v6", Host: "2001:db8::1", Port: 587}); got != "v6 ([2001:db8::1]:587)" {
		t.Errorf("Label = %q", got)
	}
}

// STARTTLS response injection (CVE-2011-0411 and kin): a server, or a man
// in the middle, that sends more after its 220 to STARTTLS, in the same
// packet, gets none of it read as a reply. What follows the 220 is left
// for the TLS handshake, which fails on it.
func TestStartTLS_ResponseInjection(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	raw := smtptest.NewRawServer(t, func(c net.Conn) {
		io.WriteString(c, "220 raw ESMTP\r\n")
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"):
				io.WriteString(c, "250-raw\r\n250 STARTTLS\r\n")
			case cmd == "STARTTLS":
				io.WriteString(c, "220 2.0.0 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n")
				tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{certs.Server}})
				tc.Handshake()
				return
			default:
				io.WriteString(c, "250 ok\r\n")
			}
		}
	})
	err := newSession(t, tlsServer("mitm", raw, config.SecurityStartTLS, certs)).Connect(ctxT(t))
	e := asError(t, err)
	if e.Stage != "tls" || e.Permanent {
		t.Errorf("error = %v (%+v), want a temporary failure at tls", err, e)
	}
}
