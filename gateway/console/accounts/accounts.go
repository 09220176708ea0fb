// Package accounts keeps the web console's users and API tokens in one
// file, console-users (FileName) in the data folder, shared by the running
// console and the spoolgate console command.
//
// The file is text, one account a line, five fields separated by tabs:
//
//	name	kind	role	hash	created
//
// name is 1 to 64 ASCII letters, digits and the characters . _ @ - (not
// first a -), unique over users and tokens alike, compared exactly; kind
// is user or token; role is admin or librarian; hash is the bcrypt hash of
// a user's password, or for a token "sha256:" and the lowercase hex
// SHA-256 of the token (the token itself is never stored); created is
// when the account was added, in RFC 3339, UTC. Blank lines and lines
// that begin with # are ignored. A line that breaks these rules makes the
// whole file an error naming the file and the line (ErrMalformed).
//
// A password is at least MinPassword characters and at most MaxPassword
// bytes (the most bcrypt reads; it would ignore the rest). A token is
// "sgt_" and 256 random bits in unpadded base64url, shown once by
// AddToken.
//
// Every read method (List, Verify, VerifyToken) looks at the file first
// and reads it again when it changed (another file, another size or
// modification time), so an account the command adds works in the
// running console at once. Verify and VerifyToken fail closed: while the
// file cannot be read or is malformed, nobody is let in. Every write (Add,
// SetPassword, Remove, AddToken) takes the lock file console-users.lock,
// reads the file again, changes it and writes it atomically: a temporary
// file in the same folder, created with mode 0600, is written, synced,
// closed and renamed over the file, and the folder synced (on Unix). Run
// as root, a write gives the new file the owner of the file it replaces,
// or of the data folder for a new file, so the service account can still
// read it.
//
// The file is read without following a symbolic link: a link, a pipe or
// anything but a regular file in its place is refused. On Unix, where it
// is readable or writable by its group or by others, reading it narrows
// its mode to 0600 (when this account owns it).
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/spoolgate/spoolgate/spool"
)

// FileName is the name of the accounts file in the data folder.
const FileName = "console-users"

// FileMode is the mode (on Unix) the accounts file is written with, and
// narrowed to when it is read.
const FileMode os.FileMode = 0o600

// MinPassword is the fewest characters a password may have; MaxPassword
// the most bytes (bcrypt reads no more).
const (
	MinPassword = 10
	MaxPassword = 72
)

// TokenPrefix begins every API token.
const TokenPrefix = "sgt_"

// lockWait is how long a write waits for another writer to finish.
const lockWait = 10 * time.Second

// Errors that callers test with errors.Is.
var (
	ErrExists    = errors.New("the name is taken")
	ErrNotFound  = errors.New("no such console user or token")
	ErrMalformed = errors.New("malformed console users file")
	ErrName      = errors.New("bad console user name")
	ErrPassword  = errors.New("bad password")
	ErrRole      = errors.New("bad role")
)

// Role is what an account may do in the console.
type Role string

// The roles.
const (
	Admin     Role = "admin"
	Librarian Role = "librarian"
)

// ParseRole returns the role s names (admin or librarian, in any case),
// or an error wrapping ErrRole that lists the roles.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case Admin, Librarian:
		return r, nil
	}
	return "", fmt.Errorf("%w %q: want admin or librarian", ErrRole, s)
}

// checkRole returns nil if role is Admin or Librarian.
func checkRole(role Role) error {
	if role != Admin && role != Librarian {
		return fmt.Errorf("%w %q: want admin or librarian", ErrRole, role)
	}
	return nil
}

// User is an account as List, Verify and VerifyToken tell it: a user who
// signs in with a password, or (Token) an API token.
type User struct {
	Name    string
	Role    Role
	Token   bool
	Created time.Time
}

// CheckName returns nil if name may name an account, or an error wrapping
// ErrName that says why not.
func CheckName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%w %q: want 1 to 64 characters", ErrName, name)
	}
	if name[0] == '-' {
		return fmt.Errorf("%w %q: it may not begin with -", ErrName, name)
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune("._@-", c):
		default:
			return fmt.Errorf("%w %q: use only letters a-z and A-Z, digits and . _ @ -", ErrName, name)
		}
	}
	return nil
}

// CheckPassword returns nil if password is long enough and not too long,
// or an error wrapping ErrPassword that says which (never the password).
func CheckPassword(password string) error {
	if n := utf8.RuneCountInString(password); n < MinPassword {
		return fmt.Errorf("%w: a password must have at least %d characters (this one has %d)", ErrPassword, MinPassword, n)
	}
	if len(password) > MaxPassword {
		return fmt.Errorf("%w: a password may have at most %d bytes, the most bcrypt reads (this one has %d)", ErrPassword, MaxPassword, len(password))
	}
	return nil
}

// Store is the accounts file at one path. Its methods are safe for
// concurrent use.
type Store struct {
	path string
	now  func() time.Time

	mu      sync.Mutex
	loaded  bool        // entries and seen hold the file as last read
	seen    fs.FileInfo // the file as last read or written; nil when missing
	entries []entry
}

// entry is one line of the file.
type entry struct {
	name    string
	token   bool
	role    Role
	hash    string
	created time.Time
}

func (e entry) user() User {
	return User{Name: e.name, Role: e.role, Token: e.token, Created: e.created}
}

// Open reads the accounts file at path (usually FileName in the data
// folder). A missing file is an empty store, created by the first write; a
// malformed one is an error naming path and the line.
func Open(path string) (*Store, error) {
	s := &Store{path: path, now: time.Now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the file's path.
func (s *Store) Path() string { return s.path }

// load reads the file again if it changed since it was last read. On an
// error the store holds nothing, so that nobody is let in, and the next
// call tries again. s.mu is held.
func (s *Store) load() error {
	fi, err := os.Lstat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.loaded, s.seen, s.entries = true, nil, nil
		return nil
	}
	if err != nil {
		s.loaded, s.seen, s.entries = false, nil, nil
		return fmt.Errorf("console users: %w", err)
	}
	if s.loaded && s.seen != nil && os.SameFile(s.seen, fi) &&
		fi.Size() == s.seen.Size() && fi.ModTime().Equal(s.seen.ModTime()) {
		return nil
	}
	entries, ofi, err := readFile(s.path)
	if errors.Is(err, fs.ErrNotExist) { // removed since the Lstat
		s.loaded, s.seen, s.entries = true, nil, nil
		return nil
	}
	if err != nil {
		s.loaded, s.seen, s.entries = false, nil, nil
		return err
	}
	s.loaded, s.seen, s.entries = true, ofi, entries
	return nil
}

// find returns the index of the account named name, or -1.
func find(entries []entry, name string) int {
	for i, e := range entries {
		if e.name == name {
			return i
		}
	}
	return -1
}

// change takes the lock file, reads the file again, lets f change its
// accounts and writes them.
func (s *Store) change(f func([]entry) ([]entry, error)) error {
	unlock, err := spool.Lock(context.Background(), s.path+".lock", true, lockWait, nil)
	if err != nil {
		return fmt.Errorf("console users: %w", err)
	}
	defer unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return err
	}
	next, err := f(append([]entry(nil), s.entries...))
	if err != nil {
		return err
	}
	fi, err := writeFile(s.path, format(next), s.seen)
	if err != nil {
		return err
	}
	s.loaded, s.seen, s.entries = true, fi, next
	return nil
}

// add adds e unless its name is taken.
func (s *Store) add(e entry) error {
	return s.change(func(entries []entry) ([]entry, error) {
		if i := find(entries, e.name); i >= 0 {
			what := "a console user"
			if entries[i].token {
				what = "an API token"
			}
			return nil, fmt.Errorf("%q is already %s in %s: %w", e.name, what, s.path, ErrExists)
		}
		return append(entries, e), nil
	})
}

// Add adds a user who signs in with password. It fails with ErrExists if
// a user or token has the name, and with ErrName, ErrRole or ErrPassword
// if name, role or password will not do.
func (s *Store) Add(name string, role Role, password string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if err := checkRole(role); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return s.add(entry{name: name, role: role, hash: hash, created: s.now().UTC().Truncate(time.Second)})
}

// SetPassword gives the user name a new password. It fails with
// ErrNotFound if there is no such user (an API token has no password),
// and with ErrPassword if password will not do.
func (s *Store) SetPassword(name, password string) error {
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return s.change(func(entries []entry) ([]entry, error) {
		i := find(entries, name)
		switch {
		case i < 0:
			return nil, fmt.Errorf("%q in %s: %w", name, s.path, ErrNotFound)
		case entries[i].token:
			return nil, fmt.Errorf("%q is an API token, which has no password: %w", name, ErrNotFound)
		}
		entries[i].hash = hash
		return entries, nil
	})
}

// Remove removes the user or token name, or fails with ErrNotFound.
func (s *Store) Remove(name string) error {
	return s.change(func(entries []entry) ([]entry, error) {
		i := find(entries, name)
		if i < 0 {
			return nil, fmt.Errorf("%q in %s: %w", name, s.path, ErrNotFound)
		}
		return append(entries[:i], entries[i+1:]...), nil
	})
}

// List returns the users and tokens, sorted by name.
func (s *Store) List() ([]User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return nil, err
	}
	out := make([]User, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e.user())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Verify says whether password is the password of the user name, and who
// that is. For an unknown name (or a token's) it still spends one bcrypt
// comparison, against a hash of nothing anyone knows, so the time taken
// does not tell which names exist. While the file cannot be read it lets
// nobody in.
func (s *Store) Verify(name, password string) (User, bool) {
	s.mu.Lock()
	var e entry
	found := false
	if s.load() == nil {
		if i := find(s.entries, name); i >= 0 && !s.entries[i].token {
			e, found = s.entries[i], true
		}
	}
	s.mu.Unlock()
	if !found {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return User{}, false
	}
	if bcrypt.CompareHashAndPassword([]byte(e.hash), []byte(password)) != nil {
		return User{}, false
	}
	return e.user(), true
}

// AddToken adds an API token named name with role, and returns the token:
// it is not stored, only its SHA-256 hash, so this is the one time anyone
// sees it. It fails with ErrExists if a user or token has the name.
func (s *Store) AddToken(name string, role Role) (token string, err error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	if err := checkRole(role); err != nil {
		return "", err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make a token: %w", err)
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	e := entry{name: name, token: true, role: role, hash: tokenHash(token), created: s.now().UTC().Truncate(time.Second)}
	if err := s.add(e); err != nil {
		return "", err
	}
	return token, nil
}

// VerifyToken says whether token is one AddToken made and that has not
// been removed, and whose it is. It compares the token's hash with every
// stored one in constant time. While the file cannot be read it lets
// nobody in.
func (s *Store) VerifyToken(token string) (User, bool) {
	want := []byte(tokenHash(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.load() != nil {
		return User{}, false
	}
	var who User
	found := 0
	for _, e := range s.entries {
		if e.token && subtle.ConstantTimeCompare([]byte(e.hash), want) == 1 {
			who, found = e.user(), found+1
		}
	}
	if found != 1 || !strings.HasPrefix(token, TokenPrefix) {
		return User{}, false
	}
	return who, true
}

// tokenHash is what the file holds for token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// hashCost is the bcrypt cost of new password hashes.
var hashCost = bcrypt.DefaultCost

// hashPassword checks password and returns its bcrypt hash.
func hashPassword(password string) (string, error) {
	if err := CheckPassword(password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), hashCost)
	if err != nil {
		return "", fmt.Errorf("hash the password: %w", err)
	}
	return string(h), nil
}

var (
	dummyOnce sync.Once
	dummy     []byte
)

// dummyHash is the bcrypt hash, at the cost of new hashes, of a random
// password that is then forgotten.
func dummyHash() []byte {
	dummyOnce.Do(func() {
		var b [18]byte
		_, _ = rand.Read(b[:])
		h, err := bcrypt.GenerateFromPassword([]byte(base64.RawStdEncoding.EncodeToString(b[:])), hashCost)
		if err != nil {
			panic(err) // a 24-byte password at a valid cost
		}
		dummy = h
	})
	return dummy
}

// dataFolder is the folder the file at path is in.
func dataFolder(path string) string {
	if d := filepath.Dir(path); d != "" {
		return d
	}
	return "."
}
