//go:build unix

package spool

import (
	"os"
	"syscall"
)

// openNoFollow opens path for reading without following a symbolic link
// (the open fails) and without waiting for a writer of a named pipe.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// openLockFile opens (creating it if missing) a lock file.
func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o660)
}

// deletePending tells whether the open file f has been deleted; on Unix
// its name is gone at once, which sameFile sees.
func deletePending(*os.File) bool { return false }
