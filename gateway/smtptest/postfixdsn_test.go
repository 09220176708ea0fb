package smtptest

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// sendVia sends msg from DSNReturnPath to rcpts through the rig's Postfix.
func sendVia(t *testing.T, addr string, msg string, rcpts ...string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	c := smtp.NewClient(nc)
	defer c.Close()
	if err := c.SendMail(DSNReturnPath, rcpts, strings.NewReader(msg)); err != nil {
		t.Fatalf("send through Postfix: %v", err)
	}
}

func TestPostfixDSN_HardBounceIntoIMAP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Postfix: the full lane runs it (bash .ci/run)")
	}
	imap := StartDovecotIMAP(t)
	p := StartPostfixDSN(t, imap)
	msg := "From: Library <" + DSNReturnPath + ">\r\nTo: " + DSNUnknown + "\r\nSubject: Overdue\r\nMessage-ID: <rig-1@library.example>\r\n\r\nPlease return the book.\r\n"
	sendVia(t, p.Addr(), msg, DSNUnknown, "ok@patron.example")
	l := imap.WaitList(t, "INBOX", 1, 60*time.Second)
	raw := string(l[0].Raw)
	for _, want := range []string{"multipart/report", "report-type=delivery-status", "Final-Recipient: rfc822; " + DSNUnknown, "Status: 5.1.1", "rig-1@library.example"} {
		if !strings.Contains(raw, want) {
			t.Errorf("the DSN lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(raw, "Final-Recipient: rfc822; ok@patron.example") {
		t.Errorf("the DSN reports the accepted recipient too")
	}
	if got := p.Sink.WaitMessages(t, 1, 30*time.Second); len(got) != 1 {
		t.Errorf("the next hop got %d messages", len(got))
	}
}
