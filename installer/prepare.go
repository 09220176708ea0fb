package installer

import (
	"fmt"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// Report is what Install did and what the admin should know, one line each.
type Report struct {
	Done     []string // what was created or changed
	Notes    []string // what the admin still has to do
	Warnings []string // what is unsafe or will not work
}

func (r *Report) done(format string, a ...any) { r.Done = append(r.Done, fmt.Sprintf(format, a...)) }
func (r *Report) note(format string, a ...any) { r.Notes = append(r.Notes, fmt.Sprintf(format, a...)) }
func (r *Report) warn(format string, a ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, a...))
}

// folders are the folders of cfg the service writes, with what they are.
func folders(cfg *config.Config) [][2]string {
	f := [][2]string{{"queue folder", cfg.Spool.Folder}, {"data folder", cfg.Spool.Data}}
	if cfg.Capture != "" {
		f = append(f, [2]string{"capture folder", cfg.Capture})
	}
	return f
}

// Well-known Windows accounts, by SID so that icacls understands them in
// every language.
const (
	sidSystem = "*S-1-5-18"     // LocalSystem, the service's account
	sidAdmins = "*S-1-5-32-544" // BUILTIN\Administrators
)

// icaclsCommands set the Windows permissions install gives. The data and
// capture folders, the config file and the password files admit
// LocalSystem (the service) and Administrators only: each first loses
// every explicit entry, its own and (with /T) those of the files in it
// (/reset), then its inherited ones, and is granted to those two
// (/inheritance:r /grant:r; the files in a folder inherit that), and
// Administrators becomes the owner, so that no former owner keeps the
// right to change the list. With writer, the queue folder is locked the
// same way and writer may also create, change and delete files in it;
// without, it keeps what it inherits.
func icaclsCommands(cfg *config.Config, writer string) [][]string {
	lock := func(p string, dir bool, extra ...string) [][]string {
		rights := "F"
		tree := []string{}
		if dir {
			rights, tree = "(OI)(CI)F", []string{"/T"}
		}
		grant := []string{"icacls", p, "/inheritance:r", "/grant:r", sidSystem + ":" + rights, sidAdmins + ":" + rights}
		return [][]string{
			append(append([]string{"icacls", p, "/reset"}, tree...), "/C", "/Q"),
			append(grant, extra...),
			append(append([]string{"icacls", p, "/setowner", sidAdmins}, tree...), "/C", "/Q"),
		}
	}
	cmds := lock(cfg.Spool.Data, true)
	if cfg.Capture != "" {
		cmds = append(cmds, lock(cfg.Capture, true)...)
	}
	cmds = append(cmds, lock(cfg.File, false)...)
	for _, p := range passwordFiles(cfg) {
		cmds = append(cmds, lock(p, false)...)
	}
	if writer != "" {
		cmds = append(cmds, lock(cfg.Spool.Folder, true, writer+":(OI)(CI)M")...)
	}
	return cmds
}
