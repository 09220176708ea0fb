// Package views defines the JSON documents spoolgate shows of its state,
// once, for every place that shows them: `spoolgate queue --json`,
// `sent --json` and `status --json` on the command line, and the web
// console's /api/queue, /api/sent and /api/status. Each document is built
// from the facts others decided (package inspect reads the queue folder
// and the relay's health, package journal the outcomes, package cause
// what a cause means); nothing here decides anything of its own.
//
// What a document explains in words (what happened to a .BAD file and
// what to do) is in the language asked for: English for the command line,
// the reader's own in the console.
package views

import (
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/relay"
	"github.com/spoolgate/spoolgate/spool"
)

// Queue is `spoolgate queue --json` and /api/queue: the queue folder,
// file by file.
type Queue struct {
	Folder   string     `json:"folder"`
	Instance string     `json:"instance"`
	Time     time.Time  `json:"time"`
	Running  bool       `json:"running"` // a spoolgate of the instance holds its instance lock
	LastSent *time.Time `json:"last_sent,omitempty"`
	Relay    Relay      `json:"relay"`
	// Why the waiting files wait, when some do.
	WhyWaiting *Why        `json:"why_waiting,omitempty"`
	RateWindow *RateWindow `json:"rate_window,omitempty"` // with [spool] batch, while spoolgate runs
	Waiting    int         `json:"waiting"`
	Oldest     *time.Time  `json:"oldest,omitempty"`
	Files      []File      `json:"waiting_files"` // the oldest waiting files, as many as were listed
	Sending    []File      `json:"sending"`
	Deferred   []File      `json:"deferred"`
	Bad        []File      `json:"bad"`
	// Files no [spool] pattern takes, there for at least [spool] settle:
	// never sent.
	Patterns  []string    `json:"patterns"`
	Unmatched []Unmatched `json:"unmatched"`
}

// Relay is the relay chain that most needs attention, as the running
// gateway recorded it (the same fields as report --json's relay), and the
// line queue and status lead with.
type Relay struct {
	health.View
	Text string `json:"text"`
}

// Why says why the waiting files wait.
type Why struct {
	Reason string `json:"reason"` // not-running, relay, rate-window, settling or sending
	Text   string `json:"text"`
}

// RateWindow is the [spool] batch window as it stands.
type RateWindow struct {
	Batch    int        `json:"batch"`
	Interval int64      `json:"interval_seconds"`
	Accepted int        `json:"accepted"` // by the relay in the last interval
	Opens    *time.Time `json:"opens,omitempty"`
}

// Unmatched is a file no [spool] pattern takes.
type Unmatched struct {
	File     string    `json:"file"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	Age      int64     `json:"age_seconds"`
}

// File is one file of the queue folder.
type File struct {
	Name      string     `json:"name"`
	File      string     `json:"file"` // the name the ILS gave it
	Size      int64      `json:"size"`
	Modified  time.Time  `json:"modified"`
	Key       string     `json:"key,omitempty"`
	Instance  string     `json:"instance,omitempty"` // the instance that claimed it
	Attempts  int        `json:"attempts,omitempty"`
	Next      *time.Time `json:"next_attempt,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	// .BAD files, from the reason file.
	Cause      string      `json:"cause,omitempty"`
	What       string      `json:"what_happened,omitempty"`
	Action     string      `json:"what_to_do,omitempty"`
	Server     string      `json:"server,omitempty"`
	Reply      string      `json:"reply,omitempty"`
	Recipients []Recipient `json:"recipients,omitempty"` // the refused recipients
	Limit      string      `json:"limit,omitempty"`
	When       *time.Time  `json:"when,omitempty"`
	Reason     *bool       `json:"has_reason,omitempty"`
}

// Recipient is a refused recipient of a .BAD file.
type Recipient struct {
	Address string `json:"address"`
	Cause   string `json:"cause,omitempty"`
	Reply   string `json:"reply,omitempty"`
}

// RelayOf is h's relay as the documents show it.
func RelayOf(h *inspect.Health) Relay { return Relay{View: h.View(), Text: h.Line()} }

// WhyOf says why the waiting files of q wait, or nil when none does.
func WhyOf(h *inspect.Health, cfg *config.Config, q *inspect.Queue) *Why {
	sending := 0
	for _, f := range q.Sending {
		if f.Owner == q.Instance {
			sending++
		}
	}
	if reason, text := h.Why(cfg, q.NWaiting, q.Oldest, sending); reason != "" {
		return &Why{Reason: reason, Text: text}
	}
	return nil
}

// QueueOf is the queue q, with the relay's health h, explained in lang.
func QueueOf(q *inspect.Queue, h *inspect.Health, cfg *config.Config, lang string) Queue {
	out := Queue{Folder: q.Folder, Instance: q.Instance, Time: q.Taken, Waiting: q.NWaiting,
		Running: h.Running, Relay: RelayOf(h), WhyWaiting: WhyOf(h, cfg, q),
		Files: []File{}, Sending: []File{}, Deferred: []File{}, Bad: []File{},
		Patterns: q.Patterns, Unmatched: []Unmatched{}}
	if !h.LastSent.IsZero() {
		out.LastSent = &h.LastSent
	}
	if win := h.Window; win.Batch > 0 && h.Running {
		out.RateWindow = &RateWindow{Batch: win.Batch, Interval: int64(win.Interval / time.Second), Accepted: win.Accepted}
		if !win.Opens.IsZero() {
			out.RateWindow.Opens = &win.Opens
		}
	}
	if !q.Oldest.IsZero() {
		out.Oldest = &q.Oldest
	}
	for _, f := range q.Waiting {
		out.Files = append(out.Files, fileOf(f))
	}
	for _, f := range q.Sending {
		out.Sending = append(out.Sending, fileOf(f))
	}
	for _, f := range q.Deferred {
		out.Deferred = append(out.Deferred, fileOf(f))
	}
	for _, f := range q.Bad {
		out.Bad = append(out.Bad, BadOf(f, lang))
	}
	for _, f := range q.Unmatched {
		out.Unmatched = append(out.Unmatched, Unmatched{File: f.Name, Size: f.Size, Modified: f.ModTime,
			Age: int64(q.Taken.Sub(f.ModTime) / time.Second)})
	}
	return out
}

func fileOf(f inspect.File) File {
	j := File{Name: f.Name, File: f.Orig, Size: f.Size, Modified: f.ModTime, Key: f.Key, Instance: f.Owner,
		Attempts: f.Attempts, LastError: f.LastReply}
	if !f.Next.IsZero() {
		next := f.Next
		j.Next = &next
	}
	return j
}

// BadOf is a .BAD file with its reason, explained in lang.
func BadOf(f inspect.File, lang string) File {
	j := fileOf(f)
	has := f.Reason != nil
	j.Reason = &has
	if r := f.Reason; has {
		j.Cause, j.Server, j.Reply, j.Limit = r.Cause, r.Server, r.Reply, r.Limit
		j.What, j.Action = ExplainBad(r, lang)
		if !r.At.IsZero() {
			at := r.At
			j.When = &at
		}
		for _, rc := range r.Recipients {
			j.Recipients = append(j.Recipients, Recipient{Address: rc.Address, Cause: rc.Cause, Reply: rc.Reply})
		}
	}
	return j
}

// ExplainBad says what happened to a .BAD file and what to do, from its
// cause, in lang; a reason file of an older version, which has none, says
// it in its own words.
func ExplainBad(r *spool.Reason, lang string) (what, action string) {
	if r.Cause == "" {
		return r.What, r.Action
	}
	return cause.Explain(lang, cause.Cause(r.Cause))
}

// Sent is one message of `spoolgate sent --json` and /api/sent.
type Sent struct {
	Time      time.Time `json:"time"`
	File      string    `json:"file"`
	MessageID string    `json:"message_id"`
	From      string    `json:"from"`
	To        []string  `json:"to"`
	Subject   string    `json:"subject"`
	Status    string    `json:"status"`
	Server    string    `json:"server"`
	Reply     string    `json:"reply"`
	QueueID   string    `json:"queue_id,omitempty"`
	QueueKey  string    `json:"key"`
	Size      int64     `json:"size"`
	Kind      string    `json:"kind,omitempty"`
	Unit      string    `json:"unit,omitempty"`
	Attempts  int       `json:"attempts"`
	// Cause is what the message's last failure meant (package cause),
	// or "" when nothing failed.
	Cause      string          `json:"cause"`
	Recipients []SentRecipient `json:"recipients"`
}

// SentRecipient is one recipient's own outcome. Status is the relay's
// account (sent, failed, …), or, once a report came back about the
// recipient (package bounces), what it said: bounced, delivered or
// delayed; Bounce is that report.
type SentRecipient struct {
	Address string      `json:"address"`
	Status  string      `json:"status"`
	Reply   string      `json:"reply"`
	Cause   string      `json:"cause"`
	QueueID string      `json:"queue_id,omitempty"`
	Time    time.Time   `json:"time"`
	Bounce  *SentBounce `json:"bounce,omitempty"`
}

// SentBounce is the latest report that came back about a recipient.
type SentBounce struct {
	Class      string    `json:"class"` // hard, soft or policy; "" for delivered or delayed
	Status     string    `json:"status"`
	Diagnostic string    `json:"diagnostic"`
	RemoteMTA  string    `json:"remote_mta"`
	Time       time.Time `json:"time"`
}

// SentOf is the journal's record r as a Sent document.
func SentOf(r journal.Record) Sent {
	out := Sent{
		Time: r.Time, File: r.File, MessageID: r.MessageID, From: r.From, To: r.To, Subject: r.Subject,
		Status: string(r.Status), Server: r.Server, Reply: r.Reply, QueueID: relay.ParseQueueID(r.Reply), QueueKey: r.Key, Size: r.Size,
		Kind: r.Kind, Unit: r.Unit, Attempts: r.Attempts, Cause: r.Cause, Recipients: []SentRecipient{},
	}
	if out.To == nil {
		out.To = []string{}
	}
	for _, rc := range r.Recipients {
		sr := SentRecipient{Address: rc.Address, Status: string(rc.Status),
			Reply: rc.Reply, Cause: rc.Cause, QueueID: rc.QueueID, Time: rc.Time}
		if rc.Outcome != "" {
			sr.Status = string(rc.Outcome)
		}
		if b := rc.Bounce; b != nil {
			sr.Bounce = &SentBounce{Class: b.Class, Status: b.Status, Diagnostic: b.Diagnostic, RemoteMTA: b.RemoteMTA, Time: b.At}
		}
		out.Recipients = append(out.Recipients, sr)
	}
	return out
}

// Status is `spoolgate status --json` and /api/status: whether spoolgate
// runs, the relay's health and the queue in counts.
type Status struct {
	Instance string `json:"instance"`
	// Service is the OS service's state (running, stopped, not-installed,
	// failed, unknown) where the command line can ask; empty in the
	// console, which is the service.
	Service    string     `json:"service,omitempty"`
	Running    bool       `json:"running"`
	Relay      Relay      `json:"relay"`
	LastSent   *time.Time `json:"last_sent,omitempty"`
	Queue      *Counts    `json:"queue,omitempty"` // nil when the queue folder does not exist yet
	WhyWaiting *Why       `json:"why_waiting,omitempty"`
	Time       time.Time  `json:"time"`
}

// Counts is the queue in numbers.
type Counts struct {
	Waiting   int        `json:"waiting"`
	Oldest    *time.Time `json:"oldest,omitempty"`
	Deferred  int        `json:"deferred"`
	Sending   int        `json:"sending"`
	Bad       int        `json:"bad"`
	Unmatched int        `json:"unmatched"`
}

// StatusOf is the status from the relay's health h and the queue's
// summary q (nil when the queue folder does not exist yet).
func StatusOf(cfg *config.Config, h *inspect.Health, q *inspect.QueueSummary) Status {
	s := Status{Instance: cfg.Spool.Instance, Running: h.Running, Relay: RelayOf(h), Time: h.Now}
	if !h.LastSent.IsZero() {
		s.LastSent = &h.LastSent
	}
	if q != nil {
		s.Queue = &Counts{Waiting: q.Waiting, Deferred: q.Deferred, Sending: q.Sending, Bad: q.Bad, Unmatched: q.Unmatched}
		if !q.Oldest.IsZero() {
			s.Queue.Oldest = &q.Oldest
		}
		if reason, text := h.Why(cfg, q.Waiting, q.Oldest, q.Sending); reason != "" {
			s.WhyWaiting = &Why{Reason: reason, Text: text}
		}
	}
	return s
}
