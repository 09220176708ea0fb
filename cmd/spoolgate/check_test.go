package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// checkConfig writes a config relaying to 127.0.0.1:port with the given
// [smtp] lines, and makes its folders.
func checkConfig(t *testing.T, port int, smtp string) string {
	t.Helper()
	dir := spooltest.TempDir(t)
	for _, d := range []string{"queue", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder = queue
data   = data

[smtp]
host     = 127.0.0.1
port     = %d
timeout  = 10s
%s

[message]
from      = library@example.org
from_name = Example Library
`, port, smtp))
}

// runCheckCmd runs `spoolgate check` in this process, as main does.
func runCheckCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(append([]string{"check"}, args...), &o, &e)
	return o.String(), e.String(), code
}

func TestCheck_ExitCodes(t *testing.T) {
	good := smtptest.NewServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	t.Run("all well", func(t *testing.T) {
		out, errOut, code := runCheckCmd(t, "--config", checkConfig(t, good.Port(), "security = none"))
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d, stderr %q:\n%s", code, errOut, out)
		}
		for _, want := range []string{"[ ok ] GREETING 220 smtptest.localhost", "[skip] AUTH     no login configured", "Result: OK."} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("warnings only", func(t *testing.T) {
		out, _, code := runCheckCmd(t, "--config", checkConfig(t, good.Port(), "security = auto"))
		if code != 0 || !strings.Contains(out, "[warn] TLS") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("refused", func(t *testing.T) {
		out, errOut, code := runCheckCmd(t, "--config", checkConfig(t, down, ""))
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		want := fmt.Sprintf("  [FAIL] TCP      dial tcp 127.0.0.1:%d: ", down)
		if !strings.Contains(out, want) || !strings.Contains(out, "\n           -> Nothing listens on port") {
			t.Errorf("output lacks %q and its verdict:\n%s", want, out)
		}
		if !strings.Contains(errOut, "1 problem(s) found") {
			t.Errorf("stderr %q", errOut)
		}
	})
	t.Run("bad config", func(t *testing.T) {
		dir := spooltest.TempDir(t)
		cfg := writeConfig(t, dir, "[spool]\nfolder = queue\n\n[smtp]\nhost = 127.0.0.1\nsecurity = maybe\n\n[message]\nfrom = library@example.org\n")
		_, errOut, code := runCheckCmd(t, "--config", cfg)
		if code != 2 || !strings.Contains(errOut, "security") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	// What package overdue checks of the config is a bad config too,
	// though [overdue] is not enabled: a broken template, a column name.
	t.Run("bad template", func(t *testing.T) {
		cfg := checkConfig(t, down, "\n[overdue]\ntemplates = tpl")
		tmpl := filepath.Join(filepath.Dir(cfg), "tpl", "en", "warning.txt")
		if err := os.MkdirAll(filepath.Dir(tmpl), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(tmpl, []byte("Subject: {{.Nope}}\n\nx\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := runCheckCmd(t, "--config", cfg)
		want := cfg + `:12: [overdue] templates = "tpl": notice template ` + tmpl
		if code != 2 || !strings.Contains(errOut, want) || out != "" {
			t.Fatalf("exit %d, stderr %q, want %q; stdout:\n%s", code, errOut, want, out)
		}
	})
	t.Run("bad column", func(t *testing.T) {
		cfg := checkConfig(t, down, "\n[overdue.columns]\nFörfallodatum = due")
		_, errOut, code := runCheckCmd(t, "--config", cfg)
		want := cfg + ":12: [overdue.columns] Förfallodatum: this is the wrong way round"
		if code != 2 || !strings.Contains(errOut, want) {
			t.Fatalf("exit %d, stderr %q, want %q", code, errOut, want)
		}
	})
	t.Run("bad --send", func(t *testing.T) {
		_, errOut, code := runCheckCmd(t, "--config", checkConfig(t, good.Port(), ""), "--send", "not an address")
		if code != 2 || !strings.Contains(errOut, "--send") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		if n := len(good.Messages()); n != 0 {
			t.Errorf("%d messages sent", n)
		}
	})
}

func TestCheck_JSONAndSend(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageData,
		&smtptest.Reply{Code: 250, Enhanced: [3]int{2, 0, 0}, Message: "Ok: queued as 9B1C2D"})))
	cfg := checkConfig(t, srv.Port(), "security = none")
	out, errOut, code := runCheckCmd(t, "--config", cfg, "--send", "patron@example.net", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
	var doc struct {
		Config  string           `json:"config"`
		OK      bool             `json:"ok"`
		Folders []map[string]any `json:"folders"`
		Servers []struct {
			Name       string              `json:"name"`
			Address    string              `json:"address"`
			Steps      []map[string]string `json:"steps"`
			Transcript []string            `json:"transcript"`
		} `json:"servers"`
		Send struct {
			To      string `json:"to"`
			Reply   string `json:"reply"`
			QueueID string `json:"queue_id"`
		} `json:"send"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
	if !doc.OK || doc.Config != cfg || len(doc.Folders) != 2 || len(doc.Servers) != 1 || doc.Servers[0].Address != srv.Addr() {
		t.Errorf("document: %+v", doc)
	}
	if doc.Send.To != "patron@example.net" || doc.Send.Reply != "250 2.0.0 Ok: queued as 9B1C2D" || doc.Send.QueueID != "9B1C2D" {
		t.Errorf("send: %+v", doc.Send)
	}
	m := srv.WaitMessages(t, 1, 30*time.Second)[0]
	if m.To[0] != "patron@example.net" || !strings.Contains(string(m.Data), "Subject: spoolgate test message from ") {
		t.Errorf("message %s -> %v:\n%s", m.From, m.To, m.Data)
	}
}

func TestCheck_InHelp(t *testing.T) {
	var out bytes.Buffer
	run([]string{"help"}, &out, &out)
	if !strings.Contains(out.String(), "spoolgate check [--config FILE] [--send ADDRESS] [--json]") {
		t.Errorf("help:\n%s", out.String())
	}
}

// A relay that refuses the sender refuses every message: check finds it
// with MAIL FROM and RSET, and sends nothing.
func TestCheck_SenderRefused(t *testing.T) {
	const refusal = "553 5.7.1 <library@example.org>: Sender address rejected: not owned by user"
	srv := smtptest.NewServer(t, smtptest.WithFault(func(stage smtptest.Stage, _ string) *smtptest.Reply {
		switch stage {
		case smtptest.StageMail:
			return smtptest.Refuse(553, [3]int{5, 7, 1}, "<library@example.org>: Sender address rejected: not owned by user")
		case smtptest.StageRcpt, smtptest.StageData:
			t.Errorf("check sent %s", stage)
		}
		return nil
	}))
	cfg := checkConfig(t, srv.Port(), "security = none")
	out, errOut, code := runCheckCmd(t, "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "1 problem(s) found") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"  [FAIL] MAIL     MAIL FROM:<library@example.org> (from in [message]): " + refusal + "\n           -> ",
		"    C: RSET\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runCheckCmd(t, "--config", cfg, "--json")
	var doc struct {
		Servers []struct {
			Steps []map[string]string `json:"steps"`
		} `json:"servers"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Servers) != 1 {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	last := doc.Servers[0].Steps[len(doc.Servers[0].Steps)-1]
	if last["step"] != "MAIL" || last["status"] != "fail" || last["reply"] != refusal || last["verdict"] == "" {
		t.Errorf("MAIL step in --json: %v", last)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages arrived", n)
	}
}

// With [overdue] enabled, check reads the loans export and loads the
// templates.
func TestCheck_Overdue(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := checkConfig(t, srv.Port(), "security = none\n\n[overdue]\nenabled = true\nloans = export/loans.csv\n")
	loans := filepath.Join(filepath.Dir(cfg), "export", "loans.csv")

	out, _, code := runCheckCmd(t, "--config", cfg)
	if code != 1 {
		t.Errorf("exit %d without the export, want 1", code)
	}
	for _, want := range []string{
		"\nOverdue notices ([overdue])\n  [FAIL] LOANS    " + loans + ": does not exist\n           -> The folder " + filepath.Dir(loans) + " does not exist either",
		"  [ ok ] NOTICES  the built-in templates load; default language en",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	if err := os.Mkdir(filepath.Dir(loans), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(loans, []byte("patron_id;email;title;due;barcode\n7;anna@example.net;Dune;2026-03-01;B7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCheckCmd(t, "--config", cfg)
	if code != 0 {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"  [ ok ] LOANS    " + loans + ": 1 loan read (utf-8, semicolon separated)",
		"  [ ok ] COLUMNS  the header (line 1) has every column spoolgate needs",
		"  [ ok ] AGE      written ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
