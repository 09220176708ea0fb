package config

import (
	"strings"
	"testing"
	"time"
)

// [smtp] session_messages and session_time: the defaults, 0 for no limit,
// and a [smtp.NAME] server's own values.
func TestLoad_SessionLimits(t *testing.T) {
	c, _ := mustLoad(t, minimal)
	if s := c.SMTP; s.SessionMessages != 100 || s.SessionTime != 5*time.Minute {
		t.Errorf("defaults: SessionMessages = %d, SessionTime = %v; want 100, 5m", s.SessionMessages, s.SessionTime)
	}

	c, _ = mustLoad(t, strings.Replace(minimal, "host = smtp.example.org",
		"host = smtp.example.org\nsession_messages = 0\nsession_time = 0\nnext = backup", 1)+`
[smtp.backup]
host = backup.example.org
session_messages = 20
session_time = 90s
`)
	if s := c.SMTP; s.SessionMessages != 0 || s.SessionTime != 0 {
		t.Errorf("[smtp]: SessionMessages = %d, SessionTime = %v; want 0, 0 (no limit)", s.SessionMessages, s.SessionTime)
	}
	if b := c.SMTP.Next; b == nil || b.SessionMessages != 20 || b.SessionTime != 90*time.Second {
		t.Errorf("[smtp.backup] = %+v; want session_messages 20, session_time 90s", b)
	}
}

func TestLoad_SessionLimitsBad(t *testing.T) {
	for v, want := range map[string]string{
		"session_messages = many": "want a whole number of messages, 0 or more",
		"session_messages = 1.5":  "want a whole number of messages, 0 or more",
		"session_time = -1m":      "want a duration, e.g. session_time = 5m (units s, m, h, d), or 0 to keep a connection for any time",
		"session_time = forever":  "want a duration, e.g. session_time = 5m",
		"session_time = 5":        "write a unit, e.g. session_time = 5m (units s, m, h, d); 0 keeps a connection for any time",
	} {
		errs := loadErrors(t, strings.Replace(minimal, "host = smtp.example.org", "host = smtp.example.org\n"+v, 1))
		key, value, _ := strings.Cut(v, " = ")
		if len(errs) != 1 || errs[0].Key != key || errs[0].Value != value || errs[0].Line != 7 ||
			!strings.Contains(errs[0].Error(), want) {
			t.Errorf("%s: errors %v; want one for line 7 containing %q", v, errs, want)
		}
	}
}
