package overdue_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/overdue"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func serverConfig(name string, srv *smtptest.Server) *config.Server {
	return &config.Server{
		Name: name, Host: srv.Host(), Port: srv.Port(), Security: config.SecurityAuto, TLSVerify: true,
		HELO: "spoolgate.test", ConnectTimeout: 5 * time.Second, Timeout: 10 * time.Second, Connections: 1,
	}
}

// The notices a scan queues go out through the real gateway to a real
// SMTP server: each unit through its own relay, in the patron's language,
// without spoolgate's own headers. A scan interrupted after writing its
// files, whose files the gateway then sent, queues nothing again.
func TestScan_ThroughGateway(t *testing.T) {
	main := smtptest.NewServer(t)
	branch := smtptest.NewServer(t)
	cfg := overdue.NewConfig(t)
	cfg.SMTP = serverConfig("smtp", main)
	cfg.Servers["smtp"] = cfg.SMTP
	cfg.Servers["branch"] = serverConfig("branch", branch)
	cfg.Units["Ostra"] = &config.Unit{Name: "Ostra", From: "ostra@example.org", FromName: "Östra biblioteket", Language: "sv",
		ReturnPath: "ostra-bounces@example.org", SMTP: cfg.Servers["branch"]}
	stockholm := cfg.Service.Location
	overdue.WriteLoans(t, cfg,
		overdue.Row{"1", "Anna Svensson", "anna@example.org", "", "ja", "sv", "", "b1", "Röda rummet", "Strindberg", "2026-11-24"},
		overdue.Row{"1", "Anna Svensson", "anna@example.org", "", "ja", "sv", "", "b2", "Mio, min Mio", "Lindgren", "2026-11-24"},
		overdue.Row{"2", "Jan Kowalski", "jan@example.org", "", "tak", "pl", "", "b3", "Lalka", "Prus", "2026-11-28"},
		overdue.Row{"3", "Tom Brown", "tom@example.org", "", "yes", "", "", "b4", "The Hobbit", "Tolkien", "2026-11-22"},
		overdue.Row{"4", "Kari Nordmann", "kari@example.org", "", "ja", "", "ostra", "b5", "Sult", "Hamsun", "2026-11-24"},
	)
	day := time.Date(2026, 11, 25, 6, 30, 0, 0, stockholm)
	res, err := overdue.Scan(context.Background(), cfg, day, overdue.Options{})
	if err != nil || res.LoansError != nil || len(res.Queued) != 4 {
		t.Fatalf("Scan: %v, %+v", err, res)
	}

	lb := &spooltest.Buffer{}
	g, err := gateway.New(cfg, slog.New(slog.NewTextHandler(lb, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Errorf("the gateway did not stop")
		}
		if t.Failed() {
			t.Logf("gateway log:\n%s", lb.String())
		}
	})

	msgs := main.WaitMessages(t, 3, 30*time.Second)
	want := map[string]string{ // recipient -> subject
		"anna@example.org": "Lånetiden har gått ut (2 lån)",
		"jan@example.org":  "Zbliża się termin zwrotu (1 pozycja)",
		"tom@example.org":  "Second notice: 1 item is overdue",
	}
	for _, m := range msgs {
		if len(m.To) != 1 || want[m.To[0]] == "" {
			t.Errorf("a message to %v", m.To)
			continue
		}
		if m.From != "library@example.org" {
			t.Errorf("to %s: envelope from %q", m.To[0], m.From)
		}
		h, subject, text := overdue.ReadMessage(t, m.Data)
		if subject != want[m.To[0]] {
			t.Errorf("to %s: subject %q, want %q", m.To[0], subject, want[m.To[0]])
		}
		// The notice's control headers stay behind; only spoolgate's own
		// X-Spoolgate-Id (the journal key, for bounces) goes out.
		for k := range h {
			if strings.HasPrefix(strings.ToLower(k), "x-spoolgate-") && !strings.EqualFold(k, "X-Spoolgate-Id") || strings.EqualFold(k, "X-Sender") {
				t.Errorf("to %s: %s was relayed", m.To[0], k)
			}
		}
		if len(h["X-Spoolgate-Id"]) != 1 {
			t.Errorf("to %s: X-Spoolgate-Id %q", m.To[0], h["X-Spoolgate-Id"])
		}
		if m.To[0] == "anna@example.org" && (!strings.Contains(text, "Röda rummet") || !strings.Contains(text, "Mio, min Mio")) {
			t.Errorf("Anna's notice does not list both items:\n%s", text)
		}
	}
	bm := branch.WaitMessages(t, 1, 30*time.Second)
	if bm[0].From != "ostra-bounces@example.org" || bm[0].To[0] != "kari@example.org" {
		t.Errorf("the unit's notice went from %q to %v", bm[0].From, bm[0].To)
	}
	if h, subject, _ := overdue.ReadMessage(t, bm[0].Data); !strings.HasPrefix(subject, "Lånetiden har gått ut") || !strings.Contains(h.Get("From"), "ostra@example.org") {
		t.Errorf("the unit's notice: From %q, subject %q", h.Get("From"), subject)
	}
	spooltest.WaitFor(t, "the sent notices to leave the queue", func() bool { return len(overdue.NoticeFiles(t, cfg)) == 0 })

	// The next day's scan stops after writing its files, before
	// confirming them; the gateway sends them meanwhile.
	overdue.WriteLoans(t, cfg,
		overdue.Row{"5", "Ola", "ola@example.org", "", "", "nb", "", "b6", "Kristin Lavransdatter", "Undset", "2026-11-29"})
	day2 := day.AddDate(0, 0, 1)
	opts := overdue.Options{}
	overdue.SetHook(&opts, overdue.CrashAt("written"))
	if _, err := overdue.Scan(context.Background(), cfg, day2, opts); err == nil || !strings.Contains(err.Error(), "crash") {
		t.Fatalf("Scan with a crash: %v", err)
	}
	main.WaitMessages(t, 4, 30*time.Second)
	spooltest.WaitFor(t, "the notice to be sent and leave the queue", func() bool { return len(overdue.NoticeFiles(t, cfg)) == 0 })
	res, err = overdue.Scan(context.Background(), cfg, day2, overdue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queued) != 0 || len(overdue.NoticeFiles(t, cfg)) != 0 {
		t.Errorf("after the crash the notice was queued again: %+v", res.Queued)
	}
	if got := len(main.Messages()); got != 4 {
		t.Errorf("%d messages arrived, want 4", got)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("the gateway stopped early")
	}
}
