package loans

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzRead: any bytes, any delimiter and charset setting, never a panic, and
// what is read keeps the package's promises.
func FuzzRead(f *testing.F) {
	f.Add([]byte("\xef\xbb\xbfpatron_id,email,title,due\r\n1,a@example.org,T,2026-12-01\r\n"), byte(0), uint8(0))
	f.Add([]byte("patron_id;email;title;due;notify\n1;a@example.org;\"a\nb\";01.12.2026;nej\n2;;x;2026/12/01;\n"), byte(';'), uint8(0))
	f.Add([]byte("sep=;\npatron_id;email;title;due\n1;b;\"unclosed;2026-12-01\n"), byte(0), uint8(1))
	f.Add([]byte("\xff\xfep\x00a\x00t\x00r\x00o\x00n\x00_\x00i\x00d\x00"), byte(0), uint8(2))
	f.Add([]byte("patron_id\temail\ttitle\tdue\n\xe5\t\t\t2026-12-01T10:00:00+25:00\n"), byte('\t'), uint8(3))
	charsets := []string{"", "windows-1252", "windows-1250", "utf-16le", "koi8-r"}
	f.Fuzz(func(t *testing.T, data []byte, delim byte, cs uint8) {
		o := Options{
			Charset:   charsets[int(cs)%len(charsets)],
			Delimiter: rune(delim),
			Location:  time.UTC,
		}
		if delim >= 0x80 { // a mapped header, the delimiter detected
			o.Columns = map[string]string{"due": "Förfallodatum", "email": "E-post", "patron_id": "Låntagare", "title": "Titel"}
			o.Delimiter = 0
		}
		res, err := Read(bytes.NewReader(data), o)
		if err != nil {
			if res != nil {
				t.Fatalf("both a result and an error: %v", err)
			}
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		if res.HeaderAt < 1 || res.Charset == "" || res.Delimiter == 0 {
			t.Fatalf("result %+v", res)
		}
		last := res.HeaderAt
		for _, l := range res.Loans {
			if l.Line <= last {
				t.Fatalf("loan on line %d after line %d", l.Line, last)
			}
			last = l.Line
			if l.PatronID == "" || (l.Title == "" && l.Barcode == "") || l.Due.IsZero() {
				t.Fatalf("incomplete loan %+v", l)
			}
			for _, a := range []string{l.Email, l.GuardianEmail} {
				if a != "" && !validAddress(a) {
					t.Fatalf("loan with address %q", a)
				}
			}
			if l.Language != strings.ToLower(l.Language) {
				t.Fatalf("language %q", l.Language)
			}
		}
		for _, e := range res.Errors {
			if e.Line <= res.HeaderAt || e.Reason == "" {
				t.Fatalf("row error %+v (header on line %d)", e, res.HeaderAt)
			}
		}
	})
}
