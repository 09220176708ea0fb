package overdue

import (
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daily"
)

// RecordedSummary is what the daily log of day reports of that day's
// scans, as recorded; nil when the scan is off or none ran that day.
func RecordedSummary(cfg *config.Config, day time.Time) (*daily.NoticeSummary, error) {
	if !cfg.Overdue.Enabled {
		return nil, nil
	}
	r, err := Recorded(cfg, day)
	if err != nil || r == nil {
		return nil, err
	}
	return r.NoticeSummary(), nil
}

// NoticeSummary is what the daily log reports of the scan: notices queued
// by kind, the notices to print or phone, the stale ones dropped, the bad
// rows of the export and whether it could be read at all.
func (r *Result) NoticeSummary() *daily.NoticeSummary {
	s := &daily.NoticeSummary{Queued: map[string]int{}}
	for _, p := range r.Queued {
		s.Queued[p.Kind]++
	}
	for _, k := range r.Skipped {
		reason := k.Reason
		switch k.Reason {
		case ReasonNoAddress:
			reason = daily.SkipNoEmail
		case ReasonNotifyOff:
			reason = daily.SkipNotifyOff
		}
		s.Skipped = append(s.Skipped, daily.SkippedPatron{PatronID: k.PatronID, Name: k.PatronName, Kind: k.Kind, Titles: itemTitles(k.Items), Reason: reason})
	}
	for _, d := range r.Dropped {
		var due = d.For
		if len(d.Items) > 0 {
			due = d.Items[0].Due
		}
		s.Dropped = append(s.Dropped, daily.DroppedNotice{PatronID: d.PatronID, Name: d.PatronName, Kind: d.Kind, Titles: itemTitles(d.Items), Due: due})
	}
	for _, e := range r.RowErrors {
		s.RowErrors = append(s.RowErrors, daily.RowError{Line: e.Line, Reason: e.Reason})
	}
	if r.LoansError != nil {
		s.LoansError = r.LoansError.Error()
	}
	return s
}

func itemTitles(items []Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Title
		if out[i] == "" {
			out[i] = it.Barcode
		}
	}
	return out
}
