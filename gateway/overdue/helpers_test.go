package overdue

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Stockholm under wine too

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

var stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err)
	}
	return loc
}()

// testConfig is a config as Load would give it, with a queue folder, a
// data folder and the loans export in a new folder.
func testConfig(tb testing.TB) *config.Config {
	tb.Helper()
	root := spooltest.TempDir(tb)
	cfg := &config.Config{
		File: filepath.Join(root, "spoolgate.ini"),
		Spool: config.Spool{
			Folder: filepath.Join(root, "queue"), Patterns: []string{"*.tmp", "*.eml"},
			Interval: time.Minute, RetryFor: 48 * time.Hour, RetryDelay: time.Second, RetryMax: 2 * time.Second,
			MaxSize: 25 << 20, Charset: "utf-8", Data: filepath.Join(root, "data"), Instance: "test",
		},
		Message: config.Message{From: "library@example.org", FromName: "Stadsbiblioteket", ReturnPath: "library@example.org"},
		Journal: config.Journal{Retention: 90 * 24 * time.Hour},
		Overdue: config.Overdue{
			Enabled: true, At: config.Clock{Hour: 6, Minute: 30}, Loans: filepath.Join(root, "loans.csv"),
			WarningDays: 3, OverdueDays: 1, ReminderDays: 3, Recipient: config.RecipientPatron,
			Language: "en", StaleAfter: 48 * time.Hour,
		},
		Units:   map[string]*config.Unit{},
		Servers: map[string]*config.Server{},
		Service: config.Service{Location: stockholm},
	}
	if err := os.MkdirAll(cfg.Spool.Folder, 0o755); err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// row is one loan row of the default header.
type row struct {
	patron, name, email, guardian, notify, lang, unit, barcode, title, author, due string
}

var header = []string{"patron_id", "patron_name", "email", "guardian_email", "notify", "language", "unit", "barcode", "title", "author", "due"}

// writeLoans writes the export, replacing it atomically as an ILS would.
func writeLoans(tb testing.TB, cfg *config.Config, rows ...row) {
	tb.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	for _, r := range rows {
		w.Write([]string{r.patron, r.name, r.email, r.guardian, r.notify, r.lang, r.unit, r.barcode, r.title, r.author, r.due})
	}
	w.Flush()
	writeRaw(tb, cfg, b.Bytes())
}

func writeRaw(tb testing.TB, cfg *config.Config, data []byte) {
	tb.Helper()
	tmp := cfg.Overdue.Loans + ".part"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, cfg.Overdue.Loans); err != nil {
		tb.Fatal(err)
	}
}

// loan is a row for patron p with an address and notify on.
func loan(p, barcode, title, due string) row {
	return row{patron: p, name: "Patron " + p, email: "p" + p + "@example.org", notify: "yes", barcode: barcode, title: title, author: "An Author", due: due}
}

// at is 06:30 on a date in Stockholm.
func at(tb testing.TB, date string) time.Time {
	tb.Helper()
	d, err := time.ParseInLocation("2006-01-02", date, stockholm)
	if err != nil {
		tb.Fatal(err)
	}
	return d.Add(6*time.Hour + 30*time.Minute)
}

func testLog(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Helper()
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// scan runs Scan for date and fails the test on an error.
func scan(tb testing.TB, cfg *config.Config, date string, opts Options) *Result {
	tb.Helper()
	if opts.Log == nil {
		opts.Log = testLog(tb)
	}
	if opts.Now == nil {
		d := at(tb, date)
		opts.Now = func() time.Time { return d }
	}
	res, err := Scan(context.Background(), cfg, at(tb, date), opts)
	if err != nil {
		tb.Fatalf("Scan %s: %v", date, err)
	}
	if res.LoansError != nil {
		tb.Fatalf("Scan %s: loans: %v", date, res.LoansError)
	}
	return res
}

// noticeFiles lists the notice files in the queue folder, sorted.
func noticeFiles(tb testing.TB, cfg *config.Config) []string {
	tb.Helper()
	ents, err := os.ReadDir(cfg.Spool.Folder)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "notice-") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// parsed is a notice file read back.
type parsed struct {
	raw     string
	header  mail.Header
	subject string // decoded
	text    string // the decoded text/plain body
}

func readNotice(tb testing.TB, data []byte) parsed {
	tb.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("the notice does not parse: %v\n%s", err, data)
	}
	p := parsed{raw: string(data), header: m.Header}
	dec := new(mime.WordDecoder)
	if p.subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
		tb.Fatalf("subject: %v", err)
	}
	ct, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		tb.Fatalf("content type: %v", err)
	}
	body, cte := io.Reader(m.Body), m.Header.Get("Content-Transfer-Encoding")
	if strings.HasPrefix(ct, "multipart/") {
		mr := multipart.NewReader(m.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				tb.Fatalf("no text/plain part: %v", err)
			}
			if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
				body, cte = part, part.Header.Get("Content-Transfer-Encoding")
				break
			}
		}
	}
	if strings.EqualFold(cte, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		tb.Fatalf("body: %v", err)
	}
	p.text = string(b)
	return p
}

func readNoticeFile(tb testing.TB, cfg *config.Config, name string) parsed {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(cfg.Spool.Folder, name))
	if err != nil {
		tb.Fatal(err)
	}
	return readNotice(tb, data)
}

// byPatronKind finds the planned notice of a patron and kind.
func byPatronKind(tb testing.TB, list []Planned, patron, kind string) Planned {
	tb.Helper()
	var found []Planned
	for _, p := range list {
		if p.PatronID == patron && p.Kind == kind {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("%d %s notices for patron %s, want 1; queued: %s", len(found), kind, patron, summary(list))
	}
	return found[0]
}

// summary lists planned notices as "patron/kind" words, for messages.
func summary(list []Planned) string {
	var s []string
	for _, p := range list {
		s = append(s, p.PatronID+"/"+p.Kind)
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

func titles(items []Item) string {
	var s []string
	for _, it := range items {
		s = append(s, it.Title)
	}
	return strings.Join(s, ", ")
}
