package check

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/relay"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func testServer(mod ...func(*config.Server)) *config.Server {
	s := &config.Server{Name: "smtp", Host: "mail.example.org", Port: 25, Security: config.SecurityAuto,
		TLSVerify: true, HELO: "gw.example.org", Timeout: 3 * time.Minute, ConnectTimeout: 30 * time.Second}
	for _, m := range mod {
		m(s)
	}
	return s
}

func wantIn(t *testing.T, what, verdict string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(verdict, w) {
			t.Errorf("%s: verdict %q lacks %q", what, verdict, w)
		}
	}
}

// reply is an SMTP refusal at stage as relay reports it: the server's
// reply through relay.Classify, which sets its cause.
func reply(stage string, code int, enhanced, text string) error {
	se := &smtp.SMTPError{Code: code, Message: text, EnhancedCode: smtp.NoEnhancedCode}
	if enhanced != "" {
		if _, err := fmt.Sscanf(enhanced, "%d.%d.%d", &se.EnhancedCode[0], &se.EnhancedCode[1], &se.EnhancedCode[2]); err != nil {
			panic(err)
		}
	}
	return relay.Classify(se, "smtp (mail.example.org:25)", stage)
}

// relayErr is a failure without a reply, as relay reports it.
func relayErr(stage string, err error) error {
	return relay.Classify(err, "smtp (mail.example.org:25)", stage)
}

func TestSection(t *testing.T) {
	if s := section(testServer()); s != "[smtp]" {
		t.Error(s)
	}
	if s := section(testServer(func(s *config.Server) { s.Name = "backup" })); s != "[smtp.backup]" {
		t.Error(s)
	}
}

func TestDNSVerdict(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want []string
	}{
		{&net.DNSError{Err: "no such host", Name: "mail.example.org", IsNotFound: true},
			[]string{"The name mail.example.org does not exist in DNS", "check host in [smtp] for a typo"}},
		{&net.DNSError{Err: "i/o timeout", Name: "mail.example.org", IsTimeout: true},
			[]string{"No DNS answer for mail.example.org", "this machine's DNS settings", "set host in [smtp] to the relay's IP address"}},
		{&net.DNSError{Err: "server misbehaving", Name: "mail.example.org"},
			[]string{"could not be looked up (no DNS?)", "set host in [smtp] to the relay's IP address"}},
	} {
		wantIn(t, tc.err.Error(), dnsVerdict(tc.err, testServer()), tc.want...)
	}
}

func TestDialVerdict(t *testing.T) {
	opErr := func(err error) error {
		return relayErr("dial", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)})
	}
	p587 := func(s *config.Server) { s.Port = 587 }
	for _, tc := range []struct {
		name string
		err  error
		srv  *config.Server
		want []string
		not  string
	}{
		{"refused", opErr(errRefused[0]), testServer(),
			[]string{"Nothing listens on port 25 at mail.example.org: check host and port in [smtp]"}, ""},
		{"deadline", relayErr("dial", &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}), testServer(),
			[]string{"Port 25 seems blocked by a firewall (outbound port 25 is often blocked): ask IT to open it", "or use the relay's submission port 587 with security = starttls in [smtp]"}, ""},
		{"OS time-out", opErr(errTimedOut[0]), testServer(), []string{"seems blocked by a firewall"}, ""},
		{"time-out on 587", relayErr("dial", os.ErrDeadlineExceeded), testServer(p587),
			[]string{"Port 587 seems blocked by a firewall", "ask IT to open it."}, "submission port"},
		{"unreachable", opErr(errUnreachable[0]), testServer(), []string{"no route to mail.example.org", "host in [smtp]"}, ""},
		{"other", relayErr("dial", fmt.Errorf("something odd")), testServer(), []string{"Could not connect to mail.example.org:25: check host and port in [smtp]"}, ""},
	} {
		v := dialVerdict(tc.err, tc.srv)
		wantIn(t, tc.name, v, tc.want...)
		if tc.not != "" && strings.Contains(v, tc.not) {
			t.Errorf("%s: verdict %q has %q", tc.name, v, tc.not)
		}
	}
}

func TestGreetingVerdict(t *testing.T) {
	p465 := func(s *config.Server) { s.Port = 465; s.Timeout = time.Second }
	for _, tc := range []struct {
		name string
		err  error
		srv  *config.Server
		want []string
	}{
		{"554", reply("greeting", 554, "5.7.1", "no service for you"), testServer(),
			[]string{"The mail relay refuses to take mail from this machine. Ask IT to allow connections from this machine's address (192.0.2.7)."}},
		{"421", reply("greeting", 421, "4.3.2", "busy"), testServer(), []string{"spoolgate could not connect to the mail relay", "not taking connections now", "try again later"}},
		{"blocklisted", reply("greeting", 554, "5.7.1", "Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org"), testServer(),
			[]string{"because the address is on a blocklist of spam senders", "This machine's address, as the relay sees it: (192.0.2.7)."}},
		{"time-out", relayErr("greeting", os.ErrDeadlineExceeded), testServer(),
			[]string{"sent no greeting within 3m0s", "firewall"}},
		{"time-out on 465", relayErr("greeting", os.ErrDeadlineExceeded), testServer(p465),
			[]string{"within 1s", "Port 465 normally expects TLS from the first byte: set security = tls in [smtp]."}},
		{"closed", relayErr("greeting", fmt.Errorf("read: %w", io.EOF)), testServer(),
			[]string{"closed the connection without a greeting", "(192.0.2.7)", "port 25"}},
	} {
		wantIn(t, tc.name, greetingVerdict(tc.err, tc.srv, "192.0.2.7"), tc.want...)
	}
}

func TestEHLOVerdict(t *testing.T) {
	wantIn(t, "refused", ehloVerdict(reply("ehlo", 550, "5.7.1", "bad name"), testServer()),
		"refused EHLO gw.example.org", "set helo in [smtp] to this machine's full DNS name")
	wantIn(t, "silent", ehloVerdict(relayErr("ehlo", os.ErrDeadlineExceeded), testServer()), "stopped answering")
}

func TestTLSVerdict(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	cert := &x509.Certificate{
		Subject:   pkix.Name{CommonName: "relay.example.org"},
		Issuer:    pkix.Name{CommonName: "Example Issuing CA"},
		DNSNames:  []string{"relay.example.org", "smtp.example.org"},
		NotBefore: now.Add(-400 * 24 * time.Hour),
		NotAfter:  time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
	}
	future := *cert
	future.NotBefore, future.NotAfter = now.Add(24*time.Hour), now.Add(90*24*time.Hour)
	verify := func(err error) error {
		return relayErr("tls", &tls.CertificateVerificationError{UnverifiedCertificates: []*x509.Certificate{cert}, Err: err})
	}
	withCA := func(s *config.Server) { s.CAFile = "/etc/spoolgate/ca.pem" }
	tlsMode := func(s *config.Server) { s.Security = config.SecurityTLS; s.Port = 587 }
	for _, tc := range []struct {
		name string
		err  error
		srv  *config.Server
		want []string
	}{
		{"not offered", relayErr("tls", fmt.Errorf("x: %w", relay.ErrNoSTARTTLS)), testServer(),
			[]string{"security = starttls, but the server does not offer STARTTLS on port 25", "587"}},
		{"expired", verify(x509.CertificateInvalidError{Cert: cert, Reason: x509.Expired}), testServer(),
			[]string{"the relay's certificate expired on 2026-04-01: IT must renew it; tls_verify = false only as a stop-gap"}},
		{"not yet valid", verify(x509.CertificateInvalidError{Cert: &future, Reason: x509.Expired}), testServer(),
			[]string{"valid only from 2026-05-02", "this machine's date and time"}},
		{"wrong name", verify(x509.HostnameError{Certificate: cert, Host: "mail.example.org"}), testServer(),
			[]string{"The certificate is for relay.example.org, smtp.example.org, not mail.example.org: set host in [smtp] to a name on the certificate"}},
		{"unknown CA", verify(x509.UnknownAuthorityError{Cert: cert}), testServer(),
			[]string{"signed by an unknown CA (Example Issuing CA): set ca_file in [smtp] to your organisation's CA certificate"}},
		{"other CA in ca_file", verify(x509.UnknownAuthorityError{Cert: cert}), testServer(withCA),
			[]string{"not signed by the CA in ca_file = /etc/spoolgate/ca.pem", "set ca_file in [smtp] to the certificate of the CA that signed it"}},
		{"no TLS on a tls port", relayErr("tls", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), testServer(tlsMode),
			[]string{"does not speak TLS from the first byte on port 587", "set security = starttls in [smtp]"}},
		{"STARTTLS refused", reply("tls", 454, "4.7.0", "TLS not available"), testServer(),
			[]string{"refused STARTTLS", "ask IT"}},
		{"handshake", relayErr("tls", fmt.Errorf("remote error: tls: protocol version not supported")), testServer(),
			[]string{"TLS 1.2 or newer"}},
	} {
		wantIn(t, tc.name, strings.ToLower(tlsVerdict(tc.err, tc.srv, now)), lower(tc.want)...)
	}
}

func lower(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strings.ToLower(x)
	}
	return out
}

func TestAuthVerdict(t *testing.T) {
	srv := testServer(func(s *config.Server) { s.Username = "lib" })
	plainWithSTARTTLS := authCase{srv: srv, startTLS: true}
	plainOnly := authCase{srv: srv}
	overTLS := authCase{srv: srv, tls: true}
	onlyAfter := "The server offers AUTH only after STARTTLS: set security = starttls in [smtp]."
	for _, tc := range []struct {
		name string
		err  error
		c    authCase
		want []string
	}{
		{"535 5.7.0 on plain text", reply("auth", 535, "5.7.0", "Authentication credentials invalid"), plainWithSTARTTLS, []string{onlyAfter}},
		{"530 must STARTTLS", reply("auth", 530, "5.7.0", "Must issue a STARTTLS command first"), plainWithSTARTTLS, []string{onlyAfter}},
		{"no AUTH before STARTTLS", relayErr("auth", fmt.Errorf("x: %w", relay.ErrNoAUTH)), plainWithSTARTTLS, []string{onlyAfter}},
		{"no AUTH at all", relayErr("auth", fmt.Errorf("x: %w", relay.ErrNoAUTH)), overTLS,
			[]string{"offers no login (AUTH) here", "remove username and password from [smtp]", "587"}},
		{"535 5.7.8", reply("auth", 535, "5.7.8", "Error: authentication failed"), overTLS,
			[]string{"The mail relay refused spoolgate's login. Check username and password in [smtp], and ask IT whether this account may send mail."}},
		{"535 on plain text without STARTTLS", reply("auth", 535, "5.7.8", "bad"), plainOnly,
			[]string{"Check username and password"}},
		{"password in plain text, STARTTLS offered", relayErr("auth", fmt.Errorf("x: %w", relay.ErrPlaintextAuth)), plainWithSTARTTLS,
			[]string{"never sends a password unencrypted", "set security = starttls in [smtp]"}},
		{"password in plain text, no STARTTLS", relayErr("auth", fmt.Errorf("x: %w", relay.ErrPlaintextAuth)), plainOnly,
			[]string{"never sends a password unencrypted", "port = 465 with security = tls", "port = 587 with security = starttls"}},
		{"mechanisms", relayErr("auth", fmt.Errorf("x: %w", relay.ErrNoAuthMechanism)), overTLS, []string{"enable AUTH PLAIN or LOGIN"}},
		{"app password", reply("auth", 534, "5.7.9", "Application-specific password required"), overTLS, []string{"app password", "password in [smtp]"}},
		{"temporary", reply("auth", 454, "4.7.0", "Temporary authentication failure"), overTLS, []string{"refused spoolgate's login", "try again later"}},
		{"refused otherwise", reply("auth", 550, "5.7.1", "account disabled"), overTLS, []string{"Check username and password in [smtp]", "may send mail"}},
		{"TLS wanted", reply("auth", 538, "5.7.11", "Encryption required for requested authentication mechanism"), overTLS,
			[]string{"The secure (TLS) connection to the mail relay failed", "security = starttls (port 587) or security = tls (port 465) in [smtp]"}},
	} {
		wantIn(t, tc.name, authVerdict(tc.err, tc.c), tc.want...)
	}
}

func TestSendVerdict(t *testing.T) {
	anon := sendCase{from: "library@example.org", to: "patron@example.net", localIP: "192.0.2.7"}
	login := anon
	login.login = true
	relayDenied := "The mail relay does not let this machine send mail to this address (relaying denied). Ask IT to allow relaying from this machine's address (192.0.2.7), or configure a login"
	for _, tc := range []struct {
		name, stage string
		err         error
		c           sendCase
		want        []string
	}{
		{"5.7.1 at RCPT", "rcpt", reply("rcpt", 554, "5.7.1", "<patron@example.net>: Relay access denied"), anon, []string{relayDenied}},
		{"Exchange 5.7.54", "rcpt", reply("rcpt", 550, "5.7.54", "SMTP; Unable to relay recipient in non-accepted domain"), anon, []string{relayDenied}},
		{"relay text only", "rcpt", reply("rcpt", 550, "", "relaying denied"), anon, []string{relayDenied}},
		{"denied after login", "rcpt", reply("rcpt", 554, "5.7.1", "Relay access denied"), login, []string{"(relaying denied). Ask IT to allow this login to send to example.net."}},
		{"login needed", "mail", reply("mail", 530, "5.7.0", "Authentication required"), anon, []string{"The mail relay requires a login before it takes mail. Set username and password in [smtp]"}},
		{"no such user", "rcpt", reply("rcpt", 550, "5.1.1", "User unknown"), anon, []string{"The recipient's address does not exist. Check the address patron@example.net."}},
		{"sender refused", "mail", reply("mail", 553, "5.7.1", "Sender address rejected: not owned by user"), anon,
			[]string{"The mail relay does not accept the sender address spoolgate sends with.", "Set from (or return_path) in [message]", "allow library@example.org"}},
		{"blocklisted", "rcpt", reply("rcpt", 554, "5.7.1", "Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org"), anon,
			[]string{"on a blocklist of spam senders", "(192.0.2.7)"}},
		{"mailbox full", "rcpt", reply("rcpt", 552, "5.2.2", "Mailbox full"), anon, []string{"The recipient's mailbox is full."}},
		{"too large", "mail", reply("mail", 552, "5.3.4", "Message size exceeds fixed limit"), anon, []string{"The message is larger than the mail relay accepts."}},
		{"greylisted", "rcpt", reply("rcpt", 450, "4.2.0", "Greylisted"), anon, []string{"The message could not be sent this time.", "spoolgate tries again by itself"}},
		{"content", "data", reply("data", 554, "5.7.1", "Message rejected as spam"), anon, []string{"because of its security or spam rules"}},
		{"time-out", "data", relayErr("data", os.ErrDeadlineExceeded), anon, []string{"stopped answering"}},
	} {
		wantIn(t, tc.name, sendVerdict(tc.err, tc.stage, tc.c), tc.want...)
	}
}

func TestCertNames(t *testing.T) {
	for _, tc := range []struct {
		c    *x509.Certificate
		want string
	}{
		{&x509.Certificate{Subject: pkix.Name{CommonName: "old.example.org"}}, "old.example.org"},
		{&x509.Certificate{Subject: pkix.Name{CommonName: "Mail"}, DNSNames: []string{"a.example"}, IPAddresses: []net.IP{net.IPv4(192, 0, 2, 1)}}, "a.example, 192.0.2.1"},
		{&x509.Certificate{DNSNames: []string{"1", "2", "3", "4", "5", "6", "7"}}, "1, 2, 3, 4, 5 and 2 more"},
		{&x509.Certificate{}, "no name"},
	} {
		if got := certNames(tc.c); got != tc.want {
			t.Errorf("certNames = %q, want %q", got, tc.want)
		}
	}
}

func TestFolder_NotWritable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Log("no folder that even an administrator can't write in is known here; TestRun_Folders covers folders that can't be created")
		if f := checkFolder("queue", spooltest.TempDir(t), "[spool] folder"); f.Status != StatusOK {
			t.Errorf("a fresh folder: %+v", f)
		}
		return
	}
	// sysfs refuses new files even to root.
	f := checkFolder("queue", "/sys", "[spool] folder")
	if f.Status != StatusFail || !strings.Contains(f.Detail, "is not writable") ||
		!strings.Contains(f.Verdict, "the library system's account permission to create, rename and delete files in /sys") {
		t.Errorf("folder %+v", f)
	}
}
