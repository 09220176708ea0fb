//go:build !unix && !windows

package safefile

import (
	"io/fs"
	"os"
)

// openNoFollow opens path for reading. Without O_NOFOLLOW here, Open's
// Lstat before and SameFile after are what keep a link out.
func openNoFollow(path string) (*os.File, error) { return os.Open(path) }

// refusedKind is "": nothing here refuses at open.
func refusedKind(string, error) Kind { return "" }

// kindOfOpen is what the open file is, or "" for a regular file.
func kindOfOpen(_ *os.File, fi fs.FileInfo) Kind { return KindOf(fi.Mode()) }
