package journal

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// sent records that key went to one recipient, and waits until it is
// durable.
func sent(t *testing.T, j *Journal, key string) {
	t.Helper()
	j.Claimed(claim(key, key+".eml", "a@patron.example"), nil)
	j.Record(Outcome{Key: key, To: []string{"a@patron.example"}, Status: StatusSent, Server: "relay", Reply: "250 ok"}, nil)
	flush(t, j)
}

func errorsLogged(l *logRecorder, substr string) int {
	n := 0
	for _, m := range l.messages(slog.LevelError) {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

// Deleting journal.db (with or without its -wal and -shm) while the
// journal is open: the next write notices (the path is no longer the open
// file), logs an error, and begins a new journal at the path, which keeps
// everything from then on; a second journal opened later finds it there.
func TestJournal_FileDeletedWhileOpen(t *testing.T) {
	for _, what := range []string{"journal.db", "journal.db and its -wal and -shm", "moved aside"} {
		t.Run(what, func(t *testing.T) {
			f := newFixture(t, options{})
			sent(t, f.j, "before")
			var err error
			switch what {
			case "journal.db":
				err = os.Remove(f.path)
			case "moved aside":
				err = os.Rename(f.path, f.path+".old")
			default:
				for _, sfx := range []string{"", "-wal", "-shm"} {
					if e := os.Remove(f.path + sfx); e != nil && !os.IsNotExist(e) {
						err = e
					}
				}
			}
			if err != nil {
				if runtime.GOOS == "windows" {
					t.Skip("Windows does not let an open database file be deleted:", err)
				}
				t.Fatal(err)
			}
			sent(t, f.j, "after")
			if n := errorsLogged(f.log, "was deleted while spoolgate was running"); n != 1 {
				t.Errorf("%d errors logged about the deleted file, want 1: %q", n, f.log.messages(slog.LevelError))
			}
			if st := state(t, f.j, "after"); !st.Found || st.Status != StatusSent {
				t.Errorf("the send after the deletion: %+v, want it journaled as sent", st)
			}
			if st := state(t, f.j, "before"); st.Found {
				t.Errorf("the send before the deletion is in the new journal: %+v", st)
			}
			sent(t, f.j, "later")
			if n := errorsLogged(f.log, "was deleted"); n != 1 {
				t.Errorf("the error must be logged once, not at every write: %d", n)
			}
			if err := f.j.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			j2, err := Open(f.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer j2.Close()
			for _, k := range []string{"after", "later"} {
				if st := state(t, j2, k); !st.Found {
					t.Errorf("%s is not in the journal file at the path", k)
				}
			}
		})
	}
}

// The data folder deleted with the journal in it: no new journal can be
// begun, which is logged once, and the writes go on into the old file;
// once the folder is back, the next write begins a new journal there.
func TestJournal_FolderDeletedWhileOpen(t *testing.T) {
	f := newFixture(t, options{})
	sent(t, f.j, "before")
	dir := filepath.Dir(f.path)
	for _, sfx := range []string{"", "-wal", "-shm"} {
		os.Remove(f.path + sfx)
	}
	if err := os.Remove(dir); err != nil {
		t.Skip("the folder cannot be removed here:", err)
	}
	f.j.Claimed(claim("gone1", "gone1.eml", "a@patron.example"), nil)
	f.j.Flush()
	f.j.Claimed(claim("gone2", "gone2.eml", "a@patron.example"), nil)
	f.j.Flush()
	if n := errorsLogged(f.log, "a new journal cannot be begun there"); n != 1 {
		t.Errorf("%d errors logged about a journal that cannot be begun, want 1: %q", n, f.log.messages(slog.LevelError))
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	sent(t, f.j, "back")
	if st := state(t, f.j, "back"); !st.Found {
		t.Error("a send once the folder is back is not journaled")
	}
	if _, err := os.Stat(f.path); err != nil {
		t.Errorf("no new journal file: %v", err)
	}
}
