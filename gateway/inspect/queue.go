package inspect

import (
	"sort"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/spool"
)

// File is one file of the queue folder.
type File struct {
	Name    string      // its current name
	Orig    string      // the name the ILS gave it (for .BAD files, from the reason file when it says)
	Key     string      // claim key, for sending, deferred and (from the reason file) .BAD files
	Owner   string      // the instance named in Key
	State   spool.State //
	Size    int64       //
	ModTime time.Time   //

	// From the journal, for sending and deferred files.
	Attempts  int
	Next      time.Time // when the next attempt is due; zero if unknown
	LastReply string    // the last reply or error recorded

	// For .BAD files: the reason file beside it, as spool reads it back;
	// nil if there is none.
	Reason *spool.Reason
}

// Queue is the queue folder, file by file.
type Queue struct {
	Folder   string
	Instance string    // this config's instance
	Patterns []string  // [spool] pattern
	Taken    time.Time // when the folder was read
	Waiting  []File    // oldest first, at most the limit asked for
	NWaiting int       // all waiting files
	Oldest   time.Time // modification time of the oldest waiting file
	Sending  []File    // claimed by an instance, being sent
	Deferred []File    // waiting for a retry, soonest first
	Bad      []File    // refused for good, oldest first
	// Files whose names match no pattern, there for at least [spool]
	// settle: never sent. Oldest first.
	Unmatched []File
}

// List reads the queue folder of cfg and, for claimed files, what the
// journal knows of them. Waiting holds the oldest limit waiting files (0 =
// all); the other states are listed in full. Files claimed by other
// instances are listed too, with their Owner. It never modifies anything.
func List(cfg *config.Config, limit int) (*Queue, error) {
	q := &Queue{Folder: cfg.Spool.Folder, Instance: cfg.Spool.Instance, Patterns: cfg.Spool.Patterns, Taken: time.Now()}
	sp := newSpool(cfg)
	ents, err := sp.List()
	if err != nil {
		return nil, err
	}
	var claimed []*File
	for _, e := range ents {
		f := File{Name: e.Name, Orig: e.Orig, Key: e.Key, Owner: spool.Owner(e.Key), State: e.State, Size: e.Size, ModTime: e.ModTime}
		switch e.State {
		case spool.Waiting:
			q.Waiting = append(q.Waiting, f)
		case spool.Sending:
			q.Sending = append(q.Sending, f)
		case spool.Deferred:
			q.Deferred = append(q.Deferred, f)
		case spool.Bad:
			withReason(sp, &f)
			q.Bad = append(q.Bad, f)
		case spool.Unmatched:
			q.Unmatched = append(q.Unmatched, f)
		}
	}
	sortByAge(q.Waiting)
	q.NWaiting = len(q.Waiting)
	if q.NWaiting > 0 {
		q.Oldest = q.Waiting[0].ModTime
	}
	if limit > 0 && len(q.Waiting) > limit {
		q.Waiting = q.Waiting[:limit:limit]
	}
	sortByAge(q.Sending)
	sortByAge(q.Bad)
	sortByAge(q.Unmatched)
	for i := range q.Sending {
		claimed = append(claimed, &q.Sending[i])
	}
	for i := range q.Deferred {
		claimed = append(claimed, &q.Deferred[i])
	}
	if len(claimed) > 0 {
		j, err := OpenJournal(cfg)
		if err != nil {
			return nil, err
		}
		if j != nil {
			defer j.Close()
			for _, f := range claimed {
				if err := fromJournal(j, f); err != nil {
					return nil, err
				}
			}
		}
	}
	sort.SliceStable(q.Deferred, func(a, b int) bool {
		x, y := q.Deferred[a], q.Deferred[b]
		if x.Next.IsZero() != y.Next.IsZero() {
			return !x.Next.IsZero()
		}
		if !x.Next.Equal(y.Next) {
			return x.Next.Before(y.Next)
		}
		return x.Name < y.Name
	})
	return q, nil
}

// withReason fills in a .BAD file's reason, key and original name from its
// reason file, when it has one.
func withReason(sp *spool.Spool, f *File) {
	r, err := spool.ReadReason(sp.ReasonPath(f.Name))
	if err != nil {
		return
	}
	f.Reason = &r
	f.Key, f.Owner = r.Key, spool.Owner(r.Key)
	if r.File != "" {
		f.Orig = r.File
	}
}

// fromJournal fills in a claimed file's attempts, next attempt and last
// reply.
func fromJournal(j *journal.Journal, f *File) error {
	recs, err := j.Query(journal.Filter{Key: f.Key, Limit: 1})
	if err != nil || len(recs) == 0 {
		return err
	}
	r := recs[0]
	f.Attempts, f.Next, f.LastReply = r.Attempts, r.Next, r.Reply
	return nil
}

func sortByAge(fs []File) {
	sort.Slice(fs, func(a, b int) bool {
		if !fs[a].ModTime.Equal(fs[b].ModTime) {
			return fs[a].ModTime.Before(fs[b].ModTime)
		}
		return fs[a].Name < fs[b].Name
	})
}

// Locate finds where the message file first dropped as orig is now: waiting
// under that name, claimed (sending or deferred) by any instance, or set
// aside as .BAD (a BAD name of orig, confirmed by the reason file's File
// when there is one). It returns nil, nil when no file of that message is
// left in the folder: the relay accepted it, or someone removed it.
func Locate(cfg *config.Config, orig string) (*File, error) {
	sp := newSpool(cfg)
	ents, err := sp.List()
	if err != nil {
		return nil, err
	}
	var bad *File
	for _, e := range ents {
		f := File{Name: e.Name, Orig: e.Orig, Key: e.Key, Owner: spool.Owner(e.Key), State: e.State, Size: e.Size, ModTime: e.ModTime}
		switch e.State {
		case spool.Waiting, spool.Sending, spool.Deferred:
			if strings.EqualFold(e.Orig, orig) {
				return &f, nil
			}
			continue
		case spool.Bad:
		default:
			continue
		}
		if !spool.IsBadOf(f.Name, orig) {
			continue
		}
		r, rerr := spool.ReadReason(sp.ReasonPath(f.Name))
		if rerr == nil && r.File != "" && r.File != orig {
			continue
		}
		if rerr == nil {
			f.Reason, f.Key, f.Owner, f.Orig = &r, r.Key, spool.Owner(r.Key), orig
		}
		if bad == nil || f.ModTime.After(bad.ModTime) {
			bad = &f
		}
	}
	return bad, nil
}
