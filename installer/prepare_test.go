package installer

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
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
	groups   map[string]*unixGroup
	runs     [][]string
	chowns   []string // "path uid:gid"
	fail     string   // a command that fails
}

// newFakeSystem holds the accounts, each with its primary group, and any
// more groups.
func newFakeSystem(accounts ...*account) *fakeSystem {
	f := &fakeSystem{accounts: map[string]*account{}, groups: map[string]*unixGroup{}}
	for _, a := range accounts {
		f.accounts[a.Name] = a
		if a.Group != "" && f.groups[a.Group] == nil {
			f.groups[a.Group] = &unixGroup{Name: a.Group, GID: a.GID}
		}
	}
	return f
}

// fakeQueueGID is the gid groupadd gives in a fakeSystem.
const fakeQueueGID = 4343

func (f *fakeSystem) lookupGroup(name string) (*unixGroup, error) {
	if g, ok := f.groups[name]; ok {
		c := *g
		c.Members = slices.Clone(g.Members)
		return &c, nil
	}
	return nil, fmt.Errorf("group %s: %w", name, errNoGroup)
}

// member reports whether account is a supplementary member of group.
func (f *fakeSystem) member(account, group string) bool {
	g := f.groups[group]
	return g != nil && slices.Contains(g.Members, account)
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
	switch argv[0] {
	case "useradd":
		name := argv[len(argv)-1]
		uid, gid := testIDs()
		f.accounts[name] = &account{Name: name, UID: uid, GID: gid, Group: name}
		f.groups[name] = &unixGroup{Name: name, GID: gid}
	case "groupadd":
		name := argv[len(argv)-1]
		f.groups[name] = &unixGroup{Name: name, GID: fakeQueueGID}
	case "usermod": // usermod --append --groups GROUP USER
		g := f.groups[argv[3]]
		if g == nil {
			return fmt.Errorf("usermod: group %s does not exist", argv[3])
		}
		if !slices.Contains(g.Members, argv[4]) {
			g.Members = append(g.Members, argv[4])
		}
	case "gpasswd": // gpasswd --delete USER GROUP
		if g := f.groups[argv[3]]; g != nil {
			g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == argv[2] })
		}
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
	sort.Strings(want)
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

	// An OAuth2 sign-in's client secret file, in a chain of its own.
	dir := spooltest.TempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "m365.secret"), []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	m365 := site(t, "\n[smtp.m365]\nauth = oauth2\noauth_provider = microsoft\noauth_tenant = contoso.onmicrosoft.com\n"+
		"oauth_client_id = 00000000-0000-0000-0000-000000000001\noauth_client_secret_file = `"+filepath.Join(dir, "m365.secret")+"`\n"+
		"username = library@contoso.org\n")
	if got := passwordFiles(m365); !reflect.DeepEqual(got, []string{filepath.Join(dir, "m365.secret")}) {
		t.Errorf("oauth_client_secret_file: passwordFiles = %q", got)
	}
	if got := secretFiles(m365); len(got) != 2 || got[0] != m365.File {
		t.Errorf("an OAuth2 sign-in: secretFiles = %q", got)
	}
}

func TestIcaclsCommands(t *testing.T) {
	cfg := &config.Config{
		File:    `C:\ProgramData\spoolgate\spoolgate.ini`,
		Spool:   config.Spool{Folder: `D:\ILS\pickup`, Data: `C:\ProgramData\spoolgate\data`},
		Capture: `C:\ProgramData\spoolgate\outbox`,
	}
	folder := func(p string, extra ...string) [][]string {
		return [][]string{
			{"icacls", p, "/reset", "/T", "/C", "/Q"},
			append([]string{"icacls", p, "/inheritance:r", "/grant:r", "*S-1-5-18:(OI)(CI)F", "*S-1-5-32-544:(OI)(CI)F"}, extra...),
			{"icacls", p, "/setowner", "*S-1-5-32-544", "/T", "/C", "/Q"},
		}
	}
	file := func(p string) [][]string {
		return [][]string{
			{"icacls", p, "/reset", "/C", "/Q"},
			{"icacls", p, "/inheritance:r", "/grant:r", "*S-1-5-18:F", "*S-1-5-32-544:F"},
			{"icacls", p, "/setowner", "*S-1-5-32-544", "/C", "/Q"},
		}
	}
	var want [][]string
	want = append(want, folder(`C:\ProgramData\spoolgate\data`)...)
	want = append(want, folder(`C:\ProgramData\spoolgate\outbox`)...)
	want = append(want, file(`C:\ProgramData\spoolgate\spoolgate.ini`)...)
	want = append(want, folder(`D:\ILS\pickup`, `LIBRARY\ils-svc:(OI)(CI)M`)...)
	if got := icaclsCommands(cfg, `LIBRARY\ils-svc`); !reflect.DeepEqual(got, want) {
		t.Errorf("icaclsCommands:\n got %q\nwant %q", got, want)
	}
	// Without a writer, the queue folder keeps what it inherits.
	cfg.Capture = ""
	got := icaclsCommands(cfg, "")
	if len(got) != 6 || got[0][1] != cfg.Spool.Data || got[3][1] != cfg.File {
		t.Errorf("without capture and writer: %q", got)
	}

	// Password files are locked down like the config.
	withFile := site(t, "username = library\npassword_file = secret.txt\n")
	got = icaclsCommands(withFile, "")
	secret := filepath.Join(filepath.Dir(withFile.File), "secret.txt")
	if w := file(secret); !reflect.DeepEqual(got[len(got)-3:], w) {
		t.Errorf("the password file's commands: %q, want %q", got[len(got)-3:], w)
	}
}

func TestParseGroupLine(t *testing.T) {
	g, err := parseGroupLine("spoolgate-queue:x:998:spoolgate,koha\n")
	if err != nil || g.Name != "spoolgate-queue" || g.GID != 998 || !reflect.DeepEqual(g.Members, []string{"spoolgate", "koha"}) {
		t.Errorf("parseGroupLine: %+v, %v", g, err)
	}
	if g, err := parseGroupLine("spoolgate:x:997:"); err != nil || len(g.Members) != 0 {
		t.Errorf("no members: %+v, %v", g, err)
	}
	for _, bad := range []string{"", "spoolgate:x:997", "spoolgate:x:many:"} {
		if _, err := parseGroupLine(bad); err == nil {
			t.Errorf("parseGroupLine(%q) accepted", bad)
		}
	}
}
