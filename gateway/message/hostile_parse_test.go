package message

import (
	"errors"
	"strings"
	"testing"
)

// A file that is no message at all (a password file, a key) is refused
// without a word of it: its first line, which may be the secret itself, is
// not quoted in any language, nor in the English of the log.
func TestParse_SecretFileQuotesNothing(t *testing.T) {
	for _, raw := range []string{
		"hunter2-the-password\n",
		"hunter2-the-password",
		"From x Tue Mar  4 10:00:00 2025\nhunter2-the-password\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
		"hunter2 the password: with a colon after spaces\n",
	} {
		_, err := Parse([]byte(raw), testOptions())
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%q: %v, want an *Error", raw, err)
		}
		if e.Detail.ID != NoHeader || e.Detail.Value != "" {
			t.Errorf("%q: Detail %+v, want NoHeader quoting nothing", raw, e.Detail)
		}
		for _, lang := range []string{"en", "sv", "nb", "pl", "cs", "ru"} {
			if txt := e.Text(lang); strings.Contains(txt, "hunter2") || strings.Contains(txt, "b3Bl") || strings.Contains(txt, "OPENSSH") {
				t.Errorf("%q: Text(%s) quotes the file: %s", raw, lang, txt)
			}
		}
		if strings.Contains(e.Error(), "hunter2") || strings.Contains(e.Error(), "OPENSSH") {
			t.Errorf("%q: Error quotes the file: %s", raw, e.Error())
		}
	}
}

// What a refusal quotes of a message file is at most 60 bytes, cut at a
// character boundary: a stray line, an address, a header's name.
func TestParse_QuotesAtMost60Bytes(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes
	for name, raw := range map[string]string{
		"stray line":  "To: a@b.example\r\n" + long + "\r\n\r\nx\r\n",
		"bad address": "To: " + long + "\r\n\r\nx\r\n",
		"sender":      "X-Sender: a@b.example, " + long + "@c.example\r\nTo: a@b.example\r\n\r\nx\r\n",
		"header name": strings.Repeat("X", 100) + ": \xff\r\nTo: a@b.example\r\n\r\nx\r\n",
	} {
		opts := testOptions()
		if name == "header name" {
			opts.Charset, opts.Encoding = "utf-8", nil
		}
		_, err := Parse([]byte(raw), opts)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: %v, want an *Error", name, err)
		}
		d := e.Detail
		if len(d.Value) > 60 || len(d.Header) > 60 || !strings.HasPrefix(raw, "X-Sender") && d.Value == "" && d.Header == "" {
			t.Errorf("%s: Value %d bytes, Header %d bytes: want a fragment of at most 60", name, len(d.Value), len(d.Header))
		}
		if !validUTF8(d.Value) || !validUTF8(d.Header) {
			t.Errorf("%s: a fragment cut inside a character: %q %q", name, d.Value, d.Header)
		}
	}
}

// net/mail quotes the rest of the value in some of its errors; the log
// file gets its words without the quote.
func TestParse_AddressErrorQuotesNothing(t *testing.T) {
	_, err := Parse([]byte("To: \"secret-value-here\xff\" <a@b.example>\r\n\r\nx\r\n"), Options{From: "l@x.example", Charset: "utf-8"})
	if err != nil && strings.Count(err.Error(), "secret-value-here") > 1 {
		t.Errorf("the address is quoted more than once (the detail's own quote): %v", err)
	}
	if got := unquoted(errors.New(`mail: expected single address, got "hunter2"`)); got.Error() != "mail: expected single address, got" {
		t.Errorf("unquoted = %q", got)
	}
	if got := unquoted(errors.New(`mail: invalid utf-8 in address: "hunter2"`)); got.Error() != "mail: invalid utf-8 in address" {
		t.Errorf("unquoted = %q", got)
	}
	if unquoted(nil) != nil {
		t.Error("unquoted(nil) must be nil")
	}
}

func validUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
