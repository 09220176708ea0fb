package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// prepare readies the machine for the service, which runs as LocalSystem:
// it creates the folders when missing and sets their permissions and those
// of the secrets with icacls (see icaclsCommands).
func prepare(cfg *config.Config, o Options, exe string, sys system) (*Report, error) {
	r := &Report{}
	if o.User != "" {
		return nil, fmt.Errorf("--user %s: on Windows the service runs as LocalSystem; --user is for Linux", o.User)
	}
	for _, f := range folders(cfg) {
		_, err := os.Stat(f[1])
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(f[1], 0o755); err != nil {
				return r, fmt.Errorf("%s: %w", f[0], err)
			}
			r.done("created the %s %s", f[0], f[1])
		}
	}
	for _, argv := range icaclsCommands(cfg, o.Writer) {
		if err := sys.run(argv); err != nil {
			return r, err
		}
	}
	locked := []string{cfg.Spool.Data}
	if cfg.Capture != "" {
		locked = append(locked, cfg.Capture)
	}
	locked = append(append(locked, cfg.File), passwordFiles(cfg)...)
	r.done("set the permissions of %s: LocalSystem and Administrators only, owned by Administrators, no other entry kept", strings.Join(locked, ", "))
	if o.Writer != "" {
		r.done("set the permissions of the queue folder %s: LocalSystem and Administrators, and %s may write it; no other entry kept", cfg.Spool.Folder, o.Writer)
	} else {
		r.note("The account the ILS runs as must be able to write the queue folder %s: install with --writer ACCOUNT, which also shuts other accounts out of it, or grant it Modify there", cfg.Spool.Folder)
	}
	r.Warnings = append(r.Warnings, secretWarnings(secretFiles(cfg), -1)...)
	return r, nil
}

// secretWarnings says which of files every user can read: those whose
// access list lets Everyone, Users or Authenticated Users read them. gid is
// not used on Windows.
func secretWarnings(files []string, gid int) []string {
	var out []string
	for _, p := range files {
		who, err := readableByAll(p)
		switch {
		case err != nil && !errors.Is(err, windows.ERROR_FILE_NOT_FOUND):
			out = append(out, fmt.Sprintf("%s holds a password, and its permissions could not be checked (%v): make sure only LocalSystem and Administrators may read it", p, err))
		case who != "":
			out = append(out, fmt.Sprintf("%s holds a password and %s may read it: icacls %q /inheritance:r /grant:r *S-1-5-18:F *S-1-5-32-544:F", p, who, p))
		}
	}
	return out
}

// readable are the rights that let an account read a file's content.
const readable = windows.FILE_READ_DATA | windows.GENERIC_READ | windows.GENERIC_ALL

// readableByAll names the group of all users (Everyone, Users,
// Authenticated Users) that p's access list lets read p, or "".
func readableByAll(p string) (string, error) {
	sd, err := windows.GetNamedSecurityInfo(p, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return "", err
	}
	dacl, _, err := sd.DACL()
	if errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) || dacl == nil {
		return "Everyone (it has no access list)", nil
	}
	if err != nil {
		return "", err
	}
	return whoReads(dacl)
}

// whoReads names the group of all users (Everyone, Users, Authenticated
// Users) that an access list lets read a file's content, or "".
func whoReads(dacl *windows.ACL) (string, error) {
	groups := []struct {
		sid  windows.WELL_KNOWN_SID_TYPE
		name string
	}{
		{windows.WinWorldSid, "Everyone"},
		{windows.WinBuiltinUsersSid, "Users"},
		{windows.WinAuthenticatedUserSid, "Authenticated Users"},
	}
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return "", err
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || uint32(ace.Mask)&readable == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		for _, g := range groups {
			if w, err := windows.CreateWellKnownSid(g.sid); err == nil && sid.Equals(w) {
				return g.name, nil
			}
		}
	}
	return "", nil
}
