package daily

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestGather(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{}
	day := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	now := day.Add(9 * time.Hour)

	if in := Gather(cfg, nil, day, now, nil, nil); in.Notices != nil || in.Journal != nil || !in.Now.Equal(now) || in.NotRunning {
		t.Errorf("no scan reader: %+v", in)
	}

	want := &NoticeSummary{Queued: map[string]int{"overdue": 2}}
	var asked time.Time
	in := Gather(cfg, nil, day, now, func(c *config.Config, d time.Time) (*NoticeSummary, error) {
		if c != cfg {
			t.Error("the scan reader got another config")
		}
		asked = d
		return want, nil
	}, nil)
	if in.Notices != want || !asked.Equal(day) {
		t.Errorf("scan record: notices %+v for %v; want %+v for %v", in.Notices, asked, want, day)
	}

	// A record that cannot be read is a scan that did not run, logged.
	lb := &spooltest.Buffer{}
	in = Gather(cfg, nil, day, now, func(*config.Config, time.Time) (*NoticeSummary, error) {
		return want, errors.New("notices.db is locked")
	}, slog.New(slog.NewTextHandler(lb, nil)))
	if in.Notices != nil {
		t.Errorf("an unreadable record gave notices %+v", in.Notices)
	}
	if !strings.Contains(lb.String(), "notices.db is locked") || !strings.Contains(lb.String(), "2026-12-03") {
		t.Errorf("the log does not say why:\n%s", lb.String())
	}
}
