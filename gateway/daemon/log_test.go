package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/logfile"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestFanout_WritesToEverySink(t *testing.T) {
	var a, b bytes.Buffer
	ha := slog.NewTextHandler(&a, &slog.HandlerOptions{Level: slog.LevelDebug})
	hb := slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelWarn})
	log := slog.New(fanout{ha, hb}).With("instance", "lib1").WithGroup("g")
	log.Debug("debug only to a", "k", 1)
	log.Warn("to both", "k", 2)
	if !strings.Contains(a.String(), `msg="debug only to a" instance=lib1 g.k=1`) || !strings.Contains(a.String(), `msg="to both" instance=lib1 g.k=2`) {
		t.Errorf("sink a:\n%s", a.String())
	}
	if strings.Contains(b.String(), "debug only") || !strings.Contains(b.String(), `msg="to both" instance=lib1 g.k=2`) {
		t.Errorf("sink b:\n%s", b.String())
	}
	if (fanout{hb}).Enabled(context.Background(), slog.LevelInfo) {
		t.Error("a fan-out of warn handlers must not be enabled for info")
	}
}

func TestOpenLog_WithoutLogFile(t *testing.T) {
	dir := spooltest.TempDir(t)
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o770); err != nil {
		t.Fatal(err)
	}
	// A file where the log folder should be: no log file can be opened.
	if err := os.WriteFile(filepath.Join(data, logfile.Folder), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Spool: config.Spool{Data: data}, Log: config.Log{Days: 30, Level: slog.LevelInfo}}
	var sink bytes.Buffer
	log, closeLog := OpenLog(cfg, slog.NewTextHandler(&sink, &slog.HandlerOptions{Level: cfg.Log.Level}))
	log.Info("still logged")
	closeLog()
	got := strings.Split(strings.TrimSpace(sink.String()), "\n")
	if len(got) != 2 || !strings.Contains(got[0], `level=WARN msg="logging without a log file" error=`) ||
		!strings.Contains(got[1], `level=INFO msg="still logged"`) {
		t.Errorf("the sink got:\n%s", sink.String())
	}
}

func TestOpenLog_FileAndSink(t *testing.T) {
	dir := spooltest.TempDir(t)
	cfg := &config.Config{
		Spool: config.Spool{Data: filepath.Join(dir, "data")},
		Log:   config.Log{Days: 30, Level: slog.LevelInfo},
	}
	var sink bytes.Buffer
	log, closeLog := OpenLog(cfg, slog.NewTextHandler(&sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	log.Debug("below the level")
	log.Info("sent", "to", "patron@example.net")
	closeLog()
	names, _ := filepath.Glob(filepath.Join(dir, "data", logfile.Folder, logfile.Prefix+"*"+logfile.Suffix))
	if len(names) != 1 {
		t.Fatalf("log files in data/%s: %v, want one", logfile.Folder, names)
	}
	b, err := os.ReadFile(names[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "level=INFO msg=sent to=patron@example.net") || strings.Contains(string(b), "below the level") {
		t.Errorf("log file:\n%s", b)
	}
	// Each sink keeps its own level.
	if !strings.Contains(sink.String(), "msg=sent") {
		t.Errorf("sink:\n%s", sink.String())
	}
}
