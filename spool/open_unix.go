//go:build unix

package spool

import (
	"os"
	"syscall"
)

// openLockFile opens (creating it if missing) a lock file, without
// following a symbolic link and without waiting on a named pipe; checkLock
// then refuses anything but a regular file.
func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o660)
	if err != nil {
		return nil, err
	}
	return checkLock(f)
}

// deletePending tells whether the open file f has been deleted; on Unix
// its name is gone at once, which sameFile sees.
func deletePending(*os.File) bool { return false }
