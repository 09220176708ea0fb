package console

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/lang"
)

// settingsForm is the form as the page fills it for the fixture's config,
// with changes.
func settingsForm(t *testing.T, f *fixture, changes map[string]string) url.Values {
	t.Helper()
	form := url.Values{}
	for _, fl := range fields {
		form.Set(fl.Section+"."+fl.Key, fl.value(f.s.cfg))
	}
	for k, v := range changes {
		form.Set(k, v)
	}
	return form
}

func TestSettings_ShowsMaskedAndAdminOnly(t *testing.T) {
	f := newFixture(t)
	w := f.do("GET", "/settings", nil, f.login(t, "alice"))
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `value="smtp.example.org"`) || !strings.Contains(body, config.Masked) ||
		!strings.Contains(body, f.s.cfg.File) {
		t.Fatalf("GET /settings: %d\n%s", w.Code, body)
	}
	if strings.Contains(body, smtpPassword) || strings.Contains(body, clientSecret) {
		t.Fatal("the settings page shows a secret")
	}
	if w := f.do("GET", "/settings", nil, f.login(t, "libby")); w.Code != http.StatusForbidden {
		t.Errorf("a librarian got the settings page: %d", w.Code)
	}
	if w := f.do("POST", "/settings", settingsForm(t, f, map[string]string{"smtp.host": "evil.example.org"}), f.login(t, "libby")); w.Code != http.StatusForbidden {
		t.Errorf("a librarian saved settings: %d", w.Code)
	}
	if data, _ := os.ReadFile(f.s.cfg.File); strings.Contains(string(data), "evil.example.org") {
		t.Error("a librarian's change reached the file")
	}
}

// A valid change is written (only the changed keys), a dated copy of the
// file before is kept, the change is recorded, and the engine restarts.
func TestSettings_SaveApplies(t *testing.T) {
	f := newFixture(t)
	restarted := make(chan struct{}, 1)
	f.s.SetRestart(func() { restarted <- struct{}{} })
	before, err := os.ReadFile(f.s.cfg.File)
	if err != nil {
		t.Fatal(err)
	}
	w := f.do("POST", "/settings", settingsForm(t, f, map[string]string{
		"smtp.host": "relay.example.org", "spool.batch": "20", "log.language": "sv", "smtp.password": "n3w pass;word",
	}), f.login(t, "alice"))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="saved"`) || strings.Contains(w.Body.String(), "n3w pass") {
		t.Fatalf("save: %d\n%s", w.Code, w.Body)
	}
	select {
	case <-restarted:
	case <-time.After(10 * time.Second):
		t.Fatal("the engine was not restarted")
	}
	after, err := os.ReadFile(f.s.cfg.File)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(f.s.cfg.File)
	if err != nil {
		t.Fatalf("the saved file does not load: %v\n%s", err, after)
	}
	if cfg.SMTP.Host != "relay.example.org" || cfg.Spool.Batch != 20 || cfg.Log.Language != "sv" || cfg.SMTP.Password != "n3w pass;word" {
		t.Errorf("saved: host %q batch %d language %q", cfg.SMTP.Host, cfg.Spool.Batch, cfg.Log.Language)
	}
	// Every other line is as it was: the lines gone and the lines added
	// are the changed keys alone.
	gone, added := lineDiff(string(before), string(after))
	if gone != "host = smtp.example.org|password = "+smtpPassword ||
		added != "batch = 20|host = relay.example.org|password = n3w pass;word|[log]|language = sv" {
		t.Errorf("lines gone %q, added %q:\n%s", gone, added, after)
	}
	backups, _ := filepath.Glob(f.s.cfg.File + ".*.bak")
	if len(backups) != 1 {
		t.Fatalf("backups: %v", backups)
	}
	if data, _ := os.ReadFile(backups[0]); string(data) != string(before) {
		t.Error("the backup is not the file before")
	}
	acts, err := f.s.g.Journal().Actions(5)
	if err != nil || len(acts) == 0 || acts[0].What != ActSettings || acts[0].User != "alice" || !acts[0].OK ||
		!strings.Contains(acts[0].Detail, "smtp.host") || strings.Contains(acts[0].Detail, "n3w") {
		t.Errorf("the action: %+v %v", acts, err)
	}
	page := f.do("GET", "/settings?saved=applied", nil, f.login(t, "alice")).Body.String()
	if strings.Contains(page, "n3w pass") || !strings.Contains(page, `id="saved"`) {
		t.Errorf("after the save the page shows the password, or no confirmation")
	}
}

// A change spoolgate would refuse at start is not saved: the page shows
// the same error Load gives, and the file and the engine are untouched.
func TestSettings_InvalidNotSaved(t *testing.T) {
	f := newFixture(t)
	restarted := make(chan struct{}, 1)
	f.s.SetRestart(func() { restarted <- struct{}{} })
	before, _ := os.ReadFile(f.s.cfg.File)
	w := f.do("POST", "/settings", settingsForm(t, f, map[string]string{"spool.batch": "many", "message.from": "not an address"}), f.login(t, "alice"))
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "[spool] batch = &#34;many&#34;: want a whole number") ||
		!strings.Contains(body, "[message] from") || !strings.Contains(body, `value="many"`) {
		t.Fatalf("refused save: %d\n%s", w.Code, body)
	}
	if after, _ := os.ReadFile(f.s.cfg.File); string(after) != string(before) {
		t.Error("a refused change was written")
	}
	if backups, _ := filepath.Glob(f.s.cfg.File + ".*.bak"); len(backups) != 0 {
		t.Errorf("a refused change left a backup: %v", backups)
	}
	select {
	case <-restarted:
		t.Error("a refused change restarted the engine")
	default:
	}
	if acts, _ := f.s.g.Journal().Actions(1); len(acts) != 1 || acts[0].What != ActSettings || acts[0].OK {
		t.Errorf("the refused save was not recorded: %+v", acts)
	}
}

// lineDiff lists the non-blank lines of a missing from b, and of b
// missing from a, each joined with |.
func lineDiff(a, b string) (gone, added string) {
	count := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		count[l]++
	}
	var add []string
	for _, l := range strings.Split(b, "\n") {
		if count[l] > 0 {
			count[l]--
		} else if strings.TrimSpace(l) != "" {
			add = append(add, l)
		}
	}
	var g []string
	for _, l := range strings.Split(a, "\n") {
		if count[l] > 0 && strings.TrimSpace(l) != "" {
			g = append(g, l)
			count[l]--
		}
	}
	return strings.Join(g, "|"), strings.Join(add, "|")
}

// Every language has every text of the settings page.
func TestSettingsWords_Complete(t *testing.T) {
	for _, code := range lang.Codes() {
		w, ok := settingsCatalogue[code]
		if !ok {
			t.Errorf("%s: no settings words", code)
			continue
		}
		for _, s := range []string{w.Nav, w.Intro, w.FileIs, w.Save, w.Saved, w.SavedApplied, w.SavedRestart, w.NotSaved,
			w.HFile, w.ColLine, w.ColKey, w.ColValue, w.PasswordKeep, w.CaptureNote, w.Default} {
			if s == "" {
				t.Errorf("%s: an empty settings text", code)
			}
		}
		for _, f := range fields {
			if f.Kind != "password" && w.Help[f.Section+"."+f.Key] == "" {
				t.Errorf("%s: no help for %s.%s", code, f.Section, f.Key)
			}
		}
		if actionLabel(ActSettings, code) == ActSettings {
			t.Errorf("%s: the settings action has no name", code)
		}
	}
}
