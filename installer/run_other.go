//go:build !windows

package installer

import "github.com/kardianos/service"

// runUnderManager hands p to the service manager through s, and returns
// when the service has stopped.
func runUnderManager(s service.Service, p *Program) error {
	return s.Run()
}
