package safefile

import (
	"errors"
	"testing"
)

// A file whose size says 0 but that reads on (as /proc files do, or a file
// that grows while it is read) stops at the limit.
func TestReadFile_MoreThanItsSize(t *testing.T) {
	_, err := ReadFile("/proc/self/maps", 16)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != -1 || tl.Max != 16 {
		t.Fatalf("ReadFile(/proc/self/maps, 16) = %v, want it to grow past the limit", err)
	}
	b, err := ReadFile("/proc/self/maps", 1<<20)
	if err != nil || len(b) == 0 {
		t.Fatalf("ReadFile(/proc/self/maps, 1 MiB) = %d bytes, %v", len(b), err)
	}
}
