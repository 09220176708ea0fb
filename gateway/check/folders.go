package check

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool"
)

// Free disk space below which a folder warns or fails.
const (
	diskWarnBelow = 100 << 20
	diskFailBelow = 10 << 20
)

// probePattern names the temporary file that tests whether a folder is
// writable. It matches no queue pattern, and spoolgate ignores files that
// start with a dot.
const probePattern = ".spoolgate-check-*.part"

func checkFolders(cfg *config.Config) []Folder {
	out := []Folder{
		checkUnmatched(cfg, checkFolder("queue", cfg.Spool.Folder, "[spool] folder")),
		checkFolder("data", cfg.Spool.Data, "[spool] data"),
	}
	if cfg.Capture != "" {
		out = append(out, checkFolder("capture", cfg.Capture, "[smtp] capture"))
	}
	return out
}

// checkFolder checks that path is a folder, or can be created, that
// spoolgate can write in it and that its disk has room. key is the config
// key that sets it, for the verdicts.
func checkFolder(name, path, key string) Folder {
	f := Folder{Name: name, Path: path}
	who := "the account spoolgate runs as"
	if name == "queue" {
		who = "both the account spoolgate runs as and the library system's account"
	}
	fi, err := os.Stat(path)
	var where string // the folder to test: path, or the ancestor it would be created in
	switch {
	case err == nil && !fi.IsDir():
		f.Status, f.Detail = StatusFail, "is a file, not a folder"
		f.Verdict = fmt.Sprintf("Set %s to a folder, or move the file %s away.", key, path)
		return f
	case err == nil:
		where = path
	default:
		// Missing, or a file where a folder should be on the way.
		anc, aerr := existingAncestor(path)
		switch {
		case aerr != nil:
			f.Status, f.Detail = StatusFail, "does not exist and cannot be created: "+aerr.Error()
			f.Verdict = fmt.Sprintf("Set %s to a folder on a local disk that exists or can be created.", key)
			return f
		case !errors.Is(err, fs.ErrNotExist):
			f.Status, f.Detail = StatusFail, "cannot be read: "+err.Error()
			f.Verdict = fmt.Sprintf("Give %s access to %s, or set %s to another folder.", who, path, key)
			return f
		}
		// spoolgate run says the same, in the same words (spool.MakeFolder).
		if perr := spool.CheckParent(path); perr != nil {
			parent := filepath.Dir(path)
			f.Status, f.Detail = StatusFail, "cannot be created: "+perr.Error()
			f.Verdict = fmt.Sprintf("If %s is right, mount the share or create %s; otherwise correct %s. spoolgate creates %s only when %s exists.",
				path, parent, key, filepath.Base(path), parent)
			return f
		}
		where = anc
	}

	if err := probeWrite(where); err != nil {
		f.Status = StatusFail
		if where == path {
			f.Detail = "is not writable: " + err.Error()
			f.Verdict = fmt.Sprintf("Give %s permission to create, rename and delete files in %s.", who, path)
		} else {
			f.Detail = fmt.Sprintf("does not exist, and cannot be created in %s: %v", where, err)
			f.Verdict = fmt.Sprintf("Create %s and give %s permission to write in it, or set %s to another folder.", path, who, key)
		}
		return f
	}
	free, ferr := diskFree(where)
	space := "free space unknown (" + errString(ferr) + ")"
	status, verdict := StatusOK, ""
	if ferr == nil {
		f.FreeBytes = free
		space = humanBytes(free) + " free"
		status, verdict = diskVerdict(free, where)
	}
	f.Status, f.Verdict = status, verdict
	if where == path {
		f.Detail = "writable, " + space
		return f
	}
	f.Detail = fmt.Sprintf("does not exist yet; spoolgate creates it when it starts (%s is writable, %s)", where, space)
	if f.Status == StatusOK {
		f.Status = StatusWarn
		f.Verdict = fmt.Sprintf("Start spoolgate once (or run spoolgate install) to create it; until then nothing can be put in %s.", path)
	}
	return f
}

// checkUnmatched adds to the queue folder's check the files in it whose
// names match no [spool] pattern and that have been there for [spool]
// settle: spoolgate never sends them, and most likely they are messages
// whose writer and the patterns disagree (an ILS writing .txt).
func checkUnmatched(cfg *config.Config, f Folder) Folder {
	if f.Status == StatusFail {
		return f
	}
	sp := spool.New(spool.Options{Dir: cfg.Spool.Folder, Patterns: cfg.Spool.Patterns, Instance: cfg.Spool.Instance, Settle: cfg.Spool.Settle})
	ents, err := sp.List()
	if err != nil {
		return f // missing: said above
	}
	var names []string
	for _, e := range ents {
		if e.State == spool.Unmatched {
			names = append(names, e.Name)
		}
	}
	if len(names) == 0 {
		return f
	}
	sort.Strings(names)
	n := len(names)
	const show = 10
	if n > show {
		names = append(names[:show], fmt.Sprintf("and %d more", n-show))
	}
	f.Detail += fmt.Sprintf("; %d file(s) in it match no [spool] pattern (%s) and are never sent: %s",
		n, strings.Join(cfg.Spool.Patterns, ", "), strings.Join(names, ", "))
	verdict := "If they are messages, rename them (and have the library system name its files) to match [spool] pattern = " +
		strings.Join(cfg.Spool.Patterns, ", ") + ", or add a pattern that takes them; otherwise move them out of the queue folder. spoolgate queue lists them."
	if f.Status == StatusOK {
		f.Status, f.Verdict = StatusWarn, verdict
	} else {
		f.Verdict += " " + verdict
	}
	return f
}

// diskVerdict judges free bytes on the disk of dir.
func diskVerdict(free uint64, dir string) (Status, string) {
	switch {
	case free < diskFailBelow:
		return StatusFail, fmt.Sprintf("The disk of %s is full (%s free): free some space; spoolgate needs room for the queue, the journal and its log.", dir, humanBytes(free))
	case free < diskWarnBelow:
		return StatusWarn, fmt.Sprintf("The disk of %s is nearly full (%s free): free some space before mail stops.", dir, humanBytes(free))
	}
	return StatusOK, ""
}

// existingAncestor returns the nearest folder above path that exists, or
// an error when something on the way is not a folder.
func existingAncestor(path string) (string, error) {
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		switch {
		case err == nil && fi.IsDir():
			return dir, nil
		case err == nil:
			return "", fmt.Errorf("%s is a file, not a folder", dir)
		case !errors.Is(err, fs.ErrNotExist):
			return "", err
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no part of %s exists", path)
		}
	}
}

// probeWrite creates and removes a temporary file in dir.
func probeWrite(dir string) error {
	f, err := os.CreateTemp(dir, probePattern)
	if err != nil {
		return err
	}
	name := f.Name()
	cerr := f.Close()
	return errors.Join(cerr, os.Remove(name))
}

func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTP"[exp])
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
