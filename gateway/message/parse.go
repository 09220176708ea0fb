package message

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
)

// maxLine is the longest line mail allows, in octets without the CRLF
// (RFC 5321 section 4.5.3.1.6, RFC 5322 section 2.1.1).
const maxLine = 998

// foldAt is the line length re-written header fields are folded to where
// there is whitespace to fold at (RFC 5322 section 2.1.1).
const foldAt = 78

var crlf = []byte("\r\n")

// Parse reads one message file. raw is the whole file as it lies in the
// queue. The returned error is always an *Error.
func Parse(raw []byte, opts Options) (*Message, error) {
	if len(raw) == 0 {
		return nil, refuse(Detail{ID: EmptyFile}, nil)
	}
	if opts.MaxSize > 0 && int64(len(raw)) > opts.MaxSize {
		return nil, refuse(Detail{ID: FileTooLarge, N: int64(len(raw)), Max: opts.MaxSize}, nil)
	}
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		return nil, refuse(Detail{ID: NULBytes, Line: lineOf(raw, i)}, nil)
	}
	rest, first := dropFromLine(raw)
	p := parser{
		opts:  opts,
		norm:  normalize(rest, false),
		first: first,
	}
	p.utf8Only, p.enc = charsetOf(opts)
	return p.parse()
}

// Normalize returns the file as a relay should receive it before headers
// are added or removed: a leading mbox "From " line dropped, every line
// ending (CRLF, bare LF, bare CR) made CRLF, and a final CRLF added when the
// file lacks one. The result never shares memory with raw.
func Normalize(raw []byte) []byte {
	rest, _ := dropFromLine(raw)
	return normalize(rest, true)
}

// SplitHeader splits a normalized (CRLF) message into its header block,
// which keeps the CRLF of its last line, and its body, which starts after
// the empty line. A message without an empty line is all header.
func SplitHeader(data []byte) (header, body []byte) {
	if bytes.HasPrefix(data, crlf) {
		return nil, data[2:]
	}
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		return data[:i+2], data[i+4:]
	}
	return data, nil
}

// kind says what spoolgate does with a header field.
type kind uint8

const (
	kOther kind = iota
	kFrom
	kTo
	kCc
	kBcc
	kReplyTo
	kSender
	kSubject
	kDate
	kMessageID
	kMIMEVersion
	kContentType
	kCTE
	kXSender
	kXReceiver
	kXSpoolgate
	kXSpoolgateKind
	kXSpoolgateUnit
)

func (k kind) removed() bool {
	switch k {
	case kBcc, kXSender, kXReceiver, kXSpoolgate, kXSpoolgateKind, kXSpoolgateUnit:
		return true
	}
	return false
}

func (k kind) address() bool {
	switch k {
	case kFrom, kTo, kCc, kBcc, kReplyTo, kSender:
		return true
	}
	return false
}

// field is one header field of the normalized message.
type field struct {
	start, end int // span in norm: the name to after the CRLF of the last line
	colon      int // index of the ':' in norm
	line       int // line number of the field's first line in the file
	kind       kind
	high       bool   // the value has bytes >= 0x80
	text       string // decoded UTF-8 value, folding kept; set for high fields
}

// name is the field name as spelled, without obsolete whitespace.
func (p *parser) name(f *field) string {
	return string(bytes.TrimRight(p.norm[f.start:f.colon], " \t"))
}

// value returns the field value as UTF-8 with its folding kept (CRLFs
// included). For fields with raw 8-bit bytes it decodes them, which can fail.
func (p *parser) value(f *field) (string, error) {
	if !f.high {
		return string(p.norm[f.colon+1 : f.end]), nil
	}
	if f.text != "" {
		return f.text, nil
	}
	raw := p.norm[f.colon+1 : f.end]
	if utf8.Valid(raw) {
		f.text = string(raw)
		return f.text, nil
	}
	if p.utf8Only {
		return "", refuse(Detail{ID: HeaderNotUTF8, Header: p.name(f), Line: f.line}, nil)
	}
	dec, err := p.enc.NewDecoder().Bytes(raw)
	if err != nil || !wellFolded(dec) {
		return "", refuse(Detail{ID: HeaderCharset, Header: p.name(f), Line: f.line, Charset: p.opts.Charset}, err)
	}
	f.text = string(dec)
	return f.text, nil
}

type parser struct {
	opts     Options
	norm     []byte // the file, From_ line dropped, CRLF line endings
	first    int    // file line number of norm's first line
	utf8Only bool   // raw 8-bit text must be UTF-8
	enc      encoding.Encoding

	fields  []field
	body    []byte
	sep     bool // an empty line separates header and body
	present [kXSpoolgateUnit + 1]bool
}

func (p *parser) parse() (*Message, error) {
	if err := p.splitFields(); err != nil {
		return nil, err
	}
	m := &Message{}
	if err := p.checkBody(m); err != nil {
		return nil, err
	}
	if err := p.envelope(m); err != nil {
		return nil, err
	}
	if err := p.info(m); err != nil {
		return nil, err
	}
	if err := p.build(m); err != nil {
		return nil, err
	}
	return m, nil
}

// splitFields finds the header fields and the body and checks line lengths.
func (p *parser) splitFields() error {
	norm := p.norm
	pos, line := 0, p.first
	p.fields = make([]field, 0, 24)
	for pos < len(norm) {
		e := pos + bytes.IndexByte(norm[pos:], '\n') // norm ends with CRLF
		l := norm[pos : e-1]
		if len(l) > maxLine {
			return tooLong(line, len(l))
		}
		if len(l) == 0 {
			p.sep = true
			pos = e + 1
			line++
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(p.fields) == 0 {
				return refuse(Detail{ID: Continuation, Line: line}, nil)
			}
			p.fields[len(p.fields)-1].end = e + 1
		} else {
			colon := fieldColon(l)
			if colon < 0 && len(p.fields) == 0 {
				// Not a message at all: the file's first line is not
				// a header field. Nothing of it is quoted: it may be
				// any file's, a password file's whose first line is
				// the password.
				return refuse(Detail{ID: NoHeader, Line: line}, nil)
			}
			if colon < 0 {
				return refuse(Detail{ID: NotAHeader, Line: line, Value: fragment(l)}, nil)
			}
			p.fields = append(p.fields, field{start: pos, end: e + 1, colon: pos + colon, line: line})
		}
		pos = e + 1
		line++
	}
	if len(p.fields) == 0 {
		return refuse(Detail{ID: NoHeader}, nil)
	}
	p.body = norm[pos:]
	for b := p.body; len(b) > 0; line++ {
		e := bytes.IndexByte(b, '\n')
		if e-1 > maxLine {
			return tooLong(line, e-1)
		}
		b = b[e+1:]
	}
	for i := range p.fields {
		f := &p.fields[i]
		f.kind = kindOf(bytes.TrimRight(norm[f.start:f.colon], " \t"))
		f.high = hasHigh(norm[f.colon+1 : f.end])
		if !p.present[f.kind] {
			p.present[f.kind] = true
		}
	}
	return nil
}

// fieldColon returns the index of the colon ending the field name in l, or
// -1 when l is not a header field. The name is printable ASCII other than
// ':'; obsolete whitespace may follow it before the colon.
func fieldColon(l []byte) int {
	i := 0
	for i < len(l) && l[i] > 32 && l[i] < 127 && l[i] != ':' {
		i++
	}
	if i == 0 {
		return -1
	}
	for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
		i++
	}
	if i < len(l) && l[i] == ':' {
		return i
	}
	return -1
}

// maxQuote is the most of a message file a refusal quotes, in bytes.
const maxQuote = 60

// fragment is what a refusal quotes of a line or value of the file: at
// most maxQuote bytes of it, cut at a character boundary. Details quote
// nothing else of the file but the header name (cut the same way), and
// nothing at all of a file whose first line is not a header field (see
// splitFields): the reason goes into the .BAD.txt file, the log and the
// daily log, where a file that was never a message (a secret linked into
// the queue, had it been read) must not show.
func fragment[T string | []byte](s T) string {
	if len(s) <= maxQuote {
		return string(s)
	}
	i := maxQuote
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return string(s[:i])
}

// unquoted is err without the text an error of net/mail quotes from the
// value (`expected single address, got "..."`): its words up to the
// quote, for the log file.
func unquoted(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if i := strings.Index(msg, ": \""); i >= 0 {
		return errors.New(msg[:i])
	}
	if i := strings.IndexByte(msg, '"'); i >= 0 {
		return errors.New(strings.TrimRight(msg[:i], ": "))
	}
	return err
}

// refuse is the *Error for d, with the cause d means. The values d quotes
// from the file are cut to fragments here.
func refuse(d Detail, err error) *Error {
	d.Value, d.Header = fragment(d.Value), fragment(d.Header)
	e := &Error{Detail: d, Err: err}
	switch d.ID {
	case FileTooLarge:
		e.Cause = "message-too-large"
	case SenderNotOne, BadAddress:
		e.Cause = "bad-address"
	case NoRecipients:
		e.Cause = "no-recipients"
	}
	return e
}

func tooLong(line, n int) error {
	return refuse(Detail{ID: LineTooLong, Line: line, N: int64(n), Max: maxLine}, nil)
}

func quoteShort(l []byte) string {
	const max = 60
	if len(l) > max {
		return fmt.Sprintf("%q…", l[:max])
	}
	return fmt.Sprintf("%q", l)
}

// checkBody sets EightBit and refuses an unlabelled body in an unknown
// charset.
func (p *parser) checkBody(m *Message) error {
	m.EightBit = hasHigh(p.body)
	if m.EightBit && !p.present[kContentType] && p.utf8Only && !utf8.Valid(p.body) {
		return refuse(Detail{ID: BodyNotUTF8}, nil)
	}
	return nil
}

// envelope sets Sender, Recipients and NeedsUTF8.
func (p *parser) envelope(m *Message) error {
	m.Sender = p.opts.ReturnPath
	if m.Sender == "" {
		m.Sender = p.opts.From
	}
	m.Sender = trimAngle(m.Sender)
	var seen map[string]bool
	add := func(a string) {
		k := strings.ToLower(a)
		if seen[k] {
			return
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		seen[k] = true
		m.Recipients = append(m.Recipients, a)
	}
	rcptKinds := [3]kind{kTo, kCc, kBcc}
	if p.present[kXReceiver] {
		rcptKinds = [3]kind{kXReceiver, kXReceiver, kXReceiver}
	}
	senderDone := false
	for i := range p.fields {
		f := &p.fields[i]
		switch {
		case f.kind == rcptKinds[0] || f.kind == rcptKinds[1] || f.kind == rcptKinds[2]:
			list, err := p.addressList(f)
			if err != nil {
				return err
			}
			for _, a := range list {
				add(a)
			}
		case f.kind == kXSender && !senderDone:
			senderDone = true
			v, err := p.value(f)
			if err != nil {
				return err
			}
			v = strings.TrimSpace(unfold(v))
			if v == "<>" {
				m.Sender = ""
				continue
			}
			list, err := p.addressList(f)
			if err != nil {
				return err
			}
			if len(list) != 1 {
				return refuse(Detail{ID: SenderNotOne, Line: f.line, Value: v}, nil)
			}
			m.Sender = list[0]
		}
	}
	if len(m.Recipients) == 0 {
		return refuse(Detail{ID: NoRecipients}, nil)
	}
	if c := trimAngle(p.opts.CopyTo); c != "" {
		add(c)
	}
	if !isASCII(m.Sender) {
		m.NeedsUTF8 = true
	}
	for _, r := range m.Recipients {
		if !isASCII(r) {
			m.NeedsUTF8 = true
		}
	}
	return nil
}

func trimAngle(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// addressList returns the addr-specs of an address-list field.
func (p *parser) addressList(f *field) ([]string, error) {
	v, err := p.value(f)
	if err != nil {
		return nil, err
	}
	list, bad, err := parseAddressList(unfold(v))
	if bad != "" {
		return nil, refuse(Detail{ID: BadAddress, Header: p.name(f), Line: f.line, Value: bad}, unquoted(err))
	}
	return list, nil
}

// info sets Subject, MessageID, Kind and Unit.
func (p *parser) info(m *Message) error {
	var subj, id, kindDone, unitDone bool
	for i := range p.fields {
		f := &p.fields[i]
		var dst *string
		var done *bool
		switch f.kind {
		case kSubject:
			dst, done = &m.Subject, &subj
		case kMessageID:
			dst, done = &m.MessageID, &id
		case kXSpoolgateKind:
			dst, done = &m.Kind, &kindDone
		case kXSpoolgateUnit:
			dst, done = &m.Unit, &unitDone
		default:
			continue
		}
		if *done {
			continue
		}
		*done = true
		v, err := p.value(f)
		if err != nil {
			if f.kind.removed() {
				// Kind and Unit are removed before sending; a bad
				// byte there must not stop the message.
				v = strings.ToValidUTF8(string(p.norm[f.colon+1:f.end]), "\uFFFD")
			} else {
				return err
			}
		}
		v = strings.TrimSpace(unfold(v))
		switch f.kind {
		case kSubject, kXSpoolgateUnit:
			v = decodeText(v)
		case kMessageID:
			v = parseMsgID(v)
		}
		*dst = v
	}
	return nil
}

// parseMsgID returns the msg-id in a Message-ID value, without <>.
func parseMsgID(v string) string {
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	if strings.ContainsAny(v, " \t") {
		v = strings.Join(strings.Fields(v), "")
	}
	return v
}

// build writes Data and DataUTF8.
func (p *parser) build(m *Message) error {
	var added []byte
	if !p.present[kFrom] && p.opts.From != "" {
		a := mail.Address{Name: p.opts.FromName, Address: trimAngle(p.opts.From)}
		var ok bool
		added, ok = fold(added, "From:", " "+a.String())
		if !ok {
			return refuse(Detail{ID: FromTooLong}, nil)
		}
	}
	if !p.present[kDate] {
		now := time.Now
		if p.opts.Now != nil {
			now = p.opts.Now
		}
		added = append(added, "Date: "...)
		added = now().AppendFormat(added, time.RFC1123Z)
		added = append(added, crlf...)
	}
	if !p.present[kMessageID] {
		m.MessageID = newID(p.opts.IDSeed) + "@" + idDomain(p.opts.From)
		added = append(added, "Message-ID: <"...)
		added = append(added, m.MessageID...)
		added = append(added, ">\r\n"...)
	}
	if id := p.opts.SpoolgateID; id != "" && validSpoolgateID(id) {
		added = append(added, "X-Spoolgate-Id: "...)
		added = append(added, id...)
		added = append(added, crlf...)
	}
	if m.EightBit && !p.present[kContentType] {
		if !p.present[kMIMEVersion] {
			added = append(added, "MIME-Version: 1.0\r\n"...)
		}
		cs := "utf-8"
		if !utf8.Valid(p.body) {
			cs = p.opts.Charset
		}
		added = append(added, "Content-Type: text/plain; charset="...)
		added = append(added, cs...)
		added = append(added, crlf...)
		if !p.present[kCTE] {
			added = append(added, "Content-Transfer-Encoding: 8bit\r\n"...)
		}
	}

	size := len(p.norm) + len(added)
	out := make([]byte, 0, size+size/8)
	var outUTF8 []byte
	for i := range p.fields {
		f := &p.fields[i]
		if f.kind.removed() {
			continue
		}
		if f.high && outUTF8 == nil {
			outUTF8 = make([]byte, len(out), cap(out))
			copy(outUTF8, out)
		}
		if !f.high {
			out = append(out, p.norm[f.start:f.end]...)
			if outUTF8 != nil {
				outUTF8 = append(outUTF8, p.norm[f.start:f.end]...)
			}
			continue
		}
		v, err := p.value(f)
		if err != nil {
			return err
		}
		prefix := p.norm[f.start : f.colon+1]
		// The UTF-8 form keeps the file's folding unless decoding made a
		// line too long.
		n := len(outUTF8)
		outUTF8 = append(outUTF8, prefix...)
		outUTF8 = append(outUTF8, v...)
		if longestLine(outUTF8[n:]) > maxLine {
			var ok bool
			outUTF8, ok = fold(outUTF8[:n], string(prefix), unfold(v))
			if !ok {
				return refuse(Detail{ID: HeaderTooLongUTF8, Header: p.name(f), Line: f.line}, nil)
			}
		}
		var enc string
		if f.kind.address() {
			var nonASCII bool
			enc, nonASCII = encodeAddressHeader(unfold(v))
			if nonASCII || strings.IndexFunc(enc, func(r rune) bool { return r >= 0x80 }) >= 0 {
				// 8-bit text left as it is (an address list that does
				// not parse): only a relay with SMTPUTF8 may take it.
				m.NeedsUTF8 = true
			}
		} else {
			enc = encodeText(unfold(v))
		}
		var ok bool
		out, ok = fold(out, string(prefix), enc)
		if !ok {
			return refuse(Detail{ID: HeaderTooLongEncoded, Header: p.name(f), Line: f.line}, nil)
		}
	}
	out = append(out, added...)
	if outUTF8 != nil {
		outUTF8 = append(outUTF8, added...)
	}
	if p.sep {
		out = append(out, crlf...)
		out = append(out, p.body...)
		if outUTF8 != nil {
			outUTF8 = append(outUTF8, crlf...)
			outUTF8 = append(outUTF8, p.body...)
		}
	}
	m.Data = out
	m.DataUTF8 = outUTF8
	return nil
}

// idDomain is the domain part of the configured From address, for an added
// Message-ID.
func idDomain(from string) string {
	from = trimAngle(from)
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		return from[i+1:]
	}
	return "localhost"
}

func longestLine(b []byte) int {
	longest := 0
	for len(b) > 0 {
		e := bytes.IndexByte(b, '\n')
		if e < 0 {
			e = len(b)
		}
		n := e
		if n > 0 && b[n-1] == '\r' {
			n--
		}
		longest = max(longest, n)
		b = b[min(e+1, len(b)):]
	}
	return longest
}

// charsetOf says whether raw 8-bit text must be UTF-8 and which decoder
// reads it otherwise.
func charsetOf(opts Options) (utf8Only bool, enc encoding.Encoding) {
	switch strings.ToLower(opts.Charset) {
	case "", "utf-8", "utf8":
		return true, nil
	}
	if opts.Encoding != nil {
		return false, opts.Encoding
	}
	if e, err := htmlindex.Get(opts.Charset); err == nil {
		return false, e
	}
	return true, nil
}

// dropFromLine drops a leading mbox "From " line. It returns the rest and
// the file line number of the rest's first line.
func dropFromLine(raw []byte) ([]byte, int) {
	if !bytes.HasPrefix(raw, []byte("From ")) {
		return raw, 1
	}
	i := bytes.IndexAny(raw, "\r\n")
	if i < 0 {
		return nil, 2
	}
	if raw[i] == '\r' && i+1 < len(raw) && raw[i+1] == '\n' {
		i++
	}
	return raw[i+1:], 2
}

// normalize makes every line ending CRLF and adds a final CRLF. When src
// already is in that form, the result is src itself unless copy is set.
func normalize(src []byte, copyAlways bool) []byte {
	if len(src) == 0 {
		return []byte{}
	}
	nLF := bytes.Count(src, []byte{'\n'})
	nCR := bytes.Count(src, []byte{'\r'})
	if nLF == nCR && bytes.HasSuffix(src, crlf) && bytes.Count(src, crlf) == nLF {
		if copyAlways {
			return bytes.Clone(src)
		}
		return src
	}
	dst := make([]byte, 0, len(src)+nLF+nCR+2)
	nextCR, nextLF := -1, -1 // absolute positions, recomputed when passed
	pos := 0
	for pos < len(src) {
		if nextCR < pos {
			if i := bytes.IndexByte(src[pos:], '\r'); i >= 0 {
				nextCR = pos + i
			} else {
				nextCR = len(src)
			}
		}
		if nextLF < pos {
			if i := bytes.IndexByte(src[pos:], '\n'); i >= 0 {
				nextLF = pos + i
			} else {
				nextLF = len(src)
			}
		}
		e := min(nextCR, nextLF)
		dst = append(dst, src[pos:e]...)
		dst = append(dst, crlf...)
		switch {
		case e == len(src):
			pos = e
		case src[e] == '\r' && e+1 < len(src) && src[e+1] == '\n':
			pos = e + 2
		default:
			pos = e + 1
		}
	}
	return dst
}

// lineOf returns the file line number of raw[i].
func lineOf(raw []byte, i int) int {
	b := raw[:i]
	n := 1 + bytes.Count(b, []byte{'\n'})
	n += bytes.Count(b, []byte{'\r'}) - bytes.Count(b, crlf)
	return n
}

// unfold removes the CRLFs of a folded value.
func unfold(v string) string {
	if !strings.Contains(v, "\r\n") {
		return v
	}
	return strings.ReplaceAll(v, "\r\n", "")
}

// wellFolded reports whether decoded header text still has the shape of a
// folded value: no NUL, CR and LF only as CRLF, each followed by a space,
// a tab or the end.
func wellFolded(b []byte) bool {
	for i, c := range b {
		switch c {
		case 0:
			return false
		case '\r':
			if i+1 >= len(b) || b[i+1] != '\n' {
				return false
			}
		case '\n':
			if i == 0 || b[i-1] != '\r' {
				return false
			}
			if i+1 < len(b) && b[i+1] != ' ' && b[i+1] != '\t' {
				return false
			}
		}
	}
	return true
}

func hasHigh(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// kindOf classifies a field name.
func kindOf(name []byte) kind {
	var buf [32]byte
	if len(name) > len(buf) {
		if len(name) > 12 && bytes.EqualFold(name[:12], []byte("x-spoolgate-")) {
			return kXSpoolgate
		}
		return kOther
	}
	l := buf[:len(name)]
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		l[i] = c
	}
	switch string(l) {
	case "from":
		return kFrom
	case "to":
		return kTo
	case "cc":
		return kCc
	case "bcc":
		return kBcc
	case "reply-to":
		return kReplyTo
	case "sender":
		return kSender
	case "subject":
		return kSubject
	case "date":
		return kDate
	case "message-id":
		return kMessageID
	case "mime-version":
		return kMIMEVersion
	case "content-type":
		return kContentType
	case "content-transfer-encoding":
		return kCTE
	case "x-sender":
		return kXSender
	case "x-receiver":
		return kXReceiver
	case "x-spoolgate-kind":
		return kXSpoolgateKind
	case "x-spoolgate-unit":
		return kXSpoolgateUnit
	}
	if bytes.HasPrefix(l, []byte("x-spoolgate-")) {
		return kXSpoolgate
	}
	return kOther
}

// wordDecoder decodes RFC 2047 encoded words in any charset the WHATWG
// encoding index knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// decodeText decodes the encoded words of an unstructured value; on
// failure it returns v unchanged.
func decodeText(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// newID is the left part of an added Message-ID: derived from seed when
// there is one, so a message sent again (after a crash) carries the same
// Message-ID and the recipient's mail system can tell it is the same
// message; random otherwise.
func newID(seed string) string {
	if seed == "" {
		return rand.Text()
	}
	sum := sha256.Sum256([]byte("spoolgate message-id\x00" + seed))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16])
}

// validSpoolgateID tells whether id can be written as a header value as
// it is: printable ASCII without spaces, at most 100 bytes (a claim key
// always is).
func validSpoolgateID(id string) bool {
	if len(id) > 100 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] >= 0x7f {
			return false
		}
	}
	return true
}
