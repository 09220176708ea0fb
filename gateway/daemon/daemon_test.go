package daemon

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// writeSite writes a config with the overdue scan enabled and a template
// folder whose warning template is broken when broken is set.
func writeSite(t *testing.T, enabled, broken bool) string {
	t.Helper()
	dir := spooltest.TempDir(t)
	tmpl := filepath.Join(dir, "templates", "en")
	if err := os.MkdirAll(tmpl, 0o750); err != nil {
		t.Fatal(err)
	}
	body := "Subject: Due soon\n\nDear {{.Patron.Name}},\n"
	if broken {
		body = "Subject: Due soon\n\nDear {{.Patron.Nmae}},\n"
	}
	if err := os.WriteFile(filepath.Join(tmpl, "warning.txt"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "loans.csv"), []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ini := "[spool]\nfolder = queue\ndata = data\n\n[smtp]\nhost = 127.0.0.1\nport = 2525\nsecurity = none\n\n[message]\nfrom = library@example.org\n\n" +
		"[overdue]\nloans = loans.csv\ntemplates = templates\n"
	if enabled {
		ini += "enabled = true\n"
	}
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A broken notice template stops the start, naming the file, the line and
// the key, when the overdue scan is on; with it off, relaying starts.
func TestNew_BrokenTemplateStopsTheStart(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, enabled := range []bool{true, false} {
		cfg, err := config.Load(writeSite(t, enabled, true))
		if err != nil {
			t.Fatalf("config.Load: %v", err)
		}
		g, err := New(cfg, log)
		if !enabled {
			if err != nil {
				t.Errorf("overdue off: New = %v, want a gateway", err)
			} else {
				g.Journal().Close() // Run would close it; Windows keeps an open file
			}
			continue
		}
		if g != nil || !errors.Is(err, config.ErrConfig) ||
			!strings.Contains(err.Error(), "spoolgate.ini:") || !strings.Contains(err.Error(), "[overdue] templates") ||
			!strings.Contains(err.Error(), "Nmae") {
			t.Errorf("overdue on: New = %v, want a config error at [overdue] templates naming the template's problem", err)
		}
	}
	cfg, err := config.Load(writeSite(t, true, false))
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	g, err := New(cfg, log)
	if err != nil {
		t.Fatalf("good templates: New = %v", err)
	}
	g.Journal().Close()
}
