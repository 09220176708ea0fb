package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"

	"github.com/spoolgate/spoolgate/gateway/lang"
)

const day = 24 * time.Hour

var (
	bareNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	dayPrefix  = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)d`)
	sizeSyntax = regexp.MustCompile(`^([0-9]+)\s*([A-Za-z]*)$`)
	instanceOK = regexp.MustCompile(`^[A-Za-z0-9-]{1,63}$`)
)

// parseDuration reads Go duration syntax (90s, 3m, 2h30m) with days in
// front: 90d, 2d12h, 1.5d. It does not read bare numbers other than 0.
func parseDuration(s string) (time.Duration, error) {
	var days time.Duration
	if m := dayPrefix.FindStringSubmatch(s); m != nil {
		n, err := strconv.ParseFloat(m[1], 64)
		if err != nil || n > 100000 {
			return 0, errors.New("too many days")
		}
		days = time.Duration(math.Round(n * float64(day)))
		s = s[len(m[0]):]
		if s == "" {
			return days, nil
		}
		if s[0] < '0' || s[0] > '9' {
			return 0, errors.New("after the days, want more units, e.g. 2d12h")
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d > math.MaxInt64-days {
		return 0, errors.New("too long")
	}
	return days + d, nil
}

// formatDuration writes d the way a config file would: 90d, 3m, 2h30m.
func formatDuration(d time.Duration) string {
	if d >= day && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// sizeUnits are the multipliers of max_size, by lower-case unit.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
}

// parseSize reads 1234, 500KB, 25MB, 1GB (1024-based, any case, also KiB,
// MiB, GiB, and a space before the unit).
func parseSize(s string) (int64, bool) {
	m := sizeSyntax.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	mult, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, false
	}
	return n * mult, true
}

// parseBool reads true/false, yes/no, on/off, 1/0 in any case.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	return false, false
}

// lookupCharset finds a character set by WHATWG label (htmlindex) or IANA
// name (ianaindex) and returns its canonical lower-case name. It refuses
// character sets that don't keep ASCII as ASCII, since they decode raw
// header bytes of a mostly-ASCII message.
func lookupCharset(label string) (name string, enc encoding.Encoding, problem string) {
	enc, err := htmlindex.Get(label)
	if err != nil {
		enc, err = ianaindex.IANA.Encoding(label)
	}
	if err != nil || enc == nil {
		return "", nil, "want a character set name such as utf-8, windows-1252 or iso-8859-15"
	}
	name, err = htmlindex.Name(enc)
	if err != nil {
		name, err = ianaindex.IANA.Name(enc)
		if err != nil {
			return "", nil, "want a character set name such as utf-8, windows-1252 or iso-8859-15"
		}
	}
	name = strings.ToLower(name)
	switch name {
	case "replacement", "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be":
		return "", nil, "want a character set that keeps ASCII as ASCII, such as utf-8 or windows-1252"
	}
	return name, enc, ""
}

// isAddrSpec reports whether s is a bare address like library@example.org:
// no display name, no angle brackets, no comment.
func isAddrSpec(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// clipValue shortens a long value for an error message: its first 60
// characters and an ellipsis.
func clipValue(v string) string {
	const most = 60
	if utf8.RuneCountInString(v) <= most {
		return v
	}
	r := []rune(v)
	return string(r[:most]) + "…"
}

// maxAddress is the longest address a relay takes: an SMTP path is at
// most 256 octets with its angle brackets (RFC 5321, section 4.5.3.1.3).
const maxAddress = 254

// pathProblem says why the relay would refuse addr, an address that
// isAddrSpec takes, as the path of MAIL FROM or RCPT TO, or "": it is too
// long, or its domain is an IPv6 literal without its tag. Nothing else can
// be: isAddrSpec takes no quoted local part (net/mail gives it back
// unquoted), so no space, "<" or ">", which package relay refuses to put on
// the wire, and takes no domain literal but an IP address; an IPv4 one the
// relay takes, an IPv6 one only written [IPv6:...] (RFC 5321), which
// net/mail does not read.
func pathProblem(addr string) string {
	if len(addr) > maxAddress {
		return fmt.Sprintf("it is %d characters long; a mail relay takes at most %d", len(addr), maxAddress)
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	if lit, ok := strings.CutPrefix(domain, "["); ok {
		if ip := net.ParseIP(strings.TrimSuffix(lit, "]")); ip == nil || ip.To4() == nil {
			return "an address at an IPv6 literal cannot be sent; use the host's name instead"
		}
	}
	return ""
}

// maxHeaderLine is the longest line of a header field, in octets without
// the CRLF (RFC 5322, section 2.1.1). Package message refuses, as
// FromTooLong, every message whose From it builds from from and from_name
// with a line longer than that, and a notice or daily log with such a
// line would be refused as LineTooLong.
const maxHeaderLine = 998

// fromLine is the From header field line that the messages spoolgate
// writes build from an address and a display name: "From: " and
// net/mail's rendering (a printable ASCII name as one quoted string, any
// other as encoded words).
func fromLine(name, addr string) string {
	return "From: " + (&mail.Address{Name: name, Address: addr}).String()
}

// fromTooLong says what is wrong when the From field built from name and
// addr does not fit on one header line, or "". The rule is stricter than
// package message's, which folds the field at its spaces: the builders of
// notices and of the daily log do not fold inside a quoted name, and a
// field that fits on one line fits whoever folds it. So a config that
// passes here never makes a message fail as FromTooLong or LineTooLong
// for its From.
func fromTooLong(name, addr string) string {
	n := len(fromLine(name, addr))
	if n <= maxHeaderLine {
		return ""
	}
	return fmt.Sprintf("the From header field built from it would be %d characters long, more than the %d a mail "+
		"header line takes, so every message that gets this From (notices, the daily log, files without a From) "+
		"would be refused; shorten from_name (a letter other than plain ASCII takes up to 9 characters once encoded)",
		n, maxHeaderLine)
}

// isDomain reports whether s is a host name: dot-separated labels of
// letters, digits, - and _ (Windows host names have them), ASCII only.
func isDomain(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
			if !ok {
				return false
			}
		}
	}
	return true
}

// parseHost reads a host name or IP address; an IPv6 address may be written
// in brackets, which are dropped.
func parseHost(s string) (string, bool) {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		ip := net.ParseIP(s[1 : len(s)-1])
		if ip == nil || ip.To4() != nil {
			return "", false
		}
		return s[1 : len(s)-1], true
	}
	if net.ParseIP(s) != nil || isDomain(s) {
		return s, true
	}
	return "", false
}

// isHELO reports whether s can be the EHLO name: a host name, or an
// address literal like [192.0.2.1] or [IPv6:2001:db8::1].
func isHELO(s string) bool {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		lit := s[1 : len(s)-1]
		if v6, ok := strings.CutPrefix(lit, "IPv6:"); ok {
			ip := net.ParseIP(v6)
			return ip != nil && ip.To4() == nil
		}
		ip := net.ParseIP(lit)
		return ip != nil && ip.To4() != nil
	}
	return isDomain(s)
}

// isLoopback reports whether host is this machine: localhost, 127.0.0.0/8
// or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sanitizeInstance turns a host name into an instance name: the first
// label, with anything but letters, digits and - replaced by -.
func sanitizeInstance(hostname string) string {
	short, _, _ := strings.Cut(hostname, ".")
	b := []byte(short)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	s := strings.Trim(string(b), "-")
	if len(s) > 63 {
		s = strings.Trim(s[:63], "-")
	}
	if s == "" {
		return "spoolgate"
	}
	return s
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Closest returns the candidate nearest to s, ignoring case, within an edit
// distance of 2, or "" when none is that near (or s is over 64 bytes). Ties
// go to the earlier candidate. It is the "did you mean" of Load's errors,
// for another package that builds one with KeyError.
func Closest(s string, candidates []string) string {
	if len(s) > 64 {
		return ""
	}
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// clockSyntax is a time of day on the 24-hour clock: 6:30, 06:30, 23:55.
var clockSyntax = regexp.MustCompile(`^([0-9]{1,2}):([0-9]{2})$`)

// parseClock reads a time of day, HH:MM on the 24-hour clock (H:MM too).
func parseClock(s string) (Clock, bool) {
	m := clockSyntax.FindStringSubmatch(s)
	if m == nil {
		return Clock{}, false
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if h > 23 || mi > 59 {
		return Clock{}, false
	}
	return Clock{Hour: h, Minute: mi}, true
}

// parseDelimiter reads [overdue] delimiter: comma, semicolon or tab, as a
// word or as the character (a ; must be quoted, or it starts a comment).
func parseDelimiter(s string) (rune, bool) {
	switch strings.ToLower(s) {
	case ",", "comma":
		return ',', true
	case ";", "semicolon":
		return ';', true
	case `\t`, "\t", "tab":
		return '\t', true
	}
	return 0, false
}

// parseAddressList reads comma-separated addr-specs. problem names the
// first bad one.
func parseAddressList(key, v string) (addrs []string, problem string) {
	want := fmt.Sprintf("want one address or several separated by commas, e.g. %s = librarian@example.org, it@example.org", key)
	for _, a := range strings.Split(v, ",") {
		a = strings.TrimSpace(a)
		switch {
		case a == "":
			return nil, want + "; one of them is empty"
		case strings.Contains(a, ";"):
			return nil, want + "; separate addresses with commas, not semicolons"
		case !isAddrSpec(a):
			return nil, fmt.Sprintf("%s; %q is not an address alone (no name, no <>)", want, a)
		case pathProblem(a) != "":
			return nil, fmt.Sprintf("%s; %s", want, pathProblem(a))
		}
		addrs = append(addrs, a)
	}
	return addrs, ""
}

// lookupLanguage reads a language code as lang.Parse does (sv, sv-SE,
// swe, no) and returns the code of a language spoolgate writes.
func lookupLanguage(key, v string) (code, problem string) {
	if code, ok := lang.Parse(v); ok {
		return code, ""
	}
	want := fmt.Sprintf("want one of the languages spoolgate writes: %s (e.g. %s = sv)",
		strings.Join(lang.Codes(), ", "), key)
	if hint, ok := lang.Hint(v); ok {
		return "", fmt.Sprintf("unknown language; did you mean %s? %s", hint, want)
	}
	return "", "unknown language; " + want
}

// parseContact reads a unit's contact text: " | " separates lines.
func parseContact(v string) string {
	var lines []string
	for _, l := range strings.Split(v, "|") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// maxDisplayName is the longest [unit.NAME] name, in characters: a name
// that patrons read under a notice, not a paragraph.
const maxDisplayName = 100

// parseDisplayName reads a unit's name as patrons read it in notices: one
// line without control characters (a tab included), at most
// maxDisplayName characters. It returns the name, or what is wrong.
func parseDisplayName(v string) (string, string) {
	want := fmt.Sprintf("want the unit's name as patrons read it in notices, on one line of at most %d characters "+
		"(e.g. name = Östra biblioteket; its address and opening hours go in contact), or leave it empty for the unit's from_name", maxDisplayName)
	v = strings.TrimSpace(v)
	if i := strings.IndexFunc(v, func(r rune) bool {
		return unicode.IsControl(r) || r == '\uFEFF' || r == '\u2028' || r == '\u2029'
	}); i >= 0 {
		r, _ := utf8.DecodeRuneInString(v[i:])
		return "", fmt.Sprintf("it holds the control character U+%04X; %s", r, want)
	}
	if n := utf8.RuneCountInString(v); n > maxDisplayName {
		return "", fmt.Sprintf("it is %d characters long; %s", n, want)
	}
	return v, ""
}

// loadZone reads an IANA time zone name. The zone database is built in
// (time/tzdata), so this works where the system has none (Windows).
func loadZone(name string) (*time.Location, string) {
	want := "want an IANA time zone name such as Europe/Stockholm or America/New_York " +
		"(empty: this machine's own zone)"
	if strings.ContainsAny(name, ` \`) {
		// A Windows zone name ("W. Europe Standard Time") or a path.
		if s := Closest(name, zoneNames); s != "" {
			return nil, fmt.Sprintf("unknown time zone; did you mean %s? %s", s, want)
		}
		return nil, "unknown time zone; " + want
	}
	loc, err := time.LoadLocation(name)
	if err == nil {
		return loc, ""
	}
	if s := Closest(name, zoneNames); s != "" {
		return nil, fmt.Sprintf("unknown time zone; did you mean %s? %s", s, want)
	}
	return nil, "unknown time zone; " + want
}
