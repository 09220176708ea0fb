//go:build unix

package check

import (
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
