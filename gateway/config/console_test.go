package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

const consoleBase = "[spool]\nfolder = queue\n\n[smtp]\nhost = smtp.example.org\n\n[message]\nfrom = library@example.org\n\n"

func TestLoad_ConsoleDefaults(t *testing.T) {
	c, _ := mustLoad(t, consoleBase)
	if c.Console.Listen != DefaultConsoleListen || c.Console.Session != 8*time.Hour || c.Console.MetricsOpen || c.Console.TLSCert != "" {
		t.Errorf("console defaults: %+v", c.Console)
	}
	if c.Alarm.After != time.Hour || len(c.Alarm.To) != 1 || c.Alarm.To[0] != "library@example.org" || c.Alarm.SMTP != "" {
		t.Errorf("alarm defaults: %+v", c.Alarm)
	}
	c, _ = mustLoad(t, consoleBase+"[console]\nlisten =\nsession = 30m\nmetrics_open = true\n\n[alarm]\nafter = 0\nto = it@example.org\n")
	if c.Console.Listen != "" || c.Console.Session != 30*time.Minute || !c.Console.MetricsOpen || c.Alarm.After != 0 || c.Alarm.To[0] != "it@example.org" {
		t.Errorf("console set: %+v %+v", c.Console, c.Alarm)
	}
}

func TestLoad_ConsoleErrors(t *testing.T) {
	for _, tc := range []struct{ text, key, value, want string }{
		{"listen = 8025", "listen", "8025", "want host:port"},
		{"listen = 127.0.0.1:99999", "listen", "127.0.0.1:99999", "1 to 65535"},
		{"listen = :8025", "listen", ":8025", "want an address"},
		{"listen = 0.0.0.0:8025", "listen", "0.0.0.0:8025", "set tls_cert and tls_key"},
		{"listen = 192.0.2.7:8025", "listen", "192.0.2.7:8025", "passwords would cross"},
		{"tls_cert = console.crt", "tls_key", "", "go together"},
		{"session = 10s", "session", "10s", "session = 8h"},
		{"metrics_open = maybe", "metrics_open", "maybe", "metrics_open = false"},
	} {
		errs := loadErrors(t, consoleBase+"[console]\n"+tc.text+"\n")
		if len(errs) == 0 || errs[0].Section != "console" || errs[0].Key != tc.key || errs[0].Value != tc.value || !strings.Contains(errs[0].Want, tc.want) {
			t.Errorf("%s: errors %v", tc.text, errs)
		}
	}
	errs := loadErrors(t, consoleBase+"[alarm]\nsmtp = nowhere\n")
	if len(errs) != 1 || errs[0].Section != "alarm" || errs[0].Key != "smtp" || errs[0].Line != 11 {
		t.Errorf("alarm smtp: %v", errs)
	}
}

// A console on every address is allowed with a certificate and its key,
// and refused with a key of another certificate.
func TestLoad_ConsoleTLS(t *testing.T) {
	certA, keyA := smtptest.NewTLSCerts(t).ServerPEM(t)
	_, keyB := smtptest.NewTLSCerts(t).ServerPEM(t)
	text := consoleBase + "[console]\nlisten = 0.0.0.0:8443\ntls_cert = console.crt\ntls_key = console.key\n"
	c, dir := mustLoad(t, text, "console.crt", string(certA), "console.key", string(keyA))
	if c.Console.TLSCert != filepath.Join(dir, "console.crt") || c.Console.Listen != "0.0.0.0:8443" {
		t.Errorf("tls console: %+v", c.Console)
	}
	errs := loadErrors(t, text, "console.crt", string(certA), "console.key", string(keyB))
	if len(errs) != 1 || errs[0].Key != "tls_cert" || !strings.Contains(errs[0].Want, "do not make a pair") {
		t.Errorf("mismatched key: %v", errs)
	}
}
