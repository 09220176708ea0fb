package overdue

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/loans"
)

// marshalRecord writes what json.Marshal writes, in another order and
// compressed; unmarshalRecord reads it, and the JSON text of older
// databases.
func TestMarshalRecord(t *testing.T) {
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, stockholm)
	rec := record{Day: "2026-11-25", Loans: 3, Warnings: []string{"w <&>"}, RowErrors: []loans.RowError{{Line: 2, Reason: "r"}},
		Queued: []Planned{
			{Kind: "warning", PatronID: "1", To: []string{"a@example.org"}, Items: []Item{{Title: "T \"q\"", Due: day, Line: 2}}, File: "f1.eml", For: day},
			{Kind: "overdue", PatronID: "2", PatronName: "Åsa <x>", Recovered: true, For: day},
		}}
	for _, r := range []record{rec, {Day: "2026-11-25"}} {
		data, err := marshalRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		var got record
		if err := unmarshalRecord(data, &got); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		want, _ := json.Marshal(r)
		again, _ := json.Marshal(got)
		if !bytes.Equal(want, again) {
			t.Errorf("marshalRecord round trip:\n got %s\nwant %s", again, want)
		}
		var old record
		if err := unmarshalRecord(want, &old); err != nil {
			t.Fatal(err)
		}
		if again, _ := json.Marshal(old); !bytes.Equal(want, again) {
			t.Errorf("a record as JSON text:\n got %s\nwant %s", again, want)
		}
	}
}
