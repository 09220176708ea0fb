// Package config loads and validates spoolgate's INI configuration.
//
// The contract: Load returns either a *Config whose every setting is
// validated as a setting (see below), in which every path is absolute,
// every duration and size is parsed and every server chain is resolved, or
// an error that names the file, the section and key, the bad value and what
// is expected. Unknown sections and keys are errors, so a typo
// never silently falls back to a default. Nothing in this package reads
// global state after Load returns; callers pass the *Config (or parts of
// it) down.
//
// The package holds settings and checks each one as a setting: a number is
// in range, a folder that must exist exists, a CA file parses. What another
// package makes of a setting is that package's to check: config does not
// know the loans export's column names, so [overdue.columns] is recorded as
// written (Overdue.Columns), and it does not load the notice templates.
// Package overdue checks both (overdue.Check) and reports a problem at the
// key's line, as Load would, with KeyError. The loans export itself is not
// read here either (it may appear later).
//
// The file's syntax (comments, quoting, durations, sizes) is documented in
// examples/spoolgate.ini, which lists every key. gopkg.in/ini.v1 is the one
// parser of the file: every value comes from it. A line scanner runs in
// front of it and reads no value; it finds the line of every section and
// key, and turns what ini.v1 would silently accept or misread (a repeated
// key, an unclosed quote, a comment it would cut in the wrong place) into
// errors before ini.v1 sees the file.
package config

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"strings"
	"time"
	_ "time/tzdata" // named zones in [service] timezone work on Windows too

	"golang.org/x/text/encoding"
)

//go:generate go run gen_zones.go

// Security is how a connection to a relay is protected.
type Security string

// The security modes of [smtp] security.
const (
	SecurityAuto     Security = "auto"     // STARTTLS when the server offers it
	SecurityNone     Security = "none"     // plain text, never STARTTLS
	SecurityStartTLS Security = "starttls" // STARTTLS required
	SecurityTLS      Security = "tls"      // implicit TLS (port 465)
)

// Config is a validated configuration.
type Config struct {
	File    string // absolute path of the config file that was loaded
	Spool   Spool
	SMTP    *Server // head of the server chain ([smtp]); nil in capture mode
	Capture string  // absolute capture folder ([smtp] capture); "" = relay for real
	Message Message
	Journal Journal
	Log     Log
	Overdue Overdue          // [overdue] and [overdue.columns]
	Units   map[string]*Unit // [unit.NAME], by NAME as written; never nil. Look a unit up with UnitFor.
	// Servers holds every server chain head by name: "smtp" (the same
	// *Server as SMTP) and each NAME of [smtp.NAME] (that server, followed
	// by its own next). Never nil; empty in capture mode.
	Servers map[string]*Server
	Service Service // [service]
	Console Console // [console]
	Alarm   Alarm   // [alarm]
	Bounces Bounces // [bounces]

	lay *layout // where each section and key is in File; nil if Load did not make the Config
}

// KeyError returns the error for a key of the loaded file that another
// package finds wrong, where Load could not tell (a column name of
// [overdue.columns], a notice template), positioned as Load positions its
// own: File; Line, the key's line in the file, else its section's, else 0
// (always 0 for a Config that Load did not make); Section and Key as given
// (key "" for the section as a whole); Value, the key's value as
// gopkg.in/ini.v1 read it from the file ("" when the key is not in the
// file; a password shows as (hidden)); want, what is wrong and what would be right;
// and err, the underlying cause or nil. Like every *Error it wraps ErrConfig.
// The caller may change a field before returning it, e.g. clear Value.
func (c *Config) KeyError(section, key, want string, err error) *Error {
	e := &Error{File: c.File, Section: section, Key: key, Want: want, Err: err}
	if key != "" {
		e.Line = c.lay.keyLine(section, key)
		e.Value = c.lay.keyValue(section, key)
		if secretKeys[key] && e.Value != "" {
			e.Value = hidden
		}
	}
	if e.Line == 0 {
		e.Line = c.lay.sectionLine(section)
	}
	return e
}

// UnitFor returns the unit of a message or loan row, by the row's unit
// column or the file's X-Spoolgate-Unit header: the [unit.NAME] whose NAME
// equals name ignoring case, with every field it leaves empty filled in
// from [message] (From, FromName, ReturnPath, CopyTo), [overdue] language
// and [smtp] (SMTP, nil in capture mode). Contact has no fallback. An empty
// or unknown name gets those fallbacks with Name "", and ok false.
func (c *Config) UnitFor(name string) (u Unit, ok bool) {
	if name = strings.TrimSpace(name); name != "" {
		if p := c.Units[name]; p != nil {
			u, ok = *p, true
		} else {
			for _, p := range c.Units {
				if strings.EqualFold(p.Name, name) {
					u, ok = *p, true
					break
				}
			}
		}
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&u.From, c.Message.From)
	fill(&u.FromName, c.Message.FromName)
	fill(&u.ReturnPath, c.Message.ReturnPath)
	fill(&u.CopyTo, c.Message.CopyTo)
	fill(&u.Language, c.Overdue.Language)
	if u.SMTP == nil {
		u.SMTP = c.SMTP
	}
	return u, ok
}

// Service is the [service] section.
type Service struct {
	// Location is the time zone of the schedule and the notices: the
	// machine's local zone, or [service] timezone (an IANA name such as
	// Europe/Stockholm; the zone database is built in, so it works on
	// Windows too). Never nil after Load.
	Location *time.Location
	Timezone string // [service] timezone as written, "" for the local zone
}

// Overdue is the [overdue] section: the morning scan of the loans export.
type Overdue struct {
	Enabled      bool
	At           Clock             // local time of the daily scan, default 06:30
	Loans        string            // absolute path of the loans export (CSV); required when Enabled
	Charset      string            // the export's charset name, default utf-8
	Encoding     encoding.Encoding // its decoder
	Delimiter    rune              // 0 = detect; ',' ';' or '\t'
	WarningDays  int               // "due in N days" notice; 0 = none. Default 3
	OverdueDays  int               // "was due N days ago" notice; 0 = none. Default 1
	ReminderDays int               // "was due N days ago" reminder; 0 = none. Default 3 (counted from due)
	Recipient    string            // RecipientPatron, RecipientGuardian or RecipientBoth; default patron
	Templates    string            // absolute folder of notice templates, or "" for the built-ins
	Language     string            // default language code (en, sv, nb, pl, cs, ru), normalised; default en
	StaleAfter   time.Duration     // a notice more than this late is dropped and reported; default 2d
	// Columns are the keys of [overdue.columns], in file order, as
	// written: config does not know the loans export's column names, so
	// it checks neither the names nor the headers (overdue.Check does).
	// nil when the section has none.
	Columns []Column
}

// Column is one key of [overdue.columns]: spoolgate's name for a column of
// the loans export, and the header the export gives that column.
type Column struct {
	Name   string // the key as written, e.g. due
	Header string // the value as written, e.g. Förfallodatum; "" (due =) means the default, the name itself
	Line   int    // its line in the file; 0 for a Config that Load did not make
}

// ColumnMap returns the columns that name a header, Name -> Header, as
// package loans takes them (loans.Options.Columns); an empty Header is
// left out, so the column keeps its default header. Never nil.
func (o Overdue) ColumnMap() map[string]string {
	m := make(map[string]string, len(o.Columns))
	for _, c := range o.Columns {
		if c.Header != "" {
			m[c.Name] = c.Header
		}
	}
	return m
}

// The values of [overdue] recipient.
const (
	RecipientPatron   = "patron"   // the patron's own address only
	RecipientGuardian = "guardian" // the guardian's address when the row has one, else the patron's
	RecipientBoth     = "both"     // both addresses the row has
)

// Clock is a time of day, e.g. 06:30.
type Clock struct{ Hour, Minute int }

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// Unit is a [unit.NAME] section: a branch with its own sender and relay.
// Empty fields fall back to [message] and [smtp].
type Unit struct {
	Name       string
	From       string
	FromName   string
	ReturnPath string
	CopyTo     string
	Language   string  // normalised language code, or ""
	Contact    string  // free text for notices: address, phone, opening hours; " | " in the file becomes a line break
	SMTP       *Server // the chain head named by smtp = NAME (Servers[NAME]), or nil for [smtp]; nil in capture mode

	// DisplayName is the unit's name as patrons read it in notices:
	// [unit.NAME] name, else the unit's own from_name, else Name. Never
	// empty after Load.
	DisplayName string
}

// Spool is the [spool] section.
type Spool struct {
	Folder   string        // absolute path of the queue folder
	Patterns []string      // file name patterns (filepath.Match syntax) of message files
	Batch    int           // at most this many accepted messages per Interval; 0 = no limit
	Interval time.Duration // the rate window and the rescan period
	Settle   time.Duration // a file must be unchanged this long before it is taken
	RetryFor time.Duration // how long temporary failures are retried
	// A file whose content is identical to one sent to a recipient within
	// DedupeWindow is not sent to that recipient again; 0 = off.
	DedupeWindow time.Duration
	RetryDelay   time.Duration // first retry delay; it doubles, up to RetryMax
	RetryMax     time.Duration // longest delay between two retries
	MaxSize      int64         // bytes
	Charset      string        // canonical lower-case name, e.g. "windows-1252"
	Encoding     encoding.Encoding
	Data         string // absolute path of the data folder (journal, state)
	Instance     string // this instance's name in claimed file names: [A-Za-z0-9-]+
}

// Server is [smtp] or one [smtp.NAME] section, linked by Next.
type Server struct {
	Name           string // "smtp" for [smtp], NAME for [smtp.NAME]
	Host           string
	Port           int
	Security       Security
	TLSVerify      bool
	CAFile         string         // absolute, or ""
	RootCAs        *x509.CertPool // from CAFile; nil = the system's roots
	HELO           string         // the EHLO name; never empty after Load
	Username       string
	Password       string // from password or password_file; never logged
	PasswordFile   string // password_file, absolute, or "" when the password is in the config
	Auth           Auth   // AuthPassword (also when empty) or AuthOAuth2
	OAuth          OAuth  // with auth = oauth2: the sign-in, validated
	ConnectTimeout time.Duration
	Timeout        time.Duration
	Connections    int
	Pipelining     bool    // use PIPELINING (RFC 2920) when the server offers it
	Next           *Server // nil at the end of the chain

	// A connection is closed politely (QUIT), and a new one opened, after
	// SessionMessages messages or once it is SessionTime old; 0 = no limit.
	SessionMessages int
	SessionTime     time.Duration

	// The provider's sending limits, on top of [spool] batch and interval:
	// DailyLimit recipients in any rolling 24 hours and MinuteLimit
	// messages in any 60 seconds; 0 = none. With oauth_provider they
	// default to the provider's published limits. The gateway reads them
	// from the first server of a chain.
	DailyLimit  int
	MinuteLimit int
}

// Address is host:port.
func (s *Server) Address() string { return joinHostPort(s.Host, s.Port) }

// Message is the [message] section.
type Message struct {
	From       string // addr-spec, required
	FromName   string
	ReturnPath string // addr-spec; defaults to From
	CopyTo     string // addr-spec or ""
	TestTo     string // addr-spec or "": where `spoolgate test` sends by default
}

// Log is the [log] section: the log file and the daily log to the librarian.
type Log struct {
	Days     int        // daily log files are kept this many days
	Level    slog.Level // the least important level logged
	Daily    bool       // send the daily log (default true)
	DailyAt  Clock      // when, default 23:55
	DailyTo  []string   // to whom (addr-specs); default [message] from
	Language string     // the daily log's language code, normalised; default en
}

// Console is the [console] section: the web console the running gateway
// serves.
type Console struct {
	// Listen is host:port, DefaultConsoleListen unless set; "" turns the
	// console off.
	Listen string
	// TLSCert and TLSKey are absolute paths of a PEM certificate and key,
	// both or neither; required when Listen is not a loopback address.
	TLSCert, TLSKey string
	Session         time.Duration // idle time-out of a login
	// MetricsOpen serves /metrics and /healthz without a token.
	MetricsOpen bool
}

// Bounces is the [bounces] section: the mailbox return_path points at,
// read over IMAP for bounces.
type Bounces struct {
	Enabled bool
	// IMAP is the mailbox's server and login: Host, Port (993 with
	// security = tls, 143 otherwise), Security (tls, starttls or none,
	// none only to a loopback address), TLSVerify, CAFile and RootCAs,
	// Username, Password or PasswordFile, or Auth = AuthOAuth2 with
	// OAuth, ConnectTimeout and Timeout. Its Name is "bounces". Never nil.
	IMAP   *Server
	Folder string        // the folder read, default INBOX
	Every  time.Duration // how often, default 5m
	// Suppress: an address that hard-bounced is not sent to again for
	// SuppressDays days (recorded as skipped, with the reason).
	Suppress     bool
	SuppressDays int
}

// Alarm is the [alarm] section: the stuck-queue alarm.
type Alarm struct {
	// After is how long the relay may be unavailable, or the oldest file
	// wait, before the alarm is sent; 0 turns it off.
	After time.Duration
	To    []string // who gets it (addr-specs); default [log] daily_to
	// SMTP names the relay chain the alarm goes through ("smtp" or the
	// NAME of a [smtp.NAME]); "" = the stuck chain itself.
	SMTP string
}

// Journal is the [journal] section.
type Journal struct {
	Retention time.Duration // records older than this are purged
}
