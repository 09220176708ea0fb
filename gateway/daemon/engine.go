package daemon

import (
	"context"
	"log/slog"
	"sync"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console"
)

// Engine is a running spoolgate of one config file: the gateway with
// everything beside it (see New), which it builds again, with the file
// read again, when Restart is called. The console's Save applies new
// settings this way, inside the running service or foreground run, as a
// vendor gateway manager's Save restarts its service: the gateway stops
// after the messages in flight (they are never cut), and the new one
// starts on the saved file. Settings that do not load or start leave the
// engine running on the ones before, and the log says why.
type Engine struct {
	path    string
	log     *slog.Logger
	restart chan struct{}

	mu    sync.Mutex
	cfg   *config.Config
	g     *gateway.Gateway
	carry *console.Carry // the sign-ins every console of the engine shares
}

// carryOn makes the console srv take over the sign-ins of the consoles
// before it, so that a Save signs nobody out.
func (e *Engine) carryOn(srv *console.Server) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.carry != nil {
		srv.Resume(*e.carry)
		return
	}
	c := srv.Carry()
	e.carry = &c
}

// NewEngine returns the engine of the config file at path, already loaded
// as cfg, with its gateway built (an error is New's).
func NewEngine(path string, cfg *config.Config, log *slog.Logger) (*Engine, error) {
	e := &Engine{path: path, log: log, cfg: cfg, restart: make(chan struct{}, 1)}
	g, err := newGateway(cfg, log, e)
	if err != nil {
		return nil, err
	}
	e.g = g
	return e, nil
}

// Restart asks the engine to stop its gateway and start again on the
// config file as it is now. It returns at once; asked again before the
// restart, it restarts once.
func (e *Engine) Restart() {
	select {
	case e.restart <- struct{}{}:
	default:
	}
}

// Config is the config the engine runs on now.
func (e *Engine) Config() *config.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// Run runs the gateway until ctx ends or it stops by itself (its error),
// restarting it when asked.
func (e *Engine) Run(ctx context.Context) error {
	for {
		e.mu.Lock()
		g := e.g
		e.mu.Unlock()
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- g.Run(runCtx) }()
		select {
		case err := <-done:
			cancel()
			return err
		case <-e.restart:
		}
		e.log.Info("restarting with the saved settings: finishing the messages in flight first", "config", e.path)
		cancel()
		// The old gateway holds the instance lock and the journal until
		// it has stopped; its sends are bounded by the relay's time-outs.
		if err := <-done; err != nil && ctx.Err() == nil {
			e.log.Error("the gateway stopped with an error before the restart", "error", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		e.next()
	}
}

// next builds the gateway of the config file as it is now, or, when that
// fails, again of the config before.
func (e *Engine) next() {
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg, err := config.Load(e.path)
	if err == nil {
		var g *gateway.Gateway
		if g, err = newGateway(cfg, e.log, e); err == nil {
			e.cfg, e.g = cfg, g
			e.log.Info("restarted with the saved settings", "config", e.path)
			return
		}
	}
	e.log.Error("the saved settings cannot be used; going on with the ones before", "config", e.path, "error", err)
	g, err := newGateway(e.cfg, e.log, e)
	if err != nil {
		// The settings before worked a moment ago: only a port taken
		// in between, say, stops it. Keep the old gateway object: Run
		// will fail with the reason and the service manager sees it.
		e.log.Error("cannot start again with the settings before", "error", err)
		return
	}
	e.g = g
}
