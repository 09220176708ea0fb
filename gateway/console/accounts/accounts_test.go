package accounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestMain(m *testing.M) {
	hashCost = bcrypt.MinCost // the file and its checks are tested, not bcrypt's cost
	os.Exit(m.Run())
}

// newStore opens the accounts file in a new test folder.
func newStore(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(spooltest.TempDir(t), FileName)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

func TestStore_AddVerify(t *testing.T) {
	s, path := newStore(t)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open made the file: %v", err)
	}
	when := time.Date(2025, 3, 4, 5, 6, 7, 800, time.UTC)
	s.now = func() time.Time { return when }
	if err := s.Add("alice", Admin, "correct horse"); err != nil {
		t.Fatal(err)
	}
	u, ok := s.Verify("alice", "correct horse")
	if want := (User{Name: "alice", Role: Admin, Created: when.Truncate(time.Second)}); !ok || u != want {
		t.Errorf("Verify = %+v, %v; want %+v, true", u, ok, want)
	}
	if u, ok := s.Verify("alice", "correct horsE"); ok {
		t.Errorf("a wrong password was accepted: %+v", u)
	}
	if u, ok := s.Verify("bob", "correct horse"); ok {
		t.Errorf("an unknown user was accepted: %+v", u)
	}
	if _, ok := s.Verify("alice", strings.Repeat("x", 100)); ok {
		t.Error("a long password was accepted")
	}

	// A new Store reads what the first wrote.
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.Verify("alice", "correct horse"); !ok {
		t.Error("a second Store does not know alice")
	}
}

func TestStore_AddExists(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Add("alice", Librarian, "0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddToken("ci", Admin); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("alice", Admin, "9876543210"); !errors.Is(err, ErrExists) {
		t.Errorf("Add of a taken name: %v, want ErrExists", err)
	}
	if err := s.Add("ci", Admin, "9876543210"); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "API token") {
		t.Errorf("Add of a token's name: %v, want ErrExists naming the token", err)
	}
	if _, err := s.AddToken("alice", Admin); !errors.Is(err, ErrExists) {
		t.Errorf("AddToken of a user's name: %v, want ErrExists", err)
	}
	if _, ok := s.Verify("alice", "0123456789"); !ok {
		t.Error("a refused Add changed alice's password")
	}
}

func TestStore_BadInput(t *testing.T) {
	s, path := newStore(t)
	for _, c := range []struct {
		name, password string
		role           Role
		is             error
		says           string
	}{
		{"", "0123456789", Admin, ErrName, "1 to 64"},
		{strings.Repeat("a", 65), "0123456789", Admin, ErrName, "1 to 64"},
		{"a b", "0123456789", Admin, ErrName, "letters"},
		{"a\tb", "0123456789", Admin, ErrName, "letters"},
		{"a\nb", "0123456789", Admin, ErrName, "letters"},
		{"zoë", "0123456789", Admin, ErrName, "letters"},
		{"-r", "0123456789", Admin, ErrName, "begin with -"},
		{"alice", "0123456789", "root", ErrRole, "admin or librarian"},
		{"alice", "0123456789", "Admin", ErrRole, "admin or librarian"},
		{"alice", "012345678", Admin, ErrPassword, "at least 10 characters"},
		{"alice", "ééééééééé", Admin, ErrPassword, "at least 10 characters"},
		{"alice", strings.Repeat("x", 73), Admin, ErrPassword, "at most 72 bytes"},
	} {
		err := s.Add(c.name, c.role, c.password)
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("Add(%q, %q, %d bytes) = %v; want %v saying %q", c.name, c.role, len(c.password), err, c.is, c.says)
		}
		if c.is == ErrPassword && strings.Contains(err.Error(), c.password) {
			t.Errorf("the error quotes the password: %v", err)
		}
	}
	for _, ok := range []string{"a", "alice.smith@example.org", "x_y-z", strings.Repeat("a", 64)} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v", ok, err)
		}
	}
	if err := s.Add("ten", Admin, "ééééééééééé"); err != nil { // 10 characters, 20 bytes
		t.Errorf("a password of 11 two-byte characters: %v", err)
	}
	if err := s.Add("long", Admin, strings.Repeat("x", 72)); err != nil {
		t.Errorf("a password of 72 bytes: %v", err)
	}
	if _, err := s.AddToken("a b", Admin); !errors.Is(err, ErrName) {
		t.Errorf("AddToken with a bad name: %v", err)
	}
	if _, err := s.AddToken("ci", ""); !errors.Is(err, ErrRole) {
		t.Errorf("AddToken with no role: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"admin": Admin, "Librarian": Librarian, " ADMIN ": Admin} {
		if r, err := ParseRole(in); err != nil || r != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, r, err)
		}
	}
	for _, in := range []string{"", "root", "admins"} {
		if _, err := ParseRole(in); !errors.Is(err, ErrRole) {
			t.Errorf("ParseRole(%q) = %v, want ErrRole", in, err)
		}
	}
}

func TestStore_SetPassword(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Add("alice", Librarian, "first password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddToken("ci", Librarian); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword("alice", "second password"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Verify("alice", "first password"); ok {
		t.Error("the old password still works")
	}
	if u, ok := s.Verify("alice", "second password"); !ok || u.Role != Librarian {
		t.Errorf("the new password: %+v, %v", u, ok)
	}
	if err := s.SetPassword("bob", "second password"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetPassword of an unknown user: %v", err)
	}
	if err := s.SetPassword("ci", "second password"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "token") {
		t.Errorf("SetPassword of a token: %v", err)
	}
	if err := s.SetPassword("alice", "short"); !errors.Is(err, ErrPassword) {
		t.Errorf("SetPassword with a short password: %v", err)
	}
	if _, ok := s.Verify("alice", "second password"); !ok {
		t.Error("a refused SetPassword changed the password")
	}
}

func TestStore_Remove(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Add("alice", Admin, "0123456789"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("bob", Admin, "0123456789"); err != nil {
		t.Fatal(err)
	}
	tok, err := s.AddToken("ci", Admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("ci"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Verify("alice", "0123456789"); ok {
		t.Error("a removed user signs in")
	}
	if _, ok := s.VerifyToken(tok); ok {
		t.Error("a removed token works")
	}
	if _, ok := s.Verify("bob", "0123456789"); !ok {
		t.Error("removing alice removed bob")
	}
	if err := s.Remove("alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove again: %v", err)
	}
	if l, err := s.List(); err != nil || len(l) != 1 || l[0].Name != "bob" {
		t.Errorf("List = %+v, %v", l, err)
	}
}

func TestStore_Token(t *testing.T) {
	s, path := newStore(t)
	tok, err := s.AddToken("ci", Librarian)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) != len(TokenPrefix)+43 || strings.ContainsAny(tok, "+/=\n") {
		t.Errorf("token %q: want sgt_ and 43 base64url characters", tok)
	}
	u, ok := s.VerifyToken(tok)
	if !ok || u.Name != "ci" || u.Role != Librarian || !u.Token {
		t.Errorf("VerifyToken = %+v, %v", u, ok)
	}
	for _, bad := range []string{"", TokenPrefix, tok[:len(tok)-1], tok + "x", strings.TrimPrefix(tok, TokenPrefix)} {
		if _, ok := s.VerifyToken(bad); ok {
			t.Errorf("VerifyToken(%q) accepted", bad)
		}
	}
	if _, ok := s.Verify("ci", tok); ok {
		t.Error("a token signs in as a user with its name")
	}
	tok2, err := s.AddToken("ci2", Admin)
	if err != nil || tok2 == tok {
		t.Fatalf("a second token: %q, %v", tok2, err)
	}
	if u, ok := s.VerifyToken(tok2); !ok || u.Name != "ci2" || u.Role != Admin {
		t.Errorf("VerifyToken(second) = %+v, %v", u, ok)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{tok, tok2, strings.TrimPrefix(tok, TokenPrefix)} {
		if strings.Contains(string(b), tk) {
			t.Errorf("the file holds the token:\n%s", b)
		}
	}
	if !strings.Contains(string(b), "ci\ttoken\tlibrarian\t"+tokenHash(tok)+"\t") {
		t.Errorf("the file lacks the token's hash:\n%s", b)
	}
	// The hash alone does not get in.
	if _, ok := s.VerifyToken(tokenHash(tok)); ok {
		t.Error("the stored hash works as a token")
	}

	// Another Store knows the token.
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.VerifyToken(tok); !ok {
		t.Error("a second Store does not know the token")
	}
}

// A change made through a second Store (the command, while the console
// runs) is seen by the first without reopening.
func TestStore_SeesOtherWriter(t *testing.T) {
	console, path := newStore(t)
	if l, err := console.List(); err != nil || len(l) != 0 {
		t.Fatalf("List of a missing file = %+v, %v", l, err)
	}
	cli, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.Add("bob", Librarian, "0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, ok := console.Verify("bob", "0123456789"); !ok {
		t.Fatal("the console does not see bob")
	}
	tok, err := cli.AddToken("ci", Admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := console.VerifyToken(tok); !ok {
		t.Fatal("the console does not see the token")
	}
	if err := cli.SetPassword("bob", "9876543210"); err != nil { // same length: same file size
		t.Fatal(err)
	}
	if _, ok := console.Verify("bob", "0123456789"); ok {
		t.Error("the console still takes bob's old password")
	}
	if _, ok := console.Verify("bob", "9876543210"); !ok {
		t.Error("the console does not take bob's new password")
	}
	if err := cli.Remove("bob"); err != nil {
		t.Fatal(err)
	}
	if _, ok := console.Verify("bob", "9876543210"); ok {
		t.Error("the console still lets bob in")
	}
	// The console writes too; the command sees it, and nothing is lost.
	if err := console.Add("carol", Admin, "0123456789"); err != nil {
		t.Fatal(err)
	}
	l, err := cli.List()
	if err != nil || len(l) != 2 || l[0].Name != "carol" || l[1].Name != "ci" || !l[1].Token {
		t.Errorf("List = %+v, %v", l, err)
	}
	// The file removed: nobody.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, ok := console.Verify("carol", "0123456789"); ok {
		t.Error("carol signs in after the file was removed")
	}
}

// Writers in parallel, through two Stores, lose nothing.
func TestStore_ParallelWriters(t *testing.T) {
	a, path := newStore(t)
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			if _, err := s.AddToken(fmt.Sprintf("t%d", i), Librarian); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if l, err := a.List(); err != nil || len(l) != 10 {
		t.Errorf("List = %d accounts, %v; want 10", len(l), err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.part"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestOpen_Malformed(t *testing.T) {
	good := "alice\tuser\tadmin\t$2a$04$0123456789012345678901uABCDEFGHIJKLMNOPQRSTUVWXYZ0123\t2025-01-02T03:04:05Z"
	tok := "ci\ttoken\tlibrarian\tsha256:" + strings.Repeat("ab", 32) + "\t2025-01-02T03:04:05Z"
	for _, c := range []struct {
		text string
		line int
		says string
	}{
		{"# c\n" + good + "\nbob\tuser\tadmin\n", 3, "5 fields"},
		{good + "\n" + strings.Replace(good, "alice", "a b", 1) + "\n", 2, "letters"},
		{strings.Replace(good, "\tuser\t", "\tpatron\t", 1), 1, "user or token"},
		{strings.Replace(good, "\tadmin\t", "\troot\t", 1), 1, "admin or librarian"},
		{strings.Replace(good, "$2a$04$", "$9$", 1), 1, "bcrypt"},
		{"\n\n" + strings.Replace(tok, "sha256:", "md5:", 1), 3, "sha256"},
		{strings.Replace(tok, "ab", "AB", 1), 1, "lowercase"},
		{strings.Replace(good, "2025-01-02T03:04:05Z", "yesterday", 1), 1, "created"},
		{good + "\n" + tok + "\n" + good + "\n", 3, "line 1 too"},
		{good + "\textra", 1, "found 6"},
	} {
		path := filepath.Join(spooltest.TempDir(t), FileName)
		if err := os.WriteFile(path, []byte(c.text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), path) ||
			!strings.Contains(err.Error(), fmt.Sprintf("line %d:", c.line)) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: Open = %v; want ErrMalformed naming %s, line %d, saying %q", c.text, err, path, c.line, c.says)
		}
		if err != nil && strings.Contains(err.Error(), "0123456789012345678901u") {
			t.Errorf("the error quotes a hash: %v", err)
		}
	}

	// Good lines, Windows line ends, comments and blank lines are fine.
	path := filepath.Join(spooltest.TempDir(t), FileName)
	if err := os.WriteFile(path, []byte("# users\r\n\r\n"+good+"\r\n"+tok+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := s.List(); err != nil || len(l) != 2 {
		t.Fatalf("List = %+v, %v", l, err)
	}

	// A file that turns bad while the console runs: List says so, and
	// nobody gets in until it is mended.
	if err := s.Add("bob", Admin, "0123456789"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(b, "oops\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(); !errors.Is(err, ErrMalformed) {
		t.Errorf("List of a broken file: %v", err)
	}
	if _, ok := s.Verify("bob", "0123456789"); ok {
		t.Error("bob signs in while the file is broken")
	}
	if err := s.Add("carol", Admin, "0123456789"); !errors.Is(err, ErrMalformed) {
		t.Errorf("Add to a broken file: %v", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Verify("bob", "0123456789"); !ok {
		t.Error("bob does not sign in once the file is mended")
	}
}

// Every file parse accepts is written back as the same accounts.
func FuzzParse(f *testing.F) {
	f.Add("alice\tuser\tadmin\t$2a$04$0123456789012345678901uABCDEFGHIJKLMNOPQRSTUVWXYZ0123\t2025-01-02T03:04:05Z\n")
	f.Add("ci\ttoken\tlibrarian\tsha256:" + strings.Repeat("ab", 32) + "\t2025-01-02T03:04:05+02:00\r\n# x\n")
	f.Fuzz(func(t *testing.T, text string) {
		entries, err := parse("f", []byte(text))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		again, err := parse("f", format(entries))
		if err != nil || len(again) != len(entries) {
			t.Fatalf("written back: %d entries, %v; want %d", len(again), err, len(entries))
		}
		for i := range entries {
			a, b := entries[i], again[i]
			if a.name != b.name || a.token != b.token || a.role != b.role || a.hash != b.hash || !a.created.Equal(b.created) {
				t.Fatalf("entry %d: %+v written back as %+v", i, a, b)
			}
		}
	})
}
