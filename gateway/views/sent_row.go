package views

import (
	"time"

	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/relay"
)

// SentRow is one row of /api/sent and of the console's Sent page: a
// recipient and their message, as journal.Search finds them.
type SentRow struct {
	Time      time.Time `json:"time"`    // of the recipient's last event
	Status    string    `json:"status"`  // the recipient's (the message's, without recipients); bounced, delivered or delayed once a report came back
	Address   string    `json:"address"` // "" for a message without recipients
	File      string    `json:"file"`
	Subject   string    `json:"subject"`
	Cause     string    `json:"cause"`
	Reply     string    `json:"reply"`
	QueueID   string    `json:"queue_id,omitempty"`
	Server    string    `json:"server"`
	MessageID string    `json:"message_id"`
	QueueKey  string    `json:"key"`
	Unit      string    `json:"unit,omitempty"`
	Kind      string    `json:"kind,omitempty"`
	Attempts  int       `json:"attempts"` // of the message
}

// SentRowOf is the search row r as a SentRow.
func SentRowOf(r journal.Row) SentRow {
	out := SentRow{Time: r.At, Status: string(r.Status), Address: r.Address, File: r.File, Subject: r.Subject,
		Cause: r.Cause, Reply: r.Reply, QueueID: r.QueueID, Server: r.Server, MessageID: r.MessageID,
		QueueKey: r.Key, Unit: r.Unit, Kind: r.Kind, Attempts: r.Attempts}
	if out.QueueID == "" {
		out.QueueID = relay.ParseQueueID(r.Reply)
	}
	if r.Outcome != "" {
		// What a report that came back said (bounced, delivered,
		// delayed), as sent --json shows a recipient's status.
		out.Status = string(r.Outcome)
	}
	return out
}

// SentPage is /api/sent: a page of rows, newest first, and the cursor
// of the next page (for before=), or null on the last.
type SentPage struct {
	Rows []SentRow `json:"rows"`
	Next *string   `json:"next"`
}

// SentPageOf is the page of rows whose next page starts after next (nil
// on the last page).
func SentPageOf(rows []journal.Row, next *journal.Cursor) SentPage {
	out := SentPage{Rows: []SentRow{}}
	for _, r := range rows {
		out.Rows = append(out.Rows, SentRowOf(r))
	}
	if next != nil {
		s := next.String()
		out.Next = &s
	}
	return out
}

// SentEvent is one event of a message's history (journal.Event).
type SentEvent struct {
	Time    time.Time `json:"time"`
	What    string    `json:"what"` // claimed, attempt, sent, deferred, failed, skipped or retried
	To      []string  `json:"to,omitempty"`
	Server  string    `json:"server,omitempty"`
	Reply   string    `json:"reply,omitempty"`
	Cause   string    `json:"cause,omitempty"`
	QueueID string    `json:"queue_id,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// SentHistory is /api/sent/{key}: the message as `spoolgate sent --json`
// shows it (Sent), and every event journaled about it, oldest first.
type SentHistory struct {
	Sent
	Events []SentEvent `json:"events"`
}

// SentHistoryOf is the record r with its events evs (journal.History).
func SentHistoryOf(r journal.Record, evs []journal.Event) SentHistory {
	out := SentHistory{Sent: SentOf(r), Events: []SentEvent{}}
	for _, e := range evs {
		out.Events = append(out.Events, SentEvent{Time: e.At, What: e.What, To: e.To, Server: e.Server,
			Reply: e.Reply, Cause: e.Cause, QueueID: e.QueueID, Detail: e.Detail})
	}
	return out
}
