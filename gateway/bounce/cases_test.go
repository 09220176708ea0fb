package bounce

import (
	"strings"
	"testing"
)

func TestClassOf(t *testing.T) {
	for _, c := range []struct {
		status, diag string
		want         Class
	}{
		{"5.1.1", "550 5.1.1 User unknown", Hard},
		{"5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound", Hard},
		{"5.1.2", "Host not found", Hard},
		{"5.1.7", "550 5.1.7 Bad sender address syntax", Policy},
		{"5.2.1", "550 5.2.1 Mailbox disabled", Hard},
		{"5.2.2", "552 5.2.2 Mailbox full", Soft},
		{"5.2.3", "552 5.2.3 Message too large", Soft},
		{"5.3.4", "552 5.3.4 Message size exceeds fixed limit", Soft},
		{"5.4.7", "550 5.4.7 Delivery expired", Soft},
		{"5.4.1", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", Hard},
		{"5.4.4", "Host or domain name not found. Name service error for name=gmial.com type=A: Host not found", Hard},
		{"5.4.4", "550 5.4.4 Unable to route", Soft},
		{"5.7.1", "550 5.7.1 Message rejected as spam", Policy},
		{"5.7.26", "550-5.7.26 Unauthenticated email is not accepted, DMARC", Policy},
		{"5.7.509", "Access denied, sending domain does not pass DMARC verification", Policy},
		{"4.2.2", "452 4.2.2 Over quota", Soft},
		{"4.4.1", "Connection timed out", Soft},
		{"5.0.0", "550 5.1.1 <a@b.example>: No such user here", Hard},
		{"5.0.0", "550 Requested action not taken: mailbox unavailable", Soft},
		{"5.0.0", "550 <a@b.example>: User unknown", Hard},
		{"5.0.0", "554 rejected due to spam content", Policy},
		{"5.0.0", "552 mailbox full", Soft},
		{"5.5.0", "550 5.5.0 Requested action not taken: mailbox unavailable, user unknown", Hard},
		{"", "", Soft},
		{"", "421 try later", Soft},
		{"", "550 no such user", Hard},
		{"garbage", "garbage", Soft},
		{"5.9.99", "", Soft},
		{"2.0.0", "", Soft},
	} {
		if got := ClassOf(c.status, c.diag); got != c.want {
			t.Errorf("ClassOf(%q, %q) = %q, want %q", c.status, c.diag, got, c.want)
		}
	}
}

func TestRead_AutoReplyMarkers(t *testing.T) {
	base := "From: Anna <anna@example.se>\r\nTo: bounces@bibliotek.example.se\r\nDate: Tue, 4 Mar 2025 09:00:00 +0100\r\n"
	for _, c := range []struct{ head, want string }{
		{"Subject: Re: notice\r\nAuto-Submitted: auto-generated\r\n", "Auto-Submitted: auto-generated"},
		{"Subject: Re: notice\r\nX-Autoreply: yes\r\n", "X-Autoreply: yes"},
		{"Subject: Re: notice\r\nX-Autorespond: Ferien\r\n", "X-Autorespond"},
		{"Subject: Re: notice\r\nPrecedence: auto_reply\r\n", "Precedence: auto_reply"},
		{"Subject: Automatic reply: notice\r\n", "subject"},
		{"Subject: Out of Office: notice\r\n", "subject"},
		{"Subject: =?utf-8?q?Frav=C3=A6rende=3A_notice?=\r\n", "Fraværende"},
		{"Subject: =?utf-8?q?Automatyczna_odpowied=C5=BA=3A_notice?=\r\n", "Automatyczna odpowiedź"},
		{"Subject: =?utf-8?q?Automatick=C3=A1_odpov=C4=9B=C4=8F=3A_notice?=\r\n", "Automatická odpověď"},
		{"Subject: =?koi8-r?B?4dfUz83B1MnexdPLycogz9TXxdQ6IG5vdGljZQ==?=\r\n", "Автоматический ответ"},
	} {
		r := Read([]byte(base + c.head + "\r\nI am away.\r\n"))
		if r.Kind != KindAutoReply || !strings.Contains(r.Why, c.want) {
			t.Errorf("%q: kind %q why %q, want auto-reply with %q", c.head, r.Kind, r.Why, c.want)
		}
	}
	r := Read([]byte(base + "Subject: Re: notice\r\nAuto-Submitted: no\r\n\r\nThanks.\r\n"))
	if r.Kind != KindOther {
		t.Errorf("Auto-Submitted: no read as %q (%s)", r.Kind, r.Why)
	}
}

// TestRead_TextForms checks text bounce forms not among the fixtures,
// and text that looks like a bounce but cannot be read.
func TestRead_TextForms(t *testing.T) {
	const head = "From: postmaster@example.org\r\nTo: bounces@bibliotek.example.se\r\nSubject: Undeliverable: notice\r\nDate: Tue, 4 Mar 2025 09:00:00 +0100\r\n\r\n"
	for _, c := range []struct {
		name, body string
		kind       Kind
		rcpt       string // "final action status class"
	}{
		{"exchange 2013", "Delivery has failed to these recipients or groups:\r\n\r\nola@example.org\r\nThe email address you entered couldn't be found.\r\n\r\nDiagnostic information for administrators:\r\n\r\nGenerating server: EX1.example.org\r\n\r\nola@example.org\r\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\r\n\r\nOriginal message headers:\r\n\r\nMessage-ID: <x@y>\r\n",
			KindDSN, "ola@example.org failed 5.1.10 hard"},
		{"exchange 2003", "Your message did not reach some or all of the intended recipients.\r\n\r\n      Subject:\tnotice\r\n      Sent:\t3/4/2025 9:12 AM\r\n\r\nThe following recipient(s) cannot be reached:\r\n\r\n      'Ola@Example.ORG' on 3/4/2025 9:12 AM\r\n            The e-mail account does not exist at the organization this message was sent to.\r\n            <mx.example.org #5.1.1 smtp;550 5.1.1 User unknown>\r\n",
			KindDSN, "Ola@example.org failed 5.1.1 hard"},
		{"exchange without diagnostics", "Delivery has failed to these recipients or groups:\r\n\r\nola@example.org\r\nThe email address you entered couldn't be found.\r\n",
			KindOther, ""},
		{"qmail without codes", "Hi. This is the qmail-send program at mx.example.org.\r\nI'm afraid I wasn't able to deliver your message to the following addresses.\r\nThis is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n<ola@example.org>:\r\nConnected to 192.0.2.1 but sender was rejected.\r\n",
			KindOther, ""},
		{"daemon prose", "Your message could not be delivered to some recipients. Please check the address.\r\n",
			KindOther, ""},
		{"daemon warning", "This is a warning only. 451 4.4.1 <ola@example.org>: host not responding, will retry\r\n",
			KindDSN, "ola@example.org delayed 4.4.1 -"},
		{"daemon sender rejected", "550 5.7.1 <bounces@bibliotek.example.se>: Sender address rejected\r\n",
			KindOther, ""},
	} {
		r := Read([]byte(head + c.body))
		checkReport(t, r)
		got := ""
		if len(r.Recipients) > 0 {
			rc := r.Recipients[0]
			class := string(rc.Class)
			if class == "" {
				class = "-"
			}
			got = strings.Join([]string{rc.Final, string(rc.Action), rc.Status, class}, " ")
		}
		if r.Kind != c.kind || got != c.rcpt {
			t.Errorf("%s: kind %q %q (why %q), want %q %q", c.name, r.Kind, got, r.Why, c.kind, c.rcpt)
		}
		if c.kind == KindOther && r.Why != "looks like a bounce but could not be read" {
			t.Errorf("%s: why %q", c.name, r.Why)
		}
	}
}

// TestRead_ReportForms checks delivery-status bodies written loosely.
func TestRead_ReportForms(t *testing.T) {
	const head = "From: MAILER-DAEMON@example.org\r\nSubject: x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
	for _, c := range []struct {
		name, dsn string
		want      []string
	}{
		{"no empty lines", "Reporting-MTA: dns; mx.example.org\r\nFinal-Recipient: rfc822; a@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nFinal-Recipient: rfc822; b@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n",
			[]string{"a@example.org failed 5.1.1 hard", "b@example.org delivered 2.0.0 -"}},
		{"no action", "Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; a@example.org\r\nStatus: 5.2.2\r\n\r\nFinal-Recipient: rfc822; b@example.org\r\nStatus: 4.4.1\r\n\r\nFinal-Recipient: rfc822; c@example.org\r\n",
			[]string{"a@example.org failed 5.2.2 soft", "b@example.org delayed 4.4.1 -"}},
		{"relayed and expanded", "Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822;<A@Example.Org>\r\nAction: Relayed (to a non-DSN MTA)\r\nStatus: 2.0.0\r\n\r\nOriginal-Recipient: rfc822;list@example.org\r\nFinal-Recipient: rfc822;list@example.org\r\nAction: expanded\r\nStatus: 2.0.0\r\n",
			[]string{"A@example.org relayed 2.0.0 -", "list@example.org expanded 2.0.0 -"}},
		{"LF only", "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.7.1\n",
			[]string{"a@example.org failed 5.7.1 policy"}},
		{"bad address", "Final-Recipient: rfc822; not an address\r\nAction: failed\r\nStatus: 5.1.1\r\n", nil},
	} {
		r := Read([]byte(head + c.dsn + "\r\n--B--\r\n"))
		checkReport(t, r)
		var got []string
		for _, rc := range r.Recipients {
			class := string(rc.Class)
			if class == "" {
				class = "-"
			}
			got = append(got, strings.Join([]string{rc.Final, string(rc.Action), rc.Status, class}, " "))
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: got\n%s\nwant\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
		if c.want == nil && r.Kind != KindUnreadable {
			t.Errorf("%s: kind %q", c.name, r.Kind)
		}
	}
}

func TestRead_NotMail(t *testing.T) {
	for _, raw := range []string{"", "   \r\n", "\r\n\r\nbody only", "\x00\x01\x02binary", "just some words without a header"} {
		r := Read([]byte(raw))
		checkReport(t, r)
		if r.Kind != KindUnreadable {
			t.Errorf("%q: kind %q", raw, r.Kind)
		}
	}
}

// TestRead_Bounds checks that many recipients, deep nesting and many
// parts stay bounded.
func TestRead_Bounds(t *testing.T) {
	var dsn strings.Builder
	for i := 0; i < 5*MaxRecipients; i++ {
		dsn.WriteString("Final-Recipient: rfc822; a" + strings.Repeat("x", i%7) + "@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 " + strings.Repeat("long ", 300) + "\r\n\r\n")
	}
	r := Read([]byte("Content-Type: message/delivery-status\r\n\r\n" + dsn.String()))
	checkReport(t, r)
	if len(r.Recipients) != MaxRecipients {
		t.Errorf("%d recipients", len(r.Recipients))
	}

	var nest strings.Builder
	for i := 0; i < 200; i++ {
		nest.WriteString("--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	}
	r = Read([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n" + nest.String()))
	checkReport(t, r)

	var many strings.Builder
	for i := 0; i < 10000; i++ {
		many.WriteString("--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n")
	}
	w := &walker{}
	w.walk(parseHeader([]byte("Content-Type: multipart/mixed; boundary=b\r\n")), []byte(many.String()), 0)
	if w.parts > maxParts+1 {
		t.Errorf("%d parts walked", w.parts)
	}
}
