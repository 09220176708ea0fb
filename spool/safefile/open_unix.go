//go:build unix

package safefile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens path for reading without following a symbolic link
// (the open fails with ELOOP) and without waiting for a writer of a named
// pipe.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
}

// refusedKind is what path is when opening it failed because it is not a
// regular file (a link swapped in after the Lstat, a socket), or "".
func refusedKind(path string, err error) Kind {
	switch {
	case errors.Is(err, syscall.ELOOP), errors.Is(err, syscall.EMLINK):
		return Link
	case errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.EOPNOTSUPP):
		if fi, lerr := os.Lstat(path); lerr == nil {
			return KindOf(fi.Mode())
		}
		return Other
	}
	return ""
}

// kindOfOpen is what the open file f is, or "" for a regular file.
func kindOfOpen(_ *os.File, fi fs.FileInfo) Kind { return KindOf(fi.Mode()) }
