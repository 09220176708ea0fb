// Package oauthtest is a token endpoint for tests that speaks the grants
// Microsoft's and Google's token endpoints speak, closely enough that
// package oauth can be tested against it, and that issues tokens Dovecot's
// passdb oauth2 accepts. It exists only for tests.
//
// One Server has two kinds of paths:
//
//   - /{tenant}/oauth2/v2.0/token, Microsoft-like: client_credentials and
//     refresh_token for the apps of AddMicrosoftApp, refusing as Microsoft
//     does (AADSTS90002 for an unknown tenant, AADSTS700016 for an unknown
//     application, AADSTS7000215 for a wrong secret, AADSTS7000222 for an
//     expired one, AADSTS1002012 for a scope without /.default, AADSTS65001
//     when consent was withdrawn, AADSTS50173 for a revoked refresh token);
//   - /token, Google-like and generic: the JWT-bearer grant for the service
//     accounts of AddServiceAccount (the assertion's RS256 signature is
//     checked against the account's public key, and its iss, sub, aud, iat,
//     exp and scope; unauthorized_client when the scope is not delegated),
//     refresh_token and client_credentials for the clients of AddClient.
//
// Refresh tokens rotate: every refresh hands out a new one and the old one
// stops working (invalid_grant), as does a revoked one. Failures can be
// injected: Down refuses connections until Up, FailWith answers every
// request with an HTTP status, Refuse with an OAuth error. Requests counts
// the requests of each grant.
//
// Every access token is a JWT signed with HS256 under HMACKey, with the
// header kid "default" and no azp claim, and the claims sub, iat, nbf, exp,
// jti, iss (Issuer), email (the mailbox) and, Microsoft-like, aud, appid,
// tid and roles (or scp) with enough of Microsoft's other claims to be as
// long as a real token, or, Google-like, scope and client_id. See
// dovecot.go for how Dovecot must be set up to accept them; a test there
// proves it against Debian's Dovecot.
package oauthtest

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// Grant types, as Requests counts them (the grant_type of the request).
const (
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// KeyID is the kid of every token's header; Dovecot looks the key up
// under it.
const KeyID = "default"

// Scopes and audiences of the providers.
const (
	MicrosoftResource = "https://outlook.office365.com"
	GoogleScope       = "https://mail.google.com/"
	SendAsAppRole     = "SMTP.SendAsApp"
)

// Server is a token endpoint. Make it with New or NewPlain; it stops when
// the test ends.
type Server struct {
	// URL is the base URL: https://127.0.0.1:PORT or http://127.0.0.1:PORT.
	URL string
	// HMACKey signs every access token (HS256).
	HMACKey []byte
	// CAPool trusts the server's certificate (nil for NewPlain); CAPEM is
	// the CA as PEM, for programs that read a CA file.
	CAPool *x509.CertPool
	CAPEM  []byte

	tb      testing.TB
	addr    string
	tlsConf *tls.Config
	srv     *http.Server

	mu         sync.Mutex
	ln         net.Listener
	conns      map[net.Conn]struct{}
	issuer     string
	lifetime   time.Duration
	rotate     bool
	failStatus int
	refusal    *oauthError
	counts     map[string]int
	tenants    map[string]string // tenant ID or domain, lower case → tenant ID
	apps       map[string]*msApp
	accounts   map[string]*account
	clients    map[string]*Client
	refresh    map[string]*refreshGrant
}

// New starts a TLS token endpoint on 127.0.0.1 whose certificate (for
// 127.0.0.1, ::1 and localhost) is signed by a throw-away CA, CAPool.
func New(tb testing.TB) *Server {
	tb.Helper()
	ca := smtptest.NewTLSCerts(tb)
	s := start(tb, &tls.Config{Certificates: []tls.Certificate{ca.Server}, MinVersion: tls.VersionTLS12})
	s.CAPool, s.CAPEM = ca.CAPool, ca.CAPEM
	return s
}

// NewPlain starts a token endpoint on http://127.0.0.1 (loopback, which
// package oauth allows without TLS).
func NewPlain(tb testing.TB) *Server {
	tb.Helper()
	return start(tb, nil)
}

func start(tb testing.TB, tlsConf *tls.Config) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("oauthtest: listen: %v", err)
	}
	s := &Server{
		tb:       tb,
		addr:     ln.Addr().String(),
		tlsConf:  tlsConf,
		HMACKey:  randomBytes(32),
		conns:    map[net.Conn]struct{}{},
		lifetime: time.Hour,
		rotate:   true,
		counts:   map[string]int{},
		tenants:  map[string]string{},
		apps:     map[string]*msApp{},
		accounts: map[string]*account{},
		clients:  map[string]*Client{},
		refresh:  map[string]*refreshGrant{},
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
	}
	s.URL = scheme + "://" + s.addr
	s.issuer = s.URL + "/"
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          nil,
		ConnState: func(c net.Conn, st http.ConnState) {
			s.mu.Lock()
			defer s.mu.Unlock()
			switch st {
			case http.StateNew:
				s.conns[c] = struct{}{}
			case http.StateClosed, http.StateHijacked:
				delete(s.conns, c)
			}
		},
	}
	s.serve(ln)
	tb.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *Server) serve(ln net.Listener) {
	s.ln = ln
	if s.tlsConf != nil {
		ln = tls.NewListener(ln, s.tlsConf)
	}
	go s.srv.Serve(ln) //nolint:errcheck // returns when the listener closes
}

// Client returns an HTTP client that trusts the server's CA, with short
// time-outs.
func (s *Server) Client() *http.Client {
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 5 * time.Second,
	}
	if s.CAPool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: s.CAPool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// TokenURL is the Google-like and generic token endpoint, URL + "/token".
func (s *Server) TokenURL() string { return s.URL + "/token" }

// MicrosoftTokenURL is the Microsoft-like token endpoint of tenant.
func (s *Server) MicrosoftTokenURL(tenant string) string {
	return s.URL + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// Issuer is the iss of the tokens; URL + "/" unless SetIssuer changed it.
func (s *Server) Issuer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuer
}

// SetIssuer sets the iss of the tokens issued from now on.
func (s *Server) SetIssuer(iss string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuer = iss
}

// SetLifetime sets the lifetime of the tokens issued from now on (whole
// seconds, at least one); the default is an hour.
func (s *Server) SetLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime = max(d.Truncate(time.Second), time.Second)
}

// SetRotation sets whether a refresh hands out a new refresh token (and
// retires the old one), as Microsoft does (the default), or keeps it, as
// Google does.
func (s *Server) SetRotation(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotate = on
}

// Down closes the listener and every open connection: requests get
// "connection refused" until Up.
func (s *Server) Down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return
	}
	s.ln.Close()
	s.ln = nil
	for c := range s.conns {
		c.Close()
	}
}

// Up listens again, on the same address.
func (s *Server) Up() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.tb.Fatalf("oauthtest: listen again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

// FailWith answers every request with status (such as 503) and an HTML
// page, as a failing load balancer does; 0 ends it.
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus = status
}

// Refuse answers every request with an OAuth error reply; status 0 ends
// it.
func (s *Server) Refuse(status int, code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		s.refusal = nil
		return
	}
	s.refusal = &oauthError{status: status, code: code, desc: description}
}

// Requests returns how many requests of grant (GrantClientCredentials,
// GrantRefreshToken or GrantJWTBearer) the server answered, including
// refused and injected failures.
func (s *Server) Requests(grant string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[grant]
}

// TotalRequests returns how many requests the server answered.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

// Claims verifies a token this server issued (signature, iss, exp) and
// returns its claims.
func (s *Server) Claims(token string) (jwt.MapClaims, error) {
	t, err := jwt.Parse(token, func(t *jwt.Token) (any, error) { return s.HMACKey, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(s.Issuer()), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		return nil, err
	}
	return t.Claims.(jwt.MapClaims), nil
}

// oauthError is an RFC 6749 error reply.
type oauthError struct {
	status int
	code   string
	desc   string
	codes  []int // Microsoft's error_codes
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeError(w, &oauthError{status: 400, code: "invalid_request", desc: "the body is not a form"})
		return
	}
	grant := r.PostForm.Get("grant_type")
	s.mu.Lock()
	s.counts[grant]++
	fail, refusal := s.failStatus, s.refusal
	s.mu.Unlock()
	switch {
	case fail != 0:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(fail)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", fail, http.StatusText(fail))
		return
	case refusal != nil:
		writeError(w, refusal)
		return
	}
	var (
		body map[string]any
		oe   *oauthError
	)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "token":
		body, oe = s.microsoft(r, parts[0], grant)
	case r.URL.Path == "/token":
		switch grant {
		case GrantJWTBearer:
			body, oe = s.jwtBearer(r)
		case GrantRefreshToken:
			body, oe = s.genericRefresh(r)
		case GrantClientCredentials:
			body, oe = s.genericClientCredentials(r)
		default:
			oe = &oauthError{status: 400, code: "unsupported_grant_type", desc: "Invalid grant_type: " + grant}
		}
	default:
		http.NotFound(w, r)
		return
	}
	if oe != nil {
		writeError(w, oe)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, e *oauthError) {
	body := map[string]any{"error": e.code, "error_description": e.desc}
	if len(e.codes) > 0 {
		body["error_codes"] = e.codes
		body["timestamp"] = time.Now().UTC().Format("2006-01-02 15:04:05Z")
		body["trace_id"] = newGUID()
		body["correlation_id"] = newGUID()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(body)
}

// clientAuth returns the client ID and secret of a request: in the form
// (client_secret_post) or in a Basic header (client_secret_basic, whose
// parts are form-encoded, RFC 6749 section 2.3.1).
func clientAuth(r *http.Request) (id, secret string, hasSecret bool) {
	if u, p, ok := r.BasicAuth(); ok {
		uu, err1 := url.QueryUnescape(u)
		pp, err2 := url.QueryUnescape(p)
		if err1 == nil && err2 == nil {
			return uu, pp, true
		}
		return u, p, true
	}
	_, hasSecret = r.PostForm["client_secret"]
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), hasSecret
}

// issue signs an access token with claims plus iss, iat, exp and jti and
// returns the reply body.
func (s *Server) issue(claims jwt.MapClaims) map[string]any {
	s.mu.Lock()
	life, iss := s.lifetime, s.issuer
	s.mu.Unlock()
	now := time.Now()
	claims["iss"] = iss
	// iat and nbf a little in the past, as Microsoft's are (by five
	// minutes): Dovecot's auth process compares them with its cached
	// clock, which may lag a second behind after an idle spell, and
	// refused a token issued the same second as "not valid yet".
	claims["iat"] = now.Add(-5 * time.Second).Unix()
	claims["nbf"] = now.Add(-5 * time.Second).Unix()
	claims["exp"] = now.Add(life).Unix()
	claims["jti"] = hex.EncodeToString(randomBytes(12))
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	t.Header["kid"] = KeyID
	signed, err := t.SignedString(s.HMACKey)
	if err != nil {
		panic("oauthtest: " + err.Error()) // HS256 with a key cannot fail
	}
	secs := int64(life / time.Second)
	return map[string]any{"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": signed}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func newGUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
