package installer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// systemd-analyze verify parses the unit as systemd would, without a
// running systemd: it fails on a fatal setting (such as a program that
// cannot run) and warns on each line it does not take as written.
func TestUnit_SystemdAnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd); TestUnit_Golden checks the unit")
	}
	root := spooltest.TempDir(t)
	// Real folders and a real program, with names that need quoting and
	// escaping; verify looks the program up.
	odd := filepath.Join(root, "ILS pickup {x} 100%h $HOME;") // %h would be a specifier
	for _, d := range []string{"bin", "queue", "data", "outbox", "home"} {
		if err := os.MkdirAll(filepath.Join(odd, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(odd, "bin", "spoolgate")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, capture := range map[string]string{"relay": "", "capture": filepath.Join(odd, "outbox")} {
		cfg := unitConfig()
		cfg.Spool.Folder, cfg.Spool.Data, cfg.Capture = filepath.Join(odd, "queue"), filepath.Join(odd, "data"), capture
		unit, err := Unit(cfg, filepath.Join(odd, "spoolgate.ini"), exe, "spoolgate")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, name, ServiceName+".service")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(sa, "verify", path).CombinedOutput()
		if err != nil || strings.Contains(string(out), ServiceName) {
			t.Errorf("%s: systemd-analyze verify: %v\n%s\nthe unit:\n%s", name, err, out, unit)
		}
	}

	// The check has teeth: a program that is not there fails it.
	cfg := unitConfig()
	unit, err := Unit(cfg, unitConfigPath, filepath.Join(root, "missing", "spoolgate"), "spoolgate")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, ServiceName+".service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sa, "verify", path).CombinedOutput(); err == nil {
		t.Errorf("systemd-analyze verify passed a unit whose program is missing:\n%s", out)
	}
}
