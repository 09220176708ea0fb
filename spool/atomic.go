package spool

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile writes data to dir/name atomically: a temporary file in the
// same folder, named so that no spool takes it (".name.RANDOM.part"), is
// written, synced, closed and renamed; then the folder is synced. On any
// error the temporary file is removed and dir/name is untouched.
func WriteFile(dir, name string, data []byte, perm os.FileMode) (err error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	tmp := filepath.Join(dir, "."+name+"."+hex.EncodeToString(b[:])+".part")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	if err = os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("rename %s: %w", name, err)
	}
	return syncDir(dir)
}
