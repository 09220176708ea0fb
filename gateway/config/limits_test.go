package config

import (
	"strings"
	"testing"
)

const msOAuth = `auth = oauth2
oauth_provider = microsoft
username = library@example.org
oauth_tenant = library.onmicrosoft.com
oauth_client_id = 11111111-2222-3333-4444-555555555555
oauth_client_secret_file = secret.txt
`

func TestLoad_LimitsProviderDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, smtp    string
		minute, daily int
	}{
		{"microsoft", msOAuth, 30, 10000},
		{"microsoft lower", msOAuth + "minute_limit = 10\ndaily_limit = 500", 10, 500},
		{"microsoft off", msOAuth + "minute_limit = 0\ndaily_limit = 0", 0, 0},
		{"password", "host = smtp.example.org\nusername = u\npassword = p", 0, 0},
		{"password limits", "host = smtp.example.org\nusername = u\npassword = p\nminute_limit = 2\ndaily_limit = 3", 2, 3},
	} {
		c, _ := mustLoad(t, oauthConfig(tc.smtp), "secret.txt", "Abc8Q~s3cr3t\n")
		if c.SMTP.MinuteLimit != tc.minute || c.SMTP.DailyLimit != tc.daily {
			t.Errorf("%s: minute_limit, daily_limit = %d, %d; want %d, %d", tc.name, c.SMTP.MinuteLimit, c.SMTP.DailyLimit, tc.minute, tc.daily)
		}
	}
}

func TestLoad_LimitsGoogleDefault(t *testing.T) {
	c, _ := mustLoad(t, oauthConfig("auth = oauth2\noauth_provider = google\nusername = library@example.org\noauth_token_url = https://oauth2.googleapis.com/token\n"+
		"oauth_client_id = 1234\noauth_client_secret_file = secret.txt\noauth_refresh_token_file = refresh.txt"),
		"secret.txt", "s\n", "refresh.txt", "r\n")
	if c.SMTP.MinuteLimit != 0 || c.SMTP.DailyLimit != 2000 {
		t.Errorf("google: minute_limit, daily_limit = %d, %d; want 0, 2000", c.SMTP.MinuteLimit, c.SMTP.DailyLimit)
	}
}

func TestLoad_LimitsErrors(t *testing.T) {
	for _, key := range []string{"daily_limit", "minute_limit"} {
		errs := loadErrors(t, oauthConfig("host = smtp.example.org\n"+key+" = -1"))
		if len(errs) != 1 || errs[0].Key != key || errs[0].Value != "-1" || errs[0].Line != 6 || !strings.Contains(errs[0].Want, "0 = no limit") {
			t.Errorf("%s = -1: errors %v", key, errs)
		}
	}
}

func TestLoad_LimitsPerChain(t *testing.T) {
	c, _ := mustLoad(t, "[spool]\nfolder = queue\n\n[smtp]\nhost = a.example.org\n\n[smtp.m365]\n"+msOAuth+"daily_limit = 100\n\n"+
		"[unit.branch]\nsmtp = m365\n\n[message]\nfrom = library@example.org\n", "secret.txt", "x\n")
	var s *Server
	for _, u := range c.Units {
		s = u.SMTP
	}
	if s == nil || s.MinuteLimit != 30 || s.DailyLimit != 100 || c.SMTP.DailyLimit != 0 {
		t.Fatalf("chain limits: %+v", s)
	}
}

// A backup's limits would never be read (the chain's first server holds
// them): written there, they are an error naming the backup's key; the
// same section used as a unit's first server may have them.
func TestLoad_LimitsOnBackupRefused(t *testing.T) {
	base := "[spool]\nfolder = queue\n\n[smtp]\nhost = a.example.org\nnext = spare\n\n" +
		"[smtp.spare]\nhost = b.example.org\ndaily_limit = 500\n\n[message]\nfrom = library@example.org\n"
	errs := loadErrors(t, base)
	if len(errs) != 1 || errs[0].Section != "smtp.spare" || errs[0].Key != "daily_limit" || errs[0].Value != "500" ||
		errs[0].Line != 10 || !strings.Contains(errs[0].Want, "only a backup (next = spare in [smtp])") {
		t.Fatalf("limit on a backup: errors %v", errs)
	}
	// minute_limit = 0 says no limit: nothing is ignored.
	mustLoad(t, strings.Replace(base, "daily_limit = 500", "minute_limit = 0", 1))
	// The same backup is also a unit's first server: its limits count there.
	if c, _ := mustLoad(t, base+"\n[unit.branch]\nsmtp = spare\n"); c.Units["branch"].SMTP.DailyLimit != 500 {
		t.Errorf("a unit's first server: daily_limit %d, want 500", c.Units["branch"].SMTP.DailyLimit)
	}
}

func TestChainTitle(t *testing.T) {
	c, _ := mustLoad(t, "[spool]\nfolder = queue\n\n[smtp]\nhost = a.example.org\n\n[smtp.m365]\n"+msOAuth+"\n"+
		"[unit.branch]\nsmtp = m365\n\n[message]\nfrom = library@example.org\n", "secret.txt", "x\n")
	for chain, want := range map[string]string{"smtp": "a.example.org", "smtp.m365": "Microsoft 365", "smtp.gone": "smtp.gone"} {
		if got := c.ChainTitle(chain); got != want {
			t.Errorf("ChainTitle(%q) = %q, want %q", chain, got, want)
		}
	}
}
