//go:build unix

package check

import (
	"os"
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

}

// A link as the export, even to /dev/zero, is refused at once, as the
// scan refuses it, with the verdict to name the file itself.
func TestOverdue_Link(t *testing.T) {
	cfg, loans := overdueConfig(t, "")
	if err := os.Symlink("/dev/zero", loans); err != nil {
		t.Fatal(err)
	}
	done := make(chan *Report, 1)
	go func() { done <- Run(t.Context(), cfg, Options{}) }()
	var r *Report
	select {
	case r = <-done:
	case <-time.After(waitLong):
		t.Fatal("the check reads the link")
	}
	wantOverdue(t, r, "LOANS", StatusFail, loans+" is a symbolic link, not a regular file", "the path of the export file itself")
}
