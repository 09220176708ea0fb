package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// consoleConfig writes a config whose data folder is dir/data (not made
// yet) and returns its path and the accounts file's.
func consoleConfig(t *testing.T) (cfg, file string) {
	t.Helper()
	dir := spooltest.TempDir(t)
	if err := os.Mkdir(filepath.Join(dir, "queue"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg = writeConfig(t, dir, "[spool]\nfolder = queue\ndata = data\n\n[smtp]\ncapture = outbox\n\n[message]\nfrom = library@example.org\n")
	return cfg, filepath.Join(dir, "data", accounts.FileName)
}

// runConsole runs spoolgate console with args and stdin as standard input.
func runConsole(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	old := consoleStdin
	consoleStdin = strings.NewReader(stdin)
	defer func() { consoleStdin = old }()
	return runCmd(append([]string{"console"}, args...)...)
}

func TestConsole_Users(t *testing.T) {
	cfg, file := consoleConfig(t)

	out, errOut, code := runConsole(t, "", "user", "list", "--config", cfg)
	if code != 0 || !strings.Contains(out, "There are no console users") {
		t.Fatalf("list of none: exit %d\n%s%s", code, out, errOut)
	}

	out, errOut, code = runConsole(t, "first password\nfirst password\n", "user", "add", "alice", "--role", "admin", "--config", cfg)
	if code != 0 {
		t.Fatalf("add: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"alice", "admin", file, "[console] listen", "http://127.0.0.1:8025/"} {
		if !strings.Contains(out, want) {
			t.Errorf("add says %q, without %q", out, want)
		}
	}
	if strings.Count(out, "\n") != 1 || strings.Contains(out+errOut, "first password") {
		t.Errorf("add printed:\n%s%s", out, errOut)
	}

	// The flags may come first; the password from a file, its first line.
	pwf := filepath.Join(filepath.Dir(cfg), "pw")
	if err := os.WriteFile(pwf, []byte("bobs password\r\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runConsole(t, "", "user", "add", "--config", cfg, "--role", "Librarian", "--password-file", pwf, "bob"); code != 0 {
		t.Fatalf("add bob: exit %d\n%s%s", code, out, errOut)
	}

	// A name taken.
	out, errOut, code = runConsole(t, "other password\nother password\n", "user", "add", "alice", "--role", "librarian", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "alice is already a console user") {
		t.Errorf("add again: exit %d\n%s%s", code, out, errOut)
	}

	out, errOut, code = runConsole(t, "", "user", "list", "--config", cfg)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") ||
		!strings.Contains(lines[1], "alice") || !strings.Contains(lines[1], "admin") ||
		!strings.Contains(lines[2], "bob") || !strings.Contains(lines[2], "librarian") || !strings.Contains(lines[2], "user") {
		t.Errorf("list: exit %d\n%s%s", code, out, errOut)
	}

	s, err := accounts.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := s.Verify("alice", "first password"); !ok || u.Role != accounts.Admin {
		t.Errorf("alice: %+v, %v", u, ok)
	}
	if u, ok := s.Verify("bob", "bobs password"); !ok || u.Role != accounts.Librarian {
		t.Errorf("bob: %+v, %v", u, ok)
	}

	// passwd: the two lines must agree.
	out, errOut, code = runConsole(t, "new password!\nnew passw0rd!\n", "user", "passwd", "alice", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "differ") {
		t.Errorf("passwd, two different: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runConsole(t, "new password!\n", "user", "passwd", "alice", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "twice") {
		t.Errorf("passwd, once: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runConsole(t, "new password!\nnew password!\n", "user", "passwd", "alice", "--config", cfg)
	if code != 0 || !strings.Contains(out, "Changed the password of console user alice") {
		t.Errorf("passwd: exit %d\n%s%s", code, out, errOut)
	}
	if _, ok := s.Verify("alice", "first password"); ok {
		t.Error("alice's old password still works")
	}
	if _, ok := s.Verify("alice", "new password!"); !ok {
		t.Error("alice's new password does not work")
	}
	out, errOut, code = runConsole(t, "new password!\nnew password!\n", "user", "passwd", "carol", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "carol") || !strings.Contains(errOut, "no such") {
		t.Errorf("passwd of nobody: exit %d\n%s%s", code, out, errOut)
	}

	out, errOut, code = runConsole(t, "", "user", "remove", "alice", "--config", cfg)
	if code != 0 || !strings.Contains(out, "Removed console user alice") {
		t.Errorf("remove: exit %d\n%s%s", code, out, errOut)
	}
	if _, ok := s.Verify("alice", "new password!"); ok {
		t.Error("alice signs in after remove")
	}
	if _, errOut, code := runConsole(t, "", "user", "remove", "alice", "--config", cfg); code != 1 || !strings.Contains(errOut, "no such") {
		t.Errorf("remove again: exit %d\n%s", code, errOut)
	}
}

func TestConsole_Tokens(t *testing.T) {
	cfg, file := consoleConfig(t)
	out, errOut, code := runConsole(t, "", "token", "add", "ci", "--role", "librarian", "--config", cfg)
	if code != 0 {
		t.Fatalf("token add: exit %d\n%s%s", code, out, errOut)
	}
	tok := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(tok, accounts.TokenPrefix) || strings.Contains(tok, "\n") || strings.Contains(errOut, tok) {
		t.Fatalf("token add printed:\n%s\nand on stderr:\n%s", out, errOut)
	}
	if !strings.Contains(errOut, "once") || !strings.Contains(errOut, "[console] listen") {
		t.Errorf("token add says:\n%s", errOut)
	}
	s, err := accounts.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := s.VerifyToken(tok); !ok || u.Name != "ci" || u.Role != accounts.Librarian || !u.Token {
		t.Errorf("VerifyToken = %+v, %v", u, ok)
	}
	if b, _ := os.ReadFile(file); strings.Contains(string(b), tok) {
		t.Error("the file holds the token")
	}

	if err := s.Add("alice", accounts.Admin, "0123456789"); err != nil {
		t.Fatal(err)
	}
	out, _, code = runConsole(t, "", "token", "list", "--config", cfg)
	if code != 0 || !strings.Contains(out, "ci") || !strings.Contains(out, "token") || strings.Contains(out, "alice") {
		t.Errorf("token list: exit %d\n%s", code, out)
	}
	out, _, code = runConsole(t, "", "user", "list", "--config", cfg)
	if code != 0 || !strings.Contains(out, "ci") || !strings.Contains(out, "alice") {
		t.Errorf("user list: exit %d\n%s", code, out)
	}

	// Each kind is removed by its own command.
	if _, errOut, code := runConsole(t, "", "user", "remove", "ci", "--config", cfg); code != 1 || !strings.Contains(errOut, "console token remove ci") {
		t.Errorf("user remove of a token: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := runConsole(t, "", "token", "remove", "alice", "--config", cfg); code != 1 || !strings.Contains(errOut, "not an API token") {
		t.Errorf("token remove of a user: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := runConsole(t, "", "token", "add", "alice", "--role", "admin", "--config", cfg); code != 1 || !strings.Contains(errOut, "already a console user") {
		t.Errorf("token add of a user's name: exit %d\n%s", code, errOut)
	}
	out, errOut, code = runConsole(t, "", "token", "remove", "ci", "--config", cfg)
	if code != 0 || !strings.Contains(out, "Removed API token ci") {
		t.Errorf("token remove: exit %d\n%s%s", code, out, errOut)
	}
	if _, ok := s.VerifyToken(tok); ok {
		t.Error("the token works after remove")
	}
}

func TestConsole_BadUsage(t *testing.T) {
	cfg, file := consoleConfig(t)
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"user", "add", "alice", "--role", "root"}, 2, "admin or librarian"},
		{[]string{"user", "add", "alice"}, 2, "--role"},
		{[]string{"token", "add", "ci", "--role", "superuser"}, 2, "admin or librarian"},
		{[]string{"user", "add", "--role", "admin"}, 2, "name one account"},
		{[]string{"user", "add", "a", "b", "--role", "admin"}, 2, "name one account"},
		{[]string{"user", "add", "a b", "--role", "admin"}, 2, "letters"},
		{[]string{"user", "remove", "a\tb"}, 2, "letters"},
		{[]string{"user", "list", "alice"}, 2, "unexpected argument"},
		{[]string{"user", "list", "--role", "admin"}, 2, "flag provided but not defined"},
		{[]string{"token", "add", "ci", "--role", "admin", "--password-file", "x"}, 2, "flag provided but not defined"},
		{[]string{"user", "delete", "alice"}, 2, "unknown command"},
		{[]string{"user"}, 2, "say what to do"},
		{[]string{"group", "add", "x"}, 2, "unknown command"},
	} {
		args := append(c.args, "--config", cfg)
		_, errOut, code := runConsole(t, "0123456789\n0123456789\n", args...)
		if code != c.code || !strings.Contains(errOut, c.says) {
			t.Errorf("console %q: exit %d, want %d saying %q\n%s", c.args, code, c.code, c.says, errOut)
		}
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused command wrote the file: %v", err)
	}
}

func TestConsole_BadPassword(t *testing.T) {
	cfg, file := consoleConfig(t)
	out, errOut, code := runConsole(t, "short\nshort\n", "user", "add", "alice", "--role", "admin", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "at least 10 characters") || strings.Contains(errOut, "short\n") {
		t.Errorf("a short password: exit %d\n%s%s", code, out, errOut)
	}
	long := strings.Repeat("x", 73)
	out, errOut, code = runConsole(t, long+"\n"+long+"\n", "user", "add", "alice", "--role", "admin", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "at most 72 bytes") {
		t.Errorf("a long password: exit %d\n%s%s", code, out, errOut)
	}
	empty := filepath.Join(filepath.Dir(cfg), "empty")
	if err := os.WriteFile(empty, []byte("\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runConsole(t, "", "user", "add", "alice", "--role", "admin", "--password-file", empty, "--config", cfg); code != 1 || !strings.Contains(errOut, "empty") {
		t.Errorf("an empty password file: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := runConsole(t, "", "user", "add", "alice", "--role", "admin", "--password-file", empty+".missing", "--config", cfg); code != 1 || !strings.Contains(errOut, "--password-file") {
		t.Errorf("a missing password file: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused password wrote the file: %v", err)
	}
}
