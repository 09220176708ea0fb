package overdue

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/loans/loanstest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// benchDay is the scan day of the big export.
const benchDay = "2026-11-25"

// writeBigExport writes an export of n loans of about n/3.75 patrons to
// cfg.Overdue.Loans. Patrons borrow one to four items per visit, in one
// or two visits, and a visit's items are due the same day; a tenth of the
// visits fall due on a trigger day of benchDay (in 3 days, yesterday, 3
// days ago). It returns how many loans hit a trigger.
func writeBigExport(tb testing.TB, cfg *config.Config, n int) (triggered int) {
	tb.Helper()
	day, _ := time.Parse(time.DateOnly, benchDay)
	triggers := []int{3, -1, -3}
	count := loanstest.Write(tb, cfg.Overdue.Loans, n, func(rng *rand.Rand) []time.Time {
		var dues []time.Time
		for visits := 1 + rng.IntN(2); visits > 0; visits-- {
			var off int
			if rng.IntN(10) == 0 {
				off = triggers[rng.IntN(len(triggers))]
			} else {
				off = rng.IntN(61) - 30
				for slices.Contains(triggers, off) {
					off = rng.IntN(61) - 30
				}
			}
			for k := 1 + rng.IntN(4); k > 0; k-- {
				dues = append(dues, day.AddDate(0, 0, off))
			}
		}
		return dues
	})
	for _, off := range triggers {
		triggered += count[day.AddDate(0, 0, off).Format(time.DateOnly)]
	}
	return triggered
}

// bigConfig is a config with two of the export's units configured.
func bigConfig(tb testing.TB) *config.Config {
	cfg := testConfig(tb)
	cfg.Units["central"] = &config.Unit{Name: "central", From: "central@example.org", FromName: "Stadsbiblioteket", Contact: "Sveavägen 73\n08-508 311 00"}
	cfg.Units["bokbussen"] = &config.Unit{Name: "bokbussen", FromName: "Bokbussen", Language: "sv"}
	return cfg
}

// fresh gives cfg a new, empty queue and data folder.
func fresh(tb testing.TB, cfg *config.Config) {
	tb.Helper()
	root := spooltest.TempDir(tb)
	cfg.Spool.Folder, cfg.Spool.Data = filepath.Join(root, "queue"), filepath.Join(root, "data")
	if err := os.MkdirAll(cfg.Spool.Folder, 0o755); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkScan100k scans a 100,000-loan export of about 30,000 patrons
// and queues its notices for real: state database, files in the queue
// folder. Each round starts with an empty queue and database.
func BenchmarkScan100k(b *testing.B) {
	cfg := bigConfig(b)
	writeBigExport(b, cfg, 100000)
	day := at(b, benchDay)
	var peak uint64
	var res *Result
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fresh(b, cfg)
		runtime.GC()
		b.StartTimer()
		p, _ := loanstest.PeakHeap(func() {
			var err error
			if res, err = Scan(context.Background(), cfg, day, Options{}); err != nil {
				b.Fatal(err)
			}
		})
		peak = max(peak, p)
	}
	b.StopTimer()
	t := res.total()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(t.Queued), "notices")
	b.ReportMetric(float64(t.Items), "items")
	b.ReportMetric(float64(t.Skipped), "skipped")
}

// The generated export is what the benchmark claims.
func TestWriteBigExport(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	cfg := bigConfig(t)
	triggered := writeBigExport(t, cfg, 100000)
	if triggered < 9000 || triggered > 11000 {
		t.Errorf("%d loans hit a trigger, want about 10,000", triggered)
	}
	var res *Result
	peak, _ := loanstest.PeakHeap(func() { res = scan(t, cfg, benchDay, Options{DryRun: true}) })
	c := res.total()
	patrons := map[string]bool{}
	for _, p := range res.Queued {
		patrons[p.PatronID] = true
	}
	t.Logf("dry run: %d loans, %d notices with %d items, %d to print or phone, %d warnings; peak heap %.1f MB",
		res.Loans, c.Queued, c.Items, c.Skipped, len(res.Warnings), float64(peak)/(1<<20))
	if res.Loans != 100000 || len(res.RowErrors) != 0 {
		t.Errorf("%d loans, %d bad rows", res.Loans, len(res.RowErrors))
	}
	if c.Items+itemsOf(res.Skipped) != triggered {
		t.Errorf("%d items queued and %d skipped, want the %d that hit a trigger", c.Items, itemsOf(res.Skipped), triggered)
	}
	// The bound, which does not depend on the machine's speed.
	if peak > 100<<20 {
		t.Errorf("peak heap %.1f MB, want under 100 MB", float64(peak)/(1<<20))
	}
}

func itemsOf(s []Skipped) int {
	n := 0
	for _, x := range s {
		n += len(x.Items)
	}
	return n
}

// BenchmarkScan1M scans a 1,000,000-loan export of about 270,000 patrons
// and queues its notices for real, reporting the peak heap in use
// (sampled every millisecond, above the level before the scan) as
// peak-MB. The bound is 150 MB.
//
//	go test ./gateway/overdue -run XXX -bench Scan1M -benchtime 1x
func BenchmarkScan1M(b *testing.B) {
	cfg := bigConfig(b)
	writeBigExport(b, cfg, 1000000)
	day := at(b, benchDay)
	var peak uint64
	var res *Result
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fresh(b, cfg)
		runtime.GC()
		b.StartTimer()
		p, _ := loanstest.PeakHeap(func() {
			var err error
			if res, err = Scan(context.Background(), cfg, day, Options{}); err != nil {
				b.Fatal(err)
			}
		})
		peak = max(peak, p)
	}
	b.StopTimer()
	t := res.total()
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
	b.ReportMetric(float64(t.Queued), "notices")
	b.ReportMetric(float64(res.Loans), "loans")
}

// The guard of BenchmarkScan1M that runs with the tests: a real scan of
// 200,000 loans (a fifth) stays under a fifth of its 150 MB, plus room
// for what does not grow with the export (the templates, the SQLite
// cache, one batch of messages being composed and one being written).
// Before the export was streamed, this scan took some 120 MB.
func TestScan200k_Memory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and scans a 200,000-loan export")
	}
	cfg := bigConfig(t)
	writeBigExport(t, cfg, 200000)
	day := at(t, benchDay)
	var res *Result
	peak, _ := loanstest.PeakHeap(func() {
		var err error
		if res, err = Scan(context.Background(), cfg, day, Options{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("200,000 loans: %d notices queued, peak heap %.1f MB", res.total().Queued, float64(peak)/(1<<20))
	if res.Loans != 200000 || res.total().Queued == 0 {
		t.Fatalf("%d loans, %d notices", res.Loans, res.total().Queued)
	}
	const bound = 150<<20/5 + 20<<20
	if peak > bound {
		t.Errorf("peak heap %.1f MB, want under %d MB", float64(peak)/(1<<20), bound>>20)
	}
}

// TestWriteBenchExport_ForBench writes the export of BenchmarkScan1M to
// the file $SPOOLGATE_BENCH_EXPORT, with $SPOOLGATE_BENCH_LOANS loans
// (1,000,000 by default), for bench/overdue.sh, which scans it with the
// real binary. It does nothing when the variable is not set.
func TestWriteBenchExport_ForBench(t *testing.T) {
	path := os.Getenv("SPOOLGATE_BENCH_EXPORT")
	if path == "" {
		t.Skip("SPOOLGATE_BENCH_EXPORT is not set")
	}
	n := 1000000
	if v := os.Getenv("SPOOLGATE_BENCH_LOANS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("SPOOLGATE_BENCH_LOANS = %q: want a number of loans", v)
		}
	}
	cfg := bigConfig(t)
	cfg.Overdue.Loans = path
	t.Logf("%d loans, %d of them reaching a notice on %s", n, writeBigExport(t, cfg, n), benchDay)
}
