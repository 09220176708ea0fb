package spool

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data to dir/name atomically: a temporary file in the
// same folder, named so that no spool takes it (".name.RANDOM.part"), is
// written, synced, closed and renamed; then the folder is synced. On any
// error the temporary file is removed and dir/name is untouched.
func WriteFile(dir, name string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(dir, name, data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename %s: %w", name, err)
	}
	return syncDir(dir)
}

// linkFile is how a file gets its new name without replacing one: a hard
// link (os.Link) on Unix; tests replace it to take the path of file systems
// without hard links. On Windows it is never tried (see move_windows.go):
// while the old name of a hard-linked file is being removed, no reader
// that does not share deletion (as Go's os.Open, Notepad) can open the
// new one, so a reason file just written could not be read for that
// instant; there renameNew, which never replaces, does the job in one step.
var linkFile = osLink

// createExclusive writes data to dir/name atomically, like WriteFile (perm
// as there), but
// fails with an error wrapping fs.ErrExist if dir/name exists: the file is
// hard-linked into place, which never replaces. Where hard links are not
// supported (some network shares, wine), an exclusively created lock file
// (".name.lock", which no spool takes) guards the check and the rename, so
// a reader still never sees the file half-written.
func createExclusive(dir, name string, data []byte, perm os.FileMode) error {
	path := filepath.Join(dir, name)
	tmp, err := writeTemp(dir, name, data, perm)
	if err != nil {
		return err
	}
	err = linkFile(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		os.Remove(tmp)
		if err == nil {
			err = syncDir(dir)
		}
		return err
	}
	defer os.Remove(tmp)
	lock := filepath.Join(dir, "."+name+".lock")
	l, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err // fs.ErrExist: another writer holds the name
	}
	l.Close()
	defer os.Remove(lock)
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("create %s: %w", name, fs.ErrExist)
	}
	if err := renameNew(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", name, err)
	}
	return syncDir(dir)
}

// writeTemp writes data to a new temporary file in dir, named so that no
// spool takes it (".name.RANDOM.part"), synced and closed. It returns the
// temporary file's path; on error nothing is left behind.
func writeTemp(dir, name string, data []byte, perm os.FileMode) (path string, err error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	tmp := filepath.Join(dir, "."+name+"."+hex.EncodeToString(b[:])+".part")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = giveToFolderOwner(f, tmp); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	if _, err = f.Write(data); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	if err = f.Sync(); err != nil {
		return "", fmt.Errorf("sync %s: %w", name, err)
	}
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("close %s: %w", name, err)
	}
	return tmp, nil
}
