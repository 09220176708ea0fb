package oauth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/oauth"
)

func TestExplanations_Table(t *testing.T) {
	ids := []string{oauth.CauseSecretWrong, oauth.CauseSecretExpired, oauth.CauseAppUnknown, oauth.CauseConsentMissing,
		oauth.CauseTenantUnknown, oauth.CauseDelegationMissing, oauth.CauseKeyRefused, oauth.CauseGrantRevoked,
		oauth.CauseClientRefused, oauth.CauseScopeInvalid, oauth.CauseRefreshTokenMissing, oauth.CauseRefreshTokenUnsaved,
		oauth.CauseEndpointUnreachable, oauth.CauseEndpointError, oauth.CauseEndpointRedirect, oauth.CauseTokenRefused}
	table := oauth.Explanations()
	if len(table) != len(ids) {
		t.Fatalf("%d explanations for %d ids", len(table), len(ids))
	}
	seen := map[string]bool{}
	for _, x := range table {
		if seen[x.ID] || !strings.HasPrefix(x.ID, "oauth-") || x.Meaning == "" || x.Action == "" ||
			!strings.HasSuffix(x.Meaning, ".") || !strings.HasSuffix(x.Action, ".") {
			t.Errorf("explanation %+v: duplicate, badly named or incomplete", x)
		}
		seen[x.ID] = true
	}
	for _, id := range ids {
		if x, ok := oauth.ExplanationFor(id); !ok || x.ID != id {
			t.Errorf("no explanation for %s", id)
		}
	}
	if _, ok := oauth.Explain(errors.New("not an oauth error")); ok {
		t.Error("Explain took a foreign error")
	}
	// Explain looks through wrapping.
	e := &oauth.Error{Provider: "microsoft", Grant: "client_credentials", HTTPStatus: 401, Code: "invalid_client", AADSTS: "AADSTS7000222"}
	if x, ok := oauth.Explain(errors.Join(errors.New("relay"), e)); !ok || x.ID != oauth.CauseSecretExpired {
		t.Errorf("Explain(wrapped) = %+v, %v", x, ok)
	}
	// Google unauthorized_client is delegation only for the JWT-bearer grant.
	g := &oauth.Error{Provider: "google", Grant: "refresh_token", HTTPStatus: 401, Code: "unauthorized_client"}
	if x, _ := oauth.Explain(g); x.ID != oauth.CauseTokenRefused {
		t.Errorf("google refresh unauthorized_client: %s", x.ID)
	}
	g.Grant = "jwt_bearer"
	if x, _ := oauth.Explain(g); x.ID != oauth.CauseDelegationMissing {
		t.Errorf("google JWT-bearer unauthorized_client: %s", x.ID)
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
