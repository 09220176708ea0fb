// Package loanstest writes synthetic loans exports for tests and
// benchmarks, as a Nordic Excel saves them (UTF-8 with a BOM, semicolons,
// CRLF, some quoted fields, names and titles in six languages), and
// measures the peak heap of a piece of work. The exports are the same on
// every run: the random source is seeded.
package loanstest

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Dues gives the due dates of one patron's loans, one per loan, in the
// order of the rows.
type Dues func(rng *rand.Rand) []time.Time

var (
	first  = []string{"Anna", "Åsa", "Björn", "Märta", "Ole", "Kari", "Zofia", "Paweł", "Jan", "Božena", "Иван", "Ольга", "Sarah", "Tom"}
	last   = []string{"Lindqvist", "Öberg", "Ängström", "Nordmann", "Wójcik", "Żółć", "Dvořák", "Němcová", "Петров", "Смирнова", "Jones", "Brown"}
	langs  = []string{"sv", "sv", "sv", "nb", "pl", "cs", "ru", "en", "en", ""}
	units  = []string{"central", "vasastan", "södermalm", "bokbussen"}
	titles = []string{
		"Röda rummet", "Pippi Långstrump", "Sult", "Lalka", "Babička", "Преступление и наказание",
		"The Remains of the Day", `"Mumin; Farlig midsommar"`, `"The Hobbit, or ""There and Back Again"""`,
		"Hundraåringen som klev ut genom fönstret och försvann", "Osudy dobrého vojáka Švejka za světové války",
		`"Kristin Lavransdatter; Kransen"`, "Pan Tadeusz", "Мастер и Маргарита",
	}
	authors = []string{"August Strindberg", "Astrid Lindgren", "Knut Hamsun", "Bolesław Prus", "Božena Němcová",
		"Фёдор Достоевский", "Kazuo Ishiguro", "Tove Jansson", `"Tolkien, J. R. R."`, "Jonas Jonasson", "Sigrid Undset"}
)

// Write writes an export of n loans to path, with the columns patron_id,
// patron_name, email, guardian_email, notify, language and unit, then
// barcode, title, author and due. Patrons are numbered from 100000, and
// each has the loans dues gives (the last is cut short at n). One patron
// in 50 has no address, one in 30 has notices turned off (notify "nej"),
// one in 10 has a guardian. Write returns how many loans fall due on each
// date, keyed as time.DateOnly.
func Write(tb testing.TB, path string, n int, dues Dues) map[string]int {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(4, 2026))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	count := map[string]int{}
	w.WriteString("\ufeffpatron_id;patron_name;email;guardian_email;notify;language;unit;barcode;title;author;due\r\n")
	for i, patron := 0, 100000; i < n; patron++ {
		name := pick(first) + " " + pick(last)
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
		lang, unit := pick(langs), pick(units)
		for _, due := range dues(rng) {
			if i == n {
				break
			}
			d := due.Format(time.DateOnly)
			fmt.Fprintf(w, "%d;%s;%s;%s;%s;%s;%s;3000%010d;%s;%s;%s\r\n",
				patron, name, email, guardian, notify, lang, unit, i, pick(titles), pick(authors), d)
			count[d]++
			i++
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return count
}

// PeakHeap runs f and returns the largest HeapInuse seen above the level
// before it, sampled every millisecond and once more when f returns (so
// what f's result holds counts), and the bytes f allocated.
func PeakHeap(f func()) (peak, allocated uint64) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var top uint64 // the sampler's until wg.Wait, then this goroutine's
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
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	allocated = after.TotalAlloc - before.TotalAlloc
	if top < before.HeapInuse {
		return 0, allocated
	}
	return top - before.HeapInuse, allocated
}
