package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/installer"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A default config file that is not there: the error names the path, says
// to run spoolgate init, and how to name another file; it is still a
// config error (exit 2).
func TestExplainMissingConfig_Default(t *testing.T) {
	def := filepath.Join(spooltest.TempDir(t), "etc", "spoolgate.ini")
	_, err := config.Load(def)
	if err == nil {
		t.Fatal("a missing file loaded")
	}
	got := explainMissingConfig(err, "queue", def)
	if !errors.Is(got, config.ErrConfig) {
		t.Errorf("%v does not wrap config.ErrConfig", got)
	}
	for _, want := range []string{def, "does not exist", "when --config is not given", "spoolgate init", "spoolgate queue --config FILE"} {
		if !strings.Contains(got.Error(), want) {
			t.Errorf("the error lacks %q:\n%s", want, got)
		}
	}
}

// Another config file that is not there: init can write it.
func TestExplainMissingConfig_Other(t *testing.T) {
	dir := spooltest.TempDir(t)
	p := filepath.Join(dir, "site.ini")
	_, err := config.Load(p)
	got := explainMissingConfig(err, "run", filepath.Join(dir, "default.ini"))
	if !strings.Contains(got.Error(), "spoolgate init --config "+quoteArg(p)) || strings.Contains(got.Error(), "not given") {
		t.Errorf("error:\n%s", got)
	}
}

// Other errors, and config errors about a key, are left as they are.
func TestExplainMissingConfig_OtherErrors(t *testing.T) {
	dir := spooltest.TempDir(t)
	cfg := writeConfig(t, dir, "[spool]\nfolder = queue\n[smtp]\ncapture = outbox\n[message]\nfrom = library@example.org\n[overdue]\ntemplates = nowhere\n")
	_, err := config.Load(cfg)
	if err == nil {
		t.Fatal("a config with a missing templates folder loaded")
	}
	if got := explainMissingConfig(err, "run", cfg); got != err {
		t.Errorf("a key's error was changed:\n%s", got)
	}
	plain := errors.New("boom")
	if got := explainMissingConfig(plain, "run", cfg); got != plain {
		t.Errorf("a plain error was changed: %v", got)
	}
}

// The real binary without --config, where the default config does not
// exist.
func TestE2E_MissingDefaultConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	def := installer.DefaultConfigPath()
	if _, err := os.Stat(def); err == nil {
		t.Skipf("%s exists on this machine", def)
	}
	for _, c := range []string{"run", "queue", "status", "check"} {
		stdout, stderr, code := spoolgate(t, c)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2; stdout:\n%s\nstderr:\n%s", c, code, stdout, stderr)
		}
		for _, want := range []string{def, "spoolgate init", "spoolgate " + c + " --config FILE"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", c, want, stderr)
			}
		}
	}
}
