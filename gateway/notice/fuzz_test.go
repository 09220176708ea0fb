package notice

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRender feeds arbitrary patron and loan data through every kind and
// language and the composed message: it must never panic, the subject must
// stay one line, and the message must parse with exactly the headers the
// notice writes (no injected ones).
func FuzzRender(f *testing.F) {
	f.Add("Eve\r\nBcc: victim@example.org", "Evil\nX-Injected: yes\r\n\r\nbody", "Östra\r\nBcc: x@y", "sv", 2)
	f.Add("Anna Lindqvist", "Pippi Långstrump", "Vasastan", "pl", 5)
	f.Add("", "", "", "", 0)
	f.Add("\x00\x01\x7f\u2028\u0085", "=?utf-8?q?x?=", "|", "ru", 4)
	s, err := Load("")
	if err != nil {
		f.Fatal(err)
	}
	allowed := map[string]bool{"from": true, "to": true, "subject": true, "date": true, "message-id": true,
		"mime-version": true, "content-type": true, "content-transfer-encoding": true, "x-spoolgate-kind": true,
		"x-spoolgate-unit": true, "auto-submitted": true, "reply-to": true}
	f.Fuzz(func(t *testing.T, name, title, unit, lang string, n int) {
		n = 1 + (n%5+5)%5 // testData has up to 5 items
		for _, kind := range Kinds() {
			d := testData(kind, n)
			d.Patron.Name = name
			d.Unit.Name = unit
			for i := range d.Items {
				d.Items[i].Title = title
			}
			nt, err := s.Render(lang, kind, d)
			if err != nil {
				t.Fatalf("Render(%q, %s): %v", lang, kind, err)
			}
			if strings.ContainsAny(nt.Subject, "\r\n") || !utf8.ValidString(nt.Subject) {
				t.Fatalf("subject %q", nt.Subject)
			}
			raw, err := nt.Message(testFrom, []string{"patron@example.org"}, Headers{Unit: unit})
			if err != nil {
				// Refusing is fine (say, a unit name that cannot be a header); panicking is not.
				continue
			}
			m, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("the composed message does not parse: %v\n%s", err, raw)
			}
			for k := range m.Header {
				if !allowed[strings.ToLower(k)] {
					t.Fatalf("unexpected header %q (injected?):\n%s", k, raw)
				}
			}
			if len(m.Header["To"]) != 1 {
				t.Fatalf("To headers: %v", m.Header["To"])
			}
		}
	})
}
