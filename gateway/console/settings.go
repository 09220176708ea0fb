package console

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/gateway/lang"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/safefile"
)

func init() {
	register(page{order: NavSettings, path: "/settings", name: "settings", role: accounts.Admin,
		label: func(w *words) string { return settingsWordsFor(langOf(w)).Nav }, load: loadSettings})
	registerPost(post{path: "/settings", role: accounts.Admin, handle: saveSettings})
	registerActionLabel(ActSettings, map[string]string{"en": "settings changed", "sv": "inställningar ändrade",
		"nb": "innstillinger endret", "pl": "zmiana ustawień", "cs": "změna nastavení", "ru": "изменены настройки"})
}

// ActSettings is a saved change of settings.
const ActSettings = "settings"

// field is one key an admin changes day to day: where it lives in the
// config file, and how the form shows it.
type field struct {
	Section, Key string
	Kind         string // text, number, select, password
	Options      []string
	value        func(c *config.Config) string // the effective value
}

// fields are the keys the settings page edits, in the form's order: the
// relay, its login, the sender, the rate, the test address and the daily
// log. Everything else is edited in the file.
var fields = []field{
	{Section: "smtp", Key: "host", Kind: "text", value: func(c *config.Config) string { return srvOf(c).Host }},
	{Section: "smtp", Key: "port", Kind: "number", value: func(c *config.Config) string {
		if srvOf(c).Port == 0 {
			return ""
		}
		return strconv.Itoa(srvOf(c).Port)
	}},
	{Section: "smtp", Key: "security", Kind: "select", Options: []string{"auto", "starttls", "tls", "none"},
		value: func(c *config.Config) string { return string(srvOf(c).Security) }},
	{Section: "smtp", Key: "username", Kind: "text", value: func(c *config.Config) string { return srvOf(c).Username }},
	{Section: "smtp", Key: "password", Kind: "password", value: func(*config.Config) string { return "" }},
	{Section: "message", Key: "from", Kind: "text", value: func(c *config.Config) string { return c.Message.From }},
	{Section: "message", Key: "from_name", Kind: "text", value: func(c *config.Config) string { return c.Message.FromName }},
	{Section: "spool", Key: "batch", Kind: "number", value: func(c *config.Config) string { return strconv.Itoa(c.Spool.Batch) }},
	{Section: "spool", Key: "interval", Kind: "text", value: func(c *config.Config) string { return durationText(c.Spool.Interval) }},
	{Section: "message", Key: "test_to", Kind: "text", value: func(c *config.Config) string { return c.Message.TestTo }},
	{Section: "log", Key: "daily_to", Kind: "text", value: func(c *config.Config) string { return strings.Join(c.Log.DailyTo, ", ") }},
	{Section: "log", Key: "language", Kind: "select", Options: lang.Codes(), value: func(c *config.Config) string { return c.Log.Language }},
}

// srvOf is [smtp] of c, or an empty server in capture mode.
func srvOf(c *config.Config) *config.Server {
	if c.SMTP != nil {
		return c.SMTP
	}
	return &config.Server{}
}

// durationText writes d as the config writes durations: 3m, 90s, 1h30m.
func durationText(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0s"
	}
	return s
}

// settingsView is what the settings page shows.
type settingsView struct {
	W       *settingsWords
	File    string
	Fields  []fieldView
	Written []config.Setting // the file's keys, secrets masked
	Errors  []string         // why the last save was refused
	Saved   string           // the message after a save
	Capture bool             // [smtp] capture: the relay fields do not apply
}

type fieldView struct {
	ID, Name, Label, Kind, Value string // ID: Name with - for . (a CSS selector reads . as a class)
	Options                      []optionView
	Help                         string
}

type optionView struct {
	Value    string
	Selected bool
}

// savedView is the page after a save that the engine applies: the values
// saved, which the restarted engine will show as its own.
func (s *Server) savedView(v *visitor, typed map[string]string) settingsView {
	out := s.settingsView(v, typed, nil, "applied")
	out.Written = nil // the file as it was: the next page shows it as it is
	return out
}

func loadSettings(s *Server, r *http.Request, v *visitor) any {
	return s.settingsView(v, nil, nil, r.URL.Query().Get("saved"))
}

// settingsView is the page for the config as loaded, with the values the
// admin typed (typed, nil: the effective ones) and the errors of a
// refused save.
func (s *Server) settingsView(v *visitor, typed map[string]string, errs []string, saved string) settingsView {
	sw := settingsWordsFor(v.lang)
	cfg := s.cfg
	out := settingsView{W: sw, File: cfg.File, Written: cfg.Settings(), Errors: errs, Capture: cfg.Capture != ""}
	switch saved {
	case "applied":
		out.Saved = sw.SavedApplied
	case "restart":
		out.Saved = sw.SavedRestart
	}
	for _, f := range fields {
		name := f.Section + "." + f.Key
		val := f.value(cfg)
		if t, ok := typed[name]; ok && f.Kind != "password" {
			val = t
		}
		fv := fieldView{ID: strings.ReplaceAll(name, ".", "-"), Name: name, Label: "[" + f.Section + "] " + f.Key, Kind: f.Kind, Value: val, Help: sw.Help[name]}
		for _, o := range f.Options {
			fv.Options = append(fv.Options, optionView{Value: o, Selected: o == val})
		}
		out.Fields = append(out.Fields, fv)
	}
	return out
}

// saveSettings checks the form's changes exactly as spoolgate checks the
// file at start (config.LoadText of the edited file), and only when they
// pass writes the file atomically, with a dated copy of the one before,
// records who changed which keys, and applies it: the engine restarts
// inside the service on the saved file. A change that does not pass is
// shown with the errors spoolgate would give at start, and not saved.
func saveSettings(s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := visitorOf(r.Context())
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, r, v, http.StatusBadRequest, err.Error())
			return
		}
		typed := map[string]string{}
		var changes []config.Change
		var changed []string
		password := ""
		for _, f := range fields {
			name := f.Section + "." + f.Key
			val := strings.TrimSpace(r.PostForm.Get(name))
			typed[name] = val
			if f.Kind == "password" {
				if val != "" {
					password = r.PostForm.Get(name) // as typed: spaces may be part of it
					changed = append(changed, name)
				}
				continue
			}
			if val != f.value(s.cfg) {
				changes = append(changes, config.Change{Section: f.Section, Key: f.Key, Value: val})
				changed = append(changed, name)
			}
		}
		if len(changed) == 0 {
			http.Redirect(w, r, "/settings", http.StatusSeeOther)
			return
		}
		pwFile := ""
		if password != "" {
			if s.cfg.SMTP != nil && s.cfg.SMTP.PasswordFile != "" {
				pwFile = s.cfg.SMTP.PasswordFile // written beside, below
			} else {
				changes = append(changes, config.Change{Section: "smtp", Key: "password", Value: password})
			}
		}
		errs := s.applySettings(changes, pwFile, password)
		act := Action{At: s.now(), User: v.user.Name, Addr: remoteHost(r), What: ActSettings, Target: s.cfg.File,
			Detail: "changed " + strings.Join(changed, ", "), OK: len(errs) == 0}
		if len(errs) > 0 {
			act.Detail = "refused: " + strings.Join(changed, ", ")
			s.actions.record(act)
			s.render(w, r, v, http.StatusUnprocessableEntity, "settings", settingsWordsFor(v.lang).Nav,
				s.settingsView(v, typed, errs, ""))
			return
		}
		s.actions.record(act)
		if s.restart == nil {
			http.Redirect(w, r, "/settings?saved=restart", http.StatusSeeOther)
			return
		}
		// The answer is the page itself, not a redirect: the console
		// restarts with the engine, and a redirect followed at that moment
		// would find nobody answering.
		s.render(w, r, v, http.StatusOK, "settings", settingsWordsFor(v.lang).Nav, s.savedView(v, typed))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		go s.restart()
	})
}

// applySettings edits the config file with changes (and, when pwFile is
// set, writes password there), after checking the result as Load would.
// It returns the errors that refused it, in spoolgate's words.
func (s *Server) applySettings(changes []config.Change, pwFile, password string) []string {
	path := s.cfg.File
	old, err := safefile.ReadFile(path, 1<<20)
	if err != nil {
		return []string{fmt.Sprintf("cannot read %s: %v", path, err)}
	}
	text, err := config.Edit(old, changes)
	if err != nil {
		return []string{err.Error()}
	}
	if _, err := config.LoadText(path, text); err != nil {
		var out []string
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				out = append(out, e.Error())
			}
		} else {
			out = append(out, err.Error())
		}
		return out
	}
	fi, err := os.Stat(path)
	if err != nil {
		return []string{err.Error()}
	}
	if !bytes.Equal(old, text) {
		backup := path + "." + s.now().Format("2006-01-02-150405") + ".bak"
		if err := spool.WriteFile(filepath.Dir(backup), filepath.Base(backup), old, fi.Mode().Perm()); err != nil {
			return []string{fmt.Sprintf("cannot keep a copy of the settings before as %s: %v; nothing was saved", backup, err)}
		}
		if err := spool.WriteFile(filepath.Dir(path), filepath.Base(path), text, fi.Mode().Perm()); err != nil {
			return []string{fmt.Sprintf("cannot write %s: %v; nothing was saved", path, err)}
		}
		s.log.Info("settings saved from the console", "config", path, "backup", backup)
	}
	if pwFile != "" {
		if err := spool.WriteFile(filepath.Dir(pwFile), filepath.Base(pwFile), []byte(password+"\n"), 0o600); err != nil {
			return []string{fmt.Sprintf("cannot write the password file %s: %v", pwFile, err)}
		}
	}
	return nil
}
