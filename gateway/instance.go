package gateway

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool"
)

// InstanceLock is the lock file that a running spoolgate of cfg's instance
// holds for as long as it relays, as the service or in the foreground:
// instance-NAME.lock in the data folder (spool.DataLockName). Run takes it.
func InstanceLock(cfg *config.Config) string {
	return filepath.Join(cfg.Spool.Data, spool.DataLockName(cfg.Spool.Instance))
}

// InstanceRunning says whether a spoolgate of cfg's instance is running,
// whoever started it: whether another process holds its instance lock
// (see InstanceLock). It takes the lock shared for a moment and releases
// it at once.
//
// A lock file that does not exist means that no spoolgate of the instance
// has run with this data folder, and it is not created here: made by an
// admin's status as root, it would lock the service's account out of its
// own lock.
func InstanceRunning(cfg *config.Config) (bool, error) {
	path := InstanceLock(cfg)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("the instance lock: %w", err)
	}
	unlock, err := spool.Lock(context.Background(), path, false, 0, nil)
	switch {
	case errors.Is(err, spool.ErrLocked):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("the instance lock: %w", err)
	}
	unlock()
	return false, nil
}
