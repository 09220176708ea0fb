// Package testmsg is spoolgate's test message: the one `spoolgate test`
// drops into the queue and the web console's Test page sends, and where it
// stands afterwards.
//
// The contract:
//   - Compose writes the message (From [message] from, To one address, a
//     header X-Spoolgate-Kind: test, so the journal and the daily log
//     count it as a test message); Queue writes it into the queue folder
//     under a new name (Prefix, the time and a random tag) that a [spool]
//     pattern takes, atomically, where the running gateway relays it like
//     any file: through the rate limit, retries and fail-over.
//   - Follow says, in one look, where a queued test stands: waiting in the
//     queue, being sent, deferred (with the relay's reply and the next
//     attempt), set aside as .BAD (with its reason), or out of the queue,
//     and then what the journal recorded: sent (with the relay's reply
//     and its queue id) or refused. It reads only: the queue folder and
//     the journal.
package testmsg

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jordan-wright/email"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/relay"
	"github.com/spoolgate/spoolgate/spool"
)

// Prefix starts the name of every test message file.
const Prefix = "spoolgate-test-"

// ErrAddress is the error of an address that is not a bare e-mail
// address.
var ErrAddress = errors.New("want an e-mail address like someone@example.org")

// Address checks that to is a bare e-mail address (no display name) and
// returns it.
func Address(to string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(to))
	if err != nil || a.Name != "" || strings.TrimSpace(to) != a.Address {
		return "", fmt.Errorf("%q: %w", to, ErrAddress)
	}
	return a.Address, nil
}

// Compose writes the test message to to, dated now.
func Compose(cfg *config.Config, to string, now time.Time) ([]byte, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "this machine"
	}
	e := email.NewEmail()
	e.From = (&mail.Address{Name: cfg.Message.FromName, Address: cfg.Message.From}).String()
	e.To = []string{to}
	e.Subject = "spoolgate test message from " + host
	e.Text = fmt.Appendf(nil, "This is a test message from spoolgate, the mail gateway of the library system on %s.\r\n"+
		"Someone ran \"spoolgate test\" to check that mail from the library system gets through.\r\n"+
		"If you received it, it works: no action is needed.\r\n\r\n"+
		"Sent at: %s\r\nConfig:  %s\r\nQueue:   %s\r\n",
		host, now.Format("2006-01-02 15:04:05 -0700"), cfg.File, cfg.Spool.Folder)
	body, err := e.Bytes()
	if err != nil {
		return nil, fmt.Errorf("test: compose the message: %w", err)
	}
	return append([]byte("X-Spoolgate-Kind: test\r\n"), body...), nil
}

// Queue composes the test message to to and drops it into the queue
// folder of cfg; it returns the file's name. The address is checked first
// (ErrAddress). A queue folder that does not exist is an error wrapping
// fs.ErrNotExist; patterns that take no name like it, one wrapping
// spool.ErrNoName and naming the patterns.
func Queue(cfg *config.Config, to string, now time.Time) (string, error) {
	to, err := Address(to)
	if err != nil {
		return "", fmt.Errorf("test: %w", err)
	}
	data, err := Compose(cfg, to, now)
	if err != nil {
		return "", err
	}
	sp := spool.New(spool.Options{Dir: cfg.Spool.Folder, Patterns: cfg.Spool.Patterns, Instance: cfg.Spool.Instance})
	name, err := sp.Enqueue(Prefix+now.Format("20060102-150405")+"-"+randHex(3), ".eml", data)
	if errors.Is(err, spool.ErrNoName) {
		return "", fmt.Errorf("test: cannot name a test file that [spool] pattern = %s takes: add a pattern like *.eml: %w",
			strings.Join(cfg.Spool.Patterns, ", "), err)
	}
	if err != nil {
		return "", fmt.Errorf("test: %w", err)
	}
	return name, nil
}

// IsName tells whether name can be a test message file's name as Queue
// gives it: Prefix, then letters, digits, dashes and dots only.
func IsName(name string) bool {
	if !strings.HasPrefix(name, Prefix) || len(name) > 120 || strings.Contains(name, "..") {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// State is where a test message stands.
type State string

// The states of a test message. Sent, Refused, Bad and Gone are final.
const (
	Queued   State = "queued"   // waiting in the queue folder
	Sending  State = "sending"  // claimed by the gateway, being sent
	Deferred State = "deferred" // a temporary failure: retried by itself
	Sent     State = "sent"     // the relay accepted it for the address
	Refused  State = "refused"  // out of the queue, but not accepted for the address
	Bad      State = "bad"      // set aside as .BAD
	// Gone: it left the queue and the journal has no record of it (yet,
	// or someone removed it).
	Gone State = "gone"
)

// Final tells whether a message in state s stays there.
func (s State) Final() bool { return s == Sent || s == Refused || s == Bad }

// Outcome is where a test message stands, as Follow finds it.
type Outcome struct {
	Name      string    `json:"name"`                // the name Queue gave it
	File      string    `json:"file"`                // its name now (.BAD, a claim), or Name once out of the queue
	State     State     `json:"state"`               //
	Final     bool      `json:"final"`               // State.Final
	To        []string  `json:"to,omitempty"`        // its recipients, once the journal knows them
	Server    string    `json:"server,omitempty"`    // the relay that answered
	Reply     string    `json:"reply,omitempty"`     // its last reply, verbatim
	QueueID   string    `json:"queue_id,omitempty"`  // the relay's queue id, once sent
	Cause     string    `json:"cause,omitempty"`     // what a failure means (package cause), as recorded
	At        time.Time `json:"at,omitzero"`         // when the outcome was recorded
	Next      time.Time `json:"next,omitzero"`       // deferred: the next attempt
	Attempts  int       `json:"attempts,omitempty"`  //
	Delivered []string  `json:"delivered,omitempty"` // recipients the relay accepted
	Failed    []string  `json:"failed,omitempty"`    // recipients refused for good
	Reason    string    `json:"reason,omitempty"`    // .BAD: the reason file's text
}

// Follow looks once at where the test message name stands: in the queue
// folder of cfg, then, once it left the queue, in the journal j (nil: no
// journal yet). to, when not empty, is the address it was sent to: Sent
// then means that address was accepted.
func Follow(cfg *config.Config, j *journal.Journal, name, to string) (*Outcome, error) {
	o := &Outcome{Name: name, File: name}
	f, err := inspect.Locate(cfg, name)
	if err != nil {
		return nil, err
	}
	if f != nil {
		o.File = f.Name
		switch f.State {
		case spool.Bad:
			o.State = Bad
			if r := f.Reason; r != nil {
				o.Cause, o.Server, o.Reply, o.At = r.Cause, r.Server, r.Reply, r.At
				o.Reason = strings.ReplaceAll(r.Text, "\r\n", "\n")
			}
		case spool.Sending:
			o.State = Sending
		case spool.Deferred:
			o.State = Deferred
		default:
			o.State = Queued
		}
		if f.Key != "" && j != nil && f.State != spool.Bad {
			if recs, err := j.Query(journal.Filter{Key: f.Key, Limit: 1}); err == nil && len(recs) == 1 {
				rec := recs[0]
				o.Server, o.Reply, o.Cause, o.Attempts, o.Next, o.At = rec.Server, rec.Reply, rec.Cause, rec.Attempts, rec.Next, rec.Time
				o.To = rec.To
			}
		}
		o.Final = o.State.Final()
		return o, nil
	}
	return o, Delivery(j, o, to)
}

// Delivery fills o (whose Name left the queue) from what the journal j
// recorded of it: Sent when the relay accepted it for to (any recipient
// when to is empty), Refused when it did not, Gone when j (nil: none) has
// no record of it.
func Delivery(j *journal.Journal, o *Outcome, to string) error {
	o.State, o.Final = Gone, false
	if j == nil {
		return nil
	}
	recs, err := j.Query(journal.Filter{File: o.Name})
	if err != nil {
		return err
	}
	var rec *journal.Record
	for i := range recs {
		if recs[i].File == o.Name {
			rec = &recs[i]
			break
		}
	}
	if rec == nil {
		return nil
	}
	st, err := j.State(rec.Key)
	if err != nil {
		return err
	}
	o.To, o.Server, o.Reply, o.Cause, o.At, o.Attempts = rec.To, rec.Server, rec.Reply, rec.Cause, rec.Time, rec.Attempts
	o.Delivered, o.Failed = st.Delivered, st.Failed
	accepted := len(st.Delivered) > 0
	if to != "" {
		accepted = slices.ContainsFunc(st.Delivered, func(a string) bool { return strings.EqualFold(a, to) })
	}
	o.State = Refused
	if accepted {
		o.State = Sent
		o.Cause = ""
		for _, rc := range rec.Recipients {
			if rc.QueueID != "" && (to == "" || strings.EqualFold(rc.Address, to)) {
				o.QueueID = rc.QueueID
				break
			}
		}
		if o.QueueID == "" {
			o.QueueID = relay.ParseQueueID(rec.Reply)
		}
	}
	o.Final = true
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
