package message

import (
	"errors"
	"io"
	"net/mail"
	"net/netip"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	e, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return e.NewDecoder().Reader(input), nil
}

var addrParser = &mail.AddressParser{WordDecoder: wordDecoder}

// errDomainLiteral is the complaint about an address whose domain literal
// ValidDomainLiteral refuses. It quotes nothing of the address.
var errDomainLiteral = errors.New("mail: the domain literal is not an IPv4 address, IPv6: and an IPv6 address, or a tag: and printable text")

// parseAddressList returns the addr-specs of an unfolded address-list
// value, in order. net/mail reads it first; when net/mail refuses, a more
// lenient reader that ignores display names and comments (and so RFC 2047
// and obsolete syntax in them) tries again. When both refuse, bad is the
// text of the offending address and err net/mail's complaint, or
// errDomainLiteral.
//
// Neither takes a domain literal that ValidDomainLiteral refuses: such an
// address is bad, and so is the file (cause bad-address).
func parseAddressList(v string) (list []string, bad string, err error) {
	if strings.TrimSpace(v) == "" {
		return nil, "", nil
	}
	if a, ok := simpleAddress(v); ok {
		return []string{a}, "", nil
	}
	addrs, err := addrParser.ParseList(v)
	if err == nil {
		list = make([]string, 0, len(addrs))
		for _, a := range addrs {
			at := strings.LastIndexByte(a.Address, '@')
			if at <= 0 || at == len(a.Address)-1 {
				list = nil
				break
			}
			if d := a.Address[at+1:]; strings.HasPrefix(d, "[") && !ValidDomainLiteral(d) {
				// net/mail takes any IP address ([::1], untagged);
				// the lenient reader says which address is bad.
				list = nil
				break
			}
			list = append(list, formatAddrSpec(a.Address[:at], a.Address[at+1:]))
		}
		if list != nil || len(addrs) == 0 {
			return list, "", nil
		}
	}
	list, bad = lenientList(v)
	if bad == "" {
		err = nil
	} else if badLiteral(bad) {
		err = errDomainLiteral
	}
	return list, bad, err
}

// maxDomain is the most a domain may take, a domain literal included
// (RFC 5321, 4.5.3.1.2).
const maxDomain = 255

// ValidDomainLiteral reports whether lit, brackets included, is a domain
// literal RFC 5321 (4.1.3) allows: an IPv4 address ("[192.0.2.1]"), the tag
// "IPv6:" and an IPv6 address ("[IPv6:2001:db8::1]"), or a standardized
// tag and its text ("[tag:text]", the General-address-literal), where the
// tag is letters, digits and hyphens, ending with a letter or digit, and
// the text is dcontent: printable ASCII but "[", "\" and "]" (bytes 33-90
// and 94-126: no space, no control character, nothing 8-bit). It is at
// most 255 bytes long.
//
// One rule is stricter than RFC 5321's: the text of a tagged literal holds
// no "<" or ">", which a relay that reads the path naively would take for
// its end. Anything else in brackets (an untagged IPv6 address, a
// malformed address after "IPv6:", a space) is no address either: it
// could only smuggle text into the envelope ("x@[127.0.0.1> NOTIFY=SUCCESS]").
func ValidDomainLiteral(lit string) bool {
	if len(lit) < 3 || len(lit) > maxDomain || lit[0] != '[' || lit[len(lit)-1] != ']' {
		return false
	}
	in := lit[1 : len(lit)-1]
	tag, text, tagged := strings.Cut(in, ":")
	if !tagged {
		ip, err := netip.ParseAddr(in)
		return err == nil && ip.Is4()
	}
	if strings.EqualFold(tag, "IPv6") {
		ip, err := netip.ParseAddr(text)
		return err == nil && ip.Is6() && ip.Zone() == ""
	}
	if !isLdhStr(tag) || text == "" {
		return false
	}
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 33 || c > 126 || c == '[' || c == '\\' || c == ']' || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

// isLdhStr reports whether s is an Ldh-str of RFC 5321: letters, digits
// and hyphens, ending with a letter or digit.
func isLdhStr(s string) bool {
	if s == "" || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// badLiteral reports whether the address text a holds a domain literal
// that ValidDomainLiteral refuses.
func badLiteral(a string) bool {
	toks, _ := scanAddr(a)
	for _, t := range toks {
		if t.kind == tokLiteral && !ValidDomainLiteral(a[t.start:t.end]) {
			return true
		}
	}
	return false
}

// simpleAddress reads the common forms "local@domain" and "Name Words
// <local@domain>" with plain ASCII atoms only, which every reader agrees
// on, without the cost of net/mail.
func simpleAddress(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if strings.HasSuffix(v, ">") {
		lt := strings.IndexByte(v, '<')
		if lt < 0 {
			return "", false
		}
		for i := 0; i < lt; i++ {
			if c := v[i]; c != ' ' && (c >= 0x80 || !isAtomByte(c) || c == '=') {
				return "", false
			}
		}
		v = v[lt+1 : len(v)-1]
	}
	at := strings.IndexByte(v, '@')
	if at < 0 || !isASCII(v) || !isDotAtom(v[:at]) || !isDotAtom(v[at+1:]) {
		return "", false
	}
	return v, true
}

// formatAddrSpec joins a local part and a domain, quoting the local part
// when it is not a dot-atom.
func formatAddrSpec(local, domain string) string {
	if isDotAtom(local) {
		return local + "@" + domain
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		if c := local[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(local[i])
	}
	b.WriteString(`"@`)
	b.WriteString(domain)
	return b.String()
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && !isAtomByte(c) {
			return false
		}
	}
	return true
}

// isAtomByte reports whether c may appear in an atom: atext, and any 8-bit
// byte (RFC 6532).
func isAtomByte(c byte) bool {
	if c >= 0x80 {
		return true
	}
	if c <= ' ' || c == 0x7f {
		return false
	}
	return !strings.ContainsRune(`()<>[]:;@\,."`, rune(c))
}

type tokKind uint8

const (
	tokAtom    tokKind = iota // run of atom bytes
	tokQuoted                 // "quoted string"
	tokComment                // (comment)
	tokAngle                  // <angle-addr>
	tokLiteral                // [domain literal]
	tokSpecial                // one of , ; : @ .
)

type token struct {
	kind       tokKind
	start, end int // span in the scanned text, delimiters included
}

func (t token) special(s string, c byte) bool {
	return t.kind == tokSpecial && s[t.start] == c
}

// scanAddr splits an address header value into tokens. It returns false
// when quotes, parentheses or brackets are unbalanced.
func scanAddr(s string) ([]token, bool) {
	toks := make([]token, 0, 8)
	for i := 0; i < len(s); {
		c := s[i]
		var k tokKind
		j, ok := i+1, true
		switch c {
		case ' ', '\t', '\r', '\n':
			i++
			continue
		case '(':
			k = tokComment
			j, ok = skipComment(s, i)
		case '"':
			k = tokQuoted
			j, ok = skipQuoted(s, i)
		case '<':
			k = tokAngle
			j, ok = skipAngle(s, i)
		case '[':
			k = tokLiteral
			j, ok = skipLiteral(s, i)
		case ',', ';', ':', '@', '.':
			k = tokSpecial
		case ')', '>', ']', '\\':
			return toks, false
		default:
			k = tokAtom
			for j < len(s) && isAtomByte(s[j]) {
				j++
			}
		}
		if !ok {
			return toks, false
		}
		toks = append(toks, token{k, i, j})
		i = j
	}
	return toks, true
}

func skipComment(s string, i int) (int, bool) {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return len(s), false
}

func skipQuoted(s string, i int) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return len(s), false
}

func skipAngle(s string, i int) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		var ok bool
		switch s[j] {
		case '"':
			j, ok = skipQuoted(s, j)
		case '(':
			j, ok = skipComment(s, j)
		case '>':
			return j + 1, true
		case '<':
			return len(s), false
		default:
			continue
		}
		if !ok {
			return len(s), false
		}
		j-- // the loop steps past the closing delimiter
	}
	return len(s), false
}

func skipLiteral(s string, i int) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case ']':
			return j + 1, true
		case '[':
			return len(s), false
		}
	}
	return len(s), false
}

// unquote returns the content of a quoted string token.
func unquote(q string) string {
	q = q[1 : len(q)-1]
	if !strings.Contains(q, `\`) {
		return q
	}
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] == '\\' && i+1 < len(q) {
			i++
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// lenientList reads an address list the way a forgiving mail client would:
// comments and display names are skipped, groups are opened by ':' and
// closed by ';', and ';' also separates addresses. It returns the text of
// the first address it cannot read as bad.
func lenientList(s string) (list []string, bad string) {
	toks, ok := scanAddr(s)
	if !ok {
		return nil, strings.TrimSpace(s)
	}
	item := make([]token, 0, 8)
	inGroup := false
	flush := func() bool {
		if len(item) == 0 {
			return true
		}
		a, ok := lenientMailbox(s, item)
		if !ok {
			bad = strings.TrimSpace(s[item[0].start:item[len(item)-1].end])
			return false
		}
		list = append(list, a)
		item = item[:0]
		return true
	}
	for _, t := range toks {
		switch {
		case t.kind == tokComment:
			continue
		case t.special(s, ','):
			if !flush() {
				return nil, bad
			}
			continue
		case t.special(s, ';'):
			if !flush() {
				return nil, bad
			}
			inGroup = false
			continue
		case t.special(s, ':') && !inGroup && isPhrase(s, item):
			item = item[:0] // the group's display name
			inGroup = true
			continue
		}
		item = append(item, t)
	}
	if !flush() {
		return nil, bad
	}
	return list, ""
}

// isPhrase reports whether toks can be a display name.
func isPhrase(s string, toks []token) bool {
	for _, t := range toks {
		if t.kind != tokAtom && t.kind != tokQuoted && !t.special(s, '.') {
			return false
		}
	}
	return true
}

// lenientMailbox reads one mailbox: [phrase] <addr-spec> or addr-spec.
func lenientMailbox(s string, toks []token) (string, bool) {
	for i, t := range toks {
		if t.kind != tokAngle {
			continue
		}
		if i != len(toks)-1 {
			return "", false
		}
		inner := s[t.start+1 : t.end-1]
		it, ok := scanAddr(inner)
		if !ok {
			return "", false
		}
		it = dropComments(it)
		if len(it) > 0 && it[0].special(inner, '@') {
			// obs-route: @domain,@domain:
			for len(it) > 0 && !it[0].special(inner, ':') {
				it = it[1:]
			}
			if len(it) == 0 {
				return "", false
			}
			it = it[1:]
		}
		return addrSpec(inner, it)
	}
	return addrSpec(s, toks)
}

func dropComments(toks []token) []token {
	out := toks[:0]
	for _, t := range toks {
		if t.kind != tokComment {
			out = append(out, t)
		}
	}
	return out
}

// addrSpec reads local-part "@" domain from tokens without comments.
func addrSpec(s string, toks []token) (string, bool) {
	at := -1
	for i, t := range toks {
		if t.special(s, '@') {
			if at >= 0 {
				return "", false
			}
			at = i
		}
	}
	if at <= 0 || at == len(toks)-1 {
		return "", false
	}
	var local strings.Builder
	for i, t := range toks[:at] {
		word := i%2 == 0
		switch {
		case word && t.kind == tokAtom:
			local.WriteString(s[t.start:t.end])
		case word && t.kind == tokQuoted:
			local.WriteString(unquote(s[t.start:t.end]))
		case !word && t.special(s, '.'):
			local.WriteByte('.')
		default:
			return "", false
		}
	}
	if at%2 == 0 { // ends with a dot
		return "", false
	}
	dom := toks[at+1:]
	var domain string
	if len(dom) == 1 && dom[0].kind == tokLiteral {
		domain = s[dom[0].start:dom[0].end]
		if !ValidDomainLiteral(domain) {
			return "", false
		}
	} else {
		if len(dom)%2 == 0 {
			return "", false
		}
		var b strings.Builder
		for i, t := range dom {
			switch {
			case i%2 == 0 && t.kind == tokAtom:
				b.WriteString(s[t.start:t.end])
			case i%2 == 1 && t.special(s, '.'):
				b.WriteByte('.')
			default:
				return "", false
			}
		}
		domain = b.String()
	}
	if local.Len() == 0 {
		return "", false
	}
	return formatAddrSpec(local.String(), domain), true
}
