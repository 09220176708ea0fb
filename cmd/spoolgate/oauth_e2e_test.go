package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/oauth/oauthtest"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// The real binary sends through a real Dovecot with a Microsoft-style
// app-only token: while the token endpoint is down, and while the client
// secret is wrong, the file stays queued (never .BAD), and the relay's
// health says why in the provider's words; no secret reaches the log,
// the journal, the health record or check's output.
func TestE2E_OAuthMicrosoftThroughDovecot(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	if runtime.GOOS != "linux" {
		t.Skip("a private Dovecot runs on Linux only")
	}
	tokens := oauthtest.NewPlain(t)
	d := smtptest.StartDovecot(t, smtptest.DovecotOptions{Issuer: tokens.Issuer(), Key: tokens.HMACKey})
	app := tokens.AddMicrosoftApp("library@example.org")
	dir := spooltest.TempDir(t)
	secretFile := filepath.Join(dir, "client-secret.txt")
	if err := os.WriteFile(secretFile, []byte(app.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder   = queue
data     = data
settle   = 200ms
interval = 2s
retry_delay = 1s
retry_max = 2s

[smtp]
host = %s
port = %d
ca_file = %s
auth = oauth2
oauth_provider = microsoft
username = library@example.org
oauth_tenant = %s
oauth_client_id = %s
oauth_client_secret_file = client-secret.txt
oauth_token_url = %s

[message]
from = library@example.org
`, smtptest.DovecotHost, d.Port(), d.CAFile, app.Tenant, app.ClientID, app.TokenURL))
	queue := filepath.Join(dir, "queue")
	data := filepath.Join(dir, "data")

	tokens.Down()
	daemon := startDaemon(t, cfg)
	spooltest.WaitFor(t, "the queue folder exists", func() bool { _, err := os.Stat(queue); return err == nil })
	copyExample(t, queue, "due-soon-en.eml")
	spooltest.WaitFor(t, "the health record names the token failure", func() bool {
		h := healthText(t, data)
		return strings.Contains(h, `"oauth-endpoint-unreachable"`) && strings.Contains(h, "token endpoint 127.0.0.1")
	})
	if names := dirNames(queue); slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, ".BAD") }) {
		t.Fatalf("a file was set aside while the token endpoint was down: %v", names)
	}
	tokens.Up()
	d.Sink.WaitMessages(t, 1, 30*time.Second)
	spooltest.WaitFor(t, "the health record is available again", func() bool {
		return strings.Contains(healthText(t, data), `"available"`)
	})
	if code := daemon.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	firstLog := daemon.log()

	// A wrong client secret: Microsoft's AADSTS7000215 in the health record.
	wrong := "Wr0ng~ClientSecretValue.42"
	if err := os.WriteFile(secretFile, []byte(wrong+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	daemon = startDaemon(t, cfg)
	copyExample(t, queue, "reminder-sv.eml")
	spooltest.WaitFor(t, "the health record carries AADSTS7000215", func() bool {
		h := healthText(t, data)
		return strings.Contains(h, "AADSTS7000215") && strings.Contains(h, `"oauth-secret-wrong"`)
	})
	if names := dirNames(queue); slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, ".BAD") }) {
		t.Fatalf("a file was set aside for a wrong client secret: %v", names)
	}
	checkOut, _ := exec.Command(binary, "check", "--config", cfg).CombinedOutput()
	if !strings.Contains(string(checkOut), "TOKEN") || !strings.Contains(string(checkOut), "AADSTS7000215") {
		t.Errorf("check does not show the token step and the provider's error:\n%s", checkOut)
	}
	t.Logf("spoolgate check with a wrong client secret:\n%s", checkOut)
	daemon.stop(t)

	outputs := map[string]string{"first log": firstLog, "second log": daemon.log(), "check": string(checkOut)}
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && p != secretFile {
			b, _ := os.ReadFile(p)
			outputs[p] = string(b)
		}
		return nil
	})
	for name, out := range outputs {
		for _, secret := range []string{app.Secret, wrong, "eyJ"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s holds a secret (%.6s…)", name, secret)
			}
		}
	}
}

// healthText is the relay-health record(s) of the data folder.
func healthText(t *testing.T, data string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, "relay-health-*.json"))
	var b strings.Builder
	for _, f := range files {
		c, _ := os.ReadFile(f)
		b.Write(c)
	}
	return b.String()
}

// The real binary with a Google service account's key file, and with a
// refresh-token file that the provider rotates: both send through Dovecot,
// and the rotated refresh token is written back to its file.
func TestE2E_OAuthGoogleKeyAndRefreshFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	if runtime.GOOS != "linux" {
		t.Skip("a private Dovecot runs on Linux only")
	}
	tokens := oauthtest.NewPlain(t)
	d := smtptest.StartDovecot(t, smtptest.DovecotOptions{Issuer: tokens.Issuer(), Key: tokens.HMACKey})
	sa := tokens.AddServiceAccount(oauthtest.GoogleScope)
	app := tokens.AddMicrosoftApp("deleg@example.org")
	dir := spooltest.TempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "service-account.json"), sa.KeyJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	first := tokens.IssueRefreshToken(app.ClientID, "deleg@example.org")
	if err := os.WriteFile(filepath.Join(dir, "refresh-token"), []byte(first+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder   = queue
data     = data
settle   = 200ms
interval = 2s

[smtp]
host = %[1]s
port = %[2]d
ca_file = %[3]s
auth = oauth2
oauth_provider = google
username = library@example.org
oauth_key_file = service-account.json

[smtp.delegated]
host = %[1]s
port = %[2]d
ca_file = %[3]s
auth = oauth2
oauth_provider = microsoft
username = deleg@example.org
oauth_tenant = %[4]s
oauth_client_id = %[5]s
oauth_refresh_token_file = refresh-token
oauth_token_url = %[6]s

[unit.branch]
smtp = delegated

[message]
from = library@example.org
`, smtptest.DovecotHost, d.Port(), d.CAFile, app.Tenant, app.ClientID, app.TokenURL))
	queue := filepath.Join(dir, "queue")
	daemon := startDaemon(t, cfg)
	spooltest.WaitFor(t, "the queue folder exists", func() bool { _, err := os.Stat(queue); return err == nil })
	copyExample(t, queue, "due-soon-en.eml")
	d.Sink.WaitMessages(t, 1, 30*time.Second)
	if n := tokens.Requests(oauthtest.GrantJWTBearer); n != 1 {
		t.Errorf("%d JWT-bearer requests; want 1", n)
	}
	if err := spoolWriteUnit(queue, "branch.eml", "branch"); err != nil {
		t.Fatal(err)
	}
	d.Sink.WaitMessages(t, 2, 30*time.Second)
	now, err := os.ReadFile(filepath.Join(dir, "refresh-token"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(now)) == first || len(now) == 0 {
		t.Errorf("the refresh-token file was not rewritten with the rotated token")
	}
	if code := daemon.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	log := daemon.log()
	if strings.Contains(log, first) || strings.Contains(log, strings.TrimSpace(string(now))) || strings.Contains(log, "PRIVATE KEY") || strings.Contains(log, "eyJ") {
		t.Errorf("a secret is in the log")
	}
}

// spoolWriteUnit writes a message for unit into the queue.
func spoolWriteUnit(queue, name, unit string) error {
	msg := "From: library@example.org\r\nTo: patron@example.net\r\nX-Spoolgate-Unit: " + unit +
		"\r\nSubject: Branch notice\r\n\r\nYour book is ready.\r\n"
	return spool.WriteFile(queue, name, []byte(msg), 0o644)
}
