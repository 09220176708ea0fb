package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/journal"
)

// mountMetrics adds GET /metrics (the Prometheus text format) and GET
// /healthz (liveness) to mux. Both take an Authorization: Bearer token
// (spoolgate console token add) or a session, unless [console]
// metrics_open is true; without either they answer 401.
func (s *Server) mountMetrics(mux *http.ServeMux) {
	mux.Handle("GET /metrics", s.monitorAuth(http.HandlerFunc(s.metrics)))
	mux.Handle("GET /healthz", s.monitorAuth(http.HandlerFunc(s.healthz)))
}

// monitorAuth lets a request through to h when [console] metrics_open is
// true, or when it carries a valid Bearer token or session; any other
// gets 401 in plain text, as a scraper reads it.
func (s *Server) monitorAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Console.MetricsOpen {
			h.ServeHTTP(w, r)
			return
		}
		if auth := r.Header.Get("Authorization"); auth != "" {
			scheme, token, _ := strings.Cut(auth, " ")
			if strings.EqualFold(scheme, "Bearer") {
				if _, ok := s.users.VerifyToken(strings.TrimSpace(token)); ok {
					h.ServeHTTP(w, r)
					return
				}
			}
			s.log.Warn("monitoring request with a token that is not valid refused", "address", remoteHost(r), "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="spoolgate", error="invalid_token"`)
			http.Error(w, "Unauthorized: the token is not valid.", http.StatusUnauthorized)
			return
		}
		if _, _, ok := s.sessionOf(r); ok {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="spoolgate"`)
		http.Error(w, "Unauthorized: send Authorization: Bearer and a token (spoolgate console token add), "+
			"or set [console] metrics_open = true.", http.StatusUnauthorized)
	})
}

// healthz is GET /healthz: liveness. 200 and {"status":"ok","running":true}
// while the gateway's run loop runs; 503 and "stopped" once it has
// stopped (the console may still answer while the service shuts down).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	v := struct {
		Status  string `json:"status"`
		Running bool   `json:"running"`
	}{"ok", true}
	code := http.StatusOK
	if !s.g.Running() {
		v.Status, v.Running, code = "stopped", false, http.StatusServiceUnavailable
	}
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// metrics is GET /metrics. Each scrape reads every value from the one
// place that decides it, into a private set made for the scrape: the
// queue from a scan of the folder (as status and queue scan it), each
// relay chain from the gateway's health tracker, the outcomes and token
// errors from the gateway's counts since it started, and the last send
// from the journal. docs/console.md lists the metrics (see Metrics).
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	s.metricSet().WritePrometheus(&buf)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(buf.Bytes())
}

// metricSet is the set one scrape writes.
func (s *Server) metricSet() *metrics.Set {
	set := metrics.NewSet()
	gauge := func(name string, v float64) { set.GetOrCreateGauge(name, nil).Set(v) }
	counter := func(name string, v int64) { set.GetOrCreateCounter(name).Set(uint64(max(v, 0))) }
	now := s.now()
	g := s.g

	running := 0.0
	if g.Running() {
		running = 1
	}
	gauge("spoolgate_running", running)
	c := g.Counts()
	if !c.Started.IsZero() {
		gauge("spoolgate_start_time_seconds", unix(c.Started))
	}

	// The queue folder.
	if snap, err := g.Queue(); err != nil {
		s.log.Warn("metrics: cannot read the queue folder", "error", err)
		gauge("spoolgate_queue_readable", 0)
	} else {
		gauge("spoolgate_queue_readable", 1)
		gauge("spoolgate_queue_waiting_files", float64(snap.Waiting))
		age := 0.0
		if snap.Waiting > 0 && !snap.Oldest.IsZero() {
			age = max(now.Sub(snap.Oldest).Seconds(), 0)
		}
		gauge("spoolgate_queue_oldest_waiting_age_seconds", age)
		gauge("spoolgate_queue_deferred_files", float64(len(snap.Deferred)))
		gauge("spoolgate_queue_sending_files", float64(len(snap.Sending)))
		gauge("spoolgate_queue_bad_files", float64(snap.Bad))
		gauge("spoolgate_queue_unmatched_files", float64(snap.NUnmatched))
	}

	// Outcomes since the gateway started.
	for _, k := range sortedOutcomes(c.Messages) {
		counter(outcomeName("spoolgate_messages", k), c.Messages[k])
	}
	for _, k := range sortedOutcomes(c.Recipients) {
		counter(outcomeName("spoolgate_recipients", k), c.Recipients[k])
	}
	// The sent counters exist from the start, at 0, so a rate of them
	// works before the first message.
	counter("spoolgate_messages_sent_total", c.Messages[gateway.Outcome{Status: journal.StatusSent}])
	counter("spoolgate_recipients_sent_total", c.Recipients[gateway.Outcome{Status: journal.StatusSent}])

	// The relay chains, as the health tracker decided.
	for _, rl := range g.Relays() {
		l := `{chain="` + labelValue(rl.Chain) + `"}`
		switch rl.State {
		case health.Available:
			gauge("spoolgate_relay_available"+l, 1)
		case health.Unavailable:
			gauge("spoolgate_relay_available"+l, 0)
		}
		if !rl.Since.IsZero() {
			gauge("spoolgate_relay_state_since_timestamp_seconds"+l, unix(rl.Since))
		}
		gauge("spoolgate_relay_failures_in_row"+l, float64(rl.Failures))
		if !rl.NextAttempt.IsZero() && rl.State == health.Unavailable {
			gauge("spoolgate_relay_next_attempt_timestamp_seconds"+l, unix(rl.NextAttempt))
		}
		if t, ok := c.LastSuccess[rl.Chain]; ok {
			gauge("spoolgate_relay_last_success_timestamp_seconds"+l, unix(t))
		}
	}
	for _, k := range sortedKeys(c.TokenErrors) {
		counter(fmt.Sprintf(`spoolgate_oauth_token_errors_total{chain="%s",cause="%s"}`, labelValue(k.Chain), labelValue(k.Cause)), c.TokenErrors[k])
	}

	// The journal's last send, whatever run made it.
	if t, err := g.Journal().LastSent(); err == nil && !t.IsZero() {
		gauge("spoolgate_last_sent_timestamp_seconds", unix(t))
	}
	return set
}

// outcomeName is the counter of k under prefix, e.g.
// spoolgate_recipients_failed_total{cause="mailbox-unknown"}.
func outcomeName(prefix string, k gateway.Outcome) string {
	name := prefix + "_" + string(k.Status) + "_total"
	if k.Cause != "" {
		name += `{cause="` + labelValue(k.Cause) + `"}`
	}
	return name
}

func sortedOutcomes(m map[gateway.Outcome]int64) []gateway.Outcome {
	ks := make([]gateway.Outcome, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b gateway.Outcome) int {
		return strings.Compare(string(a.Status)+"\x00"+a.Cause, string(b.Status)+"\x00"+b.Cause)
	})
	return ks
}

func sortedKeys(m map[gateway.ChainCause]int64) []gateway.ChainCause {
	ks := make([]gateway.ChainCause, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b gateway.ChainCause) int {
		return strings.Compare(a.Chain+"\x00"+a.Cause, b.Chain+"\x00"+b.Cause)
	})
	return ks
}

// unix is t in seconds since 1970, as the text format writes times.
func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// labelValue escapes v for a label value of the text format.
func labelValue(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}
