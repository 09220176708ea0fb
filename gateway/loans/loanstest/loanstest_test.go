package loanstest

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// Write cuts the last patron's loans at n and counts what it wrote.
func TestWrite(t *testing.T) {
	path := filepath.Join(spooltest.TempDir(t), "loans.csv")
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	count := Write(t, path, 10, func(*rand.Rand) []time.Time { return []time.Time{day, day, day.AddDate(0, 0, 1)} })
	if count["2026-12-01"] != 7 || count["2026-12-02"] != 3 || len(count) != 2 {
		t.Errorf("counts %v, want 7 on 2026-12-01 and 3 on 2026-12-02", count)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeffpatron_id;")) || bytes.Count(b, []byte("\r\n")) != 11 {
		t.Errorf("want a BOM, a header and 10 rows, CRLF:\n%s", b)
	}
	again := filepath.Join(spooltest.TempDir(t), "again.csv")
	Write(t, again, 10, func(*rand.Rand) []time.Time { return []time.Time{day, day, day.AddDate(0, 0, 1)} })
	if b2, _ := os.ReadFile(again); !bytes.Equal(b, b2) {
		t.Error("two exports with the same arguments differ")
	}
}

func TestPeakHeap(t *testing.T) {
	var keep []byte
	peak, allocated := PeakHeap(func() { keep = make([]byte, 8<<20) })
	if peak < 7<<20 || allocated < 8<<20 { // the heap before may shrink a little
		t.Errorf("peak %d, allocated %d after holding 8 MB", peak, allocated)
	}
	_ = keep[0]
}
