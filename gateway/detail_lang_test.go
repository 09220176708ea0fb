package gateway

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/message"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"

	"github.com/spoolgate/spoolgate/gateway/lang"
)

// badText reads the part of name.BAD.txt that people read: everything
// before the block spool keeps for itself.
func badText(t *testing.T, folder, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(folder, name+spool.SuffixReason))
	if err != nil {
		t.Fatal(err)
	}
	s, _, _ := strings.Cut(string(b), "-- spoolgate --")
	return s
}

// englishWords are the words of an English text that another language
// must not show: those of three letters or more, but for the names that
// stay as they are (To:, X-Receiver:, [spool] max_size, SIZE).
func englishWords(s string) []string {
	literal := regexp.MustCompile(`\[[a-z]+\] [a-z_]+|\b(To|X-Receiver|SIZE|KB|MB|GB)\b|[0-9.,]+`)
	return regexp.MustCompile(`[A-Za-z]{3,}`).FindAllString(literal.ReplaceAllString(s, " "), -1)
}

// checkNoEnglish fails when text holds a word of english.
func checkNoEnglish(t *testing.T, text, english string) {
	t.Helper()
	for _, w := range englishWords(english) {
		if regexp.MustCompile(`(?i)\b` + w + `\b`).MatchString(text) {
			t.Errorf("the English word %q of %q is in:\n%s", w, english, text)
		}
	}
}

// A file with no recipients, under [log] language = sv: the .BAD.txt
// file and the journal (which the daily log reads) carry the Swedish
// detail, and the .BAD.txt no English word of the English one.
func TestLanguage_NoRecipientsDetailInSwedish(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.Log.Language = "sv"
	drop(t, cfg, "norcpt.eml", []byte("Subject: Ingen\r\n\r\nHej\r\n"))
	r := start(t, cfg)
	waitFor(t, "norcpt.BAD.txt", func() bool { return exists(cfg, "norcpt"+spool.SuffixReason) })
	r.stop()

	d := message.Detail{ID: message.NoRecipients}
	sv, en := d.Text("sv"), d.Text("en")
	text := badText(t, cfg.Spool.Folder, "norcpt")
	if !strings.Contains(text, sv) {
		t.Errorf(".BAD.txt lacks the Swedish detail %q:\n%s", sv, text)
	}
	if strings.Contains(text, "the file has no recipients") {
		t.Errorf(".BAD.txt has the English detail:\n%s", text)
	}
	checkNoEnglish(t, text, en)
	if m, _ := cause.Explain("sv", cause.NoRecipients); !strings.Contains(text, m) {
		t.Errorf(".BAD.txt lacks the Swedish cause %q:\n%s", m, text)
	}

	recs, err := openJournal(t, cfg).Query(journal.Filter{Status: journal.StatusFailed})
	if err != nil || len(recs) != 1 {
		t.Fatalf("Query(failed) = %+v, %v", recs, err)
	}
	if recs[0].Reply != sv || recs[0].Cause != string(cause.NoRecipients) {
		t.Errorf("journal: reply %q, cause %q; want %q, no-recipients", recs[0].Reply, recs[0].Cause, sv)
	}
	// The log file stays English.
	if !strings.Contains(r.log.String(), "the file has no recipients") {
		t.Errorf("the log lacks the English detail:\n%s", r.log.String())
	}
}

// A file over [spool] max_size, refused before it is read, under
// [log] language = pl: the same Polish words as Parse's for it.
func TestLanguage_MaxSizeDetailInPolish(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.Log.Language = "pl"
	cfg.Spool.MaxSize = 10 << 10
	data := append(msg("a@example.net", "big"), bytes.Repeat([]byte("0123456789abcdef\r\n"), 1000)...)
	drop(t, cfg, "big.eml", data)
	start(t, cfg)
	waitFor(t, "big.BAD.txt", func() bool { return exists(cfg, "big"+spool.SuffixReason) })

	d := message.Detail{ID: message.FileTooLarge, N: int64(len(data)), Max: 10 << 10}
	text := badText(t, cfg.Spool.Folder, "big")
	if pl := d.Text("pl"); !strings.Contains(text, pl) || !strings.Contains(pl, "[spool] max_size") || !strings.Contains(pl, "10 KB") {
		t.Errorf(".BAD.txt lacks the Polish detail %q:\n%s", pl, text)
	}
	checkNoEnglish(t, text, d.Text("en"))
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
}

// A message over the relay's SIZE, under [log] language = ru: spoolgate
// found it itself, so the .BAD.txt file words it in Russian as a detail
// and quotes no English as the relay's reply.
func TestLanguage_RelaySizeDetailInRussian(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithMaxSize(200))
	cfg := testConfig(t, srv)
	cfg.Log.Language = "ru"
	data := append(msg("a@example.net", "big"), bytes.Repeat([]byte("0123456789\r\n"), 30)...)
	drop(t, cfg, "big.eml", data)
	r := start(t, cfg)
	waitFor(t, "big.BAD.txt", func() bool { return exists(cfg, "big"+spool.SuffixReason) })
	r.stop()

	text := badText(t, cfg.Spool.Folder, "big")
	if !strings.Contains(text, "почтовый сервер принимает не более 200 байт (SIZE 200); размер этого сообщения — ") {
		t.Errorf(".BAD.txt lacks the Russian detail:\n%s", text)
	}
	if w := wordsFor("ru"); strings.Contains(text, w.Reply) || strings.Contains(text, "()") {
		t.Errorf(".BAD.txt quotes a relay reply, but the relay said nothing:\n%s", text)
	}
	checkNoEnglish(t, text, message.Detail{ID: message.RelayTooLarge, N: 300, Max: 200}.Text("en"))
	recs, err := openJournal(t, cfg).Query(journal.Filter{Status: journal.StatusFailed})
	if err != nil || len(recs) != 1 || recs[0].Cause != string(cause.MessageTooLarge) || !strings.HasPrefix(recs[0].Reply, "почтовый сервер") {
		t.Fatalf("Query(failed) = %+v, %v", recs, err)
	}
	// The log file keeps the English.
	if !strings.Contains(r.log.String(), "the relay accepts at most 200 bytes (SIZE 200)") {
		t.Errorf("the log lacks the English refusal:\n%s", r.log.String())
	}
}

// TestBadWords_Complete: every language of [log] language has every word
// of a .BAD.txt file, with its verbs, and no language copies another's.
func TestBadWords_Complete(t *testing.T) {
	if len(badLanguages) != len(lang.Codes()) {
		t.Errorf("badLanguages has %d languages, cause has %d", len(badLanguages), len(lang.Codes()))
	}
	seen := map[string]string{}
	for _, lang := range lang.Codes() {
		w, ok := badLanguages[lang]
		if !ok {
			t.Errorf("no words in %s", lang)
			continue
		}
		for name, s := range map[string]string{
			"BadHead": w.BadHead, "What": w.What, "ToDo": w.ToDo, "File": w.File, "When": w.When,
			"Server": w.Server, "Reply": w.Reply, "Detail": w.Detail, "Refused": w.Refused,
			"Retry": w.Retry, "Expired": w.Expired,
		} {
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s %s is empty", lang, name)
			}
			if name == "BadHead" || name == "Retry" || name == "Expired" || name == "Refused" {
				if other, ok := seen[s]; ok {
					t.Errorf("%s %s is %s's: %q", lang, name, other, s)
				}
				seen[s] = lang
			}
		}
		if got := fmt.Sprintf(w.Retry, "cmd"); strings.Contains(got, "%!") || !strings.Contains(got, "cmd") {
			t.Errorf("%s Retry: %q", lang, got)
		}
		if got := fmt.Sprintf(w.Expired, "48h0m0s", "2026-01-02 10:00", "x"); strings.Contains(got, "%!") || !strings.Contains(got, "retry_for") {
			t.Errorf("%s Expired: %q", lang, got)
		}
	}
}
