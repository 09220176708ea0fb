// Package console is the web console the running gateway serves: server
// rendered pages (html/template, every asset embedded, no CDN and no inline
// script or style) for the admin and the librarian, and a JSON API under
// /api/, in the six languages of package lang.
//
// The contract:
//   - Listen binds [console] listen before the gateway runs, so a port in
//     use stops the start with an error naming the address and the fix;
//     with tls_cert and tls_key it serves HTTPS only (TLS 1.2 or later).
//     Serve serves on that listener until its context ends, then shuts
//     down within ShutdownWait. New, then Run, does both.
//   - Every request must name, in its Host header, a host the console
//     answers as (Hosts; a DNS-rebinding defence): else 421 Misdirected
//     Request. Every response carries the security headers (headers):
//     a Content-Security-Policy with no inline script or style, no
//     framing, no referrer, no sniffing and no caching.
//   - Every state-changing request (any method but GET, HEAD and
//     OPTIONS) from another origin is refused with 403
//     (http.CrossOriginProtection).
//   - A page needs a login: a user of package accounts signs in with the
//     form at /login and gets a session cookie (HttpOnly, SameSite=Strict,
//     Secure under TLS) naming a random 256-bit session id, kept in
//     memory only, that ends after [console] session idle and after
//     SessionMax in any case, at POST /logout, and when the user is
//     removed from the accounts file. Without a session a page redirects
//     to /login. A path under /api/ takes the session or an
//     Authorization: Bearer token (accounts.Store.VerifyToken), and
//     answers 401 without either.
//   - Sign-ins are limited per remote address and per user name: after
//     MaxFailures failures in a row, each further failure makes the next
//     attempt wait (1s, 2s, 4s and so on, at most MaxDelay), and an
//     attempt during the wait is refused with 429 and the time to retry.
//     Each failure is logged (user and address, never the password) and
//     recorded as an action.
//   - Roles: a librarian sees; an admin may also act. A route an admin
//     needs answers a librarian 403, and the attempt is recorded as an
//     action.
//   - Nothing secret reaches the browser: no page shows a password, a
//     client secret, a token or a session id, and session ids are never
//     logged.
//
// A page is one entry made with register (its path, template, words and
// the data it shows) and one template under templates/; the layout adds
// it to the navigation.
package console

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
)

// Limits of the HTTP server.
const (
	// ShutdownWait is how long Serve waits for requests in flight once
	// its context ends, before it closes their connections.
	ShutdownWait = 5 * time.Second
	// SessionMax is the longest a session lasts, however busy.
	SessionMax = 7 * 24 * time.Hour
	// MaxBody is the most a request body may hold (a form or a JSON
	// request).
	MaxBody = 64 << 10

	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 32 << 10
)

// Server is the console of one gateway. Make it with New.
type Server struct {
	cfg      *config.Config
	g        *gateway.Gateway
	users    *accounts.Store
	log      *slog.Logger
	hosts    *hostList
	tls      *tls.Config // nil: plain HTTP
	sessions *sessions
	limiter  *limiter
	actions  recorder
	now      func() time.Time
	handler  http.Handler
	restart  func() // applies saved settings (SetRestart); nil: a restart of the service does
}

// SetRestart makes the settings page apply a saved config by calling
// restart (the daemon's Engine restarts the gateway on the saved file);
// without it, the page says that a restart of the service applies them.
func (s *Server) SetRestart(restart func()) { s.restart = restart }

// New returns the console of the gateway g, whose config is cfg, letting
// in the users of users and logging to log. It loads the TLS certificate
// when cfg has one, so a bad one is an error here.
func New(cfg *config.Config, g *gateway.Gateway, users *accounts.Store, log *slog.Logger) (*Server, error) {
	if cfg.Console.Listen == "" {
		return nil, errors.New("console: [console] listen is empty: the console is off")
	}
	if g == nil || users == nil {
		return nil, errors.New("console: no gateway or no accounts store")
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, g: g, users: users, log: log.With("part", "console"), tls: tc, now: time.Now}
	if s.hosts, err = newHostList(cfg.Console.Listen, tc); err != nil {
		return nil, err
	}
	idle := cfg.Console.Session
	if idle <= 0 {
		idle = 8 * time.Hour
	}
	s.sessions = newSessions(idle, SessionMax)
	s.limiter = newLimiter()
	s.actions = journalRecorder{j: g.Journal(), log: s.log}
	s.handler = s.routes()
	return s, nil
}

// Handler is the console's HTTP handler, with every check of the package
// contract; for tests and for serving it elsewhere.
func (s *Server) Handler() http.Handler { return s.handler }

// tlsConfig is the console's TLS config from [console] tls_cert and
// tls_key, or nil when there are none.
func tlsConfig(cfg *config.Config) (*tls.Config, error) {
	c := cfg.Console
	if c.TLSCert == "" && c.TLSKey == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("console: [console] tls_cert = %s and tls_key = %s cannot be used: %w", c.TLSCert, c.TLSKey, err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}, nil
}

// Listen binds [console] listen of cfg (with TLS when cfg has a
// certificate), for Serve. A port in use, or an address this machine does
// not have, is an error that names the address and the fix.
func Listen(cfg *config.Config) (net.Listener, error) {
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	addr := cfg.Console.Listen
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("console: cannot listen on [console] listen = %s: %w; "+
			"another program (or another spoolgate) may be using that port: stop it, or set another host:port in [console] listen, "+
			"or an empty listen to turn the console off", addr, err)
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	return ln, nil
}

// Run listens on [console] listen and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	ln, err := Listen(s.cfg)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves the console on ln (from Listen) until ctx ends, then stops
// taking requests, waits up to ShutdownWait for those in flight and
// returns. It closes ln. The error is nil after ctx ended.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
	}
	s.log.Info("web console listening", "url", scheme+"://"+ln.Addr().String()+"/")
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("console: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownWait)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	<-done
	s.log.Info("web console stopped")
	return nil
}
