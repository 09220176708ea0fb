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
	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/health"
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

	// The figures, recipient by recipient: reminder-1 was sent to d and
	// refused for gone (partly sent); broken.eml had no recipient.
	want := map[string]daily.Counts{
		"":         {Sent: 1, Deferred: 1, Failed: 1}, // ils-1, later, broken
		"overdue":  {Sent: 1, Failed: 1},
		"warning":  {Sent: 1},
		"reminder": {Sent: 1, Failed: 1},
	}
	for k, w := range want {
		if c := r.Figures[k]; c == nil || *c != w {
			t.Errorf("figures of kind %q = %+v, want %+v", k, c, w)
		}
	}
	if len(r.Figures) != len(want) || r.Total != (daily.Counts{Sent: 4, Deferred: 1, Failed: 3}) || len(r.Failures) != 3 {
		t.Errorf("figures %v, total %+v, %d failures", r.Figures, r.Total, len(r.Failures))
	}
	// Every failure, with the recipient and the cause the gateway decided.
	var fails []string
	for _, f := range r.Failures {
		fails = append(fails, f.To+"|"+f.File+"|"+f.Kind+"|"+string(f.Cause)+"|"+f.Bad)
	}
	slices.Sort(fails)
	if w := []string{"gone@example.net|reminder-1.eml|reminder|address-unknown|", "nobody@example.net|overdue-2.eml|overdue|address-unknown|overdue-2.BAD",
		"|broken.eml||no-recipients|broken.BAD"}; !slices.Equal(fails, func() []string { slices.Sort(w); return w }()) {
		t.Errorf("failures:\n%q\nwant\n%q", fails, w)
	}
	if len(r.Warnings) != 1 || r.Warnings[0].Kind != "rows" {
		t.Errorf("warnings: %+v, want the unreadable row only", r.Warnings)
	}
	if r.Queue.Deferred != 1 || r.Queue.Bad != 2 || r.Queue.Waiting != 0 || r.Queue.LastSent.IsZero() {
		t.Errorf("queue health %+v", r.Queue)
	}
	if !r.Running || !r.Relay.Recorded || r.Relay.State != health.Available {
		t.Errorf("the relay's health: running %v, %+v", r.Running, r.Relay)
	}

	date := day.Format("2006-01-02")
	if s, w := r.Subject(), "spoolgate "+date+": 3 FAILED — 4 sent, 1 waiting, 2 to print, 1 warning"; s != w {
		t.Errorf("subject %q, want %q", s, w)
	}
	text := r.Text()
	meaning, action := cause.Explain("en", cause.AddressUnknown)
	noRcpt, _ := cause.Explain("en", cause.NoRecipients)
	mustContain(t, "the English report", text,
		"Needs attention: 3 failures, 1 warning.",
		"Library system and other     1         1       1",
		"Overdue notices              1         0       1",
		"Reminders                    1         0       1",
		"Total                        4         1       3",
		"Counted by recipient",
		"Queued by the overdue scan: 1 due-soon notice, 2 overdue notices, 1 reminder.",
		"To print or phone, as these patrons get no e-mail (2):",
		"Anna Svensson (patron 1234), overdue notice: Pippi Långstrump; Mio, min Mio (no e-mail address)",
		"Jan Kowalski (patron 5678), due-soon notice: Lalka (e-mail notices turned off)",
		`line 17: the due date "31/02/2026" is not a date`,
		"FAILURES (3)",
		"to nobody@example.net",
		`Message:          "Your loans are overdue" (overdue-2.eml, overdue notice)`,
		"Reason:           "+meaning,
		"Reply:            550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown",
		"What to do:       "+action,
		"Send again:       spoolgate retry overdue-2.BAD, once the cause is fixed",
		"to gone@example.net",
		"file broken.eml",
		"Reason:           "+noRcpt,
		"Technical detail: the file has no recipients",
		"Send again:       spoolgate retry broken.BAD, once the cause is fixed",
		"Waiting for a retry: 1",
		"Set aside as .BAD, in all: 2",
		"Last successful send: "+strings.TrimPrefix(day.Format("_2 January 2006"), " "),
		"1 row of the loans export could not be read",
		"The day's detailed log is attached: spoolgate-"+date+".log.",
		"spoolgate sends this log every day at 23:55.",
	)
	// A recipient refused in a message sent to others has no .BAD file to
	// send again.
	var gone []string
	for _, l := range strings.Split(text[strings.Index(text, "to gone@example.net"):], "\n")[1:] {
		if !strings.HasPrefix(l, "     ") {
			break
		}
		gone = append(gone, l)
	}
	if len(gone) != 4 || strings.Contains(strings.Join(gone, "\n"), "spoolgate retry") {
		t.Errorf("the failure of gone@example.net:\n%s", strings.Join(gone, "\n"))
	}

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
	if !strings.Contains(strings.ReplaceAll(p.text, "\r\n", "\n"), "What to do:       "+action) {
		t.Errorf("the message text lacks the failure:\n%s", p.text)
	}
	if p.attachName != "spoolgate-"+date+".log" || string(p.attachment) != logText {
		t.Errorf("attachment %q = %q, want the day's log %q", p.attachName, p.attachment, logText)
	}

	// In Swedish and Polish: every explanation in that language, and the
	// relay's replies verbatim.
	for _, tc := range []struct {
		lang    string
		subject string
		words   []string
	}{
		{"sv", "spoolgate " + date + ": 3 MISSLYCKADE — 4 skickade, 1 väntar, 2 att skriva ut, 1 varning", []string{
			"Dagslogg från spoolgate: ", "Förseningsmeddelanden", "till nobody@example.net", "fil broken.eml",
			"Anna Svensson (låntagare 1234), förseningsmeddelande", "Teknisk detalj:", "Skicka igen:",
			"ingen e-postadress", "1 förvarning, 2 förseningsmeddelanden, 1 påminnelse", "Dagens detaljerade logg är bifogad",
			"550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown",
		}},
		{"pl", "spoolgate " + date + ": 3 BŁĘDY — wysłano 4, 1 oczekuje, 2 do wydruku, 1 ostrzeżenie", []string{
			"Raport dzienny spoolgate: ", "Powiadomienia o przekroczeniu terminu", "do nobody@example.net",
			"Anna Svensson (czytelnik 1234)", "brak adresu e-mail",
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
		text := r.Text()
		for _, c := range []cause.Cause{cause.AddressUnknown, cause.NoRecipients} {
			m, a := cause.Explain(tc.lang, c)
			enM, enA := cause.Explain("en", c)
			tc.words = append(tc.words, m, a)
			for _, en := range []string{enM, enA} {
				if strings.Contains(text, en) {
					t.Errorf("%s report: English %q in it:\n%s", tc.lang, en, text)
				}
			}
		}
		mustContain(t, tc.lang+" report", text, tc.words...)
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
		"1 message keeps failing temporarily and is still being retried:",
		"slow.eml to slow@example.net: ",
		"mailbox busy",
		"No detailed log was written on this day",
	)
	if s, w := r.Subject(), "spoolgate "+day.Format(time.DateOnly)+": 6 WARNINGS — 2 sent, 1 waiting"; s != w {
		t.Errorf("subject %q, want %q", s, w)
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
	// The gateway records its relay's health as it starts.
	if err := health.NewTracker(cfg.Spool.Data, cfg.Spool.Instance, []string{"smtp"}, time.Now).Start(); err != nil {
		t.Fatal(err)
	}
	r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Subject(); s != "spoolgate 2026-11-25: all well — 0 sent, 0 failed" {
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

// dayOfMail writes a day of outcomes into a real journal, as the gateway
// records them: a message sent to one recipient and refused for another
// (partly sent), one refused before any recipient was known, one sent to a
// recipient who had it already (skipped) and to another, one sent, one
// deferred, and one refused for its only recipient whose .BAD file has a
// reason file of an older version. In the queue folder besides: a .BAD
// file of an older version that the journal does not know (refused before
// the journal recorded such files), and another instance's .BAD file.
func dayOfMail(t *testing.T, cfg *config.Config) *journal.Journal {
	t.Helper()
	j := openJournal(t, cfg)
	const relay = "smtp (mail.example.org:25)"
	send := func(key, file, kind string, to ...string) {
		j.Begin(journal.Claim{Key: key, File: file, To: to, Kind: kind, Subject: "Your loans"}, relay, to, nil)
	}
	out := func(key, to string, st journal.Status, reply, c string) {
		j.Record(journal.Outcome{Key: key, To: []string{to}, Status: st, Server: relay, Reply: reply, Cause: c}, nil)
	}
	send("test-a1", "reminder-1.eml", "reminder", "d@example.net", "gone@example.net")
	out("test-a1", "gone@example.net", journal.StatusFailed, "550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown", string(cause.AddressUnknown))
	out("test-a1", "d@example.net", journal.StatusSent, "250 2.0.0 Ok: queued as 4Xa1", "")

	j.Claimed(journal.Claim{Key: "test-b1", File: "broken.eml"}, nil)
	j.Record(journal.Outcome{Key: "test-b1", Status: journal.StatusFailed,
		Reply: "the file has no recipients: add a To: line or X-Receiver: lines", Cause: string(cause.NoRecipients)}, nil)

	send("test-c1", "overdue-1.eml", "overdue", "a@example.net", "b@example.net")
	j.Record(journal.Outcome{Key: "test-c1", To: []string{"a@example.net"}, Status: journal.StatusSkipped,
		Reply: "sent before, 2026-12-01 10:00:00, as overdue-0.eml (test-c0)", Cause: "already-sent"}, nil)
	out("test-c1", "b@example.net", journal.StatusSent, "250 2.0.0 Ok: queued as 4Xc1", "")

	send("test-d1", "ils-1.eml", "", "x@example.net")
	out("test-d1", "x@example.net", journal.StatusSent, "250 2.0.0 Ok: queued as 4Xd1", "")

	send("test-e1", "later.eml", "", "later@example.net")
	out("test-e1", "later@example.net", journal.StatusDeferred, "451 4.7.1 Greylisted, try again in 5 minutes", string(cause.Temporary))

	send("test-f1", "overdue-2.eml", "overdue", "nobody@example.net")
	out("test-f1", "nobody@example.net", journal.StatusFailed, "550 5.1.1 <nobody@example.net>: User unknown", string(cause.AddressUnknown))
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}

	// .BAD files with reason files as spoolgate before this version wrote
	// them (in English, with no cause).
	legacy := func(bad, file, key, body string) {
		text := "spoolgate could not send this message and will not try again.\r\n\r\nFile:     " + file + "\r\nKey:      " + key +
			"\r\nWhen:     " + time.Now().Format("2006-01-02 15:04:05 -0700") + "\r\n" + body +
			"\r\nTo send it again once the cause is fixed, rename the .BAD file back to its original name.\r\n"
		for name, data := range map[string]string{bad: "From: x\r\n\r\nx\r\n", bad + ".txt": text} {
			if err := os.WriteFile(filepath.Join(cfg.Spool.Folder, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	legacy("overdue-2.BAD", "overdue-2.eml", "test-f1", "Server:   "+relay+"\r\nReply:    550 5.1.1 <nobody@example.net>: User unknown\r\n\r\n"+
		"What happened: The recipient's address does not exist.\r\nWhat to do:    Correct the patron's e-mail address in the library system.\r\n")
	legacy("old.BAD", "old.eml", "test-0ld", "\r\nWhat happened: The file is not a message spoolgate can read.\r\n"+
		"What to do:    Correct the file.\r\nDetail:        line 1: a header line has no colon\r\n")
	legacy("theirs.BAD", "theirs.eml", "box2-x1", "\r\nWhat happened: The file is not a message spoolgate can read.\r\n")
	return j
}

// The subject, the table and the list of failures are counted from the
// same records, recipient by recipient, so they agree: on a day with a
// partly sent message, a refusal before any recipient was known, a
// recipient skipped, and .BAD files the journal knows, does not know (an
// older version's) and are another instance's.
func TestCompose_SubjectTableAndListAgree(t *testing.T) {
	cfg := newConfig(t, nil)
	j := dayOfMail(t, cfg)
	tr := health.NewTracker(cfg.Spool.Data, cfg.Spool.Instance, []string{"smtp"}, time.Now)
	tr.Up("smtp")
	day := time.Now().In(cfg.Service.Location)
	date := day.Format(time.DateOnly)

	for _, tc := range []struct {
		lang, subject string
		table         []string // the Total row's words
	}{
		{"en", "spoolgate " + date + ": 4 FAILED — 3 sent", []string{"Total", "3", "1", "1", "4"}},
		{"sv", "spoolgate " + date + ": 4 MISSLYCKADE — 3 skickade", []string{"Totalt", "3", "1", "1", "4"}},
		{"ru", "spoolgate " + date + ": 4 ОШИБКИ — отправлено 3", []string{"Всего", "3", "1", "1", "4"}},
	} {
		cfg.Log.Language = tc.lang
		r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{Journal: j})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]daily.Counts{
			"":         {Sent: 1, Deferred: 1, Failed: 2}, // ils-1, later, broken, old.BAD
			"overdue":  {Sent: 1, Skipped: 1, Failed: 1},  // b, a (had it), nobody
			"reminder": {Sent: 1, Failed: 1},              // d, gone
		}
		for k, w := range want {
			if c := r.Figures[k]; c == nil || *c != w {
				t.Errorf("%s: figures of kind %q = %+v, want %+v", tc.lang, k, c, w)
			}
		}
		if r.Total != (daily.Counts{Sent: 3, Skipped: 1, Deferred: 1, Failed: 4}) || len(r.Failures) != r.Total.Failed {
			t.Errorf("%s: total %+v, %d failures listed", tc.lang, r.Total, len(r.Failures))
		}
		var fails []string
		for _, f := range r.Failures {
			fails = append(fails, f.To+"|"+f.File+"|"+string(f.Cause)+"|"+f.Bad)
		}
		slices.Sort(fails)
		if w := []string{"gone@example.net|reminder-1.eml|address-unknown|", "nobody@example.net|overdue-2.eml|address-unknown|overdue-2.BAD",
			"|broken.eml|no-recipients|", "|old.eml|unknown|old.BAD"}; !slices.Equal(fails, func() []string { slices.Sort(w); return w }()) {
			t.Errorf("%s: failures\n%q\nwant\n%q", tc.lang, fails, w)
		}

		// Subject == table == list.
		if s := r.Subject(); s != tc.subject {
			t.Errorf("%s: subject %q, want %q", tc.lang, s, tc.subject)
		}
		text := r.Text()
		var total []string
		for _, l := range strings.Split(text, "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == tc.table[0] {
				total = f
			}
		}
		if !slices.Equal(total, tc.table) {
			t.Errorf("%s: the table's total row is %q, want %q:\n%s", tc.lang, total, tc.table, text)
		}
		if h := r.Summary(); h.Failed != 4 || len(h.Failures) != 4 || h.Sent != 3 || h.Skipped != 1 || h.Subject != tc.subject {
			t.Errorf("%s: summary %+v", tc.lang, h)
		}

		// Every failure's text in the report's language, the relay's
		// reply verbatim, spoolgate's own words only as a technical detail.
		words := []string{"550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown (smtp (mail.example.org:25))",
			"the file has no recipients: add a To: line or X-Receiver: lines", "line 1: a header line has no colon"}
		for _, c := range []cause.Cause{cause.AddressUnknown, cause.NoRecipients, cause.Unknown} {
			m, a := cause.Explain(tc.lang, c)
			words = append(words, m, a)
			if tc.lang == "en" {
				continue
			}
			enM, enA := cause.Explain("en", c)
			for _, en := range []string{enM, enA} {
				if strings.Contains(text, en) {
					t.Errorf("%s: English %q in the report:\n%s", tc.lang, en, text)
				}
			}
		}
		if tc.lang != "en" {
			for _, en := range []string{"The file is not a message spoolgate can read.", "What happened", "Technical detail", "Reply:"} {
				if strings.Contains(text, en) {
					t.Errorf("%s: English %q in the report:\n%s", tc.lang, en, text)
				}
			}
		}
		mustContain(t, tc.lang+" report", text, words...)
	}
}

// The subject says all is well only when it is: no failures that day, the
// gateway running with its relay available, nothing stuck.
func TestCompose_AllWellOnlyWhenItIs(t *testing.T) {
	cfg := newConfig(t, nil)
	j := openJournal(t, cfg)
	j.Begin(journal.Claim{Key: "test-a1", File: "ils-1.eml", To: []string{"x@example.net"}}, "smtp (mail.example.org:25)", []string{"x@example.net"}, nil)
	j.Record(journal.Outcome{Key: "test-a1", To: []string{"x@example.net"}, Status: journal.StatusSent, Reply: "250 ok"}, nil)
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	day := time.Now().In(cfg.Service.Location)
	date := day.Format(time.DateOnly)
	compose := func(in daily.Inputs) *daily.Report {
		t.Helper()
		in.Journal = j
		r, err := daily.Compose(context.Background(), cfg, day, in)
		if err != nil {
			t.Fatal(err)
		}
		if s := r.Summary(); s.AllWell != r.AllWell() || s.Subject != r.Subject() {
			t.Errorf("the summary says all_well %v, %q; the report %v, %q", s.AllWell, s.Subject, r.AllWell(), r.Subject())
		}
		return r
	}

	// A running gateway that has not recorded its relay's health (it could
	// not write to its data folder): not known to be well.
	if r := compose(daily.Inputs{}); r.AllWell() || r.Subject() != "spoolgate "+date+": RELAY STATE UNKNOWN — 1 sent" {
		t.Errorf("no health record: %q", r.Subject())
	}

	start := time.Now().Add(-time.Hour).Truncate(time.Minute)
	clock := start
	tr := health.NewTracker(cfg.Spool.Data, cfg.Spool.Instance, []string{"smtp"}, func() time.Time { return clock })
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	if r := compose(daily.Inputs{}); !r.AllWell() || r.Subject() != "spoolgate "+date+": all well — 1 sent, 0 failed" {
		t.Errorf("started, nothing sent since: %q", r.Subject())
	}
	tr.Up("smtp")
	r := compose(daily.Inputs{})
	if !r.AllWell() || r.Subject() != "spoolgate "+date+": all well — 1 sent, 0 failed" {
		t.Errorf("relay available: %q", r.Subject())
	}
	mustContain(t, "the report", r.Text(), "All is well: nothing needs attention.")

	// The relay refuses the login: the subject and the body lead with it.
	clock = start.Add(10 * time.Minute)
	reply := "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6"
	tr.Down("smtp", string(cause.LoginRefused), "smtp (mail.example.org:587)", reply, clock.Add(5*time.Minute), "")
	loc := cfg.Service.Location
	since, next := clock.In(loc).Format("15:04"), clock.Add(5*time.Minute).In(loc).Format("15:04")
	for _, lang := range []string{"en", "sv", "ru"} {
		cfg.Log.Language = lang
		r := compose(daily.Inputs{})
		lead := map[string]string{"en": "RELAY UNAVAILABLE since ", "sv": "E-POSTSERVERN OTILLGÄNGLIG sedan ", "ru": "ПОЧТОВЫЙ СЕРВЕР НЕДОСТУПЕН с "}[lang]
		want := "spoolgate " + date + ": " + lead + since + " (" + cause.Label(lang, cause.LoginRefused) + ") — "
		if r.AllWell() || !strings.HasPrefix(r.Subject(), want) {
			t.Errorf("%s: relay down: %q, want it to start %q", lang, r.Subject(), want)
		}
		text := r.Text()
		meaning, action := cause.Explain(lang, cause.LoginRefused)
		head := text[:strings.Index(text, "\n\n"+map[string]string{"en": "MESSAGES", "sv": "MEDDELANDEN", "ru": "СООБЩЕНИЯ"}[lang])]
		mustContain(t, lang+" head of the report", head, meaning, action, reply+" (smtp (mail.example.org:587))", next)
		if lang != "en" {
			if m, _ := cause.Explain("en", cause.LoginRefused); strings.Contains(text, m) {
				t.Errorf("%s: English %q in the report", lang, m)
			}
		}
		s := r.Summary()
		if s.Relay.State != "unavailable" || s.Relay.Cause != "login-refused" || s.Relay.Reply != reply || s.Relay.Since == nil ||
			!s.Relay.Since.Equal(clock) || s.Relay.NextAttempt == nil || !s.Relay.NextAttempt.Equal(clock.Add(5*time.Minute)) {
			t.Errorf("%s: the summary's relay %+v", lang, s.Relay)
		}
	}
	cfg.Log.Language = "en"

	// A chain that waits for its provider's daily limit: the body says
	// whose limit and when sending resumes, in the librarian's language.
	was := cfg.SMTP
	cfg.SMTP = &config.Server{Host: "smtp.office365.com", Auth: config.AuthOAuth2, OAuth: config.OAuth{Provider: config.ProviderMicrosoft}}
	resume := clock.Add(3 * time.Hour)
	tr.Down("smtp", string(cause.QuotaExceeded), "smtp (smtp.office365.com:587)",
		"550 5.4.5 Daily user sending quota exceeded", resume, health.LimitDaily)
	for lang, want := range map[string]string{
		"en": "Microsoft 365's daily limit reached; sending resumes at " + resume.In(loc).Format("15:04") + ".",
		"sv": "Dagsgränsen för Microsoft 365 är nådd; sändningen återupptas kl. " + resume.In(loc).Format("15:04") + ".",
	} {
		cfg.Log.Language = lang
		r := compose(daily.Inputs{})
		mustContain(t, lang+" limit report", r.Text(), want, "550 5.4.5 Daily user sending quota exceeded")
		if strings.Contains(r.Text(), "has been unavailable") {
			t.Errorf("%s: a limit is told as an unavailable relay:\n%s", lang, r.Text())
		}
	}
	cfg.Log.Language = "en"
	cfg.SMTP = was

	// Not running: that comes first, whatever the record says.
	if r := compose(daily.Inputs{NotRunning: true}); r.AllWell() || r.Subject() != "spoolgate "+date+": SPOOLGATE IS NOT RUNNING — 1 sent" {
		t.Errorf("not running: %q", r.Subject())
	}

	// Available again; then a file no pattern takes, and a deferred file
	// that has waited for hours, are each a warning.
	tr.Up("smtp")
	if r := compose(daily.Inputs{}); !r.AllWell() {
		t.Errorf("relay available again: %q", r.Subject())
	}
	old := time.Now().Add(-5 * time.Hour)
	for name, shown := range map[string]string{"notes.txt": "notes.txt (5 h 0 min)", "late.eml.test-l1.deferred": "late.eml to ?: 0 attempts since "} {
		path := filepath.Join(cfg.Spool.Folder, name)
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		r := compose(daily.Inputs{})
		if r.AllWell() || !strings.HasPrefix(r.Subject(), "spoolgate "+date+": 1 WARNING — ") {
			t.Errorf("with %s: %q", name, r.Subject())
		}
		mustContain(t, "the report", r.Text(), shown)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCompose_TokenFailureInTheReadersLanguage: a chain down because its
// client secret expired (cause oauth-secret-expired, as the relay records
// it) is explained in the report's language, from the cause, beside the
// provider's own words; no English explanation creeps in through the
// reply.
func TestCompose_TokenFailureInTheReadersLanguage(t *testing.T) {
	cfg := newConfig(t, nil)
	j := openJournal(t, cfg)
	day := time.Now().In(cfg.Service.Location)
	clock := time.Now().Add(-time.Hour).Truncate(time.Minute)
	tr := health.NewTracker(cfg.Spool.Data, cfg.Spool.Instance, []string{"smtp"}, func() time.Time { return clock })
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	reply := "token endpoint login.microsoftonline.com: invalid_client: AADSTS7000222: The provided client secret keys for app '5f1c' are expired."
	tr.Down("smtp", string(cause.OAuthSecretExpired), "smtp (smtp.office365.com:587)", reply, clock.Add(5*time.Minute), "")
	enMeaning, enAction := cause.Explain("en", cause.OAuthSecretExpired)
	for _, lang := range []string{"sv", "nb", "pl", "cs", "ru", "en"} {
		cfg.Log.Language = lang
		r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{Journal: j})
		if err != nil {
			t.Fatal(err)
		}
		text := r.Text()
		meaning, action := cause.Explain(lang, cause.OAuthSecretExpired)
		mustContain(t, lang+" report", text, meaning, action, "AADSTS7000222: The provided client secret keys", "(smtp (smtp.office365.com:587))")
		if !strings.Contains(r.Subject(), "("+cause.Label(lang, cause.OAuthSecretExpired)+")") {
			t.Errorf("%s: subject %q does not name the cause", lang, r.Subject())
		}
		if s := r.Summary(); s.Relay.Cause != "oauth-secret-expired" || s.Relay.Reply != reply {
			t.Errorf("%s: the summary's relay %+v", lang, s.Relay)
		}
		if lang == "en" {
			continue
		}
		for _, en := range []string{enMeaning, enAction, "Microsoft Entra admin center, open"} {
			if strings.Contains(text, en) {
				t.Errorf("%s: English %q in the report:\n%s", lang, en, text)
			}
		}
	}
	cfg.Log.Language = "sv"
	r, err := daily.Compose(context.Background(), cfg, day, daily.Inputs{Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "sv report", r.Text(), "Appens klienthemlighet har gått ut.", "skapa en ny klienthemlighet")
}
