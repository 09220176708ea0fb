package oauth

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// TokenInfo is what an access token says about itself, when it is a JWT
// (Microsoft's are; Google's are not). It never holds the token.
type TokenInfo struct {
	JWT      bool     // the token is a JWT and its claims could be read
	AppID    string   // appid, azp or client_id
	AppName  string   // app_displayname
	Tenant   string   // tid
	Roles    []string // roles: application permissions, such as SMTP.SendAsApp
	Scopes   []string // scp or scope: delegated permissions
	Audience []string // aud
	Issuer   string   // iss
	Subject  string   // sub
	User     string   // upn, email, unique_name or preferred_username
	IssuedAt time.Time
	Expiry   time.Time
}

// Describe reads the claims of an access token that is a JWT, without
// verifying its signature (for spoolgate check to show which application,
// tenant and permissions a token carries). A token that is not a JWT gives
// TokenInfo{JWT: false}.
func Describe(token string) TokenInfo {
	parts := strings.Split(token, ".")
	if len(token) > 64<<10 || len(parts) != 3 {
		return TokenInfo{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return TokenInfo{}
	}
	var c map[string]any
	if json.Unmarshal(payload, &c) != nil || c == nil {
		return TokenInfo{}
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			if s, ok := c[k].(string); ok && s != "" {
				return oneLine(s, 256)
			}
		}
		return ""
	}
	list := func(k string) []string {
		var out []string
		switch v := c[k].(type) {
		case string:
			out = strings.Fields(v)
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok {
					out = append(out, oneLine(s, 256))
				}
			}
		}
		return out
	}
	when := func(k string) time.Time {
		if f, ok := c[k].(float64); ok && f > 0 && f < math.MaxInt32*4 {
			return time.Unix(int64(f), 0)
		}
		return time.Time{}
	}
	info := TokenInfo{
		JWT:      true,
		AppID:    str("appid", "azp", "client_id"),
		AppName:  str("app_displayname"),
		Tenant:   str("tid"),
		Roles:    list("roles"),
		Scopes:   list("scp"),
		Audience: list("aud"),
		Issuer:   str("iss"),
		Subject:  str("sub"),
		User:     str("upn", "email", "unique_name", "preferred_username"),
		IssuedAt: when("iat"),
		Expiry:   when("exp"),
	}
	if info.Scopes == nil {
		info.Scopes = list("scope")
	}
	return info
}

// String is one line for spoolgate check.
func (i TokenInfo) String() string {
	if !i.JWT {
		return "an opaque token (not a JWT: nothing to show)"
	}
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+" "+v)
		}
	}
	app := i.AppID
	if i.AppName != "" {
		app += " (" + i.AppName + ")"
	}
	add("application", app)
	add("tenant", i.Tenant)
	add("user", i.User)
	add("roles", strings.Join(i.Roles, " "))
	add("scope", strings.Join(i.Scopes, " "))
	add("audience", strings.Join(i.Audience, " "))
	if !i.Expiry.IsZero() {
		add("expires", i.Expiry.UTC().Format(time.RFC3339))
	}
	if len(parts) == 0 {
		return "a JWT with none of the usual claims"
	}
	return strings.Join(parts, ", ")
}
