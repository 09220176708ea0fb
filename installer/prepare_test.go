package installer

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// fakeSystem stands in for the account database and the commands that
// change it, which tests must not touch. useradd "creates" an account with
// the ids of testIDs. chown is real when the test runs as root (which may
// give files away); it is recorded either way.
type fakeSystem struct {
	accounts map[string]*account
	runs     [][]string
	chowns   []string // "path uid:gid"
	fail     string   // a command that fails
}

func newFakeSystem(accounts ...*account) *fakeSystem {
	f := &fakeSystem{accounts: map[string]*account{}}
	for _, a := range accounts {
		f.accounts[a.Name] = a
	}
	return f
}

func (f *fakeSystem) lookupUser(name string) (*account, error) {
	if a, ok := f.accounts[name]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("account %s: %w", name, errNoAccount)
}

func (f *fakeSystem) run(argv []string) error {
	f.runs = append(f.runs, argv)
	if argv[0] == f.fail {
		return fmt.Errorf("%s: exit status 1", argv[0])
	}
	if argv[0] == "useradd" {
		name := argv[len(argv)-1]
		uid, gid := testIDs()
		f.accounts[name] = &account{Name: name, UID: uid, GID: gid, Group: name}
	}
	return nil
}

func (f *fakeSystem) chown(path string, uid, gid int) error {
	f.chowns = append(f.chowns, fmt.Sprintf("%s %d:%d", path, uid, gid))
	if os.Geteuid() == 0 {
		return os.Chown(path, uid, gid)
	}
	return nil
}

// testIDs are the uid and gid of the service's account in tests: made up
// when the test runs as root, so that root can give files to it for real;
// otherwise the test's own, as nobody else can give files away.
func testIDs() (uid, gid int) {
	if os.Geteuid() == 0 {
		return 4242, 4242
	}
	return os.Getuid(), os.Getgid()
}

// site writes a config (with extra lines in [smtp]) and the files it
// names into a new folder, loads it, and returns it.
func site(t *testing.T, smtp string) *config.Config {
	t.Helper()
	dir := spooltest.TempDir(t)
	if err := os.Chmod(dir, 0o755); err != nil { // as /etc/spoolgate would be
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("s3cret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ini := "[spool]\nfolder = queue\ndata = state\n\n[smtp]\nhost = mail.example.org\nsecurity = starttls\n" + smtp +
		"\n[message]\nfrom = library@example.org\n"
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestPasswordFiles(t *testing.T) {
	abs := filepath.Join(spooltest.TempDir(t), "backup password.txt")
	if err := os.WriteFile(abs, []byte("pw2"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := site(t, "username = library\npassword_file = secret.txt ; the relay's\nnext = backup\n\n"+
		"[smtp.backup]\nhost = backup.example.org\nsecurity = tls\nusername = library\npassword_file = `"+abs+"`\n")
	want := []string{filepath.Join(filepath.Dir(cfg.File), "secret.txt"), abs}
	if got := passwordFiles(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("passwordFiles = %q, want %q", got, want)
	}
	if got := secretFiles(cfg); !reflect.DeepEqual(got, append([]string{cfg.File}, want...)) {
		t.Errorf("secretFiles = %q", got)
	}

	inline := site(t, "username = library\npassword = `p;a #ss`\n")
	if got := passwordFiles(inline); len(got) != 0 {
		t.Errorf("no password_file: passwordFiles = %q", got)
	}
	if got := secretFiles(inline); !reflect.DeepEqual(got, []string{inline.File}) {
		t.Errorf("a password in the config: secretFiles = %q", got)
	}
	if got := secretFiles(site(t, "")); len(got) != 0 {
		t.Errorf("no password: secretFiles = %q", got)
	}
}

func TestIcaclsCommands(t *testing.T) {
	cfg := &config.Config{
		File:    `C:\ProgramData\spoolgate\spoolgate.ini`,
		Spool:   config.Spool{Folder: `D:\ILS\pickup`, Data: `C:\ProgramData\spoolgate\data`},
		Capture: `C:\ProgramData\spoolgate\outbox`,
	}
	want := [][]string{
		{"icacls", `C:\ProgramData\spoolgate\data`, "/inheritance:r", "/grant:r", "*S-1-5-18:(OI)(CI)F", "*S-1-5-32-544:(OI)(CI)F"},
		{"icacls", `C:\ProgramData\spoolgate\outbox`, "/inheritance:r", "/grant:r", "*S-1-5-18:(OI)(CI)F", "*S-1-5-32-544:(OI)(CI)F"},
		{"icacls", `C:\ProgramData\spoolgate\spoolgate.ini`, "/inheritance:r", "/grant:r", "*S-1-5-18:F", "*S-1-5-32-544:F"},
		{"icacls", `D:\ILS\pickup`, "/grant", `LIBRARY\ils-svc:(OI)(CI)M`},
	}
	if got := icaclsCommands(cfg, `LIBRARY\ils-svc`); !reflect.DeepEqual(got, want) {
		t.Errorf("icaclsCommands:\n got %q\nwant %q", got, want)
	}
	cfg.Capture = ""
	got := icaclsCommands(cfg, "")
	if len(got) != 2 || got[0][1] != cfg.Spool.Data || got[1][1] != cfg.File {
		t.Errorf("without capture and writer: %q", got)
	}

	// Password files are locked down like the config.
	withFile := site(t, "username = library\npassword_file = secret.txt\n")
	got = icaclsCommands(withFile, "")
	last := got[len(got)-1]
	if last[1] != filepath.Join(filepath.Dir(withFile.File), "secret.txt") || !strings.HasPrefix(last[5], "*S-1-5-32-544:") {
		t.Errorf("the password file's command: %q", last)
	}
}
