// Package installer knows where spoolgate lives on each operating system:
// the default config path now, and the OS service (Windows service or
// systemd unit) as that work lands. It never exits the process.
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
