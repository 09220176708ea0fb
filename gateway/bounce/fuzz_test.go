package bounce

import (
	"path/filepath"
	"testing"
)

// FuzzRead checks that Read never panics, that its output is bounded
// and that a Class is set if and only if the Action is failed.
func FuzzRead(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		f.Add(readFixture(f, filepath.Base(name)))
	}
	f.Add([]byte("Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: utf-8; \\x{E5}@x.se\r\nStatus: 5.1.1\r\n"))
	f.Add([]byte("From: postmaster@x.org\r\n\r\nDelivery has failed to these recipients or groups:\r\nDiagnostic information for administrators:\r\na@x.org\r\n#550 5.1.1 x ##\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkReport(t, Read(raw))
	})
}
