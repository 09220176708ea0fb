//go:build unix

package accounts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// narrow takes from the open accounts file f the permissions FileMode
// does not give; it does nothing where this account may not (it does not
// own the file).
func narrow(f *os.File, fi fs.FileInfo) {
	if perm := fi.Mode().Perm(); perm&^FileMode != 0 {
		_ = f.Chmod(perm & FileMode)
	}
}

// chownLike gives the new file f the owner and group of old, or, for a
// new file, of the folder dir, when this process runs as root: the
// console runs as the service account, which must still read the file an
// administrator changed with sudo.
func chownLike(f *os.File, old fs.FileInfo, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	ref := old
	if ref == nil {
		fi, err := os.Stat(dir)
		if err != nil {
			return err
		}
		ref = fi
	}
	st, ok := ref.Sys().(*syscall.Stat_t)
	if !ok || (st.Uid == 0 && st.Gid == 0) {
		return nil
	}
	if err := f.Chown(int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("give it to user %d, group %d: %w", st.Uid, st.Gid, err)
	}
	return nil
}

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
