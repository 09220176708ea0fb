//go:build !windows

package installer

// RecoveryText says what the service manager does when the service fails;
// on Linux the systemd unit says it (Restart=on-failure).
const RecoveryText = "restarted 5 s after a failure"

// setRecovery does nothing but on Windows, where the exe sets the service's
// recovery actions (see recovery_windows.go).
func setRecovery(onlyIfNone bool) error { return nil }
