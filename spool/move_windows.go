//go:build windows

package spool

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// errNoLink sends every move to renameNew: see linkFile.
var errNoLink = errors.New("hard links are not used on Windows")

func osLink(string, string) error { return errNoLink }

// renameNew renames src to dst in one step and never replaces dst: an
// existing dst fails with ERROR_ALREADY_EXISTS, which errors.Is counts as
// fs.ErrExist (MoveFileEx without MOVEFILE_REPLACE_EXISTING; os.Rename
// would replace).
func renameNew(src, dst string) error {
	from, err := windows.UTF16PtrFromString(src)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: src, New: dst, Err: err}
	}
	to, err := windows.UTF16PtrFromString(dst)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: src, New: dst, Err: err}
	}
	if err := windows.MoveFileEx(from, to, 0); err != nil {
		return &os.LinkError{Op: "rename", Old: src, New: dst, Err: err}
	}
	return nil
}
