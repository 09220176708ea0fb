package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strconv"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/lang"
	"github.com/spoolgate/spoolgate/gateway/views"
)

// The JSON API of the queue and the sent view: the documents of package
// views, the same the command line prints with --json (one definition in
// code). Errors are {"error": "..."}.
//
//	GET  /api/status       views.Status (status --json; Service empty: the console is the service)
//	GET  /api/queue        views.Queue (queue --json); ?lang= explains .BAD files in that language
//	GET  /api/sent         views.SentPage: ?to=&file=&subject=&status=&cause=&since=&until=&limit=&before=
//	GET  /api/sent/{key}   views.SentHistory: sent --json's document of the message, with its events
//	POST /api/retry        {"name": "abc.BAD"}: 200 {"retried": name, "as": new name}, 404, 409
//	POST /api/discard      {"name": "abc.BAD"} (admin): 200 {"discarded": name, "to": path}, 404, 409
func init() {
	registerAPI(apiRoute{pattern: "GET /api/status", role: accounts.Librarian, handle: apiStatus})
	registerAPI(apiRoute{pattern: "GET /api/queue", role: accounts.Librarian, handle: apiQueue})
	registerAPI(apiRoute{pattern: "GET /api/sent", role: accounts.Librarian, handle: apiSent})
	registerAPI(apiRoute{pattern: "GET /api/sent/{key}", role: accounts.Librarian, handle: apiMessage})
	registerAPI(apiRoute{pattern: "POST /api/retry", role: accounts.Librarian, handle: apiRetry})
	registerAPI(apiRoute{pattern: "POST /api/discard", role: accounts.Admin, handle: apiDiscard})
}

// maxAPIRows bounds ?limit= of /api/sent, as the journal does.
const maxAPIRows = 1000

func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// apiStatus is GET /api/status.
func apiStatus(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := inspect.ReadHealth(s.cfg, true, s.now())
		q, err := inspect.Summary(s.cfg)
		if errors.Is(err, fs.ErrNotExist) {
			q, err = nil, nil
		}
		if err != nil {
			apiError(w, http.StatusInternalServerError, "cannot read the queue folder: "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, views.StatusOf(s.cfg, h, q))
	})
}

// apiQueue is GET /api/queue.
func apiQueue(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := "en"
		if l := r.URL.Query().Get("lang"); l != "" {
			c, ok := lang.Parse(l)
			if !ok {
				apiError(w, http.StatusBadRequest, fmt.Sprintf("lang=%s: not a language spoolgate writes (%v)", l, lang.Codes()))
				return
			}
			code = c
		}
		limit := queueLimit
		if l := r.URL.Query().Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 0 {
				apiError(w, http.StatusBadRequest, "limit="+l+": want 0 (all) or more")
				return
			}
			limit = n
		}
		q, err := inspect.List(s.cfg, limit)
		if errors.Is(err, fs.ErrNotExist) {
			apiError(w, http.StatusNotFound, "the queue folder "+s.cfg.Spool.Folder+" does not exist")
			return
		}
		if err != nil {
			apiError(w, http.StatusInternalServerError, "cannot read the queue folder: "+err.Error())
			return
		}
		h := inspect.ReadHealth(s.cfg, true, s.now())
		writeJSON(w, http.StatusOK, views.QueueOf(q, h, s.cfg, code))
	})
}

// apiSent is GET /api/sent.
func apiSent(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit := sentPageSize
		if l := q.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n <= 0 || n > maxAPIRows {
				apiError(w, http.StatusBadRequest, fmt.Sprintf("limit=%s: want 1 to %d", l, maxAPIRows))
				return
			}
			limit = n
		}
		search, err := s.searchOf(q, limit)
		if err != nil {
			apiError(w, http.StatusBadRequest, err.Error()+" (since and until take a date, 2026-12-03, or an RFC 3339 time; before, the next of a page)")
			return
		}
		if st := search.Status; st != "" && !slices.Contains(sentStatuses, st) {
			apiError(w, http.StatusBadRequest, fmt.Sprintf("status=%s: want one of %v", st, sentStatuses))
			return
		}
		if c := search.Cause; c != "" && !cause.Cause(c).Known() {
			apiError(w, http.StatusBadRequest, "cause="+c+": not a cause spoolgate records")
			return
		}
		rows, next, err := s.g.Journal().Search(search)
		if err != nil {
			apiError(w, http.StatusInternalServerError, "cannot read the journal: "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, views.SentPageOf(rows, next))
	})
}

// apiMessage is GET /api/sent/{key}.
func apiMessage(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("key")
		rec, evs, err := s.g.Journal().History(key)
		if errors.Is(err, journal.ErrNotFound) {
			apiError(w, http.StatusNotFound, "the journal has no message "+key)
			return
		}
		if err != nil {
			apiError(w, http.StatusInternalServerError, "cannot read the journal: "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, views.SentHistoryOf(rec, evs))
	})
}

// nameBody reads a request's {"name": "..."}.
func nameBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	var body struct {
		Name string `json:"name"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Name == "" {
		apiError(w, http.StatusBadRequest, `send {"name": "the .BAD file"} as JSON`)
		return "", false
	}
	return body.Name, true
}

// apiRetry is POST /api/retry: the same Retry as the Queue page's and
// spoolgate retry's.
func apiRetry(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := nameBody(w, r)
		if !ok {
			return
		}
		res, status, err := s.retry(r, visitorOf(r.Context()), name)
		if err != nil {
			apiError(w, status, err.Error())
			return
		}
		out := map[string]any{"retried": res.Bad, "as": res.Entry.Name}
		if len(res.Delivered) > 0 {
			out["already_sent_to"] = res.Delivered
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// apiDiscard is POST /api/discard (admin): the Queue page's Discard.
func apiDiscard(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := nameBody(w, r)
		if !ok {
			return
		}
		into, status, err := s.discard(r, visitorOf(r.Context()), name)
		if err != nil {
			apiError(w, status, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"discarded": name, "to": into})
	})
}
