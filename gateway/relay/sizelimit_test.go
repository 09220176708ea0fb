package relay

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// TestSizeLimit_Facts: the refusal of a message over the server's SIZE
// carries the size and the limit as facts, found with errors.As through
// the *Error Send returns, so a caller can word it in any language; it is
// still ErrTooLarge, permanent and message-too-large.
func TestSizeLimit_Facts(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithMaxSize(100))
	s := newSession(t, serverFor("smtp", srv))
	d := delivery("x")
	d.Data = append(d.Data, bytes.Repeat([]byte("0123456789\r\n"), 20)...)
	_, err := s.Send(ctxT(t), d)
	var sl *SizeLimit
	if !errors.As(err, &sl) {
		t.Fatalf("Send: %v, want a *SizeLimit in it", err)
	}
	if sl.Size != int64(len(d.Data)) || sl.Max != 100 {
		t.Errorf("SizeLimit = %+v, want size %d, max 100", sl, len(d.Data))
	}
	e := asError(t, err)
	if !errors.Is(err, ErrTooLarge) || !e.Permanent || e.Cause != cause.MessageTooLarge || e.Reply != "" {
		t.Errorf("error = %v (%+v), want a permanent message-too-large ErrTooLarge without a reply", e, e)
	}
}
