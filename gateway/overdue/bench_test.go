package overdue

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// benchDay is the scan day of the big export.
const benchDay = "2026-11-25"

// writeBigExport writes an export of n loans of about n/3.3 patrons, as a
// Nordic Excel saves it (BOM, semicolons, CRLF). Patrons borrow one to
// four items per visit, due the same day; a tenth of the loans fall due
// on a trigger day of benchDay (in 3 days, yesterday, 3 days ago). A few
// patrons have no address, notices turned off or a guardian.
func writeBigExport(tb testing.TB, cfg *config.Config, n int) (triggered int) {
	tb.Helper()
	f, err := os.Create(cfg.Overdue.Loans)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(4, 2026))
	first := []string{"Anna", "Åsa", "Björn", "Märta", "Ole", "Kari", "Zofia", "Paweł", "Jan", "Božena", "Иван", "Ольга", "Sarah", "Tom"}
	last := []string{"Lindqvist", "Öberg", "Ängström", "Nordmann", "Wójcik", "Żółć", "Dvořák", "Němcová", "Петров", "Смирнова", "Jones", "Brown"}
	langs := []string{"sv", "sv", "sv", "nb", "pl", "cs", "ru", "en", "en", ""}
	units := []string{"central", "vasastan", "södermalm", "bokbussen"}
	titles := []string{"Röda rummet", "Pippi Långstrump", "Sult", "Lalka", "Babička", "Преступление и наказание",
		"The Remains of the Day", `"Mumin; Farlig midsommar"`, "Hundraåringen som klev ut genom fönstret och försvann",
		"Osudy dobrého vojáka Švejka za světové války", "Pan Tadeusz", "Мастер и Маргарита"}
	authors := []string{"August Strindberg", "Astrid Lindgren", "Knut Hamsun", "Bolesław Prus", "Božena Němcová",
		"Фёдор Достоевский", "Kazuo Ishiguro", "Tove Jansson", "Jonas Jonasson", "Adam Mickiewicz"}
	day, _ := time.Parse(time.DateOnly, benchDay)
	triggers := []int{3, -1, -3}
	w.WriteString("\ufeffpatron_id;patron_name;email;guardian_email;notify;language;unit;barcode;title;author;due\r\n")
	for i, patron := 0, 100000; i < n; patron++ {
		name := first[rng.IntN(len(first))] + " " + last[rng.IntN(len(last))]
		email := fmt.Sprintf("patron%d@example.org", patron)
		if rng.IntN(50) == 0 {
			email = ""
		}
		guardian := ""
		if rng.IntN(10) == 0 {
			guardian = fmt.Sprintf("guardian%d@example.org", patron)
		}
		notify := "ja"
		if rng.IntN(30) == 0 {
			notify = "nej"
		}
		lang, unit := langs[rng.IntN(len(langs))], units[rng.IntN(len(units))]
		for visits := 1 + rng.IntN(2); visits > 0 && i < n; visits-- {
			var due time.Time
			hit := rng.IntN(10) == 0
			if hit {
				due = day.AddDate(0, 0, triggers[rng.IntN(len(triggers))])
			} else {
				for {
					off := rng.IntN(61) - 30
					if off != 3 && off != -1 && off != -3 {
						due = day.AddDate(0, 0, off)
						break
					}
				}
			}
			for k := 1 + rng.IntN(4); k > 0 && i < n; k-- {
				fmt.Fprintf(w, "%d;%s;%s;%s;%s;%s;%s;3000%010d;%s;%s;%s\r\n", patron, name, email, guardian, notify, lang, unit,
					i, titles[rng.IntN(len(titles))], authors[rng.IntN(len(authors))], due.Format(time.DateOnly))
				if hit {
					triggered++
				}
				i++
			}
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
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

// peakHeap runs f and returns the largest HeapInuse seen above the level
// before, sampled every millisecond.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var top uint64
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		top = max(top, m.HeapInuse)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				sample()
			}
		}
	})
	f()
	close(stop)
	wg.Wait()
	sample()
	if top < before.HeapInuse {
		return 0
	}
	return top - before.HeapInuse
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
		p := peakHeap(func() {
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
	cfg := bigConfig(t)
	triggered := writeBigExport(t, cfg, 100000)
	if triggered < 9000 || triggered > 11000 {
		t.Errorf("%d loans hit a trigger, want about 10,000", triggered)
	}
	var res *Result
	peak := peakHeap(func() { res = scan(t, cfg, benchDay, Options{DryRun: true}) })
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
