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

// giveToFolderOwner gives f (at path), a file that root owns in a folder
// that belongs to another account (the service's: the data folder, the
// queue folder), to that folder's owner and group. An admin's command run
// as root (spoolgate overdue, oauth login, console user add, test) would
// otherwise leave files, mode 0600 or 0640 root:root, that the service can
// no longer read or open for writing: its next morning scan, token
// refresh or account change would fail. Off root, or in root's folders
// (/etc/spoolgate), it changes nothing.
func giveToFolderOwner(f *os.File, path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	uid, gid, ok := folderOwner(st.Uid, path)
	if !ok {
		return nil
	}
	return f.Chown(uid, gid)
}

// GiveToFolderOwner is giveToFolderOwner by path, for a file others
// create (a SQLite database, a log file) or a folder: a regular file or a
// folder only, never through a link.
func GiveToFolderOwner(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() && !fi.IsDir() {
		return err
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		return nil
	}
	uid, gid, ok := folderOwner(st.Uid, path)
	if !ok {
		return nil
	}
	return os.Lchown(path, uid, gid)
}

// folderOwner returns the owner of path's folder when a file of path that
// root owns (fileUID 0) is to be given to it.
func folderOwner(fileUID uint32, path string) (uid, gid int, ok bool) {
	if fileUID != 0 {
		return 0, 0, false
	}
	var dir syscall.Stat_t
	if err := syscall.Stat(filepath.Dir(path), &dir); err != nil || dir.Uid == 0 {
		return 0, 0, false
	}
	return int(dir.Uid), int(dir.Gid), true
}

// deletePending tells whether the open file f has been deleted; on Unix
// its name is gone at once, which sameFile sees.
func deletePending(*os.File) bool { return false }
