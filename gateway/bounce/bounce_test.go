package bounce

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// want is what a fixture must read as; rcpts lists each recipient as
// "final action status class".
type want struct {
	file        string
	kind        Kind
	format      string
	rcpts       []string
	messageID   string
	spoolgateID string
	why         string // a part of Why
}

var fixtures = []want{
	{file: "postfix-hard-511.eml", kind: KindDSN, format: "rfc3464",
		rcpts:     []string{"jan.kowalski@example.net failed 5.1.1 hard"},
		messageID: "20250304091243.1f2e3d4c@spoolgate.bibliotek.example.se", spoolgateID: "01JNH8Q2V7K4Z9X3M5T6R8W2PA"},
	{file: "postfix-soft-522.eml", kind: KindDSN, format: "rfc3464",
		rcpts:     []string{"Karin.Berg@post.example.org failed 5.2.2 soft"},
		messageID: "20250305083508.9a8b7c6d@spoolgate.bibliotek.example.se", spoolgateID: "01JNKT3F0B6Y2C8N4D1Q7S5V9E"},
	{file: "exim-550.eml", kind: KindDSN, format: "rfc3464",
		rcpts:     []string{"per.nilsson@kommun.example.se failed 5.0.0 hard"},
		messageID: "20250304141158.5b6c7d8e@spoolgate.bibliotek.example.se", spoolgateID: "01JNJ2W8P3D5F7H9K1M3N5Q7R9"},
	{file: "m365-5110.eml", kind: KindDSN, format: "rfc3464",
		rcpts:     []string{"anna.svensson@example.com failed 5.1.10 hard"},
		messageID: "20250304091243.77aa66bb@spoolgate.bibliotek.example.se", spoolgateID: "01JNH8Q2V7K4Z9X3M5T6R8W2PB"},
	{file: "gmail-511.eml", kind: KindDSN, format: "rfc3464",
		rcpts:     []string{"nosuchpatron@gmail.com failed 5.1.1 hard"},
		messageID: "20250304101510.c0ffee42@spoolgate.bibliotek.example.se", spoolgateID: "01JNHCF5R2T4V6X8Z0B2D4F6H8"},
	{file: "delayed-447.eml", kind: KindDSN, format: "rfc3464",
		rcpts:     []string{"lars.eriksson@trog.example.org delayed 4.4.7 -"},
		messageID: "20250304091244.5e4d3c2b@spoolgate.bibliotek.example.se", spoolgateID: "01JNH8Q2V7K4Z9X3M5T6R8W2PC"},
	{file: "policy-571-57509.eml", kind: KindDSN, format: "rfc3464",
		rcpts: []string{"eva.holm@filter.example.net failed 5.7.1 policy",
			"ola.strand@outlook.example.com failed 5.7.509 policy"},
		messageID: "20250304140006.0badf00d@spoolgate.bibliotek.example.se", spoolgateID: "01JNJ3A1B2C3D4E5F6G7H8J9K0"},
	{file: "global-utf8.eml", kind: KindDSN, format: "rfc6533",
		rcpts:     []string{"åsa@exempel.se failed 5.1.1 hard"},
		messageID: "20250305125957.feedbeef@spoolgate.bibliotek.example.se", spoolgateID: "01JNKZ0A2C4E6G8J0L2N4Q6S8U"},
	{file: "autosvar-sv.eml", kind: KindAutoReply, why: "Auto-Submitted: auto-replied"},
	{file: "read-receipt.eml", kind: KindReadReceipt,
		messageID: "20250304091245.cafe1234@spoolgate.bibliotek.example.se", spoolgateID: "01JNH8Q2V7K4Z9X3M5T6R8W2PD"},
	{file: "human-reply.eml", kind: KindOther, why: "not a bounce"},
	{file: "qmail.eml", kind: KindDSN, format: "qmail",
		rcpts: []string{"petr.novak@example.cz failed 5.1.1 hard",
			"jana.dvorakova@posta.example.cz failed 5.2.2 soft",
			"tomas@stare.example.cz failed 5.1.2 hard"},
		messageID: "20250304091247.0ddba11@spoolgate.bibliotek.example.se", spoolgateID: "01JNH8Q2V7K4Z9X3M5T6R8W2PE"},
	{file: "exchange-text.eml", kind: KindDSN, format: "exchange-text",
		rcpts:     []string{"jozef.wisniewski@kommun.example.pl failed 5.1.1 hard"},
		messageID: "20250304091248.abad1dea@spoolgate.bibliotek.example.se", spoolgateID: "01JNH8Q2V7K4Z9X3M5T6R8W2PF"},
	{file: "generic-koi8r.eml", kind: KindDSN, format: "text",
		rcpts:     []string{"ivan.petrov@example.ru failed 5.1.1 hard"},
		messageID: "20250304091249.beefcafe@spoolgate.bibliotek.example.se", spoolgateID: "01JNH8Q2V7K4Z9X3M5T6R8W2PG"},
	{file: "garbled.eml", kind: KindUnreadable, why: "without its report part"},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRead_Fixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(fixtures) {
		t.Errorf("%d fixtures in testdata, %d in the table", len(files), len(fixtures))
	}
	for _, w := range fixtures {
		t.Run(strings.TrimSuffix(w.file, ".eml"), func(t *testing.T) {
			raw := readFixture(t, w.file)
			if !strings.Contains(string(raw), "\r\n") || strings.Contains(strings.ReplaceAll(string(raw), "\r\n", ""), "\n") {
				t.Errorf("%s: not CRLF throughout", w.file)
			}
			r := Read(raw)
			if r.Kind != w.kind || r.Format != w.format {
				t.Errorf("kind %q format %q, want %q %q (why %q)", r.Kind, r.Format, w.kind, w.format, r.Why)
			}
			var got []string
			for _, rc := range r.Recipients {
				class := string(rc.Class)
				if class == "" {
					class = "-"
				}
				got = append(got, strings.Join([]string{rc.Final, string(rc.Action), rc.Status, class}, " "))
			}
			if strings.Join(got, "\n") != strings.Join(w.rcpts, "\n") {
				t.Errorf("recipients\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(w.rcpts, "\n"))
			}
			if r.MessageID != w.messageID || r.SpoolgateID != w.spoolgateID {
				t.Errorf("original %q %q, want %q %q", r.MessageID, r.SpoolgateID, w.messageID, w.spoolgateID)
			}
			if !strings.Contains(r.Why, w.why) || (w.kind == KindDSN) != (r.Why == "") {
				t.Errorf("why %q, want it to hold %q", r.Why, w.why)
			}
			if r.Subject == "" {
				t.Error("no subject")
			}
			if r.Arrival.IsZero() {
				t.Error("no arrival time")
			}
			checkReport(t, r)
		})
	}
}

// TestRead_Details checks the fields beside kind and class on fixtures.
func TestRead_Details(t *testing.T) {
	r := Read(readFixture(t, "gmail-511.eml"))
	rc := r.Recipients[0]
	if want := "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces."; !strings.HasPrefix(rc.Diagnostic, want) {
		t.Errorf("gmail diagnostic %q", rc.Diagnostic)
	}
	if rc.RemoteMTA != "gmail-smtp-in.l.google.com" || r.Reporter != "googlemail.com" {
		t.Errorf("gmail remote %q reporter %q", rc.RemoteMTA, r.Reporter)
	}
	if want := time.Date(2025, 3, 4, 9, 15, 12, 0, time.UTC); !r.Arrival.Equal(want) {
		t.Errorf("gmail arrival %v, want %v", r.Arrival, want)
	}
	if strings.Join(r.OriginalTo, ",") != "nosuchpatron@gmail.com" {
		t.Errorf("gmail original to %q", r.OriginalTo)
	}

	r = Read(readFixture(t, "global-utf8.eml"))
	if rc := r.Recipients[0]; rc.Final != "åsa@exempel.se" || rc.Original != "åsa@exempel.se" {
		t.Errorf("global recipient %q original %q", rc.Final, rc.Original)
	}

	r = Read(readFixture(t, "m365-5110.eml"))
	if rc := r.Recipients[0]; rc.Diagnostic != "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient anna.svensson@example.com not found by SMTP address lookup" {
		t.Errorf("m365 diagnostic %q", rc.Diagnostic)
	}
	if r.Subject != "Undeliverable: Påminnelse: lån att återlämna" {
		t.Errorf("m365 subject %q", r.Subject)
	}

	r = Read(readFixture(t, "generic-koi8r.eml"))
	if r.Subject != "Письмо не доставлено" {
		t.Errorf("koi8-r subject %q", r.Subject)
	}
	r = Read(readFixture(t, "autosvar-sv.eml"))
	if r.Subject != "Autosvar: Påminnelse: lån att återlämna" {
		t.Errorf("autosvar subject %q", r.Subject)
	}
	r = Read(readFixture(t, "exchange-text.eml"))
	if rc := r.Recipients[0]; rc.Diagnostic != "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found" {
		t.Errorf("exchange text diagnostic %q", rc.Diagnostic)
	}
	if strings.Join(r.OriginalTo, ",") != "jozef.wisniewski@kommun.example.pl" {
		t.Errorf("exchange text original to %q", r.OriginalTo)
	}
}
