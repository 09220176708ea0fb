package overdue

import (
	"net/mail"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// For the tests of package overdue_test, which run the gateway (a package
// that may import this one).

// SetHook sets the test hook of o.
func SetHook(o *Options, f func(stage string) error) { o.hook = f }

// NewConfig is testConfig.
func NewConfig(tb testing.TB) *config.Config { return testConfig(tb) }

// Row is a loan row: patron id, name, email, guardian email, notify,
// language, unit, barcode, title, author, due.
type Row = [11]string

// WriteLoans writes the export.
func WriteLoans(tb testing.TB, cfg *config.Config, rows ...Row) {
	tb.Helper()
	rs := make([]row, len(rows))
	for i, r := range rows {
		rs[i] = row{r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10]}
	}
	writeLoans(tb, cfg, rs...)
}

// NoticeFiles lists the notice files in the queue folder.
func NoticeFiles(tb testing.TB, cfg *config.Config) []string { return noticeFiles(tb, cfg) }

// ReadMessage parses a message: its header, decoded subject and text.
func ReadMessage(tb testing.TB, data []byte) (mail.Header, string, string) {
	tb.Helper()
	p := readNotice(tb, data)
	return p.header, p.subject, p.text
}

// CrashAt is a hook that fails once at stage.
func CrashAt(stage string) func(string) error { return crashAt(stage) }
