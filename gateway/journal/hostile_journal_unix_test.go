//go:build unix

package journal

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// The journal names patrons: its file, and the -wal and -shm that SQLite
// makes beside it with the database's mode, are never readable by others,
// whatever the umask; an older journal's 0644 is narrowed when it opens.
func TestJournal_FileModes(t *testing.T) {
	f := newFixture(t, options{})
	sent(t, f.j, "k1")
	check := func(when string) {
		t.Helper()
		for _, sfx := range []string{"", "-wal", "-shm"} {
			fi, err := os.Stat(f.path + sfx)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if p := fi.Mode().Perm(); p&^FileMode != 0 {
				t.Errorf("%s: journal.db%s has mode %v, want at most %v", when, sfx, p, FileMode)
			}
		}
	}
	check("a new journal")

	old := filepath.Join(spooltest.TempDir(t), "journal.db")
	j, err := Open(old, nil)
	if err != nil {
		t.Fatal(err)
	}
	sent(t, j, "k1")
	for _, sfx := range []string{"", "-wal", "-shm"} {
		if err := os.Chmod(old+sfx, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	for _, sfx := range []string{"-wal", "-shm"} {
		os.WriteFile(old+sfx, nil, 0o644) // as a crash leaves them
		os.Chmod(old+sfx, 0o644)
	}
	j, err = Open(old, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	f.path = old
	check("an older journal opened again")
}
