package installer

import (
	"fmt"
	"os"
	"syscall"

	"github.com/kardianos/service"
	"golang.org/x/sys/windows/svc"
)

// runUnderManager hands p to the Windows service manager through s, and
// returns when the service has stopped.
//
// kardianos/service decides once, at start, whether the process is a
// service; when it says no but ForceService is set (wine does not tell a
// service it is one), this talks to the service manager directly through
// kardianos's own handler, so Start and Stop run as the manager asks.
//
// A service registered without recovery actions (by the MSI) gets them
// here, at its first start; a failure to set them is logged, not fatal.
func runUnderManager(s service.Service, p *Program) error {
	if err := setRecovery(true); err != nil {
		p.system.Warning("spoolgate: " + err.Error())
	}
	if ForceService && service.Interactive() {
		h, ok := s.(svc.Handler)
		if !ok {
			return fmt.Errorf("service: %T cannot talk to the Windows service manager", s)
		}
		if err := svc.Run(ServiceName, h); err != nil {
			return fmt.Errorf("service: %w", err)
		}
		return p.Err()
	}
	return s.Run()
}

// stopSignals are the signals that stop a foreground run in an orderly way:
// Ctrl-C, and the console's close, logoff and shutdown events, which Go
// delivers as SIGTERM. Windows has no SIGHUP.
func stopSignals() []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM} }
