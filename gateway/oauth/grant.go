package oauth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// reply is a token endpoint's successful answer.
type reply struct {
	accessToken  string
	refreshToken string        // a new refresh token, or ""
	lifetime     time.Duration // from expires_in; 0 if not given
}

// clientCredentials makes a client-credentials request with
// golang.org/x/oauth2/clientcredentials.
func (src *Source) clientCredentials(ctx context.Context) (reply, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, src.client)
	t, err := src.cc.Token(ctx)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			status := 0
			if re.Response != nil {
				status = re.Response.StatusCode
			}
			return reply{}, src.refusal(status, re.Body)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			return reply{}, src.networkError(err)
		}
		// A reply that is not a token (cannot be parsed, no access_token).
		return reply{}, src.newError(http.StatusOK, "", "", err)
	}
	r := reply{accessToken: t.AccessToken, refreshToken: t.RefreshToken}
	r.lifetime = expiresIn(t.Extra("expires_in"))
	if r.lifetime == 0 && !t.Expiry.IsZero() {
		r.lifetime = time.Until(t.Expiry).Round(time.Second)
	}
	return r, nil
}

// jwtBearer signs an assertion with the service account's key and
// exchanges it for a token (RFC 7523, as Google does it).
func (src *Source) jwtBearer(ctx context.Context) (reply, error) {
	now := src.now()
	assertion, err := signRS256(src.key, src.keyID, map[string]any{
		"iss":   src.keyEmail,
		"sub":   src.username,
		"scope": src.scope,
		"aud":   src.audience,
		"iat":   now.Add(-10 * time.Second).Unix(), // a clock a little ahead is not refused
		"exp":   now.Add(time.Hour - 10*time.Second).Unix(),
	})
	if err != nil {
		return reply{}, src.newError(0, "", "", err)
	}
	return src.post(ctx, url.Values{"grant_type": {JWTBearerGrantType}, "assertion": {assertion}}, assertion)
}

// refreshToken exchanges the refresh token for an access token and, when
// the provider hands out a new refresh token, stores it.
func (src *Source) refreshToken(ctx context.Context) (reply, error) {
	rt, err := src.currentRefreshToken()
	if err != nil {
		return reply{}, err
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {src.clientID}}
	if src.secret != "" {
		form.Set("client_secret", src.secret)
	}
	if src.sendScope {
		form.Set("scope", src.scope)
	}
	r, err := src.post(ctx, form, rt)
	if err != nil {
		return reply{}, err
	}
	if r.refreshToken != "" && r.refreshToken != rt {
		src.refresh = r.refreshToken
	}
	if src.refresh != src.fileRefresh {
		werr := WriteRefreshToken(src.refreshFile, src.refresh)
		src.mu.Lock()
		if werr == nil {
			src.fileRefresh = src.refresh
			src.state.SaveError = nil
		} else {
			src.state.SaveError = &Error{Provider: src.provider, Grant: src.grant, Endpoint: src.endpoint,
				Err: fmt.Errorf("%w: %w", ErrRefreshTokenUnsaved, werr)}
		}
		src.mu.Unlock()
	}
	return r, nil
}

// currentRefreshToken reads the refresh-token file. A token the file has
// not changed from is replaced by the newer one in memory, if a write of
// a rotated token failed; a token that changed in the file (a new
// sign-in) is taken.
func (src *Source) currentRefreshToken() (string, error) {
	rt, err := ReadRefreshToken(src.refreshFile)
	if err != nil {
		if src.refresh != "" {
			return src.refresh, nil
		}
		return "", &Error{Provider: src.provider, Grant: src.grant, Endpoint: src.endpoint, Err: err}
	}
	if rt != src.fileRefresh {
		src.fileRefresh, src.refresh = rt, rt
	}
	return src.refresh, nil
}

// post sends a token request and reads the reply. secret is scrubbed
// from any error text.
func (src *Source) post(ctx context.Context, form url.Values, secret string) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, src.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return reply{}, src.newError(0, "", "", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := src.client.Do(req)
	if err != nil {
		return reply{}, src.networkError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxReply+1))
	if err != nil {
		return reply{}, src.networkError(err)
	}
	if len(body) > MaxReply {
		return reply{}, src.newError(resp.StatusCode, "", "", fmt.Errorf("the reply is larger than %d bytes", MaxReply))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return reply{}, src.refusal(resp.StatusCode, body, secret)
	}
	var tj struct {
		AccessToken  string          `json:"access_token"`
		RefreshToken string          `json:"refresh_token"`
		ExpiresIn    json.RawMessage `json:"expires_in"`
		Error        string          `json:"error"`
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" || ct == "text/plain" {
		v, perr := url.ParseQuery(string(body))
		if perr == nil {
			tj.AccessToken, tj.RefreshToken, tj.Error = v.Get("access_token"), v.Get("refresh_token"), v.Get("error")
			tj.ExpiresIn = json.RawMessage(strconv.Quote(v.Get("expires_in")))
		}
	} else if jerr := json.Unmarshal(body, &tj); jerr != nil {
		return reply{}, src.newError(resp.StatusCode, "", "", fmt.Errorf("the reply is not a token (%s)", describeBody(ct, body)))
	}
	if tj.Error != "" { // some endpoints refuse with 200
		return reply{}, src.refusal(resp.StatusCode, body, secret)
	}
	if tj.AccessToken == "" {
		return reply{}, src.newError(resp.StatusCode, "", "", errors.New("the reply has no access_token"))
	}
	var exp any
	_ = json.Unmarshal(tj.ExpiresIn, &exp)
	return reply{accessToken: tj.AccessToken, refreshToken: tj.RefreshToken, lifetime: expiresIn(exp)}, nil
}

// describeBody names a reply that is not JSON without quoting it.
func describeBody(ct string, body []byte) string {
	if ct == "" {
		ct = "no content type"
	}
	return fmt.Sprintf("%s, %d bytes", ct, len(body))
}

// expiresIn reads expires_in, a number or a string of digits.
func expiresIn(v any) time.Duration {
	var n float64
	switch x := v.(type) {
	case float64:
		n = x
	case json.Number:
		n, _ = x.Float64()
	case string:
		n, _ = strconv.ParseFloat(x, 64)
	case int64:
		n = float64(x)
	case int:
		n = float64(x)
	}
	if n <= 0 || n > 366*24*3600 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// serviceAccountKey is the part of a Google service account JSON key that
// is used.
type serviceAccountKey struct {
	Type         string `json:"type"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	ClientID     string `json:"client_id"`
	TokenURI     string `json:"token_uri"`
}

// loadKey reads a service account key. Its errors never quote the key.
func (src *Source) loadKey(keyJSON []byte) error {
	if len(keyJSON) == 0 {
		return &SettingError{"KeyJSON", "google with the jwt_bearer grant needs the service account's JSON key"}
	}
	var k serviceAccountKey
	if err := json.Unmarshal(keyJSON, &k); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return &SettingError{"KeyJSON", fmt.Sprintf("is not JSON (at byte %d): download the key again from the service account's Keys tab", se.Offset)}
		}
		return &SettingError{"KeyJSON", "is not a service account key: download the key again from the service account's Keys tab"}
	}
	switch {
	case k.Type != "service_account":
		return &SettingError{"KeyJSON", fmt.Sprintf("is a %q file, not a service account key (type service_account): create a JSON key on the service account's Keys tab", k.Type)}
	case k.ClientEmail == "":
		return &SettingError{"KeyJSON", "has no client_email"}
	case k.PrivateKey == "":
		return &SettingError{"KeyJSON", "has no private_key"}
	}
	key, err := parseRSAKey(k.PrivateKey)
	if err != nil {
		return &SettingError{"KeyJSON", "private_key: " + err.Error()}
	}
	if k.TokenURI == "" {
		k.TokenURI = GoogleTokenURL
	}
	if _, err := checkTokenURL(k.TokenURI); err != nil {
		return &SettingError{"KeyJSON", "token_uri: " + err.(*SettingError).Problem}
	}
	src.key, src.keyID, src.keyEmail, src.audience = key, k.PrivateKeyID, k.ClientEmail, k.TokenURI
	if src.clientID == "" {
		src.clientID = k.ClientID
	}
	return nil
}

// parseRSAKey reads a PEM RSA private key, PKCS #8 or PKCS #1.
func parseRSAKey(p string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil, errors.New("is not a PEM private key")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok {
			return rk, nil
		}
		return nil, errors.New("is not an RSA key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, errors.New("cannot be read as a PKCS #8 or PKCS #1 RSA key")
}

// signRS256 returns a compact JWS of claims, signed with key.
func signRS256(key *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if kid != "" {
		header["kid"] = kid
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signed := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", errors.New("signing the assertion failed")
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
