package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A folder whose parent is missing (a share not mounted, a typo) fails,
// in the words spoolgate run stops with, naming the key.
func TestCheckFolder_MissingParent(t *testing.T) {
	dir := spooltest.TempDir(t)
	path := filepath.Join(dir, "share", "queue")
	f := checkFolder("queue", path, "[spool] folder")
	want := "cannot be created: the folder it would be created in, " + filepath.Join(dir, "share") + ", does not exist"
	if f.Status != StatusFail || !strings.HasPrefix(f.Detail, want) || !strings.Contains(f.Verdict, "[spool] folder") {
		t.Errorf("%+v\nwant a failure whose detail starts %q", f, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "share")); !os.IsNotExist(err) {
		t.Error("check created something")
	}
	// A missing folder whose parent exists is still only a warning:
	// spoolgate creates it when it starts.
	if f := checkFolder("queue", filepath.Join(dir, "queue"), "[spool] folder"); f.Status != StatusWarn {
		t.Errorf("a folder spoolgate will create: %+v", f)
	}
}

// Files no pattern takes, there longer than settle, are a warning that
// names them and the patterns; spoolgate's own and hidden files are not.
func TestCheckFolders_Unmatched(t *testing.T) {
	dir := spooltest.TempDir(t)
	cfg := &config.Config{Spool: config.Spool{
		Folder: filepath.Join(dir, "queue"), Data: filepath.Join(dir, "data"),
		Patterns: []string{"*.eml"}, Instance: "box1", Settle: time.Minute,
	}}
	for _, d := range []string{cfg.Spool.Folder, cfg.Spool.Data} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	plant := func(name string, age time.Duration) {
		p := filepath.Join(cfg.Spool.Folder, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"a.eml", "a.BAD", "a.BAD.txt", ".spoolgate-instance-box1.lock", "b.txt.part"} {
		plant(n, time.Hour)
	}
	plant("new.txt", 0)
	if q := checkFolders(cfg)[0]; q.Status != StatusOK {
		t.Fatalf("nothing unmatched yet (new.txt is still settling): %+v", q)
	}
	plant("notice-1.txt", time.Hour)
	plant("notice-2.txt", 2*time.Hour)
	q := checkFolders(cfg)[0]
	if q.Status != StatusWarn || !strings.Contains(q.Detail, "2 file(s) in it match no [spool] pattern (*.eml) and are never sent: notice-1.txt, notice-2.txt") ||
		strings.Contains(q.Detail, "new.txt") || !strings.Contains(q.Verdict, "[spool] pattern = *.eml") {
		t.Errorf("%+v", q)
	}
}
