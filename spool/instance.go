package spool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spoolgate/spoolgate/spool/safefile"
)

// InstanceLockName is the name of the lock file that LockInstance holds in
// the queue folder for the instance named instance. It starts with a dot,
// so no spool takes or lists it.
func InstanceLockName(instance string) string {
	return ".spoolgate-instance-" + instance + ".lock"
}

// DataLockName is the name of the lock file that a running gateway of the
// instance named instance holds in its data folder for as long as it runs
// (as the service or in the foreground); whoever asks whether it runs
// probes that lock.
func DataLockName(instance string) string {
	return "instance-" + instance + ".lock"
}

// IsInstanceLock tells whether name is the name of an instance's lock file
// in the queue folder.
func IsInstanceLock(name string) bool {
	rest, ok := strings.CutPrefix(name, ".spoolgate-instance-")
	return ok && strings.HasSuffix(rest, ".lock")
}

// LockedError is LockInstance's error when another process holds the
// lock: it says who, as far as the holder wrote it down. It wraps
// ErrLocked.
type LockedError struct {
	Path  string // the lock file
	Host  string // the holder's host name; "" if unknown
	PID   int    // its process id; 0 if unknown
	About string // what it said about itself (a gateway: its data folder)
}

func (e *LockedError) Error() string {
	var who []string
	if e.PID > 0 {
		who = append(who, "process "+strconv.Itoa(e.PID))
	}
	if e.Host != "" {
		who = append(who, "on "+e.Host)
	}
	s := "lock " + e.Path + ": " + ErrLocked.Error()
	if len(who) > 0 {
		s += " (" + strings.Join(who, " ") + ")"
	}
	return s
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// instanceLock is the lock LockInstance took.
type instanceLock struct {
	path  string
	about string

	mu      sync.Mutex
	f       *os.File    // nil while lost (the folder was removed) and not yet taken again
	dir     os.FileInfo // the folder it was taken in
	missing time.Time   // when its file was first seen gone from that same folder
}

// lockGrace is how long the instance lock's file may be missing from the
// folder it was taken in before Scan takes the lock there again: the
// folder may be being removed, and a new lock file would keep that from
// finishing. In a new folder it is taken again at once.
const lockGrace = 30 * time.Second

// LockInstance takes this instance's lock in the queue folder (a system
// file lock on InstanceLockName), so that no other process of the same
// instance name works on this folder while this one does: each would take
// the other's claimed files for a crashed run's and send them again. It
// does not wait: when another process holds the lock, the error is a
// *LockedError that says which (about is what this one tells such a
// process about itself; the gateway gives its data folder).
//
// While the lock is held, Scan checks that its file is still in the
// folder. Once it is gone, Scan lets go of it at once (an open file would
// keep the removal of the folder from finishing), and takes the lock again
// as soon as the folder is back as a new folder, or after lockGrace in the
// same folder; it fails with LockInstance's error when another process has
// taken the lock meanwhile. On Windows the lock file is opened so that it
// does not keep the folder from being removed.
//
// unlock removes the lock file and releases the lock. A process that ends
// without unlocking releases the lock with it and leaves the file behind,
// which is harmless.
func (s *Spool) LockInstance(about string) (unlock func(), err error) {
	path := filepath.Join(s.o.Dir, InstanceLockName(s.o.Instance))
	m, _ := inProcess.LoadOrStore(path, new(sync.RWMutex))
	mu := m.(*sync.RWMutex)
	if !mu.TryLock() {
		return nil, readHolder(path)
	}
	f, err := lockNoted(path, about)
	if err != nil {
		mu.Unlock()
		return nil, err
	}
	l := &instanceLock{path: path, about: about, f: f}
	l.dir, _ = os.Stat(s.o.Dir)
	s.lockMu.Lock()
	s.lock = l
	s.lockMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.lockMu.Lock()
			if s.lock == l {
				s.lock = nil
			}
			s.lockMu.Unlock()
			l.mu.Lock()
			if l.f != nil {
				// Removed while still locked: a process that opened the
				// file meanwhile finds it gone once it has the lock, and
				// opens the path again (see lockNoted).
				if sameFile(l.f, path) {
					os.Remove(path)
				}
				unlockFile(l.f)
				l.f.Close()
				l.f = nil
			}
			l.mu.Unlock()
			mu.Unlock()
		})
	}, nil
}

// keepLock checks the instance lock at a scan of the folder dir (nil when
// the folder cannot be read): it lets go of a lock whose file is gone, and
// takes it again as LockInstance says. It does nothing when no instance
// lock is held.
func (s *Spool) keepLock(dir os.FileInfo) error {
	s.lockMu.Lock()
	l := s.lock
	s.lockMu.Unlock()
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil && sameFile(l.f, l.path) {
		return nil
	}
	if l.f != nil {
		unlockFile(l.f)
		l.f.Close()
		l.f = nil
	}
	if dir == nil {
		return nil // the folder is gone: take the lock again once it is back
	}
	if l.dir != nil && os.SameFile(l.dir, dir) {
		now := s.now()
		if l.missing.IsZero() {
			l.missing = now
		}
		if now.Sub(l.missing) < lockGrace {
			return nil
		}
	}
	f, err := lockNoted(l.path, l.about)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // the folder went again since it was opened
	}
	if err != nil {
		return fmt.Errorf("the queue folder's instance lock was removed, and it cannot be taken again: %w", err)
	}
	l.f, l.dir, l.missing = f, dir, time.Time{}
	return nil
}

// lockNoted takes the system's exclusive lock on the file path (creating
// it) without waiting and writes the holder's note into it: its host,
// process id and about. When the lock is held it returns a *LockedError
// with the holder's note.
func lockNoted(path, about string) (*os.File, error) {
	for tries := 0; ; tries++ {
		f, err := openLockFile(path)
		if err != nil {
			return nil, fmt.Errorf("open the lock file: %w", err)
		}
		if err := tryLock(f, true); err != nil {
			f.Close()
			if errors.Is(err, ErrLocked) {
				return nil, readHolder(path)
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The last holder removes the file as it unlocks; if that happened
		// after it was opened here, the lock is on a file no one else
		// sees: open the path again.
		if sameFile(f, path) {
			if err := writeHolder(f, about); err != nil {
				unlockFile(f)
				f.Close()
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			return f, nil
		}
		unlockFile(f)
		f.Close()
		if tries == 10 {
			return nil, fmt.Errorf("lock %s: the file keeps being replaced", path)
		}
	}
}

// The holder's note starts at offset 1: on Windows the lock covers byte 0,
// which no other process may read while it is held.
const holderOffset = 1

func writeHolder(f *os.File, about string) error {
	host, _ := os.Hostname()
	note := fmt.Sprintf("\npid: %d\nhost: %s\nabout: %s\n", os.Getpid(), Escape(host), Escape(about))
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(note), holderOffset-1)
	return err
}

// readHolder returns a *LockedError with what the holder of the lock file
// path wrote down, as far as it can be read.
func readHolder(path string) *LockedError {
	e := &LockedError{Path: path}
	f, _, err := safefile.Open(path)
	if err != nil {
		return e
	}
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, holderOffset, 4<<10))
	if err != nil {
		return e
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		v = unEscape(strings.TrimSpace(v))
		switch k {
		case "pid":
			e.PID, _ = strconv.Atoi(v)
		case "host":
			e.Host = v
		case "about":
			e.About = v
		}
	}
	return e
}

// sameFile tells whether the open file f is still the one at path.
func sameFile(f *os.File, path string) bool {
	if deletePending(f) {
		return false
	}
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}
