package overdue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// lockWait is how long a scan waits for the state lock before it gives
// up with an error. Another scan holds it shared only while it writes one
// batch of notice files, and exclusively only while it recovers.
const lockWait = 5 * time.Minute

// errLocked is what tryLock returns when another holds a conflicting lock.
var errLocked = errors.New("locked")

// inProcess holds a reader-writer lock for each lock file this process
// uses, so that scans in one process exclude each other even where the
// system's file locks do not (wine's locks between two handles of one
// process).
var inProcess sync.Map // path -> *sync.RWMutex

// lockState takes the state lock, path (notices.db.lock beside the
// database), and returns the function that releases it. Each scan holds it
// shared from recording a batch's keys and outbox rows until the batch's
// files are in the queue and its rows are gone; a scan holds it
// exclusively while it recovers the outbox. So recovery sees only the rows
// of a scan that died (its lock went with its process), never those of a
// scan still writing its files, which it would write a second time.
//
// The lock is the system's (flock on Unix, LockFileEx on Windows), on a
// file that is created once and never removed: it is released when the
// holder's process ends, however it ends. waiting, if not nil, is called
// once if the lock is not free at once, so that a long wait is explained.
func lockState(ctx context.Context, path string, exclusive bool, waiting func()) (unlock func(), err error) {
	m, _ := inProcess.LoadOrStore(path, new(sync.RWMutex))
	mu := m.(*sync.RWMutex)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o660)
	if err != nil {
		return nil, fmt.Errorf("overdue: open the state lock: %w", err)
	}
	try, release := mu.TryRLock, mu.RUnlock
	if exclusive {
		try, release = mu.TryLock, mu.Unlock
	}
	deadline := time.Now().Add(lockWait)
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
			if !errors.Is(err, errLocked) {
				f.Close()
				return nil, fmt.Errorf("overdue: lock %s: %w", path, err)
			}
		}
		if !told && waiting != nil {
			waiting()
			told = true
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("overdue: another overdue scan (the service's or a spoolgate overdue run) held %s for %s; "+
				"wait until it has finished, or stop it, and run the scan again", path, lockWait)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
		}
	}
}
