//go:build unix

package overdue

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/safefile"
)

// A loans export that is a named pipe used to hang the morning scan, and
// one that is a link to /dev/zero to take all the memory and kill it.
// Both now end the scan at once with a LoansError that names the file
// and the key, and the next scan catches up.
func TestScan_HostileExport(t *testing.T) {
	for _, c := range []struct {
		name string
		make func(path string) error
		kind safefile.Kind
	}{
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o600) }, safefile.Pipe},
		{"dev-zero-link", func(p string) error { return os.Symlink("/dev/zero", p) }, safefile.Link},
		{"link-to-an-export", func(p string) error {
			real := filepath.Join(filepath.Dir(p), "real-loans.csv")
			if err := os.WriteFile(real, []byte("patron_id,email,title,due\n1,a@example.org,T,2026-11-28\n"), 0o644); err != nil {
				return err
			}
			return os.Symlink(real, p)
		}, safefile.Link},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t)
			if err := c.make(cfg.Overdue.Loans); err != nil {
				t.Fatal(err)
			}
			type outcome struct {
				res *Result
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				res, err := Scan(context.Background(), cfg, at(t, "2026-11-25"), Options{Log: testLog(t)})
				done <- outcome{res, err}
			}()
			var o outcome
			select {
			case o = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the scan still runs after 20 s")
			}
			var nr *safefile.NotRegularError
			if o.err != nil || o.res.LoansError == nil || !errors.As(o.res.LoansError, &nr) || nr.Kind != c.kind {
				t.Fatalf("Scan: %v, LoansError %v; want %s refused", o.err, o.res.LoansError, c.kind)
			}
			msg := o.res.LoansError.Error()
			if !strings.Contains(msg, cfg.Overdue.Loans) || !strings.Contains(msg, "[overdue] loans") || strings.Contains(msg, "real-loans") {
				t.Errorf("LoansError %q: want the file and the key named, and nothing of a link's target", msg)
			}
			if _, ok, _ := LastRun(cfg); ok {
				t.Error("a scan that could not read the export was recorded as complete")
			}
		})
	}
}

// notices.db and the notice files are created 0640 whatever the umask,
// and an older notices.db that others could read is closed to them.
func TestStore_FileMode(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	cfg := testConfig(t)
	writeLoans(t, cfg, loan("1", "B1", "Röda rummet", "2026-11-28"))
	scan(t, cfg, "2026-11-25", Options{})
	path := filepath.Join(cfg.Spool.Data, StateFile)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) && p != path {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != StateMode {
			t.Errorf("%s: mode %v, want %v", filepath.Base(p), fi.Mode().Perm(), StateMode)
		}
	}
	for _, f := range noticeFiles(t, cfg) {
		if fi, err := os.Stat(filepath.Join(cfg.Spool.Folder, f)); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("notice file %s: %v, %v; want 0640", f, fi.Mode(), err)
		}
	}
	if fi, err := os.Stat(cfg.Spool.Data); err != nil || fi.Mode().Perm()&0o007 != 0 {
		t.Errorf("the data folder: %v, %v; want nothing for others", fi.Mode(), err)
	}

	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	scan(t, cfg, "2026-11-26", Options{})
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != StateMode {
		t.Errorf("an older notices.db of mode 0666: now %v, %v; want %v", fi.Mode().Perm(), err, StateMode)
	}
}
