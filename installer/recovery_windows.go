package installer

import (
	"fmt"
	"time"

	"golang.org/x/sys/windows/svc/mgr"
)

// What the Windows service manager does when the service fails (its
// process ends without being stopped, or stops with an error): restart it
// a minute later, twice, then leave it stopped, so that a config that
// cannot work does not restart for ever; a day without a failure resets
// the count. The exe sets them itself, when `spoolgate install` registers
// the service and, when the service has none (the MSI registers it without
// them: wixl has no WiX util extension), at its start.
var recoveryActions = []mgr.RecoveryAction{
	{Type: mgr.ServiceRestart, Delay: time.Minute},
	{Type: mgr.ServiceRestart, Delay: time.Minute},
	{Type: mgr.NoAction},
}

// recoveryReset is how long the service must run without a failure for
// the count of failures to start again at the first action.
const recoveryReset = 24 * time.Hour

// RecoveryText says what recoveryActions do, for install's report.
const RecoveryText = "restarted 1 min after a failure, twice, then left stopped (the count resets after a day)"

// setRecovery gives the installed service recoveryActions. With onlyIfNone,
// it leaves actions that are already set alone (an admin may have changed
// them in services.msc).
func setRecovery(onlyIfNone bool) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("recovery actions: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(ServiceName)
	if err != nil {
		return fmt.Errorf("recovery actions: %w", err)
	}
	defer s.Close()
	if onlyIfNone {
		if have, err := s.RecoveryActions(); err == nil && len(have) > 0 {
			return nil
		}
	}
	if err := s.SetRecoveryActions(recoveryActions, uint32(recoveryReset/time.Second)); err != nil {
		return fmt.Errorf("recovery actions: %w", err)
	}
	// Also when the service stops with an error, not only when it crashes.
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("recovery actions on failures: %w", err)
	}
	return nil
}
