package mailbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Bounds on what the server may send.
const (
	// maxResponse is the most text of one response, literals not
	// counted: a SEARCH of a mailbox of 100000 messages is about 700 KB.
	maxResponse = 4 << 20
	// maxSmallLiteral bounds a literal in any reply but a message's body
	// (a folder name, a header).
	maxSmallLiteral = 64 << 10
	// maxReplyText bounds the text of a reply kept in an error.
	maxReplyText = 300
)

// An IMAP value, as read from a response: an atom (atom), a string or a
// literal ([]byte), a parenthesised list ([]any), NIL (nil), or a literal
// over the bound, discarded unread (skipped).
type atom string

type skipped struct{ size int64 }

// response is one server response.
type response struct {
	tag    string // "*", "+" or the command's tag
	status string // OK, NO, BAD, BYE or PREAUTH for a status response, else ""
	code   string // a status response's code, inside [ ], e.g. "UIDVALIDITY 42"
	text   string // a status response after its tag ("NO [CODE] text"); for "+", the text after it
	num    uint32 // "* 3 EXISTS": 3
	name   string // a data response's name, upper case: CAPABILITY, EXISTS, FETCH, LIST, SEARCH, …
	fields []any  // what follows name
}

// codeName is the first word of the response code, upper case.
func (r *response) codeName() string {
	name, _, _ := strings.Cut(r.code, " ")
	return strings.ToUpper(name)
}

// parser reads one response from r. literal bounds a literal: a larger one
// is read and thrown away (skipped), never kept.
type parser struct {
	r       *bufio.Reader
	left    int
	literal int64
}

var errTooLong = fmt.Errorf("%w: a reply of more than %d bytes", ErrProtocol, maxResponse)

func (p *parser) next() (byte, error) {
	if p.left <= 0 {
		return 0, errTooLong
	}
	p.left--
	return p.r.ReadByte()
}

func (p *parser) peek() (byte, error) {
	b, err := p.r.Peek(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// word reads up to a space (consumed) or the line end (not consumed).
func (p *parser) word() (string, error) {
	var b []byte
	for {
		c, err := p.peek()
		if err != nil {
			return "", err
		}
		if c == '\r' || c == '\n' {
			return string(b), nil
		}
		if _, err := p.next(); err != nil {
			return "", err
		}
		if c == ' ' {
			return string(b), nil
		}
		b = append(b, c)
	}
}

// line reads the rest of the line and its end.
func (p *parser) line() (string, error) {
	var b []byte
	for {
		c, err := p.next()
		if err != nil {
			return "", err
		}
		switch c {
		case '\n':
			return strings.TrimSuffix(string(b), "\r"), nil
		default:
			b = append(b, c)
		}
	}
}

func (p *parser) read() (*response, error) {
	tag, err := p.word()
	if err != nil {
		return nil, err
	}
	if tag == "" {
		return nil, fmt.Errorf("%w: an empty response line", ErrProtocol)
	}
	r := &response{tag: tag}
	if tag == "+" {
		r.text, err = p.line()
		return r, err
	}
	w, err := p.word()
	if err != nil {
		return nil, err
	}
	if n, err := strconv.ParseUint(w, 10, 32); err == nil && tag == "*" {
		r.num = uint32(n)
		if w, err = p.word(); err != nil {
			return nil, err
		}
	}
	switch up := strings.ToUpper(w); up {
	case "OK", "NO", "BAD", "BYE", "PREAUTH":
		r.status = up
		rest, err := p.line()
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(rest, "[") {
			if i := strings.IndexByte(rest, ']'); i > 0 {
				r.code = rest[1:i]
			}
		}
		r.text = strings.TrimSpace(up + " " + rest)
		return r, nil
	default:
		r.name = up
	}
	r.fields, err = p.values(0)
	return r, err
}

// values reads values up to the end of the line (depth 0) or up to the
// closing parenthesis of a list (depth > 0), consumed.
func (p *parser) values(depth int) ([]any, error) {
	var out []any
	for {
		c, err := p.peek()
		if err != nil {
			return nil, err
		}
		switch {
		case c == ' ':
			if _, err := p.next(); err != nil {
				return nil, err
			}
		case depth == 0 && c == '\r':
			if _, err := p.next(); err != nil {
				return nil, err
			}
			if c, err := p.next(); err != nil || c != '\n' {
				return nil, fmt.Errorf("%w: CR without LF", ErrProtocol)
			}
			return out, nil
		case depth == 0 && c == '\n':
			if _, err := p.next(); err != nil {
				return nil, err
			}
			return out, nil
		case depth > 0 && c == ')':
			if _, err := p.next(); err != nil {
				return nil, err
			}
			return out, nil
		case c == '\r' || c == '\n':
			return nil, fmt.Errorf("%w: a list not closed at the line end", ErrProtocol)
		default:
			v, err := p.value(depth)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
}

func (p *parser) value(depth int) (any, error) {
	c, err := p.peek()
	if err != nil {
		return nil, err
	}
	switch c {
	case '(':
		if depth > 20 {
			return nil, fmt.Errorf("%w: lists nested too deep", ErrProtocol)
		}
		if _, err := p.next(); err != nil {
			return nil, err
		}
		return p.values(depth + 1)
	case '"':
		if _, err := p.next(); err != nil {
			return nil, err
		}
		var b []byte
		for {
			c, err := p.next()
			if err != nil {
				return nil, err
			}
			switch c {
			case '"':
				return b, nil
			case '\\':
				if c, err = p.next(); err != nil {
					return nil, err
				}
			case '\r', '\n':
				return nil, fmt.Errorf("%w: a line end in a quoted string", ErrProtocol)
			}
			b = append(b, c)
		}
	case '{':
		return p.literalValue()
	}
	var b []byte
	brackets := 0
	for {
		c, err := p.peek()
		if err != nil {
			return nil, err
		}
		if c == '\r' || c == '\n' || brackets == 0 && (c == ' ' || c == '(' || c == ')' || c == '"' || c == '{') {
			break
		}
		switch c {
		case '[':
			brackets++
		case ']':
			brackets--
		}
		if _, err := p.next(); err != nil {
			return nil, err
		}
		b = append(b, c)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: unexpected %q", ErrProtocol, c)
	}
	if strings.EqualFold(string(b), "NIL") {
		return nil, nil
	}
	return atom(b), nil
}

// literalValue reads {n} (or {n+}), the line end and n bytes.
func (p *parser) literalValue() (any, error) {
	if _, err := p.next(); err != nil {
		return nil, err
	}
	var digits []byte
	for {
		c, err := p.next()
		if err != nil {
			return nil, err
		}
		if c == '}' {
			break
		}
		if c != '+' {
			digits = append(digits, c)
		}
		if len(digits) > 12 {
			return nil, fmt.Errorf("%w: a literal's length is too long", ErrProtocol)
		}
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("%w: a literal's length %q", ErrProtocol, digits)
	}
	if c, err := p.next(); err == nil && c == '\r' {
		c, err = p.next()
		if err != nil || c != '\n' {
			return nil, fmt.Errorf("%w: no line end after a literal's length", ErrProtocol)
		}
	} else if err != nil {
		return nil, err
	} else if c != '\n' {
		return nil, fmt.Errorf("%w: no line end after a literal's length", ErrProtocol)
	}
	if n > p.literal {
		// Read past it without keeping it: the connection stays usable.
		if _, err := io.CopyN(io.Discard, p.r, n); err != nil {
			return nil, err
		}
		return skipped{n}, nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(p.r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// readResponse reads one response under a fresh read deadline.
func (b *Box) readResponse(ctx context.Context, literal int64) (*response, error) {
	b.nc.SetReadDeadline(b.deadline(ctx))
	p := &parser{r: b.r, left: maxResponse, literal: literal}
	r, err := p.read()
	if err != nil {
		b.broken = err
		return nil, err
	}
	if r.tag == "*" {
		b.notice(r)
	}
	return r, nil
}

// deadline is now plus the timeout, or ctx's deadline when sooner.
func (b *Box) deadline(ctx context.Context) time.Time {
	d := time.Now().Add(b.timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(d) {
		d = dl
	}
	return d
}

// notice keeps what an untagged response says of the session.
func (b *Box) notice(r *response) {
	switch {
	case r.status != "" && r.codeName() == "CAPABILITY":
		b.setCaps(strings.Fields(r.code)[1:])
	case r.status != "" && r.codeName() == "UIDVALIDITY":
		if f := strings.Fields(r.code); len(f) == 2 {
			if n, err := strconv.ParseUint(f[1], 10, 32); err == nil {
				b.uidValidity = uint32(n)
			}
		}
	case r.name == "CAPABILITY":
		var caps []string
		for _, f := range r.fields {
			if a, ok := f.(atom); ok {
				caps = append(caps, string(a))
			}
		}
		b.setCaps(caps)
	case r.name == "EXISTS":
		b.exists = r.num
	}
}

func (b *Box) setCaps(caps []string) {
	b.caps = map[string]bool{}
	for _, c := range caps {
		b.caps[strings.ToUpper(c)] = true
	}
}

// write sends one line (CRLF added) under a write deadline.
func (b *Box) write(ctx context.Context, line string) error {
	b.nc.SetWriteDeadline(b.deadline(ctx))
	if _, err := b.w.WriteString(line + "\r\n"); err != nil {
		b.broken = err
		return err
	}
	if err := b.w.Flush(); err != nil {
		b.broken = err
		return err
	}
	return nil
}

// command sends a command and reads responses up to its tagged reply,
// passing each untagged one to data (which may be nil). literal bounds
// the literals of the replies. A NO or a BAD is a *replyError, and so is
// a BYE.
func (b *Box) command(ctx context.Context, cmd string, literal int64, data func(*response)) (*response, error) {
	if b.broken != nil {
		return nil, fmt.Errorf("the connection broke earlier: %w", b.broken)
	}
	stop := context.AfterFunc(ctx, func() { b.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	b.tags++
	tag := "s" + strconv.Itoa(b.tags)
	if err := b.write(ctx, tag+" "+cmd); err != nil {
		return nil, ctxErr(ctx, err)
	}
	for {
		r, err := b.readResponse(ctx, literal)
		if err != nil {
			return nil, ctxErr(ctx, err)
		}
		switch {
		case r.tag == tag:
			if r.status != "OK" {
				return r, replyErr(r)
			}
			return r, nil
		case r.tag == "*" && r.status == "BYE":
			b.broken = replyErr(r)
			return nil, b.broken
		case r.tag == "*":
			if data != nil {
				data(r)
			}
		case r.tag == "+":
			b.broken = fmt.Errorf("%w: an unexpected continuation request (+ %s)", ErrProtocol, clip(r.text))
			return nil, b.broken
		default:
			b.broken = fmt.Errorf("%w: a reply with the tag %q, not %q", ErrProtocol, clip(r.tag), tag)
			return nil, b.broken
		}
	}
}

// ctxErr prefers ctx's error to the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%v)", context.Cause(ctx), err)
	}
	return err
}

func replyErr(r *response) error {
	return &replyError{status: r.status, code: r.codeName(), text: clip(r.text)}
}

// clip makes s one bounded line.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxReplyText {
		s = s[:maxReplyText] + "…"
	}
	return s
}

// quote makes s an IMAP quoted string. s must not hold CR or LF.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// mailboxName encodes a folder name in IMAP's modified UTF-7 (RFC 3501
// section 5.1.3) and quotes it.
func mailboxName(name string) string {
	var b strings.Builder
	var run []rune
	flush := func() {
		if len(run) == 0 {
			return
		}
		u := utf16.Encode(run)
		raw := make([]byte, 0, 2*len(u))
		for _, c := range u {
			raw = append(raw, byte(c>>8), byte(c))
		}
		b.WriteByte('&')
		b.WriteString(strings.TrimRight(strings.ReplaceAll(b64.EncodeToString(raw), "/", ","), "="))
		b.WriteByte('-')
		run = nil
	}
	for _, r := range name {
		switch {
		case r == '&':
			flush()
			b.WriteString("&-")
		case r >= 0x20 && r <= 0x7e:
			flush()
			b.WriteRune(r)
		default:
			run = append(run, r)
		}
	}
	flush()
	return quote(b.String())
}

// str returns a string value's text: a string, a literal or an atom.
func str(v any) (string, bool) {
	switch v := v.(type) {
	case []byte:
		return string(v), true
	case atom:
		return string(v), true
	}
	return "", false
}
