package config

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Auth is how spoolgate logs in to a relay: [smtp] auth.
type Auth string

// The values of [smtp] auth.
const (
	AuthPassword Auth = "password" // username and password (the default)
	AuthOAuth2   Auth = "oauth2"   // an OAuth2 access token, by XOAUTH2 or OAUTHBEARER
)

// The values of [smtp] oauth_provider and oauth_grant.
const (
	ProviderMicrosoft = "microsoft"
	ProviderGoogle    = "google"
	ProviderGeneric   = "generic"

	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

// OAuth is the OAuth2 sign-in of a server with auth = oauth2, as the
// oauth_ keys of [smtp] or [smtp.NAME] give it, validated. It holds the
// secrets as values (read from their files at load) and is turned into an
// oauth.Settings by package relay; this package does not import
// gateway/oauth, to stay a leaf.
type OAuth struct {
	Provider         string // microsoft, google or generic
	Tenant           string // microsoft: tenant ID or primary domain
	ClientID         string
	ClientSecret     string // from oauth_client_secret or oauth_client_secret_file; never logged
	ClientSecretFile string // absolute, or ""
	KeyFile          string // google: the service account's JSON key, absolute, or ""
	KeyJSON          []byte // its content; never logged
	RefreshTokenFile string // absolute, or ""
	TokenURL         string // overrides the provider's
	Scope            string // overrides the provider's
	Grant            string // client_credentials or refresh_token; "" = the provider's
	SecretExpires    time.Time
}

// Provider defaults: the relay each provider's mailboxes send through.
var providerHosts = map[string]string{
	ProviderMicrosoft: "smtp.office365.com",
	ProviderGoogle:    "smtp.gmail.com",
}

// providerLimits are the providers' published sending limits per mailbox:
// Microsoft 365 takes 30 messages a minute and 10,000 recipients a day;
// Google Workspace 2,000 messages a day (counted here as recipients, the
// safer reading).
var providerLimits = map[string]struct{ minute, daily int }{
	ProviderMicrosoft: {minute: 30, daily: 10000},
	ProviderGoogle:    {daily: 2000},
}

// maxKeyFile bounds a service account's JSON key (about 2.3 KB).
const maxKeyFile = 64 << 10

// oauthKeys are the keys of [smtp] and [smtp.NAME] for auth = oauth2.
func oauthKeys() map[string]keyDef {
	oa := func(t *target) *OAuth { return &t.srv.srv.OAuth }
	return map[string]keyDef{
		"auth": {set: func(t *target, v string) string {
			switch a := Auth(strings.ToLower(v)); a {
			case AuthPassword, AuthOAuth2:
				t.srv.srv.Auth = a
				return ""
			}
			return "want password or oauth2 (e.g. auth = oauth2 for Microsoft 365 or Google Workspace)"
		}},
		"oauth_provider": {set: func(t *target, v string) string {
			switch p := strings.ToLower(v); p {
			case ProviderMicrosoft, ProviderGoogle, ProviderGeneric:
				oa(t).Provider = p
				return ""
			}
			return "want microsoft, google or generic (e.g. oauth_provider = microsoft)"
		}},
		"oauth_tenant": {set: func(t *target, v string) string {
			if strings.ContainsAny(v, "/?#% \t") {
				return "want the tenant ID (a GUID) or the primary domain, e.g. oauth_tenant = library.onmicrosoft.com"
			}
			oa(t).Tenant = v
			return ""
		}},
		"oauth_client_id": {set: func(t *target, v string) string {
			if strings.ContainsAny(v, " \t") {
				return "want the application (client) ID alone, e.g. oauth_client_id = 7d9c1e2a-…"
			}
			oa(t).ClientID = v
			return ""
		}},
		"oauth_client_secret": {set: func(t *target, v string) string {
			oa(t).ClientSecret = v
			return ""
		}},
		"oauth_client_secret_file": {set: func(t *target, v string) string {
			p := t.l.abs(v)
			oa(t).ClientSecretFile = p
			data, problem := readSmall(p, maxPasswordFile, "oauth_client_secret_file",
				"the path of a file holding the client secret's value")
			if problem != "" {
				return problem
			}
			s := strings.TrimRight(string(data), "\r\n")
			switch {
			case s == "":
				return "the file is empty; want the client secret's value on its first line"
			case strings.ContainsAny(s, "\r\n"):
				return "the file holds more than one line; want the client secret's value alone"
			}
			oa(t).ClientSecret = s
			return ""
		}},
		"oauth_key_file": {set: func(t *target, v string) string {
			p := t.l.abs(v)
			oa(t).KeyFile = p
			const what = "the service account's JSON key, as the Google Cloud console downloads it"
			data, problem := readSmall(p, maxKeyFile, "oauth_key_file", what)
			if problem != "" {
				return problem
			}
			if problem := checkServiceAccountKey(data); problem != "" {
				return p + " " + problem + "; want " + what
			}
			oa(t).KeyJSON = data
			return ""
		}},
		"oauth_refresh_token_file": {set: func(t *target, v string) string {
			oa(t).RefreshTokenFile = t.l.abs(v)
			return ""
		}},
		"oauth_token_url": {set: func(t *target, v string) string {
			if problem := tokenURLProblem(v); problem != "" {
				return problem
			}
			oa(t).TokenURL = v
			return ""
		}},
		"oauth_scope": textKey(func(t *target) *string { return &oa(t).Scope }),
		"oauth_grant": {set: func(t *target, v string) string {
			switch g := strings.ToLower(v); g {
			case GrantClientCredentials, GrantRefreshToken:
				oa(t).Grant = g
				return ""
			}
			return "want client_credentials or refresh_token (e.g. oauth_grant = client_credentials)"
		}},
		"oauth_client_secret_expires": {set: func(t *target, v string) string {
			d, err := time.ParseInLocation("2006-01-02", v, time.UTC)
			if err != nil {
				return "want the date the client secret expires, as YYYY-MM-DD (e.g. oauth_client_secret_expires = 2027-06-30)"
			}
			oa(t).SecretExpires = d
			return ""
		}},
	}
}

// tokenURLProblem says what is wrong with a token URL: it must be
// https://, or http:// to this machine.
func tokenURLProblem(v string) string {
	const want = "want the token endpoint's https:// URL, e.g. oauth_token_url = https://login.microsoftonline.com/TENANT/oauth2/v2.0/token"
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.Fragment != "":
		return want
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return ""
	case u.Scheme == "http":
		return "a token URL must be https:// (http:// only to this machine): the client secret would go unencrypted; " + want
	}
	return want
}

// checkServiceAccountKey says what is wrong with a service account's JSON
// key, without quoting it.
func checkServiceAccountKey(data []byte) string {
	var k struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		ClientID    string `json:"client_id"`
		PrivateKey  string `json:"private_key"`
		TokenURI    string `json:"token_uri"`
	}
	if err := json.Unmarshal(data, &k); err != nil {
		return "is not JSON"
	}
	switch {
	case k.Type != "service_account":
		return fmt.Sprintf("is not a service account key (its type is %q, not service_account)", clip(k.Type, 40))
	case k.ClientEmail == "":
		return "has no client_email"
	case k.PrivateKey == "":
		return "has no private_key"
	}
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return "has a private_key that is not PEM"
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return "has a private_key that does not parse as an RSA key"
		}
	}
	if k.TokenURI != "" {
		if problem := tokenURLProblem(k.TokenURI); problem != "" {
			return "has a token_uri that is not https://"
		}
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// oauthKeyNames are the keys that only auth = oauth2 reads.
var oauthKeyNames = []string{"oauth_provider", "oauth_tenant", "oauth_client_id", "oauth_client_secret",
	"oauth_client_secret_file", "oauth_key_file", "oauth_refresh_token_file", "oauth_token_url",
	"oauth_scope", "oauth_grant", "oauth_client_secret_expires"}

// applyProviderDefaults sets the host, port and security of a server whose
// oauth_provider has them, where the file does not.
func (l *loader) applyProviderDefaults(d *serverDraft, has func(string) bool) {
	s := d.srv
	if s.Auth != AuthOAuth2 {
		return
	}
	host, ok := providerHosts[s.OAuth.Provider]
	if !ok {
		return
	}
	if !has("host") {
		s.Host = host
	}
	if !has("port") && s.Port == 0 {
		s.Port = 587
	}
	if !has("security") {
		s.Security = SecurityStartTLS
	}
	lim := providerLimits[s.OAuth.Provider]
	if !has("minute_limit") {
		s.MinuteLimit = lim.minute
	}
	if !has("daily_limit") {
		s.DailyLimit = lim.daily
	}
}

// validateOAuth checks the oauth_ keys of one server.
func (l *loader) validateOAuth(d *serverDraft, has func(string) bool) {
	s, sec := d.srv, d.section
	o := &s.OAuth
	if s.Auth != AuthOAuth2 {
		for _, k := range oauthKeyNames {
			if has(k) {
				l.fail(sec, k, "", "the oauth_ keys are read only with auth = oauth2; set auth = oauth2 or remove "+k)
				return
			}
		}
		return
	}
	bad := func(k string) bool { return l.failed[sec+"\x00"+k] }
	need := func(k, want string) {
		if !has(k) {
			l.fail(sec, k, "", "missing; "+want)
		}
	}
	if has("password") || has("password_file") {
		key := "password"
		if has("password_file") {
			key = "password_file"
		}
		l.fail(sec, key, "", "auth = oauth2 logs in with a token, not a password; remove "+key)
	}
	need("username", "want the mailbox that sends, e.g. username = library@example.org (the XOAUTH2 user)")
	if has("oauth_client_secret") && has("oauth_client_secret_file") {
		l.fail(sec, "oauth_client_secret_file", o.ClientSecretFile, "set oauth_client_secret or oauth_client_secret_file, not both")
	}
	secret := has("oauth_client_secret") || has("oauth_client_secret_file")
	refresh := has("oauth_refresh_token_file")
	grant := o.Grant
	if grant == GrantRefreshToken && !refresh && !bad("oauth_grant") {
		l.fail(sec, "oauth_refresh_token_file", "", "missing; oauth_grant = refresh_token needs the file "+
			"spoolgate oauth login writes, e.g. oauth_refresh_token_file = oauth-refresh-token")
	}
	switch o.Provider {
	case "":
		if !bad("oauth_provider") {
			l.fail(sec, "oauth_provider", "", "missing; want microsoft, google or generic (e.g. oauth_provider = microsoft)")
		}
	case ProviderMicrosoft:
		if !has("oauth_token_url") {
			need("oauth_tenant", "want the tenant ID or primary domain, e.g. oauth_tenant = library.onmicrosoft.com")
		}
		need("oauth_client_id", "want the application (client) ID of the app registration")
		if !refresh && grant != GrantRefreshToken && !secret {
			l.fail(sec, "oauth_client_secret_file", "", "missing; want the file holding the client secret's value "+
				"(or oauth_client_secret), or oauth_refresh_token_file for a delegated sign-in")
		}
	case ProviderGoogle:
		if grant == GrantClientCredentials {
			l.fail(sec, "oauth_grant", grant, "Google has no client-credentials grant for Gmail; "+
				"leave oauth_grant empty and set oauth_key_file (a service account) or oauth_refresh_token_file")
		}
		switch {
		case refresh && has("oauth_key_file"):
			l.fail(sec, "oauth_key_file", o.KeyFile, "set oauth_key_file (a service account) or oauth_refresh_token_file (a signed-in user), not both")
		case refresh:
			need("oauth_client_id", "want the OAuth client ID that signed in (spoolgate oauth login)")
		default:
			need("oauth_key_file", "want the service account's JSON key file, e.g. oauth_key_file = service-account.json "+
				"(or oauth_refresh_token_file for a consumer Gmail account)")
		}
	case ProviderGeneric:
		need("oauth_token_url", "want the token endpoint's https:// URL")
		need("oauth_client_id", "want the client ID the token endpoint knows")
		if grant == "" && !refresh && !bad("oauth_grant") {
			l.fail(sec, "oauth_grant", "", "missing; want client_credentials or refresh_token")
		}
		if grant == GrantClientCredentials && !secret {
			l.fail(sec, "oauth_client_secret_file", "", "missing; the client-credentials grant needs the client secret")
		}
	}
	if s.Security == SecurityNone && s.Host != "" && !isLoopback(s.Host) {
		l.fail(sec, "security", string(s.Security),
			"an access token would be sent unencrypted; set security = starttls or tls")
	}
}

// String describes o without its secrets.
func (o OAuth) String() string {
	if o.Provider == "" {
		return "oauth(none)"
	}
	s := "oauth(" + o.Provider
	if o.ClientID != "" {
		s += " client " + o.ClientID
	}
	if o.Tenant != "" {
		s += " tenant " + o.Tenant
	}
	if o.ClientSecret != "" {
		s += " secret " + hidden
	}
	if len(o.KeyJSON) > 0 {
		s += " key " + o.KeyFile
	}
	if o.RefreshTokenFile != "" {
		s += " refresh-token file " + o.RefreshTokenFile
	}
	return s + ")"
}

// Format prints o as String does, with every verb, so that no secret
// reaches a log through %v, %+v or %#v of a Server.
func (o OAuth) Format(f fmt.State, _ rune) { fmt.Fprint(f, o.String()) }

// SecretWarning is how long before oauth_client_secret_expires the daily
// log and check warn.
const SecretWarning = 30 * 24 * time.Hour

// SecretExpiresSoon reports whether the client secret expires within
// SecretWarning of now (or has expired), and when.
func (o OAuth) SecretExpiresSoon(now time.Time) (time.Time, bool) {
	if o.SecretExpires.IsZero() {
		return time.Time{}, false
	}
	return o.SecretExpires, o.SecretExpires.Sub(now) < SecretWarning
}

// OAuthFiles are the files of s's OAuth2 sign-in that hold secrets, as
// absolute paths: the client secret file, the service account's key and
// the refresh-token file (which spoolgate rewrites, so its folder must be
// writable by the service). An installer protects them as it does a
// password_file.
func (s *Server) OAuthFiles() []string {
	if s.Auth != AuthOAuth2 {
		return nil
	}
	var out []string
	for _, p := range []string{s.OAuth.ClientSecretFile, s.OAuth.KeyFile, s.OAuth.RefreshTokenFile} {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// SecretFiles are the files outside the config that hold s's secrets, as
// absolute paths: its password_file, or the files of its OAuth2 sign-in
// (OAuthFiles).
func (s *Server) SecretFiles() []string {
	var out []string
	if s.PasswordFile != "" {
		out = append(out, s.PasswordFile)
	}
	return append(out, s.OAuthFiles()...)
}

// EveryServer is each server of every relay chain of c ([smtp] and every
// [smtp.NAME], with the servers they fall back to), each once, in no
// particular order.
func (c *Config) EveryServer() []*Server {
	seen := map[*Server]bool{}
	var out []*Server
	add := func(s *Server) {
		for ; s != nil && !seen[s]; s = s.Next {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(c.SMTP)
	for _, s := range c.Servers {
		add(s)
	}
	return out
}

// providerTitles are the providers as people call them.
var providerTitles = map[string]string{
	ProviderMicrosoft: "Microsoft 365",
	ProviderGoogle:    "Google Workspace",
}

// ChainTitle names a relay chain (by its health name, "smtp" or
// "smtp.NAME") as a librarian knows it: its first server's provider
// ("Microsoft 365", "Google Workspace") when it signs in with one, else
// its host. An unknown chain is named as given.
func (c *Config) ChainTitle(chain string) string {
	s := c.SMTP
	if name, ok := strings.CutPrefix(chain, "smtp."); ok {
		s = c.Servers[name]
	}
	switch {
	case s == nil:
		return chain
	case s.Auth == AuthOAuth2 && providerTitles[s.OAuth.Provider] != "":
		return providerTitles[s.OAuth.Provider]
	}
	return s.Host
}
