//go:build unix

package spool

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A named pipe of a reason file's name is refused at once, not waited on.
func TestReadReason_FIFO(t *testing.T) {
	path := filepath.Join(spooltest.TempDir(t), "x.BAD.txt")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadReason(path); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("a named pipe: %v, want ErrNotRegular", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadReason blocked on a named pipe")
	}
}
