package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kardianos/service"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// State is the service's state, as the service manager reports it.
type State int

// The states of the service.
const (
	NotInstalled State = iota
	Stopped
	Running
	Failed // Linux: stopped by a failure (systemd's "failed")
)

func (s State) String() string {
	switch s {
	case Stopped:
		return "stopped"
	case Running:
		return "running"
	case Failed:
		return "failed"
	}
	return "not installed"
}

// ErrNotInstalled is returned by the commands that need the service when
// it is not installed.
var ErrNotInstalled = errors.New("the service is not installed; install it with spoolgate install")

// ErrUnsupported is wrapped by the error of Supported.
var ErrUnsupported = errors.New("no supported service manager")

// Supported says why this machine can't have the spoolgate service, or
// returns nil: spoolgate installs as a Windows service, and as a systemd
// unit on Linux.
func Supported() error {
	switch {
	case runtime.GOOS == "windows":
		return nil
	case runtime.GOOS == "linux" && service.Platform() == "linux-systemd":
		return nil
	case runtime.GOOS == "linux":
		return fmt.Errorf("%w: this machine does not run systemd; run spoolgate run under your own supervisor", ErrUnsupported)
	}
	return fmt.Errorf("%w: spoolgate installs as a service on Windows and on Linux with systemd, not on %s", ErrUnsupported, runtime.GOOS)
}

// noProgram stands in for the service's program where only the service
// manager is talked to.
type noProgram struct{}

func (noProgram) Start(service.Service) error { return nil }
func (noProgram) Stop(service.Service) error  { return nil }

func newService(sc *service.Config) (service.Service, error) {
	return service.New(noProgram{}, sc)
}

func manager() (service.Service, error) {
	if err := Supported(); err != nil {
		return nil, err
	}
	return newService(ServiceConfig("", Options{}))
}

// Executable is the program install registers: this one, with symbolic
// links resolved. A program built by go run is refused, as it is deleted
// when go run ends.
func Executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	if strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return "", fmt.Errorf("%s is a temporary program built by go run; build spoolgate (go build ./cmd/spoolgate) and install with the built program", exe)
	}
	return exe, nil
}

// Install prepares the machine (see Report) and installs the service that
// runs `spoolgate run --config cfg.File` with the program now running. cfg
// is a config that config.Load accepted. Nothing is written in the working
// folder. On Linux it must run as root; on Windows, elevated.
func Install(cfg *config.Config, o Options) (*Report, error) {
	if err := Supported(); err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		return nil, errors.New("install must run as root (sudo spoolgate install ...)")
	}
	exe, err := Executable()
	if err != nil {
		return nil, err
	}
	st, err := Status()
	if err != nil {
		return nil, privilegeHint(err)
	}
	if st != NotInstalled {
		return nil, fmt.Errorf("the service is already installed (%s); to install it again, run spoolgate uninstall first", st)
	}
	sc := ServiceConfig(cfg.File, o)
	sc.Executable = exe
	where := fmt.Sprintf("the Windows service %s (%q): starts automatically, %s", ServiceName, ServiceDisplayName, RecoveryText)
	if runtime.GOOS == "linux" {
		user := o.User
		if user == "" {
			user = DefaultUser
		}
		unit, err := Unit(cfg, cfg.File, exe, user) // before anything changes
		if err != nil {
			return nil, err
		}
		sc.Option["SystemdScript"] = unit
		where = fmt.Sprintf("the systemd unit %s (enabled: starts at boot), running as %s", UnitPath, user)
	}
	r, err := prepare(cfg, o, exe, realSystem{})
	if err != nil {
		return r, privilegeHint(err)
	}
	s, err := newService(sc)
	if err != nil {
		return r, err
	}
	_, statErr := os.Stat(UnitPath)
	unitWasThere := runtime.GOOS == "linux" && statErr == nil
	if err := s.Install(); err != nil {
		// Undo what the service manager got of it, so that the next
		// install starts afresh; the folders and account stay.
		s.Uninstall()
		if runtime.GOOS == "linux" && !unitWasThere {
			os.Remove(UnitPath)
		}
		if runtime.GOOS == "linux" {
			err = fmt.Errorf("%w (from systemctl enable %s.service or systemctl daemon-reload; run them by hand to see why)", err, ServiceName)
		}
		return r, fmt.Errorf("install the service: %w", privilegeHint(err))
	}
	if err := setRecovery(false); err != nil {
		r.warn("%v: set them in services.msc (Recovery tab)", err)
	}
	r.done("installed %s, which runs %s run --config %s", where, exe, cfg.File)
	return r, nil
}

// privilegeHint explains a refusal by the system.
func privilegeHint(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		if runtime.GOOS == "windows" {
			return fmt.Errorf("%w (run it from an elevated prompt: Run as administrator)", err)
		}
		return fmt.Errorf("%w (run it as root)", err)
	}
	return err
}

// Status asks the service manager for the service's state. A machine
// without a supported service manager has the service NotInstalled.
func Status() (State, error) {
	if Supported() != nil {
		return NotInstalled, nil
	}
	s, err := manager()
	if err != nil {
		return NotInstalled, err
	}
	st, err := s.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return NotInstalled, nil
	case err != nil && strings.Contains(err.Error(), "failed state"): // kardianos on systemd
		return Failed, nil
	case err != nil:
		return NotInstalled, privilegeHint(err)
	case st == service.StatusRunning:
		return Running, nil
	case st == service.StatusStopped:
		return Stopped, nil
	}
	return NotInstalled, fmt.Errorf("the service manager reports an unknown state (%d)", st)
}

// installed returns the service when it is installed, and its state.
func installed() (service.Service, State, error) {
	s, err := manager()
	if err != nil {
		return nil, NotInstalled, err
	}
	st, err := Status()
	if err != nil {
		return nil, st, err
	}
	if st == NotInstalled {
		return nil, st, ErrNotInstalled
	}
	return s, st, nil
}

// Uninstall stops the service when it runs and removes it. The account,
// the folders and the config stay.
func Uninstall() error {
	s, st, err := installed()
	if err != nil {
		return err
	}
	if st == Running {
		if err := s.Stop(); err != nil {
			return fmt.Errorf("stop the service: %w", privilegeHint(err))
		}
	}
	if err := s.Uninstall(); err != nil {
		return fmt.Errorf("uninstall the service: %w", privilegeHint(err))
	}
	return nil
}

// Start starts the service, unless it runs, and waits until it is
// running; a service that stops again at once (a bad config, a folder it
// can't write) is an error that says where its log is.
func Start() error {
	s, st, err := installed()
	if err != nil || st == Running {
		return err
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("start the service: %w", privilegeHint(err))
	}
	return waitRunning()
}

// Stop stops the service, unless it is stopped, and returns once it has
// stopped: after the message in flight.
func Stop() error {
	s, st, err := installed()
	if err != nil || st != Running {
		return err
	}
	if err := s.Stop(); err != nil {
		return fmt.Errorf("stop the service: %w", privilegeHint(err))
	}
	return nil
}

// Restart stops the service when it runs, starts it, and waits as Start
// does.
func Restart() error {
	s, st, err := installed()
	if err != nil {
		return err
	}
	if st == Running {
		err = s.Restart()
	} else {
		err = s.Start()
	}
	if err != nil {
		return fmt.Errorf("restart the service: %w", privilegeHint(err))
	}
	return waitRunning()
}

// Time-outs of waitRunning: how long a service may take to report that it
// runs, and how long it must then keep running.
const (
	startTimeout = 30 * time.Second
	startSettle  = 2 * time.Second
)

func waitRunning() error {
	deadline := time.Now().Add(startTimeout)
	var since time.Time
	for {
		st, err := Status()
		if err != nil {
			return err
		}
		switch {
		case st == Running && since.IsZero():
			since = time.Now()
		case st == Running && time.Since(since) >= startSettle:
			return nil
		case st == Stopped || st == Failed:
			return fmt.Errorf("the service stopped right after it started; %s", LogHint())
		case st != Running && time.Now().After(deadline):
			return fmt.Errorf("the service did not report running within %s (%s); %s", startTimeout, st, LogHint())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// LogHint says where the service's log is.
func LogHint() string {
	if runtime.GOOS == "windows" {
		return "its log is in the Event Log (Windows Logs > Application, source " + ServiceName + ") and in the log folder of the data folder"
	}
	return "its log is in the system journal (journalctl -u " + ServiceName + ") and in the log folder of the data folder"
}
