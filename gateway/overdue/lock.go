package overdue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spoolgate/spoolgate/spool"
)

// lockWait is how long a scan waits for the state lock before it gives
// up with an error. Another scan holds it shared only while it writes one
// batch of notice files, and exclusively only while it recovers.
const lockWait = 5 * time.Minute

// lockState takes the state lock, path (notices.db.lock beside the
// database), with spool.Lock, and returns the function that releases it.
// Each scan holds it shared from recording a batch's keys and outbox rows
// until the batch's files are in the queue and its rows are gone; a scan
// holds it exclusively while it recovers the outbox. So recovery sees only
// the rows of a scan that died (its lock went with its process), never
// those of a scan still writing its files, which it would write a second
// time. waiting, if not nil, is called once if the lock is not free at
// once, so that a long wait is explained.
func lockState(ctx context.Context, path string, exclusive bool, waiting func()) (unlock func(), err error) {
	unlock, err = spool.Lock(ctx, path, exclusive, lockWait, waiting)
	if errors.Is(err, spool.ErrLocked) {
		return nil, fmt.Errorf("overdue: another overdue scan (the service's or a spoolgate overdue run) held %s for %s; "+
			"wait until it has finished, or stop it, and run the scan again", path, lockWait)
	}
	if err != nil {
		return nil, fmt.Errorf("overdue: state lock: %w", err)
	}
	return unlock, nil
}
