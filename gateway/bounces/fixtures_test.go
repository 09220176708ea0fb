package bounces_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/bounce"
	"github.com/spoolgate/spoolgate/gateway/bounces"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/mailbox"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// fixture is one real-world shape of gateway/bounce/testdata: what the
// journal knew before (the message it reports on, by key and Message-ID,
// or none), and what a Pass must make of it.
type fixture struct {
	file string
	// The message journaled first: key (the returned X-Spoolgate-Id, or
	// another to match by Message-ID alone) and recipients; none when
	// key is "".
	key, messageID string
	to             []string
	kind           bounce.Kind
	matchedBy      string
	want           map[string]string // recipient → outcome[/class] in the journal
	folder         string
}

var fixtures = []fixture{
	{file: "postfix-hard-511.eml", key: "01JNH8Q2V7K4Z9X3M5T6R8W2PA", to: []string{"jan.kowalski@example.net"},
		kind: bounce.KindDSN, matchedBy: bounces.BySpoolgateID, want: map[string]string{"jan.kowalski@example.net": "bounced/hard"}, folder: mailbox.Processed},
	{file: "postfix-soft-522.eml", key: "01JNKT3F0B6Y2C8N4D1Q7S5V9E", to: []string{"karin.berg@post.example.org"},
		kind: bounce.KindDSN, matchedBy: bounces.BySpoolgateID, want: map[string]string{"karin.berg@post.example.org": "bounced/soft"}, folder: mailbox.Processed},
	{file: "m365-5110.eml", key: "01JNH8Q2V7K4Z9X3M5T6R8W2PB", to: []string{"anna.svensson@example.com"},
		kind: bounce.KindDSN, matchedBy: bounces.BySpoolgateID, want: map[string]string{"anna.svensson@example.com": "bounced/hard"}, folder: mailbox.Processed},
	{file: "exim-550.eml", key: "20250304-141158-exim", messageID: "20250304141158.5b6c7d8e@spoolgate.bibliotek.example.se", to: []string{"per.nilsson@kommun.example.se"},
		kind: bounce.KindDSN, matchedBy: bounces.ByMessageID, want: map[string]string{"per.nilsson@kommun.example.se": "bounced/hard"}, folder: mailbox.Processed},
	{file: "policy-571-57509.eml", key: "01JNJ3A1B2C3D4E5F6G7H8J9K0", to: []string{"eva.holm@filter.example.net", "ola.strand@outlook.example.com"},
		kind: bounce.KindDSN, matchedBy: bounces.BySpoolgateID,
		want: map[string]string{"eva.holm@filter.example.net": "bounced/policy", "ola.strand@outlook.example.com": "bounced/policy"}, folder: mailbox.Processed},
	{file: "delayed-447.eml", key: "01JNH8Q2V7K4Z9X3M5T6R8W2PC", to: []string{"lars.eriksson@trog.example.org"},
		kind: bounce.KindDSN, matchedBy: bounces.BySpoolgateID, want: map[string]string{"lars.eriksson@trog.example.org": "delayed"}, folder: mailbox.Processed},
	{file: "exchange-text.eml", key: "01JNH8Q2V7K4Z9X3M5T6R8W2PF", to: []string{"jozef.wisniewski@kommun.example.pl"},
		kind: bounce.KindDSN, matchedBy: bounces.BySpoolgateID, want: map[string]string{"jozef.wisniewski@kommun.example.pl": "bounced/hard"}, folder: mailbox.Processed},
	{file: "qmail.eml", key: "01JNH8Q2V7K4Z9X3M5T6R8W2PE", to: []string{"petr.novak@example.cz", "jana.dvorakova@posta.example.cz", "tomas@stare.example.cz"},
		kind: bounce.KindDSN, matchedBy: bounces.BySpoolgateID,
		want:   map[string]string{"petr.novak@example.cz": "bounced/hard", "jana.dvorakova@posta.example.cz": "bounced/soft", "tomas@stare.example.cz": "bounced/hard"},
		folder: mailbox.Processed},
	{file: "generic-koi8r.eml", key: "01JNH8Q2V7K4Z9X3M5T6R8W2PG", to: []string{"ivan.petrov@example.ru"},
		kind: bounce.KindDSN, matchedBy: bounces.BySpoolgateID, want: map[string]string{"ivan.petrov@example.ru": "bounced/hard"}, folder: mailbox.Processed},
	{file: "global-utf8.eml", key: "01JNKZ0A2C4E6G8J0L2N4Q6S8U", to: []string{"åsa@exempel.se"},
		kind: bounce.KindDSN, matchedBy: bounces.BySpoolgateID, want: map[string]string{"åsa@exempel.se": "bounced/hard"}, folder: mailbox.Processed},
	// A bounce of a message this journal never sent: recorded, unmatched.
	{file: "gmail-511.eml", kind: bounce.KindDSN, folder: mailbox.Unrecognised},
	// Not bounces.
	{file: "autosvar-sv.eml", kind: bounce.KindAutoReply, folder: mailbox.Processed},
	{file: "read-receipt.eml", kind: bounce.KindReadReceipt, folder: mailbox.Processed},
	{file: "human-reply.eml", kind: bounce.KindOther, folder: mailbox.Processed},
	// Could not be read.
	{file: "garbled.eml", kind: bounce.KindUnreadable, folder: mailbox.Unrecognised},
}

// noOriginal is a DSN that returns no original: matched by recipient
// and time, as exactly one message went to the recipient lately.
func noOriginal(date time.Time) []byte {
	return []byte("From: MAILER-DAEMON@mx.patron.example\r\nTo: " + smtptest.DSNReturnPath + "\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\nDate: " + date.Format(time.RFC1123Z) + "\r\n" +
		"Message-ID: <no-original.1@mx.patron.example>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n" +
		"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.patron.example\r\n\r\n" +
		"Final-Recipient: rfc822; nils@patron.example\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 unknown user\r\n\r\n--b1--\r\n")
}

// journalSent records the message key as sent to to, as the relay would.
func journalSent(t *testing.T, j *journal.Journal, key, messageID string, to []string) {
	c := journal.Claim{Key: key, File: key + ".eml", MessageID: messageID, From: smtptest.DSNReturnPath, To: to, Subject: "Overdue"}
	j.Begin(c, "smtp (127.0.0.1:25)", to, nil)
	j.Record(journal.Outcome{Key: key, To: to, Status: journal.StatusSent, Server: "smtp (127.0.0.1:25)", Reply: "250 2.0.0 Ok"}, nil)
}

// TestPass_Fixtures appends every shape of gateway/bounce/testdata to a
// real Dovecot INBOX over IMAP, after journaling the messages they report
// on, runs a Pass, and checks each: what it was read as, how it was
// matched, each recipient's outcome and class in the journal, and the
// folder it went to.
func TestPass_Fixtures(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	cfg := testConfig(t, s)
	j := openJournal(t, cfg)
	for _, f := range fixtures {
		if f.key != "" {
			journalSent(t, j, f.key, f.messageID, f.to)
		}
	}
	journalSent(t, j, "nils-1", "", []string{"nils@patron.example"})
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	byUID := map[uint32]fixture{}
	for _, f := range fixtures {
		raw, err := os.ReadFile(filepath.Join("..", "bounce", "testdata", f.file))
		if err != nil {
			t.Fatal(err)
		}
		byUID[s.Append(t, "INBOX", raw)] = f
	}
	nils := fixture{file: "(no original)", key: "nils-1", kind: bounce.KindDSN, matchedBy: bounces.ByRecipient,
		want: map[string]string{"nils@patron.example": "bounced/hard"}, folder: mailbox.Processed}
	byUID[s.Append(t, "INBOX", noOriginal(time.Now()))] = nils

	res := pass(t, cfg, j, false)
	if len(res.Mails) != len(byUID) {
		t.Fatalf("Pass read %d mails, want %d", len(res.Mails), len(byUID))
	}
	for _, m := range res.Mails {
		f := byUID[m.UID]
		t.Run(f.file, func(t *testing.T) {
			if m.Kind != f.kind || m.Moved != f.folder || m.Key != f.key || m.MatchedBy != f.matchedBy {
				t.Errorf("kind %s, moved to %q, key %q by %q; want %s, %s, %q by %q (why %q)", m.Kind, m.Moved, m.Key, m.MatchedBy,
					f.kind, f.folder, f.key, f.matchedBy, m.Why)
			}
			if f.key == "" {
				return
			}
			rcs := recipients(t, j, f.key)
			for addr, want := range f.want {
				rc := rcs[addr]
				got := string(rc.Outcome)
				if rc.Bounce != nil && rc.Bounce.Class != "" {
					got += "/" + rc.Bounce.Class
				}
				if got != want {
					t.Errorf("%s: %s, want %s (recipient %+v)", addr, got, want, rc)
				}
			}
		})
	}
	if n := len(s.List(t, "INBOX")); n != 0 {
		t.Errorf("%d mails left in INBOX", n)
	}
	unrec := 0
	for _, f := range byUID {
		if f.folder == mailbox.Unrecognised {
			unrec++
		}
	}
	if n := len(s.List(t, mailbox.Unrecognised)); n != unrec {
		t.Errorf("%d in %s, want %d", n, mailbox.Unrecognised, unrec)
	}
	if n := len(s.List(t, mailbox.Processed)); n != len(byUID)-unrec {
		t.Errorf("%d in %s, want %d", n, mailbox.Processed, len(byUID)-unrec)
	}
	// The unmatched bounce is recorded all the same, without a message.
	bs, err := j.Bounces(time.Time{}, time.Now().Add(time.Hour), journal.StatusBounced, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range bs {
		if b.Address == "nosuchpatron@gmail.com" {
			found = b.Key == "" && b.Class == "hard"
		}
	}
	if !found {
		t.Errorf("the unmatched Gmail bounce is not recorded without a message: %+v", bs)
	}
	if res := pass(t, cfg, j, false); len(res.Mails) != 0 {
		t.Errorf("a second pass read %d mails", len(res.Mails))
	}
}
