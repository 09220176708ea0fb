package loans

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/loans/loanstest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// writeBigExport writes an export of n loans: patrons have one to six
// loans each, in rows next to each other, due within 30 days either side
// of 1 December 2026.
func writeBigExport(tb testing.TB, n int) string {
	tb.Helper()
	path := filepath.Join(spooltest.TempDir(tb), "loans.csv")
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	loanstest.Write(tb, path, n, func(rng *rand.Rand) []time.Time {
		dues := make([]time.Time, 1+rng.IntN(6))
		for k := range dues {
			dues[k] = base.AddDate(0, 0, rng.IntN(60)-30)
		}
		return dues
	})
	return path
}

// BenchmarkRead100k reads a 100,000-loan export.
func BenchmarkRead100k(b *testing.B) {
	path := writeBigExport(b, 100000)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		res, err := ReadFile(path, Options{Location: time.UTC})
		if err != nil || len(res.Loans) != 100000 {
			b.Fatalf("read: %v", err)
		}
	}
}

// BenchmarkRead100kPeakHeap reports the peak heap in use while reading a
// 100,000-loan export, sampled every millisecond, and the bytes allocated.
func BenchmarkRead100kPeakHeap(b *testing.B) {
	path := writeBigExport(b, 100000)
	var peak, total uint64
	for b.Loop() {
		p, t := peakHeap(b, path)
		peak, total = max(peak, p), t
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(total)/(1<<20), "alloc-MB/op")
}

// peakHeap reads the export at path and returns the peak heap above the
// level before the read, with the loans still held, and the bytes the
// read allocated.
func peakHeap(tb testing.TB, path string) (peak, allocated uint64) {
	tb.Helper()
	var res *Result
	var err error
	peak, allocated = loanstest.PeakHeap(func() { res, err = ReadFile(path, Options{Location: time.UTC}) })
	if err != nil || len(res.Loans) != 100000 || len(res.Errors) != 0 {
		tb.Fatalf("read: %v", err)
	}
	return peak, allocated
}

// The bound, which does not depend on the machine's speed: reading
// 100,000 loans keeps the heap well under 100 MB.
func TestRead100k_Memory(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	path := writeBigExport(t, 100000)
	peak, total := peakHeap(t, path)
	t.Logf("peak heap %.1f MB, allocated %.1f MB", float64(peak)/(1<<20), float64(total)/(1<<20))
	if peak > 60<<20 {
		t.Errorf("peak heap %.1f MB, want under 60 MB", float64(peak)/(1<<20))
	}
}

// The generated export is what the benchmark claims to read.
func TestWriteBigExport(t *testing.T) {
	path := writeBigExport(t, 2000)
	res := mustRead(t, path, Options{})
	noRowErrors(t, res)
	quoted := 0
	for _, l := range res.Loans {
		if strings.ContainsAny(l.Title, `;"`) {
			quoted++
		}
	}
	if len(res.Loans) != 2000 || res.Delimiter != ';' || quoted == 0 {
		t.Errorf("%d loans, delimiter %q, %d quoted titles", len(res.Loans), res.Delimiter, quoted)
	}
}
