// Package health keeps the relay's health as the running gateway saw it:
// for each relay chain ([smtp] and [smtp.NAME]), whether it is available,
// since when, why not (a cause of package cause and the relay's exact
// reply), and when the next attempt is due.
//
// The gateway is the one that decides it (Tracker); it writes the record
// to relay-health-INSTANCE.json in the data folder whenever it changes,
// atomically, and every view (queue, status, test --wait, the daily log,
// report --json, the console) reads it from there with Read. A record is
// only as current as the gateway that wrote it: a view must also ask
// whether that gateway is running (its instance lock) before trusting it.
package health

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/spoolgate/spoolgate/spool"
)

// State is whether a relay chain takes mail.
type State string

// The states. Unknown is a chain no message has gone to since the gateway
// started.
const (
	Available   State = "available"
	Unavailable State = "unavailable"
	Unknown     State = "unknown"
	// NotRunning is a view's state when no gateway of the instance runs:
	// whatever the last one recorded, nothing is being sent. A Tracker
	// never records it.
	NotRunning State = "not-running"
)

// Relay is one chain's health.
type Relay struct {
	Chain       string    `json:"chain"` // the [smtp] section: "smtp" or "smtp.NAME"
	State       State     `json:"state"`
	Since       time.Time `json:"since,omitzero"`        // when it entered State
	Cause       string    `json:"cause,omitempty"`       // why it is unavailable (package cause)
	Server      string    `json:"server,omitempty"`      // the server that answered, "NAME (host:port)"
	Reply       string    `json:"reply,omitempty"`       // its exact reply, or spoolgate's own words
	NextAttempt time.Time `json:"next_attempt,omitzero"` // when the queue is tried again
	Failures    int       `json:"failures,omitempty"`    // attempts in a row that found it unavailable
	// Limit is set when the chain waits for a sending limit's window
	// rather than a fault: LimitDaily or LimitMinute (its own [smtp]
	// daily_limit or minute_limit, or the provider's quota reply).
	Limit string `json:"limit,omitempty"`
}

// The sending limits a chain may wait for (Relay.Limit).
const (
	LimitDaily  = "daily"
	LimitMinute = "minute"
)

// Record is what one gateway wrote.
type Record struct {
	Instance string    `json:"instance"`
	PID      int       `json:"pid"`
	Started  time.Time `json:"started"`
	Updated  time.Time `json:"updated"`
	Relays   []Relay   `json:"relays"` // by chain name
}

// Relay returns the health of chain, or a Relay of State Unknown.
func (r *Record) Relay(chain string) Relay {
	for _, x := range r.Relays {
		if x.Chain == chain {
			return x
		}
	}
	return Relay{Chain: chain, State: Unknown}
}

// Worst is the relay that most needs attention: an unavailable one (the
// longest unavailable first), else an available one, else Unknown.
func (r *Record) Worst() Relay {
	var w *Relay
	rank := func(x *Relay) int {
		switch x.State {
		case Unavailable:
			return 2
		case Available:
			return 1
		}
		return 0
	}
	for i := range r.Relays {
		x := &r.Relays[i]
		if w == nil || rank(x) > rank(w) || rank(x) == rank(w) && x.Since.Before(w.Since) && x.State == Unavailable {
			w = x
		}
	}
	if w == nil {
		return Relay{State: Unknown}
	}
	return *w
}

// View is a relay chain's health as every view prints it in JSON (queue
// --json, report --json), so that they print the same facts under the same
// names.
type View struct {
	// State is available, unavailable, unknown (nothing went to a relay
	// since the gateway started, or its record is missing or unreadable:
	// Error says why) or not-running (no gateway of the instance runs).
	State       State      `json:"state"`
	Chain       string     `json:"chain,omitempty"` // smtp, or smtp.NAME
	Since       *time.Time `json:"since,omitempty"`
	Cause       string     `json:"cause,omitempty"` // package cause
	Server      string     `json:"server,omitempty"`
	Reply       string     `json:"reply,omitempty"` // the relay's, verbatim
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	Limit       string     `json:"limit,omitempty"` // daily or minute: it waits for a sending limit's window
	Error       string     `json:"error,omitempty"` // why the record could not be read
}

// ViewOf is r as a view prints it: running says whether a gateway of the
// instance runs (if not, the state is NotRunning, whatever r says);
// readErr is why its record could not be read, or "".
func ViewOf(r Relay, running bool, readErr string) View {
	v := View{State: r.State, Chain: r.Chain, Cause: r.Cause, Server: r.Server, Reply: r.Reply, Limit: r.Limit, Error: readErr}
	switch {
	case !running:
		v.State = NotRunning
	case v.State == "":
		v.State = Unknown
	}
	if !r.Since.IsZero() {
		t := r.Since
		v.Since = &t
	}
	if !r.NextAttempt.IsZero() {
		t := r.NextAttempt
		v.NextAttempt = &t
	}
	return v
}

// FileName is the record's name in the data folder for instance.
func FileName(instance string) string { return "relay-health-" + instance + ".json" }

// maxSize bounds what Read reads: a record is a few hundred bytes a chain.
const maxSize = 1 << 20

// ErrNone is what Read's error wraps when no gateway of the instance has
// written a record in dir.
var ErrNone = errors.New("no relay health recorded")

// Read reads the record of instance from the data folder dir.
func Read(dir, instance string) (*Record, error) {
	path := filepath.Join(dir, FileName(instance))
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNone)
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s); spoolgate writes it itself: remove it", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > maxSize {
		return nil, fmt.Errorf("%s is larger than %d bytes; spoolgate writes it itself: remove it", path, maxSize)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s is damaged (%w); it is rewritten when the relay's health changes", path, err)
	}
	return &r, nil
}

// Tracker decides the relay's health from the gateway's deliveries and
// records every change. Its methods are safe for concurrent use.
type Tracker struct {
	dir, instance string
	now           func() time.Time

	mu  sync.Mutex
	rec Record
	err error // the last write error, reported once
}

// NewTracker returns a tracker that writes to the data folder dir. chains
// are the relay chains the config names; each starts Unknown.
func NewTracker(dir, instance string, chains []string, now func() time.Time) *Tracker {
	t := &Tracker{dir: dir, instance: instance, now: now}
	t.rec = Record{Instance: instance, PID: os.Getpid(), Started: now()}
	for _, c := range chains {
		t.rec.Relays = append(t.rec.Relays, Relay{Chain: c, State: Unknown})
	}
	return t
}

// Start writes the tracker's first record, so that views see a fresh one
// from this run and not the last run's.
func (t *Tracker) Start() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.writeLocked()
}

// Up records that chain took a message (or answered for one). It reports
// whether the chain was unavailable until now, and if so the Relay as it
// was.
func (t *Tracker) Up(chain string) (was Relay, recovered bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.relayLocked(chain)
	if r.State == Available {
		return *r, false
	}
	was = *r
	*r = Relay{Chain: chain, State: Available, Since: t.now()}
	t.writeLocked()
	return was, was.State == Unavailable
}

// Down records that chain is unavailable for cause, with the server's
// reply, until next. It returns the chain's health now, and whether it was
// available (or unknown) until now.
func (t *Tracker) Down(chain, cause, server, reply string, next time.Time, limit string) (now Relay, changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.relayLocked(chain)
	changed = r.State != Unavailable || r.Cause != cause
	if r.State != Unavailable {
		r.Since = t.now()
		r.Failures = 0
	}
	r.State, r.Cause, r.Server, r.Reply, r.NextAttempt, r.Limit = Unavailable, cause, server, reply, next, limit
	r.Failures++
	t.writeLocked()
	return *r, changed
}

// Get returns chain's health.
func (t *Tracker) Get(chain string) Relay {
	t.mu.Lock()
	defer t.mu.Unlock()
	return *t.relayLocked(chain)
}

// Err returns the last error writing the record, or nil.
func (t *Tracker) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *Tracker) relayLocked(chain string) *Relay {
	for i := range t.rec.Relays {
		if t.rec.Relays[i].Chain == chain {
			return &t.rec.Relays[i]
		}
	}
	t.rec.Relays = append(t.rec.Relays, Relay{Chain: chain, State: Unknown})
	slices.SortFunc(t.rec.Relays, func(a, b Relay) int {
		switch {
		case a.Chain < b.Chain:
			return -1
		case a.Chain > b.Chain:
			return 1
		}
		return 0
	})
	return t.relayLocked(chain)
}

func (t *Tracker) writeLocked() error {
	t.rec.Updated = t.now()
	b, err := json.MarshalIndent(&t.rec, "", "  ")
	if err == nil {
		// On Windows a reader (spoolgate status, queue, the console)
		// holding the record open makes the replacing rename fail for
		// that moment: try again a few times, briefly, before giving up.
		for try := 0; ; try++ {
			err = spool.WriteFile(t.dir, FileName(t.instance), append(b, '\n'), 0o640)
			if err == nil || try == writeTries-1 {
				break
			}
			time.Sleep(writeRetry)
		}
	}
	t.err = err
	return err
}

// A record that cannot be replaced (a reader holds it open, on Windows)
// is tried again writeTries times, writeRetry apart.
const (
	writeTries = 10
	writeRetry = 20 * time.Millisecond
)
