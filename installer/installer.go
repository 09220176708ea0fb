// Package installer knows where spoolgate lives on each operating system:
// the default config path, and the OS service (a Windows service, or a
// systemd unit on Linux) that it installs, controls and runs.
//
// Install takes a config that config.Load accepted and prepares the
// machine before it registers the service: on Linux the unprivileged
// account the service runs as (created when missing), the queue, data and
// capture folders (created when missing, owned by that account, the queue
// folder shared with its group), and the config and password files
// (root's, readable by the service's group only); on Windows the folders,
// and permissions set with icacls. It says what it did, and warns about
// what stays unsafe (a password other users can read, a program or config
// the service account cannot reach) in a Report. Nothing is written in the
// working folder.
//
// Uninstall, Start, Stop, Restart and Status talk to the service manager
// through kardianos/service. Run hands `spoolgate run` to the service
// manager when it started the process (Program is what the manager
// starts and stops, logging to the system log too), and otherwise runs
// it in the foreground. What a running spoolgate is made of (the gateway,
// its daily jobs, its log file) is wired in package daemon, not here.
// Nothing here exits the process.
package installer

import (
	"os"
	"path/filepath"
	"runtime"
)

// DefaultConfigPath is where spoolgate looks for its config when --config
// is not given: %ProgramData%\spoolgate\spoolgate.ini on Windows and
// /etc/spoolgate/spoolgate.ini elsewhere.
func DefaultConfigPath() string {
	return defaultConfigPath(runtime.GOOS, os.Getenv)
}

func defaultConfigPath(goos string, getenv func(string) string) string {
	if goos == "windows" {
		base := getenv("ProgramData")
		if base == "" {
			base = `C:\ProgramData`
		}
		return base + `\spoolgate\spoolgate.ini`
	}
	return filepath.Join("/etc", "spoolgate", "spoolgate.ini")
}
