// Package safefile opens and reads files that someone else may have put
// in place: queue entries and their reason files (the queue folder is
// written by another account), the loans export, the config and the
// secret files it names.
//
// Open never follows a symbolic link (nor, on Windows, a junction or any
// other reparse point), never waits (a named pipe with no writer does not
// block it), and hands back only a regular file: a link, a pipe, a socket,
// a device or a folder is refused with a *NotRegularError that names what
// it is and nothing of what it points to or holds. ReadFile reads at most
// a given number of bytes, measured on the open file, never on the name.
// Neither follows a link in the last element of the path; folders above
// it are the caller's to trust.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is wrapped by a *NotRegularError.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by a *TooLargeError.
var ErrTooLarge = errors.New("file too large")

// NotRegularError: the file at Path is not a regular file but Kind.
type NotRegularError struct {
	Path string
	Kind Kind
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.Kind)
}

func (e *NotRegularError) Unwrap() error { return ErrNotRegular }

// TooLargeError: the file at Path holds more than Max bytes (Size, when
// known: a file that grows while it is read has Size -1).
type TooLargeError struct {
	Path      string
	Size, Max int64
}

func (e *TooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("%s grew past %d bytes while it was read", e.Path, e.Max)
	}
	return fmt.Sprintf("%s is %d bytes, more than %d", e.Path, e.Size, e.Max)
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// Kind is what a file that is not a regular file is.
type Kind string

// The kinds of file Open refuses.
const (
	Link    Kind = "a symbolic link"
	Reparse Kind = "a link or junction (reparse point)"
	Pipe    Kind = "a named pipe (FIFO)"
	Socket  Kind = "a socket"
	Device  Kind = "a device"
	Folder  Kind = "a folder"
	Other   Kind = "a special file"
)

// KindOf is what mode describes, or "" for a regular file.
func KindOf(mode fs.FileMode) Kind {
	switch {
	case mode.IsRegular():
		return ""
	case mode&fs.ModeSymlink != 0:
		return Link
	case mode&fs.ModeNamedPipe != 0:
		return Pipe
	case mode&fs.ModeSocket != 0:
		return Socket
	case mode&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return Device
	case mode.IsDir():
		return Folder
	case mode&fs.ModeIrregular != 0:
		return Reparse
	}
	return Other
}

// Open opens path for reading if, and only if, it is a regular file, and
// returns it with its FileInfo, taken from the open file. The name is
// looked at first (Lstat) so that nothing but a regular file is ever
// opened (opening a device can have effects of its own), then opened
// without following a link and without blocking, and the open file is
// checked again and compared with what the name showed, so a swap between
// the two is refused too.
func Open(path string) (*os.File, fs.FileInfo, error) {
	before, err := os.Lstat(path)
	if err != nil {
		return nil, nil, err
	}
	if k := KindOf(before.Mode()); k != "" {
		return nil, nil, &NotRegularError{Path: path, Kind: k}
	}
	f, err := openNoFollow(path)
	if err != nil {
		if k := refusedKind(path, err); k != "" {
			return nil, nil, &NotRegularError{Path: path, Kind: k}
		}
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if k := kindOfOpen(f, fi); k != "" {
		f.Close()
		return nil, nil, &NotRegularError{Path: path, Kind: k}
	}
	if !os.SameFile(before, fi) {
		f.Close()
		return nil, nil, fmt.Errorf("%s was replaced while it was opened: %w", path, fs.ErrNotExist)
	}
	return f, fi, nil
}

// ReadFile reads the regular file at path (see Open), at most max bytes: a
// larger file is refused with a *TooLargeError before anything is read,
// and one that grows past max while it is read is refused too.
func ReadFile(path string, max int64) ([]byte, error) {
	f, fi, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > max {
		return nil, &TooLargeError{Path: path, Size: fi.Size(), Max: max}
	}
	// Like os.ReadFile, sized from the open file; the limit holds even if
	// the file grows.
	r := io.LimitReader(f, max+1)
	b := make([]byte, 0, fi.Size()+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > max {
			return nil, &TooLargeError{Path: path, Size: -1, Max: max}
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
