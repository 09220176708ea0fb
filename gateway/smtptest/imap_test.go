package smtptest

import (
	"strings"
	"testing"
)

func TestDovecotIMAP_AppendList(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := StartDovecotIMAP(t)
	if l := s.List(t, "INBOX"); len(l) != 0 {
		t.Fatalf("a new INBOX holds %d messages", len(l))
	}
	u1 := s.Append(t, "INBOX", []byte("Subject: one\r\n\r\nbody one\r\n"))
	u2 := s.Append(t, "INBOX", []byte("Subject: two\r\n\r\nbody two\r\n"), `\Seen`)
	if u2 <= u1 {
		t.Errorf("UIDs %d then %d", u1, u2)
	}
	l := s.List(t, "INBOX")
	if len(l) != 2 || l[0].UID != u1 || l[1].UID != u2 {
		t.Fatalf("List = %+v", l)
	}
	if l[0].Seen() || !l[1].Seen() {
		t.Errorf("flags %v and %v, want none and \\Seen", l[0].Flags, l[1].Flags)
	}
	if !strings.Contains(string(l[0].Raw), "body one") {
		t.Errorf("raw %q", l[0].Raw)
	}
	// List reads with BODY.PEEK[]: still unseen.
	if l := s.List(t, "INBOX"); l[0].Seen() {
		t.Errorf("List marked the message \\Seen")
	}
	if l := s.List(t, "no/such/folder"); l != nil {
		t.Errorf("a missing folder lists %v", l)
	}
	s.Append(t, "Archive", []byte("Subject: three\r\n\r\nx\r\n"))
	if l := s.List(t, "Archive"); len(l) != 1 {
		t.Errorf("Archive holds %d", len(l))
	}
}
