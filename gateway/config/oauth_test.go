package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func oauthConfig(smtp string) string {
	return "[spool]\nfolder = queue\n\n[smtp]\n" + smtp + "\n\n[message]\nfrom = library@example.org\n"
}

func TestLoad_OAuthMicrosoftDefaults(t *testing.T) {
	c, dir := mustLoad(t, oauthConfig(`auth = oauth2
oauth_provider = microsoft
username = library@example.org
oauth_tenant = library.onmicrosoft.com
oauth_client_id = 11111111-2222-3333-4444-555555555555
oauth_client_secret_file = secret.txt
oauth_client_secret_expires = 2027-06-30`), "secret.txt", "Abc8Q~s3cr3t\n")
	s := c.SMTP
	if s.Host != "smtp.office365.com" || s.Port != 587 || s.Security != SecurityStartTLS {
		t.Errorf("host, port, security = %s, %d, %s; want Microsoft's defaults", s.Host, s.Port, s.Security)
	}
	if s.Auth != AuthOAuth2 || s.OAuth.ClientSecret != "Abc8Q~s3cr3t" || s.OAuth.Tenant != "library.onmicrosoft.com" ||
		s.OAuth.SecretExpires.Format("2006-01-02") != "2027-06-30" || !strings.HasPrefix(s.OAuth.ClientSecretFile, dir) {
		t.Errorf("OAuth = %+v", s.OAuth)
	}
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", s.OAuth, s.OAuth, s.OAuth, s.OAuth), fmt.Sprintf("%+v", *s)} {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("the secret is printed: %s", out)
		}
	}
}

func TestLoad_OAuthGoogleKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	good, _ := json.Marshal(map[string]string{"type": "service_account", "client_email": "sa@p.iam.gserviceaccount.com",
		"client_id": "1234", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"token_uri": "https://oauth2.googleapis.com/token"})
	c, _ := mustLoad(t, oauthConfig("auth = oauth2\noauth_provider = google\nusername = library@example.org\noauth_key_file = key.json"),
		"key.json", string(good))
	if c.SMTP.Host != "smtp.gmail.com" || c.SMTP.Port != 587 || c.SMTP.Security != SecurityStartTLS || len(c.SMTP.OAuth.KeyJSON) == 0 {
		t.Errorf("server = %+v", c.SMTP)
	}
	bad, _ := json.Marshal(map[string]string{"type": "service_account", "client_email": "sa@p", "private_key": "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n"})
	errs := loadErrors(t, oauthConfig("auth = oauth2\noauth_provider = google\nusername = library@example.org\noauth_key_file = key.json"),
		"key.json", string(bad))
	if len(errs) != 1 || errs[0].Key != "oauth_key_file" || !strings.Contains(errs[0].Want, "does not parse") || errs[0].Line != 8 {
		t.Errorf("errors = %v", errs)
	}
}

func TestLoad_OAuthErrors(t *testing.T) {
	for _, tc := range []struct {
		smtp, key, want string
	}{
		{"auth = kerberos", "auth", "want password or oauth2"},
		{"auth = oauth2\nusername = a@example.org", "oauth_provider", "missing; want microsoft, google or generic"},
		{"auth = oauth2\noauth_provider = microsoft\noauth_tenant = t\noauth_client_id = c\noauth_client_secret = x", "username", "the mailbox that sends"},
		{"auth = oauth2\noauth_provider = microsoft\nusername = a@example.org\noauth_tenant = t\noauth_client_id = c", "oauth_client_secret_file", "client secret"},
		{"auth = oauth2\noauth_provider = microsoft\nusername = a@example.org\noauth_client_id = c\noauth_client_secret = x", "oauth_tenant", "tenant ID"},
		{"auth = oauth2\noauth_provider = microsoft\nusername = a@example.org\noauth_tenant = t\noauth_client_id = c\noauth_client_secret = x\npassword = p", "password", "not a password"},
		{"auth = oauth2\noauth_provider = generic\nhost = mail.example.org\nusername = a@example.org\noauth_client_id = c\noauth_grant = client_credentials\noauth_client_secret = x\noauth_token_url = http://auth.example.org/token", "oauth_token_url", "must be https://"},
		{"auth = oauth2\noauth_provider = microsoft\nusername = a@example.org\noauth_tenant = t\noauth_client_id = c\noauth_client_secret = x\nsecurity = none", "security", "unencrypted"},
		{"host = mail.example.org\noauth_provider = microsoft", "oauth_provider", "set auth = oauth2"},
		{"auth = oauth2\noauth_provider = microsoft\nusername = a@example.org\noauth_tenant = t\noauth_client_id = c\noauth_client_secret = x\noauth_client_secret_expires = 30.6.2027", "oauth_client_secret_expires", "YYYY-MM-DD"},
		{"auth = oauth2\noauth_provider = google\nusername = a@example.org", "oauth_key_file", "service account"},
		{"auth = oauth2\noauth_provider = generic\nhost = mail.example.org\nusername = a@example.org\noauth_client_id = c\noauth_token_url = https://auth.example.org/token", "oauth_grant", "client_credentials or refresh_token"},
		{"auth = oauth2\noauth_provider = microsoft\nusername = a@example.org\noauth_tenant = t\noauth_client_id = c\noauth_grant = refresh_token", "oauth_refresh_token_file", "spoolgate oauth login"},
	} {
		errs := loadErrors(t, oauthConfig(tc.smtp))
		found := false
		for _, e := range errs {
			if e.Key == tc.key && strings.Contains(e.Want, tc.want) && e.Line > 0 {
				found = true
			}
			if strings.Contains(e.Error(), "= x") {
				t.Errorf("a secret in %v", e)
			}
		}
		if !found {
			t.Errorf("%q: errors %v; want %s: %s", tc.smtp, errs, tc.key, tc.want)
		}
	}
}

func TestLoad_OAuthSecretHidden(t *testing.T) {
	errs := loadErrors(t, oauthConfig("auth = oauth2\noauth_provider = microsoft\nusername = a@example.org\noauth_tenant = t\noauth_client_id = c\noauth_client_secret = Zq8~verysecret\noauth_client_secret_file = s.txt"), "s.txt", "other\n")
	for _, e := range errs {
		if strings.Contains(e.Error(), "verysecret") || strings.Contains(e.Error(), "other") {
			t.Errorf("secret shown: %v", e)
		}
	}
}

func TestOAuth_FilesAndExpiry(t *testing.T) {
	c, dir := mustLoad(t, oauthConfig(`auth = oauth2
oauth_provider = microsoft
username = library@example.org
oauth_tenant = t
oauth_client_id = c
oauth_client_secret_file = secret.txt
oauth_refresh_token_file = rt
oauth_client_secret_expires = 2027-06-30`), "secret.txt", "s3cr3t-value\n")
	files := c.SMTP.OAuthFiles()
	if len(files) != 2 || files[0] != filepath.Join(dir, "secret.txt") || files[1] != filepath.Join(dir, "rt") {
		t.Errorf("OAuthFiles = %v", files)
	}
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	if _, soon := c.SMTP.OAuth.SecretExpiresSoon(day("2027-05-30")); soon {
		t.Errorf("31 days before: soon")
	}
	if at, soon := c.SMTP.OAuth.SecretExpiresSoon(day("2027-06-01")); !soon || !at.Equal(day("2027-06-30")) {
		t.Errorf("29 days before: not soon")
	}
}
