// Package journal records every attempt and outcome of every message in an
// embedded SQLite database (modernc.org/sqlite, no C compiler needed).
//
// The journal is a typed recorder with one method per event. Writes go
// through one writer goroutine that commits them in groups, in the order
// they were made; an event's done callback runs after the transaction that
// holds it is durable (WAL, synchronous=FULL). The gateway removes a sent
// file only from that callback, so a crash can never leave a removed file
// without its record, or a "sent" record for a file that is still queued
// and would be sent again.
//
// Reads (State, Query, Search, History, Actions, LastSent...) use their
// own connections and never wait for writes. Several processes may open the same database at once (WAL
// mode, 5 s busy timeout), e.g. `spoolgate sent` while the service runs.
//
// A write that fails (disk full, database locked by another program,
// corrupt file) never panics or blocks: the error goes to the done
// callbacks of the events in the failed transaction and to the next Flush,
// and it is logged once per kind of failure, with a second log line when
// writes work again.
package journal

import "time"

// Status is a message's or a recipient's state.
type Status string

// The statuses.
const (
	StatusQueued    Status = "queued"    // claimed, not yet attempted
	StatusAttempted Status = "attempted" // DATA may have been sent; outcome unknown
	StatusSent      Status = "sent"
	StatusDeferred  Status = "deferred"
	StatusFailed    Status = "failed"
	// StatusSkipped is a recipient who was not sent the message because an
	// identical one went to them within [spool] dedupe_window; it counts
	// as sent.
	StatusSkipped Status = "skipped"
	// StatusPartlySent is a message (never a recipient) that went to some
	// recipients and was refused for good for the others.
	StatusPartlySent Status = "partly-sent"

	// A recipient's outcome after the relay took the message, from the
	// reports that come back to the return path (package bounce): it
	// bounced, it was delivered, or its delivery is delayed. Recorded by
	// RecordBounce; the relay's status (sent) stays in the history.
	StatusBounced   Status = "bounced"
	StatusDelivered Status = "delivered"
	StatusDelayed   Status = "delayed"
)

// Delivered reports whether a recipient with status s has the message:
// sent now, or skipped because they got it before.
func (s Status) Delivered() bool { return s == StatusSent || s == StatusSkipped }

// isOutcome tells whether s is an outcome reported after the relay took
// the message (Recipient.Outcome), not a status of the relay's.
func (s Status) isOutcome() bool {
	return s == StatusBounced || s == StatusDelivered || s == StatusDelayed
}

// Claim describes a message when it is first taken from the queue.
type Claim struct {
	Key       string // unique id of this message in the queue (in its claimed file name)
	File      string // the file's original name
	MessageID string
	From      string // envelope sender
	To        []string
	Subject   string
	Size      int64
	Kind      string
	Unit      string
	Hash      string // of the file's content, for [spool] dedupe_window; "" = none
}

// Outcome is what a relay said about some recipients of a message.
type Outcome struct {
	Key     string
	To      []string // the recipients this outcome is about
	Status  Status   // sent, deferred, failed or skipped
	Server  string
	Reply   string
	Cause   string    // what the outcome means (package cause); "" for sent
	QueueID string    // the relay's queue id, for sent
	Next    time.Time // for deferred: when the next attempt is due
}

// Record is one message as `spoolgate sent` shows it.
type Record struct {
	Time      time.Time // of the last event
	Key       string
	File      string
	MessageID string
	From      string
	To        []string
	Subject   string
	Size      int64
	Kind      string
	Unit      string
	Status    Status // of the message as a whole
	Server    string
	Reply     string
	Cause     string // of the last outcome that was not a success, or ""
	Attempts  int
	First     time.Time // first attempt (zero if none yet)
	Next      time.Time // next attempt for a deferred message
	// Recipients are each recipient's own outcome, in the order the
	// message named them.
	Recipients []Recipient
}

// Recipient is one recipient's outcome.
type Recipient struct {
	Address string
	Status  Status // queued, attempted, sent, deferred, failed or skipped: the relay's account
	// Outcome is what a report that came back about the recipient said
	// after the relay took it (RecordBounce): bounced, delivered or
	// delayed; "" when none came. Bounce is that report.
	Outcome Status
	Reply   string // the relay's reply about this recipient
	Cause   string
	QueueID string
	Server  string
	Time    time.Time // of the recipient's last event
	Bounce  *Bounce   // the latest report about the recipient, or nil
}

// State is what recovery and retries need to know about one message.
type State struct {
	Found     bool
	Status    Status
	Attempts  int
	First     time.Time // first attempt
	Delivered []string  // recipients the relay accepted (or skipped: they had it)
	Failed    []string  // recipients refused for good
	LastReply string
}

// Filter selects records for Query.
type Filter struct {
	Since time.Time // zero = all
	Until time.Time // last event before this; zero = no end
	To    string    // substring of a recipient, case-insensitive; "" = any
	// Status selects messages with this status or with a recipient of
	// it; "" = any.
	Status Status
	File   string // substring of the file name, case-insensitive; "" = any
	Key    string // exactly this message key; "" = any
	Limit  int    // 0 = no limit
}
