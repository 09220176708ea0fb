package alarm

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/lang"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func server(name, host string, port int) *config.Server {
	return &config.Server{Name: name, Host: host, Port: port, Security: config.SecurityAuto, TLSVerify: true,
		HELO: "spoolgate.test", ConnectTimeout: 5 * time.Second, Timeout: 10 * time.Second, Connections: 1}
}

// testConfig is a site whose [smtp] is stuck (nothing listens there) and
// whose [smtp.alarm] is srv.
func testConfig(t *testing.T, srv *smtptest.Server) *config.Config {
	root := spooltest.TempDir(t)
	cfg := &config.Config{
		File: filepath.Join(root, "spoolgate.ini"),
		Spool: config.Spool{Folder: filepath.Join(root, "queue"), Data: filepath.Join(root, "data"), Instance: "test",
			Patterns: []string{"*.eml"}, Charset: "windows-1252", Encoding: charmap.Windows1252},
		Message: config.Message{From: "library@example.org", FromName: "Example Library", ReturnPath: "library@example.org"},
		Log:     config.Log{Language: "en"},
		Service: config.Service{Location: time.UTC},
		Alarm:   config.Alarm{After: time.Hour, To: []string{"it@example.org"}, SMTP: "alarm"},
		SMTP:    server("smtp", "127.0.0.1", 1),
		Servers: map[string]*config.Server{"alarm": server("alarm", srv.Host(), srv.Port())},
	}
	cfg.Servers["smtp"] = cfg.SMTP
	for _, d := range []string{cfg.Spool.Folder, cfg.Spool.Data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var t0 = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// down is [smtp] refusing the login since t0.
func down(now time.Time) Status {
	return Status{Now: now, Relays: []health.Relay{{Chain: "smtp", State: health.Unavailable, Since: t0,
		Cause: "login-refused", Server: "smtp (127.0.0.1:1)", Reply: "535 5.7.8 Authentication credentials invalid", Failures: 7}}}
}

func up(now time.Time) Status {
	return Status{Now: now, Relays: []health.Relay{{Chain: "smtp", State: health.Available, Since: now}}}
}

func TestAlarm_OnceWhenStuckOnceWhenCleared(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	ctx := context.Background()
	a := New(cfg, quiet())

	a.Check(ctx, down(t0.Add(59*time.Minute)))
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d mails before [alarm] after has passed", n)
	}
	a.Check(ctx, down(t0.Add(61*time.Minute)))
	a.Check(ctx, down(t0.Add(62*time.Minute)))
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d alarm mails, want 1", len(msgs))
	}
	m := msgs[0]
	body := string(m.Data)
	if !reflect.DeepEqual(m.To, []string{"it@example.org"}) || m.From != "library@example.org" {
		t.Errorf("envelope %s -> %v", m.From, m.To)
	}
	for _, want := range []string{"Subject: spoolgate ALARM: mail is not going out: relay 127.0.0.1 unavailable since 2026-12-03",
		"535 5.7.8", "[alarm] after =3D 1h"} {
		if !strings.Contains(body, want) {
			t.Errorf("the alarm lacks %q:\n%s", want, body)
		}
	}

	// A restart: the state in the data folder says it was sent.
	a = New(cfg, quiet())
	a.Check(ctx, down(t0.Add(90*time.Minute)))
	// A chain not yet used since the restart is neither stuck nor well.
	a.Check(ctx, Status{Now: t0.Add(91 * time.Minute), Relays: []health.Relay{{Chain: "smtp", State: health.Unknown}}})
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d mails after a restart, want still 1", n)
	}

	a.Check(ctx, up(t0.Add(2*time.Hour)))
	a.Check(ctx, up(t0.Add(2*time.Hour+time.Minute)))
	a = New(cfg, quiet())
	a.Check(ctx, up(t0.Add(2*time.Hour+2*time.Minute)))
	msgs = srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d mails after the relay works again, want 2 (the alarm and its end)", len(msgs))
	}
	if body := string(msgs[1].Data); !strings.Contains(body, "Subject: spoolgate: resolved: 127.0.0.1 [smtp]") {
		t.Errorf("the cleared mail:\n%s", body)
	}
	if _, err := os.Stat(filepath.Join(cfg.Spool.Data, AlarmFile("test"))); err != nil {
		t.Errorf("the state file: %v", err)
	}

	// Stuck again: a new alarm.
	again := down(t0.Add(4*time.Hour + time.Minute))
	again.Relays[0].Since = t0.Add(3 * time.Hour)
	a.Check(ctx, again)
	if n := len(srv.Messages()); n != 3 {
		t.Fatalf("%d mails after it got stuck again, want 3", n)
	}
}

func TestAlarm_QueueWaiting(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.Log.Language = "sv"
	a := New(cfg, quiet())
	ctx := context.Background()
	st := Status{Now: t0.Add(2 * time.Hour), Waiting: 3, Oldest: t0, Relays: []health.Relay{{Chain: "smtp", State: health.Available}}}
	a.Check(ctx, st)
	a.Check(ctx, st)
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d mails; want one", len(msgs))
	}
	if subj := subject(t, msgs[0]); subj != "spoolgate LARM: e-post skickas inte: 3 filer väntar sedan 2026-12-03 08:00" {
		t.Errorf("the subject is %q", subj)
	}
	a.Check(ctx, Status{Now: t0.Add(3 * time.Hour), Relays: st.Relays})
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("%d mails after the queue emptied, want 2", n)
	}
}

// A chain waiting for its daily limit is not stuck: no alarm about it,
// however long the wait.
func TestAlarm_LimitIsNotStuck(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	a := New(cfg, quiet())
	st := down(t0.Add(5 * time.Hour))
	st.Relays[0].Cause, st.Relays[0].Reply, st.Relays[0].Limit = "quota-exceeded", "daily limit reached", health.LimitDaily
	a.Check(context.Background(), st)
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d alarm mails for a chain at its daily limit", n)
	}
	// The same chain broken, then: the alarm goes.
	a.Check(context.Background(), down(t0.Add(5*time.Hour)))
	srv.WaitMessages(t, 1, 30*time.Second)
}

func TestAlarm_AfterZeroSendsNothing(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	cfg.Alarm.After = 0
	a := New(cfg, quiet())
	a.Check(context.Background(), down(t0.Add(48*time.Hour)))
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d mails with [alarm] after = 0", n)
	}
	if _, err := os.Stat(filepath.Join(cfg.Spool.Data, AlarmFile("test"))); !os.IsNotExist(err) {
		t.Errorf("a state file with [alarm] after = 0: %v", err)
	}
}

func TestAlarm_RetriesAMailThatFailed(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageMail, smtptest.Refuse(451, [3]int{4, 3, 0}, "try later"))))
	cfg := testConfig(t, srv)
	a := New(cfg, quiet())
	ctx := context.Background()
	a.Check(ctx, down(t0.Add(2*time.Hour)))
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d mails through a refusing relay", n)
	}
	srv.SetFault(nil)
	a.Check(ctx, down(t0.Add(2*time.Hour+time.Minute)))
	a.Check(ctx, down(t0.Add(2*time.Hour+2*time.Minute)))
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d mails once the relay takes it, want 1", n)
	}
}

// subject is m's Subject, decoded.
func subject(t *testing.T, m smtptest.Message) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	s, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWords_EveryLanguage(t *testing.T) {
	for _, code := range lang.Codes() {
		w, ok := words[code]
		if !ok {
			t.Errorf("no words in %s", code)
			continue
		}
		v := reflect.ValueOf(w)
		for i := range v.NumField() {
			if v.Field(i).String() == "" {
				t.Errorf("%s: %s is empty", code, v.Type().Field(i).Name)
			}
		}
	}
}
