package notice

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"sort"
	"strings"
	"time"

	"github.com/jordan-wright/email"
)

// Headers are the header fields Message writes besides From, To and
// Subject.
type Headers struct {
	Unit      string    // X-Spoolgate-Unit: the unit's name; omitted when ""
	Date      time.Time // Date; zero means now
	MessageID string    // Message-ID, with or without <>; "" means a random one at From's domain
	ReplyTo   string    // Reply-To, e.g. the branch's own mailbox; omitted when ""
}

// Message writes the notice as an RFC 5322 message file (CRLF line endings)
// from from to the addresses in to, each "addr@example.org" or
// "Name <addr@example.org>". It carries X-Spoolgate-Kind with the notice's
// kind and, when h.Unit is set, X-Spoolgate-Unit; Auto-Submitted:
// auto-generated keeps out-of-office replies away. With an HTML body the
// message is multipart/alternative. An address that does not parse, or any
// line break in one, is an error; display names, the subject and the unit
// are made single lines.
//
// The body is built by jordan-wright/email (quoted-printable UTF-8 parts).
// Its header block is then written again, because that package splits
// address headers at every comma (mangling a display name such as
// "Smith, John"), writes fields in random order and never folds a long
// encoded subject. Non-ASCII text in the subject, display names and
// X-Spoolgate-Unit is sent as RFC 2047 encoded words, so a reader of
// X-Spoolgate-Unit must decode them.
func (n *Notice) Message(from mail.Address, to []string, h Headers) ([]byte, error) {
	sender, err := address(from.Address)
	if err != nil {
		return nil, fmt.Errorf("notice: sender address: %w", err)
	}
	sender.Name = oneLine(from.Name)
	if len(to) == 0 {
		return nil, errors.New("notice: no recipient")
	}
	rcpts := make([]string, len(to))
	for i, s := range to {
		if strings.ContainsAny(s, "\r\n") {
			return nil, fmt.Errorf("notice: recipient %q has a line break", s)
		}
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("notice: recipient %q: %w", s, err)
		}
		a.Name = oneLine(a.Name)
		rcpts[i] = a.String()
	}
	var replyTo string
	if h.ReplyTo != "" {
		if strings.ContainsAny(h.ReplyTo, "\r\n") {
			return nil, fmt.Errorf("notice: reply-to %q has a line break", h.ReplyTo)
		}
		a, err := mail.ParseAddress(h.ReplyTo)
		if err != nil {
			return nil, fmt.Errorf("notice: reply-to %q: %w", h.ReplyTo, err)
		}
		a.Name = oneLine(a.Name)
		replyTo = a.String()
	}
	id, err := messageID(h.MessageID, sender.Address)
	if err != nil {
		return nil, err
	}
	date := h.Date
	if date.IsZero() {
		date = time.Now()
	}
	subject := oneLine(n.Subject)
	if subject == "" {
		return nil, errors.New("notice: the subject is empty")
	}
	if strings.TrimSpace(n.Text) == "" {
		return nil, errors.New("notice: the text body is empty")
	}

	e := email.NewEmail()
	e.From = sender.String()
	e.To = rcpts
	e.Subject = subject
	e.Text = []byte(n.Text)
	if n.HTML != "" {
		e.HTML = []byte(n.HTML)
	}
	e.Headers.Set("Date", date.Format(time.RFC1123Z))
	e.Headers.Set("Message-Id", id)
	e.Headers.Set("Auto-Submitted", "auto-generated")
	if k := oneLine(n.Kind); k != "" {
		e.Headers.Set("X-Spoolgate-Kind", k)
	}
	if u := oneLine(h.Unit); u != "" {
		e.Headers.Set("X-Spoolgate-Unit", u)
	}
	raw, err := e.Bytes()
	if err != nil {
		return nil, fmt.Errorf("notice: composing the message: %w", err)
	}
	own := map[string]string{"From": sender.String(), "To": strings.Join(rcpts, ", ")}
	if replyTo != "" {
		own["Reply-To"] = replyTo
	}
	return rewriteHeader(raw, own)
}

// address checks an addr-spec, as [message] from holds it.
func address(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%q has a line break", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", s, err)
	}
	if a.Name != "" || a.Address != strings.TrimSpace(s) {
		return nil, fmt.Errorf("%q is not a bare address like library@example.org", s)
	}
	return a, nil
}

// messageID returns "<id>" for a given id, or a random one at the domain
// of addr.
func messageID(given, addr string) (string, error) {
	if given != "" {
		id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(given), "<"), ">")
		for _, r := range id {
			if r <= ' ' || r >= 0x7f || r == '<' || r == '>' {
				return "", fmt.Errorf("notice: message id %q may only hold printable ASCII without spaces", given)
			}
		}
		if id == "" || !strings.Contains(id, "@") {
			return "", fmt.Errorf("notice: message id %q needs the form local@domain", given)
		}
		return "<" + id + ">", nil
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	for _, r := range domain {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			domain = ""
			break
		}
	}
	if domain == "" {
		domain = "spoolgate.invalid"
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("notice: message id: %w", err)
	}
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">", nil
}

// headerOrder is the order rewriteHeader writes fields in, with the
// spelling it uses; other fields follow in alphabetical order.
var headerOrder = []struct{ key, name string }{
	{"Date", "Date"},
	{"From", "From"},
	{"To", "To"},
	{"Reply-To", "Reply-To"},
	{"Subject", "Subject"},
	{"Message-Id", "Message-ID"},
	{"Auto-Submitted", "Auto-Submitted"},
	{"X-Spoolgate-Kind", "X-Spoolgate-Kind"},
	{"X-Spoolgate-Unit", "X-Spoolgate-Unit"},
	{"Mime-Version", "MIME-Version"},
	{"Content-Type", "Content-Type"},
	{"Content-Transfer-Encoding", "Content-Transfer-Encoding"},
}

// rewriteHeader writes the header block of raw again: in a fixed order,
// with the values in own (canonical keys) in place of the library's, and
// with lines longer than 78 characters folded. The body is kept as it is.
func rewriteHeader(raw []byte, own map[string]string) ([]byte, error) {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, errors.New("notice: the composed message has no header/body separator")
	}
	hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw[:end+4]))).ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("notice: reading the composed header: %w", err)
	}
	for k, v := range own {
		hdr[k] = []string{v}
	}
	var out bytes.Buffer
	out.Grow(len(raw) + 256)
	done := map[string]bool{}
	for _, f := range headerOrder {
		for _, v := range hdr[f.key] {
			writeField(&out, f.name, v)
		}
		done[f.key] = true
	}
	var rest []string
	for k := range hdr {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		for _, v := range hdr[k] {
			writeField(&out, k, v)
		}
	}
	out.WriteString("\r\n")
	out.Write(raw[end+4:])
	return out.Bytes(), nil
}

// writeField writes "Name: value" CRLF, folded before a space (outside a
// quoted string) wherever a line would pass 78 characters. A single word
// longer than that stays whole: lines can exceed 78 but, as subjects are
// capped and encoded words are short, never 998.
func writeField(out *bytes.Buffer, name, value string) {
	line := name + ":"
	var words []string
	start, quoted := 0, false
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ' ' && !quoted:
			words = append(words, value[start:i])
			start = i + 1
		}
	}
	words = append(words, value[start:])
	n := len(line)
	out.WriteString(line)
	for i, w := range words {
		if i > 0 && w != "" && n+1+len(w) > 78 {
			out.WriteString("\r\n")
			n = 0
		}
		out.WriteByte(' ')
		out.WriteString(w)
		n += 1 + len(w)
	}
	out.WriteString("\r\n")
}
