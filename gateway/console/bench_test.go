package console

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkPages_100kQueued times the pages that read the queue folder
// with 100,000 files waiting in it (and 1,000 set aside as .BAD), as an
// admin sees them: the overview, the queue page and /api/queue.
//
//	go test -run '^$' -bench Pages_100kQueued ./gateway/console/
func BenchmarkPages_100kQueued(b *testing.B) {
	f := newFixture(b)
	queue := f.s.cfg.Spool.Folder
	if err := os.MkdirAll(queue, 0o755); err != nil {
		b.Fatal(err)
	}
	msg := []byte("To: patron@example.net\r\nSubject: Due soon\r\n\r\nhej\r\n")
	for i := range 100_000 {
		if err := os.WriteFile(filepath.Join(queue, fmt.Sprintf("notice-%06d.eml", i)), msg, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	reason := []byte("spoolgate set this file aside.\r\n")
	for i := range 1_000 {
		name := filepath.Join(queue, fmt.Sprintf("refused-%04d.eml.BAD", i))
		if err := os.WriteFile(name, msg, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(name+".txt", reason, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	cookie := f.login(b, "alice")
	for _, path := range []string{"/", "/queue", "/api/queue"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				if w := f.do("GET", path, nil, cookie); w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", path, w.Code)
				}
			}
		})
	}
}
