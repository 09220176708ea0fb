package safefile

import (
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// openNoFollow opens path for reading without following a symbolic link
// or junction: it opens the reparse point itself, which kindOfOpen then
// refuses. Others may still write, rename and delete the file while it is
// open, as on Unix.
func openNoFollow(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	share := uint32(windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE)
	h, err := windows.CreateFile(p, windows.GENERIC_READ, share, nil, windows.OPEN_EXISTING,
		windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// refusedKind is "": on Windows a reparse point opens, and kindOfOpen
// tells what it is.
func refusedKind(string, error) Kind { return "" }

// kindOfOpen is what the open file f is, or "" for a regular file on a
// disk: a reparse point (a symbolic link, a junction, a cloud placeholder)
// and anything whose handle is not a disk file (a device such as NUL or
// COM1, a pipe) are refused.
func kindOfOpen(f *os.File, fi fs.FileInfo) Kind {
	if k := KindOf(fi.Mode()); k != "" {
		return k
	}
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &info); err == nil &&
		info.FileAttributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		return Reparse
	}
	if t, err := windows.GetFileType(windows.Handle(f.Fd())); err == nil && t != windows.FILE_TYPE_DISK {
		if t == windows.FILE_TYPE_PIPE {
			return Pipe
		}
		return Device
	}
	return ""
}
