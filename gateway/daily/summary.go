package daily

import (
	"slices"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/health"
)

// Summary is the report's facts for programs (spoolgate report --json):
// the same Report the subject and the text are made from, so it says what
// they say. Texts in it (subject, warnings, failures' meaning and action)
// are in the report's language; ids (cause, state, kind) never change.
type Summary struct {
	Day      string    `json:"day"` // YYYY-MM-DD
	Language string    `json:"language"`
	Made     time.Time `json:"made"`
	Subject  string    `json:"subject"`
	// AllWell is true only when no failures happened on the day, the
	// gateway runs with no relay chain unavailable, and nothing needs
	// attention (no warnings, among them stuck and unmatched files).
	AllWell bool         `json:"all_well"`
	Running bool         `json:"running"` // this instance's gateway is running
	Relay   RelaySummary `json:"relay"`
	// The day's outcomes, recipient by recipient: the table's totals.
	// Failed is len(Failures).
	Counts
	ByKind   []KindSummary    `json:"by_kind"`
	ToPrint  int              `json:"to_print"`
	Queue    QueueSummary     `json:"queue"`
	Failures []FailureSummary `json:"failures"`
	Warnings []WarningSummary `json:"warnings"`
	// Bounces is what came back to the return path on the day ([bounces]);
	// absent when nothing did or [bounces] is off.
	Bounces *BouncesSummary `json:"bounces,omitempty"`
}

// BouncesSummary is the day's bounce reports: the addresses to correct
// (hard), the library's mail refused by policy (for IT), and how many
// soft bounces there were.
type BouncesSummary struct {
	Hard   []BouncedSummary `json:"hard"`
	Policy []BouncedSummary `json:"policy"`
	Soft   int              `json:"soft"`
	Error  string           `json:"error,omitempty"` // the reports could not be read
}

// BouncedSummary is one recipient's bounce, as the daily log lists it.
type BouncedSummary struct {
	Time      time.Time `json:"time"`
	Address   string    `json:"address"`
	Name      string    `json:"name,omitempty"` // the patron's, from the notice
	File      string    `json:"file,omitempty"` // the message it reports on; "" when unmatched
	Subject   string    `json:"subject,omitempty"`
	Kind      string    `json:"kind,omitempty"`
	Class     string    `json:"class"`  // hard or policy
	Status    string    `json:"status"` // the enhanced status code
	Reply     string    `json:"reply"`  // the receiving server's, verbatim
	RemoteMTA string    `json:"remote_mta,omitempty"`
	Cause     string    `json:"cause"`
	Meaning   string    `json:"meaning"` // cause.Explain, in the report's language
	Action    string    `json:"action"`
}

// RelaySummary is the relay's health as the gateway recorded it, with the
// fields of every view's (health.View).
type RelaySummary = health.View

// KindSummary is the day's outcomes of one kind of message ("" is the
// library system's own mail).
type KindSummary struct {
	Kind string `json:"kind"`
	Counts
}

// QueueSummary is the queue folder when the report was made.
type QueueSummary struct {
	Waiting   int        `json:"waiting"`
	Oldest    *time.Time `json:"oldest,omitempty"`
	Deferred  int        `json:"deferred"`
	Bad       int        `json:"bad"`
	Unmatched int        `json:"unmatched"`
	LastSent  *time.Time `json:"last_sent,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// FailureSummary is one failure: a refused recipient (address), or a file
// refused before any recipient was known (address "").
type FailureSummary struct {
	Time    time.Time `json:"time"`
	File    string    `json:"file"`
	Address string    `json:"address"`
	Cause   string    `json:"cause"`
	Reply   string    `json:"reply,omitempty"`  // the relay's, verbatim
	Detail  string    `json:"detail,omitempty"` // spoolgate's own words, when it refused the file itself
	Server  string    `json:"server,omitempty"`
	Kind    string    `json:"kind,omitempty"`
	Subject string    `json:"subject,omitempty"`
	Bad     string    `json:"bad,omitempty"` // the .BAD file, while it is in the queue folder
	Meaning string    `json:"meaning"`       // cause.Explain, in the report's language
	Action  string    `json:"action"`
}

// WarningSummary is one warning.
type WarningSummary struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// Summary returns the report's facts.
func (r *Report) Summary() Summary {
	s := Summary{
		Day: r.Day.Format(time.DateOnly), Language: r.Lang, Made: r.Made, Subject: r.Subject(),
		AllWell: r.AllWell(), Running: r.Running, Counts: r.Total, ToPrint: r.ToPrint(),
		ByKind: []KindSummary{}, Failures: []FailureSummary{}, Warnings: []WarningSummary{},
		Queue: QueueSummary{Waiting: r.Queue.Waiting, Oldest: timeOrNil(r.Queue.Oldest), Deferred: r.Queue.Deferred,
			Bad: r.Queue.Bad, Unmatched: r.Queue.Unmatched, LastSent: timeOrNil(r.Queue.LastSent), Error: r.Queue.Err},
	}
	h := r.Relay
	rel := health.Relay{State: health.Unknown}
	if h.Recorded {
		rel = h.Relay
	}
	s.Relay = health.ViewOf(rel, r.Running, h.Err)
	for _, k := range r.kindOrder() {
		s.ByKind = append(s.ByKind, KindSummary{Kind: k, Counts: *r.Figures[k]})
	}
	for _, f := range r.Failures {
		reply, detail := f.RelayReply()
		meaning, action := cause.Explain(r.Lang, f.Cause)
		s.Failures = append(s.Failures, FailureSummary{Time: f.Time, File: f.File, Address: f.To, Cause: string(f.Cause),
			Reply: reply, Detail: detail, Server: f.Server, Kind: f.Kind, Subject: f.Subject, Bad: f.Bad,
			Meaning: meaning, Action: action})
	}
	for _, w := range r.Warnings {
		s.Warnings = append(s.Warnings, WarningSummary(w))
	}
	if b := r.Bounces; b != nil {
		s.Bounces = &BouncesSummary{Hard: r.bouncedSummaries(b.Hard), Policy: r.bouncedSummaries(b.Policy), Soft: b.Soft, Error: b.Err}
	}
	return s
}

func (r *Report) bouncedSummaries(items []Bounced) []BouncedSummary {
	out := []BouncedSummary{}
	for _, it := range items {
		c, meaning, action, reply := it.explain(r.Lang)
		out = append(out, BouncedSummary{Time: it.At, Address: it.Address, Name: it.Name, File: it.File,
			Subject: it.Subject, Kind: it.Kind, Class: it.Class, Status: it.Status, Reply: reply,
			RemoteMTA: it.RemoteMTA, Cause: string(c), Meaning: meaning, Action: action})
	}
	return out
}

// kindOrder is the kinds of the day's figures in the table's order: the
// known kinds first, then others by name.
func (r *Report) kindOrder() []string {
	var known, others []string
	for _, k := range kinds {
		if r.Figures[k] != nil {
			known = append(known, k)
		}
	}
	for k := range r.Figures {
		if !slices.Contains(kinds, k) {
			others = append(others, k)
		}
	}
	slices.Sort(others)
	return append(known, others...)
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
