package gateway

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// TestRun_RecoversClaimedFiles plants what a crash leaves behind: claimed
// files in each state the journal can tell about, and one of another
// instance. The one the relay had accepted must not be sent again.
func TestRun_RecoversClaimedFiles(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	os.MkdirAll(cfg.Spool.Folder, 0o755)
	os.MkdirAll(cfg.Spool.Data, 0o755)

	j, err := journal.Open(filepath.Join(cfg.Spool.Data, JournalFile), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	claim := func(key, file, to string) {
		j.Claimed(journal.Claim{Key: key, File: file, To: []string{to}}, nil)
	}
	claim("test-sent1", "a.tmp", "a@example.net") // accepted, crashed before removing the file
	j.Attempt("test-sent1", "smtp", []string{"a@example.net"}, nil)
	j.Record(journal.Outcome{Key: "test-sent1", To: []string{"a@example.net"}, Status: journal.StatusSent, Reply: "250 ok"}, nil)
	claim("test-mid2", "b.tmp", "b@example.net") // crashed in the middle of sending
	j.Attempt("test-mid2", "smtp", []string{"b@example.net"}, nil)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	plant := func(name, to string) {
		if err := os.WriteFile(filepath.Join(cfg.Spool.Folder, name), msg(to, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plant("a.tmp.test-sent1.sending", "a@example.net")
	plant("b.tmp.test-mid2.sending", "b@example.net")
	plant("c.tmp.test-never3.sending", "c@example.net") // claimed, never journalled
	plant("d.tmp.other-k4.sending", "d@example.net")    // another instance's

	r := start(t, cfg)
	got := srv.WaitMessages(t, 2, 60*time.Second)
	waitFor(t, "only the other instance's file is left", func() bool {
		f := files(t, cfg.Spool.Folder)
		return len(f) == 1 && f[0] == "d.tmp.other-k4.sending"
	})
	r.stop()
	var to []string
	for _, m := range srv.Messages() {
		to = append(to, m.To...)
		if bytes.Contains(m.Data, []byte("a.tmp")) {
			t.Error("the message the relay had accepted was sent again")
		}
	}
	sort.Strings(to)
	if len(got) != 2 || len(to) != 2 || to[0] != "b@example.net" || to[1] != "c@example.net" {
		t.Fatalf("sent to %v, want b and c once each", to)
	}
}
