package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// monitored is a console over a running gateway that relays to srv.
type monitored struct {
	s     *Server
	g     *gateway.Gateway
	cfg   *config.Config
	token string
	stop  func()
}

func newMonitored(t *testing.T, srv *smtptest.Server, open bool) *monitored {
	t.Helper()
	dir := spooltest.TempDir(t)
	ini := fmt.Sprintf(`[spool]
folder = queue
data = data
instance = test
settle = 0s

[smtp]
host = 127.0.0.1
port = %d

[message]
from = library@example.org

[console]
listen = %s
metrics_open = %v
`, srv.Port(), testHost, open)
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g, err := gateway.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	users, err := accounts.Open(filepath.Join(cfg.Spool.Data, accounts.FileName))
	if err != nil {
		t.Fatal(err)
	}
	token, err := users.AddToken("prometheus", accounts.Librarian)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, g, users, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return &monitored{s: s, g: g, cfg: cfg, token: token, stop: stop}
}

func (m *monitored) get(path, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", path, nil)
	r.Host = testHost
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	m.s.Handler().ServeHTTP(w, r)
	return w
}

// scrape reads /metrics with the strict parser of Prometheus: a value per
// series, as name{labels}.
func (m *monitored) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	w := m.get("/metrics", m.token)
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", w.Code, w.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(w.Body.String()))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v\n%s", err, w.Body)
	}
	out := map[string]float64{}
	for name, f := range fams {
		if !strings.HasPrefix(name, "spoolgate_") {
			t.Errorf("metric %s is not named spoolgate_...", name)
		}
		for _, mt := range f.GetMetric() {
			key := name
			var ls []string
			for _, l := range mt.GetLabel() {
				ls = append(ls, l.GetName()+`="`+l.GetValue()+`"`)
			}
			if len(ls) > 0 {
				key += "{" + strings.Join(ls, ",") + "}"
			}
			v := mt.GetUntyped().GetValue()
			if mt.Gauge != nil {
				v = mt.GetGauge().GetValue()
			} else if mt.Counter != nil {
				v = mt.GetCounter().GetValue()
			}
			out[key] = v
		}
	}
	return out
}

func dropMessage(t *testing.T, cfg *config.Config, name, to string) {
	t.Helper()
	data := "To: " + to + "\r\nSubject: Your loan\r\n\r\nPlease return the book.\r\n"
	if err := spool.WriteFile(cfg.Spool.Folder, name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMetrics_AfterSendingAndARefusal(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.AtRcpt("nobody@example.org",
		smtptest.Refuse(550, [3]int{5, 1, 1}, "User unknown"))))
	m := newMonitored(t, srv, false)
	dropMessage(t, m.cfg, "a.eml", "ann@example.org")
	dropMessage(t, m.cfg, "b.eml", "bob@example.org")
	dropMessage(t, m.cfg, "c.eml", "nobody@example.org")
	srv.WaitMessages(t, 2, 20*time.Second)

	want := map[string]float64{
		"spoolgate_running":                                          1,
		"spoolgate_messages_sent_total":                              2,
		"spoolgate_recipients_sent_total":                            2,
		`spoolgate_messages_failed_total{cause="address-unknown"}`:   1,
		`spoolgate_recipients_failed_total{cause="address-unknown"}`: 1,
		"spoolgate_queue_waiting_files":                              0,
		"spoolgate_queue_bad_files":                                  1,
		"spoolgate_queue_deferred_files":                             0,
		"spoolgate_queue_sending_files":                              0,
		"spoolgate_queue_oldest_waiting_age_seconds":                 0,
		`spoolgate_relay_available{chain="smtp"}`:                    1,
		`spoolgate_relay_failures_in_row{chain="smtp"}`:              0,
	}
	var got map[string]float64
	deadline := time.Now().Add(20 * time.Second)
	for {
		got = m.scrape(t)
		ok := true
		for k, v := range want {
			if g, found := got[k]; !found || g != v {
				ok = false
			}
		}
		if ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for k, v := range want {
		if g, found := got[k]; !found || g != v {
			t.Errorf("%s = %v (found %v), want %v", k, g, found, v)
		}
	}
	now := float64(time.Now().Unix())
	for _, k := range []string{`spoolgate_relay_last_success_timestamp_seconds{chain="smtp"}`, "spoolgate_last_sent_timestamp_seconds",
		"spoolgate_start_time_seconds", `spoolgate_relay_state_since_timestamp_seconds{chain="smtp"}`} {
		if v := got[k]; v < now-120 || v > now+5 {
			t.Errorf("%s = %v, want about now (%v)", k, v, now)
		}
	}
	if t.Failed() {
		t.Logf("scraped: %v", got)
	}

	// A file that waits: the gauges say so, and its age grows.
	m.stop()
	dropMessage(t, m.cfg, "d.eml", "dan@example.org")
	old := time.Now().Add(-90 * time.Second)
	if err := os.Chtimes(filepath.Join(m.cfg.Spool.Folder, "d.eml"), old, old); err != nil {
		t.Fatal(err)
	}
	got = m.scrape(t)
	if got["spoolgate_queue_waiting_files"] != 1 || got["spoolgate_queue_oldest_waiting_age_seconds"] < 89 || got["spoolgate_running"] != 0 {
		t.Errorf("with a file waiting 90 s and the gateway stopped: waiting %v, oldest age %v, running %v",
			got["spoolgate_queue_waiting_files"], got["spoolgate_queue_oldest_waiting_age_seconds"], got["spoolgate_running"])
	}
	if w := m.get("/healthz", m.token); w.Code != http.StatusServiceUnavailable {
		t.Errorf("/healthz of a stopped gateway: %d %s", w.Code, w.Body)
	}
}

func TestMetrics_NeedATokenUnlessOpen(t *testing.T) {
	srv := smtptest.NewServer(t)
	m := newMonitored(t, srv, false)
	waitRunning(t, m.g)
	for _, path := range []string{"/metrics", "/healthz"} {
		if w := m.get(path, ""); w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s without a token: %d", path, w.Code)
		}
		if w := m.get(path, "not-a-token"); w.Code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d", path, w.Code)
		}
		if w := m.get(path, m.token); w.Code != http.StatusOK {
			t.Errorf("%s with a token: %d %s", path, w.Code, w.Body)
		}
	}
	if w := m.get("/healthz", m.token); strings.TrimSpace(w.Body.String()) != `{"status":"ok","running":true}` {
		t.Errorf("/healthz: %s", w.Body)
	}

	open := newMonitored(t, smtptest.NewServer(t), true)
	waitRunning(t, open.g)
	for _, path := range []string{"/metrics", "/healthz"} {
		if w := open.get(path, ""); w.Code != http.StatusOK {
			t.Errorf("%s without a token, metrics_open = true: %d", path, w.Code)
		}
	}
}

func waitRunning(t *testing.T, g *gateway.Gateway) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !g.Running(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not start")
		}
	}
}
