package check

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/relay"
)

// The verdicts: one function per family of steps, each turning what went
// wrong into what it means and what to change. The wording lives here and
// only here.
//
// A failure the relay answered is rendered from its cause (relay.Error's
// Cause, decided once by cause.Of): first what the cause means, in the
// words of cause.Explain that .BAD.txt and the daily log use, then what to
// do. The action is check's own when check knows more than the reply (the
// key to change, whether the connection was encrypted, this machine's
// address), else the cause's. No verdict reads the reply's text; the step's
// detail quotes the reply exactly. Failures without a reply (DNS, a
// refused or timed-out connect, a certificate, a refusal spoolgate makes
// itself) come from check's own probes and keep check's own words.

// section names the config section of srv: "[smtp]" or "[smtp.NAME]".
func section(srv *config.Server) string {
	if srv.Name == "" || srv.Name == "smtp" {
		return "[smtp]"
	}
	return "[smtp." + srv.Name + "]"
}

// detailOf is what an error says, without the server's label that the
// report already shows: the server's reply if there is one.
func detailOf(err error) string {
	var e *relay.Error
	if errors.As(err, &e) {
		if e.Reply != "" {
			return e.Reply
		}
		if e.Err != nil {
			return e.Err.Error()
		}
	}
	return err.Error()
}

// failed is a failed step that err ended: its detail is the server's
// reply exactly, when it sent one, with the reply and its cause kept
// apart for --json.
func failed(step string, err error, verdict string) Step {
	s := Step{Step: step, Status: StatusFail, Detail: detailOf(err), Verdict: verdict}
	var e *relay.Error
	if errors.As(err, &e) {
		s.Reply, s.Cause = e.Reply, e.Cause
	}
	return s
}

// replied returns the *relay.Error of err when the server answered with a
// reply code, else nil.
func replied(err error) *relay.Error {
	var e *relay.Error
	if errors.As(err, &e) && e.Code != 0 {
		return e
	}
	return nil
}

// explain is the verdict on a reply: what its cause means, then action,
// or the cause's own action when action is "".
func explain(e *relay.Error, action string) string {
	meaning, def := cause.Explain("en", e.Cause)
	if action == "" {
		action = def
	}
	return meaning + " " + action
}

func isAny(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return (errors.As(err, &ne) && ne.Timeout()) || isAny(err, errTimedOut)
}

// dnsVerdict explains a failed lookup of srv.Host.
func dnsVerdict(err error, srv *config.Server) string {
	var de *net.DNSError
	switch {
	case errors.As(err, &de) && de.IsNotFound:
		return fmt.Sprintf("The name %s does not exist in DNS: check host in %s for a typo, or ask IT for the relay's name.", srv.Host, section(srv))
	case errors.As(err, &de) && de.IsTimeout, isTimeout(err):
		return fmt.Sprintf("No DNS answer for %s in time: check this machine's DNS settings, or set host in %s to the relay's IP address.", srv.Host, section(srv))
	}
	return fmt.Sprintf("The name %s could not be looked up (no DNS?): check this machine's DNS settings, or set host in %s to the relay's IP address.", srv.Host, section(srv))
}

// dialVerdict explains a failed TCP connect to srv.
func dialVerdict(err error, srv *config.Server) string {
	sec := section(srv)
	switch {
	case isAny(err, errRefused):
		return fmt.Sprintf("Nothing listens on port %d at %s: check host and port in %s (relays listen on 25, on 587 for submission, or on 465 for TLS).", srv.Port, srv.Host, sec)
	case isTimeout(err):
		v := fmt.Sprintf("Port %d seems blocked by a firewall (outbound port 25 is often blocked): ask IT to open it", srv.Port)
		if srv.Port == 587 {
			return v + "."
		}
		return v + ", or use the relay's submission port 587 with security = starttls in " + sec + "."
	case isAny(err, errUnreachable):
		return fmt.Sprintf("This machine has no route to %s: check its network connection, and host in %s.", srv.Host, sec)
	}
	return fmt.Sprintf("Could not connect to %s: check host and port in %s, and this machine's network connection.", srv.Address(), sec)
}

// greetingVerdict explains a greeting that failed or never came.
func greetingVerdict(err error, srv *config.Server, localIP string) string {
	implicit := ""
	if srv.Port == config.DefaultTLSPort && srv.Security != config.SecurityTLS {
		implicit = fmt.Sprintf(" Port %d normally expects TLS from the first byte: set security = tls in %s.", srv.Port, section(srv))
	}
	if e := replied(err); e != nil {
		switch e.Cause {
		case cause.ClientRefused:
			return explain(e, fmt.Sprintf("Ask IT to allow connections from this machine's address%s.", ipNote(localIP)))
		case cause.Blocklisted:
			_, act := cause.Explain("en", e.Cause)
			return explain(e, act+" This machine's address, as the relay sees it:"+ipNote(localIP)+".")
		case cause.Unreachable:
			return explain(e, "The server is not taking connections now: try again later; if it lasts, ask IT to look at the relay.")
		}
		return explain(e, "")
	}
	switch {
	case isTimeout(err):
		return fmt.Sprintf("The server took the connection but sent no greeting within %v: it may be overloaded, or something in between (a firewall or a virus scanner for mail) holds the connection.%s", srv.Timeout, implicit)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("The server closed the connection without a greeting: it may refuse this machine's address%s, or a firewall or virus scanner intercepts port %d.%s", ipNote(localIP), srv.Port, implicit)
	}
	return "The greeting failed: check that host and port in " + section(srv) + " point to an SMTP server." + implicit
}

// ehloVerdict explains a refused EHLO (and HELO).
func ehloVerdict(err error, srv *config.Server) string {
	if e := replied(err); e != nil {
		if e.Cause == cause.ClientRefused {
			return explain(e, fmt.Sprintf("It refused EHLO %s: set helo in %s to this machine's full DNS name (e.g. helo = gateway.example.org), or ask IT which name the relay expects.", srv.HELO, section(srv)))
		}
		return explain(e, "")
	}
	return "The server stopped answering after the greeting: check that host and port in " + section(srv) + " point to an SMTP server."
}

// tlsVerdict explains a failed STARTTLS or TLS handshake with srv.
func tlsVerdict(err error, srv *config.Server, now time.Time) string {
	sec := section(srv)
	var (
		certErr *tls.CertificateVerificationError
		invalid x509.CertificateInvalidError
		hostErr x509.HostnameError
		caErr   x509.UnknownAuthorityError
		recErr  tls.RecordHeaderError
		e       *relay.Error
	)
	errors.As(err, &e)
	switch {
	case errors.Is(err, relay.ErrNoSTARTTLS):
		return fmt.Sprintf("security = starttls, but the server does not offer STARTTLS on port %d: check host and port in %s (the submission port 587 usually offers it), or ask IT to enable STARTTLS.", srv.Port, sec)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		if invalid.Cert != nil && now.Before(invalid.Cert.NotBefore) {
			return fmt.Sprintf("The relay's certificate is valid only from %s: check this machine's date and time.", day(invalid.Cert.NotBefore))
		}
		when := "already"
		if invalid.Cert != nil {
			when = "on " + day(invalid.Cert.NotAfter)
		}
		return fmt.Sprintf("The relay's certificate expired %s: IT must renew it; tls_verify = false only as a stop-gap (in %s).", when, sec)
	case errors.As(err, &hostErr):
		names := "another name"
		if hostErr.Certificate != nil {
			names = certNames(hostErr.Certificate)
		}
		return fmt.Sprintf("The certificate is for %s, not %s: set host in %s to a name on the certificate.", names, srv.Host, sec)
	case errors.As(err, &caErr):
		issuer := ""
		if caErr.Cert != nil {
			issuer = " (" + issuerName(caErr.Cert) + ")"
		}
		if srv.CAFile != "" {
			return fmt.Sprintf("The certificate is not signed by the CA in ca_file = %s%s: set ca_file in %s to the certificate of the CA that signed it.", srv.CAFile, issuer, sec)
		}
		return fmt.Sprintf("The certificate is signed by an unknown CA%s: set ca_file in %s to your organisation's CA certificate.", issuer, sec)
	case errors.As(err, &certErr), errors.As(err, &invalid):
		return fmt.Sprintf("The relay's certificate does not verify: ask IT to fix it; tls_verify = false only as a stop-gap (in %s).", sec)
	case errors.As(err, &recErr):
		if srv.Security == config.SecurityTLS {
			return fmt.Sprintf("The server does not speak TLS from the first byte on port %d: set security = starttls in %s (ports 25 and 587), or port = 465 for security = tls.", srv.Port, sec)
		}
		return "The server did not answer STARTTLS with TLS: ask IT to look at the relay's TLS set-up."
	case replied(err) != nil:
		if e.Cause != cause.TLSFailed {
			return explain(e, "")
		}
		return explain(e, fmt.Sprintf("The server refused STARTTLS: ask IT to fix the relay's TLS; only if it can't be fixed soon, set security = none in %s (mail then goes unencrypted).", sec))
	case isTimeout(err):
		return "The server stopped answering during the TLS handshake: it may be overloaded, or a firewall interferes."
	}
	return fmt.Sprintf("The TLS handshake failed: the relay may offer only old TLS versions (spoolgate needs TLS 1.2 or newer) or no cipher in common; ask IT, or try security = starttls on port 587 in %s.", sec)
}

// authCase is what the AUTH verdict depends on besides the error.
type authCase struct {
	srv      *config.Server
	tls      bool // the connection was encrypted when AUTH was tried
	startTLS bool // the server offered STARTTLS on the plain connection
}

// authVerdict explains a failed login.
func authVerdict(err error, c authCase) string {
	sec := section(c.srv)
	onlyAfterTLS := fmt.Sprintf("The server offers AUTH only after STARTTLS: set security = starttls in %s.", sec)
	switch {
	case errors.Is(err, relay.ErrPlaintextAuth):
		if c.startTLS {
			return fmt.Sprintf("spoolgate never sends a password unencrypted to another machine, and this connection is plain text: set security = starttls in %s (the server offers STARTTLS).", sec)
		}
		return fmt.Sprintf("spoolgate never sends a password unencrypted to another machine, and this server offers no STARTTLS on port %d: set port = 465 with security = tls, or port = 587 with security = starttls, in %s.", c.srv.Port, sec)
	case errors.Is(err, relay.ErrNoAUTH):
		if !c.tls && c.startTLS {
			return onlyAfterTLS
		}
		return fmt.Sprintf("The server offers no login (AUTH) here: if the relay lets this machine send by its address, remove username and password from %s; otherwise use the relay's submission port 587 with security = starttls.", sec)
	case errors.Is(err, relay.ErrNoAuthMechanism):
		return "The server offers no login method spoolgate speaks (PLAIN, LOGIN or CRAM-MD5): ask IT to enable AUTH PLAIN or LOGIN over TLS."
	}
	e := replied(err)
	if e == nil {
		if isTimeout(err) {
			return "The server stopped answering during the login: it may be overloaded; try again later."
		}
		return "The login failed: check username and password in " + sec + "."
	}
	switch e.Cause {
	case cause.LoginRefused, cause.TLSFailed, cause.AuthRequired:
		if !c.tls && c.startTLS {
			// Over plain text, with STARTTLS offered: Exchange answers
			// "535 5.7.0 Authentication credentials invalid" to any login
			// when it wants STARTTLS first.
			return explain(e, onlyAfterTLS)
		}
	}
	switch e.Cause {
	case cause.LoginRefused:
		if !e.Permanent {
			return explain(e, fmt.Sprintf("It says to try again later, as spoolgate does by itself; if it lasts, check username and password in %s and ask IT.", sec))
		}
		if e.Enhanced == "5.7.9" || e.Code == 534 {
			return explain(e, fmt.Sprintf("It wants a stronger login, often an app password: ask IT, then set password in %s.", sec))
		}
		return explain(e, fmt.Sprintf("Check username and password in %s, and ask IT whether this account may send mail.", sec))
	case cause.TLSFailed:
		return explain(e, fmt.Sprintf("Use a port with TLS: security = starttls (port 587) or security = tls (port 465) in %s.", sec))
	case cause.Temporary, cause.Unreachable:
		return explain(e, "The server could not check the login just now: try again later; if it lasts, ask IT.")
	}
	return explain(e, "")
}

// sendCase is what the verdict on the test message depends on.
type sendCase struct {
	from, to string
	login    bool   // the server was logged in to
	localIP  string // this machine's address as the relay saw it, or ""
}

// sendVerdict explains a refusal of the test message at MAIL, RCPT or
// DATA (stage).
func sendVerdict(err error, stage string, c sendCase) string {
	e := replied(err)
	if e == nil {
		if isTimeout(err) {
			return "The relay stopped answering: it may be overloaded; try again later."
		}
		var re *relay.Error
		if errors.As(err, &re) && re.Cause != "" && re.Cause != cause.Unreachable && re.Cause != cause.Unknown {
			return explain(re, "") // a refusal spoolgate made itself, e.g. a size over the relay's limit
		}
		return "The message could not be handed over: see the transcript."
	}
	switch e.Cause {
	case cause.AuthRequired:
		return explain(e, "Set username and password in [smtp] (with security = starttls).")
	case cause.RelayingDenied:
		if c.login {
			return explain(e, fmt.Sprintf("Ask IT to allow this login to send to %s.", domainOf(c.to)))
		}
		return explain(e, fmt.Sprintf("Ask IT to allow relaying from this machine's address%s, or configure a login (username and password in [smtp]).", ipNote(c.localIP)))
	case cause.AddressUnknown:
		return explain(e, fmt.Sprintf("Check the address %s.", c.to))
	case cause.SenderRefused:
		return explain(e, fmt.Sprintf("Set from (or return_path) in [message] to an address the relay allows, or ask IT to allow %s.", c.from))
	case cause.Blocklisted, cause.ClientRefused:
		_, act := cause.Explain("en", e.Cause)
		return explain(e, act+" This machine's address, as the relay sees it:"+ipNote(c.localIP)+".")
	}
	return explain(e, "")
}

// mailCase is what the verdict on a sender refused at MAIL depends on.
type mailCase struct {
	srv     *config.Server
	snd     sender
	localIP string // this machine's address as the relay saw it, or ""
}

// mailVerdict explains a refusal of MAIL FROM:<c.snd.addr> in the MAIL
// step, where nothing is sent.
func mailVerdict(err error, c mailCase) string {
	e := replied(err)
	if e == nil {
		var re *relay.Error
		switch {
		case isTimeout(err):
			return "The server stopped answering at MAIL FROM: it may be overloaded; try again later."
		case errors.As(err, &re) && re.Cause == cause.ContentRefused:
			return explain(re, "")
		}
		return "The server dropped the connection at MAIL FROM: see the transcript; if it lasts, ask IT."
	}
	sec := section(c.srv)
	who := "this machine's address" + ipNote(c.localIP)
	if c.srv.Username != "" {
		who = "the login " + c.srv.Username
	}
	keys := strings.Join(c.snd.keys, " and ")
	switch e.Cause {
	case cause.AuthRequired:
		return explain(e, fmt.Sprintf("It would refuse every message: set username and password in %s (with security = starttls).", sec))
	case cause.SenderRefused:
		if c.snd.envelope {
			return explain(e, fmt.Sprintf("It refuses %s from %s, so every message sent from it would fail: set %s to an address the relay allows, or ask IT to allow this sender.", c.snd.addr, who, keys))
		}
		return explain(e, fmt.Sprintf("It refuses %s from %s. Messages from %s go out with MAIL FROM:<%s>, but the relay may refuse them for their From header too: set %s to an address the relay allows, or ask IT to allow it.",
			c.snd.addr, who, c.snd.addr, strings.Join(c.snd.with, "> or <"), keys))
	case cause.Blocklisted, cause.ClientRefused:
		_, act := cause.Explain("en", e.Cause)
		return explain(e, act+" This machine's address, as the relay sees it:"+ipNote(c.localIP)+".")
	}
	return explain(e, "")
}

func ipNote(ip string) string {
	if ip == "" {
		return ""
	}
	return " (" + ip + ")"
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// certNames lists the names a certificate is for: its DNS and IP names,
// or its subject's common name when it has none.
func certNames(c *x509.Certificate) string {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, n := range c.DNSNames {
		add(n)
	}
	for _, ip := range c.IPAddresses {
		add(ip.String())
	}
	if len(names) == 0 { // an old certificate with its name only in the subject
		add(c.Subject.CommonName)
	}
	if len(names) == 0 {
		return "no name"
	}
	const show = 5
	if len(names) > show {
		return strings.Join(names[:show], ", ") + fmt.Sprintf(" and %d more", len(names)-show)
	}
	return strings.Join(names, ", ")
}

func issuerName(c *x509.Certificate) string {
	switch {
	case c.Issuer.CommonName != "":
		return c.Issuer.CommonName
	case len(c.Issuer.Organization) > 0:
		return c.Issuer.Organization[0]
	}
	return c.Issuer.String()
}
