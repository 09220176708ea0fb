package smtptest_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

func dial(t *testing.T, s *smtptest.Server) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestServer_RecordsMessage(t *testing.T) {
	s := smtptest.NewServer(t, smtptest.WithSMTPUTF8(true), smtptest.WithTranscript())
	c := dial(t, s)
	if err := c.SendMail("a@example.org", []string{"b@example.org", "c@example.org"}, strings.NewReader("Subject: x\r\n\r\n.dot\r\n")); err != nil {
		t.Fatal(err)
	}
	m := s.WaitMessages(t, 1, 10*time.Second)[0]
	if m.From != "a@example.org" || len(m.To) != 2 || string(m.Data) != "Subject: x\r\n\r\n.dot\r\n" || !m.Body8Bit || m.TLS {
		t.Errorf("message = %+v", m)
	}
	if s.Connections() != 1 || !strings.Contains(s.Transcript(), "MAIL FROM:<a@example.org> BODY=8BITMIME") {
		t.Errorf("connections = %d, transcript:\n%s", s.Connections(), s.Transcript())
	}
	// Messages returns a copy.
	s.Messages()[0].Data[0] = 'X'
	if s.Messages()[0].Data[0] != 'S' {
		t.Errorf("Messages shares its data")
	}
}

func TestServer_Faults(t *testing.T) {
	s := smtptest.NewServer(t, smtptest.WithFault(smtptest.AtRcpt("gone@example.org", smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user"))))
	c := dial(t, s)
	if err := c.Mail("a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	err := c.Rcpt("gone@example.org", nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) || se.Message != "no such user" {
		t.Errorf("RCPT = %v", err)
	}

	s.SetFault(smtptest.CutAfterData())
	if err := c.Rcpt("ok@example.org", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "Subject: x\r\n\r\nx\r\n")
	if err := w.Close(); err == nil || errors.As(err, &se) {
		t.Errorf("DATA after a cut = %v, want a network error", err)
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages recorded after a cut", n)
	}
}

func TestServer_CloseAfterEachMessage(t *testing.T) {
	s := smtptest.NewServer(t, smtptest.WithFault(smtptest.CloseAfterEachMessage()))
	c := dial(t, s)
	if err := c.SendMail("a@example.org", []string{"b@example.org"}, strings.NewReader("x\r\n")); err != nil {
		t.Fatalf("the message itself must be accepted: %v", err)
	}
	if err := c.Noop(); err == nil {
		t.Errorf("NOOP after the close succeeded")
	}
}

func TestServer_AuthRequired(t *testing.T) {
	s := smtptest.NewServer(t, smtptest.WithAuth("u", "p", "PLAIN"))
	c := dial(t, s)
	var se *smtp.SMTPError
	if err := c.Mail("a@example.org", nil); !errors.As(err, &se) || se.Code != 530 {
		t.Errorf("MAIL before AUTH = %v, want 530", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "bad")); !errors.As(err, &se) || se.Code != 535 {
		t.Errorf("AUTH with a bad password = %v, want 535", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "p")); err != nil {
		t.Fatalf("AUTH: %v", err)
	}
	if err := c.Mail("a@example.org", nil); err != nil {
		t.Errorf("MAIL after AUTH: %v", err)
	}
	want := []smtptest.AuthAttempt{{"PLAIN", "u", false}, {"PLAIN", "u", true}}
	if got := s.Auths(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Auths = %+v, want %+v", got, want)
	}
}

func TestTLSCerts(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	pemBytes, err := os.ReadFile(certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("CAFile holds no certificate")
	}
	verify := func(c tls.Certificate, name string) error {
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name})
		return err
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := verify(certs.Server, name); err != nil {
			t.Errorf("Server for %s: %v", name, err)
		}
	}
	var invalid x509.CertificateInvalidError
	if err := verify(certs.Expired, "localhost"); !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Errorf("Expired: %v", err)
	}
	var host x509.HostnameError
	if err := verify(certs.WrongName, "localhost"); !errors.As(err, &host) {
		t.Errorf("WrongName for localhost: %v", err)
	}
	if err := verify(certs.WrongName, "other.example"); err != nil {
		t.Errorf("WrongName for other.example: %v", err)
	}
}

func TestServer_StartTLS(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	s := smtptest.NewServer(t, smtptest.WithTLS(certs.Server))
	c, err := smtp.DialStartTLS(s.Addr(), &tls.Config{RootCAs: certs.CAPool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("a@example.org", []string{"b@example.org"}, strings.NewReader("x\r\n")); err != nil {
		t.Fatal(err)
	}
	if m := s.WaitMessages(t, 1, 10*time.Second)[0]; !m.TLS {
		t.Errorf("message not marked TLS")
	}
}

func TestRawServer_Script(t *testing.T) {
	raw := smtptest.NewRawServer(t, func(c net.Conn) {
		io.WriteString(c, "421 4.3.2 busy\r\n")
	})
	for i := range 2 {
		c, err := net.Dial("tcp", raw.Addr())
		if err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || line != "421 4.3.2 busy\r\n" {
			t.Errorf("connection %d: %q, %v", i, line, err)
		}
	}
	if n := raw.Connections(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}
