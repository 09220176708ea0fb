package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/examples"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestInit_WritesAStarterConfigThatLoads(t *testing.T) {
	dir := spooltest.TempDir(t)
	path := filepath.Join(dir, "etc", "spoolgate", "spoolgate.ini")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"init", "--config", path}, &stdout, &stderr); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, examples.SpoolgateINI) {
		t.Error("init must write examples/spoolgate.ini as it is")
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the starter config does not load: %v", err)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("config mode %v, want 0640", fi.Mode().Perm())
		}
		di, _ := os.Stat(filepath.Dir(path))
		if di.Mode().Perm() != 0o755 {
			t.Errorf("config folder mode %v, want 0755", di.Mode().Perm())
		}
	}
	out := stdout.String()
	for _, want := range []string{path, cfg.Spool.Folder, cfg.Spool.Data, "[smtp] host", "[message] from",
		"spoolgate check --config " + path, "spoolgate install --config " + path} {
		if !strings.Contains(out, want) {
			t.Errorf("init's output lacks %q:\n%s", want, out)
		}
	}
	if cfg.Spool.Folder != filepath.Join(filepath.Dir(path), "queue") {
		t.Errorf("the starter queue folder is %s, want it beside the config", cfg.Spool.Folder)
	}
}

func TestInit_RefusesToOverwrite(t *testing.T) {
	dir := spooltest.TempDir(t)
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte("[spool]\nfolder = mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"init", "--config", path}, &stdout, &stderr); code != 1 {
		t.Errorf("init over an existing config: exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "already exists") || !strings.Contains(stderr.String(), "--force") {
		t.Errorf("the refusal must name the way out: %s", stderr.String())
	}
	if b, _ := os.ReadFile(path); string(b) != "[spool]\nfolder = mine\n" {
		t.Errorf("the existing config was changed: %q", b)
	}
	stderr.Reset()
	if code := run([]string{"init", "--config", path, "--force"}, &stdout, &stderr); code != 0 {
		t.Fatalf("init --force: exit %d: %s", code, stderr.String())
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, examples.SpoolgateINI) {
		t.Error("init --force must replace the config with the starter one")
	}
}
