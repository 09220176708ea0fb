package notice

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/lang"
	"github.com/spoolgate/spoolgate/gateway/message"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

type parsed struct {
	msg     *mail.Message
	header  string // the raw header block
	subject string // decoded
	text    string // decoded, "\n" line endings
	html    string
}

var decoder = &mime.WordDecoder{}

// parseMessage reads a composed message the way a mail program would.
func parseMessage(t *testing.T, raw []byte) parsed {
	t.Helper()
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		t.Fatalf("no end of header:\n%s", raw)
	}
	p := parsed{header: string(raw[:end+2])}
	for _, l := range strings.SplitAfter(p.header, "\r\n") {
		if len(l) > 998+2 {
			t.Errorf("header line of %d octets", len(l))
		}
		if strings.ContainsAny(strings.TrimSuffix(l, "\r\n"), "\r\n") {
			t.Errorf("bare CR or LF in header line %q", l)
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail can't read the message: %v\n%s", err, raw)
	}
	p.msg = msg
	if p.subject, err = decoder.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	// multipart.Reader decodes quoted-printable parts itself (and drops
	// their Content-Transfer-Encoding), so only a single part is decoded
	// here.
	part := func(h interface{ Get(string) string }, r io.Reader) (string, string) {
		ct, cp, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		if cp["charset"] != "UTF-8" {
			t.Errorf("part %s: charset %q", ct, cp["charset"])
		}
		if cte := h.Get("Content-Transfer-Encoding"); cte == "quoted-printable" {
			r = quotedprintable.NewReader(r)
		} else if cte != "" || mt == "text/plain" {
			t.Errorf("part %s: Content-Transfer-Encoding %q", ct, cte)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return ct, strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	switch mt {
	case "text/plain":
		_, p.text = part(msg.Header, msg.Body)
	case "multipart/alternative":
		mr := multipart.NewReader(msg.Body, params["boundary"])
		var types []string
		for {
			pt, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			ct, body := part(pt.Header, pt)
			types = append(types, ct)
			switch ct {
			case "text/plain":
				p.text = body
			case "text/html":
				p.html = body
			}
		}
		if strings.Join(types, ",") != "text/plain,text/html" {
			t.Errorf("parts %v, want text/plain then text/html", types)
		}
	default:
		t.Fatalf("Content-Type %s", mt)
	}
	return p
}

var testFrom = mail.Address{Name: "Stadsbiblioteket", Address: "bibliotek@example.org"}

func TestMessage_Headers(t *testing.T) {
	n := &Notice{Kind: Overdue, Language: "sv", Subject: "Lånetiden har gått ut (2 lån)", Text: "Hej!\nRad två: å ä ö\n"}
	date := time.Date(2026, 11, 25, 6, 30, 0, 0, time.FixedZone("CET", 3600))
	raw, err := n.Message(testFrom, []string{"anna@example.org", "Förälder Svensson <parent@example.org>"},
		Headers{Unit: "Östra biblioteket", Date: date, MessageID: "overdue.P-77.2026-11-25@bibliotek.example.org", ReplyTo: "Östra <ostra@example.org>"})
	if err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, raw)
	if p.subject != n.Subject || p.text != n.Text {
		t.Errorf("decoded %q / %q", p.subject, p.text)
	}
	h := p.msg.Header
	if got, err := h.Date(); err != nil || !got.Equal(date) {
		t.Errorf("Date = %v, %v; want %v", got, err, date)
	}
	if got := h.Get("Message-Id"); got != "<overdue.P-77.2026-11-25@bibliotek.example.org>" {
		t.Errorf("Message-ID = %q", got)
	}
	if got := h.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if got := h.Get("X-Spoolgate-Kind"); got != "overdue" {
		t.Errorf("X-Spoolgate-Kind = %q", got)
	}
	if got, err := decoder.DecodeHeader(h.Get("X-Spoolgate-Unit")); err != nil || got != "Östra biblioteket" {
		t.Errorf("X-Spoolgate-Unit decodes to %q, %v", got, err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Address != "anna@example.org" || to[1].Name != "Förälder Svensson" || to[1].Address != "parent@example.org" {
		t.Errorf("To = %v, %v", to, err)
	}
	if rt, err := h.AddressList("Reply-To"); err != nil || len(rt) != 1 || rt[0].Name != "Östra" || rt[0].Address != "ostra@example.org" {
		t.Errorf("Reply-To = %v, %v", rt, err)
	}
	// A fixed order, as a person reading the file expects.
	var names []string
	for _, l := range strings.Split(p.header, "\r\n") {
		if k, _, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, " ") {
			names = append(names, k)
		}
	}
	want := "Date From To Reply-To Subject Message-ID Auto-Submitted X-Spoolgate-Kind X-Spoolgate-Unit MIME-Version Content-Type Content-Transfer-Encoding"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("header order\n%s\nwant\n%s", got, want)
	}

	// Without a unit, id or date: no X-Spoolgate-Unit, a random id at the
	// sender's domain, the time now.
	raw, err = n.Message(testFrom, []string{"anna@example.org"}, Headers{})
	if err != nil {
		t.Fatal(err)
	}
	p = parseMessage(t, raw)
	if _, ok := p.msg.Header["X-Spoolgate-Unit"]; ok {
		t.Error("X-Spoolgate-Unit without a unit")
	}
	if id := p.msg.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("generated Message-ID %q", id)
	}
	if d, err := p.msg.Header.Date(); err != nil || time.Since(d) > time.Hour || time.Since(d) < -time.Hour {
		t.Errorf("default Date %v, %v", d, err)
	}
}

func TestMessage_NonASCIIAndCommasInNames(t *testing.T) {
	n := &Notice{Kind: Warning, Subject: "Скоро истекает срок возврата (3 издания)", Text: "Здравствуйте!\n"}
	from := mail.Address{Name: "Stadsbiblioteket, Göteborg", Address: "bibliotek@example.org"}
	to := []string{`"Smith, John" <john@example.org>`, "Анна Петрова <anna@example.org>", "=?utf-8?q?Zofia_Nowak-=C3=85berg?= <zofia@example.org>"}
	raw, err := n.Message(from, to, Headers{})
	if err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, raw)
	if p.subject != n.Subject {
		t.Errorf("subject %q", p.subject)
	}
	if strings.Contains(p.header, "Скоро") {
		t.Error("raw UTF-8 in the header: the subject is not encoded")
	}
	f, err := p.msg.Header.AddressList("From")
	if err != nil || len(f) != 1 || f[0].Name != from.Name || f[0].Address != from.Address {
		t.Errorf("From = %v, %v; want %v", f, err, from)
	}
	got, err := p.msg.Header.AddressList("To")
	if err != nil || len(got) != 3 {
		t.Fatalf("To = %v, %v", got, err)
	}
	for i, want := range []mail.Address{{Name: "Smith, John", Address: "john@example.org"}, {Name: "Анна Петрова", Address: "anna@example.org"}, {Name: "Zofia Nowak-Åberg", Address: "zofia@example.org"}} {
		if *got[i] != want {
			t.Errorf("To[%d] = %v, want %v", i, got[i], want)
		}
	}
}

func TestMessage_LongSubjectIsFolded(t *testing.T) {
	long := strings.Repeat("Повторное напоминание: истёк срок возврата ", 5)
	n := &Notice{Kind: Reminder, Subject: truncate(oneLine(long), maxSubject), Text: "x\n"}
	raw, err := n.Message(testFrom, []string{"a@example.org"}, Headers{})
	if err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, raw)
	if p.subject != n.Subject {
		t.Errorf("subject %q, want %q", p.subject, n.Subject)
	}
	lines := 0
	inSubject := false
	for _, l := range strings.Split(p.header, "\r\n") {
		if strings.HasPrefix(l, "Subject:") {
			inSubject = true
		} else if !strings.HasPrefix(l, " ") {
			inSubject = false
		}
		if inSubject {
			lines++
			if len(l) > 100 {
				t.Errorf("subject line of %d characters: %q", len(l), l)
			}
		}
	}
	if lines < 5 {
		t.Errorf("a %d-character subject took %d lines", len(n.Subject), lines)
	}

	// An ASCII subject with spaces folds too and reads back the same.
	n.Subject = strings.TrimSpace(strings.Repeat("Second notice: 5 items are overdue ", 5))
	raw, err = n.Message(testFrom, []string{"a@example.org"}, Headers{})
	if err != nil {
		t.Fatal(err)
	}
	if p := parseMessage(t, raw); p.subject != n.Subject {
		t.Errorf("subject %q, want %q", p.subject, n.Subject)
	}
}

func TestMessage_HTMLTwinMakesMultipartAlternative(t *testing.T) {
	s, err := Load(filepath.Join("..", "..", "examples", "templates"))
	if err != nil {
		t.Fatal(err)
	}
	d := testData(Warning, 3)
	n, err := s.Render("en", Warning, d)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := n.Message(testFrom, []string{"zofia@example.org"}, Headers{Unit: d.Unit.Name})
	if err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, raw)
	if mt, _, _ := mime.ParseMediaType(p.msg.Header.Get("Content-Type")); mt != "multipart/alternative" {
		t.Fatalf("Content-Type %s", mt)
	}
	if p.text != n.Text || p.html != n.HTML {
		t.Errorf("parts differ from the rendered bodies:\ntext %q\nhtml %q", p.text, p.html)
	}
	if !strings.Contains(p.html, "<strong>Pippi Långstrump</strong>") {
		t.Errorf("html part:\n%s", p.html)
	}
}

func TestMessage_HeaderInjection(t *testing.T) {
	dir := spooltest.TempDir(t)
	// A custom subject that shows patron data, the worst case.
	writeFile(t, dir, "en/overdue.txt", "Subject: Overdue for {{.Patron.Name}}: {{(index .Items 0).Title}}\n\nDear {{.Patron.Name}},\n{{range .Items}}{{.Title}}\n{{end}}")
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := testData(Overdue, 1)
	d.Patron.Name = "Eve\r\nBcc: victim@example.org"
	d.Items[0].Title = "Evil\nX-Injected: yes\r\n\r\nbody"
	d.Unit.Name = "Östra\r\nBcc: unit@example.org"
	for _, tmpl := range []*Set{s, mustLoad(t)} {
		n, err := tmpl.Render("en", Overdue, d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(n.Subject, "\r\n") {
			t.Fatalf("subject %q has a line break", n.Subject)
		}
		raw, err := n.Message(testFrom, []string{"eve@example.org"}, Headers{Unit: d.Unit.Name})
		if err != nil {
			t.Fatal(err)
		}
		p := parseMessage(t, raw)
		for _, k := range []string{"Bcc", "X-Injected"} {
			if v, ok := p.msg.Header[k]; ok {
				t.Errorf("injected header %s: %v", k, v)
			}
		}
		for _, l := range strings.Split(strings.ToLower(p.header), "\r\n") {
			if strings.HasPrefix(l, "bcc") || strings.HasPrefix(l, "x-injected") {
				t.Errorf("injected header line %q", l)
			}
		}
		if !strings.Contains(p.text, "Eve Bcc: victim@example.org") || !strings.Contains(p.text, "Evil X-Injected: yes body") {
			t.Errorf("the name or title is not kept on one line:\n%s", p.text)
		}
		if got, _ := decoder.DecodeHeader(p.msg.Header.Get("X-Spoolgate-Unit")); got != "Östra Bcc: unit@example.org" {
			t.Errorf("X-Spoolgate-Unit = %q", got)
		}
		if tmpl == s && p.subject != "Overdue for Eve Bcc: victim@example.org: Evil X-Injected: yes body" {
			t.Errorf("subject %q", p.subject)
		}
	}

	// A Notice made by hand is made safe as well.
	n := &Notice{Kind: Overdue, Subject: "Hi\r\nBcc: victim@example.org", Text: "x\n"}
	raw, err := n.Message(mail.Address{Name: "Lib\r\nBcc: a@example.org", Address: "lib@example.org"}, []string{"a@example.org"}, Headers{})
	if err != nil {
		t.Fatal(err)
	}
	p := parseMessage(t, raw)
	if _, ok := p.msg.Header["Bcc"]; ok || p.subject != "Hi Bcc: victim@example.org" {
		t.Errorf("hand-made notice: Bcc %v, subject %q", p.msg.Header["Bcc"], p.subject)
	}

	// Addresses are not repaired: a line break in one is an error.
	for _, c := range []struct {
		from mail.Address
		to   []string
		h    Headers
	}{
		{testFrom, []string{"eve@example.org\r\nBcc: victim@example.org"}, Headers{}},
		{testFrom, []string{"not an address"}, Headers{}},
		{testFrom, nil, Headers{}},
		{mail.Address{Address: "lib@example.org\nBcc: x@example.org"}, []string{"a@example.org"}, Headers{}},
		{mail.Address{Address: "Lib <lib@example.org>"}, []string{"a@example.org"}, Headers{}},
		{testFrom, []string{"a@example.org"}, Headers{ReplyTo: "r@example.org\r\nBcc: x@example.org"}},
		{testFrom, []string{"a@example.org"}, Headers{MessageID: "<id@x>\r\nBcc: x@example.org"}},
		{testFrom, []string{"a@example.org"}, Headers{MessageID: "no-at-sign"}},
	} {
		if _, err := n.Message(c.from, c.to, c.h); err == nil {
			t.Errorf("Message(%q, %q, %+v) gave no error", c.from.Address, c.to, c.h)
		}
	}
}

func mustLoad(t *testing.T) *Set {
	t.Helper()
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The gateway's own reader takes a composed notice as it takes an ILS's
// file: the recipients, subject, kind and unit come through.
func TestMessage_QueueReaderAcceptsIt(t *testing.T) {
	s := mustLoad(t)
	for _, lang := range lang.Codes() {
		d := testData(Reminder, 3)
		n, err := s.Render(lang, Reminder, d)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := n.Message(testFrom, []string{"Zofia Nowak-Åberg <zofia@example.org>", "guardian@example.org"},
			Headers{Unit: d.Unit.Name, MessageID: "reminder.P-77@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		m, err := message.Parse(raw, message.Options{From: testFrom.Address})
		if err != nil {
			t.Fatalf("%s: message.Parse: %v", lang, err)
		}
		if strings.Join(m.Recipients, " ") != "zofia@example.org guardian@example.org" {
			t.Errorf("%s: recipients %v", lang, m.Recipients)
		}
		if m.Subject != n.Subject || m.Kind != Reminder || m.MessageID != "reminder.P-77@example.org" {
			t.Errorf("%s: subject %q, kind %q, id %q", lang, m.Subject, m.Kind, m.MessageID)
		}
		// The unit is an RFC 2047 encoded word in the file.
		if u, err := decoder.DecodeHeader(m.Unit); err != nil || u != d.Unit.Name {
			t.Errorf("%s: unit %q decodes to %q, %v", lang, m.Unit, u, err)
		}
		if m.NeedsUTF8 {
			t.Errorf("%s: a notice needs SMTPUTF8", lang)
		}
	}
}
