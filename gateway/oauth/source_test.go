package oauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/oauth"
	"github.com/spoolgate/spoolgate/gateway/oauth/oauthtest"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestMicrosoft_ClientCredentials(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	src := microsoftSource(t, srv, app, nil)
	tok, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Valid() || tok.Expiry.Sub(tok.Obtained) != time.Hour {
		t.Fatalf("token %v: want one that lives an hour", tok)
	}
	claims, err := srv.Claims(tok.AccessToken)
	if err != nil {
		t.Fatalf("the endpoint does not accept its own token: %v", err)
	}
	if claims["aud"] != oauthtest.MicrosoftResource || claims["email"] != "library@example.org" {
		t.Fatalf("claims %v: want aud %s (the scope's resource) and the mailbox", claims, oauthtest.MicrosoftResource)
	}
	info := oauth.Describe(tok.AccessToken)
	if !info.JWT || info.AppID != app.ClientID || info.Tenant != app.Tenant ||
		!slices.Equal(info.Roles, []string{"SMTP.SendAsApp"}) || !slices.Equal(info.Audience, []string{oauthtest.MicrosoftResource}) ||
		info.Expiry.IsZero() {
		t.Fatalf("Describe = %+v", info)
	}
	for _, want := range []string{app.ClientID, app.Tenant, "SMTP.SendAsApp"} {
		if !strings.Contains(info.String(), want) {
			t.Errorf("TokenInfo.String() = %q, lacks %q", info, want)
		}
	}
	if src.Endpoint() != strings.TrimPrefix(srv.URL, "https://") || src.Grant() != oauth.GrantClientCredentials || src.Scope() != oauth.MicrosoftScope {
		t.Errorf("Endpoint %q Grant %q Scope %q", src.Endpoint(), src.Grant(), src.Scope())
	}
}

func TestMicrosoft_DefaultTokenURL(t *testing.T) {
	src, err := oauth.New(oauth.Settings{Provider: "microsoft", Tenant: "contoso.onmicrosoft.com", ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := src.TokenURL(), "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"; got != want {
		t.Fatalf("TokenURL = %q, want %q", got, want)
	}
	if src.Endpoint() != "login.microsoftonline.com" {
		t.Fatalf("Endpoint = %q", src.Endpoint())
	}
}

func TestToken_CachedAndReused(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	clock := newFakeClock()
	src := microsoftSource(t, srv, app, clock.Now)
	first, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(54 * time.Minute) // 6 minutes before expiry: still fresh
	again, err := src.Token(ctxT(t))
	if err != nil || again.AccessToken != first.AccessToken {
		t.Fatalf("second Token: %v (same: %v)", err, again.AccessToken == first.AccessToken)
	}
	if n := srv.Requests(oauthtest.GrantClientCredentials); n != 1 {
		t.Fatalf("%d requests for two Token calls within the lifetime, want 1", n)
	}
	clock.Advance(2 * time.Minute) // 4 minutes before expiry: replaced early
	early, err := src.Token(ctxT(t))
	if err != nil || early.AccessToken == first.AccessToken {
		t.Fatalf("Token 4 minutes before expiry: %v, replaced: %v", err, early.AccessToken != first.AccessToken)
	}
	if n := srv.Requests(oauthtest.GrantClientCredentials); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
	if st := src.State(); st.Fetches != 2 || st.LastError != nil || !st.Expiry.Equal(early.Expiry) {
		t.Fatalf("State = %+v", st)
	}
}

func TestToken_ConcurrentCallersShareOneFetch(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	src := microsoftSource(t, srv, app, nil)
	var wg sync.WaitGroup
	toks := make([]string, 20)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := src.Token(ctxT(t))
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok.AccessToken
		}()
	}
	wg.Wait()
	if n := srv.Requests(oauthtest.GrantClientCredentials); n != 1 {
		t.Fatalf("20 concurrent callers made %d requests, want 1", n)
	}
	for _, tok := range toks {
		if tok != toks[0] {
			t.Fatal("concurrent callers got different tokens")
		}
	}
}

// A token that lives 2 seconds is replaced after half its life, before it
// expires, by the real clock.
func TestToken_RefreshedBeforeExpiry_TwoSecondLifetime(t *testing.T) {
	srv := oauthtest.New(t)
	srv.SetLifetime(2 * time.Second)
	app := srv.AddMicrosoftApp("library@example.org")
	// The source's own clock: what is tested is when it decides to
	// refresh, not how fast this machine is.
	clock := newFakeClock()
	src := microsoftSource(t, srv, app, clock.Now)
	first, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if life := first.Expiry.Sub(first.Obtained); life != 2*time.Second {
		t.Fatalf("lifetime %v, want 2s", life)
	}
	if again, _ := src.Token(ctxT(t)); again.AccessToken != first.AccessToken {
		t.Fatal("a fresh token was replaced")
	}
	clock.Advance(1100 * time.Millisecond)
	second, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if second.AccessToken == first.AccessToken {
		t.Fatal("the token was not replaced after half its 2-second life")
	}
	if !second.Obtained.Before(first.Expiry) {
		t.Fatalf("the refresh came at %v, not before the first token's expiry %v", second.Obtained, first.Expiry)
	}
	if n := srv.Requests(oauthtest.GrantClientCredentials); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

func TestToken_ExpiredIsFetchedAfresh(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	clock := newFakeClock()
	src := microsoftSource(t, srv, app, clock.Now)
	first, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	srv.FailWith(http.StatusServiceUnavailable)
	if e := tokenError(t, src); !e.Temporary || e.HTTPStatus != 503 {
		t.Fatalf("an expired token with the endpoint failing: %v, want the temporary error, not the old token", e)
	}
	srv.FailWith(0)
	second, err := src.Token(ctxT(t))
	if err != nil || second.AccessToken == first.AccessToken {
		t.Fatalf("after the endpoint recovered: %v, new token: %v", err, second.AccessToken != first.AccessToken)
	}
}

// When the early refresh fails, the token in hand is used until it is
// about to expire, and the endpoint is not asked again at once.
func TestToken_EarlyRefreshFailureKeepsToken(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	clock := newFakeClock()
	src := microsoftSource(t, srv, app, clock.Now)
	first, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	srv.FailWith(http.StatusInternalServerError)
	clock.Advance(57 * time.Minute)
	got, err := src.Token(ctxT(t))
	if err != nil || got.AccessToken != first.AccessToken {
		t.Fatalf("Token in the early window with the endpoint failing: %v; want the token in hand", err)
	}
	var e *oauth.Error
	if st := src.State(); !errors.As(st.LastError, &e) || e.HTTPStatus != 500 {
		t.Fatalf("State().LastError = %v, want the 500", st.LastError)
	}
	before := srv.Requests(oauthtest.GrantClientCredentials)
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests(oauthtest.GrantClientCredentials); n != before {
		t.Fatalf("the endpoint was asked again at once (%d requests, was %d)", n, before)
	}
	clock.Advance(time.Minute)
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests(oauthtest.GrantClientCredentials); n != before+1 {
		t.Fatalf("%d requests a minute later, want %d", n, before+1)
	}
	clock.Advance(2*time.Minute - 5*time.Second) // 5 seconds before expiry: not handed out
	if _, err := src.Token(ctxT(t)); err == nil {
		t.Fatal("a token 5 seconds from expiry was handed out while the endpoint fails")
	}
}

func TestForceRefresh(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	src := microsoftSource(t, srv, app, nil)
	bad, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]oauth.Token, 5)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			got[i], err = src.ForceRefresh(ctxT(t), bad)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, tok := range got {
		if tok.AccessToken == bad.AccessToken || tok.AccessToken != got[0].AccessToken {
			t.Fatal("ForceRefresh returned the refused token, or sessions got different tokens")
		}
	}
	if n := srv.Requests(oauthtest.GrantClientCredentials); n != 2 {
		t.Fatalf("five sessions refused the same token: %d requests, want 2 (one forced refresh)", n)
	}
	// A session that reports the old token late gets the new one, with no
	// new request.
	late, err := src.ForceRefresh(ctxT(t), bad)
	if err != nil || late.AccessToken != got[0].AccessToken {
		t.Fatalf("a late ForceRefresh of the old token: %v, same new token: %v", err, late.AccessToken == got[0].AccessToken)
	}
	if n := srv.Requests(oauthtest.GrantClientCredentials); n != 2 {
		t.Fatalf("a late ForceRefresh of the old token fetched again: %d requests", n)
	}
	// A refusal of the new token forces another fetch.
	third, err := src.ForceRefresh(ctxT(t), got[0])
	if err != nil || third.AccessToken == got[0].AccessToken {
		t.Fatalf("second ForceRefresh: %v", err)
	}
	if n := srv.Requests(oauthtest.GrantClientCredentials); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

func TestMicrosoft_Refusals(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	other := srv.AddMicrosoftApp("other@example.org")
	for _, tc := range []struct {
		name     string
		settings func(*oauth.Settings)
		before   func()
		status   int
		code     string
		aadsts   string
		id       cause.Cause
	}{
		{name: "wrong secret", settings: func(s *oauth.Settings) { s.ClientSecret = "not-the-secret-value" },
			status: 401, code: "invalid_client", aadsts: "AADSTS7000215", id: cause.OAuthSecretWrong},
		{name: "expired secret", before: func() { srv.ExpireSecret(app.ClientID, true) },
			status: 401, code: "invalid_client", aadsts: "AADSTS7000222", id: cause.OAuthSecretExpired},
		{name: "unknown application", settings: func(s *oauth.Settings) { s.ClientID = "00000000-0000-0000-0000-000000000000" },
			status: 400, code: "unauthorized_client", aadsts: "AADSTS700016", id: cause.OAuthAppUnknown},
		{name: "application of another tenant", settings: func(s *oauth.Settings) { s.ClientID, s.ClientSecret = other.ClientID, other.Secret },
			status: 400, code: "unauthorized_client", aadsts: "AADSTS700016", id: cause.OAuthAppUnknown},
		{name: "unknown tenant", settings: func(s *oauth.Settings) { s.TokenURL = srv.MicrosoftTokenURL("nosuch.onmicrosoft.com") },
			status: 400, code: "invalid_request", aadsts: "AADSTS90002", id: cause.OAuthTenantUnknown},
		{name: "Graph-style scope without .default", settings: func(s *oauth.Settings) { s.Scope = "https://graph.microsoft.com/Mail.Send" },
			status: 400, code: "invalid_scope", aadsts: "AADSTS1002012", id: cause.OAuthScopeInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer srv.ExpireSecret(app.ClientID, false)
			set := oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID, ClientSecret: app.Secret,
				TokenURL: app.TokenURL, HTTPClient: srv.Client()}
			if tc.settings != nil {
				tc.settings(&set)
			}
			if tc.before != nil {
				tc.before()
			}
			src, err := oauth.New(set)
			if err != nil {
				t.Fatal(err)
			}
			e := tokenError(t, src)
			if e.HTTPStatus != tc.status || e.Code != tc.code || e.AADSTS != tc.aadsts || e.Temporary ||
				e.Provider != "microsoft" || e.Endpoint != src.Endpoint() || !strings.HasPrefix(e.Description, tc.aadsts+": ") {
				t.Fatalf("error %#v\nwant HTTP %d %s %s, not temporary", e, tc.status, tc.code, tc.aadsts)
			}
			if !strings.Contains(e.Error(), tc.aadsts) || !strings.Contains(e.Error(), tc.code) {
				t.Errorf("Error() = %q lacks the code or AADSTS number", e.Error())
			}
			if id := explainID(t, e); id != tc.id {
				t.Fatalf("Explain id %q, want %q", id, tc.id)
			}
		})
	}
}

func TestMicrosoft_ConsentWithdrawn(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	srv.WithdrawConsent(app.ClientID, true)
	src := microsoftSource(t, srv, app, nil)
	tok, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if roles := oauth.Describe(tok.AccessToken).Roles; len(roles) != 0 {
		t.Fatalf("roles %v without consent, want none (as Microsoft does)", roles)
	}
	// The refresh-token grant is refused with AADSTS65001.
	file := filepath.Join(spooltest.TempDir(t), "refresh")
	if err := oauth.WriteRefreshToken(file, srv.IssueRefreshToken(app.ClientID, app.Mailbox)); err != nil {
		t.Fatal(err)
	}
	rsrc, err := oauth.New(oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID,
		RefreshTokenFile: file, TokenURL: app.TokenURL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	e := tokenError(t, rsrc)
	if e.AADSTS != "AADSTS65001" || e.Code != "invalid_grant" || explainID(t, e) != cause.OAuthConsentMissing {
		t.Fatalf("error %v, want AADSTS65001 explained as %s", e, cause.OAuthConsentMissing)
	}
}

func TestEndpointDown_Temporary(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	src := microsoftSource(t, srv, app, nil)
	srv.Down()
	e := tokenError(t, src)
	if !e.Temporary || e.HTTPStatus != 0 || e.Err == nil || !strings.Contains(e.Error(), "refused") {
		t.Fatalf("endpoint down: %#v; want a temporary error with no reply, saying the connection was refused", e)
	}
	if id := explainID(t, e); id != cause.OAuthEndpointUnreachable {
		t.Fatalf("Explain id %q, want %q", id, cause.OAuthEndpointUnreachable)
	}
	srv.Up()
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatalf("after Up: %v", err)
	}
}

func TestEndpoint5xx_Temporary(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	sa := srv.AddServiceAccount(oauth.GoogleScope)
	srv.FailWith(http.StatusServiceUnavailable)
	gsrc, err := oauth.New(oauth.Settings{Provider: "google", KeyJSON: sa.KeyJSON, Username: "library@example.org", HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []*oauth.Source{microsoftSource(t, srv, app, nil), gsrc} {
		e := tokenError(t, src)
		if !e.Temporary || e.HTTPStatus != 503 || e.Code != "" || !strings.Contains(e.Error(), "HTTP 503 Service Unavailable") {
			t.Fatalf("%s: %#v; want a temporary 503", src, e)
		}
		if id := explainID(t, e); id != cause.OAuthEndpointError {
			t.Fatalf("Explain id %q, want %q", id, cause.OAuthEndpointError)
		}
	}
}

func TestGoogle_JWTBearer(t *testing.T) {
	srv := oauthtest.New(t)
	sa := srv.AddServiceAccount(oauth.GoogleScope)
	src, err := oauth.New(oauth.Settings{Provider: "google", KeyJSON: sa.KeyJSON, Username: "library@example.org", HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if src.TokenURL() != srv.TokenURL() || src.ClientID() != sa.ClientID || src.Scope() != oauth.GoogleScope {
		t.Fatalf("TokenURL %q ClientID %q Scope %q: want the key's token_uri and client_id", src.TokenURL(), src.ClientID(), src.Scope())
	}
	tok, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	claims, err := srv.Claims(tok.AccessToken)
	if err != nil || claims["email"] != "library@example.org" || claims["scope"] != oauth.GoogleScope {
		t.Fatalf("claims %v, %v", claims, err)
	}
	if n := srv.Requests(oauthtest.GrantJWTBearer); n != 1 {
		t.Fatalf("%d JWT-bearer requests, want 1", n)
	}
}

func TestGoogle_WrongKeyRefused(t *testing.T) {
	srv := oauthtest.New(t)
	sa := srv.AddServiceAccount(oauth.GoogleScope)
	// The same account and key ID, another private key: the signature
	// cannot be verified with the account's public key.
	forged, err := oauthtest.NewServiceAccountKey(sa.Email, sa.ClientID, srv.TokenURL())
	if err != nil {
		t.Fatal(err)
	}
	forgedJSON := strings.Replace(string(forged.KeyJSON), forged.KeyID, sa.KeyID, 1)
	src, err := oauth.New(oauth.Settings{Provider: "google", KeyJSON: []byte(forgedJSON), Username: "library@example.org", HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	e := tokenError(t, src)
	if e.HTTPStatus != 400 || e.Code != "invalid_grant" || e.Description != "Invalid JWT Signature." || e.Temporary {
		t.Fatalf("a wrong key: %#v", e)
	}
	if id := explainID(t, e); id != cause.OAuthKeyRefused {
		t.Fatalf("Explain id %q, want %q", id, cause.OAuthKeyRefused)
	}
}

func TestGoogle_NotDelegated(t *testing.T) {
	srv := oauthtest.New(t)
	sa := srv.AddServiceAccount("https://www.googleapis.com/auth/gmail.send")
	src, err := oauth.New(oauth.Settings{Provider: "google", KeyJSON: sa.KeyJSON, Username: "library@example.org", HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	e := tokenError(t, src)
	if e.HTTPStatus != 401 || e.Code != "unauthorized_client" || e.Temporary {
		t.Fatalf("not delegated: %#v", e)
	}
	if id := explainID(t, e); id != cause.OAuthDelegationMissing {
		t.Fatalf("Explain id %q, want %q", id, cause.OAuthDelegationMissing)
	}
	srv.Delegate(sa.ClientID, oauth.GoogleScope)
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatalf("after delegating: %v", err)
	}
}

func TestGeneric_ClientCredentials_PlainLoopback(t *testing.T) {
	srv := oauthtest.NewPlain(t)
	c := srv.AddClient("library@example.org", "smtp")
	src, err := oauth.New(oauth.Settings{Provider: "generic", Grant: "client_credentials", TokenURL: srv.TokenURL(),
		ClientID: c.ID, ClientSecret: c.Secret, Scope: "smtp", HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if claims, err := srv.Claims(tok.AccessToken); err != nil || claims["scope"] != "smtp" {
		t.Fatalf("claims %v, %v", claims, err)
	}
	bad, _ := oauth.New(oauth.Settings{Provider: "generic", Grant: "client_credentials", TokenURL: srv.TokenURL(),
		ClientID: c.ID, ClientSecret: "wrong-secret", HTTPClient: srv.Client()})
	e := tokenError(t, bad)
	if e.Code != "invalid_client" || e.AADSTS != "" || explainID(t, e) != cause.OAuthClientRefused {
		t.Fatalf("wrong secret at a generic endpoint: %v", e)
	}
}

func TestTokenURL_MustBeHTTPSUnlessLoopback(t *testing.T) {
	base := oauth.Settings{Provider: "generic", Grant: "client_credentials", ClientID: "c", ClientSecret: "s"}
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://login.example.org/token", true},
		{"http://127.0.0.1:8080/token", true},
		{"http://127.1.2.3/token", true},
		{"http://[::1]:99/token", true},
		{"http://localhost/token", true},
		{"http://login.example.org/token", false},
		{"http://10.0.0.1/token", false},
		{"http://localhost.example.org/token", false},
		{"ftp://127.0.0.1/token", false},
		{"login.example.org/token", false},
		{"https://user:pw@login.example.org/token", false},
	} {
		s := base
		s.TokenURL = tc.url
		_, err := oauth.New(s)
		var se *oauth.SettingError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case !tc.ok && (!errors.As(err, &se) || se.Field != "TokenURL"):
			t.Errorf("%s: %v, want a TokenURL SettingError", tc.url, err)
		case !tc.ok && strings.HasPrefix(tc.url, "http://") && !strings.Contains(err.Error(), "https://"):
			t.Errorf("%s: %q does not say https:// is needed", tc.url, err)
		}
	}
	// The override applies to every provider, and so does the rule.
	_, err := oauth.New(oauth.Settings{Provider: "microsoft", Tenant: "t", ClientID: "c", ClientSecret: "s", TokenURL: "http://login.example.org/t/oauth2/v2.0/token"})
	if err == nil {
		t.Fatal("microsoft with an http:// override to another host was accepted")
	}
	// A key whose token_uri is http:// to another host is refused.
	srv := oauthtest.New(t)
	sa, err := oauthtest.NewServiceAccountKey("a@p.iam.gserviceaccount.com", "1", "http://oauth2.example.org/token")
	if err != nil {
		t.Fatal(err)
	}
	_ = srv
	if _, err := oauth.New(oauth.Settings{Provider: "google", KeyJSON: sa.KeyJSON, Username: "u@example.org"}); err == nil || !strings.Contains(err.Error(), "token_uri") {
		t.Fatalf("google key with an http:// token_uri: %v", err)
	}
}

func TestNew_SettingErrors(t *testing.T) {
	for _, tc := range []struct {
		s     oauth.Settings
		field string
	}{
		{oauth.Settings{}, "Provider"},
		{oauth.Settings{Provider: "yahoo"}, "Provider"},
		{oauth.Settings{Provider: "microsoft", ClientID: "c", ClientSecret: "s"}, "Tenant"},
		{oauth.Settings{Provider: "microsoft", Tenant: "t"}, "ClientID"},
		{oauth.Settings{Provider: "microsoft", Tenant: "t/../x", ClientID: "c", ClientSecret: "s"}, "Tenant"},
		{oauth.Settings{Provider: "microsoft", Tenant: "t", ClientID: "c", ClientSecret: "s", Grant: "password"}, "Grant"},
		{oauth.Settings{Provider: "google", Username: "u@example.org"}, "KeyJSON"},
		{oauth.Settings{Provider: "google", KeyJSON: []byte(`{"type":"service_account"`), Username: "u@example.org"}, "KeyJSON"},
		{oauth.Settings{Provider: "google", KeyJSON: []byte(`{"type":"authorized_user"}`), Username: "u@example.org"}, "KeyJSON"},
		{oauth.Settings{Provider: "google", KeyJSON: []byte(`{"type":"service_account","client_email":"a@b","private_key":"nope"}`), Username: "u@example.org"}, "KeyJSON"},
		{oauth.Settings{Provider: "google", KeyJSON: []byte(`{}`)}, "Username"},
		{oauth.Settings{Provider: "google", Grant: "refresh_token", ClientID: "c", ClientSecret: "s"}, "RefreshTokenFile"},
		{oauth.Settings{Provider: "generic", ClientID: "c", TokenURL: "https://x/t"}, "Grant"},
		{oauth.Settings{Provider: "generic", Grant: "client_credentials", ClientID: "c"}, "TokenURL"},
	} {
		_, err := oauth.New(tc.s)
		var se *oauth.SettingError
		if !errors.As(err, &se) || se.Field != tc.field {
			t.Errorf("New(%v) = %v, want a SettingError for %s", tc.s, err, tc.field)
		}
	}
}

func TestRefreshToken_RotationRewritesFileAtomically(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	dir := spooltest.TempDir(t)
	file := filepath.Join(dir, "relay.refresh")
	rt0 := srv.IssueRefreshToken(app.ClientID, app.Mailbox)
	if err := oauth.WriteRefreshToken(file, rt0); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	src, err := oauth.New(oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID,
		RefreshTokenFile: file, TokenURL: app.TokenURL, HTTPClient: srv.Client(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if src.Grant() != oauth.GrantRefreshToken || src.Scope() != oauth.MicrosoftDelegatedScope {
		t.Fatalf("Grant %q Scope %q", src.Grant(), src.Scope())
	}
	tok, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if info := oauth.Describe(tok.AccessToken); info.User != app.Mailbox || !slices.Equal(info.Scopes, []string{"SMTP.Send"}) {
		t.Fatalf("Describe = %+v", info)
	}
	rt1, err := oauth.ReadRefreshToken(file)
	if err != nil || rt1 == rt0 {
		t.Fatalf("the file was not rewritten with the new refresh token (%v)", err)
	}
	after, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if after.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, want 0600", after.Mode().Perm())
		}
		if os.SameFile(before, after) {
			t.Fatal("the file was rewritten in place, not replaced by a rename")
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files left in the folder: %v", entries)
	}
	// The next refresh uses the new token (the old one is retired).
	clock.Advance(2 * time.Hour)
	if _, err := src.Token(ctxT(t)); err != nil {
		t.Fatalf("refresh with the rotated token: %v", err)
	}
	rt2, _ := oauth.ReadRefreshToken(file)
	if rt2 == rt1 {
		t.Fatal("the second rotation was not stored")
	}
	if st := src.State(); st.SaveError != nil {
		t.Fatalf("SaveError %v", st.SaveError)
	}
	// A new Source (a restart) works from the file.
	src2, _ := oauth.New(oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID,
		RefreshTokenFile: file, TokenURL: app.TokenURL, HTTPClient: srv.Client()})
	if _, err := src2.Token(ctxT(t)); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
}

func TestRefreshToken_RevokedLeavesFileIntact(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	file := filepath.Join(spooltest.TempDir(t), "relay.refresh")
	rt := srv.IssueRefreshToken(app.ClientID, app.Mailbox)
	if err := oauth.WriteRefreshToken(file, rt); err != nil {
		t.Fatal(err)
	}
	srv.RevokeRefreshTokens(app.Mailbox)
	before, _ := os.Stat(file)
	src, err := oauth.New(oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID,
		RefreshTokenFile: file, TokenURL: app.TokenURL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	e := tokenError(t, src)
	if e.Code != "invalid_grant" || e.AADSTS != "AADSTS50173" || e.Temporary {
		t.Fatalf("revoked: %#v", e)
	}
	if id := explainID(t, e); id != cause.OAuthGrantRevoked {
		t.Fatalf("Explain id %q, want %q", id, cause.OAuthGrantRevoked)
	}
	after, _ := os.Stat(file)
	got, err := oauth.ReadRefreshToken(file)
	if err != nil || got != rt || !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("the refresh-token file was touched after invalid_grant (%v)", err)
	}
}

func TestRefreshToken_GoogleKeepsFile(t *testing.T) {
	srv := oauthtest.New(t)
	srv.SetRotation(false)
	c := srv.AddClient("", oauth.GoogleScope)
	file := filepath.Join(spooltest.TempDir(t), "gmail.refresh")
	rt := srv.IssueRefreshToken(c.ID, "someone@gmail.example")
	if err := oauth.WriteRefreshToken(file, rt); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(file)
	src, err := oauth.New(oauth.Settings{Provider: "google", ClientID: c.ID, ClientSecret: c.Secret,
		RefreshTokenFile: file, TokenURL: srv.TokenURL(), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if claims, _ := srv.Claims(tok.AccessToken); claims["email"] != "someone@gmail.example" {
		t.Fatalf("claims %v", claims)
	}
	after, _ := os.Stat(file)
	if !os.SameFile(before, after) {
		t.Fatal("the file was rewritten though no new refresh token came")
	}
	// A wrong client secret is invalid_client, not invalid_grant.
	bad, _ := oauth.New(oauth.Settings{Provider: "google", ClientID: c.ID, ClientSecret: "nope",
		RefreshTokenFile: file, TokenURL: srv.TokenURL(), HTTPClient: srv.Client()})
	if e := tokenError(t, bad); e.Code != "invalid_client" || explainID(t, e) != cause.OAuthClientRefused {
		t.Fatalf("wrong client secret: %v", e)
	}
}

func TestRefreshToken_FileMissing(t *testing.T) {
	src, err := oauth.New(oauth.Settings{Provider: "generic", Grant: "refresh_token", ClientID: "c",
		TokenURL: "https://127.0.0.1:1/token", RefreshTokenFile: filepath.Join(spooltest.TempDir(t), "none")})
	if err != nil {
		t.Fatal(err)
	}
	e := tokenError(t, src)
	if !errors.Is(e, oauth.ErrRefreshTokenFile) || e.Temporary || explainID(t, e) != cause.OAuthRefreshTokenMissing {
		t.Fatalf("missing file: %#v", e)
	}
}

// A new sign-in that rewrote the file while the Source runs is taken up.
func TestRefreshToken_NewSignInTakenUp(t *testing.T) {
	srv := oauthtest.New(t)
	app := srv.AddMicrosoftApp("library@example.org")
	file := filepath.Join(spooltest.TempDir(t), "relay.refresh")
	if err := oauth.WriteRefreshToken(file, srv.IssueRefreshToken(app.ClientID, app.Mailbox)); err != nil {
		t.Fatal(err)
	}
	src, _ := oauth.New(oauth.Settings{Provider: "microsoft", Tenant: app.Tenant, ClientID: app.ClientID,
		RefreshTokenFile: file, TokenURL: app.TokenURL, HTTPClient: srv.Client()})
	srv.RevokeRefreshTokens(app.Mailbox)
	if _, err := src.Token(ctxT(t)); err == nil {
		t.Fatal("a revoked refresh token worked")
	}
	if err := oauth.WriteRefreshToken(file, srv.IssueRefreshToken(app.ClientID, "library2@example.org")); err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(ctxT(t))
	if err != nil || oauth.Describe(tok.AccessToken).User != "library2@example.org" {
		t.Fatalf("after a new sign-in: %v", err)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	target := oauthtest.NewPlain(t)
	c := target.AddClient("library@example.org", "smtp")
	hop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.TokenURL(), http.StatusTemporaryRedirect)
	}))
	defer hop.Close()
	src, err := oauth.New(oauth.Settings{Provider: "generic", Grant: "client_credentials", TokenURL: hop.URL + "/token",
		ClientID: c.ID, ClientSecret: c.Secret})
	if err != nil {
		t.Fatal(err)
	}
	e := tokenError(t, src)
	if e.Temporary || explainID(t, e) != cause.OAuthEndpointRedirect {
		t.Fatalf("redirect: %#v", e)
	}
	if n := target.TotalRequests(); n != 0 {
		t.Fatalf("the redirect was followed: %d requests reached its target", n)
	}
}

func TestReplyBounded(t *testing.T) {
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"`))
		chunk := []byte(strings.Repeat("a", 64<<10))
		for range 32 { // 2 MB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`"}`))
	}))
	defer big.Close()
	file := filepath.Join(spooltest.TempDir(t), "rt")
	if err := oauth.WriteRefreshToken(file, "rt"); err != nil {
		t.Fatal(err)
	}
	src, err := oauth.New(oauth.Settings{Provider: "generic", Grant: "refresh_token", TokenURL: big.URL, ClientID: "c", RefreshTokenFile: file})
	if err != nil {
		t.Fatal(err)
	}
	e := tokenError(t, src)
	if !strings.Contains(e.Error(), "larger than") {
		t.Fatalf("a 2 MB reply: %v", e)
	}
}

func TestWriteRefreshToken_Refuses(t *testing.T) {
	dir := spooltest.TempDir(t)
	for _, bad := range []string{"", "two words", "a\nb"} {
		if err := oauth.WriteRefreshToken(filepath.Join(dir, "f"), bad); !errors.Is(err, oauth.ErrRefreshTokenFile) {
			t.Errorf("WriteRefreshToken(%q) = %v", bad, err)
		}
	}
	if err := oauth.WriteRefreshToken(filepath.Join(dir, "nosuchdir", "f"), "tok"); !errors.Is(err, oauth.ErrRefreshTokenFile) {
		t.Errorf("into a missing folder: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
