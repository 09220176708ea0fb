package loans

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// writeBigExport writes a realistic export of n loans, as a Nordic Excel
// would save it: UTF-8 with a BOM, semicolons, CRLF, some quoted fields.
// Patrons have one to six loans each, in rows next to each other.
func writeBigExport(tb testing.TB, n int) string {
	tb.Helper()
	path := filepath.Join(spooltest.TempDir(tb), "loans.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(4, 2026))
	first := []string{"Anna", "Åsa", "Björn", "Märta", "Ole", "Kari", "Zofia", "Paweł", "Jan", "Božena", "Иван", "Ольга", "Sarah", "Tom"}
	last := []string{"Lindqvist", "Öberg", "Ängström", "Nordmann", "Wójcik", "Żółć", "Dvořák", "Němcová", "Петров", "Смирнова", "Jones", "Brown"}
	langs := []string{"sv", "sv", "sv", "nb", "pl", "cs", "ru", "en", "en", ""}
	units := []string{"central", "vasastan", "södermalm", "bokbussen"}
	titles := []string{
		"Röda rummet", "Pippi Långstrump", "Sult", "Lalka", "Babička", "Преступление и наказание",
		"The Remains of the Day", `"Mumin; Farlig midsommar"`, `"The Hobbit, or ""There and Back Again"""`,
		"Hundraåringen som klev ut genom fönstret och försvann", "Osudy dobrého vojáka Švejka za světové války",
		`"Kristin Lavransdatter; Kransen"`, "Pan Tadeusz", "Мастер и Маргарита",
	}
	authors := []string{"August Strindberg", "Astrid Lindgren", "Knut Hamsun", "Bolesław Prus", "Božena Němcová",
		"Фёдор Достоевский", "Kazuo Ishiguro", "Tove Jansson", `"Tolkien, J. R. R."`, "Jonas Jonasson", "Sigrid Undset"}
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
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
		for k := 1 + rng.IntN(6); k > 0 && i < n; k-- {
			due := base.AddDate(0, 0, rng.IntN(60)-30).Format("2006-01-02")
			fmt.Fprintf(w, "%d;%s;%s;%s;%s;%s;%s;3000%010d;%s;%s;%s\r\n", patron, name, email, guardian, notify, lang, unit,
				i, titles[rng.IntN(len(titles))], authors[rng.IntN(len(authors))], due)
			i++
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
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

// peakHeap reads the export at path and returns the largest HeapInuse seen
// above the level before the read, and the bytes allocated by the read.
func peakHeap(tb testing.TB, path string) (peak, allocated uint64) {
	tb.Helper()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var top uint64
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > top {
			top = m.HeapInuse
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
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
	}()
	res, err := ReadFile(path, Options{Location: time.UTC})
	close(stop)
	wg.Wait()
	sample() // the loans are still held here
	if err != nil || len(res.Loans) != 100000 || len(res.Errors) != 0 {
		tb.Fatalf("read: %v", err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(res)
	if top < before.HeapInuse {
		return 0, after.TotalAlloc - before.TotalAlloc
	}
	return top - before.HeapInuse, after.TotalAlloc - before.TotalAlloc
}

// The bound, which does not depend on the machine's speed: reading
// 100,000 loans keeps the heap well under 100 MB.
func TestRead100k_Memory(t *testing.T) {
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
