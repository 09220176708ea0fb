//go:build !windows

package spool

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync folder: %w", err)
	}
	return nil
}

func isSharingViolation(error) bool { return false }

// nameTooLong tells whether name is longer than a name in a folder may be:
// 255 bytes on the file systems Unix uses.
func nameTooLong(name string) bool { return len(name) > 255 }

// isNameTooLong tells whether err says a name was too long.
func isNameTooLong(err error) bool { return errors.Is(err, syscall.ENAMETOOLONG) }
