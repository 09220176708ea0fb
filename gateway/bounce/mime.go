package bounce

import (
	"bytes"
	"encoding/base64"
	"html"
	"io"
	"mime"
	"mime/quotedprintable"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// Bounds on the work done for one mail, whatever its shape.
const (
	// MaxInput is how much of a mail Read looks at; the rest is ignored.
	MaxInput = 16 << 20
	// MaxRecipients is how many recipients a Report holds at most.
	MaxRecipients = 100
	// MaxDiagnostic is the longest Diagnostic, in bytes.
	MaxDiagnostic = 500
	// MaxSubject is the longest Subject or Why, in bytes.
	MaxSubject = 300

	maxParts       = 64        // MIME parts walked in one mail
	maxDepth       = 8         // nesting of multiparts
	maxHeaderBytes = 256 << 10 // of one header block
	maxFields      = 1000      // fields in one header block
	maxFieldBytes  = 16 << 10  // of one unfolded field
	maxTexts       = 4         // text parts kept for the heuristics
	maxTextBytes   = 256 << 10 // of one text part kept
	maxAddress     = 320       // bytes of one address
	maxID          = 998       // bytes of a Message-ID or X-Spoolgate-Id
	maxOriginalTo  = 100       // addresses in OriginalTo
)

// field is one header field, unfolded.
type field struct{ name, value string }

// header is a header block in order; names are matched without case.
type header []field

func (h header) get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

func (h header) has(name string) bool {
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			return true
		}
	}
	return false
}

// splitMessage cuts a mail (or a MIME part) at its first empty line.
// Without an empty line the whole text is header.
func splitMessage(b []byte) (hdr, body []byte) {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return b, nil
		}
		line := b[i : i+j]
		if len(bytes.TrimRight(line, "\r")) == 0 {
			return b[:i], b[i+j+1:]
		}
		i += j + 1
	}
	return b, nil
}

// parseHeader reads header fields leniently: a line that is not a
// field is skipped, folded lines are joined with one space, and the
// block, its fields and each field are bounded.
func parseHeader(b []byte) header {
	if len(b) > maxHeaderBytes {
		b = b[:maxHeaderBytes]
	}
	var h header
	for len(b) > 0 {
		var line []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			line, b = b, nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if n := len(h); n > 0 && len(h[n-1].value) < maxFieldBytes {
				v := h[n-1].value + " " + string(bytes.TrimSpace(line))
				if len(v) > maxFieldBytes {
					v = v[:maxFieldBytes]
				}
				h[n-1].value = strings.TrimSpace(v)
			}
			continue
		}
		c := bytes.IndexByte(line, ':')
		if c <= 0 || !fieldName(line[:c]) {
			continue
		}
		if len(h) >= maxFields {
			break
		}
		v := bytes.TrimSpace(line[c+1:])
		if len(v) > maxFieldBytes {
			v = v[:maxFieldBytes]
		}
		h = append(h, field{name: string(bytes.TrimRight(line[:c], " \t")), value: string(v)})
	}
	return h
}

func fieldName(b []byte) bool {
	b = bytes.TrimRight(b, " \t")
	if len(b) == 0 || len(b) > 76 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 127 {
			return false
		}
	}
	return true
}

// looksLikeHeader says whether a text starts with a header field, so
// that a mail without one is not read as a mail at all.
func looksLikeHeader(b []byte) bool {
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	if bytes.HasPrefix(line, []byte("From ")) { // an mbox separator
		return true
	}
	c := bytes.IndexByte(line, ':')
	return c > 0 && fieldName(line[:c])
}

var (
	boundaryRe   = regexp.MustCompile(`(?i)\bboundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))`)
	charsetRe    = regexp.MustCompile(`(?i)\bcharset\s*=\s*"?([A-Za-z0-9_.:-]{1,40})`)
	reportTypeRe = regexp.MustCompile(`(?i)\breport-type\s*=\s*"?([A-Za-z0-9_-]{1,40})`)
)

// mediaType reads a Content-Type; a malformed one still yields its type
// and the parameters that matter here (boundary, charset, report-type).
func mediaType(v string) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}
	}
	t, params, err := mime.ParseMediaType(v)
	if err == nil && t != "" {
		return strings.ToLower(t), params
	}
	t, _, _ = strings.Cut(v, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	params = map[string]string{}
	if m := boundaryRe.FindStringSubmatch(v); m != nil {
		params["boundary"] = m[1] + m[2]
	}
	if m := charsetRe.FindStringSubmatch(v); m != nil {
		params["charset"] = m[1]
	}
	if m := reportTypeRe.FindStringSubmatch(v); m != nil {
		params["report-type"] = m[1]
	}
	return t, params
}

// decodeTransfer undoes a Content-Transfer-Encoding; what cannot be
// decoded is kept as far as it could be.
func decodeTransfer(b []byte, cte string) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := make([]byte, 0, len(b))
		for _, c := range b {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
				clean = append(clean, c)
			}
		}
		if len(clean)%4 == 1 { // a lone trailing character decodes to nothing
			clean = clean[:len(clean)-1]
		}
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
		n, _ := base64.RawStdEncoding.Decode(out, clean)
		return out[:n]
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		return out
	}
	return b
}

// splitMultipart returns the parts between the boundary lines, at most
// limit of them; a missing closing line ends the last part at the end.
func splitMultipart(body []byte, boundary string, limit int) [][]byte {
	if boundary == "" || limit <= 0 {
		return nil
	}
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // where the current part began, -1 in the preamble
	for i := 0; i < len(body); {
		j := bytes.IndexByte(body[i:], '\n')
		end := len(body)
		next := len(body)
		if j >= 0 {
			end = i + j
			next = end + 1
		}
		line := bytes.TrimRight(body[i:end], " \t\r")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			closing := bytes.Equal(rest, []byte("--"))
			if len(rest) == 0 || closing {
				if start >= 0 {
					parts = append(parts, trimEOL(body[start:i]))
					if len(parts) >= limit {
						return parts
					}
				}
				if closing {
					return parts
				}
				start = next
			}
		}
		i = next
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// toUTF8 decodes text in the named charset, best effort: an unknown or
// failing charset falls back to UTF-8 with bad bytes replaced, and
// text without a charset that is not UTF-8 is read as Windows-1252.
func toUTF8(b []byte, charset string) string {
	cs := strings.ToLower(strings.TrimSpace(charset))
	switch cs {
	case "", "us-ascii", "ascii", "utf-8", "utf8":
		if utf8.Valid(b) {
			return string(b)
		}
		if cs == "" || cs == "us-ascii" || cs == "ascii" {
			cs = "windows-1252"
		} else {
			return strings.ToValidUTF8(string(b), "\uFFFD")
		}
	}
	if enc, err := htmlindex.Get(cs); err == nil {
		if out, err := enc.NewDecoder().Bytes(b); err == nil {
			return strings.ToValidUTF8(string(out), "\uFFFD")
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(r), nil
}}

// decodeHeader decodes RFC 2047 words in a header value, best effort.
func decodeHeader(v string) string {
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		v = d
	}
	if !utf8.ValidString(v) {
		v = toUTF8([]byte(v), "")
	}
	return v
}

// oneLine collapses white space (and control characters) into single
// spaces and cuts the text to at most n bytes on a character boundary.
func oneLine(s string, n int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == 0x85 {
			if r == utf8.RuneError {
				r = '\uFFFD'
			} else {
				r = ' '
			}
		}
		if r == ' ' || r == '\u00a0' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		if b.Len() > n+8 {
			break
		}
	}
	return cut(b.String(), n)
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

var (
	htmlDropRe  = regexp.MustCompile(`(?is)<(style|script|head)\b.*?</(style|script|head)\s*>`)
	htmlBreakRe = regexp.MustCompile(`(?i)<(br|/p|/div|/tr|/li|/h[1-6]|p|div|tr|li)\b[^>]*>`)
	htmlTagRe   = regexp.MustCompile(`<[^>]*>`)
)

// htmlText is the text of an HTML part, roughly, for the heuristics.
func htmlText(s string) string {
	s = htmlDropRe.ReplaceAllString(s, "")
	s = htmlBreakRe.ReplaceAllString(s, "\n")
	s = htmlTagRe.ReplaceAllString(s, "")
	return html.UnescapeString(s)
}
