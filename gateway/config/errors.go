package config

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
)

// ErrConfig is wrapped by every error Load returns, so a caller can tell a
// bad configuration (exit status 2) from other failures:
//
//	if errors.Is(err, config.ErrConfig) { ... }
var ErrConfig = errors.New("configuration error")

// hidden is shown instead of a secret value.
const hidden = "(hidden)"

// secretKeys are the keys whose values are secrets, never shown: not in
// an error (hidden), nor in Settings (Masked).
var secretKeys = map[string]bool{"password": true, "oauth_client_secret": true}

// Error is one problem in a configuration file. Load returns all of them,
// joined with errors.Join; each one wraps ErrConfig. Config.KeyError makes
// one for a problem another package finds in a loaded file.
type Error struct {
	File    string // the config file, absolute when it could be made so
	Line    int    // 1-based line number, 0 if unknown
	Section string // e.g. "spool" or "smtp.backup"; "" for the file as a whole
	Key     string // e.g. "batch"; "" for a whole section or file
	Value   string // the value as written, "" if none; never a password
	Want    string // what is wrong and what would be right
	Err     error  // the underlying cause (e.g. from os.Open), or nil
}

// Error reads like
//
//	/etc/spoolgate/spoolgate.ini:14: [spool] batch = "ten": want a whole number of messages, 0 or more (e.g. batch = 10)
//
// A password is shown as (hidden).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(":")
	if e.Section != "" {
		b.WriteString(" [")
		b.WriteString(e.Section)
		b.WriteString("]")
	}
	if e.Key != "" {
		b.WriteString(" ")
		b.WriteString(e.Key)
		if e.Value != "" {
			b.WriteString(" = ")
			b.WriteString(showValue(e.Key, e.Value))
		}
	}
	if e.Section != "" || e.Key != "" {
		b.WriteString(":")
	}
	b.WriteString(" ")
	b.WriteString(e.Want)
	return b.String()
}

// Is makes every *Error match ErrConfig.
func (e *Error) Is(target error) bool { return target == ErrConfig }

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// showValue quotes v for an error message, or hides it when key is secret.
func showValue(key, v string) string {
	if secretKeys[key] {
		return hidden
	}
	printable := !strings.ContainsFunc(v, func(r rune) bool {
		return !unicode.IsPrint(r) && r != ' '
	})
	switch {
	case printable && !strings.Contains(v, `"`):
		return `"` + v + `"`
	case printable && !strings.Contains(v, "`"):
		return "`" + v + "`"
	}
	return strconv.Quote(v)
}
