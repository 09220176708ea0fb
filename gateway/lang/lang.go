// Package lang names the languages spoolgate writes, and reads a language
// code the way a person or a library system writes it.
//
// The contract:
//   - spoolgate writes six languages, each known by its ISO 639-1 code: en
//     (English), sv (Swedish), nb (Norwegian Bokmål), pl (Polish), cs
//     (Czech) and ru (Russian). Codes lists them in that order, the order
//     in which they are listed to people and loaded. Every package that
//     writes text for people (the notices, the daily log) has its words for
//     each of these codes, keyed by the code.
//   - Parse reads a code as a config file, a loans export or a person
//     writes it: case and surrounding spaces are ignored; a region or
//     encoding after -, _ or . is dropped (sv-SE, sv_SE and pl_PL.UTF-8 are
//     sv and pl); the ISO 639-2 codes are accepted (eng, swe, nob or nor,
//     pol, ces or cze, rus); and no, Norwegian, is read as nb. It returns
//     one of Codes, or ok false for anything else: an empty code, a
//     language spoolgate does not write, or a language written as a word.
//   - Hint reads what people write for a language when they do not write a
//     code (english, svenska, polski, se, cz …), for a "did you mean" in an
//     error message. It never makes such a word valid.
//
// The package holds no translated text and no state; its functions return
// fresh values.
package lang

import "strings"

// codes are the languages spoolgate writes, in the order of Codes.
var codes = [...]string{"en", "sv", "nb", "pl", "cs", "ru"}

// aliases maps the other codes a library system uses (ISO 639-2, and the
// macrolanguage no) to one of codes.
var aliases = map[string]string{
	"eng": "en",
	"swe": "sv",
	"no":  "nb", "nob": "nb", "nor": "nb",
	"pol": "pl",
	"ces": "cs", "cze": "cs",
	"rus": "ru",
}

// hints maps what people write for a language spoolgate writes, but which
// is not a code of it, to the code.
var hints = map[string]string{
	"english": "en", "se": "sv", "swedish": "sv", "svenska": "sv",
	"norwegian": "nb", "norsk": "nb", "bokmål": "nb", "bokmal": "nb", "nn": "nb",
	"polish": "pl", "polski": "pl", "czech": "cs", "čeština": "cs", "cestina": "cs", "cz": "cs",
	"russian": "ru", "русский": "ru",
}

// Codes returns the codes of the languages spoolgate writes: en, sv, nb,
// pl, cs and ru, in that order. The slice is the caller's.
func Codes() []string { return append([]string(nil), codes[:]...) }

// Parse returns the code of the language spoolgate writes that code names,
// as the package documentation describes: "sv-SE" and "swe" give "sv",
// "no" gives "nb". ok is false for an empty or unknown code.
func Parse(code string) (lang string, ok bool) {
	c := strings.ToLower(strings.TrimSpace(code))
	if i := strings.IndexAny(c, "-_."); i >= 0 {
		c = c[:i]
	}
	if a, found := aliases[c]; found {
		c = a
	}
	for _, k := range codes {
		if c == k {
			return c, true
		}
	}
	return "", false
}

// Hint returns the code a person most likely meant by s, a word that is
// not a code (a language's name in English or in itself, or a country
// code such as se or cz), ignoring case and surrounding spaces. ok is
// false when s is no such word; Parse, not Hint, decides what is valid.
func Hint(s string) (lang string, ok bool) {
	lang, ok = hints[strings.ToLower(strings.TrimSpace(s))]
	return lang, ok
}
