package bounce

import (
	"bytes"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// readDSN reads the body of a message/delivery-status (or, with global,
// message/global-delivery-status) part: the per-message fields and one
// block per recipient. Blocks are split at empty lines, and also where
// a recipient field repeats, for reports that leave the lines out.
func (r *Report) readDSN(body []byte, global bool) {
	r.Format = "rfc3464"
	if global {
		r.Format = "rfc6533"
	}
	type group struct {
		h                   header
		final, orig, action bool
	}
	var groups []*group
	cur := &group{}
	flush := func() {
		if len(cur.h) > 0 {
			groups = append(groups, cur)
		}
		cur = &group{}
	}
	for _, block := range splitBlocks(body) {
		for _, f := range parseHeader(block) {
			switch strings.ToLower(f.name) {
			case "final-recipient":
				if cur.final {
					flush()
				}
				cur.final = true
			case "original-recipient":
				if cur.orig || cur.final {
					flush()
				}
				cur.orig = true
			case "action":
				if cur.action {
					flush()
				}
				cur.action = true
			}
			cur.h = append(cur.h, f)
		}
		flush()
		if len(groups) > 4*MaxRecipients {
			break
		}
	}
	for _, g := range groups {
		if g.h.has("Reporting-MTA") && r.Reporter == "" {
			r.Reporter = mtaName(g.h.get("Reporting-MTA"))
		}
		if g.h.has("Arrival-Date") {
			if d, err := mail.ParseDate(g.h.get("Arrival-Date")); err == nil {
				r.Arrival = d
			}
		}
		if !(g.final || g.orig || g.action) || len(r.Recipients) >= MaxRecipients {
			continue
		}
		if rc, ok := recipient(g.h); ok {
			r.Recipients = append(r.Recipients, rc)
		}
	}
}

// splitBlocks splits a delivery-status body at its empty lines.
func splitBlocks(b []byte) [][]byte {
	var blocks [][]byte
	for len(b) > 0 {
		h, rest := splitMessage(b)
		if len(bytes.TrimSpace(h)) > 0 {
			blocks = append(blocks, h)
		}
		if len(blocks) > 4*MaxRecipients {
			break
		}
		b = rest
	}
	return blocks
}

// recipient reads one per-recipient block; ok is false when it names
// no address or no action can be read or inferred.
func recipient(h header) (Recipient, bool) {
	var rc Recipient
	rc.Final = dsnAddress(h.get("Final-Recipient"))
	rc.Original = dsnAddress(h.get("Original-Recipient"))
	if rc.Final == "" {
		rc.Final = rc.Original
	}
	if rc.Final == "" {
		return Recipient{}, false
	}
	rc.Status = statusCode(h.get("Status"))
	rc.Diagnostic = diagnostic(h.get("Diagnostic-Code"))
	rc.RemoteMTA = mtaName(h.get("Remote-MTA"))
	switch a := Action(strings.ToLower(strings.TrimSpace(firstWord(h.get("Action"))))); a {
	case Failed, Delayed, Delivered, Relayed, Expanded:
		rc.Action = a
	default:
		// No or an unknown action: infer it from the status class.
		code := rc.Status
		if code == "" {
			code = enhancedRe.FindString(rc.Diagnostic)
		}
		switch {
		case strings.HasPrefix(code, "5."):
			rc.Action = Failed
		case strings.HasPrefix(code, "4."):
			rc.Action = Delayed
		case strings.HasPrefix(code, "2."):
			rc.Action = Delivered
		default:
			return Recipient{}, false
		}
	}
	if rc.Action == Failed {
		rc.Class = ClassOf(rc.Status, rc.Diagnostic)
	}
	return rc, true
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return strings.Trim(f[0], ";,.")
	}
	return ""
}

// dsnAddress reads an address-type; address field (Final-Recipient,
// Original-Recipient), decoding the \x{HHHH} form of RFC 6533.
func dsnAddress(v string) string {
	typ, addr, ok := strings.Cut(v, ";")
	if !ok {
		addr, typ = typ, ""
	}
	addr = strings.TrimSpace(addr)
	if strings.EqualFold(strings.TrimSpace(typ), "utf-8") {
		addr = unescapeUTF8(addr)
	}
	return normAddress(addr)
}

var unicodeEscRe = regexp.MustCompile(`\\x\{([0-9A-Fa-f]{1,6})\}`)

func unescapeUTF8(s string) string {
	return unicodeEscRe.ReplaceAllStringFunc(s, func(m string) string {
		n, err := strconv.ParseUint(m[3:len(m)-1], 16, 32)
		if err != nil || !utf8.ValidRune(rune(n)) || n < 0x20 {
			return m
		}
		return string(rune(n))
	})
}

// addrRe finds an address in text: local part, @, a domain with a dot.
var addrRe = regexp.MustCompile(`[\p{L}\p{N}.!#$%&'*+/=?^_{|}~-]{1,64}@[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63})+`)

// normAddress checks an address and lower-cases its domain; it returns
// "" for anything that is not one plain address.
func normAddress(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	s = strings.TrimSuffix(s, ">")
	s = strings.Trim(s, "'\" ")
	if s == "" || len(s) > maxAddress || !utf8.ValidString(s) {
		return ""
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return ""
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' || r == ',' || r == ';' || r == '\uFFFD' {
			return ""
		}
	}
	domain := strings.TrimSuffix(s[at+1:], ".")
	if domain == "" || strings.ContainsAny(domain, "@()[]\\\"") && !strings.HasPrefix(domain, "[") {
		return ""
	}
	return s[:at] + "@" + strings.ToLower(domain)
}

// statusCode is the first d.ddd.ddd code of a Status field.
func statusCode(v string) string {
	return enhancedRe.FindString(v)
}

var (
	diagTypeRe = regexp.MustCompile(`(?i)^\s*(smtp|x-[a-z0-9-]+|x400|x-unix)\s*;\s*`)
	replyRe    = regexp.MustCompile(`^([245]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})\s)?`)
)

// diagnostic makes a Diagnostic-Code one line: the diagnostic type
// ("smtp;") goes, and so do the reply codes repeated on each line of a
// multi-line reply ("550-5.1.1 ... 550 5.1.1 ...").
func diagnostic(v string) string {
	v = diagTypeRe.ReplaceAllString(decodeHeader(v), "")
	v = oneLine(v, 4*MaxDiagnostic)
	if m := replyRe.FindStringSubmatch(v); m != nil {
		rest := v[len(m[0]):]
		for _, sep := range []string{"-", " "} {
			p := " " + m[1] + sep
			if m[2] != "" {
				p += m[2] + " "
			}
			rest = strings.ReplaceAll(rest, p, " ")
		}
		head := m[1] + " "
		if m[2] != "" {
			head += m[2] + " "
		}
		v = oneLine(head+rest, MaxDiagnostic)
	}
	return cut(v, MaxDiagnostic)
}

// mtaName is the host of a Reporting-MTA or Remote-MTA field
// ("dns; mx.example.org"), without a trailing dot.
func mtaName(v string) string {
	if _, after, ok := strings.Cut(v, ";"); ok {
		v = after
	}
	v = firstWord(oneLine(v, 300))
	return cut(strings.TrimSuffix(v, "."), 255)
}
