//go:build unix

package spool

import (
	"os"
	"path/filepath"
	"syscall"
)

// openLockFile opens (creating it if missing) a lock file, without
// following a symbolic link and without waiting on a named pipe; checkLock
// then refuses anything but a regular file.
func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o660)
	if err != nil {
		return nil, err
	}
	if f, err = checkLock(f); err != nil {
		return nil, err
	}
	if err := giveToFolderOwner(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// giveToFolderOwner gives a lock file that root owns, in a folder that
// belongs to another account (the service's: the data folder, the queue
// folder), to that folder's owner and group. An admin's command run as
// root (spoolgate overdue, console user add) would otherwise leave a lock
// file, mode 0640 root:root, that the service can no longer open for
// writing: its next morning scan or account change would fail to lock.
func giveToFolderOwner(f *os.File, path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	var st, dir syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	if st.Uid != 0 {
		return nil
	}
	if err := syscall.Stat(filepath.Dir(path), &dir); err != nil {
		return err
	}
	if dir.Uid == 0 {
		return nil
	}
	return f.Chown(int(dir.Uid), int(dir.Gid))
}

// deletePending tells whether the open file f has been deleted; on Unix
// its name is gone at once, which sameFile sees.
func deletePending(*os.File) bool { return false }
