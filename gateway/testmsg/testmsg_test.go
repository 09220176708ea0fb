package testmsg_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/gateway/testmsg"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// site is a config relaying to srv, with its queue folder made.
func site(t *testing.T, srv *smtptest.Server, patterns string) *config.Config {
	t.Helper()
	dir := spooltest.TempDir(t)
	ini := fmt.Sprintf("[spool]\nfolder = queue\ndata = data\nsettle = 0s\ninstance = test\npattern = %s\n\n"+
		"[smtp]\nhost = %s\nport = %d\nsecurity = none\n\n[message]\nfrom = library@example.org\nfrom_name = Example Library\n\n"+
		"[log]\ndaily = false\n\n[console]\nlisten =\n", patterns, srv.Host(), srv.Port())
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.Spool.Folder, 0o770); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestAddress(t *testing.T) {
	t.Parallel()
	if a, err := testmsg.Address("admin@example.org"); err != nil || a != "admin@example.org" {
		t.Errorf("a bare address: %q %v", a, err)
	}
	for _, bad := range []string{"", "admin", "Admin <admin@example.org>", "a@example.org, b@example.org", "a@example.org\r\nBcc: x@example.org"} {
		if _, err := testmsg.Address(bad); !errors.Is(err, testmsg.ErrAddress) {
			t.Errorf("Address(%q): %v; want ErrAddress", bad, err)
		}
	}
}

func TestIsName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"spoolgate-test-20261203-101500-a1b2c3.eml": true,
		"spoolgate-test-x.txt":                      true,
		"notice-20261203.eml":                       false,
		"spoolgate-test-../../etc/passwd":           false,
		"spoolgate-test-a b.eml":                    false,
		"spoolgate-test-a/b.eml":                    false,
	} {
		if got := testmsg.IsName(name); got != want {
			t.Errorf("IsName(%q) = %v", name, got)
		}
	}
}

func TestQueue_Errors(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t)
	cfg := site(t, srv, "*.txt")
	if _, err := testmsg.Queue(cfg, "Admin <admin@example.org>", time.Now()); !errors.Is(err, testmsg.ErrAddress) {
		t.Errorf("a display name: %v", err)
	}
	cfg.Spool.Patterns = []string{"[ab].txt"}
	if _, err := testmsg.Queue(cfg, "admin@example.org", time.Now()); !errors.Is(err, spool.ErrNoName) || !strings.Contains(err.Error(), "[ab].txt") {
		t.Errorf("no pattern takes a name: %v", err)
	}
	cfg.Spool.Patterns = []string{"*.eml"}
	cfg.Spool.Folder = filepath.Join(cfg.Spool.Folder, "missing")
	if _, err := testmsg.Queue(cfg, "admin@example.org", time.Now()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no queue folder: %v", err)
	}
}

// A test message queued and followed to the end: queued, then sent, with
// the relay's reply and its queue id.
func TestQueueFollow_Sent(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageData,
		&smtptest.Reply{Code: 250, Enhanced: [3]int{2, 0, 0}, Message: "Ok: queued as 4F2A1C"})))
	cfg := site(t, srv, "*.eml")
	now := time.Date(2026, 12, 3, 10, 15, 0, 0, time.Local)
	name, err := testmsg.Queue(cfg, "admin@example.org", now)
	if err != nil {
		t.Fatal(err)
	}
	if !testmsg.IsName(name) || !strings.HasPrefix(name, "spoolgate-test-20261203-101500-") || !strings.HasSuffix(name, ".eml") {
		t.Errorf("name %q", name)
	}
	o, err := testmsg.Follow(cfg, nil, name, "admin@example.org")
	if err != nil || o.State != testmsg.Queued || o.Final {
		t.Fatalf("before the gateway runs: %+v %v", o, err)
	}

	g, err := gateway.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	msgs := srv.WaitMessages(t, 1, 30*time.Second)
	data := string(msgs[0].Data)
	for _, want := range []string{"To: <admin@example.org>", "Subject: spoolgate test message from ", "spoolgate test"} {
		if !strings.Contains(data, want) {
			t.Errorf("the message lacks %q:\n%s", want, data)
		}
	}
	spooltest.WaitFor(t, "the journal says sent", func() bool {
		o, err = testmsg.Follow(cfg, g.Journal(), name, "admin@example.org")
		return err == nil && o.Final
	})
	if o.State != testmsg.Sent || o.QueueID != "4F2A1C" || !strings.Contains(o.Reply, "queued as 4F2A1C") ||
		len(o.Delivered) != 1 || o.At.IsZero() || o.Server == "" {
		t.Errorf("after the send: %+v", o)
	}
	// Another address was not sent to: refused, for the page of another.
	o, err = testmsg.Follow(cfg, g.Journal(), name, "other@example.org")
	if err != nil || o.State != testmsg.Refused {
		t.Errorf("for another address: %+v %v", o, err)
	}
	// A name never queued has no record.
	o, err = testmsg.Follow(cfg, g.Journal(), "spoolgate-test-none.eml", "")
	if err != nil || o.State != testmsg.Gone || o.Final {
		t.Errorf("a name never queued: %+v %v", o, err)
	}
}

// A relay that refuses the address for good: the file is set aside as
// .BAD, and Follow says so with the cause.
func TestQueueFollow_Bad(t *testing.T) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.AtRcpt("nobody@example.org",
		smtptest.Refuse(550, [3]int{5, 1, 1}, "No such user"))))
	cfg := site(t, srv, "*.eml")
	name, err := testmsg.Queue(cfg, "nobody@example.org", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var o *testmsg.Outcome
	spooltest.WaitFor(t, "the test is final", func() bool {
		o, err = testmsg.Follow(cfg, g.Journal(), name, "nobody@example.org")
		return err == nil && o.Final
	})
	if o.State != testmsg.Bad || !strings.Contains(o.File, ".BAD") || o.Cause == "" || !strings.Contains(o.Reply, "No such user") {
		t.Errorf("refused: %+v", o)
	}
}
