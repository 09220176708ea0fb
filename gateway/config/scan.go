package config

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/ini.v1"
)

// iniOptions are the gopkg.in/ini.v1 settings Load parses with. The file's
// syntax, as examples/spoolgate.ini documents it, follows from them:
//
//   - Insensitive false: section and key names are case-sensitive.
//   - KeyValueDelimiters "=": only "key = value"; "key: value" is an error.
//   - IgnoreContinuation: a trailing backslash is part of the value, so a
//     Windows path like C:\spool\ is safe and never swallows the next line.
//   - SpaceBeforeInlineComment: ; and # start a comment only after a space,
//     so pa;ss#1 survives unquoted. (scan cuts such comments itself, at the
//     first space or tab followed by ; or #, and hands ini.v1 the line
//     without them: ini.v1 looks for " #" before " ;", so "10 ; a # b"
//     would come out as "10 ; a".)
//   - UnescapeValueDoubleQuotes: "..." quotes a value like `...` does, so a
//     double-quoted value may hold " ;" and " #".
//   - AllowBooleanKeys, AllowShadows, AllowPythonMultilineValues and
//     AllowNonUniqueSections false: a key without a value, a repeated key and
//     a repeated section are errors the scanner reports.
var iniOptions = ini.LoadOptions{
	Insensitive:               false,
	KeyValueDelimiters:        "=",
	IgnoreContinuation:        true,
	SpaceBeforeInlineComment:  true,
	UnescapeValueDoubleQuotes: true,
	AllowBooleanKeys:          false,
	AllowShadows:              false,
}

// maxConfigSize bounds the config file; anything bigger is not a config.
const maxConfigSize = 1 << 20

// layout is where things are in the file, as scan saw it: the line of
// every section and key, and which keys scan reported and hid from ini.v1.
// scan reads no value; gopkg.in/ini.v1 is the one parser of values, and
// fillValues copies each key's value from the parsed *ini.File into the
// layout, so that an error message can quote it.
type layout struct {
	sections map[string]*rawSection
	order    []*rawSection
}

// rawSection is one section of the file. The keys before the first header
// belong to the section ini.DefaultSection, with line 0 unless the file has
// an explicit [DEFAULT] header.
type rawSection struct {
	name     string
	line     int  // line of the header; 0 for the implicit top section
	explicit bool // a [name] header was seen
	keys     map[string]*rawKey
	order    []*rawKey
}

// rawKey is one "key = value" line.
type rawKey struct {
	name   string
	value  string // the value as ini.v1 read it (fillValues); "" for a broken key
	line   int
	broken bool // the line was reported as an error and hidden from ini
}

func (lay *layout) section(name string) *rawSection {
	if lay == nil {
		return nil
	}
	return lay.sections[name]
}

func (lay *layout) sectionLine(name string) int {
	if s := lay.section(name); s != nil {
		return s.line
	}
	return 0
}

func (lay *layout) keyLine(section, key string) int {
	if s := lay.section(section); s != nil {
		if k := s.keys[key]; k != nil {
			return k.line
		}
	}
	return 0
}

// keyValue returns a key's value as ini.v1 read it, or "" (a key not in
// the file, a broken one, or a layout fillValues has not filled yet).
func (lay *layout) keyValue(section, key string) string {
	if s := lay.section(section); s != nil {
		if k := s.keys[key]; k != nil {
			return k.value
		}
	}
	return ""
}

// fillValues copies the value of every key ini.v1 read from f into the
// layout. A key ini.v1 has but scan does not know is left out (scan and
// ini.v1 agree on the keys; FuzzScan checks it).
func (lay *layout) fillValues(f *ini.File) {
	for _, sec := range f.Sections() {
		rs := lay.section(sec.Name())
		if rs == nil {
			continue
		}
		for _, k := range sec.Keys() { // not GetKey: that falls back to a parent section
			if rk := rs.keys[k.Name()]; rk != nil && !rk.broken {
				rk.value = k.Value()
			}
		}
	}
}

func (lay *layout) addSection(name string, line int) *rawSection {
	s := &rawSection{name: name, line: line, explicit: line > 0, keys: map[string]*rawKey{}}
	lay.sections[name] = s
	lay.order = append(lay.order, s)
	return s
}

// scan checks the file line by line before ini.v1 sees it. It returns the
// text to hand to ini.v1 (lines it reported blanked, comments after
// unquoted values removed), the layout (lines, no values), the problems
// found, and whether they are fatal (the file's structure can't be
// trusted, so nothing more is checked).
func scan(file string, data []byte) (clean []byte, lay *layout, errs []*Error, fatal bool) {
	lay = &layout{sections: map[string]*rawSection{}}
	lay.addSection(ini.DefaultSection, 0)

	fail := func(line int, section, key, want string) {
		if section == ini.DefaultSection && !lay.sections[section].explicit {
			section = ""
		}
		errs = append(errs, &Error{File: file, Line: line, Section: section, Key: key, Want: want})
	}

	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		fail(0, "", "", "the file is saved as UTF-16 (Unicode); save it as UTF-8")
		return nil, lay, errs, true
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		n := 1
		for rest := data; len(rest) > 0; n++ {
			line, more, _ := bytes.Cut(rest, []byte("\n"))
			if !utf8.Valid(line) {
				break
			}
			rest = more
		}
		fail(n, "", "", "this line is not valid UTF-8; save the file as UTF-8")
		return nil, lay, errs, true
	}

	out := make([]byte, 0, len(data))
	cur := lay.sections[ini.DefaultSection]
	for n, rest := 1, data; len(rest) > 0; n++ {
		var text []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			text, rest = rest[:i+1], rest[i+1:]
		} else {
			text, rest = rest, nil
		}
		p := parseLine(string(text))
		if msg := controlChar(string(text)); msg != "" && p.problem == "" {
			p.problem = msg
		}
		blank := []byte{}
		if text[len(text)-1] == '\n' {
			blank = []byte{'\n'}
		}

		switch p.kind {
		case lineSkip:
			out = append(out, text...)

		case lineSection:
			if p.problem != "" {
				fail(n, "", "", p.problem)
				return nil, lay, errs, true
			}
			if s := lay.sections[p.name]; s != nil {
				if s.explicit {
					fail(n, p.name, "", fmt.Sprintf("this section appears twice (first on line %d); merge them into one", s.line))
				} else {
					s.line, s.explicit = n, true
				}
				cur = s
			} else {
				cur = lay.addSection(p.name, n)
			}
			out = append(out, text...)

		case lineKey:
			if p.problem != "" {
				fail(n, cur.name, p.name, p.problem)
				if p.name != "" && cur.keys[p.name] == nil {
					k := &rawKey{name: p.name, line: n, broken: true}
					cur.keys[p.name] = k
					cur.order = append(cur.order, k)
				}
				out = append(out, blank...)
				continue
			}
			if k := cur.keys[p.name]; k != nil {
				fail(n, cur.name, p.name, fmt.Sprintf("this key is set twice (first on line %d); keep one", k.line))
				k.line, k.broken = n, false
			} else {
				k := &rawKey{name: p.name, line: n}
				cur.keys[p.name] = k
				cur.order = append(cur.order, k)
			}
			if p.rewrite != "" {
				out = append(out, p.rewrite...)
				out = append(out, blank...)
			} else {
				out = append(out, text...)
			}
		}
	}
	return out, lay, errs, false
}

const (
	lineSkip = iota // blank or comment
	lineSection
	lineKey
)

// parsedLine is one line as scan understands it: its kind and name, never
// its value.
type parsedLine struct {
	kind    int
	name    string // section or key name, "" when it can't be told
	rewrite string // for ini.v1 instead of the line (without "\n"), or ""
	problem string // "" when the line is fine
}

// parseLine reads one line (with its "\n", if any) as ini.v1 will under
// iniOptions: whether it is a section header, a key or neither, and its
// name. It says what is wrong with the line, and rewrites a key line whose
// comment ini.v1 would cut in the wrong place; it leaves reading the value
// to ini.v1.
func parseLine(text string) parsedLine {
	line := strings.TrimLeftFunc(text, unicode.IsSpace)
	if line == "" || line[0] == '#' || line[0] == ';' {
		return parsedLine{kind: lineSkip}
	}

	if line[0] == '[' {
		p := parsedLine{kind: lineSection}
		end := strings.LastIndexByte(line, ']')
		if end < 0 {
			p.problem = "this section header has no closing ]; want [name]"
			return p
		}
		p.name = line[1:end]
		after := strings.TrimSpace(line[end+1:])
		switch {
		case p.name == "":
			p.problem = "this section header has no name; want [name]"
		case strings.ContainsAny(p.name, "[]"):
			p.problem = "want one name in brackets, e.g. [spool]"
		case after != "" && after[0] != ';' && after[0] != '#':
			p.problem = "text after the section header; want [name] alone, or followed by a ; comment"
		}
		return p
	}

	p := parsedLine{kind: lineKey}
	if line[0] == '"' || line[0] == '`' {
		p.problem = "key names are not quoted; want key = value"
		return p
	}
	eq := strings.IndexByte(line, '=')
	if eq < 0 {
		p.problem = "this line is not key = value, a [section] header or a ; comment"
		return p
	}
	p.name = strings.TrimSpace(line[:eq])
	if p.name == "" {
		p.problem = "a key name is missing before ="
		return p
	}
	if p.name == "-" {
		p.name = ""
		p.problem = "want key = value with a key name, not -"
		return p
	}
	v := strings.TrimLeftFunc(line[eq+1:], unicode.IsSpace)

	var q string
	switch {
	case len(v) > 3 && v[:3] == `"""`:
		q = `"""`
	case v != "" && v[0] == '`':
		q = "`"
	case v != "" && v[0] == '"':
		q = `"`
	}
	if q != "" {
		end := strings.LastIndex(v[len(q):], q)
		if end < 0 {
			p.problem = fmt.Sprintf("the value opens with %s but does not close it on this line", q)
			return p
		}
		// What lies between the quotes, and after them, decides whether
		// ini.v1 would read the value as meant.
		inner := v[len(q) : len(q)+end]
		after := strings.TrimSpace(v[len(q)+end+len(q):])
		switch {
		case after != "" && after[0] != ';' && after[0] != '#':
			p.problem = "text after the closing quote; a comment there starts with ; or #"
		case q == "`" && strings.Contains(inner, "`"):
			p.problem = "a value in backticks cannot hold a backtick (nor can a comment after it); " +
				"write it in double quotes, or put the comment on a line of its own"
		case q != "`" && strings.Contains(inner, `"`):
			p.problem = "a value in double quotes cannot hold a double quote (nor can a comment after it); " +
				"write it in backticks, or put the comment on a line of its own"
		}
		return p
	}

	// Unquoted: a comment starts at the first ; or # that opens the value
	// or follows a space or tab. ini.v1 would look for " #" before " ;"
	// and miss tabs, so the comment is cut here and ini.v1 is handed the
	// line without it.
	v = strings.TrimSpace(v)
	if cut := commentStart(v); cut >= 0 {
		val := strings.TrimSpace(v[:cut])
		if strings.HasPrefix(val, "'") && strings.Contains(v[cut:], "'") {
			p.problem = "single quotes do not protect \" ;\" or \" #\"; write the value in backticks"
			return p
		}
		p.rewrite = strings.TrimRightFunc(line[:eq+1], unicode.IsSpace)
		if val != "" {
			p.rewrite += " " + val
		}
	}
	return p
}

// commentStart returns the index of the ; or # that starts a comment in an
// unquoted value, or -1.
func commentStart(v string) int {
	prev := ' '
	for i, r := range v {
		if (r == ';' || r == '#') && unicode.IsSpace(prev) {
			return i
		}
		prev = r
	}
	return -1
}

// controlChar describes the first control character in a line, or returns "".
// A tab is fine, and so is a carriage return that ends the line.
func controlChar(text string) string {
	text = strings.TrimSuffix(text, "\n")
	text = strings.TrimSuffix(text, "\r")
	for _, r := range text {
		if r == '\t' {
			continue
		}
		if unicode.IsControl(r) || r == '\uFEFF' || r == '\u2028' || r == '\u2029' {
			return fmt.Sprintf("this line holds the control character U+%04X; remove it", r)
		}
	}
	return ""
}
