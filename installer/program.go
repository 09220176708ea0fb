package installer

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kardianos/service"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daemon"
)

// Program is spoolgate as the service manager runs it: the
// service.Interface of kardianos/service. Start loads the config and
// launches the gateway, and returns at once; Stop cancels the gateway and
// waits a bounded time for the messages in flight. Neither exits the
// process. Everything is logged to the system log (the Windows Event Log
// or the system journal) and to the daily log file in the data folder
// (when it can be opened; if not, the system log says why).
type Program struct {
	configPath string
	system     service.Logger
	fail       func(error)   // called when the gateway stops by itself; nil: nothing
	stopWait   time.Duration // how long Stop waits; 0: daemon.StopBound(cfg)

	mu       sync.Mutex
	cfg      *config.Config
	log      *slog.Logger
	cancel   context.CancelFunc
	done     chan struct{}
	stopping bool
	startErr error // why Start failed
	err      error // why the gateway stopped by itself
}

// NewProgram returns the Program that runs the config at configPath and
// logs to system (the service's system logger; nil: stderr).
func NewProgram(configPath string, system service.Logger) *Program {
	if system == nil {
		system = service.ConsoleLogger
	}
	return &Program{configPath: configPath, system: system, done: make(chan struct{})}
}

// Start loads the config, opens the logs and the journal, launches the
// gateway and returns. A config that does not load, or a gateway that
// cannot start, is reported to the system log and returned, so the service
// manager shows the failure.
func (p *Program) Start(service.Service) error {
	err := p.start()
	p.mu.Lock()
	p.startErr = err
	p.mu.Unlock()
	return err
}

func (p *Program) start() error {
	cfg, err := config.Load(p.configPath)
	if err != nil {
		p.system.Error("spoolgate cannot start: " + err.Error())
		return err
	}
	log, closeLog := daemon.OpenLog(cfg, newSystemHandler(p.system, cfg.Log.Level))
	e, err := daemon.NewEngine(p.configPath, cfg, log)
	if err != nil {
		log.Error("spoolgate cannot start", "error", err)
		closeLog()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.mu.Lock()
	p.cfg, p.log, p.cancel = cfg, log, cancel
	p.mu.Unlock()
	go p.run(ctx, e, closeLog)
	return nil
}

func (p *Program) run(ctx context.Context, e *daemon.Engine, closeLog func()) {
	err := e.Run(ctx)
	p.mu.Lock()
	byItself := !p.stopping
	if byItself {
		p.err = err
	}
	p.mu.Unlock()
	if byItself {
		p.log.Error("spoolgate stopped by itself", "error", err)
	}
	closeLog()
	close(p.done)
	if byItself && p.fail != nil {
		p.fail(err)
	}
}

// Stop tells the gateway to stop and waits until it has finished the
// messages in flight, but no longer than the relay's answer time-out
// ([smtp] timeout, the longest of the chain) plus 10 seconds. A message
// still in flight then stays claimed in the queue folder, and the next
// start puts it back in the queue. Stop returns the error that made the
// gateway stop by itself, if it did.
func (p *Program) Stop(service.Service) error {
	p.mu.Lock()
	cancel, cfg, log := p.cancel, p.cfg, p.log
	p.stopping = true
	p.mu.Unlock()
	if cancel == nil {
		return nil // never started
	}
	cancel()
	wait := p.stopWait
	if wait == 0 {
		wait = daemon.StopBound(cfg)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-p.done:
		return p.Err()
	case <-t.C:
		log.Warn("stopping without waiting longer for the message in flight; it stays claimed in the queue folder and goes back in the queue at the next start",
			"waited", wait.String())
		return nil
	}
}

// Done is closed when the gateway has stopped and the log file is closed.
func (p *Program) Done() <-chan struct{} { return p.done }

// Err returns why Start failed, or the error that made the gateway stop
// by itself, or nil.
func (p *Program) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.startErr != nil {
		return p.startErr
	}
	return p.err
}
