package daily

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/notice"
)

var verb = regexp.MustCompile(`%(\[\d\])?[a-z]`)

// verbs lists the formatting verbs of s, in order.
func verbs(s string) []string { return verb.FindAllString(s, -1) }

func TestTexts_EveryLanguageIsComplete(t *testing.T) {
	en := reflect.ValueOf(*languages["en"])
	for _, lang := range notice.Languages() {
		tx, ok := languages[lang]
		if !ok {
			t.Errorf("no texts for %s", lang)
			continue
		}
		v := reflect.ValueOf(*tx)
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			f, ef := v.Field(i), en.Field(i)
			switch f.Kind() {
			case reflect.String:
				if f.String() == "" {
					t.Errorf("%s: %s is empty", lang, name)
				}
				if g, w := verbs(f.String()), verbs(ef.String()); !slices.Equal(g, w) {
					t.Errorf("%s: %s = %q has verbs %v; English has %v", lang, name, f.String(), g, w)
				}
			case reflect.Slice:
				forms := f.Interface().([]string)
				if _, err := notice.Plural(lang, 1, forms...); err != nil {
					t.Errorf("%s: %s: %v", lang, name, err)
				}
				for _, s := range forms {
					if g, w := verbs(s), verbs(ef.Index(0).String()); !slices.Equal(g, w) {
						t.Errorf("%s: %s form %q has verbs %v; English has %v", lang, name, s, g, w)
					}
				}
			}
		}
		for _, k := range kinds {
			if tx.KindLabel[k] == "" || tx.KindOne[k] == "" {
				t.Errorf("%s: kind %q has no label or name", lang, k)
			}
		}
		for _, k := range notice.Kinds() {
			if _, err := notice.Plural(lang, 1, tx.NoticeN[k]...); err != nil {
				t.Errorf("%s: NoticeN[%s]: %v", lang, k, err)
			}
			for _, s := range tx.NoticeN[k] {
				if !slices.Equal(verbs(s), []string{"%d"}) {
					t.Errorf("%s: NoticeN[%s] form %q: want one %%d", lang, k, s)
				}
			}
		}
		for _, c := range causes {
			why := tx.Causes[c]
			if why[0] == "" || (why[1] == "") != (c == "file") {
				t.Errorf("%s: cause %s: %q", lang, c, why)
			}
		}
	}
}

// fullReport has something in every section, every cause of failure and
// every kind of warning.
func fullReport(lang string) *Report {
	loc := time.FixedZone("CET", 3600)
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, loc)
	cfg := &config.Config{
		File:    "/etc/spoolgate/spoolgate.ini",
		Log:     config.Log{Daily: true, DailyAt: config.Clock{Hour: 23, Minute: 55}, Language: lang},
		Overdue: config.Overdue{Enabled: true, StaleAfter: 48 * time.Hour},
	}
	r := &Report{
		Day: day, Lang: lang, Made: day.Add(23*time.Hour + 55*time.Minute), Host: "LIBSRV01",
		Figures: map[string]*Counts{
			"": {Sent: 100, Deferred: 1, Failed: 1}, "overdue": {Sent: 20, Failed: 1}, "warning": {Sent: 21},
			"reminder": {Sent: 2}, "test": {Sent: 1}, "custom": {Sent: 1},
		},
		Total: Counts{Sent: 145, Deferred: 1, Failed: 2},
		Notices: &NoticeSummary{
			Queued: map[string]int{"warning": 21, "overdue": 22, "reminder": 5},
			Skipped: []SkippedPatron{
				{PatronID: "1234", Name: "Anna Svensson", Kind: "overdue", Titles: []string{"Pippi Långstrump", "Mio, min Mio"}, Reason: SkipNoEmail},
				{PatronID: "88", Name: "Jan Kowalski", Kind: "warning", Titles: []string{"Lalka"}, Reason: SkipNotifyOff},
				{PatronID: "9", Name: "Ola Nordmann", Kind: "reminder", Titles: []string{"Sult"}, Reason: "guardian has no e-mail"},
			},
			Dropped:    []DroppedNotice{{PatronID: "77", Name: "Petr Novák", Kind: "overdue", Titles: []string{"Krakatit"}, Due: day.AddDate(0, 0, -5)}},
			RowErrors:  []RowError{{Line: 17, Reason: `bad due date "31/02"`}},
			LoansError: "",
		},
		Queue:   QueueHealth{Waiting: 3, Oldest: day.Add(23*time.Hour + 50*time.Minute), Deferred: 1, Bad: 4, LastSent: day.Add(23*time.Hour + 54*time.Minute)},
		LogPath: "/var/lib/spoolgate/log/spoolgate-2026-11-25.log",
		cfg:     cfg, loc: loc, t: languages[lang],
	}
	for i, c := range causes {
		f := Failure{Time: day.Add(time.Duration(9+i) * time.Hour), To: "patron" + c + "@example.org", File: "n" + c + ".eml",
			Subject: "Overdue", Kind: "overdue", Server: "smtp (mail.example.org:25)", Reply: "550 5.0.0 " + c, Cause: c}
		if c == "file" {
			f.To, f.Reply, f.Reason = "", "The file has no recipients.", "n"+c+".BAD.txt"
		}
		r.Failures = append(r.Failures, f)
	}
	r.warn("failover", r.plural(r.t.WFailover, 5), 5, "backup (mx2:25)", "smtp (mx1:25)")
	r.warn("certificate", r.t.WCertSoon, "smtp (mx1:25)", r.date(day.AddDate(0, 0, 10)), r.days(10*24*time.Hour))
	r.warn("certificate", r.t.WCertExpired, "backup (mx2:25)", r.date(day.AddDate(0, 0, -1)))
	r.warn("certificate-check", r.t.WCertCheck, "backup (mx2:25)", "dial: connection refused")
	r.warn("loans-missing", r.t.WLoansMissing, `C:\ILS\loans.csv`)
	r.warn("loans-old", r.t.WLoansOld, `C:\ILS\loans.csv`, r.dateTime(day.AddDate(0, 0, -3)))
	r.warn("loans-unreadable", r.t.WLoansStat, `C:\ILS\loans.csv`, "access denied")
	r.warn("rows", r.plural(r.t.WRowErrors, 1), 1)
	r.warn("loans-error", r.t.LoansErr, "file is locked")
	return r
}

func TestText_EveryLanguageRenders(t *testing.T) {
	english := fullReport("en").Text()
	for _, lang := range notice.Languages() {
		r := fullReport(lang)
		text, subject := r.Text(), r.Subject()
		for _, s := range []string{text, subject} {
			if strings.Contains(s, "%!") {
				t.Errorf("%s: a formatting error in:\n%s", lang, s)
			}
		}
		for _, c := range causes {
			if !strings.Contains(text, r.t.Causes[c][0]) || (c != "file" && !strings.Contains(text, r.t.Causes[c][1])) {
				t.Errorf("%s: the text does not explain cause %s", lang, c)
			}
		}
		for _, want := range []string{"Anna Svensson", "Pippi Långstrump; Mio, min Mio", "Krakatit", "17", "LIBSRV01",
			"backup (mx2:25)", `C:\ILS\loans.csv`, "spoolgate-2026-11-25.log", "23:55", r.t.HFailures, r.t.HWarnings,
			notice.FormatDate(lang, r.Day), "guardian has no e-mail", r.t.ReasonNoEmail, r.t.ReasonNotifyOff} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the text lacks %q:\n%s", lang, want, text)
			}
		}
		if !strings.HasPrefix(subject, "spoolgate 2026-11-25: ") || !strings.Contains(subject, " — ") {
			t.Errorf("%s: subject %q", lang, subject)
		}
		if lang != "en" {
			for _, en := range []string{"What to do", "Needs attention", "The recipient's address", "Due-soon", "To print or phone"} {
				if strings.Contains(text, en) {
					t.Errorf("%s: English %q in the text:\n%s", lang, en, text)
				}
			}
			if text == english {
				t.Errorf("%s: the text is the English one", lang)
			}
		}
	}
}

func TestSubject_PluralForms(t *testing.T) {
	for _, tc := range []struct {
		lang                string
		sent, failed, print int
		warnings            int
		want                string
	}{
		{"en", 143, 2, 12, 0, "spoolgate 2026-11-25: 143 sent, 2 failed, 12 to print"},
		{"en", 143, 0, 0, 0, "spoolgate 2026-11-25: 143 sent, 0 failed — all well"},
		{"en", 1, 1, 1, 1, "spoolgate 2026-11-25: 1 sent, 1 failed, 1 to print — 1 warning"},
		{"sv", 1, 2, 0, 2, "spoolgate 2026-11-25: 1 skickat, 2 misslyckade — 2 varningar"},
		{"nb", 5, 0, 0, 0, "spoolgate 2026-11-25: 5 sendt, 0 feilet — alt i orden"},
		{"pl", 22, 5, 3, 2, "spoolgate 2026-11-25: wysłano 22, 5 błędów, 3 do wydruku — 2 ostrzeżenia"},
		{"pl", 1, 1, 0, 12, "spoolgate 2026-11-25: wysłano 1, 1 błąd — 12 ostrzeżeń"},
		{"cs", 3, 4, 0, 0, "spoolgate 2026-11-25: odeslány 3, 4 chyby"},
		{"cs", 10, 0, 0, 0, "spoolgate 2026-11-25: odesláno 10, 0 chyb — vše v pořádku"},
		{"ru", 21, 22, 25, 1, "spoolgate 2026-11-25: отправлено 21, 22 ошибки, 25 для печати — 1 предупреждение"},
		{"ru", 11, 11, 0, 0, "spoolgate 2026-11-25: отправлено 11, 11 ошибок"},
	} {
		r := &Report{Day: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Lang: tc.lang, t: languages[tc.lang],
			Total: Counts{Sent: tc.sent}, Notices: &NoticeSummary{}}
		for range tc.failed {
			r.Failures = append(r.Failures, Failure{})
		}
		for range tc.print {
			r.Notices.Skipped = append(r.Notices.Skipped, SkippedPatron{})
		}
		for range tc.warnings {
			r.Warnings = append(r.Warnings, Warning{})
		}
		if got := r.Subject(); got != tc.want {
			t.Errorf("Subject = %q\n want   %q", got, tc.want)
		}
	}
}

func TestCause(t *testing.T) {
	for _, tc := range []struct{ reply, want string }{
		{"550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown", "no-such-address"},
		{"550 No such user here", "no-such-address"},
		{"553 5.1.3 bad address syntax", "bad-address"},
		{"554 5.7.1 <x@example.com>: Relay access denied", "relay-denied"},
		{"550 relaying denied", "relay-denied"},
		{"554 5.7.1 Message rejected as spam", "policy"},
		{"552 5.3.4 Message size exceeds fixed limit", "too-large"},
		{"552 5.2.2 Mailbox full", "mailbox-full"},
		{"553 5.6.7 SMTPUTF8 required", "content"},
		{"535 5.7.8 Authentication credentials invalid", "login"},
		{"451 4.7.1 Greylisted, try again later", "gave-up"},
		{"smtp (mail.example.org:25): dial: connection refused", "gave-up"},
		{"554 Transaction failed", "refused"},
		{"", "unknown"},
		{"something odd", "unknown"},
	} {
		if got := cause(tc.reply); got != tc.want {
			t.Errorf("cause(%q) = %s, want %s", tc.reply, got, tc.want)
		}
	}
}
