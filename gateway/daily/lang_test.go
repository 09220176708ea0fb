package daily

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/lang"
	"github.com/spoolgate/spoolgate/gateway/notice"
)

var verb = regexp.MustCompile(`%(\[\d\])?[a-z]`)

// verbs lists the formatting verbs of s, in order.
func verbs(s string) []string { return verb.FindAllString(s, -1) }

func TestTexts_EveryLanguageIsComplete(t *testing.T) {
	en := reflect.ValueOf(*languages["en"])
	for _, lang := range lang.Codes() {
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
			"": {Sent: 100, Deferred: 1}, "overdue": {Sent: 20, Failed: len(cause.All())}, "warning": {Sent: 21},
			"reminder": {Sent: 2}, "test": {Sent: 1}, "custom": {Sent: 1},
		},
		Total:   Counts{Sent: 145, Deferred: 1},
		Running: true, Relay: RelayHealth{Relay: health.Relay{Chain: "smtp", State: health.Available}, Recorded: true},
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
	for i, c := range cause.All() {
		f := Failure{Time: day.Add(time.Duration(i)*20*time.Minute + 9*time.Hour), To: "patron-" + string(c) + "@example.org",
			File: "n-" + string(c) + ".eml", Subject: "Overdue", Kind: "overdue", Server: "smtp (mail.example.org:25)",
			Reply: "550 5.0.0 refused: " + string(c), Cause: c, Bad: "n-" + string(c) + ".BAD"}
		switch c {
		case cause.NoRecipients, cause.NotAMessage:
			// Refused by spoolgate itself, before any recipient was
			// known: its words are English, and a technical detail.
			f.To, f.Server, f.Reply = "", "", "message: no recipients (To, Cc, Bcc and X-Recipient are empty)"
		case cause.MailboxFull:
			f.Bad = "" // partly sent: no .BAD file
		}
		r.Failures = append(r.Failures, f)
	}
	r.Total.Failed = len(r.Failures)
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
	for _, lang := range lang.Codes() {
		r := fullReport(lang)
		text, subject := r.Text(), r.Subject()
		for _, s := range []string{text, subject} {
			if strings.Contains(s, "%!") {
				t.Errorf("%s: a formatting error in:\n%s", lang, s)
			}
		}
		for _, c := range cause.All() {
			meaning, action := cause.Explain(lang, c)
			if !strings.Contains(text, meaning) || !strings.Contains(text, action) {
				t.Errorf("%s: the text does not explain cause %s", lang, c)
			}
			if lang == "en" {
				continue
			}
			// Nothing of English's explanation in another language.
			enMeaning, enAction := cause.Explain("en", c)
			for _, en := range []string{enMeaning, enAction} {
				if strings.Contains(text, en) {
					t.Errorf("%s: English %q in the text", lang, en)
				}
			}
		}
		for _, want := range []string{"550 5.0.0 refused: address-unknown (smtp (mail.example.org:25))",
			r.t.LDetail + " message: no recipients", "spoolgate retry n-no-recipients.BAD", "spoolgate retry n-address-unknown.BAD"} {
			if !strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(strings.Fields(want), " ")) {
				t.Errorf("%s: the text lacks %q:\n%s", lang, want, text)
			}
		}
		if strings.Contains(text, "spoolgate retry n-mailbox-full.BAD") {
			t.Errorf("%s: a retry for a failure that has no .BAD file", lang)
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
			for _, en := range []string{"What to do", "Needs attention", "The recipient's address", "Due-soon", "To print or phone",
				"Technical detail", "Send again", "once the cause is fixed", "Counted by recipient"} {
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
		{"en", 143, 2, 12, 0, "spoolgate 2026-11-25: 2 FAILED — 143 sent, 12 to print"},
		{"en", 143, 0, 0, 0, "spoolgate 2026-11-25: all well — 143 sent, 0 failed"},
		{"en", 1, 1, 1, 1, "spoolgate 2026-11-25: 1 FAILED — 1 sent, 1 to print, 1 warning"},
		{"en", 1, 0, 0, 2, "spoolgate 2026-11-25: 2 WARNINGS — 1 sent"},
		{"sv", 1, 2, 0, 2, "spoolgate 2026-11-25: 2 MISSLYCKADE — 1 skickat, 2 varningar"},
		{"nb", 5, 0, 0, 0, "spoolgate 2026-11-25: alt i orden — 5 sendt, 0 feilet"},
		{"pl", 22, 5, 3, 2, "spoolgate 2026-11-25: 5 BŁĘDÓW — wysłano 22, 3 do wydruku, 2 ostrzeżenia"},
		{"pl", 1, 1, 0, 12, "spoolgate 2026-11-25: 1 BŁĄD — wysłano 1, 12 ostrzeżeń"},
		{"cs", 3, 4, 0, 0, "spoolgate 2026-11-25: 4 CHYBY — odeslány 3"},
		{"cs", 10, 0, 0, 0, "spoolgate 2026-11-25: vše v pořádku — odesláno 10, 0 chyb"},
		{"ru", 21, 22, 25, 1, "spoolgate 2026-11-25: 22 ОШИБКИ — отправлено 21, 25 для печати, 1 предупреждение"},
		{"ru", 11, 11, 0, 0, "spoolgate 2026-11-25: 11 ОШИБОК — отправлено 11"},
	} {
		r := &Report{Day: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Lang: tc.lang, t: languages[tc.lang],
			Total: Counts{Sent: tc.sent, Failed: tc.failed}, Notices: &NoticeSummary{},
			Running: true, Relay: RelayHealth{Relay: health.Relay{State: health.Available}, Recorded: true}}
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

// The subject says all is well only when it is, and otherwise leads with
// what most needs attention: a gateway that is not running, then an
// unavailable relay, then a relay whose state nobody recorded, then
// failures, then warnings.
func TestSubject_AllWellOnlyWhenItIs(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, loc)
	down := RelayHealth{Recorded: true, Relay: health.Relay{Chain: "smtp", State: health.Unavailable,
		Since: day.Add(14*time.Hour + 2*time.Minute), Cause: string(cause.LoginRefused), Server: "smtp (mail.example.org:587)",
		Reply: "535 5.7.8 Error: authentication failed", NextAttempt: day.Add(14*time.Hour + 7*time.Minute)}}
	up := RelayHealth{Recorded: true, Relay: health.Relay{Chain: "smtp", State: health.Available, Since: day}}
	unknown := RelayHealth{Recorded: true, Relay: health.Relay{Chain: "smtp", State: health.Unknown}}
	for _, tc := range []struct {
		name    string
		lang    string
		running bool
		relay   RelayHealth
		failed  int
		warn    bool
		waiting int
		allWell bool
		want    string
	}{
		{"well", "en", true, up, 0, false, 0, true, "spoolgate 2026-12-02: all well — 12 sent, 0 failed"},
		{"nothing tried since the start", "en", true, unknown, 0, false, 0, true, "spoolgate 2026-12-02: all well — 12 sent, 0 failed"},
		{"relay down", "en", true, down, 0, false, 41, false,
			"spoolgate 2026-12-02: RELAY UNAVAILABLE since 14:02 (" + cause.Label("en", cause.LoginRefused) + ") — 12 sent, 41 waiting"},
		{"relay down, and failures", "sv", true, down, 2, true, 41, false,
			"spoolgate 2026-12-02: E-POSTSERVERN OTILLGÄNGLIG sedan 14:02 (" + cause.Label("sv", cause.LoginRefused) + ") — 12 skickade, 2 misslyckade, 41 väntar, 1 varning"},
		{"relay down", "ru", true, down, 0, false, 41, false,
			"spoolgate 2026-12-02: ПОЧТОВЫЙ СЕРВЕР НЕДОСТУПЕН с 14:02 (" + cause.Label("ru", cause.LoginRefused) + ") — отправлено 12, 41 ожидает"},
		{"not running", "en", false, up, 0, false, 3, false, "spoolgate 2026-12-02: SPOOLGATE IS NOT RUNNING — 12 sent, 3 waiting"},
		{"not running, relay down", "sv", false, down, 0, false, 0, false, "spoolgate 2026-12-02: SPOOLGATE KÖRS INTE — 12 skickade"},
		{"no health record", "en", true, RelayHealth{}, 0, false, 0, false, "spoolgate 2026-12-02: RELAY STATE UNKNOWN — 12 sent"},
		{"failures", "en", true, up, 1, false, 0, false, "spoolgate 2026-12-02: 1 FAILED — 12 sent"},
		{"stuck", "en", true, up, 0, true, 2, false, "spoolgate 2026-12-02: 1 WARNING — 12 sent, 2 waiting"},
	} {
		r := &Report{Day: day, Lang: tc.lang, t: languages[tc.lang], loc: loc, Running: tc.running, Relay: tc.relay,
			Total: Counts{Sent: 12, Failed: tc.failed}, Queue: QueueHealth{Waiting: tc.waiting}}
		for range tc.failed {
			r.Failures = append(r.Failures, Failure{})
		}
		if tc.warn {
			r.Warnings = append(r.Warnings, Warning{Kind: "repeated"})
		}
		if got := r.Subject(); got != tc.want || r.AllWell() != tc.allWell {
			t.Errorf("%s: Subject = %q, AllWell %v\n want      %q, %v", tc.name, got, r.AllWell(), tc.want, tc.allWell)
		}
		if s := r.Summary(); s.AllWell != tc.allWell || s.Subject != r.Subject() || s.Running != tc.running {
			t.Errorf("%s: Summary all_well %v, running %v, subject %q", tc.name, s.AllWell, s.Running, s.Subject)
		}
	}
}

// The body starts with the relay's health when it is not available: the
// cause's text in the report's language, the relay's reply verbatim, and
// the next attempt.
func TestText_RelayHealthFirst(t *testing.T) {
	for _, lang := range lang.Codes() {
		r := fullReport(lang)
		since := r.Day.Add(14*time.Hour + 2*time.Minute)
		r.Relay = RelayHealth{Recorded: true, Relay: health.Relay{Chain: "smtp", State: health.Unavailable, Since: since,
			Cause: string(cause.LoginRefused), Server: "smtp (mail.example.org:587)",
			Reply: "535 5.7.8 Error: authentication failed", NextAttempt: since.Add(5 * time.Minute)}}
		text := r.Text()
		meaning, action := cause.Explain(lang, cause.LoginRefused)
		head := text[:strings.Index(text, r.t.HMessages)]
		for _, want := range []string{fmt.Sprintf(r.t.RelayDown, "14:02"), meaning, action,
			"535 5.7.8 Error: authentication failed (smtp (mail.example.org:587))", r.t.LNext, "14:07"} {
			if !strings.Contains(head, want) {
				t.Errorf("%s: the head of the text lacks %q:\n%s", lang, want, head)
			}
		}
		if lang != "en" {
			if m, _ := cause.Explain("en", cause.LoginRefused); strings.Contains(text, m) {
				t.Errorf("%s: English %q in the text", lang, m)
			}
		}
		r.Running = false
		if head := r.Text(); !strings.Contains(head[:strings.Index(head, r.t.HMessages)], r.t.NotRunning) {
			t.Errorf("%s: a report of a stopped gateway does not say so first:\n%s", lang, head)
		}
	}
}
