package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// TestE2E_MorningScanAndDailyLog runs the real binary with the overdue scan
// and the daily log due earlier today: both are caught up at start, the
// notices and the daily log reach a real SMTP server, and a restart queues
// nothing twice.
func TestE2E_MorningScanAndDailyLog(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	port, sinkDir := startSink(t)
	dir := spooltest.TempDir(t)
	today := time.Now().UTC()
	day := func(n int) string { return today.AddDate(0, 0, n).Format("2006-01-02") }
	csv := "\ufeffpatron_id;patron_name;email;guardian_email;notify;language;unit;barcode;title;author;due\r\n" +
		"1;Anna Lindqvist;anna@example.net;;ja;sv;;B1;Pippi Långstrump;Astrid Lindgren;" + day(3) + "\r\n" +
		"2;Jan Kowalski;jan@example.net;;tak;pl;;B2;Pan Tadeusz;Adam Mickiewicz;" + day(-1) + "\r\n" +
		"2;Jan Kowalski;jan@example.net;;tak;pl;;B3;Lalka;Bolesław Prus;" + day(-1) + "\r\n" +
		"3;Olga Petrova;;;yes;ru;;B4;Мастер и Маргарита;Михаил Булгаков;" + day(-3) + "\r\n"
	if err := os.WriteFile(filepath.Join(dir, "loans.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, fmt.Sprintf(`
[spool]
folder   = queue
data     = data
batch    = 0
settle   = 0s
[smtp]
host = 127.0.0.1
port = %d
[message]
from      = library@example.org
from_name = Example Library
[overdue]
enabled  = true
at       = 00:00
loans    = loans.csv
[log]
daily_at = 00:00
daily_to = librarian@example.org
[service]
timezone = UTC
`, port))
	d := startDaemon(t, cfg)
	// Two notices (Anna's warning, Jan's overdue with both books) and the
	// daily log; Olga has no address: she is "to print or phone".
	spooltest.WaitFor(t, "the notices and the daily log reached the SMTP server", func() bool { return len(sinkMessages(t, sinkDir)) >= 3 })
	if code := d.stop(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	got := sinkMessages(t, sinkDir)
	var anna, jan, daily *sunk
	for i := range got {
		switch strings.Join(got[i].To, ",") {
		case "anna@example.net":
			anna = &got[i]
		case "jan@example.net":
			jan = &got[i]
		case "librarian@example.org":
			daily = &got[i]
		}
	}
	if anna == nil || jan == nil || daily == nil || len(got) != 3 {
		t.Fatalf("want Anna's and Jan's notices and the daily log, got %d messages: %+v", len(got), got)
	}
	if !bytes.Contains(jan.Data, []byte("Pan Tadeusz")) || !bytes.Contains(jan.Data, []byte("Lalka")) {
		t.Errorf("Jan's one notice must list both books:\n%s", jan.Data)
	}
	if bytes.Contains(anna.Data, []byte("X-Spoolgate-Kind")) {
		t.Error("control headers must be removed before sending")
	}
	if !bytes.Contains(daily.Data, []byte("Olga Petrova")) {
		t.Errorf("the daily log must list the patron to print or phone:\n%s", daily.Data)
	}

	// A manual run the same day queues nothing new.
	out, err := exec.Command(binary, "overdue", "--config", cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("overdue: %v\n%s", err, out)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "queue")); len(ents) != 0 {
		t.Fatalf("a second scan the same day queued %d file(s):\n%s", len(ents), out)
	}
}
