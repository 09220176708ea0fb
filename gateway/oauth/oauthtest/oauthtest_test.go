package oauthtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// post sends a token request and decodes the JSON reply.
func post(t *testing.T, s *Server, tokenURL string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().PostForm(tokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("reply %d %q is not JSON", resp.StatusCode, body)
	}
	return resp.StatusCode, m
}

// dovecotAccepts validates token as Dovecot 2.3's passdb oauth2 does with
// introspection_mode = local (src/lib-oauth2/oauth2-jwt.c and
// src/auth/db-oauth2.c), with the key dict folder keys, issuers, and
// username_attribute = email, for the SASL user: it returns why not, or "".
func dovecotAccepts(t *testing.T, keys, issuers, token, user string) string {
	t.Helper()
	blobs := strings.Split(token, ".")
	if len(blobs) != 3 {
		return "Not a JWT token"
	}
	var header map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(blobs[0])
	if json.Unmarshal(hb, &header) != nil {
		return "header"
	}
	if header["typ"] != "JWT" {
		return "Cannot find 'typ' field"
	}
	alg, _ := header["alg"].(string)
	kid, _ := header["kid"].(string)
	if kid == "" {
		kid = "default"
	}
	var claims map[string]any
	cb, _ := base64.RawURLEncoding.DecodeString(blobs[1])
	if json.Unmarshal(cb, &claims) != nil {
		return "body"
	}
	now := float64(time.Now().Unix())
	if _, ok := claims["sub"].(string); !ok {
		return "Missing 'sub' field"
	}
	exp, ok := claims["exp"].(float64)
	if !ok {
		return "Missing 'exp' field"
	}
	if iat, _ := claims["iat"].(float64); iat > now {
		return "Token is issued in future"
	}
	if exp < now {
		return "Token has expired"
	}
	if iss, _ := claims["iss"].(string); !slices.Contains(strings.Fields(issuers), iss) {
		return "Issuer '" + iss + "' is not allowed"
	}
	azp, _ := claims["azp"].(string)
	if azp == "" {
		azp = "default"
	}
	b64, err := os.ReadFile(filepath.Join(keys, azp, alg, kid))
	if err != nil {
		return alg + " key '" + kid + "' not found"
	}
	key, err := base64.StdEncoding.DecodeString(string(b64))
	if err != nil || len(key) == 0 || alg != "HS256" {
		return "Invalid base64 encoded key"
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(blobs[0] + "." + blobs[1]))
	sig, _ := base64.RawURLEncoding.DecodeString(blobs[2])
	if !hmac.Equal(mac.Sum(nil), sig) {
		return "Incorrect JWT signature"
	}
	email, _ := claims["email"].(string)
	if email == "" {
		return "No username returned"
	}
	if !strings.EqualFold(email, user) { // username_format = %Lu on both sides
		return "Username did not match"
	}
	return ""
}

func TestTokens_DovecotAcceptsThem(t *testing.T) {
	s := New(t)
	keys := filepath.Join(spooltest.TempDir(t), "keys")
	if err := s.WriteDovecotKeys(keys); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(keys, "default", "HS256", "default"))
	if err != nil || string(raw) != base64.StdEncoding.EncodeToString(s.HMACKey) {
		t.Fatalf("key file %q, %v", raw, err)
	}
	conf := s.DovecotConf(keys)
	for _, want := range []string{"introspection_mode = local\n", "local_validation_key_dict = fs:posix:prefix=" + keys + "/\n",
		"issuers = " + s.Issuer() + "\n", "username_attribute = email\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("DovecotConf lacks %q:\n%s", want, conf)
		}
	}

	app := s.AddMicrosoftApp("Library@Example.org")
	_, ms := post(t, s, app.TokenURL, url.Values{"grant_type": {GrantClientCredentials}, "client_id": {app.ClientID},
		"client_secret": {app.Secret}, "scope": {MicrosoftResource + "/.default"}})
	sa := s.AddServiceAccount(GoogleScope)
	assertion := sign(t, sa, jwt.MapClaims{"iss": sa.Email, "sub": "gl@example.org", "scope": GoogleScope, "aud": s.TokenURL(),
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	_, g := post(t, s, s.TokenURL(), url.Values{"grant_type": {GrantJWTBearer}, "assertion": {assertion}})
	for _, tc := range []struct {
		name, token, user string
	}{
		{"microsoft", str(ms["access_token"]), "library@example.org"},
		{"google", str(g["access_token"]), "gl@example.org"},
	} {
		if why := dovecotAccepts(t, keys, s.Issuer(), tc.token, tc.user); why != "" {
			t.Errorf("%s: Dovecot would refuse the token: %s", tc.name, why)
		}
		if why := dovecotAccepts(t, keys, s.Issuer(), tc.token, "other@example.org"); why == "" {
			t.Errorf("%s: Dovecot would accept the token for another mailbox", tc.name)
		}
		if why := dovecotAccepts(t, keys, "https://elsewhere/", tc.token, tc.user); why == "" {
			t.Errorf("%s: Dovecot would accept the token from an issuer not listed", tc.name)
		}
		var claims map[string]any
		cb, _ := base64.RawURLEncoding.DecodeString(strings.Split(tc.token, ".")[1])
		json.Unmarshal(cb, &claims)
		if _, ok := claims["azp"]; ok {
			t.Errorf("%s: the token has an azp claim, which moves Dovecot's key lookup", tc.name)
		}
	}
	claims, err := s.Claims(str(ms["access_token"]))
	if err != nil || claims["appid"] != app.ClientID || claims["tid"] != app.Tenant || claims["aud"] != MicrosoftResource {
		t.Fatalf("Microsoft-like claims %v, %v", claims, err)
	}
	// Another server's key does not verify them.
	other := NewPlain(t)
	okeys := filepath.Join(spooltest.TempDir(t), "okeys")
	other.WriteDovecotKeys(okeys)
	if why := dovecotAccepts(t, okeys, s.Issuer(), str(ms["access_token"]), "library@example.org"); why != "Incorrect JWT signature" {
		t.Fatalf("with another key: %q", why)
	}
}

func TestTokens_Expire(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out real token lifetimes: the full lane runs it (bash .ci/run)")
	}
	s := NewPlain(t)
	s.SetLifetime(time.Second)
	c := s.AddClient("lib@example.org", "smtp")
	_, r := post(t, s, s.TokenURL(), url.Values{"grant_type": {GrantClientCredentials}, "client_id": {c.ID}, "client_secret": {c.Secret}})
	if r["expires_in"] != float64(1) {
		t.Fatalf("expires_in %v, want 1", r["expires_in"])
	}
	keys := spooltest.TempDir(t)
	s.WriteDovecotKeys(keys)
	time.Sleep(2100 * time.Millisecond)
	if why := dovecotAccepts(t, keys, s.Issuer(), str(r["access_token"]), "lib@example.org"); why != "Token has expired" {
		t.Fatalf("an expired token: %q", why)
	}
}

func sign(t *testing.T, sa ServiceAccount, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = sa.KeyID
	s, err := tok.SignedString(sa.Key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func str(v any) string { s, _ := v.(string); return s }

func TestJWTBearer_ChecksTheAssertion(t *testing.T) {
	s := New(t)
	sa := s.AddServiceAccount(GoogleScope)
	other, err := NewServiceAccountKey(sa.Email, sa.ClientID, s.TokenURL())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": sa.Email, "sub": "u@example.org", "scope": GoogleScope, "aud": s.TokenURL(),
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	forged := other
	forged.KeyID = sa.KeyID
	for _, tc := range []struct {
		name      string
		assertion string
		status    int
		code      string
		desc      string
	}{
		{"good", sign(t, sa, good()), 200, "", ""},
		{"signed with another key", sign(t, forged, good()), 400, "invalid_grant", "Invalid JWT Signature."},
		{"unknown key ID", sign(t, other, good()), 400, "invalid_grant", "Invalid JWT Signature."},
		{"unknown account", sign(t, sa, with("iss", "nobody@x.iam.gserviceaccount.com")), 400, "invalid_grant", "Invalid grant: account not found"},
		{"wrong audience", sign(t, sa, with("aud", "https://oauth2.googleapis.com/token")), 400, "invalid_grant", "Invalid JWT: Failed audience check."},
		{"expired", sign(t, sa, with("exp", now.Add(-time.Hour).Unix())), 400, "invalid_grant", "Invalid JWT: Token must be a short-lived token"},
		{"no exp", sign(t, sa, with("exp", nil)), 400, "invalid_grant", "Invalid JWT: Token must be a short-lived token"},
		{"issued in the future", sign(t, sa, with("iat", now.Add(10*time.Minute).Unix())), 400, "invalid_grant", "Invalid JWT: Token must be a short-lived token"},
		{"longer than an hour", sign(t, sa, with("exp", now.Add(2*time.Hour).Unix())), 400, "invalid_grant", "Invalid JWT: Token must be a short-lived token"},
		{"no sub", sign(t, sa, with("sub", nil)), 400, "invalid_grant", "Invalid email or User ID"},
		{"no scope", sign(t, sa, with("scope", nil)), 400, "invalid_scope", ""},
		{"scope not delegated", sign(t, sa, with("scope", GoogleScope+" https://www.googleapis.com/auth/drive")), 401, "unauthorized_client", "Client is unauthorized"},
		{"HS256 with the public key", hs256(t, sa, good()), 400, "invalid_grant", "Invalid JWT Signature."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, r := post(t, s, s.TokenURL(), url.Values{"grant_type": {GrantJWTBearer}, "assertion": {tc.assertion}})
			if status != tc.status || str(r["error"]) != tc.code || !strings.HasPrefix(str(r["error_description"]), tc.desc) {
				t.Fatalf("%d %v, want %d %s %q", status, r, tc.status, tc.code, tc.desc)
			}
			if tc.status == 200 && str(r["access_token"]) == "" {
				t.Fatalf("no token: %v", r)
			}
		})
	}
}

// hs256 forges an assertion signed with HS256 under the public key's
// bytes (the algorithm-confusion attack).
func hs256(t *testing.T, sa ServiceAccount, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = sa.KeyID
	s, err := tok.SignedString(sa.Key.PublicKey.N.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRefresh_RotatesAndRevokes(t *testing.T) {
	s := New(t)
	app := s.AddMicrosoftApp("lib@example.org")
	rt0 := s.IssueRefreshToken(app.ClientID, app.Mailbox)
	form := func(rt string) url.Values {
		return url.Values{"grant_type": {GrantRefreshToken}, "client_id": {app.ClientID}, "refresh_token": {rt}}
	}
	status, r := post(t, s, app.TokenURL, form(rt0))
	rt1 := str(r["refresh_token"])
	if status != 200 || rt1 == "" || rt1 == rt0 {
		t.Fatalf("refresh: %d %v", status, r)
	}
	if status, r := post(t, s, app.TokenURL, form(rt0)); status != 400 || r["error"] != "invalid_grant" {
		t.Fatalf("the old refresh token still works: %d %v", status, r)
	}
	s.RevokeRefreshTokens(app.Mailbox)
	status, r = post(t, s, app.TokenURL, form(rt1))
	if status != 400 || r["error"] != "invalid_grant" || !strings.HasPrefix(str(r["error_description"]), "AADSTS50173") {
		t.Fatalf("revoked: %d %v", status, r)
	}
	// Through "common" too, and not for another client.
	rt := s.IssueRefreshToken(app.ClientID, app.Mailbox)
	if status, r := post(t, s, s.MicrosoftTokenURL("common"), form(rt)); status != 200 {
		t.Fatalf("common: %d %v", status, r)
	}
	if n := s.Requests(GrantRefreshToken); n != 4 {
		t.Fatalf("Requests = %d, want 4", n)
	}
}

func TestFailures(t *testing.T) {
	s := New(t)
	c := s.AddClient("lib@example.org", "smtp")
	form := url.Values{"grant_type": {GrantClientCredentials}, "client_id": {c.ID}, "client_secret": {c.Secret}}
	s.FailWith(http.StatusBadGateway)
	resp, err := s.Client().PostForm(s.TokenURL(), form)
	if err != nil || resp.StatusCode != 502 {
		t.Fatalf("FailWith(502): %v %v", resp, err)
	}
	resp.Body.Close()
	s.FailWith(0)
	s.Refuse(400, "invalid_request", "AADSTS90002: Tenant 'x' not found.")
	if status, r := post(t, s, s.TokenURL(), form); status != 400 || r["error_description"] != "AADSTS90002: Tenant 'x' not found." {
		t.Fatalf("Refuse: %d %v", status, r)
	}
	s.Refuse(0, "", "")
	s.Down()
	if _, err := s.Client().PostForm(s.TokenURL(), form); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Down: %v, want connection refused", err)
	}
	s.Up()
	if status, _ := post(t, s, s.TokenURL(), form); status != 200 {
		t.Fatalf("after Up: %d", status)
	}
	if n := s.Requests(GrantClientCredentials); n != 3 {
		t.Fatalf("Requests = %d, want 3 (the refused connection is not counted)", n)
	}
	// Basic authentication works as well as the form.
	req, _ := http.NewRequest("POST", s.TokenURL(), strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	resp, err = s.Client().Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Basic: %v %v", resp, err)
	}
	resp.Body.Close()
}
