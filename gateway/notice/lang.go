package notice

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// language holds what the templates of one language need beyond their text:
// how to write a date and a weekday, and which plural form a count takes.
type language struct {
	code     string
	name     string     // in English, for messages
	months   [12]string // the form used in a date ("listopada", not "listopad")
	weekdays [7]string  // Sunday first, as time.Weekday counts
	forms    []string   // the plural categories the language's rule returns, in order
	plural   func(n int) int
	date     func(l *language, t time.Time) string
}

// languages are the words and rules of each language spoolgate writes, by
// its code: one entry for each of lang.Codes (a test checks it).
var languages = map[string]*language{
	"en": {
		code: "en", name: "English",
		months:   [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		forms:    []string{"one", "other"},
		plural:   pluralOneOther,
		date:     dayMonthYear("", ""), // 28 November 2026: British order, unambiguous everywhere
	},
	"sv": {
		code: "sv", name: "Swedish",
		months:   [12]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"},
		weekdays: [7]string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"},
		forms:    []string{"one", "other"},
		plural:   pluralOneOther,
		date:     dayMonthYear("", ""), // 28 november 2026
	},
	"nb": {
		code: "nb", name: "Norwegian Bokmål",
		months:   [12]string{"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"},
		weekdays: [7]string{"søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"},
		forms:    []string{"one", "other"},
		plural:   pluralOneOther,
		date:     dayMonthYear(".", ""), // 28. november 2026
	},
	"pl": {
		code: "pl", name: "Polish",
		// Genitive: "28 listopada 2026".
		months:   [12]string{"stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada", "grudnia"},
		weekdays: [7]string{"niedziela", "poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota"},
		forms:    []string{"one", "few", "many"},
		plural:   pluralPolish,
		date:     dayMonthYear("", ""),
	},
	"cs": {
		code: "cs", name: "Czech",
		// Genitive: "28. listopadu 2026".
		months:   [12]string{"ledna", "února", "března", "dubna", "května", "června", "července", "srpna", "září", "října", "listopadu", "prosince"},
		weekdays: [7]string{"neděle", "pondělí", "úterý", "středa", "čtvrtek", "pátek", "sobota"},
		forms:    []string{"one", "few", "other"},
		plural:   pluralCzech,
		date:     dayMonthYear(".", ""),
	},
	"ru": {
		code: "ru", name: "Russian",
		// Genitive: "28 ноября 2026 г.".
		months:   [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"},
		weekdays: [7]string{"воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"},
		forms:    []string{"one", "few", "many"},
		plural:   pluralRussian,
		date:     dayMonthYear("", " г."),
	},
}

// Plural returns which of forms a count n takes in language lang, by the
// CLDR rules for whole numbers:
//   - en, sv, nb: forms are (one, other): 1 → one, anything else → other.
//   - pl: (one, few, many): 1 → one; 2–4, 22–24, 32–34, … but not 12–14 →
//     few; anything else (0, 5–21, 25–31, …) → many.
//   - cs: (one, few, other): 1 → one; 2–4 → few; anything else → other.
//   - ru: (one, few, many): n%10 = 1 and n%100 ≠ 11 → one; n%10 in 2–4 and
//     n%100 not in 12–14 → few; anything else → many.
//
// A negative n takes the form of its absolute value. It is an error when
// forms does not have exactly as many entries as the language has forms.
func Plural(lang string, n int, forms ...string) (string, error) {
	l, ok := languages[lang]
	if !ok {
		return "", fmt.Errorf("plural: unknown language %q", lang)
	}
	return l.pick(n, forms)
}

func (l *language) pick(n int, forms []string) (string, error) {
	if len(forms) != len(l.forms) {
		return "", fmt.Errorf("%s needs %d plural forms (%s), got %d",
			l.name, len(l.forms), strings.Join(l.forms, ", "), len(forms))
	}
	if n < 0 {
		n = -n
	}
	return forms[l.plural(n)], nil
}

func pluralOneOther(n int) int {
	if n == 1 {
		return 0
	}
	return 1
}

func pluralPolish(n int) int {
	switch {
	case n == 1:
		return 0
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return 1
	default:
		return 2
	}
}

func pluralCzech(n int) int {
	switch {
	case n == 1:
		return 0
	case n >= 2 && n <= 4:
		return 1
	default:
		return 2
	}
}

func pluralRussian(n int) int {
	switch {
	case n%10 == 1 && n%100 != 11:
		return 0
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return 1
	default:
		return 2
	}
}

// dayMonthYear writes "28<dot> <month> 2026<suffix>".
func dayMonthYear(dot, suffix string) func(*language, time.Time) string {
	return func(l *language, t time.Time) string {
		return strconv.Itoa(t.Day()) + dot + " " + l.months[t.Month()-1] + " " + strconv.Itoa(t.Year()) + suffix
	}
}

// FormatDate writes the calendar date of t (in t's own location) the way
// language lang writes dates in running text:
//
//	en  28 November 2026
//	sv  28 november 2026
//	nb  28. november 2026
//	pl  28 listopada 2026
//	cs  28. listopadu 2026
//	ru  28 ноября 2026 г.
//
// An unknown language gets ISO 8601, 2026-11-28.
func FormatDate(lang string, t time.Time) string {
	l, ok := languages[lang]
	if !ok {
		return t.Format("2006-01-02")
	}
	return l.date(l, t)
}

// FormatWeekday returns the name of t's weekday in language lang, as it is
// written inside a sentence ("Monday", "måndag", "poniedziałek").
func FormatWeekday(lang string, t time.Time) string {
	l, ok := languages[lang]
	if !ok {
		return t.Weekday().String()
	}
	return l.weekdays[t.Weekday()]
}

// DaysBetween returns the number of calendar days from the date of a to the
// date of b, each taken in its own location: 1 when b is the day after a,
// -1 when it is the day before. Hours and daylight-saving changes do not
// matter.
func DaysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	da := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}
