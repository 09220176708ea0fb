//go:build windows

package check

import (
	"golang.org/x/sys/windows"
)

// The errors a failed connect can carry, by kind.
var (
	errRefused     = []error{windows.WSAECONNREFUSED}
	errTimedOut    = []error{windows.WSAETIMEDOUT}
	errUnreachable = []error{windows.WSAEHOSTUNREACH, windows.WSAENETUNREACH}
)

// diskFree returns the bytes free for the calling user on the disk of dir.
func diskFree(dir string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var free, total, totalFree uint64
	if err := windows.GetDiskFreeSpaceEx(p, &free, &total, &totalFree); err != nil {
		return 0, err
	}
	return free, nil
}
