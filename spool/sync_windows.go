//go:build windows

package spool

import (
	"errors"
	"syscall"
	"unicode/utf16"
)

// syncDir does nothing on Windows, where NTFS journals renames and a folder
// cannot be opened for sync.
func syncDir(string) error { return nil }

// ERROR_SHARING_VIOLATION and ERROR_LOCK_VIOLATION: a writer holds the file.
func isSharingViolation(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && (errno == 32 || errno == 33)
}

// nameTooLong tells whether name is longer than a name in a folder may be:
// 255 UTF-16 code units on NTFS (and 255 bytes on the Unix file system
// under wine, which the rename's own error then says).
func nameTooLong(name string) bool { return len(utf16.Encode([]rune(name))) > 255 }

// isNameTooLong tells whether err says a name was too long
// (ERROR_FILENAME_EXCED_RANGE).
func isNameTooLong(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && errno == 206
}
