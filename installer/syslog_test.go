package installer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daemon"
	"github.com/spoolgate/spoolgate/gateway/logfile"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// sysRecorder is a service.Logger that keeps what it is told, as the event
// log or the journal would.
type sysRecorder struct {
	mu    sync.Mutex
	lines []string // "E: text", "W: text", "I: text"
}

func (r *sysRecorder) add(kind string, s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, kind+": "+s)
	return nil
}
func (r *sysRecorder) Error(v ...any) error   { return r.add("E", fmt.Sprint(v...)) }
func (r *sysRecorder) Warning(v ...any) error { return r.add("W", fmt.Sprint(v...)) }
func (r *sysRecorder) Info(v ...any) error    { return r.add("I", fmt.Sprint(v...)) }
func (r *sysRecorder) Errorf(f string, a ...any) error {
	return r.add("E", fmt.Sprintf(f, a...))
}
func (r *sysRecorder) Warningf(f string, a ...any) error {
	return r.add("W", fmt.Sprintf(f, a...))
}
func (r *sysRecorder) Infof(f string, a ...any) error { return r.add("I", fmt.Sprintf(f, a...)) }

func (r *sysRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

func (r *sysRecorder) text() string { return strings.Join(r.all(), "\n") }

func TestSystemHandler_LevelsAndAttributes(t *testing.T) {
	rec := &sysRecorder{}
	log := slog.New(newSystemHandler(rec, slog.LevelInfo))
	log.Debug("not shown")
	log.Info("spoolgate is relaying", "folder", `C:\queue dir`, "batch", 10)
	log.Warn("temporary failure", "server", "smtp")
	log.With("file", "a.eml").WithGroup("relay").Error("refused", "reply", "550 5.1.1 no such user")
	log.Log(context.Background(), slog.LevelError+4, "worse than an error")
	want := []string{
		`I: spoolgate is relaying folder="C:\\queue dir" batch=10`,
		`W: temporary failure server=smtp`,
		`E: refused file=a.eml relay.reply="550 5.1.1 no such user"`,
		`E: worse than an error`,
	}
	got := rec.all()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("system log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSystemHandler_Level(t *testing.T) {
	rec := &sysRecorder{}
	log := slog.New(newSystemHandler(rec, slog.LevelWarn))
	log.Info("chatter")
	log.Warn("worth knowing")
	if got := rec.all(); len(got) != 1 || got[0] != "W: worth knowing" {
		t.Errorf("with level warn: %q", got)
	}
}

func TestOpenLog_FileAndSystemLog(t *testing.T) {
	dir := spooltest.TempDir(t)
	cfg := &config.Config{
		Spool: config.Spool{Data: filepath.Join(dir, "data")},
		Log:   config.Log{Days: 30, Level: slog.LevelInfo},
	}
	rec := &sysRecorder{}
	log, closeLog := daemon.OpenLog(cfg, newSystemHandler(rec, cfg.Log.Level))
	log.Debug("below the level")
	log.Info("sent", "to", "patron@example.net")
	closeLog()
	log.Info("after the close: to the system log only")
	names, _ := filepath.Glob(filepath.Join(dir, "data", logfile.Folder, logfile.Prefix+"*"+logfile.Suffix))
	if len(names) != 1 {
		t.Fatalf("log files in data/%s: %v, want one", logfile.Folder, names)
	}
	path := names[0]
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the log file: %v", err)
	}
	if !strings.Contains(string(b), "level=INFO msg=sent to=patron@example.net") || strings.Contains(string(b), "below the level") {
		t.Errorf("log file:\n%s", b)
	}
	if got := rec.text(); got != "I: sent to=patron@example.net\nI: after the close: to the system log only" {
		t.Errorf("system log: %q", got)
	}
}
