package config

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding/unicode"
	"gopkg.in/ini.v1"

	"github.com/spoolgate/spoolgate/spool/safefile"
)

// Defaults of the keys that have one.
const (
	DefaultBatch          = 10
	DefaultInterval       = 3 * time.Minute
	DefaultSettle         = 2 * time.Second
	DefaultRetryFor       = 48 * time.Hour
	DefaultDedupeWindow   = 7 * 24 * time.Hour
	DefaultRetryDelay     = time.Minute
	DefaultRetryMax       = time.Hour
	DefaultMaxSize        = 25 << 20
	DefaultCharset        = "utf-8"
	DefaultData           = "data"
	DefaultConsoleListen  = "127.0.0.1:8025"
	DefaultConsoleSession = 8 * time.Hour
	DefaultAlarmAfter     = time.Hour
	DefaultBouncesFolder  = "INBOX"
	DefaultBouncesEvery   = 5 * time.Minute
	DefaultSuppressDays   = 30
	DefaultIMAPTLSPort    = 993
	DefaultIMAPPort       = 143
	DefaultPort           = 25
	DefaultTLSPort        = 465
	DefaultConnectTimeout = 30 * time.Second
	DefaultTimeout        = 3 * time.Minute
	DefaultConnections    = 1
	DefaultRetention      = 90 * day
	DefaultLogDays        = 30
	DefaultWarningDays    = 3
	DefaultOverdueDays    = 1
	DefaultReminderDays   = 3
	DefaultRecipient      = RecipientPatron
	DefaultLanguage       = "en"
	DefaultStaleAfter     = 2 * day
)

// Defaults of [smtp] session_messages and session_time.
const (
	DefaultSessionMessages = 100
	DefaultSessionTime     = 5 * time.Minute
)

// Defaults of the times of day.
var (
	DefaultOverdueAt = Clock{Hour: 6, Minute: 30}  // [overdue] at
	DefaultDailyAt   = Clock{Hour: 23, Minute: 55} // [log] daily_at
)

// defaultPatterns are the default file name patterns of [spool] pattern.
var defaultPatterns = []string{"*.tmp", "*.eml"}

// Load reads the INI file at path and returns the validated configuration.
// Defaults come first, then the file, then every check; all problems are
// returned together, joined with errors.Join, each an *Error wrapping
// ErrConfig. A file that is missing or can't be read is such an error too.
func Load(path string) (*Config, error) {
	l := newLoader(path)
	data, rerr := l.read()
	if rerr != nil {
		return nil, errors.Join(rerr)
	}
	return l.load(data)
}

// LoadText validates data as if it were the config file at path, with
// the same checks and the same errors as Load (relative paths are taken
// from path's folder, and errors name path and its lines): the console
// checks an edit with it before the file is written.
func LoadText(path string, data []byte) (*Config, error) {
	if len(data) > maxConfigSize {
		return nil, errors.Join(&Error{File: path, Want: fmt.Sprintf("a config file of at most %d bytes", maxConfigSize)})
	}
	return newLoader(path).load(data)
}

// load is Load of the file's contents, data.
func (l *loader) load(data []byte) (*Config, error) {
	clean, lay, errs, fatal := scan(l.file, data)
	l.lay = lay
	for _, e := range errs {
		l.errs = append(l.errs, e)
	}
	for _, sec := range lay.order {
		for _, k := range sec.order {
			if k.broken {
				l.failed[sec.name+"\x00"+k.name] = true
			}
		}
	}
	if fatal {
		return nil, l.result()
	}
	f, err := ini.LoadSources(iniOptions, clean)
	if err != nil {
		// scan has accepted the file, so this would be a bug; the parser's
		// message may quote a line, and a line may hold a password, so it
		// goes in Err, not in the message.
		l.errs = append(l.errs, &Error{File: l.file, Err: err,
			Want: "the file could not be parsed; compare its syntax with examples/spoolgate.ini"})
		return nil, l.result()
	}
	lay.fillValues(f)
	l.apply(f)
	l.validate()
	if len(l.errs) > 0 {
		return nil, l.result()
	}
	l.cfg.lay = lay
	return l.cfg, nil
}

// loader is one run of Load.
type loader struct {
	file     string // absolute path of the config file
	dir      string // its folder: relative paths resolve against it
	hostname string // os.Hostname(), or ""
	lay      *layout
	cfg      *Config
	servers  []*serverDraft // [smtp] (if present) and [smtp.NAME], in file order
	head     *serverDraft   // [smtp], or nil
	units    []*unitDraft   // [unit.NAME], in file order
	errs     []error
	failed   map[string]bool // "section\x00key" of every key with a reported problem
	bounces  *serverDraft    // [bounces]: its server is the mailbox's; never in servers
}

// serverDraft is a Server being built, with what validate needs to know
// about how it was written.
type serverDraft struct {
	srv          *Server
	section      string // "smtp" or "smtp.NAME"
	next         string // [.] next as written
	passwordFile string // password_file as resolved, or ""
	nextDraft    *serverDraft
}

// unitDraft is a Unit being built.
type unitDraft struct {
	unit    *Unit
	section string // "unit.NAME"
	smtp    string // smtp as written
}

func newLoader(path string) *loader {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	host, _ := os.Hostname()
	l := &loader{file: abs, dir: filepath.Dir(abs), hostname: host, failed: map[string]bool{}}
	l.cfg = &Config{
		File: abs,
		Spool: Spool{
			Patterns:     slices.Clone(defaultPatterns),
			Batch:        DefaultBatch,
			Interval:     DefaultInterval,
			Settle:       DefaultSettle,
			RetryFor:     DefaultRetryFor,
			DedupeWindow: DefaultDedupeWindow,
			RetryDelay:   DefaultRetryDelay,
			RetryMax:     DefaultRetryMax,
			MaxSize:      DefaultMaxSize,
			Charset:      DefaultCharset,
			Encoding:     unicode.UTF8,
			Data:         l.abs(DefaultData),
			Instance:     sanitizeInstance(host),
		},
		Journal: Journal{Retention: DefaultRetention},
		Log: Log{Days: DefaultLogDays, Level: slog.LevelInfo,
			Daily: true, DailyAt: DefaultDailyAt, Language: DefaultLanguage},
		Overdue: Overdue{
			At:           DefaultOverdueAt,
			Charset:      DefaultCharset,
			Encoding:     unicode.UTF8,
			WarningDays:  DefaultWarningDays,
			OverdueDays:  DefaultOverdueDays,
			ReminderDays: DefaultReminderDays,
			Recipient:    DefaultRecipient,
			Language:     DefaultLanguage,
			StaleAfter:   DefaultStaleAfter,
		},
		Units:   map[string]*Unit{},
		Servers: map[string]*Server{},
		Service: Service{Location: time.Local},
		Console: Console{Listen: DefaultConsoleListen, Session: DefaultConsoleSession},
		Alarm:   Alarm{After: DefaultAlarmAfter},
		Bounces: Bounces{Folder: DefaultBouncesFolder, Every: DefaultBouncesEvery, SuppressDays: DefaultSuppressDays},
	}
	l.bounces = &serverDraft{section: "bounces", srv: &Server{Name: "bounces", Security: SecurityTLS, TLSVerify: true,
		ConnectTimeout: DefaultConnectTimeout, Timeout: DefaultTimeout}}
	l.cfg.Bounces.IMAP = l.bounces.srv
	return l
}

// read reads the config file itself, through safefile: only a regular
// file of at most maxConfigSize bytes is read, never a link (nor, on
// Windows, a junction), a pipe or a device, and the bound is measured on
// the open file.
func (l *loader) read() ([]byte, *Error) {
	fail := func(want string, err error) *Error {
		return &Error{File: l.file, Want: want, Err: err}
	}
	data, err := safefile.ReadFile(l.file, maxConfigSize)
	var (
		nr *safefile.NotRegularError
		tl *safefile.TooLargeError
	)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fail("the file does not exist", err)
	case errors.As(err, &nr) && nr.Kind == safefile.Folder:
		return nil, fail("this is a folder; want the path of the config file", err)
	case errors.As(err, &nr) && (nr.Kind == safefile.Link || nr.Kind == safefile.Reparse):
		return nil, fail(fmt.Sprintf("this is %s; spoolgate reads only a regular file here and follows no link: "+
			"give --config the path of the config file itself (or put the file where the link is)", nr.Kind), err)
	case errors.As(err, &nr):
		return nil, fail(fmt.Sprintf("this is %s, not a regular file; want the path of the config file", nr.Kind), err)
	case errors.As(err, &tl):
		return nil, fail(fmt.Sprintf("the file is too big for a config file (over %d bytes)", maxConfigSize), err)
	case err != nil:
		return nil, fail(fmt.Sprintf("cannot read the file (%v)", pathErr(err)), err)
	}
	return data, nil
}

// abs resolves p against the config file's folder.
func (l *loader) abs(p string) string {
	switch {
	case filepath.IsAbs(p):
		return filepath.Clean(p)
	case runtime.GOOS == "windows" && (strings.HasPrefix(p, `\`) || strings.HasPrefix(p, "/")) &&
		filepath.VolumeName(p) == "":
		// \spool is absolute on the config file's drive.
		return filepath.Clean(filepath.VolumeName(l.dir) + p)
	}
	return filepath.Join(l.dir, p)
}

// fail records a problem with a key (or a whole section when key is "").
func (l *loader) fail(section, key, value, want string) {
	e := &Error{File: l.file, Section: section, Key: key, Value: value, Want: want}
	if secretKeys[key] && value != "" {
		e.Value = hidden
	}
	if key != "" {
		e.Line = l.lay.keyLine(section, key)
		l.failed[section+"\x00"+key] = true
	}
	if e.Line == 0 {
		e.Line = l.lay.sectionLine(section)
	}
	l.errs = append(l.errs, e)
}

// result joins the problems, in line order (those without a line last).
func (l *loader) result() error {
	line := func(err error) int {
		var e *Error
		if errors.As(err, &e) && e.Line > 0 {
			return e.Line
		}
		return int(^uint(0) >> 1)
	}
	slices.SortStableFunc(l.errs, func(a, b error) int { return cmp.Compare(line(a), line(b)) })
	return errors.Join(l.errs...)
}

// apply parses every key of every section into l.cfg and l.servers.
func (l *loader) apply(f *ini.File) {
	for _, sec := range f.Sections() {
		name := sec.Name()
		keys := sec.Keys() // not GetKey: that falls back to a parent section
		if name == ini.DefaultSection {
			l.applyTop(keys)
			continue
		}
		if name == kindColumns {
			l.applyColumns(keys)
			continue
		}
		defs, ok := known[sectionKind(name)]
		if !ok {
			l.fail(name, "", "", unknownSection(name))
			continue
		}
		t := &target{l: l}
		if name == "bounces" {
			t.srv = l.bounces
		}
		if name == "smtp" || sectionKind(name) == kindNamedSMTP {
			t.srv = l.newServer(name)
			if t.srv == nil {
				continue
			}
		}
		if sectionKind(name) == kindUnit {
			t.unit = l.newUnit(name)
			if t.unit == nil {
				continue
			}
		}
		for _, k := range keys {
			key, v := k.Name(), k.Value()
			def, ok := defs[key]
			if !ok {
				l.fail(name, key, "", l.unknownKey(name, key))
				continue
			}
			if v == "" && !def.empty {
				continue // "key =" means the default
			}
			if problem := def.set(t, v); problem != "" {
				l.fail(name, key, v, problem)
			}
		}
	}
}

// applyColumns records the keys of [overdue.columns] as written, every one
// of them: their names are the loans export's, which package overdue
// checks.
func (l *loader) applyColumns(keys []*ini.Key) {
	for _, k := range keys {
		l.cfg.Overdue.Columns = append(l.cfg.Overdue.Columns, Column{
			Name: k.Name(), Header: k.Value(), Line: l.lay.keyLine(kindColumns, k.Name())})
	}
}

// applyTop reports the keys before the first section header (and a
// [DEFAULT] section, which ini.v1 merges with them).
func (l *loader) applyTop(keys []*ini.Key) {
	top := l.lay.section(ini.DefaultSection)
	if top != nil && top.explicit {
		l.fail(ini.DefaultSection, "", "", unknownSection(ini.DefaultSection))
	}
	for _, k := range keys {
		line := l.lay.keyLine(ini.DefaultSection, k.Name())
		if top != nil && top.explicit && line > top.line {
			continue // inside [DEFAULT], already reported
		}
		want := "this key is outside any section; put it under its [section]"
		if homes := homesOf(k.Name()); len(homes) > 0 {
			want = "this key is outside any section; put it under " + orList(homes)
			for _, home := range homes {
				l.failed[home+"\x00"+k.Name()] = true // reported here, not as missing
			}
		}
		l.errs = append(l.errs, &Error{File: l.file, Line: line, Key: k.Name(), Want: want})
	}
}

// newServer starts the draft of [smtp] or [smtp.NAME]; nil if NAME is bad.
func (l *loader) newServer(section string) *serverDraft {
	name := "smtp"
	if section != "smtp" {
		name = strings.TrimPrefix(section, "smtp.")
		switch {
		case !serverName.MatchString(name):
			l.fail(section, "", "", "want a section name like [smtp.backup]: "+
				"after smtp. come letters, digits, _ and - only")
			return nil
		case name == "smtp":
			l.fail(section, "", "", "the name smtp belongs to [smtp]; choose another, e.g. [smtp.backup]")
			return nil
		}
	}
	d := &serverDraft{
		section: section,
		srv: &Server{
			Name:           name,
			Security:       SecurityAuto,
			TLSVerify:      true,
			ConnectTimeout: DefaultConnectTimeout,
			Timeout:        DefaultTimeout,
			Connections:    DefaultConnections,
			Pipelining:     true,

			SessionMessages: DefaultSessionMessages,
			SessionTime:     DefaultSessionTime,
		},
	}
	l.servers = append(l.servers, d)
	if section == "smtp" {
		l.head = d
	}
	return d
}

// newUnit starts the draft of [unit.NAME]; nil if NAME is bad or names a
// unit already defined (NAMEs match ignoring case).
func (l *loader) newUnit(section string) *unitDraft {
	name := strings.TrimPrefix(section, "unit.")
	if !serverName.MatchString(name) {
		l.fail(section, "", "", "want a section name like [unit.central]: "+
			"after unit. come letters, digits, _ and - only, as the unit column of the loans export "+
			"or the X-Spoolgate-Unit header writes the unit")
		return nil
	}
	for _, d := range l.units {
		if strings.EqualFold(d.unit.Name, name) {
			l.fail(section, "", "", fmt.Sprintf("this is the same unit as [%s] on line %d "+
				"(unit names match ignoring case); merge the two sections", d.section, l.lay.sectionLine(d.section)))
			return nil
		}
	}
	d := &unitDraft{unit: &Unit{Name: name}, section: section}
	l.units = append(l.units, d)
	l.cfg.Units[name] = d.unit
	return d
}

// sectionNames are the sections as the user writes them, for "did you
// mean".
var sectionNames = []string{"spool", "smtp", "message", "journal", "log", "overdue", kindColumns, "service", "console", "alarm", "bounces"}

// unknownSection says what is wrong with a section name.
func unknownSection(name string) string {
	if s := Closest(name, sectionNames); s != "" {
		return fmt.Sprintf("unknown section; did you mean [%s]?", s)
	}
	lower := strings.ToLower(name)
	prefix, rest, dotted := strings.Cut(name, ".")
	switch {
	case lower == "unit" || lower == "units":
		return "unknown section; a unit's section is [unit.NAME], e.g. [unit.central]"
	case dotted && Closest(prefix, []string{"unit"}) != "" && rest != "":
		return fmt.Sprintf("unknown section; did you mean [unit.%s]?", rest)
	case dotted && Closest(prefix, []string{"smtp"}) != "" && rest != "":
		return fmt.Sprintf("unknown section; did you mean [smtp.%s]?", rest)
	case strings.HasPrefix(lower, "smtp"):
		return "unknown section; did you mean [smtp] or [smtp.NAME], e.g. [smtp.backup]?"
	}
	return "unknown section; the sections are [spool], [smtp], [smtp.NAME], [message], [journal], [log], " +
		"[overdue], [overdue.columns], [unit.NAME] and [service]"
}

// unknownKey says what is wrong with a key name in a known section.
func (l *loader) unknownKey(section, key string) string {
	kind := sectionKind(section)
	names := keyNames(kind)
	if s := Closest(key, names); s != "" {
		return fmt.Sprintf("unknown key; did you mean %s?", s)
	}
	if homes := homesOf(key); len(homes) > 0 {
		switch {
		case kind == kindNamedSMTP && slices.Equal(homes, []string{"smtp"}):
			return "unknown key; capture can only be set in [smtp]"
		case kind == kindUnit && (homes[0] == "smtp" || homes[0] == kindNamedSMTP):
			return "unknown key; a unit does not set up a relay itself: name one with smtp = NAME " +
				"(smtp for [smtp], or the NAME of a [smtp.NAME] section)"
		}
		return fmt.Sprintf("unknown key here; %s belongs in %s", key, orList(homes))
	}
	want := fmt.Sprintf("unknown key; the keys of [%s] are %s", section, strings.Join(names, ", "))
	if kind == "overdue" {
		want += " (the loans export's columns are named in [overdue.columns])"
	}
	return want
}

// keyNames lists the keys of a section kind, sorted.
func keyNames(kind string) []string {
	var names []string
	for k := range known[kind] {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// homesOf returns the section kinds where key is known, in sectionOrder.
// [overdue.columns] is never one: config does not know its keys.
func homesOf(key string) []string {
	var homes []string
	for _, kind := range sectionOrder {
		if _, ok := known[kind][key]; ok {
			homes = append(homes, kind)
		}
	}
	return homes
}

// orList writes section kinds as "[a]", "[a] or [b]", "[a], [b] or [c]".
func orList(kinds []string) string {
	var b strings.Builder
	for i, k := range kinds {
		switch {
		case i > 0 && i == len(kinds)-1:
			b.WriteString(" or ")
		case i > 0:
			b.WriteString(", ")
		}
		b.WriteString("[" + k + "]")
	}
	return b.String()
}

// validate runs the checks that span keys and sections, and fills in the
// defaults that depend on other keys.
func (l *loader) validate() {
	c := l.cfg
	s := &c.Spool
	if s.Folder == "" && !l.failed["spool\x00folder"] {
		l.fail("spool", "folder", "", "missing; want the queue folder, e.g. folder = queue")
	}
	if s.RetryMax < s.RetryDelay {
		if l.lay.keyLine("spool", "retry_max") > 0 {
			l.fail("spool", "retry_max", formatDuration(s.RetryMax),
				fmt.Sprintf("want at least retry_delay (%s)", formatDuration(s.RetryDelay)))
		} else {
			l.fail("spool", "retry_delay", formatDuration(s.RetryDelay),
				fmt.Sprintf("want at most retry_max (%s, the default); raise retry_max too", formatDuration(s.RetryMax)))
		}
	}
	if s.Folder != "" && samePath(s.Folder, s.Data) {
		l.fail("spool", "data", s.Data, "want a folder other than the queue folder")
	}
	if s.Folder != "" && c.Capture != "" && samePath(s.Folder, c.Capture) {
		l.fail("smtp", "capture", c.Capture, "want a folder other than the queue folder")
	}

	m := &c.Message
	if m.From == "" && !l.failed["message\x00from"] {
		l.fail("message", "from", "", "missing; want the sender's address, e.g. from = library@example.org")
	}
	if m.ReturnPath == "" {
		m.ReturnPath = m.From
	}
	if m.From != "" {
		if problem := fromTooLong(m.FromName, m.From); problem != "" {
			key := "from_name"
			if m.FromName == "" {
				key = "from"
			}
			l.fail("message", key, clipValue(l.lay.keyValue("message", key)), problem)
		}
	}

	defaultHELO := "localhost"
	if isHELO(l.hostname) {
		defaultHELO = l.hostname
	}
	for _, d := range l.servers {
		l.validateServer(d, defaultHELO)
	}
	if c.Capture == "" && l.head == nil {
		l.fail("smtp", "host", "", "missing; want the relay's host name, e.g. host = smtp.example.org "+
			"(or capture = outbox to write messages to a folder instead)")
	}
	l.resolveChain()
	if c.Capture == "" && l.head != nil {
		c.SMTP = l.head.srv
	}
	if c.Capture == "" {
		for _, d := range l.servers {
			c.Servers[d.srv.Name] = d.srv
		}
	}

	l.validateOverdue()
	l.validateUnits()
	l.validateLimits()
	l.validateConsole()
	l.validateBounces()
	if len(c.Log.DailyTo) == 0 && m.From != "" {
		c.Log.DailyTo = []string{m.From}
	}
	if len(c.Alarm.To) == 0 {
		c.Alarm.To = c.Log.DailyTo
	}
}

// validateBounces checks [bounces] as a whole: the mailbox's server and
// login, as for a relay, when reading it is on.
func (l *loader) validateBounces() {
	b := &l.cfg.Bounces
	d := l.bounces
	s := d.srv
	s.PasswordFile = d.passwordFile
	has := func(key string) bool {
		if rs := l.lay.section("bounces"); rs != nil {
			k := rs.keys[key]
			return k != nil && (k.broken || k.value != "")
		}
		return false
	}
	if s.Port == 0 {
		s.Port = DefaultIMAPPort
		if s.Security == SecurityTLS {
			s.Port = DefaultIMAPTLSPort
		}
	}
	if !b.Enabled {
		return
	}
	if s.Host == "" && !l.failed["bounces\x00imap"] {
		l.fail("bounces", "imap", "", "missing; want the IMAP server of the mailbox return_path points at, e.g. imap = mail.example.org")
	}
	l.validateOAuth(d, has)
	if s.Auth == AuthOAuth2 {
		return
	}
	switch {
	case has("password") && has("password_file"):
		l.fail("bounces", "password_file", "", "set password or password_file, not both")
	case !has("username") && !l.failed["bounces\x00username"]:
		l.fail("bounces", "username", "", "missing; want the bounce mailbox's login, e.g. username = bounces@example.org")
	case !has("password") && !has("password_file"):
		l.fail("bounces", "password_file", "", "missing; want the file holding the mailbox's password, "+
			"e.g. password_file = bounce-password (or password =, or auth = oauth2)")
	}
	if s.Security == SecurityNone && s.Host != "" && !isLoopback(s.Host) {
		l.fail("bounces", "security", string(s.Security), "the password would cross the network unencrypted; "+
			"set security = tls (or starttls); none is for a server on this machine only")
	}
}

// validateConsole checks [console] as a whole and [alarm] smtp: a console
// reachable from other machines is served over TLS only, so that no
// password or session crosses the network in the clear.
func (l *loader) validateConsole() {
	c := &l.cfg.Console
	if (c.TLSCert == "") != (c.TLSKey == "") {
		key := "tls_key"
		if c.TLSCert == "" {
			key = "tls_cert"
		}
		l.fail("console", key, "", "missing; tls_cert and tls_key go together: the certificate and its private key, "+
			"both PEM files (e.g. tls_cert = console.crt and tls_key = console.key)")
	}
	if c.Listen != "" && !l.failed["console\x00listen"] && c.TLSCert == "" {
		if host, _, err := net.SplitHostPort(c.Listen); err == nil && !isLoopback(host) {
			l.fail("console", "listen", c.Listen, "other machines could reach the console, and passwords would cross "+
				"the network unencrypted: set tls_cert and tls_key, or listen on 127.0.0.1 (e.g. listen = 127.0.0.1:8025)")
		}
	}
	for _, key := range []string{"tls_cert", "tls_key"} {
		p := c.TLSCert
		if key == "tls_key" {
			p = c.TLSKey
		}
		if p == "" || l.failed["console\x00"+key] {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			l.fail("console", key, l.lay.keyValue("console", key), fmt.Sprintf("cannot read %s: %v; want a PEM file", p, errors.Unwrap(err)))
		}
	}
	if c.TLSCert != "" && c.TLSKey != "" && !l.failed["console\x00tls_cert"] && !l.failed["console\x00tls_key"] {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			l.fail("console", "tls_cert", l.lay.keyValue("console", "tls_cert"),
				fmt.Sprintf("the certificate and tls_key do not make a pair: %v; want a PEM certificate and its own private key", err))
		}
	}
	if a := l.cfg.Alarm.SMTP; a != "" && a != "smtp" && !l.failed["alarm\x00smtp"] {
		if _, ok := l.cfg.Servers[a]; !ok && l.cfg.Capture == "" {
			l.fail("alarm", "smtp", a, "there is no such relay; want smtp for [smtp], or the NAME of a [smtp.NAME] section")
		}
	}
}

// validateOverdue checks [overdue] as a whole, and that its templates
// folder exists. The names in [overdue.columns] and the templates in the
// folder are package overdue's to check (overdue.Check).
func (l *loader) validateOverdue() {
	o := &l.cfg.Overdue
	if o.Enabled && o.Loans == "" && !l.failed["overdue\x00loans"] {
		l.fail("overdue", "loans", "", "missing; enabled = true needs the loans export the library system writes, "+
			`e.g. loans = C:\ILS\export\loans.csv (or set enabled = false)`)
	}
	if o.Enabled && o.WarningDays == 0 && o.OverdueDays == 0 && o.ReminderDays == 0 {
		l.fail("overdue", "enabled", l.lay.keyValue("overdue", "enabled"), "warning_days, overdue_days and "+
			"reminder_days are all 0, so the scan would send no notice; set one of them above 0, or enabled = false")
	}
	if o.OverdueDays > 0 && o.ReminderDays > 0 && o.ReminderDays <= o.OverdueDays &&
		!l.failed["overdue\x00overdue_days"] && !l.failed["overdue\x00reminder_days"] {
		why := "the reminder is a second notice, after the overdue notice"
		if l.lay.keyLine("overdue", "reminder_days") > 0 {
			l.fail("overdue", "reminder_days", fmt.Sprint(o.ReminderDays), fmt.Sprintf(
				"want more days than overdue_days (%d): %s; or 0 for no reminder", o.OverdueDays, why))
		} else {
			l.fail("overdue", "overdue_days", fmt.Sprint(o.OverdueDays), fmt.Sprintf(
				"want fewer days than reminder_days (%d, the default): %s; raise reminder_days too, or set it to 0",
				o.ReminderDays, why))
		}
	}
	// That the folder exists is a setting's check, as for ca_file; what
	// is in it is package overdue's (overdue.Check loads the templates).
	if o.Templates != "" {
		if _, err := os.Stat(o.Templates); errors.Is(err, fs.ErrNotExist) {
			l.fail("overdue", "templates", l.lay.keyValue("overdue", "templates"), fmt.Sprintf(
				"%s does not exist; want a folder of notice templates (see examples/templates), "+
					"or leave templates empty for the built-in notices", o.Templates))
		}
	}
}

// validateUnits gives each unit its display name and links it to its
// relay.
func (l *loader) validateUnits() {
	m := l.cfg.Message
	for _, d := range l.units {
		d.unit.DisplayName = cmp.Or(d.unit.DisplayName, d.unit.FromName, d.unit.Name)
		// The unit's messages go out with its From: its own from and
		// from_name, each falling back to [message] (Config.UnitFor).
		// A [message] from_name too long alone is reported there.
		reported := d.unit.FromName == "" && fromTooLong(m.FromName, m.From) != ""
		if from, name := cmp.Or(d.unit.From, m.From), cmp.Or(d.unit.FromName, m.FromName); from != "" &&
			(d.unit.From != "" || d.unit.FromName != "") && !reported {
			if problem := fromTooLong(name, from); problem != "" {
				key := "from_name"
				if d.unit.FromName == "" {
					key = "from"
				}
				l.fail(d.section, key, clipValue(l.lay.keyValue(d.section, key)), problem)
			}
		}
		if d.smtp == "" {
			continue
		}
		found := false
		for _, s := range l.servers {
			if s.srv.Name == d.smtp {
				found = true
				d.unit.SMTP = l.cfg.Servers[d.smtp] // nil in capture mode
			}
		}
		if !found {
			names := []string{}
			for _, s := range l.servers {
				names = append(names, s.srv.Name)
			}
			want := "there is no such relay; want smtp for [smtp], or the NAME of a [smtp.NAME] section"
			if s := Closest(d.smtp, names); s != "" {
				want = fmt.Sprintf("there is no such relay; did you mean %s? (smtp for [smtp], or the NAME of a [smtp.NAME] section)", s)
			} else if len(names) > 0 {
				want += "; the relays are " + strings.Join(names, ", ")
			}
			l.fail(d.section, "smtp", d.smtp, want)
		}
	}
}

// validateLimits refuses daily_limit and minute_limit written in a
// section that is only ever a backup (some other section's next): a
// chain's limits are counted for the whole chain and read from its first
// server, [smtp] or the [smtp.NAME] a unit names, so a backup's own would
// be silently ignored.
func (l *loader) validateLimits() {
	heads := map[*Server]bool{}
	if l.head != nil {
		heads[l.head.srv] = true
	}
	for _, u := range l.units {
		for _, d := range l.servers {
			if d.srv.Name == u.smtp {
				heads[d.srv] = true
			}
		}
	}
	backup := map[*Server]string{} // a backup, and the section that names it
	for _, d := range l.servers {
		if d.nextDraft != nil {
			backup[d.nextDraft.srv] = d.section
		}
	}
	for _, d := range l.servers {
		from, isBackup := backup[d.srv]
		if heads[d.srv] || !isBackup {
			continue
		}
		for _, key := range []string{"daily_limit", "minute_limit"} {
			if l.lay.keyLine(d.section, key) == 0 || l.failed[d.section+"\x00"+key] {
				continue
			}
			if v := l.lay.keyValue(d.section, key); v != "" && v != "0" {
				l.fail(d.section, key, v, fmt.Sprintf("[%s] is only a backup (next = %s in [%s]): a chain's limits are "+
					"counted for the whole chain and read from its first section ([smtp], or the [smtp.NAME] a unit names "+
					"with smtp =); set %s there, or remove it here", d.section, d.srv.Name, from, key))
			}
		}
	}
}

// validateServer checks one [smtp] or [smtp.NAME] section.
func (l *loader) validateServer(d *serverDraft, defaultHELO string) {
	s, sec := d.srv, d.section
	s.PasswordFile = d.passwordFile
	// Whether a key was written with a value, valid or not.
	has := func(key string) bool {
		if rs := l.lay.section(sec); rs != nil {
			k := rs.keys[key]
			return k != nil && (k.broken || k.value != "")
		}
		return false
	}
	l.applyProviderDefaults(d, has)
	if s.Host == "" && !l.failed[sec+"\x00host"] && !(sec == "smtp" && l.cfg.Capture != "") {
		want := "missing; want the relay's host name, e.g. host = smtp.example.org"
		if sec == "smtp" {
			want += " (or capture = outbox to write messages to a folder instead)"
		}
		l.fail(sec, "host", "", want)
	}
	if s.Port == 0 {
		s.Port = DefaultPort
		if s.Security == SecurityTLS {
			s.Port = DefaultTLSPort
		}
	}
	if s.HELO == "" {
		s.HELO = defaultHELO
	}
	l.validateOAuth(d, has)
	if s.Auth == AuthOAuth2 {
		return
	}
	password := has("password") || has("password_file")
	switch {
	case has("password") && has("password_file"):
		l.fail(sec, "password_file", d.passwordFile, "set password or password_file, not both")
	case password && !has("username"):
		key := "password"
		if has("password_file") {
			key = "password_file"
		}
		l.fail(sec, key, "", "a password needs a username; set username too")
	case has("username") && !password:
		l.fail(sec, "username", s.Username, "a username needs a password; set password or password_file")
	}
	if password && s.Security == SecurityNone && s.Host != "" && !isLoopback(s.Host) {
		l.fail(sec, "security", string(s.Security),
			"a password would be sent unencrypted; set security = starttls or tls")
	}
}

// resolveChain links every server to its next and reports missing
// sections and loops.
func (l *loader) resolveChain() {
	byName := map[string]*serverDraft{}
	for _, d := range l.servers {
		if d.section != "smtp" {
			byName[d.srv.Name] = d
		}
	}
	for _, d := range l.servers {
		if d.next == "" {
			continue
		}
		n := byName[d.next]
		if n == nil {
			l.fail(d.section, "next", d.next, fmt.Sprintf(
				"there is no [smtp.%s] section; add one or leave next empty", d.next))
			continue
		}
		d.nextDraft = n
	}

	const (
		unseen = iota
		onPath
		done
	)
	// Walk from [smtp] first, so a loop is told as the chain a message
	// would follow; then from the others, in file order.
	starts := l.servers
	if l.head != nil {
		starts = append([]*serverDraft{l.head}, l.servers...)
	}
	state := map[*serverDraft]int{}
	for _, start := range starts {
		var path []*serverDraft
		d := start
		for d != nil && state[d] == unseen {
			state[d] = onPath
			path = append(path, d)
			d = d.nextDraft
		}
		if d != nil && state[d] == onPath {
			last := path[len(path)-1]
			names := make([]string, 0, len(path)+1)
			for _, p := range path {
				names = append(names, p.srv.Name)
			}
			names = append(names, d.srv.Name)
			l.fail(last.section, "next", last.next, fmt.Sprintf(
				"the chain %s loops; end it by leaving next empty in one section", strings.Join(names, " -> ")))
			last.nextDraft = nil
		}
		for _, p := range path {
			state[p] = done
		}
	}
	for _, d := range l.servers {
		if d.nextDraft != nil {
			d.srv.Next = d.nextDraft.srv
		}
	}
}

// samePath reports whether a and b name the same folder, ignoring case on
// Windows and macOS, where file names usually do.
func samePath(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return strings.EqualFold(a, b)
	}
	return a == b
}
