package accounts

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/spoolgate/spoolgate/spool/safefile"
)

// maxFile bounds the accounts file: some ten thousand accounts.
const maxFile = 4 << 20

// header opens the file as written; the lines say what the fields are.
const header = "# spoolgate console users and API tokens; change them with spoolgate console user|token ...\n" +
	"# name\tkind\trole\thash\tcreated\n"

// readFile reads and parses the accounts file at path (see Open), and
// returns its FileInfo, taken from the open file. On Unix it narrows the
// file's mode to FileMode.
func readFile(path string) ([]entry, fs.FileInfo, error) {
	f, fi, err := safefile.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("console users: %w", err)
	}
	defer f.Close()
	if fi.Size() > maxFile {
		return nil, nil, fmt.Errorf("console users: %w", &safefile.TooLargeError{Path: path, Size: fi.Size(), Max: maxFile})
	}
	narrow(f, fi)
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, nil, fmt.Errorf("console users: read %s: %w", path, err)
	}
	if len(b) > maxFile {
		return nil, nil, fmt.Errorf("console users: %w", &safefile.TooLargeError{Path: path, Size: -1, Max: maxFile})
	}
	entries, err := parse(path, b)
	if err != nil {
		return nil, nil, err
	}
	return entries, fi, nil
}

// parse reads the lines of the file at path; an error wraps ErrMalformed
// and names path and the line, never quoting a hash.
func parse(path string, b []byte) ([]entry, error) {
	var out []entry
	where := map[string]int{}
	for i, line := range strings.Split(string(b), "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, why := parseLine(line)
		if why == "" {
			if first, dup := where[e.name]; dup {
				why = fmt.Sprintf("%q is on line %d too", e.name, first)
			}
		}
		if why != "" {
			return nil, fmt.Errorf("%w %s, line %d: %s", ErrMalformed, path, n, why)
		}
		where[e.name] = n
		out = append(out, e)
	}
	return out, nil
}

// parseLine reads one line, or says why it cannot.
func parseLine(line string) (entry, string) {
	f := strings.Split(line, "\t")
	if len(f) != 5 {
		return entry{}, fmt.Sprintf("want 5 fields separated by tabs (name, kind, role, hash, created), found %d", len(f))
	}
	var e entry
	if err := CheckName(f[0]); err != nil {
		return e, err.Error()
	}
	e.name = f[0]
	switch f[1] {
	case "user":
	case "token":
		e.token = true
	default:
		return e, fmt.Sprintf("kind %q: want user or token", f[1])
	}
	e.role = Role(f[2])
	if err := checkRole(e.role); err != nil {
		return e, err.Error()
	}
	e.hash = f[3]
	if e.token {
		h, ok := strings.CutPrefix(e.hash, "sha256:")
		if _, err := hex.DecodeString(h); !ok || err != nil || len(h) != 64 || strings.ToLower(h) != h {
			return e, "the hash of a token is sha256: and 64 lowercase hex digits"
		}
	} else if _, err := bcrypt.Cost([]byte(e.hash)); err != nil || len(e.hash) != 60 {
		return e, "the hash of a user is a bcrypt hash: 60 characters, beginning $2a$, $2b$ or $2y$"
	}
	t, err := time.Parse(time.RFC3339, f[4])
	if err != nil {
		return e, fmt.Sprintf("created %q: want a time like 2006-01-02T15:04:05Z", f[4])
	}
	e.created = t
	return e, ""
}

// format is the file's text for entries.
func format(entries []entry) []byte {
	var b strings.Builder
	b.WriteString(header)
	for _, e := range entries {
		kind := "user"
		if e.token {
			kind = "token"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\n", e.name, kind, e.role, e.hash, e.created.UTC().Format(time.RFC3339))
	}
	return []byte(b.String())
}

// writeFile writes data to path atomically: a temporary file in the same
// folder (".console-users.RANDOM.part"), created with FileMode, is
// written, given the owner of old (the file it replaces) or of the folder
// when run as root on Unix, synced, closed and renamed over path; then the
// folder is synced. On any error the temporary file is removed and path
// is left as it was. It returns the new file's FileInfo.
func writeFile(path string, data []byte, old fs.FileInfo) (fi fs.FileInfo, err error) {
	dir, name := dataFolder(path), filepath.Base(path)
	var r [6]byte
	_, _ = rand.Read(r[:])
	tmp := filepath.Join(dir, "."+name+"."+hex.EncodeToString(r[:])+".part")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return nil, fmt.Errorf("console users: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("console users: write %s: %w", path, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return nil, err
	}
	if err = chownLike(f, old, dir); err != nil {
		return nil, err
	}
	if err = f.Sync(); err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err = f.Close(); err != nil {
		return nil, err
	}
	if err = os.Rename(tmp, path); err != nil {
		return nil, err
	}
	if err = syncDir(dir); err != nil {
		return nil, err
	}
	return fi, nil
}
