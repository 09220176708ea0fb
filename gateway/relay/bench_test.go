package relay

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

func BenchmarkSession_Send(b *testing.B) {
	srv := smtptest.NewServer(b)
	head := plainServer("smtp", srv.Host(), srv.Port())
	s := NewSession(head, nil)
	defer s.Close()

	body := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.\r\n"), 31) // 2 KB
	d := &Delivery{
		From: "a@example.org",
		To:   []string{"b@example.org"},
		Data: append([]byte("From: a@example.org\r\nTo: b@example.org\r\nSubject: bench\r\n\r\n"), body...),
	}
	ctx := context.Background()
	if err := s.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(d.Data)))
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := s.Send(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
