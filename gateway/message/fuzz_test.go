package message

import (
	"bytes"
	"testing"
)

// FuzzParse feeds Parse arbitrary files. It must never panic; what it
// accepts must be sendable as it is; what it refuses must say why.
func FuzzParse(f *testing.F) {
	f.Add([]byte("To: a@x.example\r\nSubject: s\r\n\r\nbody\r\n"), false)
	f.Add([]byte("X-Sender: a@x\nX-Receiver: b@y\nX-Receiver: <c@z>\nSubject: P\xe5minnelse\n\n\xe5\xe4\xf6\n"), true)
	f.Add([]byte("From x@y Mon Jan  1 00:00:00 2024\rTo: G: a@b, \"Q\\\" R\" <c@d>;\rBcc: e@f\r\r.\r"), false)
	f.Add([]byte("To: \xc5sa (c\xf6mment) <\xe5@x>, =?utf-8?q?x?= \xe4 <b@y>\r\nSubject: =?bad?Q?x?= \xe4\xe4\r\n \xf6\r\n"), true)
	f.Add([]byte("To: a@b\r\nX-Spoolgate-Kind: k\r\n\tmore\r\nMessage-ID: <x@y>\r\nContent-Type: text/plain\r\n\r\n\x80"), false)
	f.Fuzz(func(t *testing.T, raw []byte, legacyCharset bool) {
		opts := testOptions()
		opts.CopyTo = "archive@example.org"
		if !legacyCharset {
			opts.Charset, opts.Encoding = "utf-8", nil
		}
		m, err := Parse(raw, opts)
		if err != nil {
			if m != nil {
				t.Fatal("Parse returned both a message and an error")
			}
			checkError(t, err)
			return
		}
		checkWellFormed(t, m)
		if m.Recipients[len(m.Recipients)-1] == "" {
			t.Fatal("empty recipient")
		}
		if m.DataUTF8 != nil && len(m.DataUTF8) == 0 {
			t.Fatal("empty DataUTF8")
		}
		_, body := SplitHeader(m.Data)
		if m.EightBit != hasHigh(body) && bytes.Contains(m.Data, []byte("\r\n\r\n")) {
			t.Fatalf("EightBit = %v for body %q", m.EightBit, body)
		}
	})
}
