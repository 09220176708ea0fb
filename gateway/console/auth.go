package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/lang"
)

// langCookie holds the language a user chose with the switcher.
const langCookie = "spoolgate_lang"

// visitor is who makes a request, and in which language they read.
type visitor struct {
	user accounts.User // zero before sign-in
	sid  string        // the session id; "" for a token or before sign-in
	lang string        // a code of lang.Codes
	w    *words
}

func (v *visitor) signedIn() bool { return v != nil && v.user.Name != "" }

// admin tells whether the visitor has the admin role.
func (v *visitor) admin() bool { return v.signedIn() && v.user.Role == accounts.Admin }

// may tells whether the visitor's role allows what role needs.
func (v *visitor) may(role accounts.Role) bool {
	switch role {
	case accounts.Admin:
		return v.admin()
	case accounts.Librarian:
		return v.signedIn() && (v.user.Role == accounts.Admin || v.user.Role == accounts.Librarian)
	}
	return false
}

// matcher matches a browser's Accept-Language to lang.Codes.
var matcher, matchCodes = func() (language.Matcher, []string) {
	codes := lang.Codes()
	tags := make([]language.Tag, len(codes))
	for i, c := range codes {
		tags[i] = language.Make(c)
	}
	return language.NewMatcher(tags), codes
}()

// languageOf is the language of r: the switcher's cookie, else the best
// match of Accept-Language, else English.
func languageOf(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if code, ok := lang.Parse(c.Value); ok {
			return code
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			if _, i, conf := matcher.Match(tags...); conf != language.No {
				return matchCodes[i]
			}
		}
	}
	return "en"
}

// newVisitor is the visitor of r before authentication.
func newVisitor(r *http.Request) *visitor {
	code := languageOf(r)
	return &visitor{lang: code, w: catalogue[code]}
}

// sessionOf returns the user of r's session cookie and its id; ok is
// false without a valid session. The user's role is read from the
// accounts file now, so a user removed or changed there is out, or
// changed, at once.
func (s *Server) sessionOf(r *http.Request) (u accounts.User, sid string, ok bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return u, "", false
	}
	name, ok := s.sessions.get(c.Value, s.now())
	if !ok {
		return u, "", false
	}
	u, ok = s.user(name)
	if !ok {
		s.sessions.endUser(name)
		return u, "", false
	}
	return u, c.Value, true
}

// user returns the user name of the accounts file; ok is false when there
// is none (or the file cannot be read: nobody is let in then).
func (s *Server) user(name string) (accounts.User, bool) {
	all, err := s.users.List()
	if err != nil {
		s.log.Error("cannot read the console's users: nobody can sign in", "error", err)
		return accounts.User{}, false
	}
	for _, u := range all {
		if u.Name == name && !u.Token {
			return u, true
		}
	}
	return accounts.User{}, false
}

// signedIn lets a request with a valid session through to h, and sends
// any other to the sign-in page.
func (s *Server) signedIn(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := newVisitor(r)
		u, sid, ok := s.sessionOf(r)
		if !ok {
			to := "/login"
			if _, err := r.Cookie(sessionCookie); err == nil {
				s.clearCookie(w, sessionCookie)
				to += "?expired=1"
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		v.user, v.sid = u, sid
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), visitorKey{}, v)))
	})
}

// apiAuth lets a request under /api/ through to h with a valid session or
// an Authorization: Bearer token, and answers any other 401.
func (s *Server) apiAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := newVisitor(r)
		if auth := r.Header.Get("Authorization"); auth != "" {
			scheme, token, _ := strings.Cut(auth, " ")
			u, ok := accounts.User{}, false
			if strings.EqualFold(scheme, "Bearer") {
				u, ok = s.users.VerifyToken(strings.TrimSpace(token))
			}
			if !ok {
				s.log.Warn("API request with a token that is not valid refused", "address", remoteHost(r), "path", r.URL.Path)
				w.Header().Set("WWW-Authenticate", `Bearer realm="spoolgate", error="invalid_token"`)
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "the token is not valid"})
				return
			}
			v.user = u
		} else if u, sid, ok := s.sessionOf(r); ok {
			v.user, v.sid = u, sid
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="spoolgate"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign in, or send Authorization: Bearer and a token (spoolgate console token add)"})
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), visitorKey{}, v)))
	})
}

// requireRole lets through to h only a visitor whose role allows what
// role needs (an admin may do what a librarian may). Anyone else gets 403,
// and the attempt is recorded as an action.
func (s *Server) requireRole(role accounts.Role, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		if v.may(role) {
			h.ServeHTTP(w, r)
			return
		}
		s.actions.record(Action{At: s.now(), User: v.user.Name, Addr: remoteHost(r), What: ActRefused,
			Target: r.Method + " " + r.URL.Path, Detail: fmt.Sprintf("needs the %s role; %s has %s", role, v.user.Name, v.user.Role)})
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "this needs the " + string(role) + " role"})
			return
		}
		s.errorPage(w, r, v, http.StatusForbidden, v.w.Forbidden)
	})
}

// setCookie sets a cookie of the console: HttpOnly, SameSite=Strict, for
// the whole site, Secure under TLS; maxAge 0 makes it a session cookie.
func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.tls != nil, SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) { s.setCookie(w, name, "", -1) }

// loginView is what the sign-in page shows.
type loginView struct {
	User    string // the name typed, to type it again
	Message string
	Bad     bool // Message is an error
}

// loginForm is GET /login.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.sessionOf(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	v := newVisitor(r)
	lv := loginView{}
	switch {
	case r.URL.Query().Has("out"):
		lv.Message = v.w.SignedOut
	case r.URL.Query().Has("expired"):
		lv.Message = v.w.Expired
	}
	s.render(w, r, v, http.StatusOK, "login", v.w.SignIn, lv)
}

// maxNameKey bounds a typed user name as the rate limit keys it.
const maxNameKey = 64

// login is POST /login: the form's user and password.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	v := newVisitor(r)
	name, password := r.PostFormValue("user"), r.PostFormValue("password")
	addr, now := remoteHost(r), s.now()
	key := name
	if len(key) > maxNameKey {
		key = key[:maxNameKey]
	}
	if until := s.limiter.wait(addr, key, now); !until.IsZero() {
		s.log.Warn("console sign-in refused: too many failures, wait", "user", key, "address", addr, "until", until.Format(time.RFC3339))
		w.Header().Set("Retry-After", strconv.Itoa(int(until.Sub(now)/time.Second)+1))
		s.render(w, r, v, http.StatusTooManyRequests, "login", v.w.SignIn,
			loginView{User: name, Bad: true, Message: fmt.Sprintf(v.w.TooMany, s.clock(until))})
		return
	}
	u, ok := s.users.Verify(name, password)
	if !ok {
		n := s.limiter.fail(addr, key, now)
		s.log.Warn("console sign-in failed", "user", key, "address", addr, "failures", n)
		s.actions.record(Action{At: now, User: key, Addr: addr, What: ActLoginFailed,
			Detail: fmt.Sprintf("wrong user name or password (%d in a row)", n)})
		s.render(w, r, v, http.StatusUnauthorized, "login", v.w.SignIn, loginView{User: name, Bad: true, Message: v.w.BadLogin})
		return
	}
	s.limiter.succeed(addr, key)
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.end(c.Value) // a new id at each sign-in
	}
	sid := s.sessions.start(u.Name, now)
	s.setCookie(w, sessionCookie, sid, 0)
	s.log.Info("console sign-in", "user", u.Name, "role", u.Role, "address", addr)
	s.actions.record(Action{At: now, User: u.Name, Addr: addr, What: ActLogin, OK: true})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout is POST /logout: the session ends on the server too.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if u, sid, ok := s.sessionOf(r); ok {
		s.sessions.end(sid)
		s.actions.record(Action{At: s.now(), User: u.Name, Addr: remoteHost(r), What: ActLogout, OK: true})
	}
	s.clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
}

// setLang is POST /lang: the switcher's language, kept in a cookie for a
// year; then back to the page it was on.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	if code, ok := lang.Parse(r.PostFormValue("lang")); ok {
		s.setCookie(w, langCookie, code, 365*24*3600)
	}
	http.Redirect(w, r, safeBack(r.PostFormValue("back")), http.StatusSeeOther)
}

// clock is t as a time of day in the service's time zone, with the date
// when it is not today.
func (s *Server) clock(t time.Time) string {
	loc := s.location()
	t, now := t.In(loc), s.now().In(loc)
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

func (s *Server) location() *time.Location {
	if l := s.cfg.Service.Location; l != nil {
		return l
	}
	return time.Local
}
