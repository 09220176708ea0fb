package installer

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestPrepare_WindowsFoldersAndPermissions(t *testing.T) {
	cfg := site(t, "username = library\npassword_file = secret.txt\n")
	cfg.Capture = filepath.Join(filepath.Dir(cfg.File), "outbox")
	sys := newFakeSystem()
	cwd := spooltest.TempDir(t)
	t.Chdir(cwd)

	r, err := prepare(cfg, Options{Writer: `LIBRARY\ils-svc`}, `C:\Program Files\spoolgate\spoolgate.exe`, sys)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{cfg.Spool.Folder, cfg.Spool.Data, cfg.Capture} {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	if want := icaclsCommands(cfg, `LIBRARY\ils-svc`); !reflect.DeepEqual(sys.runs, want) || len(want) != 15 {
		t.Errorf("commands run:\n%q\nwant\n%q", sys.runs, want)
	}
	text := strings.Join(r.Done, "\n")
	for _, want := range []string{"created the queue folder", "LocalSystem and Administrators only", `and LIBRARY\ils-svc may write it`} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	if ents, _ := os.ReadDir(cwd); len(ents) != 0 {
		t.Errorf("prepare left %d files in the working folder", len(ents))
	}

	if _, err := prepare(cfg, Options{User: "spoolgate"}, `C:\spoolgate.exe`, newFakeSystem()); err == nil || !strings.Contains(err.Error(), "LocalSystem") {
		t.Errorf("--user on Windows: %v", err)
	}
}

// acl is an access list of the given accounts' rights.
func acl(t *testing.T, grants map[windows.WELL_KNOWN_SID_TYPE]windows.ACCESS_MASK) *windows.ACL {
	t.Helper()
	var entries []windows.EXPLICIT_ACCESS
	for sidType, mask := range grants {
		sid, err := windows.CreateWellKnownSid(sidType)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, windows.EXPLICIT_ACCESS{
			AccessPermissions: mask,
			AccessMode:        windows.GRANT_ACCESS,
			Trustee: windows.TRUSTEE{
				TrusteeForm:  windows.TRUSTEE_IS_SID,
				TrusteeType:  windows.TRUSTEE_IS_WELL_KNOWN_GROUP,
				TrusteeValue: windows.TrusteeValueFromSID(sid),
			},
		})
	}
	a, err := windows.ACLFromEntries(entries, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type grants = map[windows.WELL_KNOWN_SID_TYPE]windows.ACCESS_MASK

func TestWhoReads(t *testing.T) {
	for _, c := range []struct {
		grants grants
		want   string
	}{
		{grants{windows.WinLocalSystemSid: windows.GENERIC_ALL, windows.WinWorldSid: windows.FILE_GENERIC_READ}, "Everyone"},
		{grants{windows.WinLocalSystemSid: windows.GENERIC_ALL, windows.WinBuiltinUsersSid: windows.GENERIC_READ}, "Users"},
		{grants{windows.WinAuthenticatedUserSid: windows.FILE_READ_DATA}, "Authenticated Users"},
		{grants{windows.WinLocalSystemSid: windows.GENERIC_ALL, windows.WinBuiltinAdministratorsSid: windows.GENERIC_ALL}, ""},
		// Users may see that the file is there, not what it holds.
		{grants{windows.WinLocalSystemSid: windows.GENERIC_ALL, windows.WinBuiltinUsersSid: windows.FILE_READ_ATTRIBUTES}, ""},
	} {
		got, err := whoReads(acl(t, c.grants))
		if err != nil || got != c.want {
			t.Errorf("%v: whoReads = %q, %v; want %q", c.grants, got, err, c.want)
		}
	}
}

// On a real file. (Under wine, an access list without Everyone does not
// stick: wine keeps only Unix modes, so the file's own test is the one
// that warns.)
func TestSecretWarnings_WindowsFile(t *testing.T) {
	p := filepath.Join(spooltest.TempDir(t), "spoolgate.ini")
	if err := os.WriteFile(p, []byte("password = x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := windows.SetNamedSecurityInfo(p, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil,
		acl(t, grants{windows.WinWorldSid: windows.GENERIC_ALL}), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := secretWarnings([]string{p, filepath.Join(filepath.Dir(p), "missing.txt")}, -1)
	if len(got) != 1 || !strings.Contains(got[0], p) || !strings.Contains(got[0], "Everyone may read it") {
		t.Errorf("warnings %q, want one saying Everyone may read %s", got, p)
	}
}
