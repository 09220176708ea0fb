package inspect

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/spool"
)

// File is one message file of the queue folder.
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

	// For .BAD files: the reason file beside it, parsed; nil if there is none.
	Reason *Reason
}

// Queue is the queue folder, file by file.
type Queue struct {
	Folder   string
	Instance string    // this config's instance
	Taken    time.Time // when the folder was read
	Waiting  []File    // oldest first, at most the limit asked for
	NWaiting int       // all waiting files
	Oldest   time.Time // modification time of the oldest waiting file
	Sending  []File    // claimed by an instance, being sent
	Deferred []File    // waiting for a retry, soonest first
	Bad      []File    // refused for good, oldest first
}

// List reads the queue folder of cfg and, for claimed files, what the
// journal knows of them. Waiting holds the oldest limit waiting files (0 =
// all); the other states are listed in full. Files claimed by other
// instances are listed too, with their Owner. It never modifies anything.
func List(cfg *config.Config, limit int) (*Queue, error) {
	q := &Queue{Folder: cfg.Spool.Folder, Instance: cfg.Spool.Instance, Taken: time.Now()}
	sp := newSpool(cfg)
	ents, err := os.ReadDir(cfg.Spool.Folder)
	if err != nil {
		return nil, fmt.Errorf("read queue folder: %w", err)
	}
	var claimed []*File
	for _, de := range ents {
		if de.IsDir() {
			continue
		}
		st, orig, key := sp.Classify(de.Name())
		if st == spool.Ignored {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // gone since ReadDir
		}
		f := File{Name: de.Name(), Orig: orig, Key: key, Owner: spool.Owner(key), State: st, Size: info.Size(), ModTime: info.ModTime()}
		switch st {
		case spool.Waiting:
			q.Waiting = append(q.Waiting, f)
		case spool.Sending:
			q.Sending = append(q.Sending, f)
		case spool.Deferred:
			q.Deferred = append(q.Deferred, f)
		case spool.Bad:
			if r, err := ReadReason(filepath.Join(cfg.Spool.Folder, f.Name+".txt")); err == nil {
				f.Reason = r
				f.Key, f.Owner = r.Key, spool.Owner(r.Key)
				if r.File != "" {
					f.Orig = r.File
				}
			}
			q.Bad = append(q.Bad, f)
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

// Reason is a .BAD.txt reason file, as the gateway writes it.
type Reason struct {
	File   string // "File:" the name the message file had in the queue
	Key    string // "Key:" its claim key; "" if it was never claimed under one
	When   string // "When:"
	Server string // "Server:" the server that answered
	Reply  string // "Reply:" its exact reply
	What   string // "What happened:"
	Action string // "What to do:"
	Detail string // "Detail:"
	Text   string // the whole file
}

// maxReason bounds how much of a reason file is read: they are a few
// hundred bytes, but anyone can drop a file of that name.
const maxReason = 64 << 10

// ReadReason reads and parses a .BAD.txt file.
func ReadReason(path string) (*Reason, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxReason))
	if err != nil {
		return nil, err
	}
	r := ParseReason(b)
	return &r, nil
}

// ParseReason reads the labelled lines of a .BAD.txt file. Lines it does
// not know are kept only in Text; a missing label leaves its field empty.
func ParseReason(b []byte) Reason {
	r := Reason{Text: string(b)}
	fields := []struct {
		label string
		dst   *string
	}{
		{"File:", &r.File}, {"Key:", &r.Key}, {"When:", &r.When}, {"Server:", &r.Server}, {"Reply:", &r.Reply},
		{"What happened:", &r.What}, {"What to do:", &r.Action}, {"Detail:", &r.Detail},
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		for _, f := range fields {
			if v, ok := strings.CutPrefix(line, f.label); ok && *f.dst == "" {
				*f.dst = strings.TrimSpace(v)
				break
			}
		}
	}
	return r
}

// Locate finds where the message file first dropped as orig is now: waiting
// under that name, claimed (sending or deferred) by any instance, or set
// aside as .BAD (named from orig, abc.tmp giving abc.BAD or abc.N.BAD, and
// confirmed by the reason file's File line when there is one). It returns nil, nil when no file of that message is left
// in the folder: the relay accepted it, or someone removed it.
func Locate(cfg *config.Config, orig string) (*File, error) {
	sp := newSpool(cfg)
	ents, err := os.ReadDir(cfg.Spool.Folder)
	if err != nil {
		return nil, fmt.Errorf("read queue folder: %w", err)
	}
	base := strings.TrimSuffix(orig, filepath.Ext(orig))
	var bad *File
	for _, de := range ents {
		st, o, key := sp.Classify(de.Name())
		if st == spool.Ignored || de.IsDir() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		f := File{Name: de.Name(), Orig: o, Key: key, Owner: spool.Owner(key), State: st, Size: info.Size(), ModTime: info.ModTime()}
		if st != spool.Bad {
			if strings.EqualFold(o, orig) {
				return &f, nil
			}
			continue
		}
		// The gateway names a refused abc.tmp abc.BAD, or abc.N.BAD when
		// that is taken; the reason file says which abc it was.
		if !isBadNameOf(f.Name, base) {
			continue
		}
		r, rerr := ReadReason(filepath.Join(cfg.Spool.Folder, f.Name+".txt"))
		if rerr == nil && r.File != "" && r.File != orig {
			continue
		}
		if rerr == nil {
			f.Reason, f.Key, f.Owner, f.Orig = r, r.Key, spool.Owner(r.Key), orig
		}
		if bad == nil || f.ModTime.After(bad.ModTime) {
			bad = &f
		}
	}
	return bad, nil
}

// isBadNameOf tells whether name is base.BAD or base.N.BAD.
func isBadNameOf(name, base string) bool {
	rest, ok := strings.CutSuffix(name, spool.SuffixBad)
	if !ok {
		return false
	}
	if rest == base {
		return true
	}
	n, ok := strings.CutPrefix(rest, base+".")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
