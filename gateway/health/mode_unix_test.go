//go:build unix

package health

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// The health file names the relay's last refusal, which may quote an
// address: others may not read it, whatever the umask.
func TestTracker_FileMode(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	dir := spooltest.TempDir(t)
	tr := NewTracker(dir, "gw1", []string{"smtp"}, time.Now)
	if err := tr.Start(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, FileName("gw1")))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&^0o640 != 0 {
		t.Errorf("the health file's mode is %v, want at most 0640", fi.Mode().Perm())
	}
}
