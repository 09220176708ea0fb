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

// icaclsCommands set the Windows permissions install gives: the data and
// capture folders, the config file and the password files become readable
// by LocalSystem (the service) and Administrators only, without inherited
// entries; the queue folder keeps what it inherits, and writer, when set,
// may also create, change and delete files in it.
func icaclsCommands(cfg *config.Config, writer string) [][]string {
	only := func(p, rights string) []string {
		return []string{"icacls", p, "/inheritance:r", "/grant:r", sidSystem + ":" + rights, sidAdmins + ":" + rights}
	}
	cmds := [][]string{only(cfg.Spool.Data, "(OI)(CI)F")}
	if cfg.Capture != "" {
		cmds = append(cmds, only(cfg.Capture, "(OI)(CI)F"))
	}
	cmds = append(cmds, only(cfg.File, "F"))
	for _, p := range passwordFiles(cfg) {
		cmds = append(cmds, only(p, "F"))
	}
	if writer != "" {
		cmds = append(cmds, []string{"icacls", cfg.Spool.Folder, "/grant", writer + ":(OI)(CI)M"})
	}
	return cmds
}
