package oauth

// Sign-in for a refresh token (spoolgate oauth login): the device-code flow
// (RFC 8628) for Microsoft and for a generic endpoint, and a loopback
// authorization-code flow with PKCE (RFC 8252, RFC 7636) for Google. Both
// end with a refresh token that the caller stores with WriteRefreshToken.
// Neither prints nor returns an access token, and no error quotes a token.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The providers' sign-in endpoints.
const (
	// GoogleAuthorizeURL is where a Google user signs in and consents.
	GoogleAuthorizeURL = "https://accounts.google.com/o/oauth2/v2/auth"
	// DeviceCodeGrantType is the grant_type of a device-code token request.
	DeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"
	// googleAuthorizePath is GoogleAuthorizeURL's path, kept on the host
	// of an overridden token URL.
	googleAuthorizePath = "/o/oauth2/v2/auth"
)

// ErrNoDeviceCode is returned by DeviceCodeURL when no device-code
// endpoint can be derived from the settings.
var ErrNoDeviceCode = errors.New("no device-code endpoint can be derived from the token URL")

// MicrosoftDeviceCodeURL is the device-code endpoint of a Microsoft tenant.
func MicrosoftDeviceCodeURL(tenant string) string {
	return "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/devicecode"
}

// DeviceCodeURL is the device-code endpoint of a sign-in. The rule:
// without oauth_token_url, Microsoft's is MicrosoftDeviceCodeURL(tenant);
// with one (Microsoft, a sovereign cloud or a test, or a generic
// endpoint), a token URL whose path ends in /token gives the same URL with
// /devicecode in its place (.../oauth2/v2.0/token becomes
// .../oauth2/v2.0/devicecode). Google has no device-code flow for Gmail's
// scope; any other case is ErrNoDeviceCode.
func DeviceCodeURL(provider, tenant, tokenURL string) (string, error) {
	if tokenURL == "" {
		if provider == ProviderMicrosoft && tenant != "" {
			return MicrosoftDeviceCodeURL(tenant), nil
		}
		return "", ErrNoDeviceCode
	}
	if provider == ProviderGoogle {
		return "", ErrNoDeviceCode
	}
	u, err := url.Parse(tokenURL)
	if err != nil || !strings.HasSuffix(u.Path, "/token") {
		return "", ErrNoDeviceCode
	}
	u.Path = strings.TrimSuffix(u.Path, "/token") + "/devicecode"
	u.RawPath, u.RawQuery = "", ""
	return u.String(), nil
}

// AuthorizeURL is Google's authorization endpoint: GoogleAuthorizeURL,
// or, when oauth_token_url overrides the token URL, the path
// /o/oauth2/v2/auth on that URL's scheme and host.
func AuthorizeURL(tokenURL string) (string, error) {
	if tokenURL == "" {
		return GoogleAuthorizeURL, nil
	}
	u, err := url.Parse(tokenURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("oauth login: the token URL %q has no host", tokenURL)
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: googleAuthorizePath}).String(), nil
}

// Login is one interactive sign-in. Out gets what the user must do (the
// URL to open and the code to enter); nothing secret is written to it.
type Login struct {
	Provider     string // ProviderMicrosoft, ProviderGoogle or ProviderGeneric
	Tenant       string // microsoft
	ClientID     string
	ClientSecret string // sent when set (a confidential client, or Google's desktop client)
	TokenURL     string // "" = the provider's (Google: GoogleTokenURL)
	Scope        string // "" = the provider's delegated scope
	Out          io.Writer
	// HTTPClient makes the requests; nil means one with time-outs. It
	// follows no redirect.
	HTTPClient *http.Client
	// Listen opens the loopback listener of the authorization-code flow;
	// nil means 127.0.0.1 on a port the system picks.
	Listen func() (net.Listener, error)
	// Timeout bounds the wait for the user in the authorization-code flow;
	// 0 means 10 minutes. The device-code flow is bounded by the code's
	// expires_in.
	Timeout time.Duration
}

// slowDownStep is how much a slow_down reply lengthens the polling
// interval (RFC 8628 section 3.5).
var slowDownStep = 5 * time.Second

func (l *Login) scope() string {
	switch {
	case l.Scope != "":
		return l.Scope
	case l.Provider == ProviderMicrosoft:
		return MicrosoftDelegatedScope
	case l.Provider == ProviderGoogle:
		return GoogleScope
	}
	return ""
}

func (l *Login) tokenURL() string {
	switch {
	case l.TokenURL != "":
		return l.TokenURL
	case l.Provider == ProviderMicrosoft:
		return MicrosoftTokenURL(l.Tenant)
	case l.Provider == ProviderGoogle:
		return GoogleTokenURL
	}
	return ""
}

// checkURL allows https://, and http:// only to this machine.
func checkURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("oauth login: the %s %q is not a URL", what, raw)
	}
	if u.Scheme == "https" || (u.Scheme == "http" && IsLoopback(u.Hostname())) {
		return nil
	}
	return fmt.Errorf("oauth login: the %s %s must be https:// (http:// only to this machine)", what, raw)
}

// Run signs in by the provider's flow and returns the refresh token:
// Google by the authorization code, others by the device code.
func (l *Login) Run(ctx context.Context) (string, error) {
	if l.Provider == ProviderGoogle {
		return l.AuthorizationCode(ctx)
	}
	return l.DeviceCode(ctx)
}

// tokenReply is a token endpoint's reply, success or error.
type tokenReply struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

// post sends form to u and decodes the JSON reply into v; it returns the
// HTTP status.
func (l *Login) post(ctx context.Context, u string, form url.Values, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient(l.HTTPClient).Do(req)
	if err != nil {
		return 0, fmt.Errorf("oauth login: %s: %w", hostOf(u), scrubURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxReply))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("oauth login: %s: reading the reply: %w", hostOf(u), err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return resp.StatusCode, fmt.Errorf("oauth login: %s answered %d with a reply that is not JSON", hostOf(u), resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// scrubURLError keeps a *url.Error's cause without its URL.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "the endpoint"
}

// refusal words a token endpoint's error reply.
func refusal(u string, status int, r *tokenReply) error {
	d := oneLine(r.Description, 600)
	if d != "" {
		d = ": " + d
	}
	return fmt.Errorf("oauth login: %s refused (%d %s)%s", hostOf(u), status, r.Error, d)
}

func (l *Login) addClient(form url.Values) {
	form.Set("client_id", l.ClientID)
	if l.ClientSecret != "" {
		form.Set("client_secret", l.ClientSecret)
	}
}

// deviceReply is the device-authorization reply (RFC 8628 section 3.2;
// Microsoft also says verification_url).
type deviceReply struct {
	DeviceCode              string      `json:"device_code"`
	UserCode                string      `json:"user_code"`
	VerificationURI         string      `json:"verification_uri"`
	VerificationURL         string      `json:"verification_url"`
	VerificationURIComplete string      `json:"verification_uri_complete"`
	ExpiresIn               json.Number `json:"expires_in"`
	Interval                json.Number `json:"interval"`
	Message                 string      `json:"message"`
	Error                   string      `json:"error"`
	Description             string      `json:"error_description"`
}

// DeviceCode signs in by the device-code flow: it asks the device-code
// endpoint for a code, tells the user where to enter it, and polls the
// token endpoint every interval (longer after slow_down) until the user
// has signed in, refused (access_denied) or the code expired.
func (l *Login) DeviceCode(ctx context.Context) (string, error) {
	devURL, err := DeviceCodeURL(l.Provider, l.Tenant, l.TokenURL)
	if err != nil {
		if l.Provider == ProviderGoogle {
			return "", errors.New("oauth login: Google signs in by the authorization code, not the device code")
		}
		return "", fmt.Errorf("oauth login: %w (%s); the device-code endpoint is the token URL with /devicecode in place of its final /token", err, l.TokenURL)
	}
	tokURL := l.tokenURL()
	for what, u := range map[string]string{"device-code URL": devURL, "token URL": tokURL} {
		if err := checkURL(what, u); err != nil {
			return "", err
		}
	}
	form := url.Values{}
	l.addClient(form)
	if s := l.scope(); s != "" {
		form.Set("scope", s)
	}
	var d deviceReply
	status, err := l.post(ctx, devURL, form, &d)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK || d.Error != "" || d.DeviceCode == "" {
		return "", refusal(devURL, status, &tokenReply{Error: d.Error, Description: d.Description})
	}
	verify := d.VerificationURI
	if verify == "" {
		verify = d.VerificationURL
	}
	expires, _ := d.ExpiresIn.Int64()
	if expires <= 0 {
		expires = 900
	}
	interval, _ := d.Interval.Int64()
	if interval <= 0 {
		interval = 5
	}
	deadline := time.Now().Add(time.Duration(expires) * time.Second)
	fmt.Fprintf(l.Out, "To sign in, open %s in a browser and enter the code %s\n", verify, d.UserCode)
	if d.VerificationURIComplete != "" {
		fmt.Fprintf(l.Out, "(or open %s)\n", d.VerificationURIComplete)
	}
	fmt.Fprintf(l.Out, "Sign in as the mailbox that sends. Waiting up to %s...\n", time.Duration(expires)*time.Second)

	wait := time.Duration(interval) * time.Second
	for {
		if time.Now().Add(wait).After(deadline) {
			return "", errors.New("oauth login: the code expired before the sign-in was finished; run spoolgate oauth login again")
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
		form := url.Values{"grant_type": {DeviceCodeGrantType}, "device_code": {d.DeviceCode}}
		l.addClient(form)
		var r tokenReply
		status, err := l.post(ctx, tokURL, form, &r)
		if err != nil {
			return "", err
		}
		switch {
		case status == http.StatusOK && r.Error == "":
			if r.RefreshToken == "" {
				return "", fmt.Errorf("oauth login: %s gave no refresh token; the scope must include offline_access", hostOf(tokURL))
			}
			return r.RefreshToken, nil
		case r.Error == "authorization_pending":
		case r.Error == "slow_down":
			wait += slowDownStep
		case r.Error == "expired_token":
			return "", errors.New("oauth login: the code expired before the sign-in was finished; run spoolgate oauth login again")
		case r.Error == "access_denied" || r.Error == "authorization_declined":
			return "", errors.New("oauth login: the sign-in was declined")
		default:
			return "", refusal(tokURL, status, &r)
		}
	}
}

// randomString is n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthorizationCode signs in by the authorization-code flow with a
// loopback redirect: it listens on 127.0.0.1, prints the URL to open
// (with PKCE S256 and a state), waits for the browser to come back with
// the code, and exchanges it at the token endpoint.
func (l *Login) AuthorizationCode(ctx context.Context) (string, error) {
	authURL, err := AuthorizeURL(l.TokenURL)
	if err != nil {
		return "", err
	}
	tokURL := l.tokenURL()
	if tokURL == "" {
		return "", errors.New("oauth login: no token URL")
	}
	for what, u := range map[string]string{"authorization URL": authURL, "token URL": tokURL} {
		if err := checkURL(what, u); err != nil {
			return "", err
		}
	}
	listen := l.Listen
	if listen == nil {
		listen = func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
	}
	ln, err := listen()
	if err != nil {
		return "", fmt.Errorf("oauth login: listening for the browser: %w", err)
	}
	redirect := "http://" + ln.Addr().String() + "/"
	verifier := randomString(32)
	sum := sha256.Sum256([]byte(verifier))
	state := randomString(16)
	q := url.Values{
		"client_id":             {l.ClientID},
		"redirect_uri":          {redirect},
		"response_type":         {"code"},
		"scope":                 {l.scope()},
		"access_type":           {"offline"},
		"prompt":                {"consent"},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
		"state":                 {state},
	}
	open := authURL + "?" + q.Encode()

	type result struct {
		code string
		err  error
	}
	got := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		v := r.URL.Query()
		var res result
		switch {
		case v.Get("state") != state:
			http.Error(w, "This is not the sign-in spoolgate started (the state does not match).", http.StatusBadRequest)
			return
		case v.Get("error") != "":
			res.err = fmt.Errorf("oauth login: the sign-in was refused (%s) %s", oneLine(v.Get("error"), 100), oneLine(v.Get("error_description"), 300))
		case v.Get("code") == "":
			res.err = errors.New("oauth login: the browser came back without a code")
		default:
			res.code = v.Get("code")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if res.err != nil {
			fmt.Fprintf(w, "<html><body><p>%s</p></body></html>\n", html.EscapeString(res.err.Error()))
		} else {
			fmt.Fprint(w, "<html><body><p>spoolgate is signed in. You can close this window.</p></body></html>\n")
		}
		select {
		case got <- res:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	fmt.Fprintf(l.Out, "To sign in, open this URL in a browser on this computer and sign in as the mailbox that sends:\n\n%s\n\nWaiting up to %s for the browser to come back to %s ...\n", open, timeout, redirect)
	var res result
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-t.C:
		return "", fmt.Errorf("oauth login: no sign-in within %s; run spoolgate oauth login again", timeout)
	case res = <-got:
	}
	if res.err != nil {
		return "", res.err
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {res.code},
		"redirect_uri":  {redirect},
		"code_verifier": {verifier},
	}
	l.addClient(form)
	var r tokenReply
	status, err := l.post(ctx, tokURL, form, &r)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK || r.Error != "" {
		return "", refusal(tokURL, status, &r)
	}
	if r.RefreshToken == "" {
		return "", fmt.Errorf("oauth login: %s gave no refresh token (access_type=offline and prompt=consent were asked for)", hostOf(tokURL))
	}
	return r.RefreshToken, nil
}
