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

// A lock file an admin's command creates as root, in a folder of the
// service's account, is the service's: the service can still lock it. A
// lock file root made where root owns the folder stays root's. (Run as
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
		if got := owner(path); got != tc.want {
			t.Errorf("%s: owner %d, want %d", path, got, tc.want)
		}
	}
}
