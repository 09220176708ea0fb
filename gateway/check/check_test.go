package check

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

const waitLong = 60 * time.Second

// loadConfig writes a config with the given [smtp] lines (and any more
// sections after them) in a new folder, makes its queue and data folders,
// and loads it.
func loadConfig(t *testing.T, smtp string) *config.Config {
	t.Helper()
	dir := spooltest.TempDir(t)
	for _, d := range []string{"queue", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return loadIn(t, dir, smtp)
}

func loadIn(t *testing.T, dir, smtp string) *config.Config {
	t.Helper()
	text := "[spool]\nfolder = queue\ndata = data\n\n[smtp]\n" + strings.TrimLeft(smtp, "\n") +
		"\n[message]\nfrom = library@example.org\nfrom_name = Example Library\n"
	p := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatalf("config:\n%s\n%v", text, err)
	}
	return cfg
}

// smtpFor is the [smtp] lines for a test server on 127.0.0.1.
func smtpFor(s interface{ Port() int }, more ...string) string {
	return fmt.Sprintf("host = 127.0.0.1\nport = %d\ntimeout = 10s\nconnect_timeout = 10s\n%s\n", s.Port(), strings.Join(more, "\n"))
}

func runCheck(t *testing.T, cfg *config.Config, opts Options) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	r := Run(ctx, cfg, opts)
	if t.Failed() || testing.Verbose() {
		t.Logf("report:\n%s", textOf(r))
	}
	return r
}

func textOf(r *Report) string {
	var b bytes.Buffer
	r.WriteText(&b)
	return b.String()
}

// stepOf returns the last step called name of the first server.
func stepOf(t *testing.T, r *Report, name string) Step {
	t.Helper()
	if len(r.Servers) == 0 {
		t.Fatalf("no server was checked:\n%s", textOf(r))
	}
	var found *Step
	for i, s := range r.Servers[0].Steps {
		if s.Step == name {
			found = &r.Servers[0].Steps[i]
		}
	}
	if found == nil {
		t.Fatalf("no %s step:\n%s", name, textOf(r))
	}
	return *found
}

func wantStep(t *testing.T, r *Report, name string, st Status, inDetail string, inVerdict ...string) Step {
	t.Helper()
	s := stepOf(t, r, name)
	if s.Status != st {
		t.Errorf("%s: status %s, want %s:\n%s", name, s.Status, st, textOf(r))
	}
	if !strings.Contains(s.Detail, inDetail) {
		t.Errorf("%s: detail %q lacks %q", name, s.Detail, inDetail)
	}
	for _, v := range inVerdict {
		if !strings.Contains(s.Verdict, v) {
			t.Errorf("%s: verdict %q lacks %q", name, s.Verdict, v)
		}
	}
	if st != StatusOK && st != StatusSkip && s.Verdict == "" {
		t.Errorf("%s: status %s without a verdict", name, st)
	}
	return s
}

func wantLast(t *testing.T, r *Report, name string) {
	t.Helper()
	steps := r.Servers[0].Steps
	if got := steps[len(steps)-1].Step; got != name {
		t.Errorf("the check went on after %s to %s:\n%s", name, got, textOf(r))
	}
}

// longCert is a self-signed certificate for localhost and 127.0.0.1, valid
// for a year, and a PEM file of it to use as ca_file.
func longCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		Issuer:                pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(spooltest.TempDir(t), "self.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, file
}

func TestRun_AllGood(t *testing.T) {
	cert, caFile := longCert(t)
	srv := smtptest.NewServer(t, smtptest.WithTLS(cert), smtptest.WithAuth("lib", "s3cret-pw"))
	cfg := loadConfig(t, smtpFor(srv, "security = starttls", "ca_file = "+caFile, "username = lib", "password = s3cret-pw"))
	r := runCheck(t, cfg, Options{})
	if !r.OK() || !r.AllOK || r.Warnings() != 0 {
		t.Errorf("OK = %v, AllOK = %v, %d warnings:\n%s", r.OK(), r.AllOK, r.Warnings(), textOf(r))
	}
	wantStep(t, r, "DNS", StatusOK, "IP address")
	wantStep(t, r, "TCP", StatusOK, "connected to "+srv.Addr()+" from 127.0.0.1")
	wantStep(t, r, "GREETING", StatusOK, "220 smtptest.localhost")
	wantStep(t, r, "EHLO", StatusOK, "STARTTLS")
	wantStep(t, r, "TLS", StatusOK, "TLS 1.3, certificate for localhost, 127.0.0.1, issued by localhost, expires "+day(time.Now().Add(365*24*time.Hour)))
	wantStep(t, r, "AUTH", StatusOK, "logged in as lib with PLAIN")
	if r.Servers[0].LocalAddress != "127.0.0.1" || r.Servers[0].Name != "smtp" || r.Servers[0].Address != srv.Addr() {
		t.Errorf("server = %+v", r.Servers[0])
	}
	if len(srv.Messages()) != 0 {
		t.Error("a check without --send sent a message")
	}
	tr := strings.Join(r.Servers[0].Transcript, "\n")
	for _, want := range []string{"S: 220 ", "C: EHLO ", "C: STARTTLS", "C: AUTH PLAIN ********", "S: 235 ", "C: QUIT"} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
	if strings.Contains(tr, "RCPT TO") || strings.Contains(tr, "C: DATA") {
		t.Errorf("RCPT or DATA without --send:\n%s", tr)
	}
	if !strings.Contains(tr, "C: MAIL FROM:<library@example.org>") || !strings.Contains(tr, "C: RSET") {
		t.Errorf("the sender was not asked about (MAIL FROM, then RSET):\n%s", tr)
	}
	wantStep(t, r, "MAIL", StatusOK, "MAIL FROM:<library@example.org> accepted")
	text := textOf(r)
	for _, want := range []string{
		"spoolgate check of " + cfg.File,
		"  [ ok ] queue    " + cfg.Spool.Folder + ": writable, ",
		"\nServer smtp (" + srv.Addr() + ")\n",
		"  [ ok ] TLS      TLS 1.3, certificate for localhost",
		"  [ ok ] AUTH     logged in as lib",
		"  Transcript:\n    S: 220 ",
		"Result: OK.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

func TestRun_ImplicitTLS(t *testing.T) {
	cert, caFile := longCert(t)
	srv := smtptest.NewServer(t, smtptest.WithImplicitTLS(cert))
	cfg := loadConfig(t, smtpFor(srv, "security = tls", "ca_file = "+caFile))
	r := runCheck(t, cfg, Options{})
	if !r.OK() {
		t.Errorf("not OK:\n%s", textOf(r))
	}
	// TLS comes right after TCP, before the greeting.
	var names []string
	for _, s := range r.Servers[0].Steps {
		names = append(names, s.Step)
	}
	if got := strings.Join(names, " "); got != "DNS TCP TLS GREETING EHLO AUTH MAIL" {
		t.Errorf("steps %s", got)
	}
	wantStep(t, r, "AUTH", StatusSkip, "no login configured; the relay must allow relaying from this machine's address (127.0.0.1)")
}

func TestRun_CertificateExpiresSoon(t *testing.T) {
	certs := smtptest.NewTLSCerts(t) // Server expires in 24 hours
	srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server))
	cfg := loadConfig(t, smtpFor(srv, "security = starttls", "ca_file = "+certs.CAFile))
	r := runCheck(t, cfg, Options{})
	wantStep(t, r, "TLS", StatusWarn, "issued by smtptest CA", "expires on", "renew")
	if !r.OK() {
		t.Errorf("a warning must not fail the check:\n%s", textOf(r))
	}
	if !strings.Contains(textOf(r), "Result: OK, with 1 warning.") {
		t.Errorf("result line:\n%s", textOf(r))
	}
}

func TestRun_TLSFailures(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	for _, tc := range []struct {
		name    string
		cert    tls.Certificate
		caFile  bool
		verdict []string
	}{
		{"expired", certs.Expired, true, []string{"expired on " + day(time.Now().Add(-24*time.Hour)), "IT must renew it", "tls_verify = false only as a stop-gap"}},
		{"wrong name", certs.WrongName, true, []string{"The certificate is for other.example, not 127.0.0.1", "set host in [smtp] to a name on the certificate"}},
		{"unknown CA", certs.Server, false, []string{"signed by an unknown CA (smtptest CA)", "set ca_file in [smtp] to your organisation's CA certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, sec := range []string{"starttls", "auto"} {
				srv := smtptest.NewServer(t, smtptest.WithTLS(tc.cert))
				lines := []string{"security = " + sec}
				if tc.caFile {
					lines = append(lines, "ca_file = "+certs.CAFile)
				}
				r := runCheck(t, loadConfig(t, smtpFor(srv, lines...)), Options{})
				wantStep(t, r, "TLS", StatusFail, "", tc.verdict...)
				wantLast(t, r, "TLS")
				if r.OK() {
					t.Errorf("%s: OK despite a failed TLS", sec)
				}
			}
		})
	}
}

func TestRun_TLSVerifyOffShowsTheProblem(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	srv := smtptest.NewServer(t, smtptest.WithTLS(certs.WrongName))
	r := runCheck(t, loadConfig(t, smtpFor(srv, "security = starttls", "tls_verify = false", "ca_file = "+certs.CAFile)), Options{})
	wantStep(t, r, "TLS", StatusWarn, "certificate for other.example", "tls_verify = false hides a problem", "not 127.0.0.1")
	if !r.OK() {
		t.Errorf("tls_verify = false connects, so the check passes with a warning:\n%s", textOf(r))
	}
}

func TestRun_StartTLS(t *testing.T) {
	t.Run("required but not offered", func(t *testing.T) {
		srv := smtptest.NewServer(t)
		r := runCheck(t, loadConfig(t, smtpFor(srv, "security = starttls")), Options{})
		wantStep(t, r, "TLS", StatusFail, "does not offer STARTTLS", "security = starttls, but the server does not offer STARTTLS on port", "587")
		wantLast(t, r, "TLS")
		if tr := strings.Join(r.Servers[0].Transcript, "\n"); !strings.Contains(tr, "C: QUIT") {
			t.Errorf("a plain connection that is still sound ends with QUIT:\n%s", tr)
		}
	})
	t.Run("auto and not offered", func(t *testing.T) {
		srv := smtptest.NewServer(t)
		r := runCheck(t, loadConfig(t, smtpFor(srv, "security = auto")), Options{})
		wantStep(t, r, "TLS", StatusWarn, "plain text", "security = starttls")
		wantStep(t, r, "AUTH", StatusSkip, "no login configured")
		if !r.OK() {
			t.Errorf("plain text is a warning, not a failure:\n%s", textOf(r))
		}
	})
	t.Run("none while offered", func(t *testing.T) {
		certs := smtptest.NewTLSCerts(t)
		srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server))
		r := runCheck(t, loadConfig(t, smtpFor(srv, "security = none")), Options{})
		wantStep(t, r, "TLS", StatusWarn, "stays plain text", "security = auto or starttls")
	})
}

func TestRun_Greeting(t *testing.T) {
	for _, tc := range []struct {
		name, greeting string
		verdict        string
	}{
		{"refused", "554 5.7.1 mail.example.org: no SMTP service for you", "The mail relay refuses to take mail from this machine. Ask IT to allow connections from this machine's address (127.0.0.1)."},
		{"busy", "421 4.3.2 Service not available", "try again later"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := smtptest.NewRawServer(t, func(c net.Conn) { io.WriteString(c, tc.greeting+"\r\n") })
			r := runCheck(t, loadConfig(t, smtpFor(raw)), Options{})
			wantStep(t, r, "GREETING", StatusFail, tc.greeting, tc.verdict)
			wantLast(t, r, "GREETING")
			if tr := strings.Join(r.Servers[0].Transcript, "\n"); !strings.Contains(tr, "S: "+tc.greeting) {
				t.Errorf("transcript lacks the greeting:\n%s", tr)
			}
		})
	}
	t.Run("never comes", func(t *testing.T) {
		raw := smtptest.NewRawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
		cfg := loadConfig(t, fmt.Sprintf("host = 127.0.0.1\nport = %d\ntimeout = 1s\n", raw.Port()))
		r := runCheck(t, cfg, Options{})
		wantStep(t, r, "TCP", StatusOK, "connected to")
		wantStep(t, r, "GREETING", StatusFail, "timeout", "sent no greeting within 1s", "firewall")
	})
}

func TestRun_EHLORefused(t *testing.T) {
	raw := smtptest.NewRawServer(t, func(c net.Conn) {
		io.WriteString(c, "220 raw ESMTP\r\n")
		r := bufio.NewReader(c)
		for {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
			io.WriteString(c, "550 5.7.1 bad HELO name\r\n")
		}
	})
	r := runCheck(t, loadConfig(t, smtpFor(raw, "helo = gateway.example.org")), Options{})
	wantStep(t, r, "GREETING", StatusOK, "220 raw ESMTP")
	wantStep(t, r, "EHLO", StatusFail, "550 5.7.1 bad HELO name", "refused EHLO gateway.example.org", "set helo in [smtp]")
}

func TestRun_ConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := loadConfig(t, fmt.Sprintf("host = 127.0.0.1\nport = %d\n", port))
	r := runCheck(t, cfg, Options{})
	wantStep(t, r, "TCP", StatusFail, "", fmt.Sprintf("Nothing listens on port %d at 127.0.0.1: check host and port in [smtp]", port))
	wantLast(t, r, "TCP")
	if r.OK() {
		t.Error("OK despite a refused connection")
	}
}

func TestRun_ConnectTimeout(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := loadConfig(t, smtpFor(srv))
	// The dial's deadline has passed before the connection can be made:
	// a real time-out of the real dialer, without an unreachable address.
	cfg.SMTP.ConnectTimeout = time.Nanosecond
	r := runCheck(t, cfg, Options{})
	wantStep(t, r, "TCP", StatusFail, "timeout", "seems blocked by a firewall (outbound port 25 is often blocked): ask IT to open it",
		"submission port 587 with security = starttls")
}

func TestRun_DNS(t *testing.T) {
	cfg := loadConfig(t, "host = nonexistent.invalid\nconnect_timeout = 10s\n")
	r := runCheck(t, cfg, Options{})
	// Where this machine has no DNS, the lookup fails differently, but
	// both verdicts point at host.
	wantStep(t, r, "DNS", StatusFail, "nonexistent.invalid", "nonexistent.invalid", "host in [smtp]")
	wantLast(t, r, "DNS")

	cfg = loadConfig(t, "host = localhost\nport = 1\nconnect_timeout = 10s\n")
	r = runCheck(t, cfg, Options{})
	wantStep(t, r, "DNS", StatusOK, "localhost: ")
}

func TestRun_Auth(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	tlsLines := []string{"security = starttls", "ca_file = " + certs.CAFile}
	t.Run("wrong password", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithAuth("lib", "right"))
		r := runCheck(t, loadConfig(t, smtpFor(srv, append(tlsLines, "username = lib", "password = wrong")...)), Options{})
		s := wantStep(t, r, "AUTH", StatusFail, "535 5.7.8", "The mail relay refused spoolgate's login. Check username and password in [smtp]")
		if s.Cause != cause.LoginRefused || !strings.HasPrefix(s.Reply, "535 5.7.8 ") {
			t.Errorf("cause %q, reply %q", s.Cause, s.Reply)
		}
	})
	t.Run("535 5.7.0 over plain text", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithAuth("lib", "pw"),
			smtptest.WithFault(smtptest.At(smtptest.StageAuth, smtptest.Refuse(535, [3]int{5, 7, 0}, "Authentication credentials invalid"))))
		r := runCheck(t, loadConfig(t, smtpFor(srv, "security = none", "username = lib", "password = pw")), Options{})
		wantStep(t, r, "AUTH", StatusFail, "535 5.7.0 Authentication credentials invalid",
			"The server offers AUTH only after STARTTLS: set security = starttls in [smtp].")
	})
	t.Run("offered only after STARTTLS", func(t *testing.T) {
		raw := authAfterTLS(t, certs)
		r := runCheck(t, loadConfig(t, smtpFor(raw, "security = none", "username = lib", "password = pw")), Options{})
		wantStep(t, r, "AUTH", StatusFail, "does not offer AUTH", "The server offers AUTH only after STARTTLS: set security = starttls in [smtp].")
		// The fix works.
		r = runCheck(t, loadConfig(t, smtpFor(raw, append(tlsLines, "username = lib", "password = pw")...)), Options{})
		wantStep(t, r, "AUTH", StatusOK, "logged in as lib with PLAIN")
		if !r.OK() {
			t.Errorf("with security = starttls:\n%s", textOf(r))
		}
	})
	t.Run("not offered at all", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server))
		r := runCheck(t, loadConfig(t, smtpFor(srv, append(tlsLines, "username = lib", "password = pw")...)), Options{})
		wantStep(t, r, "AUTH", StatusFail, "does not offer AUTH", "remove username and password from [smtp]")
	})
	t.Run("no mechanism in common", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithAuth("lib", "pw", "XOAUTH2"))
		r := runCheck(t, loadConfig(t, smtpFor(srv, append(tlsLines, "username = lib", "password = pw")...)), Options{})
		wantStep(t, r, "AUTH", StatusFail, "XOAUTH2", "enable AUTH PLAIN or LOGIN")
	})
}

// authAfterTLS is a raw server that offers STARTTLS on plain text, and
// AUTH PLAIN only after it, as Exchange and many relays do.
func authAfterTLS(t *testing.T, certs *smtptest.TLSCerts) *smtptest.RawServer {
	conf := &tls.Config{Certificates: []tls.Certificate{certs.Server}, MinVersion: tls.VersionTLS12}
	return smtptest.NewRawServer(t, func(c net.Conn) {
		var conn net.Conn = c
		r := bufio.NewReader(conn)
		secure := false
		io.WriteString(conn, "220 raw.example ESMTP\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			verb, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(line)), " ")
			switch verb {
			case "EHLO":
				if secure {
					io.WriteString(conn, "250-raw.example\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
				} else {
					io.WriteString(conn, "250-raw.example\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
				}
			case "STARTTLS":
				io.WriteString(conn, "220 2.0.0 go ahead\r\n")
				tc := tls.Server(c, conf)
				if tc.Handshake() != nil {
					return
				}
				conn, r, secure = tc, bufio.NewReader(tc), true
			case "AUTH":
				if !secure {
					io.WriteString(conn, "503 5.5.1 AUTH not available\r\n")
					continue
				}
				io.WriteString(conn, "235 2.7.0 Authentication successful\r\n")
			case "QUIT":
				io.WriteString(conn, "221 2.0.0 bye\r\n")
				return
			default:
				io.WriteString(conn, "250 2.0.0 ok\r\n")
			}
		}
	})
}

func TestRun_TranscriptMasksPassword(t *testing.T) {
	const user, pass = "library", "Tr0ub4dor&3-x"
	certs := smtptest.NewTLSCerts(t)
	secrets := []string{
		pass,
		base64.StdEncoding.EncodeToString([]byte(pass)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass)),
	}
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithAuth(user, pass, mech))
			cfg := loadConfig(t, smtpFor(srv, "security = starttls", "ca_file = "+certs.CAFile, "username = "+user, "password = "+pass))
			r := runCheck(t, cfg, Options{SendTo: "patron@example.net"})
			srv.WaitMessages(t, 1, waitLong)
			js, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			text := textOf(r)
			for _, out := range []string{text, string(js)} {
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("the output shows %q:\n%s", s, out)
					}
				}
			}
			want := "C: AUTH " + mech + " ********"
			if !strings.Contains(text, want) || strings.Count(text, want) != 2 { // the check and the send
				t.Errorf("text lacks %q twice:\n%s", want, text)
			}
			if mech == "LOGIN" && !strings.Contains(text, "\n    C: ********\n") {
				t.Errorf("the LOGIN password line is not masked:\n%s", text)
			}
			wantStep(t, r, "AUTH", StatusOK, "logged in as "+user+" with "+mech)
		})
	}
}

func TestRun_Send(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageData,
		&smtptest.Reply{Code: 250, Enhanced: [3]int{2, 0, 0}, Message: "Ok: queued as 4F2A1B3C"})))
	cfg := loadConfig(t, smtpFor(srv))
	now := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	r := runCheck(t, cfg, Options{SendTo: "Patron <patron@example.net>", Now: func() time.Time { return now }})
	msgs := srv.WaitMessages(t, 1, waitLong)
	m := msgs[0]
	host, _ := os.Hostname()
	if m.From != "library@example.org" || len(m.To) != 1 || m.To[0] != "patron@example.net" {
		t.Errorf("envelope %s -> %v", m.From, m.To)
	}
	data := string(m.Data)
	for _, want := range []string{
		"Subject: spoolgate test message from " + host + "\r\n",
		"To: <patron@example.net>\r\n",
		"From: \"Example Library\" <library@example.org>\r\n",
		"Date: Sun, 01 Mar 2026 09:30:00 +0000\r\n",
		"Message-Id: <spoolgate-check.",
		"@example.org>\r\n",
		"spoolgate check --send",
		"2026-03-01 09:30:00",
	} {
		if !strings.Contains(data, want) {
			t.Errorf("message lacks %q:\n%s", want, data)
		}
	}
	s := r.Send
	if s == nil {
		t.Fatalf("no send report:\n%s", textOf(r))
	}
	if s.Reply != "250 2.0.0 Ok: queued as 4F2A1B3C" || s.QueueID != "4F2A1B3C" || s.Server != "smtp ("+srv.Addr()+")" || s.To != "patron@example.net" {
		t.Errorf("send = %+v", s)
	}
	if !strings.Contains(data, "Message-Id: "+s.MessageID+"\r\n") {
		t.Errorf("message id %s is not the message's:\n%s", s.MessageID, data)
	}
	text := textOf(r)
	for _, want := range []string{
		"\nTest message to patron@example.net\n",
		"  [ ok ] DATA     250 2.0.0 Ok: queued as 4F2A1B3C (queue id 4F2A1B3C) from smtp (" + srv.Addr() + ")",
		"    C: MAIL FROM:<library@example.org>",
		"    C: RCPT TO:<patron@example.net>",
		"    C: [message: ",
		"Result: OK, with 1 warning.", // no STARTTLS
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if !r.OK() {
		t.Error("not OK")
	}
}

func TestRun_SendRelayingDenied(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageRcpt,
		smtptest.Refuse(554, [3]int{5, 7, 1}, "<patron@example.net>: Relay access denied"))))
	r := runCheck(t, loadConfig(t, smtpFor(srv)), Options{SendTo: "patron@example.net"})
	var rcpt *Step
	for i, s := range r.Send.Steps {
		if s.Step == "RCPT" {
			rcpt = &r.Send.Steps[i]
		}
	}
	if rcpt == nil || rcpt.Status != StatusFail || !strings.Contains(rcpt.Detail, "554 5.7.1") ||
		!strings.Contains(rcpt.Verdict, "(relaying denied). Ask IT to allow relaying from this machine's address (127.0.0.1), or configure a login") ||
		rcpt.Cause != cause.RelayingDenied || rcpt.Reply != "554 5.7.1 <patron@example.net>: Relay access denied" {
		t.Errorf("RCPT step %+v:\n%s", rcpt, textOf(r))
	}
	if r.OK() {
		t.Error("OK despite a refused recipient")
	}
	if len(srv.Messages()) != 0 {
		t.Error("a message arrived")
	}
}

func TestRun_SendAuthRequired(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithAuth("lib", "pw"))
	r := runCheck(t, loadConfig(t, smtpFor(srv)), Options{SendTo: "patron@example.net"})
	s := r.Send.Steps[len(r.Send.Steps)-1]
	if s.Step != "MAIL" || s.Status != StatusFail || !strings.Contains(s.Verdict, "Set username and password in [smtp]") || s.Cause != cause.AuthRequired {
		t.Errorf("steps %+v", r.Send.Steps)
	}
}

func TestRun_SendFailsOver(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	good := smtptest.NewServer(t)
	cfg := loadConfig(t, fmt.Sprintf("host = 127.0.0.1\nport = %d\nnext = backup\n\n[smtp.backup]\n%s", down, smtpFor(good)))
	r := runCheck(t, cfg, Options{SendTo: "patron@example.net"})
	good.WaitMessages(t, 1, waitLong)
	if len(r.Servers) != 2 || r.Servers[1].Name != "backup" {
		t.Fatalf("servers %+v", r.Servers)
	}
	if r.Send.Server != "backup ("+good.Addr()+")" {
		t.Errorf("sent via %q", r.Send.Server)
	}
	if r.OK() {
		t.Error("the first server is down: the check must fail even though mail goes out")
	}
	if !strings.Contains(textOf(r), "\nServer backup ("+good.Addr()+")\n") {
		t.Errorf("text:\n%s", textOf(r))
	}
}

func TestRun_SendNobodyReachable(t *testing.T) {
	cfg := loadConfig(t, "host = nonexistent.invalid\nconnect_timeout = 10s\n")
	r := runCheck(t, cfg, Options{SendTo: "patron@example.net"})
	s := r.Send.Steps[0]
	if s.Step != "SEND" || s.Status != StatusFail || !strings.Contains(s.Verdict, "Fix what failed in the server checks above") {
		t.Errorf("steps %+v", r.Send.Steps)
	}
}

func TestRun_JSON(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := loadConfig(t, smtpFor(srv))
	r := runCheck(t, cfg, Options{SendTo: "patron@example.net"})
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config  string `json:"config"`
		OK      *bool  `json:"ok"`
		Mode    string `json:"mode"`
		Folders []struct {
			Name, Path, Status, Detail string
			FreeBytes                  uint64 `json:"free_bytes"`
		} `json:"folders"`
		Servers []struct {
			Name, Address string
			Steps         []map[string]string `json:"steps"`
			Transcript    []string            `json:"transcript"`
		} `json:"servers"`
		Send *struct {
			To, Reply  string
			Steps      []map[string]string `json:"steps"`
			Transcript []string            `json:"transcript"`
		} `json:"send"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Config != cfg.File || doc.OK == nil || !*doc.OK || doc.Mode != "relay" {
		t.Errorf("config %q ok %v mode %q", doc.Config, doc.OK, doc.Mode)
	}
	if len(doc.Folders) != 2 || doc.Folders[0].Name != "queue" || doc.Folders[0].Status != "ok" || doc.Folders[1].Path != cfg.Spool.Data {
		t.Errorf("folders %+v", doc.Folders)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].Address != srv.Addr() || len(doc.Servers[0].Steps) != 7 || len(doc.Servers[0].Transcript) == 0 {
		t.Fatalf("servers %+v", doc.Servers)
	}
	for _, s := range doc.Servers[0].Steps {
		if s["step"] == "" || s["status"] == "" || s["detail"] == "" {
			t.Errorf("step %v", s)
		}
	}
	if doc.Send == nil || doc.Send.To != "patron@example.net" || !strings.HasPrefix(doc.Send.Reply, "250 ") || len(doc.Send.Transcript) == 0 {
		t.Errorf("send %+v", doc.Send)
	}
	// A failed step carries its verdict.
	r = runCheck(t, loadConfig(t, fmt.Sprintf("host = 127.0.0.1\nport = %d\n", smtptest.ClosedPort(t))), Options{})
	js, _ = json.Marshal(r)
	if !bytes.Contains(js, []byte(`"ok":false`)) || !bytes.Contains(js, []byte(`"status":"fail","detail":`)) || !bytes.Contains(js, []byte(`"verdict":"Nothing listens on port`)) {
		t.Errorf("json: %s", js)
	}
}

func TestRun_CaptureMode(t *testing.T) {
	dir := spooltest.TempDir(t)
	cfg := loadIn(t, dir, "capture = outbox\n")
	r := runCheck(t, cfg, Options{SendTo: "patron@example.net"})
	if r.Mode != "capture" || len(r.Servers) != 0 || len(r.Capture) != 2 {
		t.Fatalf("report %+v", r)
	}
	if r.Capture[0].Status != StatusOK || !strings.Contains(r.Capture[0].Detail, "mail is captured to "+cfg.Capture+"; no relay is checked") {
		t.Errorf("capture %+v", r.Capture[0])
	}
	if r.Capture[1].Status != StatusWarn || !strings.Contains(r.Capture[1].Detail, "nothing is sent for real") {
		t.Errorf("capture %+v", r.Capture[1])
	}
	if !r.OK() {
		t.Errorf("capture mode is OK:\n%s", textOf(r))
	}
	var names []string
	for _, f := range r.Folders {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "queue data capture" {
		t.Errorf("folders %v", names)
	}
	captured, _ := filepath.Glob(filepath.Join(cfg.Capture, "*.eml"))
	if len(captured) != 1 || r.Send.Steps[0].Status != StatusOK || !strings.Contains(r.Send.Steps[0].Detail, "nothing was sent") {
		t.Errorf("captured %v, send %+v", captured, r.Send)
	}
	if !strings.Contains(textOf(r), "\nCapture mode\n  [ ok ] CAPTURE  mail is captured to ") {
		t.Errorf("text:\n%s", textOf(r))
	}
}

func TestRun_Folders(t *testing.T) {
	dir := spooltest.TempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "afile"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := loadIn(t, dir, "host = 127.0.0.1\n")
	cfg.SMTP = nil // folders only
	cfg.Capture = filepath.Join(dir, "afile")
	cfg.Spool.Data = filepath.Join(dir, "afile", "data")
	r := Run(context.Background(), cfg, Options{})
	byName := map[string]Folder{}
	for _, f := range r.Folders {
		byName[f.Name] = f
	}
	q := byName["queue"]
	if q.Status != StatusWarn || !strings.Contains(q.Detail, "does not exist yet; spoolgate creates it when it starts ("+dir+" is writable") || q.Verdict == "" {
		t.Errorf("queue %+v", q)
	}
	if _, err := os.Stat(cfg.Spool.Folder); err == nil {
		t.Error("check created the queue folder")
	}
	if d := byName["data"]; d.Status != StatusFail || !strings.Contains(d.Detail, "cannot be created") || !strings.Contains(d.Verdict, "[spool] data") {
		t.Errorf("data %+v", d)
	}
	if c := byName["capture"]; c.Status != StatusFail || c.Detail != "is a file, not a folder" || !strings.Contains(c.Verdict, "[smtp] capture") {
		t.Errorf("capture %+v", c)
	}
	if r.OK() {
		t.Error("OK with broken folders")
	}
	// Nothing is left behind by the write test.
	if err := os.Mkdir(cfg.Spool.Folder, 0o755); err != nil {
		t.Fatal(err)
	}
	f := checkFolder("queue", cfg.Spool.Folder, "[spool] folder")
	if f.Status != StatusOK || !strings.HasPrefix(f.Detail, "writable, ") || !strings.HasSuffix(f.Detail, " free") || f.FreeBytes == 0 {
		t.Errorf("queue %+v", f)
	}
	if ents, _ := os.ReadDir(cfg.Spool.Folder); len(ents) != 0 {
		t.Errorf("left behind %v", ents)
	}
}

func TestDiskVerdict(t *testing.T) {
	for _, tc := range []struct {
		free uint64
		want Status
		in   string
	}{
		{5 << 30, StatusOK, ""},
		{100 << 20, StatusOK, ""},
		{100<<20 - 1, StatusWarn, "nearly full (100.0 MB free)"},
		{10 << 20, StatusWarn, "nearly full"},
		{10<<20 - 1, StatusFail, "is full"},
		{0, StatusFail, "is full (0 B free)"},
	} {
		st, v := diskVerdict(tc.free, "/q")
		if st != tc.want || !strings.Contains(v, tc.in) || (st != StatusOK) != (v != "") {
			t.Errorf("diskVerdict(%d) = %s, %q", tc.free, st, v)
		}
	}
}
