//go:build !windows

package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// testExe is a program every account may run, standing in for spoolgate.
func testExe(t *testing.T) string {
	t.Helper()
	p := filepath.Join(spooltest.TempDir(t), "spoolgate")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (fs.ModePerm | fs.ModeSetgid); got != want {
		t.Errorf("%s: mode %s, want %s", path, modeString(got), modeString(want))
	}
}

// wantOwner checks the owner on disk when the test could give files away
// (as root), and what install asked for always.
func wantOwner(t *testing.T, sys *fakeSystem, path string, uid, gid int) {
	t.Helper()
	call := fmt.Sprintf("%s %d:%d", path, uid, gid)
	if !slices.Contains(sys.chowns, call) {
		t.Errorf("no chown %s among %q", call, sys.chowns)
	}
	if os.Geteuid() != 0 {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("%s: owner %d:%d, want %d:%d", path, st.Uid, st.Gid, uid, gid)
	}
}

func TestPrepare_CreatesAccountFoldersAndLocksTheConfig(t *testing.T) {
	cfg := site(t, "username = library\npassword_file = secret.txt\n")
	cfg.Capture = filepath.Join(filepath.Dir(cfg.File), "outbox")
	secret := filepath.Join(filepath.Dir(cfg.File), "secret.txt")
	sys := newFakeSystem()
	cwd := spooltest.TempDir(t)
	t.Chdir(cwd)

	r, err := prepare(cfg, Options{}, testExe(t), sys)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{userAddCommand("spoolgate"), {"groupadd", "--system", "spoolgate-queue"},
		{"usermod", "--append", "--groups", "spoolgate-queue", "spoolgate"}}; !reflect.DeepEqual(sys.runs, want) {
		t.Errorf("commands run: %q, want %q", sys.runs, want)
	}
	if want := []string{"useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
		"--shell", "/usr/sbin/nologin", "--comment", "Spoolgate mail gateway", "spoolgate"}; !reflect.DeepEqual(userAddCommand("spoolgate"), want) {
		t.Errorf("useradd command: %q", userAddCommand("spoolgate"))
	}
	wantMode(t, cfg.Spool.Folder, 0o770|fs.ModeSetgid)
	wantMode(t, cfg.Spool.Data, 0o750)
	wantMode(t, cfg.Capture, 0o750)
	wantMode(t, cfg.File, 0o640)
	wantMode(t, secret, 0o640)
	uid, gid := testIDs()
	wantOwner(t, sys, cfg.Spool.Folder, uid, fakeQueueGID)
	for _, d := range []string{cfg.Spool.Data, cfg.Capture} {
		wantOwner(t, sys, d, uid, gid)
	}
	wantOwner(t, sys, cfg.File, 0, gid)
	wantOwner(t, sys, secret, 0, gid)

	text := strings.Join(r.Done, "\n")
	for _, want := range []string{"created the system account spoolgate", "created the group spoolgate-queue",
		"created the queue folder " + cfg.Spool.Folder + ": owner spoolgate, group spoolgate-queue, mode 2770",
		"data folder " + cfg.Spool.Data + ": owner spoolgate, group spoolgate, mode 0750", "mode 0640"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "usermod -a -G spoolgate-queue") {
		t.Errorf("notes: %q", r.Notes)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings after locking the secrets: %q", r.Warnings)
	}
	if ents, _ := os.ReadDir(cwd); len(ents) != 0 {
		t.Errorf("prepare left %d files in the working folder", len(ents))
	}
}

// An install from before the queue group put the ILS account in the
// service's group, which reads the config, the password files and the
// data folder. Run again with --writer, install moves it to the queue
// group: afterwards it is in the queue group only, and the queue folder
// alone is that group's.
func TestPrepare_ExistingAccountQueueAndWriter(t *testing.T) {
	cfg := site(t, "username = library\npassword_file = secret.txt\n")
	secret := filepath.Join(filepath.Dir(cfg.File), "secret.txt")
	if err := os.MkdirAll(cfg.Spool.Folder, 0o755); err != nil {
		t.Fatal(err)
	}
	waiting := filepath.Join(cfg.Spool.Folder, "notice.eml")
	if err := os.WriteFile(waiting, []byte("To: a@example.org\n\nhi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sys := newFakeSystem(&account{Name: "mailgw", UID: 4300, GID: 4301, Group: "mailers"},
		&account{Name: "koha", UID: 4400, GID: 4400, Group: "koha"})
	sys.groups["mailers"].Members = []string{"koha", "alice"} // as the old install left it, and an admin

	r, err := prepare(cfg, Options{User: "mailgw", Writer: "koha"}, testExe(t), sys)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{
		{"groupadd", "--system", "mailgw-queue"},
		{"usermod", "--append", "--groups", "mailgw-queue", "mailgw"},
		{"usermod", "--append", "--groups", "mailgw-queue", "koha"},
		{"gpasswd", "--delete", "koha", "mailers"},
	}; !reflect.DeepEqual(sys.runs, want) {
		t.Errorf("commands run:\n%q\nwant\n%q", sys.runs, want)
	}
	// The writer is in the queue group only; the service is in both.
	if !sys.member("koha", "mailgw-queue") || sys.member("koha", "mailers") {
		t.Errorf("koha: in mailgw-queue %v, in mailers %v; want only the queue group",
			sys.member("koha", "mailgw-queue"), sys.member("koha", "mailers"))
	}
	if !sys.member("mailgw", "mailgw-queue") {
		t.Error("the service account is not in the queue group")
	}
	// The queue folder is the queue group's; the config, the password
	// file and the data folder are the service group's, and nothing of
	// them is open to the queue group or to others.
	wantMode(t, cfg.Spool.Folder, 0o770|fs.ModeSetgid)
	wantOwner(t, sys, cfg.Spool.Folder, 4300, fakeQueueGID)
	wantMode(t, cfg.Spool.Data, 0o750)
	wantOwner(t, sys, cfg.Spool.Data, 4300, 4301)
	for _, p := range []string{cfg.File, secret} {
		wantMode(t, p, 0o640)
		wantOwner(t, sys, p, 0, 4301)
	}
	for _, c := range sys.chowns {
		if strings.HasSuffix(c, fmt.Sprintf(":%d", fakeQueueGID)) && !strings.HasPrefix(c, cfg.Spool.Folder+" ") {
			t.Errorf("something besides the queue folder was given to the queue group: %s", c)
		}
	}
	if _, err := os.Stat(waiting); err != nil {
		t.Errorf("a file waiting in the queue: %v", err)
	}
	text := strings.Join(r.Done, "\n")
	for _, want := range []string{"set the queue folder", "added koha to the group mailgw-queue", "removed koha from the group mailers"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	if len(r.Notes) != 0 {
		t.Errorf("notes with --writer: %q", r.Notes)
	}
	// Another member of the service's group is told of, not removed.
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "alice is in the group mailers") {
		t.Errorf("warnings: %q", r.Warnings)
	}

	// Run again, it has nothing left to change in the groups.
	sys.runs = nil
	if _, err := prepare(cfg, Options{User: "mailgw", Writer: "koha"}, testExe(t), sys); err != nil {
		t.Fatal(err)
	}
	if len(sys.runs) != 0 {
		t.Errorf("the second run ran %q", sys.runs)
	}
}

// Without --writer, install says how to add the ILS account to the queue
// group, and warns of an account in the service's group.
func TestPrepare_WarnsOfTheOldWriterGroup(t *testing.T) {
	cfg := site(t, "")
	sys := newFakeSystem(&account{Name: "spoolgate", UID: 4300, GID: 4301, Group: "spoolgate"})
	sys.groups["spoolgate"].Members = []string{"koha"}
	r, err := prepare(cfg, Options{}, testExe(t), sys)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "koha is in the group spoolgate") ||
		!strings.Contains(r.Warnings[0], "--writer koha") {
		t.Errorf("warnings: %q", r.Warnings)
	}
	if !sys.member("koha", "spoolgate") {
		t.Error("an account was taken out of the service's group without --writer")
	}
}

// failing is a fakeSystem whose command cmd fails.
func failing(cmd string, accounts ...*account) *fakeSystem {
	f := newFakeSystem(accounts...)
	f.fail = cmd
	return f
}

// Every refusal comes before anything is created.
func TestPrepare_Refusals(t *testing.T) {
	for name, c := range map[string]struct {
		o    Options
		sys  *fakeSystem
		want string
	}{
		"root":                  {Options{User: "root"}, newFakeSystem(&account{Name: "root", Group: "root"}), "unprivileged"},
		"bad name":              {Options{User: "Spool Gate"}, newFakeSystem(), "account name"},
		"no writer":             {Options{Writer: "koha"}, newFakeSystem(), "--writer koha"},
		"useradd fails":         {Options{}, failing("useradd"), "create the account spoolgate"},
		"groupadd fails":        {Options{}, failing("groupadd"), "create the group spoolgate-queue"},
		"usermod fails":         {Options{Writer: "koha"}, failing("usermod", &account{Name: "koha", UID: 4400, GID: 4400, Group: "koha"}), "usermod"},
		"writer is the service": {Options{Writer: "spoolgate"}, newFakeSystem(), "--writer spoolgate is the account the service runs as"},
		"writer is root":        {Options{Writer: "root"}, newFakeSystem(&account{Name: "root", Group: "root"}), "--writer root is root"},
	} {
		cfg := site(t, "")
		_, err := prepare(cfg, c.o, testExe(t), c.sys)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.want)
		}
		if _, err := os.Stat(cfg.Spool.Folder); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: the queue folder was created (%v)", name, err)
		}
		if len(c.sys.chowns) != 0 {
			t.Errorf("%s: chown before the refusal: %q", name, c.sys.chowns)
		}
	}
}

func TestSecretWarnings(t *testing.T) {
	dir := spooltest.TempDir(t)
	gid := os.Getgid()
	for _, c := range []struct {
		mode fs.FileMode
		gid  int // the service's group
		want string
	}{
		{0o644, gid, "every user can read it"},
		{0o604, gid, "every user can read it"},
		{0o640, gid + 1, "can read it"},
		{0o640, gid, ""},
		{0o600, gid + 1, ""},
	} {
		p := filepath.Join(dir, "spoolgate.ini")
		if err := os.WriteFile(p, []byte("password = x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, c.mode); err != nil {
			t.Fatal(err)
		}
		got := secretWarnings([]string{p, filepath.Join(dir, "missing.txt")}, c.gid)
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("mode %s, service group %d: warnings %q", modeString(c.mode), c.gid, got)
		case c.want != "" && (len(got) != 1 || !strings.Contains(got[0], c.want) || !strings.Contains(got[0], p)):
			t.Errorf("mode %s, service group %d: warnings %q, want one saying %q", modeString(c.mode), c.gid, got, c.want)
		}
	}
}

// The account the service runs as must be able to reach its program and
// config; install warns when a folder on the way shuts it out.
func TestPrepare_WarnsWhenTheAccountCannotReach(t *testing.T) {
	cfg := site(t, "")
	public := spooltest.TempDir(t)
	if err := os.Chmod(public, 0o755); err != nil {
		t.Fatal(err)
	}
	private := filepath.Join(public, "private")
	if err := os.MkdirAll(private, 0o700); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(private, "spoolgate")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Someone else's account: the test's folders are not its own.
	sys := newFakeSystem(&account{Name: "spoolgate", UID: 4242, GID: 4242, Group: "spoolgate"})
	r, err := prepare(cfg, Options{}, exe, sys)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(r.Warnings, func(w string) bool {
		return strings.Contains(w, "cannot reach "+exe) && strings.Contains(w, "may not enter "+private+" (mode 0700)")
	}) {
		t.Errorf("warnings: %q", r.Warnings)
	}

	// A program only its owner may run.
	if err := os.Chmod(private, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(exe, 0o700); err != nil {
		t.Fatal(err)
	}
	if w := unreachable(exe, sys.accounts["spoolgate"]); !strings.Contains(w, "may not run") {
		t.Errorf("an owner-only program: %q", w)
	}
	if err := os.Chmod(exe, 0o755); err != nil {
		t.Fatal(err)
	}
	if w := unreachable(exe, sys.accounts["spoolgate"]); w != "" {
		t.Errorf("a program every account may run: %q", w)
	}
}
