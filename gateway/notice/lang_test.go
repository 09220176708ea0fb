package notice

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // named zones under wine and on bare Windows

	"github.com/spoolgate/spoolgate/gateway/lang"
)

func TestPlural_Rules(t *testing.T) {
	two := []string{"one", "other"}
	three := []string{"one", "few", "many"}
	cases := map[string]struct {
		forms []string
		want  map[int]string
	}{
		"en": {two, map[int]string{0: "other", 1: "one", 2: "other", 5: "other", 11: "other", 21: "other", -1: "one"}},
		"sv": {two, map[int]string{0: "other", 1: "one", 2: "other", 21: "other", 101: "other"}},
		"nb": {two, map[int]string{0: "other", 1: "one", 3: "other", 21: "other"}},
		"pl": {three, map[int]string{
			0: "many", 1: "one", 2: "few", 3: "few", 4: "few", 5: "many", 11: "many",
			12: "many", 13: "many", 14: "many", 21: "many", 22: "few", 24: "few", 25: "many",
			101: "many", 102: "few", 112: "many", 122: "few", -3: "few",
		}},
		"cs": {three, map[int]string{
			0: "many", 1: "one", 2: "few", 3: "few", 4: "few", 5: "many", 11: "many",
			21: "many", 22: "many", 24: "many", 101: "many",
		}},
		"ru": {three, map[int]string{
			0: "many", 1: "one", 2: "few", 4: "few", 5: "many", 11: "many", 12: "many",
			14: "many", 19: "many", 20: "many", 21: "one", 22: "few", 25: "many",
			101: "one", 111: "many", 112: "many", 122: "few", 1001: "one",
		}},
	}
	for lang, c := range cases {
		for n, want := range c.want {
			got, err := Plural(lang, n, c.forms...)
			if err != nil {
				t.Fatalf("%s %d: %v", lang, n, err)
			}
			if got != want {
				t.Errorf("Plural(%s, %d) = %q, want %q", lang, n, got, want)
			}
		}
	}
	// The real words, as the templates use them.
	words := []struct {
		lang  string
		n     int
		forms []string
		want  string
	}{
		{"pl", 1, []string{"pozycja", "pozycje", "pozycji"}, "pozycja"},
		{"pl", 3, []string{"pozycja", "pozycje", "pozycji"}, "pozycje"},
		{"pl", 5, []string{"pozycja", "pozycje", "pozycji"}, "pozycji"},
		{"pl", 13, []string{"pozycja", "pozycje", "pozycji"}, "pozycji"},
		{"pl", 23, []string{"pozycja", "pozycje", "pozycji"}, "pozycje"},
		{"cs", 4, []string{"výpůjčka", "výpůjčky", "výpůjček"}, "výpůjčky"},
		{"cs", 24, []string{"výpůjčka", "výpůjčky", "výpůjček"}, "výpůjček"},
		{"ru", 21, []string{"издание", "издания", "изданий"}, "издание"},
		{"ru", 23, []string{"издание", "издания", "изданий"}, "издания"},
		{"ru", 13, []string{"издание", "издания", "изданий"}, "изданий"},
	}
	for _, w := range words {
		if got, _ := Plural(w.lang, w.n, w.forms...); got != w.want {
			t.Errorf("Plural(%s, %d) = %q, want %q", w.lang, w.n, got, w.want)
		}
	}
}

func TestPlural_WrongNumberOfForms(t *testing.T) {
	if _, err := Plural("pl", 2, "pozycja", "pozycje"); err == nil || !strings.Contains(err.Error(), "needs 3 plural forms") {
		t.Errorf("pl with 2 forms: err = %v, want one saying it needs 3 forms", err)
	}
	if _, err := Plural("en", 2, "a", "b", "c"); err == nil || !strings.Contains(err.Error(), "needs 2 plural forms") {
		t.Errorf("en with 3 forms: err = %v, want one saying it needs 2 forms", err)
	}
	if _, err := Plural("de", 2, "a", "b"); err == nil {
		t.Error("an unknown language gave no error")
	}
}

func TestFormatDate_PerLanguage(t *testing.T) {
	nov := time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC)
	jan := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		lang     string
		nov, jan string
		weekday  string // of 28 November 2026, a Saturday
	}{
		{"en", "28 November 2026", "5 January 2027", "Saturday"},
		{"sv", "28 november 2026", "5 januari 2027", "lördag"},
		{"nb", "28. november 2026", "5. januar 2027", "lørdag"},
		{"pl", "28 listopada 2026", "5 stycznia 2027", "sobota"},
		{"cs", "28. listopadu 2026", "5. ledna 2027", "sobota"},
		{"ru", "28 ноября 2026 г.", "5 января 2027 г.", "суббота"},
	}
	for _, c := range cases {
		if got := FormatDate(c.lang, nov); got != c.nov {
			t.Errorf("FormatDate(%s, 28 Nov) = %q, want %q", c.lang, got, c.nov)
		}
		if got := FormatDate(c.lang, jan); got != c.jan {
			t.Errorf("FormatDate(%s, 5 Jan) = %q, want %q", c.lang, got, c.jan)
		}
		if got := FormatWeekday(c.lang, nov); got != c.weekday {
			t.Errorf("FormatWeekday(%s, 28 Nov) = %q, want %q", c.lang, got, c.weekday)
		}
	}
	if got := FormatDate("de", nov); got != "2026-11-28" {
		t.Errorf("FormatDate(de) = %q, want ISO 2026-11-28", got)
	}
	// The date is the one in t's own location, not UTC's.
	oslo := time.FixedZone("CET", 3600)
	if got := FormatDate("nb", time.Date(2026, 11, 28, 0, 30, 0, 0, oslo)); got != "28. november 2026" {
		t.Errorf("FormatDate in CET just after midnight = %q", got)
	}
	// Every month, so a typo in a table shows.
	wantMonths := map[string][]string{
		"pl": {"stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada", "grudnia"},
		"cs": {"ledna", "února", "března", "dubna", "května", "června", "července", "srpna", "září", "října", "listopadu", "prosince"},
		"ru": {"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"},
	}
	for lang, months := range wantMonths {
		for i, m := range months {
			got := FormatDate(lang, time.Date(2026, time.Month(i+1), 1, 12, 0, 0, 0, time.UTC))
			if !strings.Contains(got, " "+m+" ") {
				t.Errorf("FormatDate(%s, month %d) = %q, want the month %q", lang, i+1, got, m)
			}
		}
	}
}

// TestLanguages_OnePerCode: the dates, weekdays and plural rules cover
// exactly the languages spoolgate writes (package lang), so Load finds
// every language it is asked for and knows no other.
func TestLanguages_OnePerCode(t *testing.T) {
	codes := lang.Codes()
	if len(languages) != len(codes) {
		t.Errorf("%d languages here, %d codes in package lang (%s)", len(languages), len(codes), strings.Join(codes, ", "))
	}
	for _, code := range codes {
		l, ok := languages[code]
		if !ok {
			t.Errorf("no language %s", code)
			continue
		}
		if l.code != code {
			t.Errorf("languages[%s].code = %s", code, l.code)
		}
	}
}

func TestDaysBetween_AcrossDST(t *testing.T) {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		a, b time.Time
		want int
	}{
		// 29 March 2026 has 23 hours in Stockholm; 25 October 2026 has 25.
		{time.Date(2026, 3, 28, 6, 30, 0, 0, stockholm), time.Date(2026, 3, 31, 0, 0, 0, 0, stockholm), 3},
		{time.Date(2026, 3, 29, 23, 59, 0, 0, stockholm), time.Date(2026, 3, 30, 0, 1, 0, 0, stockholm), 1},
		{time.Date(2026, 10, 24, 6, 30, 0, 0, stockholm), time.Date(2026, 10, 27, 23, 0, 0, 0, stockholm), 3},
		{time.Date(2026, 11, 25, 6, 30, 0, 0, stockholm), time.Date(2026, 11, 24, 0, 0, 0, 0, stockholm), -1},
		{time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 1},
		{time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 23, 59, 0, 0, time.UTC), 0},
	}
	for _, c := range cases {
		if got := DaysBetween(c.a, c.b); got != c.want {
			t.Errorf("DaysBetween(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
