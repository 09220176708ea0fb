package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding/unicode"
	"gopkg.in/ini.v1"
)

// Defaults of the keys that have one.
const (
	DefaultBatch          = 10
	DefaultInterval       = 3 * time.Minute
	DefaultSettle         = 2 * time.Second
	DefaultRetryFor       = 48 * time.Hour
	DefaultRetryDelay     = time.Minute
	DefaultRetryMax       = time.Hour
	DefaultMaxSize        = 25 << 20
	DefaultCharset        = "utf-8"
	DefaultData           = "data"
	DefaultPort           = 25
	DefaultTLSPort        = 465
	DefaultConnectTimeout = 30 * time.Second
	DefaultTimeout        = 3 * time.Minute
	DefaultConnections    = 1
	DefaultRetention      = 90 * day
	DefaultLogDays        = 30
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
	l.apply(f)
	l.validate()
	if len(l.errs) > 0 {
		return nil, l.result()
	}
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
	errs     []error
	failed   map[string]bool // "section\x00key" of every key with a reported problem
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
			Patterns:   slices.Clone(defaultPatterns),
			Batch:      DefaultBatch,
			Interval:   DefaultInterval,
			Settle:     DefaultSettle,
			RetryFor:   DefaultRetryFor,
			RetryDelay: DefaultRetryDelay,
			RetryMax:   DefaultRetryMax,
			MaxSize:    DefaultMaxSize,
			Charset:    DefaultCharset,
			Encoding:   unicode.UTF8,
			Data:       l.abs(DefaultData),
			Instance:   sanitizeInstance(host),
		},
		Journal: Journal{Retention: DefaultRetention},
		Log:     Log{Days: DefaultLogDays, Level: slog.LevelInfo},
	}
	return l
}

// read reads the config file itself.
func (l *loader) read() ([]byte, *Error) {
	fail := func(want string, err error) *Error {
		return &Error{File: l.file, Want: want, Err: err}
	}
	fi, err := os.Stat(l.file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fail("the file does not exist", err)
	case err != nil:
		return nil, fail(fmt.Sprintf("cannot read the file (%v)", pathErr(err)), err)
	case fi.IsDir():
		return nil, fail("this is a folder; want the path of the config file", nil)
	case !fi.Mode().IsRegular():
		return nil, fail("this is not a regular file; want the path of the config file", nil)
	case fi.Size() > maxConfigSize:
		return nil, fail(fmt.Sprintf("the file is too big for a config file (over %d bytes)", maxConfigSize), nil)
	}
	data, err := os.ReadFile(l.file)
	if err != nil {
		return nil, fail(fmt.Sprintf("cannot read the file (%v)", pathErr(err)), err)
	}
	if len(data) > maxConfigSize {
		return nil, fail(fmt.Sprintf("the file is too big for a config file (over %d bytes)", maxConfigSize), nil)
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
		defs, ok := known[sectionKind(name)]
		if !ok {
			l.fail(name, "", "", unknownSection(name))
			continue
		}
		t := &target{l: l}
		if name == "smtp" || sectionKind(name) == kindNamedSMTP {
			t.srv = l.newServer(name)
			if t.srv == nil {
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
			if v == "" {
				continue // "key =" means the default
			}
			if problem := def.set(t, v); problem != "" {
				l.fail(name, key, v, problem)
			}
		}
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
		if home := homeOf(k.Name()); home != "" {
			want = fmt.Sprintf("this key is outside any section; put it under [%s]", home)
			l.failed[home+"\x00"+k.Name()] = true // reported here, not as missing
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
		},
	}
	l.servers = append(l.servers, d)
	if section == "smtp" {
		l.head = d
	}
	return d
}

// unknownSection says what is wrong with a section name.
func unknownSection(name string) string {
	kinds := []string{"spool", "smtp", "message", "journal"}
	if s := closest(name, kinds); s != "" {
		return fmt.Sprintf("unknown section; did you mean [%s]?", s)
	}
	if strings.HasPrefix(strings.ToLower(name), "smtp") {
		return "unknown section; did you mean [smtp] or [smtp.NAME], e.g. [smtp.backup]?"
	}
	return "unknown section; the sections are [spool], [smtp], [smtp.NAME], [message] and [journal]"
}

// unknownKey says what is wrong with a key name in a known section.
func (l *loader) unknownKey(section, key string) string {
	kind := sectionKind(section)
	names := keyNames(kind)
	if s := closest(key, names); s != "" {
		return fmt.Sprintf("unknown key; did you mean %s?", s)
	}
	if home := homeOf(key); home != "" {
		if kind == kindNamedSMTP && home == "smtp" {
			return "unknown key; capture can only be set in [smtp]"
		}
		return fmt.Sprintf("unknown key here; %s belongs in [%s]", key, home)
	}
	return fmt.Sprintf("unknown key; the keys of [%s] are %s", section, strings.Join(names, ", "))
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

// homeOf returns the section kind where key is known, or "".
func homeOf(key string) string {
	for _, kind := range sectionOrder {
		if _, ok := known[kind][key]; ok {
			return kind
		}
	}
	return ""
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
}

// validateServer checks one [smtp] or [smtp.NAME] section.
func (l *loader) validateServer(d *serverDraft, defaultHELO string) {
	s, sec := d.srv, d.section
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
	// Whether a key was written with a value, valid or not.
	has := func(key string) bool {
		if rs := l.lay.section(sec); rs != nil {
			k := rs.keys[key]
			return k != nil && (k.broken || k.value != "")
		}
		return false
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
