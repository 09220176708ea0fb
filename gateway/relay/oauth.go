package relay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/oauth"
)

// ErrNoOAuthMechanism: auth = oauth2, and the server offers neither
// XOAUTH2 nor OAUTHBEARER.
var ErrNoOAuthMechanism = errors.New("the server offers neither XOAUTH2 nor OAUTHBEARER")

// tokenSource is one server's oauth.Source, shared by every connection to
// that server, and the token that last logged in there.
type tokenSource struct {
	src *oauth.Source

	mu     sync.Mutex
	worked string // the access token of the last successful login, or ""
}

var (
	sourcesMu sync.Mutex
	sources   = map[*config.Server]*tokenSource{}
	// oauthHTTP makes the token requests; nil means oauth's own client.
	oauthHTTP *http.Client
)

// SetOAuthHTTPClientForTest makes every Source built from now on request
// tokens with c (a client that trusts a test endpoint's CA). It exists
// only for tests.
func SetOAuthHTTPClientForTest(c *http.Client) { oauthHTTP = c }

// OAuthSettings turns a server's validated OAuth config into the settings
// of an oauth.Source.
func OAuthSettings(srv *config.Server) oauth.Settings {
	o := srv.OAuth
	s := oauth.Settings{
		Provider:         o.Provider,
		Tenant:           o.Tenant,
		ClientID:         o.ClientID,
		ClientSecret:     o.ClientSecret,
		KeyJSON:          o.KeyJSON,
		RefreshTokenFile: o.RefreshTokenFile,
		TokenURL:         o.TokenURL,
		Scope:            o.Scope,
		Username:         srv.Username,
		HTTPClient:       oauthHTTP,
	}
	switch o.Grant {
	case config.GrantClientCredentials:
		s.Grant = oauth.GrantClientCredentials
	case config.GrantRefreshToken:
		s.Grant = oauth.GrantRefreshToken
	}
	return s
}

// TokenSource returns the oauth.Source of srv (auth = oauth2), built on
// first use and then shared by every connection to srv, so that its
// tokens are cached across connections and sessions.
func TokenSource(srv *config.Server) (*oauth.Source, error) {
	ts, err := tokenSourceOf(srv)
	if err != nil {
		return nil, err
	}
	return ts.src, nil
}

func tokenSourceOf(srv *config.Server) (*tokenSource, error) {
	sourcesMu.Lock()
	defer sourcesMu.Unlock()
	if ts := sources[srv]; ts != nil {
		return ts, nil
	}
	src, err := oauth.New(OAuthSettings(srv))
	if err != nil {
		return nil, err
	}
	ts := &tokenSource{src: src}
	sources[srv] = ts
	return ts, nil
}

// classifyToken makes the *Error of a token failure at server: temporary
// (the queue is held, no file is set aside), its cause the one
// oauth.CauseOf decides (oauth-secret-expired, oauth-endpoint-unreachable,
// …; oauth-failed for an error that is not an *oauth.Error), and the
// provider's own words as the reply. Every view words the cause from
// package cause, in its reader's language; the reply adds no words of its
// own.
func classifyToken(err error, server string) *Error {
	e := &Error{Server: server, Stage: "auth", Cause: cause.OAuthFailed, Err: err}
	var oe *oauth.Error
	if errors.As(err, &oe) {
		e.Cause, _ = oauth.CauseOf(oe)
		e.Reply = tokenReply(oe)
	}
	if errors.Is(err, context.Canceled) {
		e.Cause = cause.Temporary // stopping: not the token endpoint's fault
	}
	return e
}

// tokenReply is a token failure in one line, in the provider's words:
// the endpoint, the OAuth error code and the provider's own description
// (with its AADSTS number).
func tokenReply(oe *oauth.Error) string {
	s := "token endpoint " + oe.Endpoint + ": "
	switch {
	case oe.Description != "" && oe.Code != "":
		s += oe.Code + ": " + oe.Description
	case oe.Description != "":
		s += oe.Description
	case oe.Code != "":
		s += oe.Code
	default:
		s += oe.Error()
	}
	return s
}

// authOAuth logs in with an access token (auth = oauth2): XOAUTH2, or
// OAUTHBEARER when the server offers only that. A 535 to a token that has
// logged in before (it was revoked or the server's keys changed) gets one
// forced refresh and one more try; a 535 to a new token forgets it, so
// that the next connection fetches another.
func (c *Conn) authOAuth(ctx context.Context) error {
	srv := c.srv
	if !mayAuthPlaintext(c.remoteHost(), c.tls != nil) {
		why := "the server offers no TLS"
		if srv.Security == config.SecurityNone {
			why = "security = none"
		}
		return Classify(kindRefusal{refusal(why + ", and spoolgate never sends an access token unencrypted; set security = starttls or tls"), ErrPlaintextAuth}, c.label, "auth")
	}
	ok, offered := c.client.Extension("AUTH")
	if !ok {
		return Classify(kindRefusal{"auth = oauth2 is set, but the server does not offer AUTH", ErrNoAUTH}, c.label, "auth")
	}
	mech := ""
	switch {
	case c.client.SupportsAuth(oauth.XOAUTH2):
		mech = oauth.XOAUTH2
	case c.client.SupportsAuth(oauth.OAUTHBEARER):
		mech = oauth.OAUTHBEARER
	default:
		return Classify(kindRefusal{refusal(fmt.Sprintf("the server offers AUTH %s; auth = oauth2 needs XOAUTH2 or OAUTHBEARER", offered)), ErrNoOAuthMechanism}, c.label, "auth")
	}
	c.mech = mech
	actx, cancel := context.WithTimeoutCause(ctx, c.timeout,
		fmt.Errorf("the AUTH exchange took longer than timeout = %s: %w", c.timeout, context.DeadlineExceeded))
	defer cancel()
	err := WithToken(actx, srv, func(tok oauth.Token) error { return c.authToken(actx, mech, tok) }, isAuthRefused)
	var te *TokenError
	if errors.As(err, &te) {
		return classifyToken(te.Err, c.label)
	}
	return classifyAuth(err, c.label)
}

// TokenError is a failure to get an access token (from srv's
// oauth.Source), as WithToken returns it: not the server's refusal.
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// WithToken logs in to srv (auth = oauth2) with login, given an access
// token of srv's shared oauth.Source; refused tells a server's refusal of
// the token (SMTP's 535, IMAP's NO) from other failures. A refusal of a
// token that has logged in before (it was revoked, or the server's keys
// changed) gets one forced refresh and one more try; a refused token that
// never worked is forgotten, so that the next login fetches another.
// SMTP and IMAP (package mailbox) both log in through it. A token that
// could not be had is a *TokenError; any other error is login's.
func WithToken(ctx context.Context, srv *config.Server, login func(oauth.Token) error, refused func(error) bool) error {
	ts, err := tokenSourceOf(srv)
	if err != nil {
		return &TokenError{err}
	}
	tok, err := ts.src.Token(ctx)
	if err != nil {
		return &TokenError{err}
	}
	err = login(tok)
	if !refused(err) {
		if err == nil {
			ts.accepted(tok)
		}
		return err
	}
	ts.mu.Lock()
	worked := ts.worked == tok.AccessToken
	ts.mu.Unlock()
	if !worked {
		ts.src.Invalidate(tok)
		return err
	}
	tok, ferr := ts.src.ForceRefresh(ctx, tok)
	if ferr != nil {
		return &TokenError{ferr}
	}
	if err = login(tok); err == nil {
		ts.accepted(tok)
	} else if refused(err) {
		ts.src.Invalidate(tok)
	}
	return err
}

// accepted records that a server took tok.
func (ts *tokenSource) accepted(tok oauth.Token) {
	ts.mu.Lock()
	ts.worked = tok.AccessToken
	ts.mu.Unlock()
}

// authToken runs one AUTH exchange with tok. When the server refuses the
// token, it first sends its error as a challenge (334 and base64 JSON
// such as {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}),
// then, after the client's answer, the final 535; the error returned then
// carries both (tokenRefused).
func (c *Conn) authToken(ctx context.Context, mech string, tok oauth.Token) error {
	var bc *oauth.BearerClient
	if mech == oauth.XOAUTH2 {
		bc = oauth.XOAUTH2Client(c.srv.Username, tok.AccessToken)
	} else {
		bc = oauth.OAuthBearerClient(c.srv.Username, tok.AccessToken, c.srv.Host, c.srv.Port)
	}
	defer c.watch(ctx)()
	c.tr.auth = true
	defer func() { c.tr.auth = false }()
	err := c.client.Auth(bc)
	if r := bc.Refusal(); err != nil && r != nil {
		return tokenRefused{err: err, challenge: "334 challenge: " + redactToken(r.Decoded(), tok.AccessToken)}
	}
	return err
}

// tokenRefused is the server's refusal of a token: its final reply (err,
// a 535 as a rule) and, decoded, the challenge it sent before it.
type tokenRefused struct {
	err       error
	challenge string // "334 challenge: status 401, …", without the token
}

func (e tokenRefused) Error() string { return e.err.Error() + " (" + e.challenge + ")" }
func (e tokenRefused) Unwrap() error { return e.err }

// redactToken takes the token out of s, should a server echo it.
func redactToken(s, token string) string {
	if len(token) < 4 {
		return s
	}
	return strings.ReplaceAll(s, token, "[token]")
}

// classifyAuth classifies a failed AUTH. The reply of a refused token is
// the server's final reply with its decoded challenge beside it:
// "535 5.7.8 Authentication failed. (334 challenge: status 401, schemes
// bearer, scope https://mail.google.com/)". The cause is decided from the
// final reply alone, as cause.Of decides any other.
func classifyAuth(err error, label string) error {
	if err == nil {
		return nil
	}
	e := Classify(err, label, "auth")
	var tr tokenRefused
	if errors.As(err, &tr) && e.Reply != "" && !strings.Contains(e.Reply, tr.challenge) {
		e.Reply += " (" + tr.challenge + ")"
	}
	return e
}

// isAuthRefused reports whether err is the server refusing the
// credentials (535), after which the connection takes another AUTH.
func isAuthRefused(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code == 535
}
