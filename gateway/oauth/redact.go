package oauth

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// The types that hold a secret print a redacted description with every
// fmt verb (Format), as String and GoString, as JSON and in slog, so that
// no log line, error or dump can carry the secret.

const redacted = "[redacted]"

func formatRedacted(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s)
		return
	}
	_, _ = f.Write([]byte(s))
}

func setOrNot(present bool) string {
	if present {
		return redacted
	}
	return "[unset]"
}

// String describes s without its secrets.
func (s Settings) String() string {
	var b strings.Builder
	b.WriteString("oauth.Settings{")
	fields := [][2]string{
		{"Provider", s.Provider}, {"Grant", s.Grant}, {"Tenant", s.Tenant}, {"ClientID", s.ClientID},
		{"ClientSecret", setOrNot(s.ClientSecret != "")}, {"KeyJSON", setOrNot(len(s.KeyJSON) > 0)},
		{"RefreshTokenFile", s.RefreshTokenFile}, {"TokenURL", s.TokenURL}, {"Scope", s.Scope}, {"Username", s.Username},
	}
	for i, kv := range fields {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(kv[0] + ":" + kv[1])
	}
	b.WriteString("}")
	return b.String()
}

func (s Settings) GoString() string                { return s.String() }
func (s Settings) Format(f fmt.State, verb rune)   { formatRedacted(f, verb, s.String()) }
func (s Settings) MarshalJSON() ([]byte, error)    { return json.Marshal(s.String()) }
func (s Settings) LogValue() slog.Value            { return slog.StringValue(s.String()) }
func (t Token) GoString() string                   { return t.String() }
func (t Token) Format(f fmt.State, verb rune)      { formatRedacted(f, verb, t.String()) }
func (t Token) MarshalJSON() ([]byte, error)       { return json.Marshal(t.String()) }
func (t Token) LogValue() slog.Value               { return slog.StringValue(t.String()) }
func (src *Source) GoString() string               { return src.String() }
func (src *Source) Format(f fmt.State, verb rune)  { formatRedacted(f, verb, src.String()) }
func (src *Source) MarshalJSON() ([]byte, error)   { return json.Marshal(src.String()) }
func (src *Source) LogValue() slog.Value           { return slog.StringValue(src.String()) }
func (c *BearerClient) GoString() string           { return c.String() }
func (c *BearerClient) Format(f fmt.State, v rune) { formatRedacted(f, v, c.String()) }
func (c *BearerClient) MarshalJSON() ([]byte, error) {
	return json.Marshal(c.String())
}
func (c *BearerClient) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String describes t without the token.
func (t Token) String() string {
	if !t.Valid() {
		return "no token"
	}
	return fmt.Sprintf("access token %s, obtained %s, expires %s", redacted,
		t.Obtained.UTC().Format(time.RFC3339), t.Expiry.UTC().Format(time.RFC3339))
}

// String describes src without its secrets.
func (src *Source) String() string {
	if src == nil {
		return "oauth.Source(nil)"
	}
	return fmt.Sprintf("oauth2 %s %s at %s for client %s", src.provider, src.grant, src.endpoint, src.clientID)
}

// String describes c without the token.
func (c *BearerClient) String() string {
	if c == nil {
		return "oauth.BearerClient(nil)"
	}
	return fmt.Sprintf("%s as %s, token %s", c.mech, c.username, redacted)
}
