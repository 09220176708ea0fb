package relay

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spoolgate/spoolgate/gateway/message"
)

// maxPath is the most an address may take in a path, without its angle
// brackets: RFC 5321 (4.5.3.1.3) allows 256 bytes for the path with them.
const maxPath = 254

// envelopeCommand builds the MAIL FROM or RCPT TO command (cmd "MAIL FROM"
// or "RCPT TO") for addr, with the ESMTP parameters params ("SIZE=1234",
// "SMTPUTF8"), without its line end. It is the one place where an address
// goes into a command, for both ways of sending (pipelined, and one
// command at a time), and for Probe: go-smtp's Client.Mail and
// Client.Rcpt, which put any address between the brackets, are never
// given one.
//
// addr is an addr-spec ("local@domain"), or "" for the null sender (MAIL
// only), and must be one that the path grammar of RFC 5321 (with RFC
// 6531's UTF-8 when smtputf8 is set) holds, so that no byte of it can end
// the path or the command on the wire: no space, "<", ">", line break or
// other control character anywhere (not even in a quoted local part, where
// RFC 5321 would allow a space); a local part that is a dot-string or a
// quoted string; a domain of atoms and dots, or a domain literal that
// message.ValidDomainLiteral takes; at most 254 bytes. Anything else is
// refused before anything is written: a permanent refusal (ErrBadAddress,
// or ErrLineBreak for a line break) whose words never quote the address.
func envelopeCommand(cmd, addr string, smtputf8 bool, params ...string) (string, error) {
	what := "address"
	if cmd == "MAIL FROM" {
		what = "sender address"
	}
	if addr != "" || cmd != "MAIL FROM" {
		if strings.ContainsAny(addr, "\r\n") {
			return "", kindRefusal{refusal("the " + what + " contains a line break"), ErrLineBreak}
		}
		if why := pathProblem(addr, smtputf8); why != "" {
			return "", kindRefusal{refusal("the " + what + " is not a valid SMTP path: " + why), ErrBadAddress}
		}
	}
	var sb strings.Builder
	sb.WriteString(cmd)
	sb.WriteString(":<")
	sb.WriteString(addr)
	sb.WriteByte('>')
	for _, p := range params {
		if !esmtpParam(p) {
			return "", fmt.Errorf("relay: malformed ESMTP parameter %q", p)
		}
		sb.WriteByte(' ')
		sb.WriteString(p)
	}
	return sb.String(), nil
}

// pathProblem says why addr can't go into a path, or "" when it can. Its
// words quote nothing of addr.
func pathProblem(addr string, smtputf8 bool) string {
	if addr == "" {
		return "it is empty"
	}
	if len(addr) > maxPath {
		return "it is longer than " + strconv.Itoa(maxPath) + " bytes"
	}
	if !utf8.ValidString(addr) {
		return "it is not valid UTF-8"
	}
	for _, r := range addr {
		switch {
		case r == ' ':
			return "it contains a space"
		case r == '<' || r == '>':
			return `it contains "<" or ">"`
		case unicode.IsControl(r):
			return "it contains a control character"
		case r >= utf8.RuneSelf && !smtputf8:
			return "it is not ASCII, and the message does not go with SMTPUTF8"
		case r >= utf8.RuneSelf && !unicode.IsPrint(r):
			return "it contains a character that is not printable"
		}
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "it has no @"
	}
	local, domain := addr[:at], addr[at+1:]
	if !dotString(local) && !quotedString(local) {
		return "its local part is neither a dot-string nor a quoted string"
	}
	if strings.HasPrefix(domain, "[") {
		if !message.ValidDomainLiteral(domain) {
			return "its domain literal is not an IPv4 address, IPv6: and an IPv6 address, or a tag: and printable text"
		}
		return ""
	}
	if !dotString(domain) {
		return "its domain is not a domain name or a domain literal"
	}
	return ""
}

// dotString reports whether s is atoms of atext (and, with SMTPUTF8,
// UTF-8; pathProblem has checked which) joined by single dots.
func dotString(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && c < utf8.RuneSelf && !isAtext(c) {
			return false
		}
	}
	return true
}

// isAtext reports whether the ASCII byte c is atext (RFC 5321, 4.1.2).
func isAtext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// quotedString reports whether s is a quoted string of RFC 5321: qtextSMTP
// and quoted pairs between double quotes (pathProblem has refused spaces
// and angle brackets).
func quotedString(s string) bool {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
			if i == len(s)-1 || s[i] < 32 || s[i] > 126 {
				return false
			}
		case c == '"', c < 32, c == 127:
			return false
		}
	}
	return true
}

// esmtpParam reports whether p is an esmtp-param of RFC 5321: a keyword of
// letters, digits and hyphens, and an optional "=" and a value of
// printable ASCII but "=".
func esmtpParam(p string) bool {
	key, value, hasValue := strings.Cut(p, "=")
	if key == "" || !isLetDig(key[0]) {
		return false
	}
	for i := 1; i < len(key); i++ {
		if !isLetDig(key[i]) && key[i] != '-' {
			return false
		}
	}
	if hasValue && value == "" {
		return false
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 33 || c > 126 || c == '=' {
			return false
		}
	}
	return true
}

func isLetDig(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// mailCommand is the MAIL command for from, with the parameters go-smtp's
// Client.Mail would add for this server: BODY=8BITMIME when offered, SIZE
// when offered (size is the message's), SMTPUTF8 when asked for (send has
// checked that it is offered).
func (c *Conn) mailCommand(from string, size int, smtputf8 bool) (string, error) {
	var params []string
	if ok, _ := c.client.Extension("8BITMIME"); ok {
		params = append(params, "BODY=8BITMIME")
	}
	if ok, _ := c.client.Extension("SIZE"); ok && size != 0 {
		params = append(params, "SIZE="+strconv.Itoa(size))
	}
	if smtputf8 {
		params = append(params, "SMTPUTF8")
	}
	return envelopeCommand("MAIL FROM", from, smtputf8, params...)
}

// rcptCommand is the RCPT command for to.
func rcptCommand(to string, smtputf8 bool) (string, error) {
	return envelopeCommand("RCPT TO", to, smtputf8)
}
