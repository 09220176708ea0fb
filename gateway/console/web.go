package console

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"strings"
)

//go:embed templates static
var assets embed.FS

// csp is the Content-Security-Policy of every response: nothing but the
// console's own files, no inline script or style, no framing.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// routes is the console's handler: the checks every request passes, in
// this order (headers, Host, body limit, cross-origin), then the routes.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded folder is there: a build error
	}
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("POST /lang", s.setLang)
	for _, p := range pages {
		mux.Handle("GET "+pattern(p.path), s.signedIn(s.requireRole(p.role, s.show(p))))
	}
	for _, a := range posts {
		mux.Handle("POST "+a.path, s.signedIn(s.requireRole(a.role, a.handle(s))))
	}
	api := http.NewServeMux()
	api.HandleFunc("GET /api/whoami", s.whoami)
	for _, a := range apiRoutes {
		api.Handle(a.pattern, s.requireRole(a.role, a.handle(s)))
	}
	api.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such API path"})
	})
	mux.Handle("/api/", s.apiAuth(api))
	s.mountMetrics(mux)
	mux.Handle("/", s.signedIn(http.HandlerFunc(s.notFound)))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "address", remoteHost(r))
		http.Error(w, "Forbidden: a request from another site may not change anything here.", http.StatusForbidden)
	}))
	var h http.Handler = cop.Handler(mux)
	h = limitBody(h)
	h = s.checkHost(h)
	return headers(h)
}

// pattern is the mux pattern of a page path: "/" is the root alone.
func pattern(path string) string {
	if path == "/" {
		return "/{$}"
	}
	return path
}

// headers sets the security headers on every response.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// checkHost answers 421 Misdirected Request to a Host the console does not
// answer as (see hostList).
func (s *Server) checkHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts.allows(r.Host) {
			s.log.Warn("request for a host the console does not answer as refused", "host", r.Host,
				"address", remoteHost(r), "path", r.URL.Path)
			http.Error(w, "Misdirected request: this console does not answer as "+r.Host+
				". Open it by the address it listens on ([console] listen).", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// limitBody bounds every request body to MaxBody.
func limitBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		h.ServeHTTP(w, r)
	})
}

// remoteHost is the address a request came from, without the port. A
// proxy's forwarding headers are not believed.
func remoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// whoami is GET /api/whoami: who the request is authenticated as.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	v := visitorOf(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"user": v.user.Name, "role": v.user.Role, "token": v.user.Token})
}

// visitorKey keys the visitor in a request's context.
type visitorKey struct{}

func visitorOf(ctx context.Context) *visitor {
	v, _ := ctx.Value(visitorKey{}).(*visitor)
	return v
}

// safeBack is a path to go back to after a form: a path of this site,
// never another site's address.
func safeBack(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") || len(p) > 200 {
		return "/"
	}
	return p
}
