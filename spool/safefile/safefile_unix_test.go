//go:build unix

package safefile

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
	"time"
)

func TestOpen_RefusesWhatIsNotARegularFile(t *testing.T) {
	dir := spooltest.TempDir(t)
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("To: a@example.org\n\npassword"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.eml")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.eml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.eml")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "x.eml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.eml")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	cases := []struct {
		path string
		want Kind
	}{
		{link, Link}, {zero, Link}, {dangling, Link}, {fifo, Pipe}, {sock, Socket}, {"/dev/null", Device},
	}
	for _, c := range cases {
		done := make(chan error, 1)
		go func() { _, err := ReadFile(c.path, 1<<20); done <- err }()
		select {
		case err := <-done:
			var nr *NotRegularError
			if !errors.As(err, &nr) || nr.Kind != c.want {
				t.Errorf("ReadFile(%s): %v, want %q", filepath.Base(c.path), err, c.want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("ReadFile(%s) blocked", filepath.Base(c.path))
		}
	}
}
