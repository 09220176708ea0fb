package inspect

import (
	"container/heap"
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
	var waiting []int // indexes into ents: a File is made only for those listed
	for i, e := range ents {
		if e.State == spool.Waiting {
			waiting = append(waiting, i)
			continue
		}
		f := fileOf(e)
		switch e.State {
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
	q.NWaiting = len(waiting)
	for _, i := range oldest(waiting, limit, func(a, b int) bool { return olderEntry(&ents[a], &ents[b]) }) {
		q.Waiting = append(q.Waiting, fileOf(ents[i]))
	}
	if q.NWaiting > 0 {
		q.Oldest = q.Waiting[0].ModTime
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
	sort.Slice(fs, func(a, b int) bool { return olderThan(fs[a].ModTime, fs[a].Name, fs[b].ModTime, fs[b].Name) })
}

// fileOf is what the folder says of a file.
func fileOf(e spool.Entry) File {
	return File{Name: e.Name, Orig: e.Orig, Key: e.Key, Owner: spool.Owner(e.Key), State: e.State, Size: e.Size, ModTime: e.ModTime}
}

// olderEntry orders files oldest first, then by name.
func olderEntry(a, b *spool.Entry) bool { return olderThan(a.ModTime, a.Name, b.ModTime, b.Name) }

// olderThan tells whether the file named a, modified at ta, comes before
// b, modified at tb: oldest first, then by name.
func olderThan(ta time.Time, a string, tb time.Time, b string) bool {
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return a < b
}

// oldest returns the limit oldest of idx (all of them when limit is 0),
// oldest first, as older orders them. With a limit it keeps the oldest in
// a heap of limit as it goes and never sorts the whole folder: a queue of
// 100,000 files is listed in about the time it takes to read it.
func oldest(idx []int, limit int, older func(a, b int) bool) []int {
	var out []int
	if limit <= 0 || len(idx) <= limit {
		out = idx
	} else {
		h := &newestTop{older: older}
		for _, i := range idx {
			if h.Len() < limit {
				heap.Push(h, i)
			} else if older(i, h.idx[0]) {
				h.idx[0] = i
				heap.Fix(h, 0)
			}
		}
		out = h.idx
	}
	sort.Slice(out, func(a, b int) bool { return older(out[a], out[b]) })
	return out
}

// newestTop is a heap of indexes whose top is the newest file.
type newestTop struct {
	older func(a, b int) bool
	idx   []int
}

func (h *newestTop) Len() int           { return len(h.idx) }
func (h *newestTop) Less(a, b int) bool { return h.older(h.idx[b], h.idx[a]) }
func (h *newestTop) Swap(a, b int)      { h.idx[a], h.idx[b] = h.idx[b], h.idx[a] }
func (h *newestTop) Push(x any)         { h.idx = append(h.idx, x.(int)) }
func (h *newestTop) Pop() any {
	x := h.idx[len(h.idx)-1]
	h.idx = h.idx[:len(h.idx)-1]
	return x
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
