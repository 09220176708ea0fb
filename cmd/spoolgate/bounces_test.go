package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/mailbox"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// The key and Message-ID the real Postfix DSN of gateway/mailbox's
// testdata returns.
const (
	dsnKey       = "20261203-080000-0042"
	dsnMessageID = "20261203080000.42@library.example"
)

// bouncesConfig writes a config whose [bounces] reads s, and a journal
// that has sent the message the kept Postfix DSN reports on.
func bouncesConfig(t *testing.T, s *smtptest.IMAPServer) string {
	t.Helper()
	dir := spooltest.TempDir(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder = queue
data   = data

[smtp]
host = 127.0.0.1
port = 2525

[message]
from        = library@example.org
return_path = %s

[bounces]
enabled  = true
imap     = %s:%d
security = tls
ca_file  = %s
username = %s
password = %s
`, smtptest.DSNReturnPath, s.Host(), s.ImplicitPort(), s.CAFile, smtptest.IMAPUser, smtptest.IMAPPassword))
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(filepath.Join(dir, "data", gateway.JournalFile), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	c := journal.Claim{Key: dsnKey, File: "overdue-0042.eml", MessageID: dsnMessageID, From: smtptest.DSNReturnPath,
		To: []string{smtptest.DSNUnknown, smtptest.DSNFull}, Subject: "Overdue: The Name of the Rose"}
	j.Begin(c, "smtp (127.0.0.1:2525)", c.To, nil)
	j.Record(journal.Outcome{Key: dsnKey, To: c.To, Status: journal.StatusSent, Server: "smtp (127.0.0.1:2525)", Reply: "250 2.0.0 Ok: queued as 4XYZ"}, nil)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestBounces_DryRunThenPass: spoolgate bounces --dry-run against a real
// Dovecot prints the bounce it found and moves nothing; without
// --dry-run it records it and moves it; sent shows the recipient
// bounced; --forget lifts the suppression.
func TestBounces_DryRunThenPass(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", "gateway", "mailbox", "testdata", "postfix-dsn.eml"))
	if err != nil {
		t.Fatal(err)
	}
	s.Append(t, "INBOX", raw)
	cfg := bouncesConfig(t, s)

	var out, errb bytes.Buffer
	if code := run([]string{"bounces", "--config", cfg, "--dry-run"}, &out, &errb); code != 0 {
		t.Fatalf("bounces --dry-run: exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"dsn", "bounced", "hard", smtptest.DSNUnknown, "5.1.1", "overdue-0042.eml", "dry run: not moved", "nothing recorded"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bounces --dry-run lacks %q:\n%s", want, out.String())
		}
	}
	if n := len(s.List(t, "INBOX")); n != 1 {
		t.Fatalf("a dry run moved the DSN: %d left in INBOX", n)
	}

	out.Reset()
	if code := run([]string{"bounces", "--config", cfg, "--json"}, &out, &errb); code != 0 {
		t.Fatalf("bounces --json: exit %d\n%s%s", code, out.String(), errb.String())
	}
	var res struct {
		Mails []struct {
			Key, File, Moved string
			Recipients       []struct{ Address, Outcome, Class, Status string }
		}
		Recorded int
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	if res.Recorded != 1 || len(res.Mails) != 1 || res.Mails[0].Key != dsnKey || res.Mails[0].Moved != mailbox.Processed ||
		len(res.Mails[0].Recipients) != 1 || res.Mails[0].Recipients[0].Class != "hard" {
		t.Errorf("bounces --json = %+v", res)
	}
	if n := len(s.List(t, mailbox.Processed)); n != 1 {
		t.Errorf("%d in %s, want the DSN", n, mailbox.Processed)
	}

	out.Reset()
	if code := run([]string{"sent", "--config", cfg, "--since", "all", "--status", "bounced"}, &out, &errb); code != 0 {
		t.Fatalf("sent --status bounced: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), smtptest.DSNUnknown) || !strings.Contains(out.String(), "bounced") || strings.Contains(out.String(), smtptest.DSNFull) {
		t.Errorf("sent --status bounced:\n%s", out.String())
	}
	out.Reset()
	if code := run([]string{"sent", "--config", cfg, "--since", "all", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("sent --json: exit %d\n%s%s", code, out.String(), errb.String())
	}
	var sent struct {
		Recipients []struct {
			Address, Status string
			Bounce          *struct{ Class, Status, Diagnostic, RemoteMTA string } `json:"bounce"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &sent); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	for _, rc := range sent.Recipients {
		switch rc.Address {
		case smtptest.DSNUnknown:
			if rc.Status != "bounced" || rc.Bounce == nil || rc.Bounce.Class != "hard" || rc.Bounce.Status != "5.1.1" || rc.Bounce.Diagnostic == "" {
				t.Errorf("sent --json: %+v (bounce %+v)", rc, rc.Bounce)
			}
		default:
			if rc.Status != "sent" || rc.Bounce != nil {
				t.Errorf("sent --json: %+v", rc)
			}
		}
	}

	out.Reset()
	if code := run([]string{"bounces", "--config", cfg, "--forget", strings.ToUpper(smtptest.DSNUnknown)}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "1 hard bounce(s) forgotten") {
		t.Errorf("bounces --forget: exit %d\n%s%s", code, out.String(), errb.String())
	}
}
