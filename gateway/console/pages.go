package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/lang"
)

// page is one page of the console, shown by GET at its path to a user
// whose role allows role. Its template is templates/NAME.html, which
// defines "content" (and may define "title"); the layout around it
// carries the navigation, the language switcher and the user.
//
// Adding a page is a register call (in the page's own file, with the
// function that loads what it shows), its template, and its navigation
// label in every language of words.
type page struct {
	// order is the page's place in the navigation (see the Nav
	// constants), whatever file registers it.
	order int
	path  string // "/" for the overview
	name  string // the template's name
	role  accounts.Role
	label func(*words) string // in the navigation and the title
	// load returns what the template shows as .Page.
	load func(s *Server, r *http.Request, v *visitor) any
}

// The pages' places in the navigation (page.order).
const (
	NavOverview = iota * 10
	NavQueue
	NavSent
	NavTest
	NavCheck
	NavDaily
	NavMorning
	NavSettings
)

// pages are the registered pages, in the order of the navigation.
var pages []page

func register(p page) {
	pages = append(pages, p)
	slices.SortStableFunc(pages, func(a, b page) int { return a.order - b.order })
}

// post is a state-changing route (a form's POST) a user whose role allows
// role may use; others get 403, recorded.
type post struct {
	path   string
	role   accounts.Role
	handle func(s *Server) http.Handler
}

var posts []post

func registerPost(p post) { posts = append(posts, p) }

// apiRoute is a route under /api/ (pattern such as "GET /api/queue"),
// for a session or a Bearer token whose role allows role.
type apiRoute struct {
	pattern string
	role    accounts.Role
	handle  func(s *Server) http.Handler
}

var apiRoutes []apiRoute

func registerAPI(a apiRoute) { apiRoutes = append(apiRoutes, a) }

// templates are the layout with each page, by page name, parsed once.
var templates = sync.OnceValues(func() (map[string]*template.Template, error) {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		if strings.HasSuffix(n, "/layout.html") {
			continue
		}
		t, err := template.New("layout.html").ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", n, err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return out, nil
})

// view is what the layout shows around a page.
type view struct {
	W        *words
	Lang     string
	Title    string
	Path     string // the page's own path, to come back to after the switcher
	Langs    []langChoice
	Nav      []navLink
	SignedIn bool
	Admin    bool
	Who      string // "Signed in as NAME (ROLE)"
	Page     any
}

type langChoice struct {
	Code, Name string
	Current    bool
}

type navLink struct {
	Path, Label string
	Current     bool
}

// show is the handler of page p.
func (s *Server) show(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		s.render(w, r, v, http.StatusOK, p.name, p.label(v.w), p.load(s, r, v))
	})
}

// render writes template name with data as the page titled title.
func (s *Server) render(w http.ResponseWriter, r *http.Request, v *visitor, status int, name, title string, data any) {
	all, err := templates()
	t := all[name]
	if err == nil && t == nil {
		err = fmt.Errorf("no template %s", name)
	}
	if err != nil {
		s.log.Error("console page cannot be shown", "page", name, "error", err)
		http.Error(w, "Internal error: the page cannot be shown (see the log).", http.StatusInternalServerError)
		return
	}
	vw := view{W: v.w, Lang: v.lang, Title: title, Path: r.URL.Path, SignedIn: v.signedIn(), Admin: v.admin(), Page: data}
	if r.Method != http.MethodGet {
		vw.Path = "/"
	}
	for _, c := range lang.Codes() {
		vw.Langs = append(vw.Langs, langChoice{Code: c, Name: catalogue[c].Name, Current: c == v.lang})
	}
	if vw.SignedIn {
		role := v.w.Roles[string(v.user.Role)]
		if role == "" {
			role = string(v.user.Role)
		}
		vw.Who = fmt.Sprintf(v.w.SignedInAs, v.user.Name, role)
		for _, p := range pages {
			if v.may(p.role) {
				vw.Nav = append(vw.Nav, navLink{Path: p.path, Label: p.label(v.w), Current: p.path == r.URL.Path})
			}
		}
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", vw); err != nil {
		s.log.Error("console page cannot be shown", "page", name, "error", err)
		http.Error(w, "Internal error: the page cannot be shown (see the log).", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.lang)
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// errorView is what the error page shows.
type errorView struct{ Message string }

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, v *visitor, status int, msg string) {
	s.render(w, r, v, status, "error", http.StatusText(status), errorView{Message: msg})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	v := visitorOf(r.Context())
	s.errorPage(w, r, v, http.StatusNotFound, v.w.NotFound)
}
