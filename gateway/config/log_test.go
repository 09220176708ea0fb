package config

import (
	"log/slog"
	"testing"
)

func TestLoad_LogAndTestTo(t *testing.T) {
	c, _ := mustLoad(t, "[spool]\nfolder = q\n[smtp]\ncapture = out\n[message]\nfrom = a@example.org\n")
	if c.Log.Days != DefaultLogDays || c.Log.Level != slog.LevelInfo || c.Message.TestTo != "" {
		t.Fatalf("defaults: %+v %q", c.Log, c.Message.TestTo)
	}
	c, _ = mustLoad(t, "[spool]\nfolder = q\n[smtp]\ncapture = out\n[message]\nfrom = a@example.org\ntest_to = it@example.org\n[log]\ndays = 7\nlevel = debug\n")
	if c.Log.Days != 7 || c.Log.Level != slog.LevelDebug || c.Message.TestTo != "it@example.org" {
		t.Fatalf("set: %+v %q", c.Log, c.Message.TestTo)
	}
	errs := loadErrors(t, "[spool]\nfolder = q\n[smtp]\ncapture = out\n[message]\nfrom = a@example.org\ntest_to = nobody\n[log]\nlevel = loud\ndays = 0\n")
	if len(errs) != 3 {
		t.Fatalf("want 3 errors (test_to, level, days), got %d: %v", len(errs), errs)
	}
}
