// Package logfile is spoolgate's log file: an io.Writer that writes to
// <dir>/spoolgate-YYYY-MM-DD.log, one file per day.
//
// The contract: every Write goes to the file of the day the clock says it
// is (in the clock's location: time.Now's is the local time zone), so the
// file changes at local midnight. When a file is opened (at Open and at each
// change of day), the files of this name pattern whose day is more than
// Days days before today are deleted; nothing else in the folder is ever
// touched. Write is safe for concurrent use; each Write is appended whole,
// so a log handler that writes one record per Write never interleaves
// records. Files are created with mode 0640 (the folder 0750), whatever
// the umask, and a file found wider (from another tool) loses the rest:
// log lines name patrons' addresses. A failure to
// open the day's file is returned by Write and tried again at the next
// Write. After Close, Write returns os.ErrClosed.
package logfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spoolgate/spoolgate/spool"
)

// Folder is the log files' folder inside spoolgate's data folder.
const Folder = "log"

// Mode and FolderMode are the permissions of the log files and of their
// folder on Unix: the service's account writes them, its group (the
// service's own, not the queue group) may read them.
const (
	Mode       os.FileMode = 0o640
	FolderMode os.FileMode = 0o750
)

// Prefix and Suffix frame the date in a log file's name.
const (
	Prefix = "spoolgate-"
	Suffix = ".log"
)

const dateLayout = "2006-01-02"

// File is the daily log file. Make one with Open.
type File struct {
	dir  string
	days int
	now  func() time.Time

	mu     sync.Mutex
	f      *os.File
	day    string // the date of f, YYYY-MM-DD
	closed bool
}

// Option changes how a File works; for tests.
type Option func(*File)

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(f *File) { f.now = now } }

// Open creates dir when missing, deletes the expired files, opens today's
// file and returns the File. days is how many days files are kept; it must
// be at least 1.
func Open(dir string, days int, opts ...Option) (*File, error) {
	if days < 1 {
		return nil, fmt.Errorf("log file: keep files at least 1 day, not %d", days)
	}
	lf := &File{dir: dir, days: days, now: time.Now}
	for _, o := range opts {
		o(lf)
	}
	if err := os.MkdirAll(dir, FolderMode); err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	// Made by root (spoolgate run by hand): the service's, as its folder.
	if err := spool.GiveToFolderOwner(dir); err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if err := lf.switchTo(lf.now()); err != nil {
		return nil, err
	}
	return lf, nil
}

// Name returns the file name of the log of day t: spoolgate-YYYY-MM-DD.log.
func Name(t time.Time) string { return Prefix + t.Format(dateLayout) + Suffix }

// Path returns the path of the file being written now.
func (lf *File) Path() string {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	return filepath.Join(lf.dir, Prefix+lf.day+Suffix)
}

// Write appends p to today's file, changing files first when the day has
// changed since the last Write.
func (lf *File) Write(p []byte) (int, error) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.closed {
		return 0, os.ErrClosed
	}
	now := lf.now()
	if lf.f == nil || now.Format(dateLayout) != lf.day {
		if err := lf.switchTo(now); err != nil {
			return 0, err
		}
	}
	return lf.f.Write(p)
}

// Close closes the file. Later Writes return os.ErrClosed.
func (lf *File) Close() error {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.closed {
		return nil
	}
	lf.closed = true
	if lf.f == nil {
		return nil
	}
	err := lf.f.Close()
	lf.f = nil
	return err
}

// switchTo closes the current file, opens the file of now's day and
// deletes the expired ones. The caller holds mu.
func (lf *File) switchTo(now time.Time) error {
	if lf.f != nil {
		lf.f.Close()
		lf.f = nil
	}
	day := now.Format(dateLayout)
	f, err := os.OpenFile(filepath.Join(lf.dir, Prefix+day+Suffix), os.O_WRONLY|os.O_CREATE|os.O_APPEND, Mode)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&^Mode != 0 {
		f.Chmod(fi.Mode().Perm() & Mode) // another account's file stays as it is
	}
	if err := spool.GiveToFolderOwner(f.Name()); err != nil {
		f.Close()
		return fmt.Errorf("log file: %w", err)
	}
	lf.f, lf.day = f, day
	lf.expire(now)
	return nil
}

// expire deletes the log files whose day is before now's day less days.
// A file that cannot be deleted is left for the next time.
func (lf *File) expire(now time.Time) {
	y, m, d := now.Date()
	oldest := time.Date(y, m, d-lf.days, 12, 0, 0, 0, now.Location()).Format(dateLayout)
	ents, err := os.ReadDir(lf.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		day, ok := dayOf(e.Name())
		if !ok || e.IsDir() || day >= oldest {
			continue
		}
		os.Remove(filepath.Join(lf.dir, e.Name())) // on failure, tried again at the next change of day
	}
}

// dayOf returns the YYYY-MM-DD of a log file's name, and whether name is
// one.
func dayOf(name string) (string, bool) {
	if !strings.HasPrefix(name, Prefix) || !strings.HasSuffix(name, Suffix) {
		return "", false
	}
	day := strings.TrimSuffix(strings.TrimPrefix(name, Prefix), Suffix)
	if _, err := time.Parse(dateLayout, day); err != nil {
		return "", false
	}
	return day, true
}
