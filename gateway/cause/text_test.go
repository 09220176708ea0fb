package cause

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/lang"
)

// TestTexts_Complete: every cause has a label, a meaning and an action in
// every language, and no language copies another's text for a cause (an
// untranslated copy).
func TestTexts_Complete(t *testing.T) {
	if len(texts) != len(lang.Codes()) {
		t.Errorf("texts has %d languages, lang.Codes names %d", len(texts), len(lang.Codes()))
	}
	for _, lang := range lang.Codes() {
		ts, ok := texts[lang]
		if !ok {
			t.Errorf("no texts in %s", lang)
			continue
		}
		if len(ts) != len(All()) {
			t.Errorf("%s has texts for %d causes; there are %d", lang, len(ts), len(All()))
		}
		for _, c := range All() {
			x := ts[c]
			if strings.TrimSpace(x.label) == "" || strings.TrimSpace(x.meaning) == "" || strings.TrimSpace(x.action) == "" {
				t.Errorf("%s %s: a text is empty: %+v", lang, c, x)
			}
		}
	}
	for _, c := range All() {
		seen := map[string]string{}
		for _, lang := range lang.Codes() {
			x := texts[lang][c]
			for _, s := range []string{x.label, x.meaning, x.action} {
				if other, ok := seen[s]; ok {
					t.Errorf("%s: %s and %s share the text %q", c, other, lang, s)
				}
				seen[s] = lang
			}
		}
	}
}

// TestTexts_Form: a meaning and an action are sentences without numbers
// (the caller quotes the reply and any limit), a label is a few words
// without a full stop.
func TestTexts_Form(t *testing.T) {
	digit := regexp.MustCompile(`[0-9]`)
	for _, lang := range lang.Codes() {
		for _, c := range All() {
			x := texts[lang][c]
			for _, s := range []string{x.meaning, x.action} {
				if !strings.HasSuffix(s, ".") {
					t.Errorf("%s %s: %q does not end with a full stop", lang, c, s)
				}
			}
			if digit.MatchString(x.meaning) || digit.MatchString(x.label) {
				t.Errorf("%s %s: a number in %q or %q", lang, c, x.label, x.meaning)
			}
			if strings.HasSuffix(x.label, ".") || len(strings.Fields(x.label)) > 5 {
				t.Errorf("%s %s: label %q is not a few words", lang, c, x.label)
			}
		}
	}
}

// TestTexts_NoEnglish: the other languages' texts contain no English
// words, once the names spoolgate's config and commands use are taken
// out. ("send" and "sender" are Norwegian too.)
func TestTexts_NoEnglish(t *testing.T) {
	names := regexp.MustCompile(`\[[a-z]+\]( (username|password|from|helo|retry_for))?|spoolgate (check|retry|oauth login)|\b(username|password|security)\b|` +
		`Access and data control`) // a menu of the Google Admin console, which speaks English
	english := regexp.MustCompile(`(?i)\b(the|and|is|not|of|this|that|message|relay|address|recipient|ask|please|could|was|login|check|file|queue|mailbox|try|later)\b`)
	for _, lang := range lang.Codes() {
		if lang == "en" {
			continue
		}
		for _, c := range All() {
			x := texts[lang][c]
			for _, s := range []string{x.label, x.meaning, x.action} {
				if w := english.FindString(names.ReplaceAllString(s, "")); w != "" {
					t.Errorf("%s %s: English %q in %q", lang, c, w, s)
				}
			}
		}
	}
}

func TestExplain(t *testing.T) {
	m, a := Explain("sv", MailboxFull)
	if m != "Mottagarens brevlåda är full." || a == "" {
		t.Errorf("Explain(sv, mailbox-full) = %q, %q", m, a)
	}
	for _, lang := range []string{"", "de", "EN", "english"} {
		m, _ := Explain(lang, MailboxFull)
		if m != "The recipient's mailbox is full." {
			t.Errorf("Explain(%q, mailbox-full) = %q, want English", lang, m)
		}
	}
	if m, _ := Explain(" RU ", AddressUnknown); m != "Адрес получателя не существует." {
		t.Errorf("Explain(\" RU \", …) = %q", m)
	}
	m, a = Explain("pl", Cause("no-such-cause"))
	wm, wa := Explain("pl", Unknown)
	if m != wm || a != wa {
		t.Errorf("an unknown cause is not explained as unknown: %q, %q", m, a)
	}
	if Label("nb", Blocklisted) != "på en sperreliste" || Label("xx", Blocklisted) != "on a blocklist" {
		t.Errorf("Label = %q, %q", Label("nb", Blocklisted), Label("xx", Blocklisted))
	}
}

// TestLimitText: every language says who and when, and English reads as
// the librarian's example does.
func TestLimitText(t *testing.T) {
	if got := LimitText("en", "Microsoft 365", true, "06:12"); got != "Microsoft 365's daily limit reached; sending resumes at 06:12" {
		t.Errorf("en: %q", got)
	}
	for _, l := range lang.Codes() {
		for _, daily := range []bool{true, false} {
			got := LimitText(l, "Google Workspace", daily, "06:12")
			if !strings.Contains(got, "Google Workspace") || !strings.Contains(got, "06:12") || strings.Contains(got, "%!") {
				t.Errorf("%s daily=%v: %q", l, daily, got)
			}
			if l != "en" && got == LimitText("en", "Google Workspace", daily, "06:12") {
				t.Errorf("%s is not translated: %q", l, got)
			}
		}
	}
}
