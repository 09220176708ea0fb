package overdue

import (
	"errors"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/daily"
	"github.com/spoolgate/spoolgate/gateway/loans"
)

func TestResult_NoticeSummary(t *testing.T) {
	r := &Result{
		Queued:     []Planned{{Kind: "overdue"}, {Kind: "overdue"}, {Kind: "warning"}},
		Skipped:    []Skipped{{Kind: "overdue", PatronID: "7", PatronName: "Eva", Items: []Item{{Title: "Röda rummet"}, {Barcode: "B12"}}, Reason: ReasonNoAddress}},
		Dropped:    []Dropped{{Kind: "warning", PatronID: "8", Items: []Item{{Title: "Lalka"}}, Reason: "too late"}},
		RowErrors:  []loans.RowError{{Line: 4, Reason: "bad date"}},
		LoansError: errors.New("gone"),
	}
	s := r.NoticeSummary()
	if s.Queued["overdue"] != 2 || s.Queued["warning"] != 1 {
		t.Errorf("queued %v", s.Queued)
	}
	if len(s.Skipped) != 1 || s.Skipped[0].Reason != daily.SkipNoEmail || len(s.Skipped[0].Titles) != 2 || s.Skipped[0].Titles[1] != "B12" {
		t.Errorf("skipped %+v", s.Skipped)
	}
	if len(s.Dropped) != 1 || s.Dropped[0].Titles[0] != "Lalka" || len(s.RowErrors) != 1 || s.RowErrors[0].Line != 4 || s.LoansError != "gone" {
		t.Errorf("summary %+v", s)
	}
}
