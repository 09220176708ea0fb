package oauthtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DeviceCodeGrant and AuthorizationCodeGrant are the grant_type values of
// the sign-in token requests a Login answers.
const (
	DeviceCodeGrant        = "urn:ietf:params:oauth:grant-type:device_code"
	AuthorizationCodeGrant = "authorization_code"
)

// Login is a sign-in endpoint for tests, in front of a token Server, on
// plain http://127.0.0.1 (loopback). It exists only for tests. Paths:
//
//   - POST /{tenant}/oauth2/v2.0/devicecode and POST /devicecode: the
//     device authorization (RFC 8628); the token request of the
//     device-code grant, at /{tenant}/oauth2/v2.0/token or /token, answers
//     authorization_pending for the first Pending polls (slow_down for
//     the first, with SlowDown), and then, as though the user had
//     signed in, a token with a refresh token; expired_token after
//     ExpiresIn seconds; slow_down to a poll sooner than the interval;
//   - POST /devicelogin, the verification page, with the form field
//     user_code: a user entering the code shown, which approves that
//     device code at once (give SetDevice a large pending to have the
//     approval come only from there);
//   - GET /o/oauth2/v2/auth: the authorization endpoint; it checks
//     client_id, a loopback redirect_uri, response_type=code, PKCE S256 and
//     state, and redirects to redirect_uri with a code and the state, as
//     though the user had consented; the authorization_code grant at
//     /token checks the code, its redirect_uri and code_verifier;
//   - any other request goes to the token Server.
//
// Refresh tokens are issued by the token Server (IssueRefreshToken), so a
// Source can use the one a sign-in gave.
type Login struct {
	URL string

	tokens *Server
	mu     sync.Mutex
	// Device-code settings; change them before the sign-in starts.
	pending   int
	slowDown  bool
	interval  int
	expiresIn int
	mailbox   string
	clientID  string

	devices   map[string]*device
	codes     map[string]*authCode
	polls     int
	tooSoon   int
	issued    []string
	authorize url.Values
}

type device struct {
	clientID string
	userCode string
	polls    int
	last     time.Time
	expires  time.Time
	approved bool // the user entered the code at /devicelogin
	done     bool
}

type authCode struct {
	clientID, redirect, challenge string
	used                          bool
}

// NewLogin starts a sign-in endpoint for clientID's sign-ins as mailbox,
// in front of tokens. By default the device code is approved on the
// third poll (two authorization_pending), with an interval of 1 second,
// and expires in 60 seconds.
func NewLogin(tb testing.TB, tokens *Server, clientID, mailbox string) *Login {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("oauthtest: listen: %v", err)
	}
	l := &Login{
		URL: "http://" + ln.Addr().String(), tokens: tokens,
		pending: 2, interval: 1, expiresIn: 60, mailbox: mailbox, clientID: clientID,
		devices: map[string]*device{}, codes: map[string]*authCode{},
	}
	srv := &http.Server{Handler: l, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { srv.Close() })
	return l
}

// SetDevice sets how many polls are answered authorization_pending before
// the approval, whether the first of them is slow_down instead, the
// interval and the code's lifetime in seconds.
func (l *Login) SetDevice(pending int, slowDown bool, interval, expiresIn int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending, l.slowDown, l.interval, l.expiresIn = pending, slowDown, interval, expiresIn
}

// MicrosoftTokenURL is the Microsoft-like token URL of tenant on this
// endpoint; its device-code URL is the same with /devicecode for /token.
func (l *Login) MicrosoftTokenURL(tenant string) string {
	return l.URL + "/" + tenant + "/oauth2/v2.0/token"
}

// TokenURL is the Google-like and generic token URL, URL + "/token".
func (l *Login) TokenURL() string { return l.URL + "/token" }

// Polls returns how many device-code token requests were made, and how
// many of them came sooner than the interval allowed.
func (l *Login) Polls() (polls, tooSoon int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.polls, l.tooSoon
}

// Issued returns the refresh tokens the sign-ins handed out.
func (l *Login) Issued() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.issued...)
}

// Authorize returns the query of the last authorization request.
func (l *Login) Authorize() url.Values {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.authorize
}

func (l *Login) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if r.Method == http.MethodGet && path == "/o/oauth2/v2/auth" {
		l.authorizeCode(w, r)
		return
	}
	if r.Method == http.MethodPost && path == "/devicelogin" {
		l.deviceLogin(w, r)
		return
	}
	if r.Method != http.MethodPost {
		l.tokens.ServeHTTP(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeError(w, &oauthError{status: 400, code: "invalid_request", desc: "the body is not a form"})
		return
	}
	switch {
	case path == "/devicecode" || strings.HasSuffix(path, "/oauth2/v2.0/devicecode"):
		l.deviceCode(w, r)
	case r.PostForm.Get("grant_type") == DeviceCodeGrant && (path == "/token" || strings.HasSuffix(path, "/oauth2/v2.0/token")):
		l.devicePoll(w, r)
	case r.PostForm.Get("grant_type") == AuthorizationCodeGrant && path == "/token":
		l.exchange(w, r)
	default:
		l.tokens.ServeHTTP(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func (l *Login) deviceCode(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("client_id")
	l.mu.Lock()
	defer l.mu.Unlock()
	if id != l.clientID {
		writeError(w, &oauthError{status: 400, code: "unauthorized_client", desc: "AADSTS700016: Application with identifier '" + id + "' was not found."})
		return
	}
	if !strings.Contains(" "+r.PostForm.Get("scope")+" ", " offline_access ") && strings.Contains(r.URL.Path, "oauth2/v2.0") {
		writeError(w, &oauthError{status: 400, code: "invalid_scope", desc: "the scope has no offline_access"})
		return
	}
	dc := hex.EncodeToString(randomBytes(24))
	user := strings.ToUpper(hex.EncodeToString(randomBytes(4)))
	l.devices[dc] = &device{clientID: id, userCode: user, expires: time.Now().Add(time.Duration(l.expiresIn) * time.Second)}
	writeJSON(w, map[string]any{
		"device_code": dc, "user_code": user, "verification_uri": l.URL + "/devicelogin",
		"expires_in": l.expiresIn, "interval": l.interval,
		"message": "To sign in, use a web browser to open the page " + l.URL + "/devicelogin and enter the code " + user + " to authenticate.",
	})
}

func (l *Login) devicePoll(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.polls++
	d := l.devices[r.PostForm.Get("device_code")]
	now := time.Now()
	var oe *oauthError
	switch {
	case d == nil || d.done || d.clientID != r.PostForm.Get("client_id"):
		oe = &oauthError{status: 400, code: "invalid_grant", desc: "AADSTS70000: the device code is not valid"}
	case now.After(d.expires):
		oe = &oauthError{status: 400, code: "expired_token", desc: "AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired."}
	case !d.last.IsZero() && now.Sub(d.last) < time.Duration(l.interval)*time.Second-100*time.Millisecond:
		l.tooSoon++
		oe = &oauthError{status: 400, code: "slow_down", desc: "polled sooner than the interval"}
	case !d.approved && d.polls < l.pending:
		d.polls++
		oe = &oauthError{status: 400, code: "authorization_pending", desc: "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling."}
		if d.polls == 1 && l.slowDown {
			oe.code = "slow_down"
		}
	}
	if d != nil {
		d.last = now
	}
	if oe != nil {
		l.mu.Unlock()
		writeError(w, oe)
		return
	}
	d.done = true
	clientID, mailbox := d.clientID, l.mailbox
	l.mu.Unlock()
	l.reply(w, clientID, mailbox, MicrosoftResource+"/SMTP.Send")
}

// deviceLogin is the verification page a user enters the code at: it
// approves the device code whose user code is the form's user_code.
func (l *Login) deviceLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the body is not a form", http.StatusBadRequest)
		return
	}
	code := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("user_code")))
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range l.devices {
		if d.userCode == code && !d.done && time.Now().Before(d.expires) {
			d.approved = true
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<html><body><p>You have signed in. You may now close this window.</p></body></html>\n"))
			return
		}
	}
	http.Error(w, "That code didn't work. Check the code and try again.", http.StatusBadRequest)
}

// reply hands out an access token and a new refresh token.
func (l *Login) reply(w http.ResponseWriter, clientID, mailbox, scope string) {
	body := l.tokens.issue(jwt.MapClaims{"sub": newGUID(), "email": mailbox, "scope": scope, "client_id": clientID})
	rt := l.tokens.IssueRefreshToken(clientID, mailbox)
	l.mu.Lock()
	l.issued = append(l.issued, rt)
	l.mu.Unlock()
	body["refresh_token"] = rt
	body["scope"] = scope
	writeJSON(w, body)
}

func (l *Login) authorizeCode(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l.mu.Lock()
	l.authorize = q
	clientID := l.clientID
	l.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != clientID:
		http.Error(w, "Error 401: invalid_client. The OAuth client was not found.", http.StatusUnauthorized)
		return
	case err != nil || redirect.Scheme != "http" || net.ParseIP(redirect.Hostname()) == nil || !net.ParseIP(redirect.Hostname()).IsLoopback():
		http.Error(w, "Error 400: redirect_uri_mismatch", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code", q.Get("code_challenge_method") != "S256", q.Get("code_challenge") == "",
		q.Get("state") == "", q.Get("scope") == "":
		http.Error(w, "Error 400: invalid_request", http.StatusBadRequest)
		return
	}
	code := "4/0" + base64.RawURLEncoding.EncodeToString(randomBytes(24))
	l.mu.Lock()
	l.codes[code] = &authCode{clientID: clientID, redirect: redirect.String(), challenge: q.Get("code_challenge")}
	l.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	back.Set("scope", q.Get("scope"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (l *Login) exchange(w http.ResponseWriter, r *http.Request) {
	id, _, _ := clientAuth(r)
	f := r.PostForm
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	l.mu.Lock()
	c := l.codes[f.Get("code")]
	var oe *oauthError
	switch {
	case c == nil || c.used:
		oe = &oauthError{status: 400, code: "invalid_grant", desc: "Malformed auth code."}
	case c.clientID != id:
		oe = &oauthError{status: 401, code: "invalid_client", desc: "The OAuth client was not found."}
	case c.redirect != f.Get("redirect_uri"):
		oe = &oauthError{status: 400, code: "redirect_uri_mismatch", desc: "Bad Request"}
	case base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
		oe = &oauthError{status: 400, code: "invalid_grant", desc: "Invalid code verifier."}
	}
	if c != nil {
		c.used = true
	}
	mailbox := l.mailbox
	l.mu.Unlock()
	if oe != nil {
		writeError(w, oe)
		return
	}
	l.reply(w, id, mailbox, GoogleScope)
}
