//go:build unix

package spool

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A lock file, a file written atomically and a folder an admin's command
// creates as root, in a folder of the service's account, are the
// service's: the service can still lock, read and write them. What root
// makes where root owns the folder stays root's. (Run as
// root, as .ci/run runs the tests; as another account there is nothing
// to give, and the test checks the file stays that account's.)
func TestLock_RootGivesLockToFolderOwner(t *testing.T) {
	base := spooltest.TempDir(t)
	data := filepath.Join(base, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	const svc = 65534 // nobody, as the service's account
	root := os.Geteuid() == 0
	if root {
		if err := os.Chown(data, svc, svc); err != nil {
			t.Fatal(err)
		}
	}
	owner := func(p string) uint32 {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			t.Fatal(err)
		}
		return st.Uid
	}
	for _, tc := range []struct {
		dir  string
		want uint32
	}{{data, svc}, {base, 0}} {
		if !root {
			tc.want = uint32(os.Geteuid())
		}
		path := filepath.Join(tc.dir, "x.lock")
		unlock, err := Lock(context.Background(), path, true, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		unlock()
		// The atomic writer (a token file, the daily log's state), and a
		// folder or file another package made (the log folder, a database).
		if err := WriteFile(tc.dir, "state", []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(tc.dir, "log")
		if err := os.Mkdir(sub, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := GiveToFolderOwner(sub); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, filepath.Join(tc.dir, "state"), sub} {
			if got := owner(p); got != tc.want {
				t.Errorf("%s: owner %d, want %d", p, got, tc.want)
			}
		}
	}
}
