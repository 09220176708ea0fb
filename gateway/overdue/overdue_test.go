package overdue

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// Each kind goes out on its day, and loans on other days get nothing.
func TestScan_KindsOnTheirDays(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg,
		loan("1", "b-warn", "Due in three days", "2026-11-28"),
		loan("2", "b-over", "Due yesterday", "2026-11-24"),
		loan("3", "b-remind", "Due three days ago", "2026-11-22"),
		loan("4", "b-today", "Due today", "2026-11-25"),
		loan("5", "b-two", "Due in two days", "2026-11-27"),
		loan("6", "b-twoago", "Due two days ago", "2026-11-23"),
		loan("7", "b-late", "Due four days ago", "2026-11-21"),
	)
	res := scan(t, cfg, "2026-11-25", Options{})
	if got := summary(res.Queued); got != "1/warning 2/overdue 3/reminder" {
		t.Fatalf("queued %s, want 1/warning 2/overdue 3/reminder", got)
	}
	for _, k := range notice.Kinds() {
		if c := res.Counts[k]; c.Queued != 1 || c.Items != 1 || c.Skipped != 0 || c.Dropped != 0 {
			t.Errorf("counts of %s = %+v", k, c)
		}
	}
	files := noticeFiles(t, cfg)
	if len(files) != 3 {
		t.Fatalf("queue holds %v, want 3 notices", files)
	}
	name := regexp.MustCompile(`^notice-20261125-(warning|overdue|reminder)-[0-9]-[0-9a-f]{10}\.eml$`)
	for _, p := range res.Queued {
		if !name.MatchString(p.File) {
			t.Errorf("file name %q", p.File)
		}
		n := readNoticeFile(t, cfg, p.File)
		if k := n.header.Get("X-Spoolgate-Kind"); k != p.Kind {
			t.Errorf("%s: X-Spoolgate-Kind %q, want %q", p.File, k, p.Kind)
		}
		if to := addrs(t, n.header.Get("To")); to != "p"+p.PatronID+"@example.org" {
			t.Errorf("%s: To %q", p.File, to)
		}
		if from := n.header.Get("From"); !strings.Contains(from, "<library@example.org>") {
			t.Errorf("%s: From %q", p.File, from)
		}
		if n.header.Get("X-Spoolgate-Unit") != "" || strings.HasPrefix(n.raw, "X-Sender") {
			t.Errorf("%s: a unit or X-Sender without a unit:\n%s", p.File, n.raw)
		}
		if !strings.Contains(n.text, p.Items[0].Title) {
			t.Errorf("%s: the body does not name %q:\n%s", p.File, p.Items[0].Title, n.text)
		}
		if id := n.header.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{32}@example\.org>$`).MatchString(id) {
			t.Errorf("%s: Message-ID %q", p.File, id)
		}
	}
	if s := byPatronKind(t, res.Queued, "1", notice.Warning); s.Items[0].Due.Format(time.DateOnly) != "2026-11-28" || s.Items[0].Line != 2 {
		t.Errorf("warning item %+v", s.Items[0])
	}
	if n := readNoticeFile(t, cfg, byPatronKind(t, res.Queued, "1", notice.Warning).File); n.subject != "1 item is due soon" {
		t.Errorf("warning subject %q", n.subject)
	}
}

// A setting of 0 turns a kind off.
func TestScan_KindTurnedOff(t *testing.T) {
	cfg := testConfig(t)
	cfg.Overdue.WarningDays, cfg.Overdue.ReminderDays = 0, 0
	writeLoans(t, cfg,
		loan("1", "a", "A", "2026-11-28"),
		loan("2", "b", "B", "2026-11-24"),
		loan("3", "c", "C", "2026-11-22"),
		loan("4", "d", "D", "2026-11-25"),
	)
	res := scan(t, cfg, "2026-11-25", Options{})
	if got := summary(res.Queued); got != "2/overdue" {
		t.Errorf("queued %s, want only 2/overdue", got)
	}
}

// One message per patron and kind, listing all their items of that kind.
func TestScan_OnePerPatronAndKind(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg,
		loan("A", "a1", "Röda rummet", "2026-11-28"),
		loan("B", "b1", "Sult", "2026-11-28"),
		loan("A", "a2", "Lalka", "2026-11-28"),
		loan("A", "a3", "Babička", "2026-11-24"),
		loan("A", "a4", "Pan Tadeusz", "2026-11-24"),
		loan("A", "a5", "Krakatit", "2026-11-28"),
		loan("A", "a5", "Krakatit", "2026-11-28"), // the same row twice in the export
	)
	res := scan(t, cfg, "2026-11-25", Options{})
	if got := summary(res.Queued); got != "A/overdue A/warning B/warning" {
		t.Fatalf("queued %s", got)
	}
	w := byPatronKind(t, res.Queued, "A", notice.Warning)
	if got := titles(w.Items); got != "Krakatit, Lalka, Röda rummet" {
		t.Errorf("A's warning lists %s", got)
	}
	o := byPatronKind(t, res.Queued, "A", notice.Overdue)
	if got := titles(o.Items); got != "Babička, Pan Tadeusz" {
		t.Errorf("A's overdue notice lists %s", got)
	}
	n := readNoticeFile(t, cfg, w.File)
	for _, title := range []string{"Krakatit", "Lalka", "Röda rummet"} {
		if strings.Count(n.text, title) != 1 {
			t.Errorf("the warning names %q %d times:\n%s", title, strings.Count(n.text, title), n.text)
		}
	}
	if n.subject != "3 items are due soon" {
		t.Errorf("subject %q", n.subject)
	}
	if c := res.Counts[notice.Warning]; c.Queued != 2 || c.Items != 4 {
		t.Errorf("warning counts %+v, want 2 notices with 4 items", c)
	}
	if len(noticeFiles(t, cfg)) != 3 {
		t.Errorf("queue holds %v", noticeFiles(t, cfg))
	}
}

func TestScan_RecipientModes(t *testing.T) {
	rows := []row{
		{patron: "1", name: "Child", email: "child@example.org", guardian: "parent@example.org", notify: "yes", barcode: "x1", title: "T1", due: "2026-11-24"},
		{patron: "2", name: "Adult", email: "adult@example.org", notify: "yes", barcode: "x2", title: "T2", due: "2026-11-24"},
		{patron: "3", name: "Child without own address", guardian: "parent3@example.org", notify: "yes", barcode: "x3", title: "T3", due: "2026-11-24"},
	}
	for _, tc := range []struct {
		mode string
		want map[string]string // patron -> To
	}{
		{config.RecipientPatron, map[string]string{"1": "child@example.org", "2": "adult@example.org"}},
		{config.RecipientGuardian, map[string]string{"1": "parent@example.org", "2": "adult@example.org", "3": "parent3@example.org"}},
		{config.RecipientBoth, map[string]string{"1": "child@example.org, parent@example.org", "2": "adult@example.org", "3": "parent3@example.org"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Overdue.Recipient = tc.mode
			writeLoans(t, cfg, rows...)
			res := scan(t, cfg, "2026-11-25", Options{})
			if len(res.Queued) != len(tc.want) {
				t.Fatalf("queued %s, want %d notices", summary(res.Queued), len(tc.want))
			}
			for patron, to := range tc.want {
				p := byPatronKind(t, res.Queued, patron, notice.Overdue)
				if got := strings.Join(p.To, ", "); got != to {
					t.Errorf("patron %s: planned to %q, want %q", patron, got, to)
				}
				if got := addrs(t, readNoticeFile(t, cfg, p.File).header.Get("To")); got != to {
					t.Errorf("patron %s: To: %q, want %q", patron, got, to)
				}
			}
			if tc.mode == config.RecipientPatron {
				if len(res.Skipped) != 1 || res.Skipped[0].PatronID != "3" || res.Skipped[0].Reason != ReasonNoAddress {
					t.Errorf("skipped %+v, want patron 3 without an address", res.Skipped)
				}
			} else if len(res.Skipped) != 0 {
				t.Errorf("skipped %+v", res.Skipped)
			}
		})
	}
}

// Patrons without an address, or with notices turned off, get no mail and
// are listed to print or phone.
func TestScan_SkippedPatrons(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg,
		row{patron: "10", name: "No Mail", notify: "yes", barcode: "n1", title: "First", due: "2026-11-24"},
		row{patron: "10", name: "No Mail", notify: "yes", barcode: "n2", title: "Second", due: "2026-11-24"},
		row{patron: "11", name: "Opted Out", email: "out@example.org", notify: "nej", barcode: "o1", title: "Third", due: "2026-11-28"},
		row{patron: "12", name: "Both", notify: "no", barcode: "o2", title: "Fourth", due: "2026-11-22"},
		loan("13", "ok", "Mailed", "2026-11-24"),
	)
	res := scan(t, cfg, "2026-11-25", Options{})
	if got := summary(res.Queued); got != "13/overdue" {
		t.Errorf("queued %s", got)
	}
	if len(res.Skipped) != 3 {
		t.Fatalf("skipped %+v, want 3", res.Skipped)
	}
	want := []struct{ patron, kind, reason, titles string }{
		{"10", notice.Overdue, ReasonNoAddress, "First, Second"},
		{"11", notice.Warning, ReasonNotifyOff, "Third"},
		{"12", notice.Reminder, ReasonNotifyOff, "Fourth"},
	}
	for i, w := range want {
		s := res.Skipped[i]
		if s.PatronID != w.patron || s.Kind != w.kind || s.Reason != w.reason || titles(s.Items) != w.titles {
			t.Errorf("skipped[%d] = %+v, want %+v", i, s, w)
		}
	}
	if c := res.Counts[notice.Overdue]; c.Skipped != 1 || c.Queued != 1 {
		t.Errorf("overdue counts %+v", c)
	}
	var b bytes.Buffer
	res.WriteText(&b)
	if !strings.Contains(b.String(), "To print or phone (3)") || !strings.Contains(b.String(), "patron 10 No Mail: overdue, 2 items, no e-mail address") {
		t.Errorf("the text does not list them to print or phone:\n%s", b.String())
	}
	// Skipped notices are not recorded: once the patron has an address,
	// a later scan of the day mails them.
	writeLoans(t, cfg,
		row{patron: "10", name: "No Mail", email: "now@example.org", notify: "yes", barcode: "n1", title: "First", due: "2026-11-24"},
		row{patron: "10", name: "No Mail", email: "now@example.org", notify: "yes", barcode: "n2", title: "Second", due: "2026-11-24"},
		loan("13", "ok", "Mailed", "2026-11-24"),
	)
	res = scan(t, cfg, "2026-11-25", Options{})
	if got := summary(res.Queued); got != "10/overdue" || len(res.Skipped) != 0 {
		t.Errorf("after the address was added: queued %s, skipped %d", got, len(res.Skipped))
	}
}

func TestScan_Units(t *testing.T) {
	cfg := testConfig(t)
	cfg.Message.ReturnPath = "bounces@example.org"
	cfg.Units = map[string]*config.Unit{
		"Ostra": {Name: "Ostra", DisplayName: "Östra filialen", From: "ostra@example.org", FromName: "Östra biblioteket", Language: "sv",
			Contact: "Storgatan 1\n08-123 456 78"},
		"Bokbuss": {Name: "Bokbuss", ReturnPath: "buss-bounces@example.org"},
	}
	writeLoans(t, cfg,
		row{patron: "1", name: "Anna", email: "anna@example.org", unit: "OSTRA", barcode: "u1", title: "Mio, min Mio", due: "2026-11-24"},
		row{patron: "2", name: "Jan", email: "jan@example.org", unit: "ostra", lang: "pl_PL", barcode: "u2", title: "Lalka", due: "2026-11-24"},
		row{patron: "3", name: "Kari", email: "kari@example.org", unit: "Bokbuss", barcode: "u3", title: "Sult", due: "2026-11-24"},
		row{patron: "4", name: "Tom", email: "tom@example.org", unit: "Nowhere", barcode: "u4", title: "Hobbit", due: "2026-11-24"},
		row{patron: "4", name: "Tom", email: "tom@example.org", unit: "ostra", barcode: "u5", title: "Emil", due: "2026-11-24"},
	)
	res := scan(t, cfg, "2026-11-25", Options{})
	if len(res.Queued) != 5 {
		t.Fatalf("queued %s, want 5 (patron 4 has loans of two units)", summary(res.Queued))
	}
	find := func(patron, unit string) parsed {
		t.Helper()
		for _, p := range res.Queued {
			if p.PatronID == patron && p.Unit == unit {
				return readNoticeFile(t, cfg, p.File)
			}
		}
		t.Fatalf("no notice for patron %s of unit %q: %+v", patron, unit, res.Queued)
		return parsed{}
	}

	anna := find("1", "Ostra")
	if got := anna.header.Get("X-Spoolgate-Unit"); got != "Ostra" {
		t.Errorf("X-Spoolgate-Unit %q", got)
	}
	if from, _ := mailAddress(anna.header.Get("From")); from != "ostra@example.org" {
		t.Errorf("From %q", anna.header.Get("From"))
	}
	if !strings.HasPrefix(anna.subject, "Lånetiden har gått ut") {
		t.Errorf("the unit's language is sv, subject %q", anna.subject)
	}
	if !strings.Contains(anna.text, "Storgatan 1") {
		t.Errorf("the unit's contact is not in the notice:\n%s", anna.text)
	}
	// Signed with the unit's display name, not the export's unit code.
	if !strings.Contains(anna.text, "Östra filialen") || strings.Contains(anna.text, "OSTRA") {
		t.Errorf("the notice is not signed with the unit's display name:\n%s", anna.text)
	}
	// [message] return_path is set, and the unit sets none: it applies.
	if !strings.HasPrefix(anna.raw, "X-Sender: bounces@example.org\r\n") {
		t.Errorf("no X-Sender with [message] return_path:\n%.200s", anna.raw)
	}
	if jan := find("2", "Ostra"); !strings.HasPrefix(jan.subject, "Minął termin zwrotu") {
		t.Errorf("the row's language pl wins over the unit's: subject %q", jan.subject)
	}
	kari := find("3", "Bokbuss")
	if !strings.HasPrefix(kari.raw, "X-Sender: buss-bounces@example.org\r\n") {
		t.Errorf("the unit's return path is not the X-Sender:\n%.200s", kari.raw)
	}
	if from, _ := mailAddress(kari.header.Get("From")); from != "library@example.org" {
		t.Errorf("a unit without from falls back to [message]: From %q", kari.header.Get("From"))
	}
	tom := find("4", "")
	if tom.header.Get("X-Spoolgate-Unit") != "" || !strings.HasPrefix(tom.raw, "X-Sender: bounces@example.org\r\n") {
		t.Errorf("an unconfigured unit: the [message] settings apply:\n%.300s", tom.raw)
	}
	if tom.subject != "1 item is overdue" {
		t.Errorf("the default language: subject %q", tom.subject)
	}
	// A unit without a section is named as the export names it.
	if !strings.Contains(tom.text, "Nowhere") {
		t.Errorf("an unconfigured unit's notice is not signed with the export's name:\n%s", tom.text)
	}
	find("4", "Ostra")
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `"Nowhere"`) {
		t.Errorf("warnings %q, want one about the unit Nowhere", res.Warnings)
	}
}

// addrs returns the addresses of an address-list header, ", "-separated.
func addrs(t *testing.T, h string) string {
	t.Helper()
	list, err := mail.ParseAddressList(h)
	if err != nil {
		t.Fatalf("address list %q: %v", h, err)
	}
	var out []string
	for _, a := range list {
		out = append(out, a.Address)
	}
	return strings.Join(out, ", ")
}

func mailAddress(s string) (string, error) {
	i, j := strings.LastIndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if i < 0 || j < i {
		return s, nil
	}
	return s[i+1 : j], nil
}

// A second run the same day, a restart or a manual run queues nothing new;
// an item that appears later goes out alone.
func TestScan_SecondRunQueuesNothing(t *testing.T) {
	cfg := testConfig(t)
	rows := []row{loan("1", "a", "A", "2026-11-28"), loan("1", "b", "B", "2026-11-24"), loan("2", "c", "C", "2026-11-22")}
	writeLoans(t, cfg, rows...)
	first := scan(t, cfg, "2026-11-25", Options{})
	if len(first.Queued) != 3 {
		t.Fatalf("first run queued %s", summary(first.Queued))
	}
	files := noticeFiles(t, cfg)
	again := scan(t, cfg, "2026-11-25", Options{})
	if len(again.Queued) != 0 {
		t.Errorf("second run queued %s", summary(again.Queued))
	}
	if got := noticeFiles(t, cfg); len(got) != len(files) {
		t.Errorf("second run: queue %v, was %v", got, files)
	}
	// The export gains a loan of patron 1 due the same day: it goes out
	// alone, the others do not go again.
	writeLoans(t, cfg, append(rows, loan("1", "d", "D", "2026-11-28"))...)
	third := scan(t, cfg, "2026-11-25", Options{})
	if len(third.Queued) != 1 || titles(third.Queued[0].Items) != "D" {
		t.Fatalf("third run queued %+v, want D alone", third.Queued)
	}
	// Sending files away (the gateway did) does not matter: the keys do.
	for _, f := range noticeFiles(t, cfg) {
		os.Remove(filepath.Join(cfg.Spool.Folder, f))
	}
	if res := scan(t, cfg, "2026-11-25", Options{}); len(res.Queued) != 0 {
		t.Errorf("after the files were sent: queued %s", summary(res.Queued))
	}
	rec, err := Recorded(cfg, at(t, "2026-11-25"))
	if err != nil || rec == nil {
		t.Fatalf("Recorded: %v, %v", rec, err)
	}
	if rec.LoansTime.IsZero() || rec.Loans != 4 {
		t.Errorf("recorded export: %d loans, of %v", rec.Loans, rec.LoansTime)
	}
	if len(rec.Queued) != 4 || rec.Counts[notice.Warning].Queued != 2 {
		t.Errorf("recorded %s with counts %+v, want the day's 4 notices", summary(rec.Queued), rec.Counts)
	}
}

var errCrash = errors.New("simulated crash")

// crashAt is a hook that fails at a stage, once.
func crashAt(stage string) func(string) error {
	var once sync.Once
	return func(s string) error {
		var err error
		if s == stage {
			once.Do(func() { err = errCrash })
		}
		return err
	}
}

// A crash after the keys were recorded and before the files were written:
// the next scan writes them, once.
func TestScan_CrashBeforeFiles(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-28"), loan("1", "b", "B", "2026-11-28"), loan("2", "c", "C", "2026-11-24"))
	want := scan(t, cfg, "2026-11-25", Options{DryRun: true})

	_, err := Scan(context.Background(), cfg, at(t, "2026-11-25"), Options{hook: crashAt("pending"), Log: testLog(t)})
	if !errors.Is(err, errCrash) {
		t.Fatalf("Scan: %v, want the crash", err)
	}
	if got := noticeFiles(t, cfg); len(got) != 0 {
		t.Fatalf("files before the crash point: %v", got)
	}
	if _, ok, _ := LastRun(cfg); ok {
		t.Errorf("the crashed scan was recorded as complete")
	}
	res := scan(t, cfg, "2026-11-25", Options{})
	if len(res.Queued) != 2 {
		t.Fatalf("after the crash: queued %s, want the 2 notices", summary(res.Queued))
	}
	for _, p := range res.Queued {
		if !p.Recovered {
			t.Errorf("%s was not the recovered file", p.File)
		}
	}
	files := noticeFiles(t, cfg)
	var wantFiles []string
	for _, p := range want.Queued {
		wantFiles = append(wantFiles, p.File)
	}
	if strings.Join(files, " ") != strings.Join(sortedCopy(wantFiles), " ") {
		t.Errorf("queue %v, want the dry run's %v", files, wantFiles)
	}
	if res := scan(t, cfg, "2026-11-25", Options{}); len(res.Queued) != 0 {
		t.Errorf("a third run queued %s", summary(res.Queued))
	}
	if got := noticeFiles(t, cfg); len(got) != 2 {
		t.Errorf("queue %v, want 2 notices", got)
	}
}

// A crash after the files were written, before they were confirmed: the
// next scan finds them in the queue, or in the journal once the gateway
// sent them, and writes nothing again.
func TestScan_CrashAfterFiles(t *testing.T) {
	for _, sent := range []bool{false, true} {
		name := "InQueue"
		if sent {
			name = "Journalled"
		}
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(t)
			writeLoans(t, cfg, loan("1", "a", "A", "2026-11-28"), loan("2", "c", "C", "2026-11-24"))
			_, err := Scan(context.Background(), cfg, at(t, "2026-11-25"), Options{hook: crashAt("written"), Log: testLog(t)})
			if !errors.Is(err, errCrash) {
				t.Fatalf("Scan: %v, want the crash", err)
			}
			files := noticeFiles(t, cfg)
			if len(files) != 2 {
				t.Fatalf("queue %v, want the 2 notices written before the crash", files)
			}
			if sent {
				// The gateway sent them: journalled, then removed.
				j, err := journal.Open(filepath.Join(cfg.Spool.Data, "journal.db"), testLog(t))
				if err != nil {
					t.Fatal(err)
				}
				for i, f := range files {
					key := "test-" + string(rune('1'+i))
					j.Claimed(journal.Claim{Key: key, File: f, To: []string{"x@example.org"}}, nil)
					j.Record(journal.Outcome{Key: key, To: []string{"x@example.org"}, Status: journal.StatusSent}, nil)
				}
				if err := j.Close(); err != nil {
					t.Fatal(err)
				}
				for _, f := range files {
					if err := os.Remove(filepath.Join(cfg.Spool.Folder, f)); err != nil {
						t.Fatal(err)
					}
				}
			} else {
				// One was claimed by the gateway, one is waiting.
				claimed := files[0] + ".test-9.sending"
				if err := os.Rename(filepath.Join(cfg.Spool.Folder, files[0]), filepath.Join(cfg.Spool.Folder, claimed)); err != nil {
					t.Fatal(err)
				}
			}
			res := scan(t, cfg, "2026-11-25", Options{})
			if len(res.Queued) != 0 {
				t.Errorf("after the crash: queued %s again", summary(res.Queued))
			}
			got := noticeFiles(t, cfg)
			if sent && len(got) != 0 || !sent && len(got) != 2 {
				t.Errorf("queue %v", got)
			}
			st, err := openStore(filepath.Join(cfg.Spool.Data, StateFile), true)
			if err != nil {
				t.Fatal(err)
			}
			defer st.close()
			if rows, err := st.outbox(); err != nil || len(rows) != 0 {
				t.Errorf("outbox %d rows (%v), want it empty", len(rows), err)
			}
		})
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// Recovery does not need the export: the pending notices are written even
// when it is missing.
func TestScan_RecoveryWithoutExport(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-24"), loan("2", "b", "B", "2026-11-28"))
	_, err := Scan(context.Background(), cfg, at(t, "2026-11-25"), Options{hook: crashAt("pending"), Log: testLog(t)})
	if !errors.Is(err, errCrash) {
		t.Fatalf("Scan: %v, want the crash", err)
	}
	os.Remove(cfg.Overdue.Loans)
	res, err := Scan(context.Background(), cfg, at(t, "2026-11-25"), Options{Log: testLog(t)})
	if err != nil || res.LoansError == nil {
		t.Fatalf("Scan: %v, loans error %v", err, res.LoansError)
	}
	if got := summary(res.Queued); got != "1/overdue 2/warning" || len(noticeFiles(t, cfg)) != 2 {
		t.Errorf("recovered %s, queue %v", got, noticeFiles(t, cfg))
	}
	if res.Counts[notice.Overdue].Queued != 1 || res.Counts[notice.Warning].Queued != 1 {
		t.Errorf("counts %+v", res.Counts)
	}
}

// A notice left pending by a crash long ago is dropped as stale, not sent.
func TestScan_CrashStalePending(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-24"))
	_, err := Scan(context.Background(), cfg, at(t, "2026-11-25"), Options{hook: crashAt("pending"), Log: testLog(t)})
	if !errors.Is(err, errCrash) {
		t.Fatalf("Scan: %v, want the crash", err)
	}
	writeLoans(t, cfg)
	res := scan(t, cfg, "2026-12-01", Options{})
	if len(res.Queued) != 0 || len(noticeFiles(t, cfg)) != 0 {
		t.Errorf("a stale pending notice was queued: %+v", res.Queued)
	}
	if len(res.Dropped) != 1 || !strings.Contains(res.Dropped[0].Reason, "stale") || res.Dropped[0].PatronID != "1" {
		t.Errorf("dropped %+v", res.Dropped)
	}
}

// Two scans at once (the daily scan and a manual run) queue each notice
// once between them.
func TestScan_Concurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	cfg := testConfig(t)
	var rows []row
	for p := range 300 {
		id := string(rune('A'+p%26)) + strings.Repeat("x", p/26)
		rows = append(rows, loan(id, id+"-1", "One", "2026-11-28"), loan(id, id+"-2", "Two", "2026-11-24"))
	}
	writeLoans(t, cfg, rows...)
	var wg sync.WaitGroup
	results := make([]*Result, 3)
	for i := range results {
		wg.Go(func() {
			res, err := Scan(context.Background(), cfg, at(t, "2026-11-25"), Options{})
			if err != nil {
				t.Errorf("Scan: %v", err)
				return
			}
			results[i] = res
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	keys := map[string]int{}
	total := 0
	for _, r := range results {
		total += len(r.Queued)
		for _, p := range r.Queued {
			for _, it := range p.Items {
				keys[p.PatronID+"/"+it.Barcode+"/"+p.Kind]++
			}
		}
	}
	if len(keys) != 600 {
		t.Errorf("%d notice keys queued, want 600", len(keys))
	}
	for k, n := range keys {
		if n != 1 {
			t.Errorf("%s queued %d times", k, n)
		}
	}
	if files := noticeFiles(t, cfg); len(files) != total {
		t.Errorf("%d files for %d queued notices", len(files), total)
	}
}

// A scan that records its keys while another has composed its messages:
// the other queues only the items left.
func TestScan_RaceWithAnotherScan(t *testing.T) {
	cfg := testConfig(t)
	all := []row{loan("1", "a", "A", "2026-11-28"), loan("1", "b", "B", "2026-11-28"), loan("1", "c", "C", "2026-11-28"), loan("2", "d", "D", "2026-11-24")}
	writeLoans(t, cfg, all...)
	var first *Result
	hook := func(stage string) error {
		if stage == "composed" && first == nil {
			// The other scan sees an export without C and runs to the end.
			writeLoans(t, cfg, all[0], all[1], all[3])
			first = scan(t, cfg, "2026-11-25", Options{})
		}
		return nil
	}
	second := scan(t, cfg, "2026-11-25", Options{hook: hook})
	if got := summary(first.Queued); got != "1/warning 2/overdue" || titles(byPatronKind(t, first.Queued, "1", notice.Warning).Items) != "A, B" {
		t.Errorf("the first scan queued %+v", first.Queued)
	}
	if got := summary(second.Queued); got != "1/warning" || titles(second.Queued[0].Items) != "C" {
		t.Errorf("the second scan queued %+v, want C alone", second.Queued)
	}
	if files := noticeFiles(t, cfg); len(files) != 3 {
		t.Errorf("queue %v, want 3 notices", files)
	}
	st, err := openStore(filepath.Join(cfg.Spool.Data, StateFile), true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	known, err := st.known("2026-11-01", "2026-11-30")
	if err != nil || len(known) != 4 {
		t.Errorf("%d keys recorded (%v), want 4", len(known), err)
	}
}

// A scan that starts while another is writing the files of a batch it has
// recorded must not take that batch's outbox rows for those of an
// interrupted scan: it waits, and then queues nothing twice. (Without the
// state lock it wrote them as recovered, and a notice the gateway had
// relayed in between went out twice.)
func TestScan_RecoveryWaitsForAScanWritingItsFiles(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-28"), loan("2", "b", "B", "2026-11-24"))
	var second *Result
	var logB spooltest.Buffer
	done := make(chan struct{})
	hook := func(stage string) error {
		if stage != "pending" || second != nil {
			return nil
		}
		// This scan has recorded its keys and outbox rows and holds the
		// state lock; its files are not written yet.
		go func() {
			defer close(done)
			opts := Options{Log: slog.New(slog.NewTextHandler(&logB, nil))}
			second = scan(t, cfg, "2026-11-25", opts)
		}()
		spooltest.WaitFor(t, "the second scan waits for the lock, or ends", func() bool {
			select {
			case <-done:
				return true
			default:
				return strings.Contains(logB.String(), "waiting for another overdue scan")
			}
		})
		return nil
	}
	first := scan(t, cfg, "2026-11-25", Options{hook: hook})
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the second scan did not end within a minute of the first")
	}
	if got := summary(first.Queued); got != "1/warning 2/overdue" {
		t.Errorf("the first scan queued %s", got)
	}
	if len(second.Queued) != 0 {
		t.Errorf("the second scan queued %s again (recovered: %v), want nothing", summary(second.Queued), second.Queued[0].Recovered)
	}
	if !strings.Contains(logB.String(), "waiting for another overdue scan to finish writing its notices") {
		t.Errorf("the second scan did not say it waited:\n%s", logB.String())
	}
	if files := noticeFiles(t, cfg); len(files) != 2 {
		t.Errorf("queue %v, want 2 notices", files)
	}
}

// A day missed entirely: its notices go out once, late, at the next scan.
func TestScan_CatchUpMissedDay(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg, loan("0", "z", "Z", "2026-11-26"))
	scan(t, cfg, "2026-11-23", Options{})
	writeLoans(t, cfg,
		loan("1", "l1", "Overdue missed", "2026-11-23"),  // overdue on the 24th
		loan("2", "l2", "Warning missed", "2026-11-27"),  // warning on the 24th
		loan("3", "l3", "Overdue today", "2026-11-24"),   // overdue on the 25th
		loan("4", "l4", "Reminder missed", "2026-11-21"), // reminder on the 24th
	)
	res := scan(t, cfg, "2026-11-25", Options{})
	if got := res.From.Format(time.DateOnly); got != "2026-11-24" {
		t.Errorf("covered from %s, want 2026-11-24", got)
	}
	if got := summary(res.Queued); got != "1/overdue 2/warning 3/overdue 4/reminder" {
		t.Fatalf("queued %s", got)
	}
	for patron, day := range map[string]string{"1": "2026-11-24", "2": "2026-11-24", "3": "2026-11-25", "4": "2026-11-24"} {
		for _, p := range res.Queued {
			if p.PatronID == patron && p.For.Format(time.DateOnly) != day {
				t.Errorf("patron %s: for %s, want %s", patron, p.For.Format(time.DateOnly), day)
			}
		}
	}
	// The late overdue notice says how late it is now.
	if n := readNoticeFile(t, cfg, byPatronKind(t, res.Queued, "1", notice.Overdue).File); !strings.Contains(n.text, "2 days") {
		t.Errorf("the late notice does not count 2 days overdue:\n%s", n.text)
	}
	if len(res.Dropped) != 0 {
		t.Errorf("dropped %+v", res.Dropped)
	}
	// Sent once: the next day queues only what is new that day.
	res = scan(t, cfg, "2026-11-26", Options{})
	if got := summary(res.Queued); got != "1/reminder" {
		t.Errorf("the next day queued %s, want only 1/reminder", got)
	}
	if last, ok, err := LastRun(cfg); err != nil || !ok || last.Format(time.DateOnly) != "2026-11-26" || last.Location() != stockholm {
		t.Errorf("LastRun = %v, %v, %v", last, ok, err)
	}
}

// The first scan ever covers its own day alone.
func TestScan_FirstRunCoversOnlyItsDay(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg, loan("1", "a", "Overdue yesterday", "2026-11-23"), loan("2", "b", "Overdue today", "2026-11-24"))
	res := scan(t, cfg, "2026-11-25", Options{})
	if got := summary(res.Queued); got != "2/overdue" || len(res.Dropped) != 0 || !res.From.Equal(res.Day) {
		t.Errorf("queued %s, dropped %d, from %v", got, len(res.Dropped), res.From)
	}
}

// A warning for an item already past due is not sent late; the overdue
// notice that replaces it is.
func TestScan_CatchUpStaleWarning(t *testing.T) {
	cfg := testConfig(t)
	cfg.Overdue.WarningDays = 1
	writeLoans(t, cfg)
	scan(t, cfg, "2026-11-22", Options{})
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-24"), loan("2", "b", "B", "2026-11-26"))
	res := scan(t, cfg, "2026-11-25", Options{})
	if got := summary(res.Queued); got != "1/overdue 2/warning" {
		t.Errorf("queued %s", got)
	}
	if len(res.Dropped) != 1 {
		t.Fatalf("dropped %+v, want patron 1's warning", res.Dropped)
	}
	d := res.Dropped[0]
	if d.PatronID != "1" || d.Kind != notice.Warning || d.For.Format(time.DateOnly) != "2026-11-23" || !strings.Contains(d.Reason, "past due") {
		t.Errorf("dropped %+v", d)
	}
}

// After a 10-day closure, only stale_after's days are caught up; the rest
// are dropped and reported.
func TestScan_CatchUpAfterClosure(t *testing.T) {
	cfg := testConfig(t)
	cfg.Overdue.WarningDays, cfg.Overdue.ReminderDays = 0, 0
	writeLoans(t, cfg)
	scan(t, cfg, "2026-11-14", Options{})
	var rows []row
	for d := 14; d <= 24; d++ { // overdue notices due on the 15th to the 25th
		due := time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		rows = append(rows, loan(due, "b"+due, "Due "+due, due))
	}
	writeLoans(t, cfg, rows...)
	res := scan(t, cfg, "2026-11-25", Options{})
	if got := summary(res.Queued); got != "2026-11-22/overdue 2026-11-23/overdue 2026-11-24/overdue" {
		t.Errorf("queued %s, want the notices of the 23rd to the 25th", got)
	}
	if len(res.Dropped) != 8 {
		t.Fatalf("dropped %d, want the 8 notices of the 15th to the 22nd", len(res.Dropped))
	}
	for _, d := range res.Dropped {
		if !strings.Contains(d.Reason, "stale") || !d.For.Before(at(t, "2026-11-23").Add(-7*time.Hour)) {
			t.Errorf("dropped %+v", d)
		}
	}
	if c := res.Counts[notice.Overdue]; c.Queued != 3 || c.Dropped != 8 {
		t.Errorf("counts %+v", c)
	}
	var b bytes.Buffer
	res.WriteText(&b)
	if !strings.Contains(b.String(), "Dropped, not sent (8)") || !strings.Contains(b.String(), "2026-11-15 to 2026-11-24") {
		t.Errorf("text:\n%s", b.String())
	}
	// Dropped notices are not sent later either.
	if again := scan(t, cfg, "2026-11-26", Options{}); len(again.Queued) != 0 || len(again.Dropped) != 0 {
		t.Errorf("next day: queued %s, dropped %d", summary(again.Queued), len(again.Dropped))
	}
}

// The reminder replaces a missed overdue notice of the same loan.
func TestScan_CatchUpLaterNoticeReplaces(t *testing.T) {
	cfg := testConfig(t)
	cfg.Overdue.ReminderDays = 2
	writeLoans(t, cfg)
	scan(t, cfg, "2026-11-23", Options{})
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-23")) // overdue on the 24th, reminder on the 25th
	res := scan(t, cfg, "2026-11-25", Options{})
	if got := summary(res.Queued); got != "1/reminder" {
		t.Errorf("queued %s, want the reminder alone", got)
	}
	if len(res.Dropped) != 1 || res.Dropped[0].Kind != notice.Overdue || !strings.Contains(res.Dropped[0].Reason, "reminder") {
		t.Errorf("dropped %+v", res.Dropped)
	}
}

// On daylight-saving days the offsets are calendar days.
func TestScan_DaylightSaving(t *testing.T) {
	for _, tc := range []struct{ day, warn, over, remind string }{
		{"2026-03-29", "2026-04-01", "2026-03-28", "2026-03-26"}, // spring forward
		{"2026-10-25", "2026-10-28", "2026-10-24", "2026-10-22"}, // fall back
		{"2026-03-30", "2026-04-02", "2026-03-29", "2026-03-27"}, // the day after
		{"2026-03-26", "2026-03-29", "2026-03-25", "2026-03-23"}, // warning due on the change
	} {
		t.Run(tc.day, func(t *testing.T) {
			cfg := testConfig(t)
			writeLoans(t, cfg,
				loan("w", "w", "W", tc.warn),
				loan("o", "o", "O", tc.over),
				loan("r", "r", "R", tc.remind),
				loan("wt", "wt", "W at 23:30", tc.warn+" 23:30"),
				loan("ot", "ot", "O at 00:30", tc.over+"T00:30:00"),
				loan("none", "n", "N", tc.day+" 02:30"),
			)
			// The scan at 06:30 local, and at 00:10 and 23:50 of the day.
			for _, clock := range [][2]int{{6, 30}, {0, 10}, {23, 50}} {
				d, _ := time.ParseInLocation(time.DateOnly, tc.day, stockholm)
				d = time.Date(d.Year(), d.Month(), d.Day(), clock[0], clock[1], 0, 0, stockholm)
				res, err := Scan(context.Background(), cfg, d, Options{DryRun: true})
				if err != nil {
					t.Fatal(err)
				}
				if got := summary(res.Queued); got != "o/overdue ot/overdue r/reminder w/warning wt/warning" {
					t.Errorf("at %v: queued %s", d, got)
				}
				if res.Day.Format(time.DateOnly) != tc.day {
					t.Errorf("day %v", res.Day)
				}
			}
		})
	}
}

// A dry run writes nothing, and says what the real run then does.
func TestScan_DryRunWritesNothing(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-28"), loan("2", "b", "B", "2026-11-24"),
		row{patron: "3", name: "Paper", notify: "yes", barcode: "c", title: "C", due: "2026-11-24"})
	dry := scan(t, cfg, "2026-11-25", Options{DryRun: true})
	if len(dry.Queued) != 2 || len(dry.Skipped) != 1 || !dry.DryRun {
		t.Fatalf("dry run: queued %s, skipped %d", summary(dry.Queued), len(dry.Skipped))
	}
	if files := noticeFiles(t, cfg); len(files) != 0 {
		t.Errorf("the dry run wrote %v", files)
	}
	if _, err := os.Stat(cfg.Spool.Data); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dry run created the data folder (%v)", err)
	}
	var b bytes.Buffer
	dry.WriteText(&b)
	for _, want := range []string{"dry run", "would queue", "patron 1 Patron 1: warning, 1 item to p1@example.org (en)", "- A / An Author [a], due 2026-11-28", "To print or phone (1)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, b.String())
		}
	}
	// With a state database in place, a dry run leaves it as it was.
	real := scan(t, cfg, "2026-11-25", Options{})
	for i := range real.Queued {
		if real.Queued[i].File != dry.Queued[i].File {
			t.Errorf("the run wrote %s, the dry run said %s", real.Queued[i].File, dry.Queued[i].File)
		}
	}
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-29"))
	if res := scan(t, cfg, "2026-11-26", Options{DryRun: true}); len(res.Queued) != 1 {
		t.Errorf("dry run of the next day: queued %s", summary(res.Queued))
	}
	if last, _, _ := LastRun(cfg); last.Format(time.DateOnly) != "2026-11-25" {
		t.Errorf("the dry run recorded a run: last %v", last)
	}
	if res := scan(t, cfg, "2026-11-26", Options{}); len(res.Queued) != 1 {
		t.Errorf("the real run after the dry run queued %s", summary(res.Queued))
	}
}

// Bad rows are reported with their lines; the good rows are processed.
func TestScan_BadRows(t *testing.T) {
	cfg := testConfig(t)
	writeRaw(t, cfg, []byte("patron_id;patron_name;email;notify;barcode;title;due\n"+
		"1;Anna;anna@example.org;ja;a;Good;2026-11-24\n"+
		"2;Bad Date;bad@example.org;ja;b;Bad;24/11/2026\n"+
		";No Id;x@example.org;ja;c;No id;2026-11-24\n"+
		"4;\"Quoted\nName\";q@example.org;ja;d;Quoted;2026-11-24\n"+
		"5;Bad Mail;not-an-address;ja;e;Bad mail;2026-11-24\n"))
	res := scan(t, cfg, "2026-11-25", Options{})
	if got := summary(res.Queued); got != "1/overdue 4/overdue" {
		t.Errorf("queued %s", got)
	}
	lines := []int{}
	for _, e := range res.RowErrors {
		lines = append(lines, e.Line)
	}
	if len(lines) != 3 || lines[0] != 3 || lines[1] != 4 || lines[2] != 7 {
		t.Errorf("bad rows at lines %v, want 3, 4, 7: %v", lines, res.RowErrors)
	}
	var b bytes.Buffer
	res.WriteText(&b)
	if !strings.Contains(b.String(), "3 bad rows left out") || !strings.Contains(b.String(), "line 7 (patron 5)") {
		t.Errorf("text:\n%s", b.String())
	}
}

// A missing export is an error in the result, not a crash; the next scan
// catches up the day.
func TestScan_MissingLoansFile(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg)
	scan(t, cfg, "2026-11-24", Options{})
	os.Remove(cfg.Overdue.Loans)
	res, err := Scan(context.Background(), cfg, at(t, "2026-11-25"), Options{Log: testLog(t)})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if !errors.Is(res.LoansError, fs.ErrNotExist) {
		t.Errorf("LoansError %v, want a missing file", res.LoansError)
	}
	if last, _, _ := LastRun(cfg); last.Format(time.DateOnly) != "2026-11-24" {
		t.Errorf("the failed scan counts as done: last run %v", last)
	}
	rec, err := Recorded(cfg, at(t, "2026-11-25"))
	if err != nil || rec == nil || rec.LoansError == nil || !strings.Contains(rec.LoansError.Error(), "loans.csv") {
		t.Errorf("Recorded: %+v, %v", rec, err)
	}
	var b bytes.Buffer
	res.WriteText(&b)
	if !strings.Contains(b.String(), "could not be read") {
		t.Errorf("text:\n%s", b.String())
	}
	// The export is back the next day: the 25th is caught up.
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-24"))
	res = scan(t, cfg, "2026-11-26", Options{})
	if got := summary(res.Queued); got != "1/overdue" || res.Queued[0].For.Format(time.DateOnly) != "2026-11-25" {
		t.Errorf("queued %s (%+v)", got, res.Queued)
	}
	// An export with no usable header is a LoansError too.
	writeRaw(t, cfg, []byte("name,address\nx,y\n"))
	if res, err := Scan(context.Background(), cfg, at(t, "2026-11-27"), Options{}); err != nil || res.LoansError == nil {
		t.Errorf("a bad header: %v, %v", res, err)
	}
}

// Patron data cannot add a header: a line break stays inside a name, and
// an odd patron id cannot leave the queue folder.
func TestScan_HeaderInjection(t *testing.T) {
	cfg := testConfig(t)
	writeLoans(t, cfg,
		row{patron: "../../etc/x\r\nBcc: evil@example.org", name: "Anna\r\nBcc: evil@example.org\r\nSubject: You won",
			email: "anna@example.org", notify: "yes", barcode: "a\nX-Evil: 1", title: "Title\r\nX-Injected: yes", due: "2026-11-24"})
	res := scan(t, cfg, "2026-11-25", Options{})
	if len(res.Queued) != 1 {
		t.Fatalf("queued %+v", res.Queued)
	}
	file := res.Queued[0].File
	if !regexp.MustCompile(`^notice-20261125-overdue-[A-Za-z0-9_-]+-[0-9a-f]{10}\.eml$`).MatchString(file) {
		t.Errorf("file name %q", file)
	}
	n := readNoticeFile(t, cfg, file)
	for _, h := range []string{"Bcc", "X-Evil", "X-Injected"} {
		if v := n.header.Get(h); v != "" {
			t.Errorf("header %s: %q was injected", h, v)
		}
	}
	if len(n.header["Subject"]) != 1 || strings.Contains(n.subject, "won") {
		t.Errorf("subject %q", n.header["Subject"])
	}
	head, _, _ := strings.Cut(n.raw, "\r\n\r\n")
	if strings.Contains(head, "evil") {
		t.Errorf("the header holds patron data:\n%s", head)
	}
	if !strings.Contains(n.text, "Title X-Injected: yes") {
		t.Errorf("the title is not kept on one line in the body:\n%s", n.text)
	}
	var b bytes.Buffer
	res.WriteText(&b)
	if strings.Contains(b.String(), "\r") || strings.Contains(b.String(), "\nBcc") {
		t.Errorf("the text output breaks lines at patron data:\n%s", b.String())
	}
}

// A notice's file name comes from spool.NameFor, so it is one the queue's
// patterns take as a waiting file, whatever they are; with none that can
// give a name the scan refuses to start and says to add *.eml.
func TestNoticeNames_FollowThePatterns(t *testing.T) {
	for _, tc := range []struct {
		patterns       []string
		prefix, suffix string
	}{
		{[]string{"*.tmp", "*.eml"}, "notice-", ".eml"},
		{[]string{"*.EML"}, "notice-", ".eml"},
		{[]string{"*.tmp"}, "notice-", ".tmp"},
		{[]string{"*.txt", "*.msg"}, "notice-", ".txt"},
		{[]string{"ils-*"}, "ils-notice-", ""},
	} {
		cfg := testConfig(t)
		cfg.Spool.Patterns = tc.patterns
		writeLoans(t, cfg, loan("1", "a", "A", "2026-11-24"))
		res := scan(t, cfg, "2026-11-25", Options{})
		if len(res.Queued) != 1 || !strings.HasPrefix(res.Queued[0].File, tc.prefix) || !strings.HasSuffix(res.Queued[0].File, tc.suffix) {
			t.Errorf("patterns %q: queued %+v, want %s...%s", tc.patterns, res.Queued, tc.prefix, tc.suffix)
			continue
		}
		if _, err := os.Stat(filepath.Join(cfg.Spool.Folder, res.Queued[0].File)); err != nil {
			t.Errorf("patterns %q: the notice file: %v", tc.patterns, err)
		}
	}
	cfg := testConfig(t)
	cfg.Spool.Patterns = []string{"[ab].eml"}
	writeLoans(t, cfg, loan("1", "a", "A", "2026-11-24"))
	if _, err := Scan(context.Background(), cfg, at(t, "2026-11-26"), Options{}); err == nil || !strings.Contains(err.Error(), "*.eml") {
		t.Errorf("no usable pattern: %v", err)
	}
}

func TestSafeID(t *testing.T) {
	for in, want := range map[string]string{
		"12345":                 "12345",
		"A-b_9":                 "A-b_9",
		"../x":                  "___x",
		"Åsa 1":                 "_sa_1",
		"":                      "_",
		strings.Repeat("9", 50): strings.Repeat("9", 40),
	} {
		if got := safeID(in); got != want {
			t.Errorf("safeID(%q) = %q, want %q", in, got, want)
		}
	}
}

// A barcode-less export tells items apart by title.
func TestScan_NoBarcodeColumn(t *testing.T) {
	cfg := testConfig(t)
	writeRaw(t, cfg, []byte("patron_id,email,title,due\n1,a@example.org,First,2026-11-24\n1,a@example.org,Second,2026-11-24\n"))
	res := scan(t, cfg, "2026-11-25", Options{})
	if len(res.Queued) != 1 || len(res.Queued[0].Items) != 2 {
		t.Fatalf("queued %+v", res.Queued)
	}
	if again := scan(t, cfg, "2026-11-25", Options{}); len(again.Queued) != 0 {
		t.Errorf("queued again: %+v", again.Queued)
	}
}

// A notices.db of a newer spoolgate (a downgrade) is refused for reading
// and for writing with a message that says so, and left as it was.
func TestState_RefusesANewerDatabase(t *testing.T) {
	path := filepath.Join(spooltest.TempDir(t), StateFile)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`CREATE TABLE future (x)`, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion+1)} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	for _, readOnly := range []bool{true, false} {
		st, err := openStore(path, readOnly)
		if err == nil {
			st.db.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "newer than this spoolgate knows") || !strings.Contains(err.Error(), "untouched") {
			t.Errorf("read-only %v: %v", readOnly, err)
		}
	}
	db, _ = sql.Open("sqlite", path)
	defer db.Close()
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != schemaVersion+1 {
		t.Errorf("user_version %d after the refusal (%v)", v, err)
	}
}
