package relay

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// Probe asks about a sender with MAIL FROM and RSET, never RCPT or DATA,
// and leaves the connection fit for the next Probe.
func TestProbe(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := smtptest.NewServer(t, smtptest.WithFault(func(stage smtptest.Stage, arg string) *smtptest.Reply {
		mu.Lock()
		seen = append(seen, string(stage)+" "+arg)
		mu.Unlock()
		if stage == smtptest.StageMail && strings.HasPrefix(arg, "refused") {
			return smtptest.Refuse(553, [3]int{5, 7, 1}, "<"+arg+">: Sender address rejected: not owned by user")
		}
		return nil
	}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Open(ctx, serverFor("smtp", srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(time.Second)
	if err := c.Probe(ctx, "library@example.org"); err != nil {
		t.Errorf("accepted sender: %v", err)
	}
	err = c.Probe(ctx, "refused@example.org")
	var e *Error
	if !errors.As(err, &e) || e.Stage != "mail" || e.Code != 553 || e.Cause != cause.SenderRefused ||
		e.Reply != "553 5.7.1 <refused@example.org>: Sender address rejected: not owned by user" {
		t.Errorf("refused sender: %#v", err)
	}
	if err := c.Probe(ctx, "again@example.org"); err != nil {
		t.Errorf("after a refusal the connection must carry another Probe: %v", err)
	}
	if err := c.Probe(ctx, "bad\r\nRCPT TO:<x@example.org>"); err == nil {
		t.Error("a sender with a line break was sent")
	}
	mu.Lock()
	defer mu.Unlock()
	want := "MAIL library@example.org|MAIL refused@example.org|MAIL again@example.org"
	if got := strings.Join(seen, "|"); got != want {
		t.Errorf("the server saw %s, want %s", got, want)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages", n)
	}
}
