package spool

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spoolgate/spoolgate/spool/safefile"
)

// DiscardMode is the mode (on Unix) of a file Discard had to copy into
// its folder: spoolgate's account and its group (administrators) read it.
const DiscardMode os.FileMode = 0o640

// Discard takes the BAD file named bad, and its reason file when it has
// one, out of the queue folder into the folder into (created when it is
// missing, inside a folder that exists), so that nobody sees it in the
// queue again and nothing is lost: patron mail is never deleted. Both keep
// their pairing there: abc.BAD and abc.BAD.txt, or abc.2.BAD and
// abc.2.BAD.txt when an earlier discard took the name; it never replaces
// a file. It returns the name the BAD file has in into.
//
// On the same volume each file is renamed (a hard link, then a removal);
// across volumes it is copied, synced, and only then removed from the
// queue folder. The reason file goes first: if the BAD file cannot
// follow, the reason comes back, and the error says why.
func (s *Spool) Discard(bad, into string) (string, error) {
	if st, _, _ := s.Classify(bad); st != Bad || strings.ContainsAny(bad, `/\`) {
		return "", fmt.Errorf("discard %s: %w", bad, ErrNotBad)
	}
	src := filepath.Join(s.o.Dir, bad)
	if _, err := os.Lstat(src); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = ErrGone
		}
		return "", fmt.Errorf("discard %s: %w", bad, err)
	}
	if err := MakeFolder(into, 0o750); err != nil {
		return "", fmt.Errorf("discard %s: the folder %s: %w", bad, into, err)
	}
	reason := s.ReasonPath(bad)
	_, rerr := os.Lstat(reason)
	hasReason := rerr == nil

	stem := strings.TrimSuffix(bad, SuffixBad)
	for i := 1; i < 10000; i++ {
		name := bad
		if i > 1 {
			name = stem + "." + strconv.Itoa(i) + SuffixBad
		}
		dst := filepath.Join(into, name)
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		if hasReason {
			err := transfer(reason, dst+".txt")
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			if err != nil {
				return "", fmt.Errorf("discard %s: its reason file: %w", bad, err)
			}
		}
		err := transfer(src, dst)
		if errors.Is(err, fs.ErrExist) && !hasReason {
			continue
		}
		if err != nil {
			if hasReason {
				// Put the reason back beside the file that stays.
				if berr := transfer(dst+".txt", reason); berr != nil {
					err = fmt.Errorf("%w (and its reason file stays in %s: %v)", err, into, berr)
				}
			}
			if errors.Is(err, fs.ErrNotExist) {
				err = fmt.Errorf("%w: %w", ErrGone, err)
			}
			return "", fmt.Errorf("discard %s: %w", bad, err)
		}
		if err := syncDir(into); err != nil {
			return "", fmt.Errorf("discard %s: sync %s: %w", bad, into, err)
		}
		if err := syncDir(s.o.Dir); err != nil {
			return "", fmt.Errorf("discard %s: sync the queue folder: %w", bad, err)
		}
		return name, nil
	}
	return "", fmt.Errorf("discard %s: too many discarded files named %s in %s", bad, stem, into)
}

// transfer moves the file src to dst, which must not exist (else an
// error wrapping fs.ErrExist): a hard link and a removal, or where the two
// are on different volumes (or links are not supported) a copy written
// beside dst, synced, put in place without replacing, and then the
// removal of src. A file that is not a regular one (a link or a pipe
// quarantined as it was) is renamed, never opened.
func transfer(src, dst string) error {
	err := renameNoReplace(src, dst, dst)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, serr := os.Lstat(src); serr != nil {
		return serr
	}
	// Another volume: a copy.
	in, _, err := safefile.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	dir, name := filepath.Split(dst)
	tmp, err := copyTemp(dir, name, in)
	if err != nil {
		return err
	}
	if err := linkFile(tmp, dst); err != nil {
		if _, lerr := os.Lstat(dst); lerr == nil {
			os.Remove(tmp)
			return fmt.Errorf("%s: %w", dst, fs.ErrExist)
		}
		if err := renameNew(tmp, dst); err != nil {
			os.Remove(tmp)
			return err
		}
	} else {
		os.Remove(tmp)
	}
	in.Close()
	return os.Remove(src)
}

// copyTemp copies r into a new temporary file in dir (as writeTemp
// names it), synced and closed, and returns its path; on error nothing is
// left behind.
func copyTemp(dir, name string, r io.Reader) (path string, err error) {
	tmp, err := writeTemp(dir, name, nil, DiscardMode)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	f, err := os.OpenFile(tmp, os.O_WRONLY, 0)
	if err != nil {
		return "", err
	}
	if _, err = io.Copy(f, r); err != nil {
		f.Close()
		return "", fmt.Errorf("copy %s: %w", name, err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("sync %s: %w", name, err)
	}
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("close %s: %w", name, err)
	}
	return tmp, nil
}
