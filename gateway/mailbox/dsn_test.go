package mailbox_test

import (
	"bytes"
	"context"
	"flag"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

var updateTestdata = flag.Bool("update", false, "rewrite testdata/postfix-*.eml from the real Postfix DSNs")

// The real Postfix DSNs kept for the bounce parser's tests.
var dsnFiles = map[string]string{
	"failed":  "postfix-dsn.eml",     // 550 5.1.1 from the next hop
	"delayed": "postfix-delayed.eml", // 452 4.2.2, still queued
	"expired": "postfix-expired.eml", // 452 4.2.2 until maximal_queue_lifetime
}

// TestPostfixDSN_EndToEnd sends a notice as spoolgate does through a real
// Postfix whose next hop refuses one recipient (550 5.1.1) and defers
// another (452 4.2.2); Postfix itself writes the DSNs to the return path
// and delivers them over LMTP into Dovecot, where Box.Fetch reads them.
func TestPostfixDSN_EndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	p := smtptest.StartPostfixDSN(t, s)
	msg := "From: Library <" + smtptest.DSNReturnPath + ">\r\n" +
		"To: Patron <" + smtptest.DSNUnknown + ">, Other <" + smtptest.DSNFull + ">\r\n" +
		"Subject: Overdue: The Name of the Rose\r\n" +
		"Date: Thu, 03 Dec 2026 08:00:00 +0000\r\n" +
		"Message-ID: <20261203080000.42@library.example>\r\n" +
		"X-Spoolgate-Id: 20261203-080000-0042\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Please return The Name of the Rose by 10 December.\r\n"
	nc, err := net.DialTimeout("tcp", p.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	c := smtp.NewClient(nc)
	if err := c.SendMail(smtptest.DSNReturnPath, []string{smtptest.DSNUnknown, smtptest.DSNFull}, strings.NewReader(msg)); err != nil {
		t.Fatalf("send through Postfix: %v", err)
	}
	c.Close()

	// The failed DSN at once, the delayed one after delay_warning_time,
	// the expired one after maximal_queue_lifetime.
	p.WaitDSNs(t, 3, smtptest.DSNQueueLifetime+60*time.Second)
	b := open(t, bounceServer(s, config.SecurityTLS))
	got, err := b.Fetch(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("Fetch gave %d messages, want 3 DSNs", len(got))
	}
	kinds := map[string][]byte{}
	for _, m := range got {
		raw := m.Raw
		hdr, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("UID %d: %v", m.UID, err)
		}
		mt, params, err := mime.ParseMediaType(hdr.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
			t.Errorf("UID %d: Content-Type %q, want multipart/report; report-type=delivery-status", m.UID, hdr.Header.Get("Content-Type"))
		}
		text := string(raw)
		for _, want := range []string{"Reporting-MTA: dns; postfix.smtptest.localhost", "X-Spoolgate-Id: 20261203-080000-0042"} {
			if !strings.Contains(text, want) {
				t.Errorf("UID %d lacks %q", m.UID, want)
			}
		}
		switch {
		case strings.Contains(text, "Final-Recipient: rfc822; "+smtptest.DSNUnknown):
			for _, want := range []string{"Action: failed", "Status: 5.1.1", "Diagnostic-Code: smtp; 550 5.1.1", "Remote-MTA: dns; 127.0.0.1"} {
				if !strings.Contains(text, want) {
					t.Errorf("the 5.1.1 DSN lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "Final-Recipient: rfc822; "+smtptest.DSNFull) {
				t.Errorf("the 5.1.1 DSN also reports %s", smtptest.DSNFull)
			}
			kinds["failed"] = raw
		case strings.Contains(text, "Action: delayed"):
			if !strings.Contains(text, "Final-Recipient: rfc822; "+smtptest.DSNFull) || !strings.Contains(text, "Status: 4.2.2") {
				t.Errorf("the delayed DSN:\n%s", text)
			}
			kinds["delayed"] = raw
		case strings.Contains(text, "Final-Recipient: rfc822; "+smtptest.DSNFull) && strings.Contains(text, "Action: failed"):
			if !strings.Contains(text, "Status: 4.2.2") {
				t.Errorf("the expired DSN:\n%s", text)
			}
			kinds["expired"] = raw
		default:
			t.Errorf("UID %d is not a DSN this test expects:\n%s", m.UID, text)
		}
	}
	for kind, name := range dsnFiles {
		raw, ok := kinds[kind]
		if !ok {
			t.Errorf("no %s DSN", kind)
			continue
		}
		if *updateTestdata {
			if err := os.WriteFile(filepath.Join("testdata", name), crlf(raw), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// crlf makes every line end CRLF.
func crlf(b []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

// TestTestdata_PostfixDSN checks the kept DSNs: CRLF line ends, and the
// shape the parser's tests rely on.
func TestTestdata_PostfixDSN(t *testing.T) {
	want := map[string][]string{
		"postfix-dsn.eml":     {"Action: failed", "Status: 5.1.1", "Final-Recipient: rfc822; " + smtptest.DSNUnknown},
		"postfix-delayed.eml": {"Action: delayed", "Status: 4.2.2", "Final-Recipient: rfc822; " + smtptest.DSNFull},
		"postfix-expired.eml": {"Action: failed", "Status: 4.2.2", "Final-Recipient: rfc822; " + smtptest.DSNFull},
	}
	for name, parts := range want {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatalf("%v (go test -run TestPostfixDSN_EndToEnd -update writes it)", err)
		}
		if !bytes.Equal(raw, crlf(raw)) {
			t.Errorf("%s: a line does not end in CRLF", name)
		}
		hdr, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if mt, params, _ := mime.ParseMediaType(hdr.Header.Get("Content-Type")); mt != "multipart/report" || params["report-type"] != "delivery-status" {
			t.Errorf("%s: Content-Type %q", name, hdr.Header.Get("Content-Type"))
		}
		for _, p := range append(parts, "X-Spoolgate-Id: 20261203-080000-0042", "Message-ID: <20261203080000.42@library.example>") {
			if !bytes.Contains(raw, []byte(p)) {
				t.Errorf("%s lacks %q", name, p)
			}
		}
	}
}
