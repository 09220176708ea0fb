//go:build unix

package check

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// A named pipe with no writer would make a plain open (and any read) wait
// for ever: the check must say what it is without opening it.
func TestOverdue_FIFO(t *testing.T) {
	cfg, loans := overdueConfig(t, "")
	if err := syscall.Mkfifo(loans, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan *Report, 1)
	go func() { done <- Run(t.Context(), cfg, Options{}) }()
	var r *Report
	select {
	case r = <-done:
	case <-time.After(waitLong):
		t.Fatal("the check waits on the FIFO")
	}
	wantOverdue(t, r, "LOANS", StatusFail, loans+" is a named pipe (FIFO)", "regular file")

	// Swapped for a FIFO after the first look: the open must not wait.
	opened := make(chan error, 1)
	go func() {
		f, err := openNoBlock(loans)
		if err != nil {
			opened <- err
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err == nil && notRegular(fi) == "" {
			err = errors.New("the FIFO looks like a regular file")
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		if err != nil {
			t.Errorf("openNoBlock on a FIFO without a writer: %v", err)
		}
	case <-time.After(waitLong):
		t.Fatal("openNoBlock waits for a writer of the FIFO")
	}
}
