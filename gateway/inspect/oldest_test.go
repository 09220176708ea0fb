package inspect

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool"
)

// oldest with a limit gives the same files, in the same order, as sorting
// the whole folder and cutting it: with ties of time broken by name, with
// a limit of one, of all but one, and of more than there are.
func TestOldest_SameAsSortAndCut(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for _, n := range []int{1, 2, 50, 1000} {
		ents := make([]spool.Entry, n)
		all := make([]int, n)
		for i := range ents {
			// Few distinct times, so that many files tie.
			ents[i] = spool.Entry{Name: fmt.Sprintf("f%05d-%d.eml", r.IntN(100000), i), ModTime: base.Add(time.Duration(r.IntN(20)) * time.Second)}
			all[i] = i
		}
		older := func(a, b int) bool { return olderEntry(&ents[a], &ents[b]) }
		want := slices.Clone(all)
		slices.SortFunc(want, func(a, b int) int {
			if ents[a].ModTime.Equal(ents[b].ModTime) {
				return compareStrings(ents[a].Name, ents[b].Name)
			}
			return ents[a].ModTime.Compare(ents[b].ModTime)
		})
		for _, limit := range []int{0, 1, n - 1, n, n + 1, 7} {
			got := oldest(slices.Clone(all), limit, older)
			w := want
			if limit > 0 && limit < n {
				w = want[:limit]
			}
			if !slices.Equal(got, w) {
				t.Fatalf("n %d limit %d: %v, want %v", n, limit, got, w)
			}
		}
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
