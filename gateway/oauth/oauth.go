// Package oauth gets and keeps the OAuth2 access tokens that spoolgate
// logs in to a relay with (SASL XOAUTH2 or OAUTHBEARER), for Microsoft 365,
// Google Workspace and any other token endpoint.
//
// A Source is one relay server's supply of tokens, built by New from plain
// Settings (this package does not read the config; the caller reads the
// secret files and passes the values in). Its grant is one of:
//
//   - client_credentials: Microsoft 365 app-only sending (SMTP.SendAsApp),
//     or a generic endpoint;
//   - jwt_bearer: a Google Workspace service account with domain-wide
//     delegation; the assertion is signed with the key file's RSA key,
//     iss = client_email, sub = the mailbox, aud = the key's token_uri;
//   - refresh_token: a refresh token kept in a file that
//     `spoolgate oauth login` wrote; when the provider hands out a new
//     refresh token, the file is rewritten atomically (WriteRefreshToken),
//     and it is never touched when the provider refuses the old one.
//
// Token returns the cached token while it is fresh. A token is refreshed
// before it expires: 5 minutes early, or half its lifetime for a token
// that lives less than 10 minutes. If that early refresh fails, the token
// in hand is still returned (and the failure kept in State) until it is
// about to expire; once expired, a failed fetch is returned as an error.
// ForceRefresh replaces a token a server refused, once, however many
// sessions saw the refusal. A Source is safe for concurrent use; one fetch
// runs at a time, and callers wait for it or for their context.
//
// Every failure to get a token is an *Error, classified once (classify):
// no answer, a 5xx or a 429 is Temporary; a refusal is not. CauseOf says
// which of package cause's oauth- causes an error is (an expired client
// secret, a revoked refresh token, …); package cause words it, in every
// language of [log] language. The relay holds the queue on any token
// failure; Temporary only tells whether waiting can help.
//
// Bounds: the HTTP client has dial, TLS, header and overall time-outs and
// follows no redirect (a redirect would carry the client secret to another
// address); a token endpoint's reply is read up to 1 MB; a token URL must be
// https://, except to this machine (localhost, 127.0.0.0/8, ::1).
//
// Secrets (the client secret, the service account's private key, access
// and refresh tokens) never appear in an error, in State, or in any
// formatted value of this package's types: Settings, Token, Source and
// BearerClient print redacted with every fmt verb, as JSON and in slog.
//
// golang.org/x/oauth2's clientcredentials package makes client-credentials
// requests. The JWT-bearer and refresh-token requests are made here: the
// x/oauth2/jwt token source sends its request without the caller's context
// and flattens network errors to text (so they cannot be told temporary),
// and its refresh request cannot carry a scope, which Microsoft needs to
// pick the Exchange resource.
package oauth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Providers.
const (
	ProviderMicrosoft = "microsoft"
	ProviderGoogle    = "google"
	ProviderGeneric   = "generic"
)

// Grants, as Settings.Grant names them.
const (
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
	GrantJWTBearer         = "jwt_bearer" // sent as JWTBearerGrantType
)

// JWTBearerGrantType is the grant_type of the JWT-bearer grant (RFC 7523).
const JWTBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// The providers' endpoints and scopes.
const (
	// MicrosoftScope is the scope of app-only tokens for Exchange Online
	// (a Graph token is refused with 535 5.7.3).
	MicrosoftScope = "https://outlook.office365.com/.default"
	// MicrosoftDelegatedScope is the scope of a refresh-token sign-in.
	MicrosoftDelegatedScope = "https://outlook.office365.com/SMTP.Send offline_access"
	// GoogleScope is Gmail's scope for SMTP.
	GoogleScope = "https://mail.google.com/"
	// GoogleTokenURL is Google's token endpoint, when a key names none.
	GoogleTokenURL = "https://oauth2.googleapis.com/token"
)

// MicrosoftTokenURL is the token endpoint of a Microsoft tenant (a tenant
// ID, a primary domain, or "common" or "organizations").
func MicrosoftTokenURL(tenant string) string {
	return "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// Bounds.
const (
	// MaxReply is how much of a token endpoint's reply is read.
	MaxReply = 1 << 20
	// DefaultLifetime is assumed for a token whose reply gives no
	// expires_in and that is not a JWT with an exp claim.
	DefaultLifetime = time.Hour
	// earlyRefresh is how long before expiry a token is replaced, for
	// tokens that live at least twice as long.
	earlyRefresh = 5 * time.Minute
	// retryEarly is how long a failed early refresh is not tried again
	// while the token in hand is still good.
	retryEarly = 30 * time.Second
)

// Settings are what a Source is built from. The caller has read and
// validated the config and the files it names; secrets are passed as
// values. Settings print redacted.
type Settings struct {
	Provider string // ProviderMicrosoft, ProviderGoogle or ProviderGeneric
	// Grant is GrantClientCredentials, GrantRefreshToken or
	// GrantJWTBearer (google only); empty means refresh_token when
	// RefreshTokenFile is set, else client_credentials for microsoft and
	// jwt_bearer for google. Generic needs it, or RefreshTokenFile.
	Grant    string
	Tenant   string // microsoft: tenant ID or primary domain
	ClientID string
	// ClientSecret is the client secret's value.
	ClientSecret string
	// KeyJSON is a Google service account's JSON key (jwt_bearer).
	KeyJSON []byte
	// RefreshTokenFile holds the refresh token (refresh_token).
	RefreshTokenFile string
	// TokenURL overrides the provider's token URL; generic needs it.
	TokenURL string
	// Scope overrides the provider's scope (space-separated).
	Scope string
	// Username is the mailbox that sends; google: the assertion's sub.
	Username string
	// HTTPClient makes the token requests; nil means one with time-outs.
	// A given client is copied, and the copy follows no redirect and gets
	// a 30-second time-out if it has none.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// SettingError says which setting is wrong and why. Field is the name of
// the Settings field, for the caller to turn into its config key.
type SettingError struct {
	Field   string
	Problem string
}

func (e *SettingError) Error() string { return "oauth: " + e.Field + ": " + e.Problem }

// Token is an access token and its times. It prints without the token.
type Token struct {
	AccessToken string
	Obtained    time.Time // by the Source's clock
	Expiry      time.Time // by the Source's clock
}

// Valid reports whether t holds a token.
func (t Token) Valid() bool { return t.AccessToken != "" }

// State is what a Source knows of its last fetches, for health reports.
type State struct {
	Obtained    time.Time // when the token in hand was obtained; zero if none
	Expiry      time.Time // when it expires
	Fetches     int       // token requests made
	LastError   error     // the last failed fetch, nil once one succeeded
	LastErrorAt time.Time
	// SaveError is set while a new refresh token the provider handed out
	// could not be written to RefreshTokenFile: it is used from memory,
	// but a restart would fall back to the old one, which may no longer
	// work. It is cleared when a later write succeeds.
	SaveError error
}

// Source gets, caches and refreshes the access tokens of one relay server.
// Build it with New; it is safe for concurrent use.
type Source struct {
	provider, grant string
	tenant          string
	clientID        string
	secret          string
	username        string
	tokenURL        string
	endpoint        string // host[:port] of tokenURL
	scope           string
	sendScope       bool // send the scope with a refresh-token request
	refreshFile     string

	// jwt_bearer
	key      *rsa.PrivateKey
	keyID    string
	keyEmail string
	audience string

	cc     *clientcredentials.Config
	client *http.Client
	now    func() time.Time

	sem chan struct{} // one fetch at a time

	mu          sync.Mutex
	tok         Token
	refreshAt   time.Time // replace tok from then on
	usableUntil time.Time // tok is not handed out from then on
	retryAt     time.Time // a failed early refresh is tried again from then on
	refresh     string    // the refresh token in use
	fileRefresh string    // the refresh token last read from or written to the file
	state       State
}

// New checks s and returns a Source for it. It makes no request.
func New(s Settings) (*Source, error) {
	src := &Source{
		provider:    strings.ToLower(strings.TrimSpace(s.Provider)),
		grant:       strings.TrimSpace(s.Grant),
		tenant:      strings.TrimSpace(s.Tenant),
		clientID:    strings.TrimSpace(s.ClientID),
		secret:      s.ClientSecret,
		username:    strings.TrimSpace(s.Username),
		scope:       strings.TrimSpace(s.Scope),
		refreshFile: s.RefreshTokenFile,
		now:         s.Now,
		sem:         make(chan struct{}, 1),
	}
	if src.now == nil {
		src.now = time.Now
	}
	if src.grant == "" {
		switch {
		case s.RefreshTokenFile != "":
			src.grant = GrantRefreshToken
		case src.provider == ProviderMicrosoft:
			src.grant = GrantClientCredentials
		case src.provider == ProviderGoogle:
			src.grant = GrantJWTBearer
		}
	}
	if err := src.configure(s); err != nil {
		return nil, err
	}
	u, err := checkTokenURL(src.tokenURL)
	if err != nil {
		return nil, err
	}
	src.endpoint = u.Host
	src.client = httpClient(s.HTTPClient)
	if src.grant == GrantClientCredentials {
		src.cc = &clientcredentials.Config{
			ClientID:     src.clientID,
			ClientSecret: src.secret,
			TokenURL:     src.tokenURL,
			AuthStyle:    oauth2.AuthStyleInParams, // no second request to probe the style
		}
		if src.scope != "" {
			src.cc.Scopes = strings.Fields(src.scope)
		}
	}
	return src, nil
}

// configure sets the grant's token URL, scope and credentials from s.
func (src *Source) configure(s Settings) error {
	need := func(field, value string) error {
		switch {
		case value != "":
			return nil
		case src.grant == "":
			return &SettingError{field, src.provider + " needs it"}
		}
		return &SettingError{field, fmt.Sprintf("%s with the %s grant needs it", src.provider, src.grant)}
	}
	switch src.provider {
	case ProviderMicrosoft:
		switch src.grant {
		case GrantClientCredentials:
			if err := errors.Join(need("Tenant", src.tenant), need("ClientID", src.clientID), need("ClientSecret", src.secret)); err != nil {
				return err
			}
			src.setDefaults(MicrosoftTokenURL(src.tenant), MicrosoftScope)
		case GrantRefreshToken:
			if src.tenant == "" {
				src.tenant = "common"
			}
			if err := need("ClientID", src.clientID); err != nil {
				return err
			}
			src.setDefaults(MicrosoftTokenURL(src.tenant), MicrosoftDelegatedScope)
			src.sendScope = true
		default:
			return &SettingError{"Grant", fmt.Sprintf("%q: microsoft takes client_credentials or refresh_token", src.grant)}
		}
		if !validTenant(src.tenant) {
			return &SettingError{"Tenant", fmt.Sprintf("%q is not a tenant ID or domain name", src.tenant)}
		}
	case ProviderGoogle:
		switch src.grant {
		case GrantJWTBearer:
			if err := need("Username", src.username); err != nil {
				return err
			}
			if err := src.loadKey(s.KeyJSON); err != nil {
				return err
			}
			src.setDefaults(src.audience, GoogleScope)
		case GrantRefreshToken:
			if err := errors.Join(need("ClientID", src.clientID), need("ClientSecret", src.secret)); err != nil {
				return err
			}
			src.sendScope = src.scope != "" // Google keeps the scope of the sign-in
			src.setDefaults(GoogleTokenURL, GoogleScope)
		default:
			return &SettingError{"Grant", fmt.Sprintf("%q: google takes jwt_bearer or refresh_token", src.grant)}
		}
	case ProviderGeneric:
		if err := errors.Join(need("TokenURL", s.TokenURL), need("ClientID", src.clientID)); err != nil {
			return err
		}
		switch src.grant {
		case GrantClientCredentials:
			if err := need("ClientSecret", src.secret); err != nil {
				return err
			}
		case GrantRefreshToken:
			src.sendScope = src.scope != ""
		case "":
			return &SettingError{"Grant", "generic needs client_credentials or refresh_token"}
		default:
			return &SettingError{"Grant", fmt.Sprintf("%q: generic takes client_credentials or refresh_token", src.grant)}
		}
	case "":
		return &SettingError{"Provider", "missing: microsoft, google or generic"}
	default:
		return &SettingError{"Provider", fmt.Sprintf("%q: use microsoft, google or generic", s.Provider)}
	}
	if src.grant == GrantRefreshToken && src.refreshFile == "" {
		return &SettingError{"RefreshTokenFile", "the refresh_token grant needs it (spoolgate oauth login writes it)"}
	}
	if s.TokenURL != "" {
		src.tokenURL = strings.TrimSpace(s.TokenURL)
	}
	return nil
}

func (src *Source) setDefaults(tokenURL, scope string) {
	src.tokenURL = tokenURL
	if src.scope == "" {
		src.scope = scope
	}
}

// validTenant: a GUID, a domain name, or common/organizations/consumers.
func validTenant(t string) bool {
	if t == "" || len(t) > 253 {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// checkTokenURL refuses a token URL that is not https://, unless it is
// http:// to this machine.
func checkTokenURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, &SettingError{"TokenURL", fmt.Sprintf("%q is not an absolute URL with a host", raw)}
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return nil, &SettingError{"TokenURL", fmt.Sprintf("%q: a token URL must be https:// (http:// only to this machine: localhost, 127.0.0.1, ::1), or the client secret and tokens would cross the network unencrypted", raw)}
		}
	default:
		return nil, &SettingError{"TokenURL", fmt.Sprintf("%q: a token URL must be https://", raw)}
	}
	return u, nil
}

// IsLoopback reports whether host is this machine: localhost, 127.0.0.0/8
// or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// httpClient returns a client with time-outs that follows no redirect.
func httpClient(given *http.Client) *http.Client {
	var c http.Client
	if given != nil {
		c = *given
	} else {
		c.Transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   2,
			ForceAttemptHTTP2:     true,
		}
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return errRedirect }
	return &c
}

var errRedirect = errors.New("the token endpoint answered with a redirect, which is not followed")

// Provider is the provider: microsoft, google or generic.
func (src *Source) Provider() string { return src.provider }

// Grant is the grant used: client_credentials, jwt_bearer or refresh_token.
func (src *Source) Grant() string { return src.grant }

// TokenURL is the token endpoint.
func (src *Source) TokenURL() string { return src.tokenURL }

// Endpoint is the token endpoint's host (and port, if given).
func (src *Source) Endpoint() string { return src.endpoint }

// Scope is the scope asked for (space-separated).
func (src *Source) Scope() string { return src.scope }

// ClientID is the client ID; for a Google service account, the key's
// client_id, which domain-wide delegation is set for.
func (src *Source) ClientID() string { return src.clientID }

// Username is the mailbox that sends.
func (src *Source) Username() string { return src.username }

// Token returns a token that is good now: the cached one while it is
// fresh, else a new one. See the package documentation for when a token
// is replaced. The error is an *Error, or ctx's error.
func (src *Source) Token(ctx context.Context) (Token, error) {
	if t, ok := src.fresh(); ok {
		return t, nil
	}
	if err := src.acquire(ctx); err != nil {
		return Token{}, err
	}
	defer src.release()
	if t, ok := src.fresh(); ok { // another caller fetched meanwhile
		return t, nil
	}
	t, err := src.fetch(ctx)
	if err == nil {
		return t, nil
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if now := src.now(); src.tok.Valid() && now.Before(src.usableUntil) {
		src.retryAt = now.Add(min(retryEarly, src.usableUntil.Sub(now)/4))
		return src.tok, nil
	}
	return Token{}, err
}

// Invalidate forgets bad if it is still the cached token, so that the next
// Token fetches a new one. Call it when a server refuses a token.
func (src *Source) Invalidate(bad Token) {
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.tok.Valid() && src.tok.AccessToken == bad.AccessToken {
		src.tok = Token{}
	}
}

// ForceRefresh replaces bad, a token a server refused: it forgets bad and
// returns a new token. When several sessions saw bad refused, one fetch
// is made and all get its token. "A 535 after a token that has worked" is
// answered with one ForceRefresh and one retry, by the caller.
func (src *Source) ForceRefresh(ctx context.Context, bad Token) (Token, error) {
	src.Invalidate(bad)
	return src.Token(ctx)
}

// State returns what the Source knows of its token and fetches.
func (src *Source) State() State {
	src.mu.Lock()
	defer src.mu.Unlock()
	st := src.state
	st.Obtained, st.Expiry = src.tok.Obtained, src.tok.Expiry
	return st
}

// fresh returns the cached token if it need not be replaced now.
func (src *Source) fresh() (Token, bool) {
	src.mu.Lock()
	defer src.mu.Unlock()
	if !src.tok.Valid() {
		return Token{}, false
	}
	now := src.now()
	if now.Before(src.refreshAt) || now.Before(src.retryAt) && now.Before(src.usableUntil) {
		return src.tok, true
	}
	return Token{}, false
}

func (src *Source) acquire(ctx context.Context) error {
	select {
	case src.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (src *Source) release() { <-src.sem }

// fetch gets a new token by the grant and caches it. It holds sem.
func (src *Source) fetch(ctx context.Context) (Token, error) {
	var (
		r   reply
		err error
	)
	switch src.grant {
	case GrantClientCredentials:
		r, err = src.clientCredentials(ctx)
	case GrantJWTBearer:
		r, err = src.jwtBearer(ctx)
	case GrantRefreshToken:
		r, err = src.refreshToken(ctx)
	}
	now := src.now()
	src.mu.Lock()
	defer src.mu.Unlock()
	src.state.Fetches++
	if err != nil {
		src.state.LastError, src.state.LastErrorAt = err, now
		return Token{}, err
	}
	life := r.lifetime
	if life <= 0 {
		life = lifetimeOf(r.accessToken)
	}
	src.tok = Token{AccessToken: r.accessToken, Obtained: now, Expiry: now.Add(life)}
	src.refreshAt = src.tok.Expiry.Add(-min(earlyRefresh, life/2))
	src.usableUntil = src.tok.Expiry.Add(-min(10*time.Second, life/10))
	src.retryAt = time.Time{}
	src.state.LastError, src.state.LastErrorAt = nil, time.Time{}
	return src.tok, nil
}

// lifetimeOf is the lifetime of a token whose reply gave none: what its
// exp claim says if it is a JWT, else DefaultLifetime.
func lifetimeOf(token string) time.Duration {
	info := Describe(token)
	if info.JWT && !info.Expiry.IsZero() && !info.IssuedAt.IsZero() && info.Expiry.After(info.IssuedAt) {
		return info.Expiry.Sub(info.IssuedAt)
	}
	return DefaultLifetime
}
