package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const bouncesBase = "[spool]\nfolder = queue\n\n[smtp]\nhost = smtp.example.org\n\n[message]\nfrom = library@example.org\n\n"

func TestLoad_BouncesDefaults(t *testing.T) {
	c, _ := mustLoad(t, bouncesBase)
	b := c.Bounces
	if b.Enabled || b.Folder != "INBOX" || b.Every != 5*time.Minute || b.SuppressDays != 30 || b.IMAP == nil ||
		b.IMAP.Security != SecurityTLS || b.IMAP.Port != 993 || !b.IMAP.TLSVerify {
		t.Errorf("defaults: %+v %+v", b, b.IMAP)
	}
	c, dir := mustLoad(t, bouncesBase+"[bounces]\nenabled = true\nimap = mail.example.org\nusername = bounces@example.org\n"+
		"password_file = bounce-password\nfolder = Bounces\nevery = 10m\nsuppress = true\nsuppress_days = 14\n", "bounce-password", "s3cret\n")
	b = c.Bounces
	if !b.Enabled || b.IMAP.Host != "mail.example.org" || b.IMAP.Port != 993 || b.IMAP.Password != "s3cret" ||
		b.IMAP.PasswordFile != filepath.Join(dir, "bounce-password") || b.Folder != "Bounces" || b.Every != 10*time.Minute || !b.Suppress || b.SuppressDays != 14 {
		t.Errorf("set: %+v %+v", b, b.IMAP)
	}
	c, _ = mustLoad(t, bouncesBase+"[bounces]\nenabled = true\nimap = 127.0.0.1:1143\nsecurity = none\nusername = b\npassword = p\n")
	if c.Bounces.IMAP.Port != 1143 || c.Bounces.IMAP.Security != SecurityNone {
		t.Errorf("loopback, no TLS: %+v", c.Bounces.IMAP)
	}
	c, _ = mustLoad(t, bouncesBase+"[bounces]\nenabled = true\nimap = mail.example.org\nsecurity = starttls\nusername = b\npassword = p\n")
	if c.Bounces.IMAP.Port != 143 {
		t.Errorf("starttls port: %d", c.Bounces.IMAP.Port)
	}
	// The oauth_ keys of [smtp] sign in to the mailbox too.
	c, _ = mustLoad(t, bouncesBase+"[bounces]\nenabled = true\nimap = outlook.office365.com\n"+msOAuth, "secret.txt", "x\n")
	if c.Bounces.IMAP.Auth != AuthOAuth2 || c.Bounces.IMAP.OAuth.Provider != ProviderMicrosoft || c.Bounces.IMAP.OAuth.ClientSecret != "x" {
		t.Errorf("oauth: %+v", c.Bounces.IMAP)
	}
}

func TestLoad_BouncesErrors(t *testing.T) {
	for _, tc := range []struct{ text, key, want string }{
		{"enabled = true\nusername = b\npassword = p", "imap", "missing"},
		{"enabled = true\nimap = mail.example.org\npassword = p", "username", "missing"},
		{"enabled = true\nimap = mail.example.org\nusername = b", "password_file", "missing"},
		{"enabled = true\nimap = mail.example.org\nsecurity = none\nusername = b\npassword = p", "security", "unencrypted"},
		{"imap = mail.example.org:99999", "imap", "port"},
		{"security = auto", "security", "want tls"},
		{"every = 10s", "every", "every = 5m"},
		{"folder = a*b", "folder", "folder name"},
		{"suppress_days = 0", "suppress_days", "from 1 to 3650"},
		{"helo = x", "helo", ""},
	} {
		errs := loadErrors(t, bouncesBase+"[bounces]\n"+tc.text+"\n")
		if len(errs) == 0 || errs[0].Section != "bounces" || errs[0].Key != tc.key || !strings.Contains(errs[0].Want, tc.want) {
			t.Errorf("%q: errors %v", tc.text, errs)
		}
	}
}
