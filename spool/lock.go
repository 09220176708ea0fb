package spool

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/spoolgate/spoolgate/spool/safefile"
)

// ErrLocked is what Lock's error wraps when another holds a conflicting
// lock for longer than Lock was told to wait.
var ErrLocked = errors.New("held by another process")

// inProcess holds a reader-writer lock for each lock file this process
// uses, so that holders in one process exclude each other even where the
// system's file locks do not (wine's, between two handles of one process).
var inProcess sync.Map // path -> *sync.RWMutex

// Lock takes a system file lock on path (flock on Unix, LockFileEx on
// Windows), shared or exclusive, and returns the function that releases
// it. The file is created if missing and never removed: removing a lock
// file races with the next holder. The lock goes with the process however
// the process ends, so a crash never leaves it held.
//
// If the lock is taken, Lock tries again every few tens of milliseconds
// for up to wait (zero: it does not wait), calling waiting (if not nil)
// once when it starts to wait; then it fails with an error wrapping
// ErrLocked. It stops early, with ctx's error, when ctx ends.
func Lock(ctx context.Context, path string, exclusive bool, wait time.Duration, waiting func()) (unlock func(), err error) {
	m, _ := inProcess.LoadOrStore(path, new(sync.RWMutex))
	mu := m.(*sync.RWMutex)
	try, release := mu.TryRLock, mu.RUnlock
	if exclusive {
		try, release = mu.TryLock, mu.Unlock
	}
	f, err := openLockFile(path)
	if err != nil {
		return nil, fmt.Errorf("open the lock file: %w", err)
	}
	deadline := time.Now().Add(wait)
	told := false
	for {
		if try() {
			err := tryLock(f, exclusive)
			if err == nil {
				return func() {
					unlockFile(f)
					f.Close()
					release()
				}, nil
			}
			release()
			if !errors.Is(err, ErrLocked) {
				f.Close()
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
		}
		if !time.Now().Before(deadline) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ErrLocked)
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}

// checkLock returns the lock file f if it is a regular file; anything else
// someone put there (a named pipe, a socket, a link on Windows) is closed
// and refused with a *safefile.NotRegularError, so no lock is taken on it
// and nothing is written into it.
func checkLock(f *os.File) (*os.File, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if k := safefile.KindOf(fi.Mode()); k != "" {
		f.Close()
		return nil, &safefile.NotRegularError{Path: f.Name(), Kind: k}
	}
	return f, nil
}
