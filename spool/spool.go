// Package spool keeps the queue folder: which files are messages, and what
// state each is in. The file name is the state:
//
//	abc.tmp                      waiting: matches a pattern, dropped by the ILS
//	abc.tmp.<key>.sending        claimed by the instance named in <key>
//	abc.tmp.<key>.deferred       a temporary failure; retried later by that instance
//	abc.BAD, abc.BAD.txt         refused for good, with the reason beside it
//	abc.txt                      unmatched: no pattern takes it, so it is never sent
//
// A key is "<instance>-<id>", unique across restarts, so two instances that
// share a folder (say on a network share) never take each other's files,
// and the journal can find a claimed file's history after a crash.
//
// Files whose names start with "." or "~", or end in ".part", are never
// taken: a writer can write "x.part" and rename it to "x.eml". A waiting file
// is taken only once it has settled: its size and modification time have not
// changed for the settle time. A file that no pattern takes and that is none
// of spoolgate's own is unmatched: it is never sent, and once it is older
// than the settle time Scan and List report it, since it is most likely a
// message whose writer and the patterns disagree (an ILS writing .txt).
//
// Only this package names the files: it enqueues the ones spoolgate writes
// itself, and claims, defers, releases, removes, quarantines (writing a
// Reason it alone reads back) and requeues them.
//
// The folder is written by another account, which may put anything there:
// a link, a named pipe, a socket, a name too long to claim, a newline in a
// name. Renaming opens nothing; what spool reads of the folder (a claimed
// file, Read; a reason file, ReadReason; a lock holder's note) it reads
// through package safefile only: never through a link, never waiting on a
// pipe, only a regular file, bounded. Names it writes into files people
// read go through Escape.
//
// Claiming is a rename, which is atomic on one file system: of two instances
// racing for a file, one wins and the other gets ErrGone. Lock is the
// system file lock that keeps one instance from running twice (and the
// overdue scans from recovering each other's files); LockInstance is the
// one in the queue folder that keeps two instances of one name off one
// folder. Nothing here knows SMTP or message syntax.
package spool

import (
	"container/heap"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/spoolgate/spoolgate/spool/safefile"
)

// State is what a file name says about the message in it.
type State int

// The states.
const (
	Ignored   State = iota // spoolgate's own, hidden or partial: not a message file
	Waiting                // dropped, not yet taken
	Sending                // claimed
	Deferred               // waiting for a retry
	Bad                    // quarantined
	Unmatched              // someone else's file that no pattern takes: never sent
)

// Suffixes of the states, as they appear in file names.
const (
	SuffixSending  = ".sending"
	SuffixDeferred = ".deferred"
	SuffixBad      = ".BAD"
	SuffixReason   = ".BAD.txt"
)

// Errors callers test for.
var (
	// ErrGone: the file vanished before it could be taken, usually because
	// another instance claimed it first.
	ErrGone = errors.New("the file is gone")
	// ErrBusy: the file is held open by its writer (Windows sharing
	// violation); try again later.
	ErrBusy = errors.New("the file is still open in another program")
	// ErrNameTooLong: the file's name is too long to take a claimed
	// (or deferred) name, which adds the key and a suffix to it; it can
	// never be claimed. Quarantine sets it aside under a short name.
	ErrNameTooLong = errors.New("the file's name is too long to claim")
)

// Options configure a Spool.
type Options struct {
	Dir      string           // the queue folder
	Patterns []string         // filepath.Match patterns of message file names
	Instance string           // this instance's name: [A-Za-z0-9-]+
	Settle   time.Duration    // how long a file must be unchanged
	Now      func() time.Time // nil = time.Now
}

// Spool is a queue folder seen by one instance. Its methods are safe for
// concurrent use.
type Spool struct {
	o   Options
	now func() time.Time
	seq atomic.Uint64

	mu  sync.Mutex
	obs map[string]observation // unsettled files: first seen with this size and time

	lockMu sync.Mutex
	lock   *instanceLock // LockInstance's, while held
}

type observation struct {
	size  int64
	mtime time.Time
	since time.Time
}

// New returns the Spool of o.Dir. It does not touch the folder.
func New(o Options) *Spool {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Spool{o: o, now: now, obs: map[string]observation{}}
}

// Dir is the queue folder.
func (s *Spool) Dir() string { return s.o.Dir }

// Instance is this instance's name.
func (s *Spool) Instance() string { return s.o.Instance }

// Entry is one file of the queue folder.
type Entry struct {
	Name    string    // the file's current name
	Orig    string    // the name the ILS gave it
	Key     string    // for Sending and Deferred: the claim key
	State   State     //
	Size    int64     //
	ModTime time.Time //
}

// Path is the entry's full path in the folder of s.
func (s *Spool) Path(e Entry) string { return filepath.Join(s.o.Dir, e.Name) }

// Owner is the instance named in a key.
func Owner(key string) string {
	if i := strings.LastIndexByte(key, '-'); i > 0 {
		return key[:i]
	}
	return ""
}

// Classify tells the state of a file name, and for claimed names the
// original name and key. Ignored is spoolgate's own or a hidden or partial
// name; Unmatched is any other name no pattern takes.
func (s *Spool) Classify(name string) (state State, orig, key string) {
	if name == "" || name[0] == '.' || name[0] == '~' || strings.HasSuffix(name, ".part") {
		return Ignored, "", ""
	}
	for _, st := range []struct {
		suffix string
		state  State
	}{{SuffixSending, Sending}, {SuffixDeferred, Deferred}} {
		if rest, ok := strings.CutSuffix(name, st.suffix); ok {
			i := strings.LastIndexByte(rest, '.')
			if i <= 0 || Owner(rest[i+1:]) == "" {
				return Ignored, "", ""
			}
			return st.state, rest[:i], rest[i+1:]
		}
	}
	if strings.HasSuffix(name, SuffixReason) {
		return Ignored, "", ""
	}
	if strings.HasSuffix(name, SuffixBad) {
		return Bad, name, ""
	}
	for _, p := range s.o.Patterns {
		if ok, _ := filepath.Match(p, name); ok {
			return Waiting, name, ""
		}
		// Patterns match case-insensitively, as on Windows: *.eml takes X.EML.
		if ok, _ := filepath.Match(strings.ToLower(p), strings.ToLower(name)); ok {
			return Waiting, name, ""
		}
	}
	return Unmatched, "", ""
}

// Snapshot is what one scan of the folder found.
type Snapshot struct {
	Ready    []Entry   // settled waiting files, oldest first, at most the limit asked for
	Deferred []Entry   // this instance's deferred files
	Sending  []Entry   // this instance's claimed files (only left behind by a crash, at start)
	Waiting  int       // all waiting files, settled or not
	Oldest   time.Time // modification time of the oldest waiting file
	Bad      int       // quarantined files
	Settling time.Time // when the next unsettled file may be ready; zero if none

	// Files no pattern takes, there for at least the settle time: the
	// oldest MaxUnmatched, oldest first, and how many there are in all.
	Unmatched  []Entry
	NUnmatched int
}

// MaxUnmatched bounds Snapshot.Unmatched.
const MaxUnmatched = 100

// Scan reads the folder once. Ready holds at most limit files (0 = no
// limit), so memory stays bounded however many files wait.
func (s *Spool) Scan(limit int) (*Snapshot, error) {
	d, err := os.Open(s.o.Dir)
	if err != nil {
		s.keepLock(nil)
		return nil, fmt.Errorf("scan queue folder: %w", err)
	}
	defer d.Close()
	dir, err := d.Stat()
	if err != nil {
		return nil, fmt.Errorf("scan queue folder: %w", err)
	}
	if err := s.keepLock(dir); err != nil {
		return nil, err
	}

	now := s.now()
	snap := &Snapshot{}
	ready := &entryHeap{}
	unmatched := &entryHeap{}
	seen := map[string]bool{}
	for {
		des, err := d.ReadDir(1024)
		for _, de := range des {
			if de.IsDir() {
				continue
			}
			st, orig, key := s.Classify(de.Name())
			if st == Ignored {
				continue
			}
			if st == Bad {
				snap.Bad++
				continue
			}
			if st == Unmatched {
				if info, err := de.Info(); err == nil && info.Mode().IsRegular() && s.left(info.ModTime(), now) {
					snap.NUnmatched++
					heap.Push(unmatched, Entry{Name: de.Name(), State: Unmatched, Size: info.Size(), ModTime: info.ModTime()})
					if unmatched.Len() > MaxUnmatched {
						heap.Pop(unmatched)
					}
				}
				continue
			}
			if (st == Sending || st == Deferred) && Owner(key) != s.o.Instance {
				continue
			}
			info, err := de.Info()
			if err != nil {
				continue // gone since ReadDir
			}
			e := Entry{Name: de.Name(), Orig: orig, Key: key, State: st, Size: info.Size(), ModTime: info.ModTime()}
			switch st {
			case Sending:
				snap.Sending = append(snap.Sending, e)
			case Deferred:
				snap.Deferred = append(snap.Deferred, e)
			case Waiting:
				snap.Waiting++
				if snap.Oldest.IsZero() || e.ModTime.Before(snap.Oldest) {
					snap.Oldest = e.ModTime
				}
				readyAt := s.settled(e, now)
				if readyAt.After(now) {
					seen[e.Name] = true
					if snap.Settling.IsZero() || readyAt.Before(snap.Settling) {
						snap.Settling = readyAt
					}
					continue
				}
				heap.Push(ready, e)
				if limit > 0 && ready.Len() > limit {
					heap.Pop(ready) // drop the newest
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			// A folder removed while it was read is reported as missing,
			// in the words of the next scan, which cannot open it.
			f, oerr := os.Open(s.o.Dir)
			if oerr != nil {
				s.keepLock(nil)
				return nil, fmt.Errorf("scan queue folder: %w", oerr)
			}
			f.Close()
			return nil, fmt.Errorf("scan queue folder: %w", err)
		}
	}
	s.forget(seen)

	snap.Ready = make([]Entry, ready.Len())
	for i := len(snap.Ready) - 1; i >= 0; i-- {
		snap.Ready[i] = heap.Pop(ready).(Entry)
	}
	if unmatched.Len() > 0 {
		snap.Unmatched = make([]Entry, unmatched.Len())
		for i := len(snap.Unmatched) - 1; i >= 0; i-- {
			snap.Unmatched[i] = heap.Pop(unmatched).(Entry)
		}
	}
	return snap, nil
}

// left tells whether an unmatched file modified at mtime has been there
// long enough to report: at least the settle time, so that a file about
// to be renamed to a name a pattern takes is not.
func (s *Spool) left(mtime, now time.Time) bool {
	return now.Sub(mtime) >= s.o.Settle
}

// List reads the folder once and returns every file it has a state for,
// of every instance, in no particular order: waiting files, settled or
// not, files any instance claimed or deferred, .BAD files, and unmatched
// files that have been there for the settle time. It changes nothing; it
// is for views of the folder, which want all of it (Scan is for sending).
func (s *Spool) List() ([]Entry, error) {
	ents, err := os.ReadDir(s.o.Dir)
	if err != nil {
		return nil, fmt.Errorf("read queue folder: %w", err)
	}
	now := s.now()
	var out []Entry
	for _, de := range ents {
		if de.IsDir() {
			continue
		}
		st, orig, key := s.Classify(de.Name())
		if st == Ignored {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // gone since ReadDir
		}
		if st == Unmatched && (!info.Mode().IsRegular() || !s.left(info.ModTime(), now)) {
			continue
		}
		out = append(out, Entry{Name: de.Name(), Orig: orig, Key: key, State: st, Size: info.Size(), ModTime: info.ModTime()})
	}
	return out, nil
}

// settled returns when e may be taken: at once if its modification time is
// at least Settle ago, else Settle after the size and time were first seen
// as they are now.
func (s *Spool) settled(e Entry, now time.Time) time.Time {
	if s.o.Settle <= 0 || now.Sub(e.ModTime) >= s.o.Settle {
		return now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.obs[e.Name]
	if !ok || o.size != e.Size || !o.mtime.Equal(e.ModTime) {
		o = observation{size: e.Size, mtime: e.ModTime, since: now}
		s.obs[e.Name] = o
	}
	at := o.since.Add(s.o.Settle)
	if m := e.ModTime.Add(s.o.Settle); m.Before(at) {
		at = m
	}
	return at
}

// forget drops observations of files that have settled or vanished.
func (s *Spool) forget(unsettled map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.obs {
		if !unsettled[name] {
			delete(s.obs, name)
		}
	}
}

// NewKey returns a key unique to this instance, across restarts.
func (s *Spool) NewKey() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return s.o.Instance + "-" + strconv.FormatInt(s.now().UnixMilli(), 36) +
		strconv.FormatUint(s.seq.Add(1), 36) + hex.EncodeToString(b[:])
}

// Claim takes a waiting or deferred file for sending by renaming it. A
// waiting file gets a new key. It returns ErrGone when the file is no
// longer there (another instance won), ErrBusy when its writer holds it,
// and ErrNameTooLong when its name leaves no room for the key and the
// suffix (on the file system's own word, or before asking it when the
// longer of the names, the deferred one, would not fit): such a file stays
// waiting, for the caller to set aside (Quarantine).
func (s *Spool) Claim(e Entry) (Entry, error) {
	key := e.Key
	if e.State == Waiting {
		key = s.NewKey()
	} else if e.State != Deferred {
		return e, fmt.Errorf("claim %s: not a waiting or deferred file", e.Name)
	}
	if nameTooLong(e.Orig + "." + key + SuffixDeferred) {
		return e, fmt.Errorf("claim %s: %w", e.Name, ErrNameTooLong)
	}
	return s.move(e, Sending, e.Orig+"."+key+SuffixSending, key)
}

// Read reads the claimed file e, as a message file is read: never through
// a symbolic link (or, on Windows, any reparse point), never waiting on a
// named pipe, only if it is a regular file (see safefile.Open), and at
// most max bytes, measured on the open file, not on the name. The queue
// folder is written by another account, which may put anything there.
//
// A link, a pipe, a socket, a device or a folder is refused with an error
// wrapping a *safefile.NotRegularError, which names what it is and
// nothing of what it points to or holds; a file over max, with one
// wrapping a *safefile.TooLargeError. Neither will ever be read: set it
// aside. A file gone since it was claimed gives ErrGone. max must be above
// 0.
func (s *Spool) Read(e Entry, max int64) ([]byte, error) {
	if e.State != Sending {
		return nil, fmt.Errorf("read %s: not a claimed file", e.Name)
	}
	if max <= 0 {
		return nil, fmt.Errorf("read %s: no size limit given", e.Name)
	}
	b, err := safefile.ReadFile(s.Path(e), max)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", e.Name, ErrGone)
	case isSharingViolation(err):
		return nil, fmt.Errorf("read %s: %w", e.Name, ErrBusy)
	}
	return nil, fmt.Errorf("read %s: %w", e.Name, err)
}

// Defer marks a claimed file for a later retry.
func (s *Spool) Defer(e Entry) (Entry, error) {
	return s.move(e, Deferred, e.Orig+"."+e.Key+SuffixDeferred, e.Key)
}

// Release gives a claimed file that was never attempted back to the queue
// under its original name. If a new file of that name appeared meanwhile,
// the claimed file is deferred instead, so neither is overwritten.
func (s *Spool) Release(e Entry) (Entry, error) {
	if _, err := os.Lstat(filepath.Join(s.o.Dir, e.Orig)); err == nil {
		return s.Defer(e)
	}
	out, err := s.move(e, Waiting, e.Orig, "")
	out.Orig = e.Orig
	return out, err
}

// Remove deletes a file whose message the relay accepted.
func (s *Spool) Remove(e Entry) error {
	if err := os.Remove(s.Path(e)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove sent file: %w", err)
	}
	return nil
}

func (s *Spool) move(e Entry, st State, name, key string) (Entry, error) {
	from, to := s.Path(e), filepath.Join(s.o.Dir, name)
	if err := os.Rename(from, to); err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return e, fmt.Errorf("rename %s: %w", e.Name, ErrGone)
		case isSharingViolation(err):
			return e, fmt.Errorf("rename %s: %w", e.Name, ErrBusy)
		case isNameTooLong(err):
			return e, fmt.Errorf("rename %s: %w (%w)", e.Name, ErrNameTooLong, err)
		}
		return e, fmt.Errorf("rename %s: %w", e.Name, err)
	}
	e.Name, e.State, e.Key = name, st, key
	return e, nil
}

// Quarantine renames a claimed file (or a waiting one that cannot be
// claimed: ErrNameTooLong) to the BAD name of its original name (abc.tmp
// becomes abc.BAD, or abc.1.BAD if that is taken; see badBase for names
// too long or with control characters) and writes r beside it
// (abc.BAD.txt, mode ReasonMode). r's File, Key and At default to the
// entry's original name, its key and now; when r.Render is set, the text
// is Render of the BAD name chosen. It returns the new name.
//
// When it fails (a full disk), the file is left as it was and nothing is
// left beside it: the caller tries again later.
func (s *Spool) Quarantine(e Entry, r Reason) (string, error) {
	if r.File == "" {
		r.File = e.Orig
	}
	if r.Key == "" {
		r.Key = e.Key
	}
	if r.At.IsZero() {
		r.At = s.now()
	}
	base := badBase(e.Orig)
	for i := 0; i < 10000; i++ {
		name := base + SuffixBad
		if i > 0 {
			name = base + "." + strconv.Itoa(i) + SuffixBad
		}
		bad := filepath.Join(s.o.Dir, name)
		if _, err := os.Lstat(bad); err == nil {
			continue
		}
		if r.Render != nil {
			r.Text = r.Render(name)
		}
		// Reserve the name by creating the reason file, complete, where
		// no other instance can have created it: two instances never
		// pick the same BAD name, and no reader sees a half-written reason.
		err := createExclusive(s.o.Dir, name+".txt", r.encode(), ReasonMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("quarantine %s: %w", e.Name, err)
		}
		if err := os.Rename(s.Path(e), bad); err != nil {
			os.Remove(bad + ".txt")
			if errors.Is(err, fs.ErrNotExist) {
				err = ErrGone
			}
			return "", fmt.Errorf("quarantine %s: %w", e.Name, err)
		}
		return name, nil
	}
	return "", fmt.Errorf("quarantine %s: too many BAD files named %s", e.Name, base)
}

// ReasonMode is the mode (on Unix) of the reason files Quarantine writes:
// read and write for spoolgate's account, read for the group. In a queue
// folder whose group is the queue writers' (setgid, as install makes it)
// the library system's people can so read why their file was refused. A
// reason quotes nothing they did not write themselves, but for the
// relay's replies: the recipients' addresses, and at most 60 bytes of a
// line of the file (never from a file that is not a regular one; see
// package message).
const ReasonMode os.FileMode = 0o640

// maxBadBase is the longest stem, in bytes, of a BAD name: with a
// counter and ".BAD.txt" it leaves ample room under the 255 bytes a name
// may have.
const maxBadBase = 160

// badBase is the stem of the BAD names of a file first named orig: orig
// without its extension, with each control character (and byte of invalid
// UTF-8) made "_", cut to maxBadBase bytes. So a name with a newline, or
// one too long to claim, is set aside under one that can be typed and that
// leaves room for the counter and ".BAD.txt"; the reason file keeps the
// original name, which Requeue uses.
func badBase(orig string) string {
	base := strings.TrimSuffix(orig, filepath.Ext(orig))
	if base == "" {
		base = orig
	}
	var b strings.Builder
	for i := 0; i < len(base); {
		r, n := utf8.DecodeRuneInString(base[i:])
		if b.Len()+n > maxBadBase {
			break
		}
		if isControl(r, n) {
			b.WriteByte('_')
		} else {
			b.WriteString(base[i : i+n])
		}
		i += n
	}
	return b.String()
}

// IsBadOf tells whether name is a BAD name that Quarantine gives a file
// first named orig: abc.BAD or abc.N.BAD for abc.tmp. (Only the reason
// file says for sure: abc.eml gets the same names.)
func IsBadOf(name, orig string) bool {
	rest, ok := strings.CutSuffix(name, SuffixBad)
	if !ok {
		return false
	}
	base := badBase(orig)
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

// RetryCommand is the command that puts the file named name (a BAD
// file's, or the name it had in the queue) back with Requeue, quoted for
// a command line when it needs it: the one instruction .BAD.txt files and
// the daily log give. Control characters in name are escaped (Escape), so
// that no name can forge a line of the text it is written into; such a
// name cannot be typed anyway: give the BAD file's name (see badBase).
func RetryCommand(name string) string {
	name = Escape(name)
	if name == "" || strings.ContainsAny(name, " \t\"'&;|<>()$`\\*?[]#~%!") {
		name = `"` + strings.ReplaceAll(name, `"`, `\"`) + `"`
	}
	return "spoolgate retry " + name
}

// Typable tells whether name, a queue file's original name, is best given
// to RetryCommand as it is: its BAD names keep it whole (no control
// characters, not too long; see badBase). Otherwise give the BAD file's
// name.
func Typable(name string) bool {
	return name != "" && badBase(name)+filepath.Ext(name) == name
}

// claimable tells whether a file named orig can take a claimed and a
// deferred name (see Claim), with a key as long as this instance's keys
// are at most.
func (s *Spool) claimable(orig string) bool {
	return !nameTooLong(orig + "." + s.o.Instance + "-" + strings.Repeat("x", 24) + SuffixDeferred)
}

// ReasonPath is the path of the reason file of the BAD file named bad.
func (s *Spool) ReasonPath(bad string) string {
	return filepath.Join(s.o.Dir, bad+".txt")
}

// Errors of Requeue.
var (
	// ErrNoName: no name the patterns take could be made for the file.
	ErrNoName = errors.New("no name for it matches the patterns")
	// ErrNotBad: the name given is not a BAD file's.
	ErrNotBad = errors.New("not a .BAD file")
)

// Requeue puts the BAD file named bad back in the queue and removes its
// reason file. A file this instance had claimed (its reason names a key of
// this instance) goes back as deferred under that key, so its history
// stays with it: recipients who got it are not sent it again. Any other
// goes back as a new waiting file under its original name, or one like it
// when that is taken (abc.retry-1.tmp), or a name made for the patterns
// when the original name is unknown or no pattern takes it any longer
// (ErrNoName when none can be made). It never replaces a file. It returns
// the file as it now is.
func (s *Spool) Requeue(bad string) (Entry, error) {
	if st, _, _ := s.Classify(bad); st != Bad || strings.ContainsAny(bad, `/\`) {
		return Entry{}, fmt.Errorf("requeue %s: %w", bad, ErrNotBad)
	}
	hasReason := true
	r, err := ReadReason(s.ReasonPath(bad))
	if errors.Is(err, fs.ErrNotExist) {
		hasReason, err = false, nil
	}
	if err != nil {
		return Entry{}, fmt.Errorf("requeue %s: %w", bad, err)
	}
	orig := r.File
	if st, _, _ := s.Classify(orig); st != Waiting || strings.ContainsAny(orig, `/\`) || !s.claimable(orig) {
		// No reason file, a name the patterns no longer take, or one
		// too long to claim (then the BAD name's stem, which is short).
		if orig != "" && s.claimable(orig) {
			orig = s.NameFor(strings.TrimSuffix(orig, filepath.Ext(orig)), filepath.Ext(orig))
		} else if orig != "" {
			orig = s.NameFor(badBase(orig), filepath.Ext(orig))
		} else {
			orig = s.NameFor(strings.TrimSuffix(bad, SuffixBad), "")
		}
		if orig == "" {
			return Entry{}, fmt.Errorf("requeue %s: %w (%s)", bad, ErrNoName, strings.Join(s.o.Patterns, ", "))
		}
	}
	out := Entry{Orig: orig, State: Waiting}
	if r.Key != "" && Owner(r.Key) == s.o.Instance {
		out.Name, out.Key, out.State = orig+"."+r.Key+SuffixDeferred, r.Key, Deferred
		if st, o, k := s.Classify(out.Name); st != Deferred || o != orig || k != r.Key {
			return Entry{}, fmt.Errorf("requeue %s: cannot make a deferred name from %q and key %q", bad, orig, r.Key)
		}
	}

	// The reason file goes out of sight first (a name no one takes or
	// lists), so that no view sees it beside the requeued file, and comes
	// back if the file cannot move.
	var hidden string
	if hasReason {
		var b [6]byte
		_, _ = rand.Read(b[:])
		hidden = filepath.Join(s.o.Dir, "."+bad+".txt."+hex.EncodeToString(b[:])+".part")
		if err := os.Rename(s.ReasonPath(bad), hidden); err != nil {
			return Entry{}, fmt.Errorf("requeue %s: %w", bad, err)
		}
	}
	if out.State == Deferred {
		err = moveNoReplace(s.o.Dir, bad, out.Name)
	} else {
		out.Name, err = moveToFreeName(s.o.Dir, bad, orig)
	}
	if err != nil {
		if hidden != "" {
			os.Rename(hidden, s.ReasonPath(bad))
		}
		return Entry{}, fmt.Errorf("requeue %s: %w", bad, err)
	}
	if hidden != "" {
		os.Remove(hidden) // out of sight whatever happens
	}
	if fi, err := os.Lstat(filepath.Join(s.o.Dir, out.Name)); err == nil {
		out.Size, out.ModTime = fi.Size(), fi.ModTime()
	}
	return out, syncDir(s.o.Dir)
}

// moveToFreeName renames dir/from to dir/name, or, when that is taken, to
// name with a counter before its extension (abc.retry-1.tmp), never
// replacing a file. It returns the name it used.
func moveToFreeName(dir, from, name string) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < 1000; i++ {
		to := name
		if i > 0 {
			to = stem + ".retry-" + strconv.Itoa(i) + ext
		}
		err := moveNoReplace(dir, from, to)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return to, err
	}
	return "", fmt.Errorf("no free name like %s", name)
}

// moveNoReplace renames dir/from to dir/to, failing with an error wrapping
// fs.ErrExist if dir/to exists: a hard link and a removal, which never
// replaces a file the library system has just dropped. Where hard links
// are not supported it checks and renames.
func moveNoReplace(dir, from, to string) error {
	return renameNoReplace(filepath.Join(dir, from), filepath.Join(dir, to), to)
}

// renameNoReplace renames src to dst without replacing dst: a hard link
// and a removal, or, where hard links are not supported, a check and a
// rename. An existing dst is an error wrapping fs.ErrExist that names it
// as shown; a rename that fails (another volume) returns its error.
func renameNoReplace(src, dst, shown string) error {
	err := linkFile(src, dst)
	if err == nil {
		return os.Remove(src)
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: %w", shown, fs.ErrExist)
	}
	if _, serr := os.Lstat(src); serr != nil {
		return serr
	}
	if _, lerr := os.Lstat(dst); lerr == nil {
		return fmt.Errorf("%s: %w", shown, fs.ErrExist)
	}
	if err := renameNew(src, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", shown, fs.ErrExist)
		}
		return err
	}
	return nil
}

// entryHeap is a max-heap by age: its top is the newest entry, which is the
// one to drop when more than the limit are ready.
type entryHeap []Entry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	if !h[i].ModTime.Equal(h[j].ModTime) {
		return h[i].ModTime.After(h[j].ModTime)
	}
	return h[i].Name > h[j].Name
}
func (h entryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *entryHeap) Push(x any)   { *h = append(*h, x.(Entry)) }
func (h *entryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Enqueue writes data into the queue folder as a new waiting message file
// named by NameFor(stem, ext), atomically and never over an existing file
// (an error wrapping fs.ErrExist; ErrNoName when no pattern gives a name).
// It is for the files spoolgate writes itself: a test message, the daily
// log; they are readable by their owner and the group (mode 0640, on
// Unix), which is the queue folder's when it is setgid, so that the
// service reads what an administrator enqueued. It returns the name.
func (s *Spool) Enqueue(stem, ext string, data []byte) (string, error) {
	name := s.NameFor(stem, ext)
	if name == "" {
		return "", fmt.Errorf("enqueue %s: %w (%s)", stem+ext, ErrNoName, strings.Join(s.o.Patterns, ", "))
	}
	if err := createExclusive(s.o.Dir, name, data, 0o640); err != nil {
		return "", fmt.Errorf("enqueue %s: %w", name, err)
	}
	return name, nil
}

// Write puts data in the queue folder as the waiting message file name,
// a name NameFor gave, atomically (no reader sees it half-written), with
// Enqueue's mode. Unlike Enqueue it replaces a file of that name: it is for
// files whose names are planned and recorded before they are written (the
// morning's notices), which a recovery after a crash writes again with the
// same bytes. A name the patterns do not take as waiting is refused
// (ErrNoName): the file would never be sent.
func (s *Spool) Write(name string, data []byte) error {
	if st, _, _ := s.Classify(name); st != Waiting || strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("write %s: %w (%s)", name, ErrNoName, strings.Join(s.o.Patterns, ", "))
	}
	if err := WriteFile(s.o.Dir, name, data, 0o640); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// NameFor returns a name this spool takes as a waiting message file, for a
// file spoolgate writes itself (a test message, the daily log): stem plus
// ext when that matches a pattern, else stem put into the first pattern
// that gives such a name ("*.tmp" gives stem.tmp, "ILS_*" gives ILS_stem).
// It returns "" when no pattern does (only character classes, say, or
// names without a *).
func (s *Spool) NameFor(stem, ext string) string {
	ok := func(n string) bool {
		st, _, _ := s.Classify(n)
		return st == Waiting && !strings.ContainsAny(n, `/\`)
	}
	if ext != "" && ok(stem+ext) {
		return stem + ext
	}
	for _, p := range s.o.Patterns {
		if strings.ContainsAny(p, `[\`) || !strings.Contains(p, "*") {
			continue // a class, or a fixed name that would clash
		}
		n := strings.Replace(p, "*", stem, 1)
		n = strings.ReplaceAll(n, "*", "")
		n = strings.ReplaceAll(n, "?", "x")
		if ok(n) {
			return n
		}
	}
	return ""
}
