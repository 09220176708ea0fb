//go:build windows

package spool

import (
	"errors"
	"syscall"
)

// syncDir does nothing on Windows, where NTFS journals renames and a folder
// cannot be opened for sync.
func syncDir(string) error { return nil }

// ERROR_SHARING_VIOLATION and ERROR_LOCK_VIOLATION: a writer holds the file.
func isSharingViolation(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && (errno == 32 || errno == 33)
}
