// Package inspect gives read-only views of a queue folder and its journal,
// for the admin commands (status, queue, test). Nothing here renames,
// writes or deletes a file of the queue, and everything works while the
// service runs: the folder is only listed and the journal only read (SQLite
// WAL lets readers in beside the writer). A journal that does not exist yet
// is not created; the views then say nothing was sent.
package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/spool"
)

// QueueSummary is the state of a queue folder at a glance.
type QueueSummary struct {
	Waiting  int       // files waiting to be taken
	Oldest   time.Time // modification time of the oldest waiting file; zero if none
	Deferred int       // this instance's files waiting for a retry
	Sending  int       // this instance's files being sent
	Bad      int       // .BAD files
	// Files whose names match no [spool] pattern, there for at least
	// [spool] settle: never sent (an ILS writing .txt, say).
	Unmatched int
	LastSent  time.Time // the relay's last acceptance; zero if never
	Folder    string    // the queue folder
	now       time.Time // when the summary was taken, for the ages in String
}

// Summary counts the queue folder of cfg and reads the time of the last
// send from the journal. It never modifies anything. When the queue folder
// does not exist (spoolgate never ran with this config), the error wraps
// fs.ErrNotExist.
func Summary(cfg *config.Config) (*QueueSummary, error) {
	now := time.Now()
	snap, err := newSpool(cfg).Scan(1)
	if err != nil {
		return nil, err
	}
	q := &QueueSummary{Waiting: snap.Waiting, Oldest: snap.Oldest, Deferred: len(snap.Deferred), Sending: len(snap.Sending), Bad: snap.Bad,
		Unmatched: snap.NUnmatched, Folder: cfg.Spool.Folder, now: now}
	j, err := OpenJournal(cfg)
	if err != nil {
		return nil, err
	}
	if j != nil {
		defer j.Close()
		if q.LastSent, err = j.LastSent(); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// String is one line for an admin, e.g.
// "Queue: 12 waiting (oldest 3m ago), 1 deferred, 2 .BAD; last sent 2026-11-25 10:02 (4m ago)",
// with ", 3 matching no pattern" after the .BAD count when there are such
// files.
func (q *QueueSummary) String() string {
	now := q.now
	if now.IsZero() {
		now = time.Now()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Queue: %d waiting", q.Waiting)
	if q.Waiting > 0 && !q.Oldest.IsZero() {
		fmt.Fprintf(&b, " (oldest %s ago)", Age(now.Sub(q.Oldest)))
	}
	fmt.Fprintf(&b, ", %d deferred, %d .BAD", q.Deferred, q.Bad)
	if q.Unmatched > 0 {
		fmt.Fprintf(&b, ", %d matching no pattern", q.Unmatched)
	}
	b.WriteString("; ")
	if q.LastSent.IsZero() {
		b.WriteString("nothing sent yet")
	} else {
		fmt.Fprintf(&b, "last sent %s (%s ago)", q.LastSent.Local().Format("2006-01-02 15:04"), Age(now.Sub(q.LastSent)))
	}
	return b.String()
}

// Age formats a duration the way an admin reads it: "40s", "3m", "2h5m",
// "3d4h".
func Age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

// JournalPath is where the journal of cfg lives.
func JournalPath(cfg *config.Config) string {
	return filepath.Join(cfg.Spool.Data, gateway.JournalFile)
}

// OpenJournal opens the journal of cfg if it exists, and returns nil, nil
// if it does not (journal.Open would create it). The caller closes it.
func OpenJournal(cfg *config.Config) (*journal.Journal, error) {
	p := JournalPath(cfg)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return journal.Open(p, nil)
}

func newSpool(cfg *config.Config) *spool.Spool {
	return spool.New(spool.Options{Dir: cfg.Spool.Folder, Patterns: cfg.Spool.Patterns, Instance: cfg.Spool.Instance, Settle: cfg.Spool.Settle})
}
