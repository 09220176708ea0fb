//go:build !windows

package installer

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/kardianos/service"
)

// runUnderManager hands p to the service manager through s, and returns
// when the service has stopped.
func runUnderManager(s service.Service, p *Program) error {
	return s.Run()
}

// stopSignals are the signals that stop a foreground run in an orderly way,
// after the messages in flight: Ctrl-C, SIGTERM, and SIGHUP (the terminal
// or the SSH session closed, or kill -HUP), which would otherwise end the
// process at once. SIGHUP is left alone when it is ignored, so that
// `nohup spoolgate run` keeps running after a hangup.
func stopSignals() []os.Signal {
	s := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		s = append(s, syscall.SIGHUP)
	}
	return s
}
