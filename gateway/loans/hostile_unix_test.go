//go:build unix

package loans

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/safefile"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A named pipe with no writer, and a link to /dev/zero, are refused at
// once: the first used to hang the morning scan, the second to take all
// the memory.
func TestReadFile_FIFOAndDevZero(t *testing.T) {
	dir := spooltest.TempDir(t)
	fifo := filepath.Join(dir, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.csv")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		kind safefile.Kind
	}{{fifo, safefile.Pipe}, {zero, safefile.Link}, {"/dev/zero", safefile.Device}} {
		done := make(chan error, 1)
		go func() {
			_, err := EachFile(c.path, Options{}, func(Loan) error { return nil })
			done <- err
		}()
		select {
		case err := <-done:
			var nr *safefile.NotRegularError
			if !errors.As(err, &nr) || nr.Kind != c.kind || !strings.Contains(err.Error(), "[overdue] loans") {
				t.Errorf("%s: %v, want %s refused naming [overdue] loans", c.path, err, c.kind)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still reading after 10 s", c.path)
		}
	}
}
