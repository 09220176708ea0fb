//go:build unix

package inspect

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// Reason files the queue writer replaced with a named pipe, a link to
// /dev/zero, a link to a secret or a socket: the views of the queue
// (queue, retry, test --wait) return promptly, show those .BAD files
// without a reason, and read nothing through them.
func TestHostile_ReasonFilesNotRegular(t *testing.T) {
	cfg := testConfig(t, nil)
	q := cfg.Spool.Folder
	secret := filepath.Join(spooltest.TempDir(t), "secret")
	if err := os.WriteFile(secret, []byte("-- spoolgate --\r\nFile: fifo.eml\r\nKey: hunter2-1\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"fifo.BAD", "zero.BAD", "secret.BAD", "sock.BAD"} {
		if err := os.WriteFile(filepath.Join(q, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(q, "fifo.BAD.txt"), 0o666); err != nil {
		t.Skip("no named pipes here:", err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(q, "zero.BAD.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(q, "secret.BAD.txt")); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(q, "sock.BAD.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	done := make(chan error, 1)
	go func() {
		list, err := List(cfg, 0)
		if err == nil {
			if len(list.Bad) != 4 {
				t.Errorf("List shows %d .BAD files, want 4", len(list.Bad))
			}
			for _, f := range list.Bad {
				if f.Reason != nil {
					t.Errorf("%s: a reason was read through %s.txt: %+v", f.Name, f.Name, f.Reason)
				}
			}
		}
		if err == nil {
			for _, orig := range []string{"fifo.eml", "zero.eml", "secret.eml", "sock.eml"} {
				f, lerr := Locate(cfg, orig)
				if lerr != nil {
					err = lerr
					break
				}
				if f == nil || f.Reason != nil {
					t.Errorf("Locate(%s) = %+v", orig, f)
				}
			}
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the queue views blocked on a reason file that is not a regular file")
	}
}
