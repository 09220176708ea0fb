package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNoParent is what MakeFolder's and CheckParent's error wraps when the
// folder a missing folder would be created in does not exist either.
var ErrNoParent = errors.New("a missing folder is created only inside one that exists")

// MakeFolder creates the folder path if it is missing, but only inside a
// folder that exists (see CheckParent): a queue folder on a share that is
// not mounted must stop spoolgate, not be made afresh on the local disk,
// where the library system never writes.
func MakeFolder(path string, perm os.FileMode) error {
	if err := CheckParent(path); err != nil {
		return err
	}
	err := os.Mkdir(path, perm)
	if errors.Is(err, fs.ErrExist) {
		if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
			return nil // made meanwhile
		}
	}
	if err != nil {
		return fmt.Errorf("create the folder: %w", err)
	}
	return nil
}

// CheckParent returns nil when the folder path exists or the folder it
// would be created in does, and otherwise the error MakeFolder returns,
// which says why. It creates nothing.
func CheckParent(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("%s is a file, not a folder", path)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	parent := filepath.Dir(path)
	pi, err := os.Stat(parent)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the folder it would be created in, %s, does not exist (a network share that is not mounted, or a mistyped path?); %w", parent, ErrNoParent)
	case err != nil:
		return fmt.Errorf("the folder it would be created in, %s, cannot be read: %w", parent, err)
	case !pi.IsDir():
		return fmt.Errorf("the folder it would be created in, %s, is a file", parent)
	}
	return nil
}
