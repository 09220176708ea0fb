package oauth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/oauth"
)

// TestCauseOf: every error is one of package cause's token failures,
// each worded in every language there; CauseOf looks through wrapping and
// takes no foreign error.
func TestCauseOf(t *testing.T) {
	ids := []cause.Cause{cause.OAuthSecretWrong, cause.OAuthSecretExpired, cause.OAuthAppUnknown, cause.OAuthConsentMissing,
		cause.OAuthTenantUnknown, cause.OAuthDelegationMissing, cause.OAuthKeyRefused, cause.OAuthGrantRevoked,
		cause.OAuthClientRefused, cause.OAuthScopeInvalid, cause.OAuthRefreshTokenMissing, cause.OAuthRefreshTokenUnsaved,
		cause.OAuthEndpointUnreachable, cause.OAuthEndpointError, cause.OAuthEndpointRedirect, cause.OAuthTokenRefused}
	for _, c := range ids {
		if !c.Known() || !c.TokenFailure() || !c.HoldsQueue() || !strings.HasPrefix(string(c), "oauth-") {
			t.Errorf("%s: not a known token failure that holds the queue", c)
		}
	}
	if _, ok := oauth.CauseOf(errors.New("not an oauth error")); ok {
		t.Error("CauseOf took a foreign error")
	}
	e := &oauth.Error{Provider: "microsoft", Grant: "client_credentials", HTTPStatus: 401, Code: "invalid_client", AADSTS: "AADSTS7000222"}
	if c, ok := oauth.CauseOf(errors.Join(errors.New("relay"), e)); !ok || c != cause.OAuthSecretExpired {
		t.Errorf("CauseOf(wrapped) = %s, %v", c, ok)
	}
	// Google unauthorized_client is delegation only for the JWT-bearer grant.
	g := &oauth.Error{Provider: "google", Grant: "refresh_token", HTTPStatus: 401, Code: "unauthorized_client"}
	if c, _ := oauth.CauseOf(g); c != cause.OAuthTokenRefused {
		t.Errorf("google refresh unauthorized_client: %s", c)
	}
	g.Grant = "jwt_bearer"
	if c, _ := oauth.CauseOf(g); c != cause.OAuthDelegationMissing {
		t.Errorf("google JWT-bearer unauthorized_client: %s", c)
	}
}

func TestDescribe_NotAJWT(t *testing.T) {
	for _, tok := range []string{"", "ya29.a0AfB_byCopaque", "a.b.c", "e30.e30", "x.!!!.y"} {
		if info := oauth.Describe(tok); info.JWT {
			t.Errorf("Describe(%q) = %+v, want not a JWT", tok, info)
		}
	}
	// header {} . claims {"azp":"app","scp":"SMTP.Send","aud":"x"} . sig
	info := oauth.Describe("e30.eyJhenAiOiJhcHAiLCJzY3AiOiJTTVRQLlNlbmQiLCJhdWQiOiJ4In0.c2ln")
	if !info.JWT || info.AppID != "app" || len(info.Scopes) != 1 || info.Scopes[0] != "SMTP.Send" || info.Audience[0] != "x" {
		t.Fatalf("Describe = %+v", info)
	}
	if s := info.String(); !strings.Contains(s, "application app") || !strings.Contains(s, "scope SMTP.Send") {
		t.Fatalf("String = %q", s)
	}
}
