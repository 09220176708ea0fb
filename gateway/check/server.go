package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/relay"
)

// expiryWarning is how close to its end a certificate makes the TLS step
// warn.
const expiryWarning = 14 * 24 * time.Hour

// quitTimeout bounds the wait for the answer to QUIT.
const quitTimeout = 10 * time.Second

// recorder keeps a transcript, "C: ..." and "S: ...", from a relay.Trace.
// Credentials are masked by relay already; as a second guard, any line
// that still holds the password or one of its base64 forms is masked.
type recorder struct {
	lines   []string
	secrets []string
	marks   bool   // mark where each server's dialogue starts
	last    string // the server of the last line
}

func newRecorder(head *config.Server, marks bool) *recorder {
	r := &recorder{marks: marks}
	seen := map[*config.Server]bool{}
	for srv := head; srv != nil && !seen[srv]; srv = srv.Next {
		seen[srv] = true
		r.secrets = append(r.secrets, secretsOf(srv)...)
		r.secrets = append(r.secrets, oauthSecrets(srv)...)
	}
	return r
}

// secretsOf lists what must never be shown for srv's login: the password
// (when it is long enough to look for) and the base64 forms AUTH PLAIN and
// LOGIN send.
func secretsOf(srv *config.Server) []string {
	if srv.Password == "" {
		return nil
	}
	b64 := base64.StdEncoding.EncodeToString
	s := []string{
		b64([]byte(srv.Password)),
		b64([]byte("\x00" + srv.Username + "\x00" + srv.Password)),
		b64([]byte(srv.Username + "\x00" + srv.Username + "\x00" + srv.Password)),
	}
	if len(srv.Password) >= 4 {
		s = append(s, srv.Password)
	}
	return s
}

func (r *recorder) trace(server string, fromClient bool, line string) {
	if r.marks && server != r.last {
		r.lines = append(r.lines, "-- "+server)
	}
	r.last = server
	for _, s := range r.secrets {
		if strings.Contains(line, s) {
			line = relay.Masked
			break
		}
	}
	if fromClient {
		r.lines = append(r.lines, "C: "+line)
	} else {
		r.lines = append(r.lines, "S: "+line)
	}
}

// serverCheck runs the steps for one server.
type serverCheck struct {
	srv     *config.Server
	now     time.Time
	senders []sender // to ask about at MAIL
	out     *Server
	rec     *recorder // the transcript, whose secrets a token adds to
}

func (s *serverCheck) add(step string, st Status, detail, verdict string) {
	s.addStep(Step{Step: step, Status: st, Detail: detail, Verdict: verdict})
}

func (s *serverCheck) addStep(st Step) {
	s.out.Steps = append(s.out.Steps, st)
}

// checkServer steps through a connection to srv: DNS, TCP, (TLS for
// security = tls,) greeting, EHLO, STARTTLS, AUTH, MAIL FROM and RSET for
// each of senders, then QUIT. It stops at the first step that fails.
func checkServer(ctx context.Context, srv *config.Server, senders []sender, now time.Time) Server {
	out := Server{Name: srv.Name, Address: srv.Address(), Steps: []Step{}}
	rec := newRecorder(srv, false)
	s := &serverCheck{srv: srv, now: now, senders: senders, out: &out, rec: rec}
	s.run(relay.WithTrace(ctx, rec.trace))
	out.Transcript = rec.lines
	if out.Transcript == nil {
		out.Transcript = []string{}
	}
	return out
}

func (s *serverCheck) run(ctx context.Context) {
	srv := s.srv
	if !s.oauthSteps(ctx) {
		return
	}
	if !s.lookup(ctx) {
		return
	}

	start := time.Now()
	c, err := relay.Dial(ctx, srv)
	if err != nil {
		var e *relay.Error
		if errors.As(err, &e) && e.Stage == "tls" {
			s.add("TCP", StatusOK, "connected to "+srv.Address(), "")
			s.addStep(failed("TLS", err, tlsVerdict(err, srv, s.now)))
			return
		}
		s.addStep(failed("TCP", err, dialVerdict(err, srv)))
		return
	}
	quit := true // QUIT at the end; not after a failed handshake or a missing greeting
	defer func() {
		if quit {
			c.Close(min(srv.Timeout, quitTimeout))
		} else {
			c.Abort()
		}
	}()
	localIP := hostOf(c.LocalAddr())
	s.out.LocalAddress = localIP
	s.add("TCP", StatusOK, fmt.Sprintf("connected to %s from %s in %.1f ms", c.RemoteAddr(), localIP, time.Since(start).Seconds()*1000), "")
	if c.TLS() != nil {
		s.tlsDone(c.TLS())
	}

	if err := c.Hello(ctx); err != nil {
		var e *relay.Error
		if errors.As(err, &e) && e.Stage == "greeting" {
			quit = false
			st := failed("GREETING", err, greetingVerdict(err, srv, localIP))
			st.Detail = orNone(joinLines(c.Greeting()), st.Detail)
			s.addStep(st)
			return
		}
		s.add("GREETING", StatusOK, joinLines(c.Greeting()), "")
		s.addStep(failed("EHLO", err, ehloVerdict(err, srv)))
		return
	}
	s.add("GREETING", StatusOK, joinLines(c.Greeting()), "")
	plainCaps := c.Capabilities()
	if plainCaps == nil {
		s.add("EHLO", StatusWarn, "the server refused EHLO and took HELO: it offers no extensions (no STARTTLS, AUTH or SIZE)",
			"The server is very old or a filter stands in front of it: ask IT.")
	} else {
		s.add("EHLO", StatusOK, strings.Join(plainCaps, ", "), "")
	}
	startTLS, _ := c.Extension("STARTTLS")

	if c.TLS() == nil {
		if err := s.startTLS(ctx, c, startTLS); err != nil {
			quit = errors.Is(err, relay.ErrNoSTARTTLS) // still a sound plain-text connection
			return
		}
		if caps := c.Capabilities(); c.TLS() != nil && !slices.Equal(caps, plainCaps) {
			s.add("EHLO", StatusOK, "after STARTTLS: "+strings.Join(caps, ", "), "")
		}
	}

	if !s.auth(ctx, c, startTLS, localIP) {
		return
	}
	s.probeSenders(ctx, c)
}

// lookup is the DNS step.
func (s *serverCheck) lookup(ctx context.Context) bool {
	srv := s.srv
	if ip := net.ParseIP(srv.Host); ip != nil {
		s.add("DNS", StatusOK, srv.Host+" is an IP address: no lookup needed", "")
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, srv.ConnectTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, srv.Host)
	if err != nil {
		s.add("DNS", StatusFail, err.Error(), dnsVerdict(err, srv))
		return false
	}
	s.add("DNS", StatusOK, srv.Host+": "+strings.Join(addrs, ", "), "")
	return true
}

// startTLS is the TLS step for security = auto, starttls and none. An
// error ends the check of the server.
func (s *serverCheck) startTLS(ctx context.Context, c *relay.Conn, offered bool) error {
	srv := s.srv
	if srv.Security == config.SecurityNone {
		if offered {
			s.add("TLS", StatusWarn, "security = none: the server offers STARTTLS, but the connection stays plain text",
				fmt.Sprintf("Set security = auto or starttls in %s to encrypt mail on its way to the relay.", section(srv)))
		} else {
			s.add("TLS", StatusSkip, "security = none: plain text", "")
		}
		return nil
	}
	if err := c.StartTLS(ctx); err != nil {
		s.addStep(failed("TLS", err, tlsVerdict(err, srv, s.now)))
		return err
	}
	if c.TLS() == nil {
		s.add("TLS", StatusWarn, "the server does not offer STARTTLS: mail (and any login) goes over plain text",
			fmt.Sprintf("If the relay is not on this network, ask IT for a port with STARTTLS (587) and set security = starttls in %s.", section(srv)))
		return nil
	}
	s.tlsDone(c.TLS())
	return nil
}

// tlsDone reports a handshake that succeeded: version, certificate and
// expiry, and with tls_verify = false what verification would have said.
func (s *serverCheck) tlsDone(st *tls.ConnectionState) {
	srv := s.srv
	if len(st.PeerCertificates) == 0 {
		s.add("TLS", StatusWarn, tls.VersionName(st.Version)+", but the server showed no certificate", "Ask IT to look at the relay's TLS set-up.")
		return
	}
	leaf := st.PeerCertificates[0]
	detail := fmt.Sprintf("%s, certificate for %s, issued by %s, expires %s",
		tls.VersionName(st.Version), certNames(leaf), issuerName(leaf), day(leaf.NotAfter))
	status, verdict := StatusOK, ""
	if left := leaf.NotAfter.Sub(s.now); left < expiryWarning && left > 0 {
		status = StatusWarn
		verdict = fmt.Sprintf("The relay's certificate expires on %s (in %s): ask IT to renew it before then.", day(leaf.NotAfter), roughDuration(left))
	}
	if !srv.TLSVerify {
		status = StatusWarn
		if err := verifyCert(st, srv, s.now); err != nil {
			verdict = "tls_verify = false hides a problem. " + tlsVerdict(err, srv, s.now)
		} else {
			verdict = fmt.Sprintf("tls_verify = false, yet the certificate verifies: set tls_verify = true in %s.", section(srv))
		}
	}
	s.add("TLS", status, detail, verdict)
}

// verifyCert checks the server's certificate as the TLS handshake does
// with tls_verify = true.
func verifyCert(st *tls.ConnectionState, srv *config.Server, now time.Time) error {
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := st.PeerCertificates[0].Verify(x509.VerifyOptions{
		DNSName:       srv.Host,
		Roots:         srv.RootCAs,
		Intermediates: inter,
		CurrentTime:   now,
	})
	return err
}

// auth is the AUTH step. It reports whether the check can go on.
func (s *serverCheck) auth(ctx context.Context, c *relay.Conn, startTLS bool, localIP string) bool {
	srv := s.srv
	if srv.Username == "" {
		s.add("AUTH", StatusSkip, "no login configured; the relay must allow relaying from this machine's address"+ipNote(localIP), "")
		return true
	}
	if err := c.Auth(ctx); err != nil {
		verdict := ""
		if srv.Auth == config.AuthOAuth2 {
			verdict = oauthAuthVerdict(err, srv)
		} else {
			verdict = authVerdict(err, authCase{srv: srv, tls: c.TLS() != nil, startTLS: startTLS})
		}
		s.addStep(failed("AUTH", err, verdict))
		return false
	}
	s.add("AUTH", StatusOK, fmt.Sprintf("logged in as %s with %s", srv.Username, c.AuthMechanism()), "")
	return true
}

func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

func joinLines(l []string) string { return strings.Join(l, " / ") }

func orNone(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// roughDuration says how long d is, in days or hours.
func roughDuration(d time.Duration) string {
	switch days := int(d / (24 * time.Hour)); {
	case days > 1:
		return fmt.Sprintf("%d days", days)
	case days == 1:
		return "1 day"
	}
	if h := int(d / time.Hour); h != 1 {
		return fmt.Sprintf("%d hours", h)
	}
	return "1 hour"
}
