package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// The packages (packaging/) take their systemd unit from install
// --print-unit, so that the unit has one definition (installer.Unit).
func TestInstall_PrintUnitChangesNothing(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a systemd unit holds Linux paths")
	}
	dir := spooltest.TempDir(t)
	queue, data := filepath.Join(dir, "queue"), filepath.Join(dir, "data")
	cfg := writeConfig(t, dir, "[spool]\nfolder = "+queue+"\ndata = "+data+"\n[smtp]\nhost = 127.0.0.1\n[message]\nfrom = library@example.org\n")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"install", "--config", cfg, "--print-unit", "/usr/bin/spoolgate"}, &stdout, &stderr); code != 0 {
		t.Fatalf("install --print-unit: exit %d: %s", code, stderr.String())
	}
	unit := stdout.String()
	for _, want := range []string{
		"\nExecStart=/usr/bin/spoolgate run --config " + cfg + "\n",
		"\nUser=spoolgate\n",
		"\nSupplementaryGroups=spoolgate-queue\n",
		"\nReadWritePaths=" + queue + " " + data + "\n",
		"\nWantedBy=multi-user.target\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q:\n%s", strings.TrimSpace(want), unit)
		}
	}
	for _, p := range []string{queue, data} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("--print-unit created %s; it must change nothing", p)
		}
	}

	stdout.Reset()
	if code := run([]string{"install", "--config", cfg, "--user", "mail-gw", "--print-unit", "/opt/sg/spoolgate"}, &stdout, &stderr); code != 0 {
		t.Fatalf("install --user --print-unit: exit %d: %s", code, stderr.String())
	}
	if u := stdout.String(); !strings.Contains(u, "\nUser=mail-gw\n") || !strings.Contains(u, "\nExecStart=/opt/sg/spoolgate run") {
		t.Errorf("--user and EXE not in the unit:\n%s", u)
	}
}

func TestInstall_PrintUnitRefusesARelativeProgram(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a systemd unit holds Linux paths")
	}
	dir := spooltest.TempDir(t)
	cfg := writeConfig(t, dir, "[spool]\nfolder = queue\n[smtp]\nhost = 127.0.0.1\n[message]\nfrom = library@example.org\n")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"install", "--config", cfg, "--print-unit", "spoolgate"}, &stdout, &stderr); code == 0 {
		t.Fatalf("install --print-unit spoolgate (not absolute) succeeded:\n%s", stdout.String())
	}
}
