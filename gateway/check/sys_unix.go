//go:build unix

package check

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The errors a failed connect can carry, by kind.
var (
	errRefused     = []error{syscall.ECONNREFUSED}
	errTimedOut    = []error{syscall.ETIMEDOUT}
	errUnreachable = []error{syscall.EHOSTUNREACH, syscall.ENETUNREACH}
)

// diskFree returns the bytes free for an unprivileged user on the disk of
// dir.
func diskFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil //nolint:unconvert // the field types differ between systems
}

// openNoBlock opens path for reading without waiting: a named pipe with
// no writer would make a plain open wait for one. The caller checks that
// what it opened is a regular file, where O_NONBLOCK changes nothing.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
