package message

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/lang"
)

// sampleDetail is a Detail with every field set, so that a text that drops
// or misspells a placeholder shows.
func sampleDetail(id DetailID) Detail {
	return Detail{ID: id, Line: 7, Header: "Subject", Value: "bad value", Charset: "windows-1252", N: 12_900_000, Max: 10 << 20}
}

var placeholder = regexp.MustCompile(`\{[a-z]+\}`)

// literal matches what every language keeps as it is: the placeholders,
// header names, config keys, charsets, and the examples of a header line.
var literal = regexp.MustCompile(`\{[a-z]+\}|\[(spool|message)\] [a-z_]+|"(To|Subject): \.\.\."|\b(X-Sender|X-Receiver|Content-Type|From|To|UTF-8|NUL|SIZE|windows-1252|from_name|from)\b:?`)

// TestDetailTexts_Complete: every language of [log] language has a text
// for every detail; each names the same facts (placeholders) as the
// English; and none is a copy of the English once the names that stay
// literal are taken out.
func TestDetailTexts_Complete(t *testing.T) {
	var langs []string
	for l := range languages {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	want := slices.Sorted(slices.Values(lang.Codes()))
	if !slices.Equal(langs, want) {
		t.Errorf("languages = %v, want those of cause: %v", langs, want)
	}
	en := languages["en"]
	for _, lang := range lang.Codes() {
		w := languages[lang]
		if len(w.texts) != len(Details()) {
			t.Errorf("%s has %d texts; there are %d details", lang, len(w.texts), len(Details()))
		}
		if w.plural == nil || w.point == "" || slices.Contains(w.units[:], "") ||
			slices.Contains(w.bytes[:], "") || slices.Contains(w.chars[:], "") {
			t.Errorf("%s: how to write a count or a size is incomplete", lang)
		}
		for _, id := range Details() {
			s := w.texts[id]
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s detail %d: no text", lang, id)
				continue
			}
			got := placeholder.FindAllString(s, -1)
			wantPH := placeholder.FindAllString(en.texts[id], -1)
			slices.Sort(got)
			slices.Sort(wantPH)
			if !slices.Equal(slices.Compact(got), slices.Compact(wantPH)) {
				t.Errorf("%s detail %d names %v, English names %v: %q", lang, id, got, wantPH, s)
			}
			if lang != "en" && strip(s) == strip(en.texts[id]) {
				t.Errorf("%s detail %d is the English text: %q", lang, id, s)
			}
		}
	}
}

func strip(s string) string {
	return strings.Join(strings.Fields(literal.ReplaceAllString(s, " ")), " ")
}

// TestDetailText_Filled: every detail in every language renders with its
// placeholders filled: no placeholder, no fmt verb gone wrong (%!), and
// the facts themselves in the text.
func TestDetailText_Filled(t *testing.T) {
	for _, lang := range lang.Codes() {
		for _, id := range Details() {
			d := sampleDetail(id)
			s := d.Text(lang)
			if s == "" || strings.Contains(s, "%!") || placeholder.MatchString(s) || strings.ContainsAny(s, "{}") {
				t.Errorf("%s detail %d: unfilled: %q", lang, id, s)
			}
			tmpl := languages[lang].texts[id]
			for ph, fact := range map[string]string{"{line}": "7", "{header}": "Subject", "{value}": `"bad value"`, "{charset}": "windows-1252", "{max}": "10485760"} {
				if strings.Contains(tmpl, ph) && !strings.Contains(s, fact) {
					t.Errorf("%s detail %d: %s is not %q in %q", lang, id, ph, fact, s)
				}
			}
		}
	}
}

// TestDetailTexts_NoEnglish: the other languages' texts contain no English
// words once the literal names are taken out.
func TestDetailTexts_NoEnglish(t *testing.T) {
	english := regexp.MustCompile(`(?i)\b(the|and|is|not|of|this|that|has|have|no|must|cannot|once|too|long|before|with|message|relay|address|recipients?|file|line|header|field|bytes|characters?|allows|at most|set|check|add|shorten|empty|valid|e\.g)\b`)
	for _, lang := range lang.Codes() {
		if lang == "en" {
			continue
		}
		for _, id := range Details() {
			s := sampleDetail(id).Text(lang)
			s = strings.ReplaceAll(s, `"bad value"`, "")
			if w := english.FindString(literal.ReplaceAllString(s, "")); w != "" {
				t.Errorf("%s detail %d: English %q in %q", lang, id, w, s)
			}
		}
	}
}

func TestDetailText_Language(t *testing.T) {
	d := Detail{ID: NoRecipients}
	if got := d.Text("sv"); got != "filen har inga mottagare: lägg till en To:-rad eller X-Receiver:-rader" {
		t.Errorf("Text(sv) = %q", got)
	}
	en := d.Text("en")
	if en != "the file has no recipients: add a To: line or X-Receiver: lines" {
		t.Errorf("Text(en) = %q", en)
	}
	for _, lang := range []string{"", "de", "xx", " EN "} {
		if got := d.Text(lang); got != en {
			t.Errorf("Text(%q) = %q, want the English", lang, got)
		}
	}
	if got := d.Text(" PL "); got != "plik nie ma odbiorców: dodaj wiersz To: lub wiersze X-Receiver:" {
		t.Errorf("Text(\" PL \") = %q", got)
	}
	if got, want := (Detail{ID: numDetails + 3}).Text("cs"), (Detail{ID: NotAMessage}).Text("cs"); got != want {
		t.Errorf("an unknown detail is %q, want %q", got, want)
	}
}

// TestDetailText_Sizes: counts take the plural form of their language,
// sizes its decimal separator, and two sizes that read the same get the
// exact count.
func TestDetailText_Sizes(t *testing.T) {
	sizes := map[string]map[int64]string{
		"en": {1: "1 byte", 812: "812 bytes", 3584: "3.5 KB", 12_900_000: "12.3 MB", 1 << 30: "1 GB"},
		"sv": {1: "1 byte", 812: "812 byte", 3584: "3,5 KB", 12_900_000: "12,3 MB"},
		"nb": {812: "812 byte", 3584: "3,5 KB"},
		"pl": {1: "1 bajt", 2: "2 bajty", 5: "5 bajtów", 12: "12 bajtów", 22: "22 bajty", 21: "21 bajtów", 3584: "3,5 KB"},
		"cs": {1: "1 bajt", 3: "3 bajty", 5: "5 bajtů", 22: "22 bajtů", 3584: "3,5 KB"},
		"ru": {1: "1 байт", 2: "2 байта", 5: "5 байт", 11: "11 байт", 21: "21 байт", 23: "23 байта", 3584: "3,5 КБ", 12_900_000: "12,3 МБ"},
	}
	for lang, want := range sizes {
		for n, s := range want {
			if got := languages[lang].size(n); got != s {
				t.Errorf("%s size(%d) = %q, want %q", lang, n, got, s)
			}
		}
	}
	chars := map[string]map[int64]string{
		"pl": {999: "999 znaków", 1002: "1002 znaki", 1012: "1012 znaków"},
		"cs": {999: "999 znaků", 1002: "1002 znaků"},
		"ru": {999: "999 символов", 1001: "1001 символ", 1003: "1003 символа", 1011: "1011 символов"},
		"en": {999: "999 characters"},
	}
	for lang, want := range chars {
		for n, s := range want {
			if got := (Detail{ID: LineTooLong, Line: 3, N: n, Max: 998}).Text(lang); !strings.Contains(got, s) {
				t.Errorf("%s: %q lacks %q", lang, got, s)
			}
		}
	}
	d := Detail{ID: RelayTooLarge, N: 10<<20 + 1, Max: 10 << 20}
	if got, want := d.Text("en"), "the relay accepts at most 10 MB (SIZE 10485760); this message is 10 MB (10485761 bytes)"; got != want {
		t.Errorf("Text(en) = %q, want %q", got, want)
	}
	if got, want := d.Text("ru"), "почтовый сервер принимает не более 10 МБ (SIZE 10485760); размер этого сообщения — 10 МБ (10485761 байт)"; got != want {
		t.Errorf("Text(ru) = %q, want %q", got, want)
	}
}

// TestError_Words: the English of an *Error (its Reason and its Error)
// and its Text come from the one Detail; Text leaves out the underlying
// error, whose words are English.
func TestError_Words(t *testing.T) {
	_, err := Parse([]byte("Subject: nobody\r\n\r\nbody\r\n"), testOptions())
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse: %v, want an *Error", err)
	}
	if e.Detail.ID != NoRecipients || e.Cause != "no-recipients" {
		t.Errorf("Detail %+v, cause %q", e.Detail, e.Cause)
	}
	if e.Reason() != e.Detail.Text("en") || e.Error() != e.Reason() || e.Text("nb") != e.Detail.Text("nb") {
		t.Errorf("Reason %q, Error %q, Text(nb) %q", e.Reason(), e.Error(), e.Text("nb"))
	}

	_, err = Parse([]byte("To: <a@b@c>\r\n\r\nbody\r\n"), testOptions())
	if !errors.As(err, &e) {
		t.Fatalf("Parse: %v, want an *Error", err)
	}
	if e.Detail.ID != BadAddress || e.Cause != "bad-address" || e.Detail.Header != "To" || e.Detail.Line != 1 {
		t.Errorf("Detail %+v, cause %q", e.Detail, e.Cause)
	}
	if e.Err != nil && (!strings.HasSuffix(e.Error(), e.Err.Error()) || strings.Contains(e.Text("cs"), e.Err.Error())) {
		t.Errorf("Error %q, Text(cs) %q, Err %q", e.Error(), e.Text("cs"), e.Err)
	}
	if want := `adresa "<a@b@c>" v hlavičce To (řádek 1) není platná`; e.Text("cs") != want {
		t.Errorf("Text(cs) = %q, want %q", e.Text("cs"), want)
	}
}

// TestParse_RefusalDetails: each refusal of Parse carries its detail's ID
// and facts, and its cause.
func TestParse_RefusalDetails(t *testing.T) {
	opts := testOptions()
	big := opts
	big.MaxSize = 10
	utf8Only := opts
	utf8Only.Charset, utf8Only.Encoding = "utf-8", nil
	for _, tc := range []struct {
		raw   string
		opts  Options
		want  Detail
		cause string
	}{
		{"", opts, Detail{ID: EmptyFile}, ""},
		{"To: a@b.example\r\n\r\nlong enough\r\n", big, Detail{ID: FileTooLarge, N: 32, Max: 10}, "message-too-large"},
		{"To: a@b.example\r\n\r\nx\x00\r\n", opts, Detail{ID: NULBytes, Line: 3}, ""},
		{"Subject: \xe5\r\nTo: a@b.example\r\n\r\nx\r\n", utf8Only, Detail{ID: HeaderNotUTF8, Header: "Subject", Line: 1}, ""},
		{" folded\r\nTo: a@b.example\r\n\r\nx\r\n", opts, Detail{ID: Continuation, Line: 1}, ""},
		{"To: a@b.example\r\njunk\r\n\r\nx\r\n", opts, Detail{ID: NotAHeader, Line: 2, Value: "junk"}, ""},
		{"To: a@b.example\r\n\r\n" + strings.Repeat("x", 1000) + "\r\n", opts, Detail{ID: LineTooLong, Line: 3, N: 1000, Max: 998}, ""},
		{"To: a@b.example\r\n\r\n\xe5\r\n", utf8Only, Detail{ID: BodyNotUTF8}, ""},
		{"X-Sender: a@b.example, c@d.example\r\nTo: a@b.example\r\n\r\nx\r\n", opts, Detail{ID: SenderNotOne, Line: 1, Value: "a@b.example, c@d.example"}, "bad-address"},
		{"Subject: x\r\n\r\nx\r\n", opts, Detail{ID: NoRecipients}, "no-recipients"},
	} {
		_, err := Parse([]byte(tc.raw), tc.opts)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: %v, want an *Error", tc.raw, err)
			continue
		}
		if e.Detail != tc.want || e.Cause != tc.cause {
			t.Errorf("%q: Detail %+v, cause %q; want %+v, %q", tc.raw, e.Detail, e.Cause, tc.want, tc.cause)
		}
	}
}
