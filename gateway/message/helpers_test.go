package message

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// testNow is the clock for added Date headers in tests.
func testNow() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("", 3600)) }

// testOptions are options like a Swedish library's config.
func testOptions() Options {
	return Options{
		From:     "bibliotek@example.org",
		FromName: "Stadsbiblioteket",
		Charset:  "windows-1252",
		Encoding: charmap.Windows1252,
		Now:      testNow,
	}
}

// hfield is one header field as a test sees it: the name in lower case
// and the raw bytes, continuation lines and CRLFs included.
type hfield struct {
	name string
	raw  []byte
}

// splitTestHeader splits CRLF message data into header fields, whether an
// empty line ends the header, and the body. It is deliberately simpler than
// the package's own reader, so the tests do not check the code with itself.
func splitTestHeader(t *testing.T, data []byte) (fields []hfield, sep bool, body []byte) {
	t.Helper()
	for len(data) > 0 {
		i := bytes.Index(data, []byte("\r\n"))
		if i < 0 {
			t.Fatalf("data does not end with CRLF: %q", data)
		}
		line := data[:i+2]
		data = data[i+2:]
		if i == 0 {
			return fields, true, data
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(fields) == 0 {
				t.Fatalf("data starts with a continuation line: %q", line)
			}
			f := &fields[len(fields)-1]
			f.raw = append(f.raw, line...)
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			t.Fatalf("header line without colon: %q", line)
		}
		name := strings.ToLower(strings.TrimRight(string(line[:colon]), " \t"))
		fields = append(fields, hfield{name: name, raw: append([]byte(nil), line...)})
	}
	return fields, false, nil
}

// removedByUs reports whether spoolgate removes a field of this name.
func removedByUs(name string) bool {
	switch name {
	case "x-sender", "x-receiver", "bcc":
		return true
	}
	return strings.HasPrefix(name, "x-spoolgate-")
}

// addedByUs lists the fields spoolgate may add when they are missing.
var addedByUs = map[string]bool{
	"from": true, "date": true, "message-id": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
}

// checkFaithful asserts that m.Data is the file byte for byte, apart from
// the header fields spoolgate removes and those it adds at the end of the
// header. When reencoded is set, fields whose original had raw 8-bit bytes
// may differ in their value (not in name or position).
func checkFaithful(t *testing.T, file []byte, m *Message, reencoded bool) {
	t.Helper()
	want := Normalize(file)
	wantFields, wantSep, wantBody := splitTestHeader(t, want)
	gotFields, gotSep, gotBody := splitTestHeader(t, m.Data)

	orig := map[string]bool{}
	var kept []hfield
	for _, f := range wantFields {
		orig[f.name] = true
		if !removedByUs(f.name) {
			kept = append(kept, f)
		}
	}
	if len(gotFields) < len(kept) {
		t.Fatalf("Data has %d header fields, want at least the %d kept ones", len(gotFields), len(kept))
	}
	for i, w := range kept {
		g := gotFields[i]
		if g.name != w.name {
			t.Fatalf("header field %d is %q, want %q", i, g.raw, w.raw)
		}
		if bytes.Equal(g.raw, w.raw) {
			continue
		}
		if reencoded && hasHigh(w.raw) {
			continue
		}
		t.Errorf("header field %d changed:\n got %q\nwant %q", i, g.raw, w.raw)
	}
	for _, g := range gotFields[len(kept):] {
		if !addedByUs[g.name] || orig[g.name] {
			t.Errorf("unexpected field at the end of the header: %q", g.raw)
		}
	}
	if gotSep != wantSep {
		t.Errorf("empty line after header: got %v, want %v", gotSep, wantSep)
	}
	if !bytes.Equal(gotBody, wantBody) {
		t.Errorf("body changed (got %d bytes, want %d)", len(gotBody), len(wantBody))
	}
}

// checkWellFormed asserts what must hold for every accepted message.
func checkWellFormed(t *testing.T, m *Message) {
	t.Helper()
	if len(m.Recipients) == 0 {
		t.Error("no recipients")
	}
	for _, d := range [][]byte{m.Data, m.DataUTF8} {
		if d == nil {
			continue
		}
		if !bytes.HasSuffix(d, []byte("\r\n")) {
			t.Errorf("data does not end with CRLF: %q", tail(d))
		}
		for i, c := range d {
			if c == '\n' && (i == 0 || d[i-1] != '\r') {
				t.Fatalf("bare LF at offset %d", i)
			}
			if c == '\r' && (i+1 == len(d) || d[i+1] != '\n') {
				t.Fatalf("bare CR at offset %d", i)
			}
		}
		for n, l := range bytes.Split(d, []byte("\r\n")) {
			if len(l) > 998 {
				t.Fatalf("line %d is %d octets long", n+1, len(l))
			}
		}
		fields, _, _ := splitTestHeader(t, d)
		for _, f := range fields {
			if removedByUs(f.name) {
				t.Errorf("header %q was not removed", f.raw)
			}
		}
	}
	fields, _, _ := splitTestHeader(t, m.Data)
	for _, f := range fields {
		if hasHigh(f.raw) && !m.NeedsUTF8 {
			t.Errorf("Data has an 8-bit header but NeedsUTF8 is false: %q", f.raw)
		}
	}
}

// checkError asserts that err is an *Error whose reason says something.
func checkError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Reason() == "" {
		t.Fatalf("*Error without a reason: %#v", e)
	}
	if e.Temporary() {
		t.Fatal("*Error says it is temporary")
	}
	return e
}

func tail(b []byte) []byte {
	if len(b) > 40 {
		return b[len(b)-40:]
	}
	return b
}

// header returns the raw field of that (lower-case) name in data, or "".
func header(t *testing.T, data []byte, name string) string {
	t.Helper()
	fields, _, _ := splitTestHeader(t, data)
	for _, f := range fields {
		if f.name == name {
			return string(f.raw)
		}
	}
	return ""
}
