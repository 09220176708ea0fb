package installer

import (
	"errors"
	"os"
	"runtime"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// Prepare does to the machine what Install does, without the service: on
// Linux the account, the queue group, the folders and the modes of the
// folders, the config and the password files; on Windows the folders and
// their permissions (see Report). A package's maintainer scripts run it
// (spoolgate install --no-service): the package brings its own systemd
// unit or Windows service entry. It may run again at every upgrade: it
// changes only what differs.
func Prepare(cfg *config.Config, o Options) (*Report, error) {
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		return nil, errors.New("install must run as root (sudo spoolgate install ...)")
	}
	exe, err := Executable()
	if err != nil {
		return nil, err
	}
	r, err := prepare(cfg, o, exe, realSystem{})
	return r, privilegeHint(err)
}
