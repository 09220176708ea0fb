// Package spooltest has helpers for tests that use real folders. It exists
// only for tests.
package spooltest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TempDir is t.TempDir, but removes the folder with RemoveAll below, which
// works under wine too (os.RemoveAll fails there with "Invalid function").
// A failed test keeps its folder, and says where it is.
func TempDir(t testing.TB) string {
	t.Helper()
	name := strings.NewReplacer("/", "_", "\\", "_", ":", "_").Replace(t.Name())
	dir, err := os.MkdirTemp("", "spoolgate-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept the test folder %s", dir)
			return
		}
		if err := RemoveAll(dir); err != nil {
			t.Errorf("remove test folder: %v", err)
		}
	})
	return dir
}

// RemoveAll removes path and everything in it, one os.Remove at a time.
func RemoveAll(path string) error {
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := RemoveAll(filepath.Join(path, e.Name())); err != nil {
				return err
			}
		}
	}
	return os.Remove(path)
}
