//go:build unix

package config

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A named pipe, or a link to /dev/zero, as the config or a file it names
// is a config error at once: nothing waits for a writer, nothing reads
// the endless device.
func TestLoad_FIFOAndDevZero(t *testing.T) {
	dir := spooltest.TempDir(t)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	symlink(t, "/dev/zero", zero)

	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, p := range []string{fifo, zero, "/dev/zero"} {
			errs := configErrors(t, func() error { _, err := Load(p); return err }())
			if len(errs) != 1 || errs[0].File != p || errs[0].Key != "" || !strings.Contains(errs[0].Want, "this is a") {
				t.Errorf("Load(%s): %v", p, errs)
			}
		}
		for _, key := range []string{"password_file", "ca_file"} {
			for _, p := range []string{fifo, zero} {
				text := strings.Replace(minimal, "host = smtp.example.org",
					"host = smtp.example.org\nsecurity = starttls\nusername = library\n"+key+" = "+p, 1)
				if key == "ca_file" {
					text = strings.Replace(text, "username = library\n", "", 1)
				}
				errs := loadErrors(t, text)
				if len(errs) != 1 || errs[0].Key != key || !strings.Contains(errs[0].Want, p+" is a") {
					t.Errorf("%s = %s: %v", key, p, errs)
				}
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Load still waits after 30 s")
	}
}
