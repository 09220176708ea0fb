package daily_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/logfile"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// noon is a time zone in which it is about noon now, so that a test's
// events all fall on one day however late it runs.
func noon() *time.Location {
	h := time.Now().UTC().Hour()
	return time.FixedZone("Test", (12-h)*3600)
}

func newConfig(t *testing.T, srv *smtptest.Server) *config.Config {
	t.Helper()
	root := spooltest.TempDir(t)
	cfg := &config.Config{
		File: filepath.Join(root, "spoolgate.ini"),
		Spool: config.Spool{
			Folder: filepath.Join(root, "queue"), Patterns: []string{"*.tmp", "*.eml"},
			Interval: time.Minute, RetryFor: 48 * time.Hour, RetryDelay: time.Hour, RetryMax: time.Hour,
			MaxSize: 25 << 20, Charset: "windows-1252", Encoding: charmap.Windows1252,
			Data: filepath.Join(root, "data"), Instance: "test",
		},
		Message: config.Message{From: "library@example.org", FromName: "Example Library", ReturnPath: "library@example.org"},
		Journal: config.Journal{Retention: 90 * 24 * time.Hour},
		Log: config.Log{Days: 7, Daily: true, DailyAt: config.Clock{Hour: 23, Minute: 55},
			DailyTo: []string{"librarian@example.org"}, Language: "en"},
		Service: config.Service{Location: noon()},
	}
	if srv != nil {
		cfg.SMTP = server("smtp", srv.Host(), srv.Port())
	}
	for _, dir := range []string{cfg.Spool.Folder, cfg.Spool.Data} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

func server(name, host string, port int) *config.Server {
	return &config.Server{
		Name: name, Host: host, Port: port, Security: config.SecurityAuto, TLSVerify: true,
		HELO: "spoolgate.test", ConnectTimeout: 5 * time.Second, Timeout: 10 * time.Second, Connections: 1,
	}
}

// run runs the real gateway for cfg; the returned function stops it.
func run(t *testing.T, cfg *config.Config) (stop func()) {
	t.Helper()
	lb := &spooltest.Buffer{}
	g, err := gateway.New(cfg, slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("gateway: %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Errorf("the gateway did not stop within 60 s")
			}
			if t.Failed() {
				t.Logf("gateway log:\n%s", lb.String())
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func drop(t *testing.T, cfg *config.Config, name, kind, to, subject string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("From: Library <library@example.org>\r\n")
	if to != "" {
		b.WriteString("To: " + to + "\r\n")
	}
	if kind != "" {
		b.WriteString("X-Spoolgate-Kind: " + kind + "\r\n")
	}
	b.WriteString("Subject: " + subject + "\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n\r\nHello.\r\n")
	if err := spool.WriteFile(cfg.Spool.Folder, name, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, dir, suffix string) int {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), suffix) {
			n++
		}
	}
	return n
}

func openJournal(t *testing.T, cfg *config.Config) *journal.Journal {
	t.Helper()
	j, err := journal.Open(filepath.Join(cfg.Spool.Data, gateway.JournalFile), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// writeLog writes the day's log file as the service would.
func writeLog(t *testing.T, cfg *config.Config, day time.Time, text string) string {
	t.Helper()
	dir := filepath.Join(cfg.Spool.Data, logfile.Folder)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, logfile.Name(day))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// parsed is a daily log message taken apart.
type parsed struct {
	header     mail.Header
	subject    string
	text       string
	attachName string
	attachment []byte
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, raw)
	}
	p := parsed{header: m.Header}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if mt != "multipart/mixed" {
		body, _ := io.ReadAll(m.Body)
		p.text = string(body)
		return p
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		if part.FileName() != "" {
			p.attachName = part.FileName()
			if part.Header.Get("Content-Transfer-Encoding") == "base64" {
				p.attachment = decodeBase64(t, body)
			} else {
				p.attachment = body
			}
			continue
		}
		p.text = string(body)
	}
	return p
}

func TestCompose_ADayOfKnownEvents(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(func(st smtptest.Stage, arg string) *smtptest.Reply {
		if st != smtptest.StageRcpt {
			return nil
		}
		switch arg {
		case "nobody@example.net", "gone@example.net":
			return smtptest.Refuse(550, [3]int{5, 1, 1}, "<"+arg+">: Recipient address rejected: User unknown")
		case "later@example.net":
			return smtptest.Refuse(451, [3]int{4, 7, 1}, "greylisted, try again later")
		}
		return nil
	}))
	cfg := newConfig(t, srv)
	loc := cfg.Service.Location
	stop := run(t, cfg)
	drop(t, cfg, "ils-1.eml", "", "a@example.net", "Your reservation is ready")
	drop(t, cfg, "overdue-1.eml", "overdue", "b@example.net", "Your loans are overdue")
	drop(t, cfg, "overdue-2.eml", "overdue", "nobody@example.net", "Your loans are overdue")
	drop(t, cfg, "warning-1.eml", "warning", "c@example.net", "Your loans are due soon")
	drop(t, cfg, "reminder-1.eml", "reminder", "d@example.net, gone@example.net", "Reminder: your loans are overdue")
	drop(t, cfg, "later.eml", "", "later@example.net", "Interlibrary loan")
	drop(t, cfg, "broken.eml", "", "", "A file with no recipients")
	srv.WaitMessages(t, 4, 60*time.Second)
	spooltest.WaitFor(t, "two .BAD files and one deferred", func() bool {
		return count(t, cfg.Spool.Folder, ".BAD.txt") == 2 && count(t, cfg.Spool.Folder, ".deferred") == 1 &&
			count(t, cfg.Spool.Folder, ".eml") == 0 && count(t, cfg.Spool.Folder, ".sending") == 0
	})
	stop()

	day := time.Now().In(loc)
	logText := "time=12:00:01 level=INFO msg=sent file=ils-1.eml\ntime=12:00:02 level=WARN msg=\"the relay refused a recipient\"\n"
	writeLog(t, cfg, day, logText)
	j := openJournal(t, cfg)
	notices := &daily.NoticeSummary{
		Queued: map[string]int{"warning": 1, "overdue": 2, "reminder": 1},
		Skipped: []daily.SkippedPatron{
			{PatronID: "1234", Name: "Anna Svensson", Kind: "overdue", Titles: []string{"Pippi Långstrump", "Mio, min Mio"}, Reason: daily.SkipNoEmail},
			{PatronID: "5678", Name: "Jan Kowalski", Kind: "warning", Titles: []string{"Lalka"}, Reason: daily.SkipNotifyOff},
		},
		RowErrors: []daily.RowError{{Line: 17, Reason: `the due date "31/02/2026" is not a date`}},
	}
	r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{Journal: j, Notices: notices})
	if err != nil {
		t.Fatal(err)
	}

	// The figures.
	want := map[string]daily.Counts{
		"":         {Sent: 1, Deferred: 1, Failed: 1}, // ils-1, later, broken
		"overdue":  {Sent: 1, Failed: 1},
		"warning":  {Sent: 1},
		"reminder": {Sent: 1}, // sent to d, refused for gone
	}
	for k, w := range want {
		if c := r.Figures[k]; c == nil || *c != w {
			t.Errorf("figures of kind %q = %+v, want %+v", k, c, w)
		}
	}
	if len(r.Figures) != len(want) || r.Total != (daily.Counts{Sent: 4, Deferred: 1, Failed: 2}) {
		t.Errorf("figures %v, total %+v", r.Figures, r.Total)
	}
	// Every failure, with the recipient and the reason.
	var fails []string
	for _, f := range r.Failures {
		fails = append(fails, f.To+"|"+f.File+"|"+f.Kind+"|"+f.Cause)
	}
	slices.Sort(fails)
	if w := []string{"gone@example.net|reminder-1.eml|reminder|no-such-address", "nobody@example.net|overdue-2.eml|overdue|no-such-address",
		"|broken.eml||file"}; !slices.Equal(fails, func() []string { slices.Sort(w); return w }()) {
		t.Errorf("failures:\n%q\nwant\n%q", fails, w)
	}
	if len(r.Warnings) != 1 || r.Warnings[0].Kind != "rows" {
		t.Errorf("warnings: %+v, want the unreadable row only", r.Warnings)
	}
	if r.Queue.Deferred != 1 || r.Queue.Bad != 2 || r.Queue.Waiting != 0 || r.Queue.LastSent.IsZero() {
		t.Errorf("queue health %+v", r.Queue)
	}

	date := day.Format("2006-01-02")
	if s, w := r.Subject(), "spoolgate "+date+": 4 sent, 3 failed, 2 to print — 1 warning"; s != w {
		t.Errorf("subject %q, want %q", s, w)
	}
	text := r.Text()
	mustContain(t, "the English report", text,
		"Needs attention: 3 failures, 1 warning.",
		"Library system and other     1         1              1",
		"Overdue notices              1         0              1",
		"Total                        4         1              2",
		"Queued by the overdue scan: 1 due-soon notice, 2 overdue notices, 1 reminder.",
		"To print or phone, as these patrons get no e-mail (2):",
		"Anna Svensson (patron 1234), overdue notice: Pippi Långstrump; Mio, min Mio (no e-mail address)",
		"Jan Kowalski (patron 5678), due-soon notice: Lalka (e-mail notices turned off)",
		`line 17: the due date "31/02/2026" is not a date`,
		"FAILURES (3)",
		"to nobody@example.net",
		`Message:    "Your loans are overdue" (overdue-2.eml, overdue notice)`,
		"Reason:     The recipient's address does not exist.",
		"Reply:      550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown",
		"What to do: Correct the patron's e-mail address in the library system.",
		"to gone@example.net",
		"file broken.eml",
		"The file was set aside as .BAD before it could be sent: the file has no recipients",
		"Read broken.BAD.txt in the queue folder",
		"Waiting for a retry: 1",
		"Set aside as .BAD, in all: 2",
		"Last successful send: "+strings.TrimPrefix(day.Format("_2 January 2006"), " "),
		"1 row of the loans export could not be read",
		"The day's detailed log is attached: spoolgate-"+date+".log.",
		"spoolgate sends this log every day at 23:55.",
	)

	// As a message.
	raw, err := r.Message(day)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, raw)
	if p.subject != r.Subject() {
		t.Errorf("message subject %q, want %q", p.subject, r.Subject())
	}
	if got := p.header.Get("X-Spoolgate-Kind"); got != "daily" {
		t.Errorf("X-Spoolgate-Kind: %q", got)
	}
	if got := p.header.Get("To"); got != "<librarian@example.org>" && got != "librarian@example.org" {
		t.Errorf("To: %q", got)
	}
	if from, err := mail.ParseAddress(p.header.Get("From")); err != nil || from.Address != "library@example.org" || from.Name != "Example Library" {
		t.Errorf("From: %q (%v)", p.header.Get("From"), err)
	}
	if !strings.Contains(strings.ReplaceAll(p.text, "\r\n", "\n"), "What to do: Correct the patron's e-mail address in the library system.") {
		t.Errorf("the message text lacks the failure:\n%s", p.text)
	}
	if p.attachName != "spoolgate-"+date+".log" || string(p.attachment) != logText {
		t.Errorf("attachment %q = %q, want the day's log %q", p.attachName, p.attachment, logText)
	}

	// In Swedish and Polish.
	for _, tc := range []struct {
		lang    string
		subject string
		words   []string
	}{
		{"sv", "spoolgate " + date + ": 4 skickade, 3 misslyckade, 2 att skriva ut — 1 varning", []string{
			"Dagslogg från spoolgate: ", "Förseningsmeddelanden", "till nobody@example.net", "Mottagarens adress finns inte.",
			"Rätta låntagarens e-postadress i bibliotekssystemet.", "Anna Svensson (låntagare 1234), förseningsmeddelande",
			"ingen e-postadress", "1 förvarning, 2 förseningsmeddelanden, 1 påminnelse", "Dagens detaljerade logg är bifogad",
		}},
		{"pl", "spoolgate " + date + ": wysłano 4, 3 błędy, 2 do wydruku — 1 ostrzeżenie", []string{
			"Raport dzienny spoolgate: ", "Powiadomienia o przekroczeniu terminu", "do nobody@example.net", "Adres odbiorcy nie istnieje.",
			"Popraw adres e-mail czytelnika w systemie bibliotecznym.", "Anna Svensson (czytelnik 1234)", "brak adresu e-mail",
			"1 powiadomienie przed terminem, 2 powiadomienia o przekroczeniu terminu, 1 ponowne przypomnienie",
			"Wymaga uwagi: 3 nieudane wysyłki, 1 ostrzeżenie.",
		}},
	} {
		cfg.Log.Language = tc.lang
		r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{Journal: j, Notices: notices})
		if err != nil {
			t.Fatal(err)
		}
		if s := r.Subject(); s != tc.subject {
			t.Errorf("%s subject %q, want %q", tc.lang, s, tc.subject)
		}
		mustContain(t, tc.lang+" report", r.Text(), tc.words...)
	}
}

// certificate makes a self-signed server certificate for 127.0.0.1 that
// expires at notAfter.
func certificate(t *testing.T, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestCompose_Warnings(t *testing.T) {
	// The main relay is down; the backup's certificate expires in 10 days
	// and it keeps deferring one recipient; a third server's certificate
	// has expired.
	backup := smtptest.NewServer(t, smtptest.WithTLS(certificate(t, time.Now().Add(10*24*time.Hour-time.Hour))),
		smtptest.WithFault(smtptest.AtRcpt("slow@example.net", smtptest.Refuse(451, [3]int{4, 2, 1}, "mailbox busy"))))
	third := smtptest.NewServer(t, smtptest.WithTLS(smtptest.NewTLSCerts(t).Expired))
	cfg := newConfig(t, nil)
	host, port := "127.0.0.1", smtptest.ClosedPort(t)
	cfg.SMTP = server("smtp", host, port)
	cfg.SMTP.Next = server("backup", backup.Host(), backup.Port())
	cfg.SMTP.Next.TLSVerify = false
	cfg.SMTP.Next.Next = server("third", third.Host(), third.Port())
	cfg.Spool.RetryDelay, cfg.Spool.RetryMax = 50*time.Millisecond, 100*time.Millisecond
	loans := filepath.Join(spooltest.TempDir(t), "loans.csv")
	if err := os.WriteFile(loans, []byte("patron_id,patron_name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-3 * 24 * time.Hour)
	if err := os.Chtimes(loans, old, old); err != nil {
		t.Fatal(err)
	}
	cfg.Overdue = config.Overdue{Enabled: true, Loans: loans, StaleAfter: 48 * time.Hour}

	stop := run(t, cfg)
	drop(t, cfg, "one.eml", "overdue", "a@example.net", "one")
	drop(t, cfg, "two.eml", "warning", "b@example.net", "two")
	drop(t, cfg, "slow.eml", "", "slow@example.net", "slow")
	backup.WaitMessages(t, 2, 60*time.Second)
	j := openJournal(t, cfg)
	spooltest.WaitFor(t, "slow.eml was deferred 3 times", func() bool {
		recs, err := j.Query(journal.Filter{File: "slow.eml"})
		return err == nil && len(recs) == 1 && recs[0].Status == journal.StatusDeferred && recs[0].Attempts >= 3
	})
	stop()

	day := time.Now().In(cfg.Service.Location)
	r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, w := range r.Warnings {
		kinds = append(kinds, w.Kind)
	}
	slices.Sort(kinds)
	if w := []string{"certificate", "certificate", "certificate-check", "failover", "loans-old", "repeated"}; !slices.Equal(kinds, w) {
		t.Errorf("warnings %q, want %q:\n%s", kinds, w, r.Text())
	}
	main, bk, th := "smtp (127.0.0.1:"+strconv.Itoa(port)+")", "backup ("+backup.Addr()+")", "third ("+third.Addr()+")"
	text := r.Text()
	mustContain(t, "the report", text,
		"2 messages went through the backup relay "+bk+" because the main relay "+main+" could not be reached.",
		"The TLS certificate of the mail relay "+bk+" expires on ",
		", in 10 days. Ask IT to renew it in time.",
		"The TLS certificate of the mail relay "+th+" expired on ",
		"Could not check the TLS certificate of the mail relay "+main+": ",
		"The loans export "+loans+" was last written ",
		"1 message has failed temporarily 3 times or more and is still being retried:",
		"slow.eml to slow@example.net: ",
		"mailbox busy",
		"No detailed log was written on this day",
	)
	if s := r.Subject(); !strings.HasSuffix(s, " — 6 warnings") || !strings.Contains(s, ": 2 sent, 0 failed") {
		t.Errorf("subject %q", s)
	}

	// A missing export, and the probes skipped in capture mode.
	if err := os.Remove(loans); err != nil {
		t.Fatal(err)
	}
	cfg.Capture = filepath.Join(spooltest.TempDir(t), "outbox")
	r, err = daily.Compose(context.Background(), cfg, day, daily.Inputs{Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	kinds = nil
	for _, w := range r.Warnings {
		kinds = append(kinds, w.Kind)
	}
	slices.Sort(kinds)
	if w := []string{"loans-missing", "repeated"}; !slices.Equal(kinds, w) {
		t.Errorf("in capture mode, warnings %q, want %q", kinds, w)
	}
	mustContain(t, "the report", r.Text(), "The loans export "+loans+" does not exist")
}

func TestCompose_NothingYet(t *testing.T) {
	// A new installation: no journal, no queue activity, no log file.
	cfg := newConfig(t, nil)
	cfg.Capture = filepath.Join(spooltest.TempDir(t), "outbox")
	cfg.Overdue.Enabled = true
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, cfg.Service.Location)
	r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Subject(); s != "spoolgate 2026-11-25: 0 sent, 0 failed — all well" {
		t.Errorf("subject %q", s)
	}
	mustContain(t, "the report", r.Text(),
		"spoolgate daily log: Wednesday 25 November 2026",
		"All is well: nothing needs attention.",
		"No messages were handled on this day.",
		"The overdue scan did not run on this day.",
		"No failures.", "No warnings.", "Nothing has been sent yet.",
		"No detailed log was written on this day ("+filepath.Join(cfg.Spool.Data, "log", "spoolgate-2026-11-25.log")+" does not exist).")
	raw, err := r.Message(day)
	if err != nil {
		t.Fatal(err)
	}
	if p := parse(t, raw); p.attachName != "" || !strings.Contains(p.text, "All is well") {
		t.Errorf("a message without a log: attachment %q, text:\n%s", p.attachName, p.text)
	}
}

func TestQueue_OncePerDay(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := newConfig(t, srv)
	loc := cfg.Service.Location
	day := time.Now().In(loc)
	logText := strings.Repeat("time=12:00:00 level=INFO msg=\"a long day\"\n", 10)
	writeLog(t, cfg, day, logText)
	j := openJournal(t, cfg)
	r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	want := "spoolgate-daily-" + day.Format("20060102") + ".eml"
	name, err := daily.Queue(cfg, r, day)
	if err != nil || name != want {
		t.Fatalf("Queue = %q, %v; want %q", name, err, want)
	}
	if last, ok, err := daily.LastRun(cfg); err != nil || !ok || last.Format(time.DateOnly) != day.Format(time.DateOnly) {
		t.Errorf("LastRun = %v, %v, %v; want %s", last, ok, err, day.Format(time.DateOnly))
	}
	name, err = daily.Queue(cfg, r, day)
	if !errors.Is(err, daily.ErrQueued) || name != want {
		t.Errorf("the second Queue = %q, %v; want %q, ErrQueued", name, err, want)
	}
	if n := count(t, cfg.Spool.Folder, ".eml"); n != 1 {
		t.Errorf("%d files queued, want 1", n)
	}

	// The gateway sends it like any message.
	j.Close()
	stop := run(t, cfg)
	got := srv.WaitMessages(t, 1, 60*time.Second)
	spooltest.WaitFor(t, "the queue is empty", func() bool { return count(t, cfg.Spool.Folder, ".eml") == 0 })
	stop()
	if !slices.Equal(got[0].To, []string{"librarian@example.org"}) || got[0].From != "library@example.org" {
		t.Errorf("sent from %s to %v", got[0].From, got[0].To)
	}
	p := parse(t, got[0].Data)
	if p.subject != r.Subject() || string(p.attachment) != logText {
		t.Errorf("sent subject %q, attachment %q", p.subject, p.attachment)
	}
	if p.header.Get("X-Spoolgate-Kind") != "" {
		t.Errorf("X-Spoolgate-Kind was sent to the librarian")
	}

	// Without the state file, the journal still knows it was sent.
	if err := os.Remove(filepath.Join(cfg.Spool.Data, daily.StateFile)); err != nil {
		t.Fatal(err)
	}
	j = openJournal(t, cfg)
	r, err = daily.Compose(context.Background(), cfg, day, daily.Inputs{Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	if r.Figures["daily"] == nil || r.Figures["daily"].Sent != 1 {
		t.Errorf("the day's figures do not count the daily log sent: %v", r.Figures)
	}
	if name, err := daily.Queue(cfg, r, day); !errors.Is(err, daily.ErrQueued) || !strings.Contains(err.Error(), "journal") {
		t.Errorf("Queue after it was sent = %q, %v; want ErrQueued from the journal", name, err)
	}
	if n := count(t, cfg.Spool.Folder, ".eml"); n != 0 {
		t.Errorf("%d files queued again", n)
	}
	if _, ok, err := daily.LastRun(cfg); !ok || err != nil {
		t.Errorf("the state file was not written again: %v, %v", ok, err)
	}
}

func TestQueue_NameFitsThePatterns(t *testing.T) {
	cfg := newConfig(t, nil)
	cfg.Spool.Patterns = []string{"ILS_*.tmp"}
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, cfg.Service.Location)
	r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	name, err := daily.Queue(cfg, r, day)
	if err != nil || name != "ILS_spoolgate-daily-20261125.tmp" {
		t.Fatalf("Queue = %q, %v", name, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Spool.Folder, name)); err != nil {
		t.Fatal(err)
	}
	// Refused and set aside, it is still not queued again.
	if err := os.Rename(filepath.Join(cfg.Spool.Folder, name), filepath.Join(cfg.Spool.Folder, "ILS_spoolgate-daily-20261125.BAD")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(cfg.Spool.Data, daily.StateFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := daily.Queue(cfg, r, day); !errors.Is(err, daily.ErrQueued) {
		t.Errorf("Queue with the .BAD file there: %v, want ErrQueued", err)
	}

	cfg.Spool.Patterns = []string{"[0-9]*.txt"}
	if _, err := daily.Queue(cfg, r, day.AddDate(0, 0, 1)); err == nil || !strings.Contains(err.Error(), "pattern") {
		t.Errorf("Queue with no usable pattern: %v", err)
	}
}

func TestJob_QueuesOncePerDay(t *testing.T) {
	cfg := newConfig(t, nil)
	loc := cfg.Service.Location
	var calls int
	job := daily.Job(cfg, func(day time.Time) daily.Inputs {
		calls++
		return daily.Inputs{Notices: &daily.NoticeSummary{Queued: map[string]int{"overdue": 3}}}
	}, nil)
	if job.At != (config.Clock{Hour: 23, Minute: 55}) || job.Name == "" {
		t.Errorf("job %q at %s", job.Name, job.At)
	}
	if _, ok, err := job.LastRun(); ok || err != nil {
		t.Errorf("LastRun before any run: %v, %v", ok, err)
	}
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, loc)
	for range 2 {
		if err := job.Run(context.Background(), day); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, cfg.Spool.Folder, ".eml"); n != 1 || calls != 2 {
		t.Errorf("%d files queued by two runs (%d compositions), want 1", n, calls)
	}
	b, err := os.ReadFile(filepath.Join(cfg.Spool.Folder, "spoolgate-daily-20261125.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if p := parse(t, b); !strings.Contains(p.text, "3 overdue notices") {
		t.Errorf("the queued report lacks the scan's figures:\n%s", p.text)
	}
	if last, ok, err := job.LastRun(); !ok || err != nil || !last.Equal(day) {
		t.Errorf("LastRun = %v, %v, %v; want %v", last, ok, err, day)
	}
	// A manual report of an earlier day leaves the state at the later one.
	if err := job.Run(context.Background(), day.AddDate(0, 0, -1)); err != nil {
		t.Fatal(err)
	}
	if last, _, _ := job.LastRun(); !last.Equal(day) {
		t.Errorf("LastRun after an earlier day's report = %v, want %v", last, day)
	}
}

func decodeBase64(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
