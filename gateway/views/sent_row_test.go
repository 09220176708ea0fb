package views

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/journal"
)

// A page's rows are a list even when empty, and its next cursor is null
// on the last page; a row without a queue id of its own takes the one in
// the reply.
func TestSentPageOf(t *testing.T) {
	b, err := json.Marshal(SentPageOf(nil, nil))
	if err != nil || string(b) != `{"rows":[],"next":null}` {
		t.Errorf("an empty last page: %s %v", b, err)
	}
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	p := SentPageOf([]journal.Row{{Key: "k", File: "a.eml", Address: "p@example.net", Status: journal.StatusSent,
		Reply: "250 2.0.0 Ok: queued as 4XyZ12", At: at}}, nil)
	if len(p.Rows) != 1 || p.Rows[0].QueueID != "4XyZ12" || p.Rows[0].Address != "p@example.net" || !p.Rows[0].Time.Equal(at) {
		t.Errorf("row: %+v", p.Rows)
	}
	h := SentHistoryOf(journal.Record{Key: "k", File: "a.eml"}, []journal.Event{{What: "retried", At: at}})
	b, _ = json.Marshal(h)
	if !strings.Contains(string(b), `"key":"k"`) || !strings.Contains(string(b), `"events":[{"time":"2026-12-03T09:00:00Z","what":"retried"}]`) {
		t.Errorf("history: %s", b)
	}
}
