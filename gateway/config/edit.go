package config

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"

	"gopkg.in/ini.v1"
)

// Change sets one key of a config file: Value "" writes "key =", which
// means the key's default.
type Change struct {
	Section, Key, Value string
}

// Edit applies changes to the text of a config file and returns the new
// text, touching nothing else: every comment, blank line and other key
// stays as it was, a changed key keeps its place, its spelling and the
// comment after its value, a new key goes after the last key of its
// section, and a new section at the end. The file's line ending (CRLF or
// LF) is kept. A value is quoted when the file's syntax needs it (a " ;"
// or " #" inside, spaces around it, or a quote at its start); one that
// cannot be written on one line is an error. Edit checks nothing else:
// LoadText validates the result as Load would.
func Edit(data []byte, changes []Change) ([]byte, error) {
	nl := "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		nl = "\r\n"
	}
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for _, c := range changes {
		v, err := quoteValue(c.Value)
		if err != nil {
			return nil, fmt.Errorf("[%s] %s: %w", c.Section, c.Key, err)
		}
		lines = setKey(lines, c.Section, c.Key, v, nl)
	}
	return []byte(strings.Join(lines, "")), nil
}

// setKey sets key of section to the written value v in lines.
func setKey(lines []string, section, key, v, nl string) []string {
	cur := ini.DefaultSection
	headerAt, lastKeyAt := -1, -1
	for i, text := range lines {
		p := parseLine(text)
		switch p.kind {
		case lineSection:
			cur = p.name
			if cur == section {
				headerAt = i
			}
		case lineKey:
			if cur != section {
				continue
			}
			lastKeyAt = i
			if p.name == key {
				lines[i] = rewriteValue(text, v)
				return lines
			}
		}
	}
	line := key + " = " + v + nl
	if v == "" {
		line = key + " =" + nl
	}
	switch {
	case lastKeyAt >= 0:
		return insertAt(lines, lastKeyAt+1, line, nl)
	case headerAt >= 0:
		return insertAt(lines, headerAt+1, line, nl)
	}
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += nl
	}
	if n := len(lines); n > 0 && strings.TrimSpace(lines[n-1]) != "" {
		lines = append(lines, nl)
	}
	return append(lines, "["+section+"]"+nl, line)
}

func insertAt(lines []string, i int, line, nl string) []string {
	if i > 0 && !strings.HasSuffix(lines[i-1], "\n") {
		lines[i-1] += nl
	}
	return append(lines[:i], append([]string{line}, lines[i:]...)...)
}

// rewriteValue is the key line text with its value replaced by v; its
// indentation, key spelling and trailing comment stay.
func rewriteValue(text, v string) string {
	end := strings.TrimRight(text, "\r\n")
	eol := text[len(end):]
	eq := strings.IndexByte(end, '=')
	head := strings.TrimRightFunc(end[:eq], unicode.IsSpace)
	comment := trailingComment(end[eq+1:])
	out := head + " ="
	if v != "" {
		out += " " + v
	}
	if comment != "" {
		out += " " + comment
	}
	return out + eol
}

// trailingComment is the comment after a key line's value (from its ; or
// #), as the file's syntax reads it (see iniOptions): after the closing
// quote of a quoted value, else from the first ; or # after a space or a
// tab. It is "" when there is none.
func trailingComment(after string) string {
	v := strings.TrimLeftFunc(after, unicode.IsSpace)
	for _, q := range []string{`"""`, "`", `"`} {
		if strings.HasPrefix(v, q) {
			if end := strings.LastIndex(v[len(q):], q); end >= 0 {
				return strings.TrimSpace(v[len(q)+end+len(q):])
			}
			return ""
		}
	}
	for i := 1; i < len(v); i++ {
		if (v[i] == ';' || v[i] == '#') && (v[i-1] == ' ' || v[i-1] == '\t') {
			return strings.TrimSpace(v[i:])
		}
	}
	return ""
}

// quoteValue writes v as the file's syntax reads it back: bare when it
// can be, else in double quotes, else in backticks.
func quoteValue(v string) (string, error) {
	if strings.ContainsAny(v, "\r\n") {
		return "", fmt.Errorf("a value must be on one line")
	}
	if controlChar(v) != "" {
		return "", fmt.Errorf("a value cannot hold control characters")
	}
	needs := v != strings.TrimSpace(v) || strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "`") ||
		strings.Contains(v, " ;") || strings.Contains(v, " #") || strings.Contains(v, "\t;") || strings.Contains(v, "\t#")
	switch {
	case !needs:
		return v, nil
	case !strings.Contains(v, `"`):
		return `"` + v + `"`, nil
	case !strings.Contains(v, "`"):
		return "`" + v + "`", nil
	}
	return "", fmt.Errorf("a value cannot hold both a double quote and a backtick here")
}

// Setting is one key as the loaded file has it.
type Setting struct {
	Section, Key string
	Value        string // as read; Masked for a secret
	Line         int
	Secret       bool
}

// Masked stands for a secret's value wherever settings are shown, as in
// an error.
const Masked = hidden

// IsSecret tells whether key holds a secret (its value is never shown).
func IsSecret(key string) bool { return secretKeys[key] }

// Settings lists the keys of the loaded file in file order with their
// values as read, a secret's value replaced by Masked. A Config that Load
// did not make has none.
func (c *Config) Settings() []Setting {
	if c.lay == nil {
		return nil
	}
	var out []Setting
	for _, sec := range c.lay.order {
		for _, k := range sec.order {
			s := Setting{Section: sec.name, Key: k.name, Value: k.value, Line: k.line, Secret: IsSecret(k.name)}
			if s.Secret && s.Value != "" {
				s.Value = Masked
			}
			if s.Section == ini.DefaultSection {
				s.Section = ""
			}
			out = append(out, s)
		}
	}
	return out
}
