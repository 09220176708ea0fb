package spool

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spoolgate/spoolgate/spool/safefile"
)

// Reason is why a file was set aside: what Quarantine writes into the
// .BAD.txt file beside it and ReadReason reads back.
//
// The file holds Text first, the explanation for the librarian as the
// caller rendered it, then a block that spool alone writes and reads:
//
//	-- spoolgate --
//	File: abc.tmp
//	Key: box1-lx2k3a9f01c
//	Time: 2026-11-25T10:02:03+01:00
//	Cause: address-unknown
//	Server: relay (mail.example.org:25)
//	Reply: 550 5.1.1 <gone@example.net>: Recipient address rejected
//	Recipient: gone@example.net address-unknown 550 5.1.1 <gone@example.net>: Recipient address rejected
//
// Every value is one line: control characters (a newline in a file name,
// say) are written as %XX, as is a "%" that %XX would misread, so no value
// can forge a line. The block is the last one in the file, so nothing in
// Text can forge it either.
type Reason struct {
	File       string            // the name the message file had in the queue
	Key        string            // its claim key; "" if it was never claimed under one
	At         time.Time         // when it was set aside
	Cause      string            // a stable cause id, e.g. "address-unknown"; spool gives it no meaning
	Server     string            // the server that answered, or ""
	Reply      string            // its exact reply, or ""
	Recipients []RecipientReason // the refused recipients, each with its own reply
	Limit      string            // the limit that was exceeded, e.g. the relay's SIZE; "" if none
	Text       string            // the explanation for people, before the block

	// Render, when set, makes Text once Quarantine has chosen the BAD
	// file's name, so that the text can name it (the retry command of a
	// file whose own name cannot be typed). It is not written.
	Render func(bad string) string

	// Read back from the labelled lines of Text ("What happened:", "What
	// to do:", "Detail:"), as versions before the block wrote them and
	// English texts still do. For showing a file that has no Cause.
	What, Action, Detail string
}

// RecipientReason is one refused recipient of a Reason.
type RecipientReason struct {
	Address string
	Cause   string
	Reply   string
}

// reasonMarker starts the block of a reason file.
const reasonMarker = "-- spoolgate --"

// Bounds of a reason file. Quarantine writes no more than maxReason bytes,
// so ReadReason, which reads no more, always finds the block.
const (
	maxReason      = 64 << 10 // bytes of a reason file
	maxReasonText  = 16 << 10 // bytes of Text
	maxReasonValue = 1 << 10  // bytes of one value of the block
)

// encode renders r as a reason file: Text with CRLF line ends, then the
// block. Text and values over their bounds are cut, and recipients that
// would make the file larger than maxReason are counted, not listed.
func (r Reason) encode() []byte {
	var b bytes.Buffer
	text := crlf(cut(r.Text, maxReasonText))
	b.WriteString(text)
	if text != "" && !strings.HasSuffix(text, "\r\n") {
		b.WriteString("\r\n")
	}
	if text != "" {
		b.WriteString("\r\n")
	}
	b.WriteString(reasonMarker + "\r\n")
	line := func(key, value string) {
		if value != "" {
			b.WriteString(key + ": " + Escape(cut(value, maxReasonValue)) + "\r\n")
		}
	}
	line("File", r.File)
	line("Key", r.Key)
	if !r.At.IsZero() {
		line("Time", r.At.Format(time.RFC3339))
	}
	line("Cause", r.Cause)
	line("Server", r.Server)
	line("Reply", r.Reply)
	line("Limit", r.Limit)
	for i, rc := range r.Recipients {
		l := "Recipient: " + escapeField(cut(rc.Address, maxReasonValue)) + " " + escapeField(cut(rc.Cause, 100)) +
			" " + Escape(cut(rc.Reply, maxReasonValue)) + "\r\n"
		if b.Len()+len(l)+100 > maxReason {
			line("More-recipients", fmt.Sprint(len(r.Recipients)-i))
			break
		}
		b.WriteString(l)
	}
	return b.Bytes()
}

// ParseReason reads a reason file. A file with a block gives every field
// from it, and Text from what comes before it. A file of an older version
// (no block) gives what its labelled lines say: File, Key, the time,
// Server and Reply; Text is then the whole file.
func ParseReason(b []byte) Reason {
	s := string(b)
	var r Reason
	block, ok := "", false
	if i := lastMarker(s); i >= 0 {
		r.Text, block, ok = s[:i], s[i+len(reasonMarker):], true
		r.Text = strings.TrimRight(r.Text, "\r\n")
		if r.Text != "" {
			r.Text += "\r\n"
		}
	} else {
		r.Text = s
	}
	r.legacy(r.Text, !ok)
	if !ok {
		return r
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(block, "\n") {
		k, v, found := strings.Cut(strings.TrimRight(line, "\r"), ": ")
		if !found {
			continue
		}
		if k == "Recipient" {
			addr, rest, _ := strings.Cut(v, " ")
			cause, reply, _ := strings.Cut(rest, " ")
			r.Recipients = append(r.Recipients, RecipientReason{Address: unescapeField(addr), Cause: unescapeField(cause), Reply: unEscape(reply)})
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		v = unEscape(v)
		switch k {
		case "File":
			r.File = v
		case "Key":
			r.Key = v
		case "Time":
			r.At, _ = time.Parse(time.RFC3339, v)
		case "Cause":
			r.Cause = v
		case "Server":
			r.Server = v
		case "Reply":
			r.Reply = v
		case "Limit":
			r.Limit = v
		}
	}
	return r
}

// lastMarker returns the offset of the last line that is the block's
// marker, or -1.
func lastMarker(s string) int {
	for end := len(s); ; {
		i := strings.LastIndex(s[:end], reasonMarker)
		if i < 0 {
			return -1
		}
		after := s[i+len(reasonMarker):]
		if (i == 0 || s[i-1] == '\n') && (after == "" || after[0] == '\n' || strings.HasPrefix(after, "\r\n")) {
			return i
		}
		end = i
	}
}

// legacy reads the labelled lines of text: What, Action and Detail always,
// and with all set (a file of an older version) File, Key, the time,
// Server and Reply too. A missing label leaves its field empty.
func (r *Reason) legacy(text string, all bool) {
	var when string
	type field struct {
		label string
		dst   *string
	}
	fields := []field{{"What happened:", &r.What}, {"What to do:", &r.Action}, {"Detail:", &r.Detail}}
	if all {
		fields = append(fields, field{"File:", &r.File}, field{"Key:", &r.Key}, field{"When:", &when},
			field{"Server:", &r.Server}, field{"Reply:", &r.Reply})
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		for _, f := range fields {
			if v, ok := strings.CutPrefix(line, f.label); ok && *f.dst == "" {
				*f.dst = strings.TrimSpace(v)
				break
			}
		}
	}
	if when != "" {
		r.At, _ = time.Parse("2006-01-02 15:04:05 -0700", when)
	}
}

// ErrNotRegular: a queue entry, a reason file or a lock file that is a
// symbolic link, a pipe or anything but a regular file; spool does not
// read it. It is safefile.ErrNotRegular, so errors.Is finds either, and
// errors.As finds the *safefile.NotRegularError that names the kind.
var ErrNotRegular = safefile.ErrNotRegular

// ReadReason reads and parses a reason file (see ParseReason). It reads at
// most 64 KiB, never follows a symbolic link and never waits on a pipe
// (see safefile.Open): anyone who can write in the queue folder can put
// something of that name there.
func ReadReason(path string) (Reason, error) {
	f, _, err := safefile.Open(path)
	if err != nil {
		return Reason{}, fmt.Errorf("read reason file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxReason))
	if err != nil {
		return Reason{}, fmt.Errorf("read reason file: %w", err)
	}
	return ParseReason(b), nil
}

// crlf gives s CRLF line ends.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// cut shortens s to at most n bytes, at a character boundary, marking the
// cut with "...".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - 3
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// Escape makes s one line with no control characters: each byte of a
// control character (C0, DEL, C1, U+2028, U+2029) and of invalid UTF-8 is
// written %XX, and so is a "%" followed by two hex digits. It is the one
// way spoolgate writes a name it did not choose (a queue file's) into a
// file people read: the values of a reason file's block, the names in its
// text and in the retry command. A newline in a file name cannot forge a
// line. (The log quotes its values itself: slog's text handler.)
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteString("%25")
		case isControl(r, n):
			for _, c := range []byte(s[i : i+n]) {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isControl tells whether the rune r, n bytes long, is one Escape writes
// as %XX: a control character, a line or paragraph separator, or a byte
// of invalid UTF-8.
func isControl(r rune, n int) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || (r == utf8.RuneError && n == 1)
}

// escapeField is Escape for a space-separated field: spaces are
// escaped too, and "" is written "-".
func escapeField(s string) string {
	switch s {
	case "":
		return "-"
	case "-":
		return "%2D"
	}
	return strings.ReplaceAll(Escape(s), " ", "%20")
}

func unescapeField(s string) string {
	if s == "-" {
		return ""
	}
	return unEscape(s)
}

// unescapeValue undoes Escape: each %XX is the byte XX.
func unEscape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
