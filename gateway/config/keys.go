package config

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/spool/safefile"
)

// keyDef is one known key. set parses a non-empty value into the config
// being built and returns "" or what is wrong with the value, phrased for
// the user ("want a whole number ..."). An empty value is never passed to
// set: "key =" means the default.
type keyDef struct {
	set func(t *target, v string) string
	// empty: "key =" is a value of its own (passed to set) rather than
	// the default, as for [console] listen, where it turns the console off.
	empty bool
}

// target is what a section's keys are parsed into.
type target struct {
	l    *loader
	srv  *serverDraft // the server being built, in [smtp] and [smtp.NAME]
	unit *unitDraft   // the unit being built, in [unit.NAME]
}

// Section kinds. A section [smtp.NAME] is of kind kindNamedSMTP, a section
// [unit.NAME] of kind kindUnit.
const (
	kindNamedSMTP = "smtp.NAME"
	kindUnit      = "unit.NAME"
	kindColumns   = "overdue.columns"
)

// sectionOrder lists the section kinds, in the order they are documented.
var sectionOrder = []string{"spool", "smtp", kindNamedSMTP, "message", "journal", "log",
	"overdue", kindColumns, kindUnit, "service"}

// known maps each section kind to its keys. To add a section, add its keys
// here (and to sectionOrder); checks that span keys go in (*loader).validate.
var known = knownKeys()

func knownKeys() map[string]map[string]keyDef {
	spool := func(t *target) *Spool { return &t.l.cfg.Spool }
	srv := func(t *target) *Server { return t.srv.srv }
	od := func(t *target) *Overdue { return &t.l.cfg.Overdue }
	unit := func(t *target) *Unit { return t.unit.unit }
	k := map[string]map[string]keyDef{
		"spool": {
			"folder": pathKey(func(t *target) *string { return &spool(t).Folder }),
			"pattern": {set: func(t *target, v string) string {
				pats, problem := parsePatterns(v)
				if problem == "" {
					spool(t).Patterns = pats
				}
				return problem
			}},
			"batch": intKey(0, math32, "a whole number of messages, 0 or more (e.g. batch = 10)",
				func(t *target) *int { return &spool(t).Batch }),
			"interval": durationKey(time.Second, true, "interval = 3m",
				func(t *target) *time.Duration { return &spool(t).Interval }),
			"settle": durationKey(0, false, "settle = 2s",
				func(t *target) *time.Duration { return &spool(t).Settle }),
			"retry_for": durationKey(0, false, "retry_for = 48h",
				func(t *target) *time.Duration { return &spool(t).RetryFor }),
			"dedupe_window": durationKey(0, false, "dedupe_window = 7d",
				func(t *target) *time.Duration { return &spool(t).DedupeWindow }),
			"retry_delay": durationKey(time.Second, false, "retry_delay = 1m",
				func(t *target) *time.Duration { return &spool(t).RetryDelay }),
			"retry_max": durationKey(time.Second, false, "retry_max = 1h",
				func(t *target) *time.Duration { return &spool(t).RetryMax }),
			"max_size": {set: func(t *target, v string) string {
				n, ok := parseSize(v)
				if !ok || n <= 0 {
					return "want a size above 0, e.g. max_size = 25MB (units B, KB, MB, GB; 1KB = 1024 bytes)"
				}
				spool(t).MaxSize = n
				return ""
			}},
			"charset": {set: func(t *target, v string) string {
				name, enc, problem := lookupCharset(v)
				if problem == "" {
					spool(t).Charset, spool(t).Encoding = name, enc
				}
				return problem
			}},
			"data": pathKey(func(t *target) *string { return &spool(t).Data }),
			"instance": {set: func(t *target, v string) string {
				if !instanceOK.MatchString(v) {
					return "want a name of letters, digits and - (at most 63), e.g. instance = gateway1"
				}
				spool(t).Instance = v
				return ""
			}},
		},

		"smtp": {
			"host": {set: func(t *target, v string) string {
				h, ok := parseHost(v)
				if !ok {
					return "want a host name or IP address, e.g. host = smtp.example.org"
				}
				srv(t).Host = h
				return ""
			}},
			"port": intKey(1, 65535, "a port number from 1 to 65535, e.g. port = 587",
				func(t *target) *int { return &srv(t).Port }),
			"security": {set: func(t *target, v string) string {
				switch s := Security(strings.ToLower(v)); s {
				case SecurityAuto, SecurityNone, SecurityStartTLS, SecurityTLS:
					srv(t).Security = s
					return ""
				}
				return "want auto, none, starttls or tls (e.g. security = starttls)"
			}},
			"tls_verify": boolKey("tls_verify = true", func(t *target) *bool { return &srv(t).TLSVerify }),
			"ca_file": {set: func(t *target, v string) string {
				srv(t).CAFile = t.l.abs(v)
				pool, problem := loadCAFile(srv(t).CAFile)
				srv(t).RootCAs = pool
				return problem
			}},
			"helo": {set: func(t *target, v string) string {
				if !isHELO(v) {
					return "want this machine's host name, without spaces, e.g. helo = gateway.example.org"
				}
				srv(t).HELO = v
				return ""
			}},
			"username": textKey(func(t *target) *string { return &srv(t).Username }),
			"password": {set: func(t *target, v string) string {
				srv(t).Password = v
				return ""
			}},
			"password_file": {set: func(t *target, v string) string {
				p := t.l.abs(v)
				t.srv.passwordFile = p
				data, problem := readSmall(p, maxPasswordFile, "password_file", "the path of a file holding the password")
				if problem != "" {
					return problem
				}
				pw := strings.TrimRight(string(data), "\r\n")
				switch {
				case pw == "":
					return "the file is empty; want the password on its first line"
				case strings.ContainsAny(pw, "\r\n"):
					return "the file holds more than one line; want the password alone"
				}
				srv(t).Password = pw
				return ""
			}},
			"connect_timeout": durationKey(time.Second, false, "connect_timeout = 30s",
				func(t *target) *time.Duration { return &srv(t).ConnectTimeout }),
			"timeout": durationKey(time.Second, false, "timeout = 3m",
				func(t *target) *time.Duration { return &srv(t).Timeout }),
			"pipelining": boolKey("pipelining = true", func(t *target) *bool { return &srv(t).Pipelining }),
			"connections": intKey(1, math32, "a whole number of connections, 1 or more (e.g. connections = 1)",
				func(t *target) *int { return &srv(t).Connections }),
			"daily_limit": intKey(0, math32, "a whole number of recipients in any 24 hours, 0 or more; 0 = no limit "+
				"(e.g. daily_limit = 10000)",
				func(t *target) *int { return &srv(t).DailyLimit }),
			"minute_limit": intKey(0, math32, "a whole number of messages in any 60 seconds, 0 or more; 0 = no limit "+
				"(e.g. minute_limit = 30)",
				func(t *target) *int { return &srv(t).MinuteLimit }),
			"session_messages": intKey(0, math32, "a whole number of messages, 0 or more; 0 keeps a connection "+
				"for any number (e.g. session_messages = 100)",
				func(t *target) *int { return &srv(t).SessionMessages }),
			"session_time": {set: func(t *target, v string) string {
				problem := durationKey(0, false, "session_time = 5m",
					func(t *target) *time.Duration { return &srv(t).SessionTime }).set(t, v)
				switch {
				case strings.HasPrefix(problem, "want"):
					return "want a duration, e.g. session_time = 5m (units s, m, h, d), or 0 to keep a connection for any time"
				case problem != "":
					return problem + "; 0 keeps a connection for any time"
				}
				return ""
			}},
			"next": {set: func(t *target, v string) string {
				if !serverName.MatchString(v) {
					return "want the NAME of a [smtp.NAME] section, e.g. next = backup"
				}
				t.srv.next = v
				return ""
			}},
			"capture": pathKey(func(t *target) *string { return &t.l.cfg.Capture }),
		},

		"message": {
			"from":      addressKey("from", func(t *target) *string { return &t.l.cfg.Message.From }),
			"from_name": textKey(func(t *target) *string { return &t.l.cfg.Message.FromName }),
			"return_path": {set: func(t *target, v string) string {
				if v == "<>" {
					return "the null sender <> is not allowed here; leave return_path empty to use from"
				}
				return addressKey("return_path", func(t *target) *string {
					return &t.l.cfg.Message.ReturnPath
				}).set(t, v)
			}},
			"copy_to": addressKey("copy_to", func(t *target) *string { return &t.l.cfg.Message.CopyTo }),
			"test_to": addressKey("test_to", func(t *target) *string { return &t.l.cfg.Message.TestTo }),
		},

		"console": {
			"listen": {empty: true, set: func(t *target, v string) string {
				if v == "" {
					t.l.cfg.Console.Listen = ""
					return ""
				}
				host, port, err := net.SplitHostPort(v)
				if err != nil || port == "" {
					return "want host:port, e.g. listen = 127.0.0.1:8025 (or leave it empty to turn the console off)"
				}
				if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
					return "want a port from 1 to 65535, e.g. listen = 127.0.0.1:8025"
				}
				if host == "" {
					return "want an address to listen on, e.g. listen = 127.0.0.1:8025 (0.0.0.0:8025 for every address, with tls_cert and tls_key)"
				}
				t.l.cfg.Console.Listen = v
				return ""
			}},
			"tls_cert": pathKey(func(t *target) *string { return &t.l.cfg.Console.TLSCert }),
			"tls_key":  pathKey(func(t *target) *string { return &t.l.cfg.Console.TLSKey }),
			"session": durationKey(time.Minute, false, "session = 8h",
				func(t *target) *time.Duration { return &t.l.cfg.Console.Session }),
			"metrics_open": boolKey("metrics_open = false", func(t *target) *bool { return &t.l.cfg.Console.MetricsOpen }),
		},

		"alarm": {
			"after": durationKey(0, false, "after = 1h (0 turns the alarm off)",
				func(t *target) *time.Duration { return &t.l.cfg.Alarm.After }),
			"to": {set: func(t *target, v string) string {
				addrs, problem := parseAddressList("to", v)
				if problem == "" {
					t.l.cfg.Alarm.To = addrs
				}
				return problem
			}},
			"smtp": textKey(func(t *target) *string { return &t.l.cfg.Alarm.SMTP }),
		},

		"journal": {
			"retention": durationKey(day, false, "retention = 90d",
				func(t *target) *time.Duration { return &t.l.cfg.Journal.Retention }),
		},

		"log": {
			"days": intKey(1, 3650, "a whole number of days from 1 to 3650 (e.g. days = 30)",
				func(t *target) *int { return &t.l.cfg.Log.Days }),
			"level": {set: func(t *target, v string) string {
				switch strings.ToLower(v) {
				case "debug":
					t.l.cfg.Log.Level = slog.LevelDebug
				case "info":
					t.l.cfg.Log.Level = slog.LevelInfo
				case "warn", "warning":
					t.l.cfg.Log.Level = slog.LevelWarn
				case "error":
					t.l.cfg.Log.Level = slog.LevelError
				default:
					return "want debug, info, warn or error (e.g. level = info)"
				}
				return ""
			}},
			"daily":    boolKey("daily = true", func(t *target) *bool { return &t.l.cfg.Log.Daily }),
			"daily_at": clockKey("daily_at = 23:55", func(t *target) *Clock { return &t.l.cfg.Log.DailyAt }),
			"daily_to": {set: func(t *target, v string) string {
				addrs, problem := parseAddressList("daily_to", v)
				if problem == "" {
					t.l.cfg.Log.DailyTo = addrs
				}
				return problem
			}},
			"language": languageKey("language", func(t *target) *string { return &t.l.cfg.Log.Language }),
		},

		"overdue": {
			"enabled": boolKey("enabled = true", func(t *target) *bool { return &od(t).Enabled }),
			"at":      clockKey("at = 06:30", func(t *target) *Clock { return &od(t).At }),
			"loans":   pathKey(func(t *target) *string { return &od(t).Loans }),
			"charset": {set: func(t *target, v string) string {
				name, enc, problem := lookupCharset(v)
				if strings.HasPrefix(problem, "want a character set that keeps ASCII") {
					return "a UTF-16 export is recognised by itself (by its byte order mark); " +
						"leave charset empty, or name a code page such as windows-1252"
				}
				if problem == "" {
					od(t).Charset, od(t).Encoding = name, enc
				}
				return problem
			}},
			"delimiter": {set: func(t *target, v string) string {
				r, ok := parseDelimiter(v)
				if !ok {
					return "want comma, semicolon or tab (e.g. delimiter = semicolon), " +
						"or leave it empty to detect it from the header line"
				}
				od(t).Delimiter = r
				return ""
			}},
			"warning_days": intKey(0, 60, "a whole number of days from 0 to 60; 0 sends no warning (e.g. warning_days = 3)",
				func(t *target) *int { return &od(t).WarningDays }),
			"overdue_days": intKey(0, 60, "a whole number of days from 0 to 60; 0 sends no overdue notice (e.g. overdue_days = 1)",
				func(t *target) *int { return &od(t).OverdueDays }),
			"reminder_days": intKey(0, 365, "a whole number of days from 0 to 365; 0 sends no reminder (e.g. reminder_days = 3)",
				func(t *target) *int { return &od(t).ReminderDays }),
			"recipient": {set: func(t *target, v string) string {
				switch r := strings.ToLower(v); r {
				case RecipientPatron, RecipientGuardian, RecipientBoth:
					od(t).Recipient = r
					return ""
				}
				return "want patron, guardian or both (e.g. recipient = patron)"
			}},
			"templates": pathKey(func(t *target) *string { return &od(t).Templates }),
			"language":  languageKey("language", func(t *target) *string { return &od(t).Language }),
			"stale_after": durationKey(day, false, "stale_after = 2d",
				func(t *target) *time.Duration { return &od(t).StaleAfter }),
		},

		// [overdue.columns] takes any key; apply records them as written
		// (applyColumns), and package overdue checks the names.
		kindColumns: {},

		kindUnit: {
			"name": {set: func(t *target, v string) string {
				n, problem := parseDisplayName(v)
				unit(t).DisplayName = n
				return problem
			}},
			"from":      addressKey("from", func(t *target) *string { return &unit(t).From }),
			"from_name": textKey(func(t *target) *string { return &unit(t).FromName }),
			"return_path": {set: func(t *target, v string) string {
				if v == "<>" {
					return "the null sender <> is not allowed here; leave return_path empty to use [message] return_path"
				}
				return addressKey("return_path", func(t *target) *string { return &unit(t).ReturnPath }).set(t, v)
			}},
			"copy_to":  addressKey("copy_to", func(t *target) *string { return &unit(t).CopyTo }),
			"language": languageKey("language", func(t *target) *string { return &unit(t).Language }),
			"contact": {set: func(t *target, v string) string {
				unit(t).Contact = parseContact(v)
				return ""
			}},
			"smtp": {set: func(t *target, v string) string {
				if !serverName.MatchString(v) {
					return "want smtp for [smtp], or the NAME of a [smtp.NAME] section (e.g. smtp = backup)"
				}
				t.unit.smtp = v
				return ""
			}},
		},

		"service": {
			"timezone": {set: func(t *target, v string) string {
				loc, problem := loadZone(v)
				if problem == "" {
					t.l.cfg.Service.Location, t.l.cfg.Service.Timezone = loc, v
				}
				return problem
			}},
		},
	}

	for name, def := range oauthKeys() {
		k["smtp"][name] = def
	}
	k["bounces"] = bouncesKeys(k["smtp"])

	// [smtp.NAME] has the keys of [smtp], except capture.
	named := map[string]keyDef{}
	for name, def := range k["smtp"] {
		if name != "capture" {
			named[name] = def
		}
	}
	k[kindNamedSMTP] = named
	return k
}

// math32 is the largest whole number a key accepts where no other bound
// makes sense.
const math32 = 1<<31 - 1

// serverName is the syntax of NAME in [smtp.NAME].
var serverName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// sectionKind returns the kind of a section name, for known.
func sectionKind(name string) string {
	switch {
	case strings.HasPrefix(name, "smtp."):
		return kindNamedSMTP
	case strings.HasPrefix(name, "unit."):
		return kindUnit
	}
	return name
}

func clockKey(example string, dst func(*target) *Clock) keyDef {
	return keyDef{set: func(t *target, v string) string {
		c, ok := parseClock(v)
		if !ok {
			return "want a time of day as HH:MM on the 24-hour clock, from 00:00 to 23:59 (e.g. " + example + ")"
		}
		*dst(t) = c
		return ""
	}}
}

func languageKey(key string, dst func(*target) *string) keyDef {
	return keyDef{set: func(t *target, v string) string {
		code, problem := lookupLanguage(key, v)
		if problem == "" {
			*dst(t) = code
		}
		return problem
	}}
}

func textKey(dst func(*target) *string) keyDef {
	return keyDef{set: func(t *target, v string) string {
		*dst(t) = v
		return ""
	}}
}

func pathKey(dst func(*target) *string) keyDef {
	return keyDef{set: func(t *target, v string) string {
		*dst(t) = t.l.abs(v)
		return ""
	}}
}

func intKey(lo, hi int, want string, dst func(*target) *int) keyDef {
	return keyDef{set: func(t *target, v string) string {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return "want " + want
		}
		*dst(t) = n
		return ""
	}}
}

func boolKey(example string, dst func(*target) *bool) keyDef {
	return keyDef{set: func(t *target, v string) string {
		b, ok := parseBool(v)
		if !ok {
			return "want true or false (also yes/no, on/off, 1/0), e.g. " + example
		}
		*dst(t) = b
		return ""
	}}
}

// durationKey reads a duration of at least lo. With bareMinutes, a bare
// number is minutes; without, a bare number other than 0 is an error.
func durationKey(lo time.Duration, bareMinutes bool, example string, dst func(*target) *time.Duration) keyDef {
	want := fmt.Sprintf("want a duration of %s or more, e.g. %s (units s, m, h, d)", formatDuration(lo), example)
	if bareMinutes {
		want = fmt.Sprintf("want a duration of %s or more, e.g. %s (units s, m, h, d; a bare number means minutes)",
			formatDuration(lo), example)
	}
	return keyDef{set: func(t *target, v string) string {
		var d time.Duration
		var err error
		switch {
		case bareNumber.MatchString(v) && bareMinutes:
			d, err = time.ParseDuration(v + "m")
		case bareNumber.MatchString(v) && strings.Trim(v, "0.") != "":
			return fmt.Sprintf("write a unit, e.g. %s (units s, m, h, d)", example)
		case bareNumber.MatchString(v):
			d = 0
		default:
			d, err = parseDuration(v)
		}
		if err != nil || d < lo {
			return want
		}
		*dst(t) = d
		return ""
	}}
}

func addressKey(key string, dst func(*target) *string) keyDef {
	return keyDef{set: func(t *target, v string) string {
		if !isAddrSpec(v) {
			return fmt.Sprintf("want an address alone, e.g. %s = library@example.org "+
				"(no name, no <>; the sender's name goes in from_name)", key)
		}
		if problem := pathProblem(v); problem != "" {
			return "the address cannot be sent: " + problem
		}
		*dst(t) = v
		return ""
	}}
}

// parsePatterns reads comma-separated file name patterns.
func parsePatterns(v string) ([]string, string) {
	const want = "want comma-separated file name patterns, e.g. pattern = *.eml, *.txt"
	var pats []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
			return nil, want + "; one of them is empty"
		case strings.ContainsRune(p, '/') || strings.ContainsRune(p, os.PathSeparator):
			return nil, want + "; " + p + " is a path, not a file name pattern"
		}
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, want + "; " + p + " is not a valid pattern"
		}
		pats = append(pats, p)
	}
	return pats, ""
}

// Bounds of the files the config names, in bytes: a password file holds
// one line, and a bundle of CA certificates, such as a system's whole
// set, fits in a few megabytes.
const (
	maxPasswordFile = 64 << 10
	maxCAFile       = 4 << 20
)

// readSmall reads the file that key names, through safefile: a regular
// file of at most limit bytes, never a link, a pipe or a device, and
// never more than limit bytes of it. what says what the file should be,
// for the message, which quotes nothing of the file nor of where a link
// points.
func readSmall(path string, limit int64, key, what string) ([]byte, string) {
	data, err := safefile.ReadFile(path, limit)
	var (
		nr *safefile.NotRegularError
		tl *safefile.TooLargeError
	)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Sprintf("%s does not exist; want %s", path, what)
	case errors.As(err, &nr) && (nr.Kind == safefile.Link || nr.Kind == safefile.Reparse):
		return nil, fmt.Sprintf("%s is %s; spoolgate reads only a regular file here and follows no link: "+
			"set %s to the path of the file itself", path, nr.Kind, key)
	case errors.As(err, &nr):
		return nil, fmt.Sprintf("%s is %s, not a regular file; want %s", path, nr.Kind, what)
	case errors.As(err, &tl):
		return nil, fmt.Sprintf("%s is too big (over %d bytes); want %s", path, limit, what)
	case err != nil:
		return nil, fmt.Sprintf("cannot read %s (%v); want %s", path, pathErr(err), what)
	}
	return data, ""
}

// pathErr strips the operation and path from an *fs.PathError.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadCAFile reads a PEM file of CA certificates into a pool.
func loadCAFile(path string) (*x509.CertPool, string) {
	const what = "a PEM file of CA certificates (-----BEGIN CERTIFICATE-----)"
	data, problem := readSmall(path, maxCAFile, "ca_file", what)
	if problem != "" {
		return nil, problem
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Sprintf("%s holds a %s block; want only certificates", path, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Sprintf("certificate %d in %s does not parse (%v)", n+1, path, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Sprintf("%s holds no certificate; want %s", path, what)
	}
	return pool, ""
}

// bouncesKeys are the keys of [bounces]: the mailbox's server and login
// take the keys of [smtp] that mean the same (username, password,
// password_file, ca_file, tls_verify, connect_timeout, timeout and
// auth with the oauth_ keys), with imap for the server.
func bouncesKeys(smtp map[string]keyDef) map[string]keyDef {
	b := func(t *target) *Bounces { return &t.l.cfg.Bounces }
	defs := map[string]keyDef{
		"enabled": boolKey("enabled = true", func(t *target) *bool { return &b(t).Enabled }),
		"imap": {set: func(t *target, v string) string {
			host, port := v, 0
			if h, p, err := net.SplitHostPort(v); err == nil {
				n, err := strconv.Atoi(p)
				if err != nil || n < 1 || n > 65535 {
					return "want a port from 1 to 65535 after the host, e.g. imap = mail.example.org:993"
				}
				host, port = h, n
			}
			h, ok := parseHost(host)
			if !ok {
				return "want the IMAP server's host name, or host:port, e.g. imap = mail.example.org"
			}
			t.srv.srv.Host, t.srv.srv.Port = h, port
			return ""
		}},
		"security": {set: func(t *target, v string) string {
			switch s := Security(strings.ToLower(v)); s {
			case SecurityTLS, SecurityStartTLS, SecurityNone:
				t.srv.srv.Security = s
				return ""
			}
			return "want tls (port 993), starttls (port 143) or none (a server on this machine only), e.g. security = tls"
		}},
		"folder": {set: func(t *target, v string) string {
			if strings.ContainsAny(v, "\x00\r\n*%") {
				return "want a folder name, e.g. folder = INBOX"
			}
			b(t).Folder = v
			return ""
		}},
		"every": durationKey(time.Minute, false, "every = 5m",
			func(t *target) *time.Duration { return &b(t).Every }),
		"suppress": boolKey("suppress = true", func(t *target) *bool { return &b(t).Suppress }),
		"suppress_days": intKey(1, 3650, "a whole number of days from 1 to 3650 (e.g. suppress_days = 30)",
			func(t *target) *int { return &b(t).SuppressDays }),
	}
	for _, k := range []string{"username", "password", "password_file", "ca_file", "tls_verify", "connect_timeout", "timeout"} {
		defs[k] = smtp[k]
	}
	for name, def := range oauthKeys() {
		defs[name] = def
	}
	return defs
}
