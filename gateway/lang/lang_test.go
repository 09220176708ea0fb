package lang

import (
	"strings"
	"testing"
)

func TestParse_Spellings(t *testing.T) {
	cases := map[string]string{
		"en": "en", "EN": "en", "en-GB": "en", "eng": "en",
		"sv": "sv", "sv-SE": "sv", "sv_SE": "sv", "swe": "sv", " SV ": "sv",
		"nb": "nb", "no": "nb", "nb-NO": "nb", "nob": "nb", "nor": "nb",
		"pl": "pl", "pol": "pl", "pl_PL.UTF-8": "pl",
		"cs": "cs", "cze": "cs", "ces": "cs", "cs-CZ": "cs",
		"ru": "ru", "rus": "ru", "ru-RU": "ru",
	}
	for in, want := range cases {
		if got, ok := Parse(in); !ok || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", " ", "-", "de", "fi", "nn-x", "english", "svenska", "se", "sv SE"} {
		if got, ok := Parse(in); ok {
			t.Errorf("Parse(%q) = %q, want not ok", in, got)
		}
	}
}

func TestCodes_OrderAndCopy(t *testing.T) {
	if got := strings.Join(Codes(), ","); got != "en,sv,nb,pl,cs,ru" {
		t.Errorf("Codes() = %s", got)
	}
	c := Codes()
	c[0] = "xx"
	if Codes()[0] != "en" {
		t.Error("changing the slice Codes returned changed the package's list")
	}
	// Every code reads as itself, and every alias and hint leads to one.
	for _, code := range Codes() {
		if got, ok := Parse(code); !ok || got != code {
			t.Errorf("Parse(%q) = %q, %v", code, got, ok)
		}
	}
	for from, to := range aliases {
		if got, ok := Parse(to); !ok || got != to {
			t.Errorf("alias %s leads to %q, which is not a code", from, to)
		}
	}
	for from, to := range hints {
		if got, ok := Parse(to); !ok || got != to {
			t.Errorf("hint %s leads to %q, which is not a code", from, to)
		}
		if _, ok := Parse(from); ok {
			t.Errorf("hint %s is itself a code; a hint is for what is not", from)
		}
	}
}

func TestHint(t *testing.T) {
	cases := map[string]string{
		"english": "en", "Swedish": "sv", "svenska": "sv", "SE": "sv", " norsk ": "nb", "bokmål": "nb",
		"nn": "nb", "polski": "pl", "cz": "cs", "čeština": "cs", "русский": "ru",
	}
	for in, want := range cases {
		if got, ok := Hint(in); !ok || got != want {
			t.Errorf("Hint(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "sv", "de", "german", "klingon"} {
		if got, ok := Hint(in); ok {
			t.Errorf("Hint(%q) = %q, want not ok", in, got)
		}
	}
}
