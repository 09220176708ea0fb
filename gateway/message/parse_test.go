package message

import (
	"bytes"
	"mime"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

func mustParse(t *testing.T, raw string, opts Options) *Message {
	t.Helper()
	m, err := Parse([]byte(raw), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checkWellFormed(t, m)
	return m
}

func mustRefuse(t *testing.T, raw string, opts Options, wantInReason ...string) *Error {
	t.Helper()
	m, err := Parse([]byte(raw), opts)
	if err == nil {
		t.Fatalf("Parse accepted the file (recipients %q)", m.Recipients)
	}
	e := checkError(t, err)
	for _, w := range wantInReason {
		if !strings.Contains(e.Reason(), w) {
			t.Errorf("reason %q does not contain %q", e.Reason(), w)
		}
	}
	return e
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParse_IISPickup(t *testing.T) {
	raw := "X-Sender: a@x.example\r\n" +
		"X-Receiver: b@y.example\r\n" +
		"X-Receiver: <c@z.example>\r\n" +
		"From: Library <library@x.example>\r\n" +
		"To: someone-else@w.example\r\n" +
		"Subject: Reminder\r\n" +
		"Date: Tue, 04 Mar 2025 10:00:00 +0100\r\n" +
		"Message-ID: <1@x.example>\r\n" +
		"\r\n" +
		"Body\r\n"
	m := mustParse(t, raw, testOptions())
	if m.Sender != "a@x.example" {
		t.Errorf("Sender = %q, want a@x.example", m.Sender)
	}
	if want := []string{"b@y.example", "c@z.example"}; !equalStrings(m.Recipients, want) {
		t.Errorf("Recipients = %q, want %q (X-Receiver wins over To)", m.Recipients, want)
	}
	want := "From: Library <library@x.example>\r\n" +
		"To: someone-else@w.example\r\n" +
		"Subject: Reminder\r\n" +
		"Date: Tue, 04 Mar 2025 10:00:00 +0100\r\n" +
		"Message-ID: <1@x.example>\r\n" +
		"\r\n" +
		"Body\r\n"
	if string(m.Data) != want {
		t.Errorf("Data =\n%q\nwant\n%q", m.Data, want)
	}
	if m.DataUTF8 != nil {
		t.Errorf("DataUTF8 set for an ASCII message")
	}
	if m.MessageID != "1@x.example" {
		t.Errorf("MessageID = %q", m.MessageID)
	}
}

func TestParse_EnvelopeSender(t *testing.T) {
	const rest = "To: b@y.example\r\nSubject: s\r\n\r\nx\r\n"
	opts := testOptions()
	opts.ReturnPath = "bounces@example.org"
	if m := mustParse(t, rest, opts); m.Sender != "bounces@example.org" {
		t.Errorf("with return_path: Sender = %q", m.Sender)
	}
	if m := mustParse(t, rest, testOptions()); m.Sender != "bibliotek@example.org" {
		t.Errorf("without return_path: Sender = %q, want the From option", m.Sender)
	}
	if m := mustParse(t, "X-Sender: <>\r\n"+rest, opts); m.Sender != "" {
		t.Errorf("X-Sender <>: Sender = %q, want the null sender", m.Sender)
	}
	if m := mustParse(t, "x-sender: <a@x.example>\r\n"+rest, opts); m.Sender != "a@x.example" {
		t.Errorf("X-Sender <a@x.example>: Sender = %q", m.Sender)
	}
	mustRefuse(t, "X-Sender: a@x.example, b@x.example\r\n"+rest, opts, "X-Sender", "exactly one")
	mustRefuse(t, "X-Sender: nobody\r\n"+rest, opts, "X-Sender", `"nobody"`)
}

func TestParse_BccRemovedRecipientKept(t *testing.T) {
	raw := "From: a@x.example\r\n" +
		"To: b@y.example\r\n" +
		"Bcc: Hidden Person <hidden@z.example>,\r\n" +
		" other@z.example\r\n" +
		"Cc: c@y.example\r\n" +
		"Subject: s\r\n" +
		"\r\n" +
		"x\r\n"
	m := mustParse(t, raw, testOptions())
	if want := []string{"b@y.example", "hidden@z.example", "other@z.example", "c@y.example"}; !equalStrings(m.Recipients, want) {
		t.Errorf("Recipients = %q, want %q", m.Recipients, want)
	}
	if bytes.Contains(bytes.ToLower(m.Data), []byte("hidden")) || bytes.Contains(m.Data, []byte("other@z")) {
		t.Errorf("Bcc or its continuation line left in Data:\n%s", m.Data)
	}
	checkFaithful(t, []byte(raw), m, false)
}

func TestParse_SpoolgateHeaders(t *testing.T) {
	raw := "X-Spoolgate-Kind: overdue\r\n" +
		"To: b@y.example\r\n" +
		"x-spoolgate-unit: Centralbiblioteket\r\n" +
		"X-Spoolgate-Batch: 42\r\n" +
		"\tcontinued\r\n" +
		"Subject: s\r\n" +
		"\r\n" +
		"x\r\n"
	m := mustParse(t, raw, testOptions())
	if m.Kind != "overdue" || m.Unit != "Centralbiblioteket" {
		t.Errorf("Kind, Unit = %q, %q", m.Kind, m.Unit)
	}
	if bytes.Contains(bytes.ToLower(m.Data), []byte("spoolgate")) || bytes.Contains(m.Data, []byte("continued")) {
		t.Errorf("X-Spoolgate header left in Data:\n%s", m.Data)
	}
	checkFaithful(t, []byte(raw), m, false)
}

func TestParse_AddedHeaders(t *testing.T) {
	opts := testOptions()
	opts.FromName = "Växjö stadsbibliotek"
	m := mustParse(t, "To: b@y.example\nSubject: s\n\nx\n", opts)
	want := "To: b@y.example\r\n" +
		"Subject: s\r\n" +
		"From: =?utf-8?q?V=C3=A4xj=C3=B6_stadsbibliotek?= <bibliotek@example.org>\r\n" +
		"Date: Tue, 04 Mar 2025 05:06:07 +0100\r\n" +
		"Message-ID: <" + m.MessageID + ">\r\n" +
		"\r\n" +
		"x\r\n"
	if string(m.Data) != want {
		t.Errorf("Data =\n%q\nwant\n%q", m.Data, want)
	}
	local, domain, ok := strings.Cut(m.MessageID, "@")
	if !ok || domain != "example.org" || len(local) < 26 {
		t.Errorf("MessageID = %q, want 128 random bits at the From domain", m.MessageID)
	}
	m2 := mustParse(t, "To: b@y.example\nSubject: s\n\nx\n", opts)
	if m2.MessageID == m.MessageID {
		t.Errorf("two added Message-IDs are both %q", m.MessageID)
	}

	opts.FromName = `Library, "Main"`
	m = mustParse(t, "To: b@y.example\n\nx\n", opts)
	if got, want := header(t, m.Data, "from"), "From: \"Library, \\\"Main\\\"\" <bibliotek@example.org>\r\n"; got != want {
		t.Errorf("From = %q, want %q", got, want)
	}

	// Present headers are not added again, whatever their spelling.
	raw := "FROM: a@x.example\r\ndate: Mon, 3 Mar 2025 1:00:00 +0000\r\nmessage-id: <k@x>\r\nTo: b@y.example\r\n\r\nx\r\n"
	m = mustParse(t, raw, opts)
	if string(m.Data) != raw {
		t.Errorf("Data =\n%q\nwant the file unchanged", m.Data)
	}
	if m.MessageID != "k@x" {
		t.Errorf("MessageID = %q, want k@x", m.MessageID)
	}
}

// legacy returns s encoded in a legacy charset, as an ILS would write it.
func legacy(t *testing.T, e encoding.Encoding, s string) string {
	t.Helper()
	b, err := e.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse_LegacyCharsetSubject(t *testing.T) {
	for _, tc := range []struct {
		charset string
		enc     encoding.Encoding
		subject string
	}{
		{"windows-1252", charmap.Windows1252, "Påminnelse"},
		{"windows-1250", charmap.Windows1250, "Przypomnienie o zwrocie książki — Łódź"},
		{"windows-1251", charmap.Windows1251, "Напоминание о возврате книги"},
	} {
		t.Run(tc.charset, func(t *testing.T) {
			opts := testOptions()
			opts.Charset, opts.Encoding = tc.charset, tc.enc
			raw := "To: b@y.example\r\nSubject: " + legacy(t, tc.enc, tc.subject) + "\r\nX-Other: kept\r\n\r\nText\r\n"
			m := mustParse(t, raw, opts)
			if m.Subject != tc.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tc.subject)
			}
			subj := header(t, m.Data, "subject")
			if hasHigh([]byte(subj)) {
				t.Fatalf("Data Subject is not ASCII: %q", subj)
			}
			dec, err := new(mime.WordDecoder).DecodeHeader(strings.TrimSuffix(unfold(strings.TrimPrefix(subj, "Subject:")), "\r\n"))
			if err != nil || strings.TrimSpace(dec) != tc.subject {
				t.Errorf("Data Subject %q decodes to %q (%v), want %q", subj, dec, err, tc.subject)
			}
			if m.DataUTF8 == nil {
				t.Fatal("DataUTF8 not set")
			}
			if got, want := header(t, m.DataUTF8, "subject"), "Subject: "+tc.subject+"\r\n"; got != want {
				t.Errorf("DataUTF8 Subject = %q, want %q", got, want)
			}
			if m.NeedsUTF8 {
				t.Error("NeedsUTF8 set, but all addresses are ASCII")
			}
			checkFaithful(t, []byte(raw), m, true)
		})
	}
	m := mustParse(t, "To: b@y.example\r\nSubject: "+legacy(t, charmap.Windows1252, "Påminnelse")+"\r\n\r\nx\r\n", testOptions())
	if got, want := header(t, m.Data, "subject"), "Subject: =?utf-8?q?P=C3=A5minnelse?=\r\n"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
}

func TestParse_UTF8SubjectKeptWithLegacyCharset(t *testing.T) {
	// Valid UTF-8 is UTF-8 whatever the configured charset.
	m := mustParse(t, "To: b@y.example\r\nSubject: Påminnelse om lån\r\n\r\nx\r\n", testOptions())
	if got, want := header(t, m.Data, "subject"), "Subject: =?utf-8?q?P=C3=A5minnelse?= om =?utf-8?q?l=C3=A5n?=\r\n"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	if m.Subject != "Påminnelse om lån" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if got := header(t, m.DataUTF8, "subject"); got != "Subject: Påminnelse om lån\r\n" {
		t.Errorf("DataUTF8 Subject = %q", got)
	}
}

func TestParse_NonUTF8HeaderWithUTF8Charset(t *testing.T) {
	opts := testOptions()
	opts.Charset, opts.Encoding = "utf-8", nil
	raw := "To: b@y.example\r\nSubject: P\xe5minnelse\r\n\r\nx\r\n"
	mustRefuse(t, raw, opts, "Subject", "line 2", "not UTF-8", "[spool] charset")
}

func TestParse_LongEncodedSubjectFolded(t *testing.T) {
	subject := strings.Repeat("Påminnelse om återlämning ", 12)
	m := mustParse(t, "To: b@y.example\r\nSubject: "+subject+"\r\n\r\nx\r\n", testOptions())
	subj := header(t, m.Data, "subject")
	lines := strings.Split(strings.TrimSuffix(subj, "\r\n"), "\r\n")
	if len(lines) < 2 {
		t.Fatalf("long Subject not folded: %q", subj)
	}
	for _, l := range lines {
		if len(l) > 78 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
	}
	dec, err := new(mime.WordDecoder).DecodeHeader(unfold(strings.TrimSuffix(strings.TrimPrefix(subj, "Subject:"), "\r\n")))
	if err != nil || dec != " "+subject {
		t.Errorf("folded Subject decodes to %q (%v), want %q", dec, err, " "+subject)
	}
}

func TestParse_AddressHeaderRaw8bit(t *testing.T) {
	raw := "From: Stadsbiblioteket <bibliotek@example.org>\r\n" +
		"To: " + legacy(t, charmap.Windows1252, "Åsa Ström") + " <asa@example.se>,\r\n" +
		"  \"" + legacy(t, charmap.Windows1252, "Öberg, Per") + "\" <per@example.se>\r\n" +
		"Subject: Hej\r\n\r\nx\r\n"
	m := mustParse(t, raw, testOptions())
	if want := []string{"asa@example.se", "per@example.se"}; !equalStrings(m.Recipients, want) {
		t.Errorf("Recipients = %q, want %q", m.Recipients, want)
	}
	to := header(t, m.Data, "to")
	want := "To: =?utf-8?q?=C3=85sa_Str=C3=B6m?= <asa@example.se>,\r\n  =?utf-8?b?w5ZiZXJnLCBQZXI=?= <per@example.se>\r\n"
	if to != want {
		t.Errorf("To =\n%q\nwant\n%q", to, want)
	}
	if m.NeedsUTF8 {
		t.Error("NeedsUTF8 set, but the addresses are ASCII")
	}
	wantUTF8 := "To: Åsa Ström <asa@example.se>,\r\n  \"Öberg, Per\" <per@example.se>\r\n"
	if got := header(t, m.DataUTF8, "to"); got != wantUTF8 {
		t.Errorf("DataUTF8 To = %q, want %q", got, wantUTF8)
	}
	checkFaithful(t, []byte(raw), m, true)

	// A non-ASCII address can only go with SMTPUTF8.
	m = mustParse(t, "To: Jöhn <jöhn@exämple.se>\r\n\r\nx\r\n", testOptions())
	if !m.NeedsUTF8 {
		t.Error("NeedsUTF8 not set for a non-ASCII recipient")
	}
	if got, want := header(t, m.Data, "to"), "To: =?utf-8?q?J=C3=B6hn?= <jöhn@exämple.se>\r\n"; got != want {
		t.Errorf("To = %q, want %q", got, want)
	}
	m = mustParse(t, "From: jöhn@exämple.se\r\nTo: a@b.example\r\n\r\nx\r\n", testOptions())
	if !m.NeedsUTF8 {
		t.Error("NeedsUTF8 not set for a non-ASCII From address")
	}
}

func TestParse_8bitBody(t *testing.T) {
	const head = "To: b@y.example\r\nSubject: s\r\n"
	utf8Body := "Hej Åsa, boken är försenad.\r\n"
	m := mustParse(t, head+"\r\n"+utf8Body, testOptions())
	if !m.EightBit {
		t.Error("EightBit not set")
	}
	added := "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
	if !bytes.HasSuffix(m.Data, []byte(added+utf8Body)) {
		t.Errorf("Data =\n%s\nwant the MIME headers added for a UTF-8 body", m.Data)
	}

	cp1252Body := legacy(t, charmap.Windows1252, utf8Body)
	m = mustParse(t, head+"\r\n"+cp1252Body, testOptions())
	if !bytes.Contains(m.Data, []byte("Content-Type: text/plain; charset=windows-1252\r\n")) {
		t.Errorf("Data =\n%s\nwant charset=windows-1252", m.Data)
	}
	if !bytes.HasSuffix(m.Data, []byte(cp1252Body)) {
		t.Error("body changed")
	}

	opts := testOptions()
	opts.Charset, opts.Encoding = "utf-8", nil
	mustRefuse(t, head+"\r\n"+cp1252Body, opts, "not UTF-8", "[spool] charset")

	// An existing Content-Type is never changed, and MIME-Version is not
	// added twice.
	raw := head + "Content-Type: text/plain; charset=iso-8859-1\r\n\r\n" + cp1252Body
	m = mustParse(t, raw, opts)
	if !m.EightBit {
		t.Error("EightBit not set")
	}
	checkFaithful(t, []byte(raw), m, false)
	if bytes.Contains(m.Data, []byte("Content-Transfer-Encoding")) {
		t.Error("Content-Transfer-Encoding added next to an existing Content-Type")
	}
	m = mustParse(t, head+"Mime-Version: 1.0\r\n\r\n"+utf8Body, opts)
	if bytes.Count(bytes.ToLower(m.Data), []byte("mime-version")) != 1 {
		t.Errorf("MIME-Version duplicated:\n%s", m.Data)
	}
	m = mustParse(t, head+"\r\nplain ASCII\r\n", opts)
	if m.EightBit || bytes.Contains(m.Data, []byte("Content-Type")) {
		t.Errorf("7-bit body: EightBit=%v, Data=\n%s", m.EightBit, m.Data)
	}
}

func TestParse_LineLength(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	head := "To: b@y.example\r\nSubject: s\r\n"
	// Body lines.
	m := mustParse(t, head+"\r\n"+long(998)+"\r\n", testOptions())
	checkFaithful(t, []byte(head+"\r\n"+long(998)+"\r\n"), m, false)
	mustRefuse(t, head+"\r\nfirst\r\n"+long(999)+"\r\n", testOptions(), "line 5", "999", "998")
	mustRefuse(t, head+"\r\n"+long(999), testOptions(), "line 4", "999") // no final newline
	// Header lines, "X-Long: " is 8 octets.
	mustParse(t, "X-Long: "+long(990)+"\r\n"+head+"\r\nx\r\n", testOptions())
	mustRefuse(t, "X-Long: "+long(991)+"\r\n"+head+"\r\nx\r\n", testOptions(), "line 1", "999")
	// Bare LF and bare CR endings are not part of the line.
	mustParse(t, "X-Long: "+long(990)+"\n"+head+"\r"+long(998)+"\r", testOptions())
}

func TestParse_NUL(t *testing.T) {
	mustRefuse(t, "To: b@y.example\r\n\r\nbinary\x00junk\r\n", testOptions(), "NUL", "line 3")
	mustRefuse(t, "To: b@y.example\x00\r\n\r\nx\r\n", testOptions(), "NUL", "line 1")
}

func TestParse_DotLinesUntouched(t *testing.T) {
	raw := "To: b@y.example\r\nSubject: s\r\n\r\n.\r\n..\r\n.leading dot\r\nlast\r\n."
	m := mustParse(t, raw, testOptions())
	_, body := SplitHeader(m.Data)
	if want := ".\r\n..\r\n.leading dot\r\nlast\r\n.\r\n"; string(body) != want {
		t.Errorf("body = %q, want %q", body, want)
	}
}

func TestParse_LineEndings(t *testing.T) {
	want := "To: b@y.example\r\nSubject: s\r\n\tfolded\r\n\r\none\r\ntwo\r\n\r\nthree\r\n"
	for name, raw := range map[string]string{
		"crlf":            want,
		"lf":              "To: b@y.example\nSubject: s\n\tfolded\n\none\ntwo\n\nthree\n",
		"bare cr":         "To: b@y.example\rSubject: s\r\tfolded\r\rone\rtwo\r\rthree\r",
		"mixed":           "To: b@y.example\r\nSubject: s\n\tfolded\r\rone\ntwo\r\n\nthree\r",
		"no final crlf":   strings.TrimSuffix(want, "\r\n"),
		"no final lf":     "To: b@y.example\nSubject: s\n\tfolded\n\none\ntwo\n\nthree",
		"mbox From_ line": "From bibliotek@example.org Tue Mar  4 10:00:00 2025\n" + want,
	} {
		t.Run(name, func(t *testing.T) {
			opts := testOptions()
			m := mustParse(t, raw, opts)
			h, _ := SplitHeader(m.Data)
			got := strings.Replace(string(m.Data), string(h), "", 1)
			wantHead := strings.SplitN(want, "\r\n\r\n", 2)[0] + "\r\n"
			if !strings.HasPrefix(string(h), wantHead) {
				t.Errorf("header = %q, want it to start with %q", h, wantHead)
			}
			if wantBody := "\r\none\r\ntwo\r\n\r\nthree\r\n"; got != wantBody {
				t.Errorf("rest = %q, want %q", got, wantBody)
			}
			if n := string(Normalize([]byte(raw))); n != want {
				t.Errorf("Normalize = %q, want %q", n, want)
			}
		})
	}
	// A bare CR in the middle of a header line ends the line, so what
	// follows must itself be a header field.
	mustRefuse(t, "To: b@y.example\rjunk\r\n\r\nx\r\n", testOptions(), "line 2", `"junk"`)
}

func TestParse_HeaderBlockErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		raw  string
		want []string
	}{
		"empty file":          {"", []string{"empty"}},
		"only newlines":       {"\r\n\r\n", []string{"no header fields"}},
		"only From_ line":     {"From a@b Tue Mar  4 10:00:00 2025\n", []string{"no header fields"}},
		"not a message":       {"// Not an RFC-822 Document", []string{"no header fields"}},
		"starts with space":   {" To: b@y.example\r\n\r\nx\r\n", []string{"line 1", "space or tab"}},
		"stray line":          {"From: a@x.example\r\nTo: b@y.example\r\n__\r\nSubject: s\r\n\r\nx\r\n", []string{`line 3 is not a header field ("__")`, "empty line"}},
		"space in name":       {"quite Delivered-To: x@y.example\r\nTo: b@y.example\r\n\r\nx\r\n", []string{"no header fields"}},
		"no blank line":       {"To: b@y.example\r\nSubject: s\r\nDear reader, your book is late\r\n", []string{"line 3", "not a header field"}},
		"mbox line numbering": {"From a@b Tue Mar  4 10:00:00 2025\nTo: b@y.example\n__\n", []string{"line 3"}},
		"empty name":          {": value\r\nTo: b@y.example\r\n\r\nx\r\n", []string{"no header fields"}},
		"too big":             {strings.Repeat("X-A: b\r\n", 20), []string{"max_size"}},
	} {
		t.Run(name, func(t *testing.T) {
			opts := testOptions()
			opts.MaxSize = 100
			mustRefuse(t, tc.raw, opts, tc.want...)
		})
	}
}

func TestParse_HeadersOnly(t *testing.T) {
	raw := "To: b@y.example\nSubject: no body"
	m := mustParse(t, raw, testOptions())
	checkFaithful(t, []byte(raw), m, false)
	if bytes.Contains(m.Data, []byte("\r\n\r\n")) {
		t.Errorf("an empty line was added to a headers-only file:\n%q", m.Data)
	}
}

func TestParse_ObsoleteWhitespaceBeforeColon(t *testing.T) {
	raw := "To   : b@y.example\r\nSubject\t: s\r\n\r\nx\r\n"
	m := mustParse(t, raw, testOptions())
	if !equalStrings(m.Recipients, []string{"b@y.example"}) || m.Subject != "s" {
		t.Errorf("Recipients %q, Subject %q", m.Recipients, m.Subject)
	}
	checkFaithful(t, []byte(raw), m, false)
}

func TestParse_Recipients(t *testing.T) {
	for name, tc := range map[string]struct {
		headers string
		copyTo  string
		want    []string
	}{
		"group":            {"To: Borrowers: a@x.example, B <b@x.example>;\r\n", "", []string{"a@x.example", "b@x.example"}},
		"empty group":      {"To: Undisclosed recipients:;\r\nCc: c@x.example\r\n", "", []string{"c@x.example"}},
		"duplicates":       {"To: Anna@X.example, b@x.example\r\nCc: anna@x.example\r\nBcc: B@X.EXAMPLE\r\n", "", []string{"Anna@X.example", "b@x.example"}},
		"copy_to last":     {"To: a@x.example\r\nCc: b@x.example\r\n", "archive@example.org", []string{"a@x.example", "b@x.example", "archive@example.org"}},
		"copy_to deduped":  {"To: ARCHIVE@example.org, a@x.example\r\n", "archive@example.org", []string{"ARCHIVE@example.org", "a@x.example"}},
		"folded list":      {"To: a@x.example,\r\n\tB <b@x.example>\r\n", "", []string{"a@x.example", "b@x.example"}},
		"comments":         {"To: Pete(A \\) chap) <pete(his account)@silly.test(his host)>\r\n", "", []string{"pete@silly.test"}},
		"legacy 2047 name": {"To: =?windows-1251?B?wPLo6u7iYQ==?= <a@x.example>\r\n", "", []string{"a@x.example"}},
		"unknown charset":  {"To: =?x-unknown?Q?abc?= <a@x.example>\r\n", "", []string{"a@x.example"}},
		"semicolons":       {"To: a@x.example; b@x.example\r\n", "", []string{"a@x.example", "b@x.example"}},
		"route":            {"To: <@relay.example:a@x.example>\r\n", "", []string{"a@x.example"}},
		"quoted local":     {"To: \"john doe\"@x.example\r\n", "", []string{`"john doe"@x.example`}},
		"x-receiver list":  {"X-Receiver: a@x.example\r\nx-receiver: <b@x.example>\r\nTo: ignored@x.example\r\n", "", []string{"a@x.example", "b@x.example"}},
	} {
		t.Run(name, func(t *testing.T) {
			opts := testOptions()
			opts.CopyTo = tc.copyTo
			m := mustParse(t, tc.headers+"Subject: s\r\n\r\nx\r\n", opts)
			if !equalStrings(m.Recipients, tc.want) {
				t.Errorf("Recipients = %q, want %q", m.Recipients, tc.want)
			}
		})
	}
}

func TestParse_RecipientErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		headers string
		want    []string
	}{
		"none":           {"From: a@x.example\r\n", []string{"no recipients", "To:", "X-Receiver:"}},
		"empty to":       {"To: \r\n", []string{"no recipients"}},
		"only copy_to":   {"Subject: s\r\n", []string{"no recipients"}},
		"double at":      {"To: ok@x.example, bob@@x\r\n", []string{`"bob@@x"`, "To header", "line 1"}},
		"no at":          {"Subject: s\r\nCc: Array\r\n", []string{`"Array"`, "Cc header", "line 2"}},
		"bcc":            {"To: a@x.example\r\nBCc: nobody\r\n", []string{`"nobody"`, "BCc header"}},
		"x-receiver":     {"X-Receiver: nobody\r\n", []string{`"nobody"`, "X-Receiver header"}},
		"null recipient": {"To: <>\r\n", []string{`"<>"`}},
		"unbalanced":     {"To: \"a@x.example\r\n", []string{"To header"}},
		"empty domain":   {"To: a@\r\n", []string{`"a@"`}},
	} {
		t.Run(name, func(t *testing.T) {
			opts := testOptions()
			opts.CopyTo = "archive@example.org"
			mustRefuse(t, tc.headers+"\r\nx\r\n", opts, tc.want...)
		})
	}
}

func TestParse_SubjectDecoded(t *testing.T) {
	for raw, want := range map[string]string{
		"=?UTF-8?B?44G+44G/44KA44KB44KC?=":         "まみむめも",
		"=?windows-1251?B?wPLo6u7iYQ==?=":          "Атиков" + "a", // ends in a Latin a
		"=?iso-8859-1?Q?Fr=F6sche?= und\r\n Hasen": "Frösche und Hasen",
		"=?NONE?B?VEVTVA=?=":                       "=?NONE?B?VEVTVA=?=",
		"  plain  ":                                "plain",
	} {
		m := mustParse(t, "To: a@x.example\r\nSubject: "+raw+"\r\n\r\nx\r\n", testOptions())
		if m.Subject != want {
			t.Errorf("Subject %q decoded to %q, want %q", raw, m.Subject, want)
		}
	}
}

func TestParse_MessageID(t *testing.T) {
	for raw, want := range map[string]string{
		"<abc@x.example>":             "abc@x.example",
		"  <abc@x.example> (comment)": "abc@x.example",
		"\r\n <folded@x.example>":     "folded@x.example",
		"<1234   @   local.example>":  "1234@local.example",
	} {
		m := mustParse(t, "To: a@x.example\r\nMessage-ID:"+raw+"\r\n\r\nx\r\n", testOptions())
		if m.MessageID != want {
			t.Errorf("Message-ID %q parsed as %q, want %q", raw, m.MessageID, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	for raw, want := range map[string]string{
		"":                      "",
		"a":                     "a\r\n",
		"a\r\nb\r\n":            "a\r\nb\r\n",
		"a\nb":                  "a\r\nb\r\n",
		"a\rb\r":                "a\r\nb\r\n",
		"a\r\r\nb\n\r":          "a\r\n\r\nb\r\n\r\n",
		"From x@y Mon\nTo: a\n": "To: a\r\n",
		"From x@y Mon\r\nTo: a": "To: a\r\n",
		"To: a\nFrom x@y Mon\n": "To: a\r\nFrom x@y Mon\r\n",
		"From: a@b\n":           "From: a@b\r\n",
	} {
		if got := string(Normalize([]byte(raw))); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", raw, got, want)
		}
	}
	in := []byte("a\r\n")
	out := Normalize(in)
	out[0] = 'b'
	if in[0] != 'a' {
		t.Error("Normalize returned memory shared with its input")
	}
}

func TestSplitHeader(t *testing.T) {
	for data, want := range map[string][2]string{
		"A: 1\r\nB: 2\r\n\r\nbody\r\n": {"A: 1\r\nB: 2\r\n", "body\r\n"},
		"A: 1\r\n":                     {"A: 1\r\n", ""},
		"\r\nbody\r\n":                 {"", "body\r\n"},
		"A: 1\r\n\r\n":                 {"A: 1\r\n", ""},
	} {
		h, b := SplitHeader([]byte(data))
		if string(h) != want[0] || string(b) != want[1] {
			t.Errorf("SplitHeader(%q) = %q, %q, want %q, %q", data, h, b, want[0], want[1])
		}
	}
}

func TestParse_CharsetWithoutDecoder(t *testing.T) {
	// A charset name without a decoder is looked up by name.
	opts := testOptions()
	opts.Encoding = nil
	m := mustParse(t, "To: a@x.example\r\nSubject: P\xe5minnelse\r\n\r\nx\r\n", opts)
	if m.Subject != "Påminnelse" {
		t.Errorf("Subject = %q", m.Subject)
	}
}

func TestParse_UnitHeaderDecoded(t *testing.T) {
	m, err := Parse([]byte("X-Spoolgate-Unit: =?UTF-8?q?=C3=96stra_biblioteket?=\r\nTo: a@example.org\r\n\r\nx\r\n"), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if m.Unit != "Östra biblioteket" {
		t.Fatalf("Unit = %q", m.Unit)
	}
}

func TestParse_AddedMessageIDStableForSeed(t *testing.T) {
	raw := []byte("To: a@example.org\r\n\r\nx\r\n")
	o := testOptions()
	o.IDSeed = "inst-key1"
	a, err1 := Parse(raw, o)
	b, err2 := Parse(raw, o)
	o.IDSeed = "inst-key2"
	c, err3 := Parse(raw, o)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal(err1, err2, err3)
	}
	if a.MessageID != b.MessageID || a.MessageID == c.MessageID || !strings.HasSuffix(a.MessageID, "@example.org") {
		t.Fatalf("ids %q %q %q: want equal for one seed, different for another", a.MessageID, b.MessageID, c.MessageID)
	}
}

// X-Spoolgate-Id carries the journal's key of the message; one the file
// brings is removed, so it cannot point a bounce at another message.
func TestParse_SpoolgateID(t *testing.T) {
	raw := []byte("To: patron@example.net\r\nX-Spoolgate-Id: forged-key\r\nSubject: Due\r\n\r\nhej\r\n")
	m, err := Parse(raw, Options{From: "library@example.org", SpoolgateID: "k7Qz-0001"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(m.Data, []byte("X-Spoolgate-Id: k7Qz-0001\r\n")) || bytes.Contains(m.Data, []byte("forged-key")) {
		t.Errorf("X-Spoolgate-Id:\n%s", m.Data)
	}
	if bytes.Count(m.Data, []byte("X-Spoolgate-Id")) != 1 {
		t.Errorf("more than one X-Spoolgate-Id:\n%s", m.Data)
	}
	m, err = Parse(raw, Options{From: "library@example.org", SpoolgateID: "bad id\r\nBcc: x@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(m.Data, []byte("X-Spoolgate-Id")) || bytes.Contains(m.Data, []byte("Bcc")) {
		t.Errorf("an unsafe id was written:\n%s", m.Data)
	}
}
