package message

import (
	"mime"
	"strings"
)

// encodeWord encodes s, which holds non-ASCII text, as RFC 2047 encoded
// words in UTF-8, in Q encoding unless B encoding is a quarter shorter (Q
// stays readable). In a phrase (a display name) Q encoding may only
// carry a few specials, so text with others always goes in B encoding,
// as net/mail does it.
func encodeWord(s string, phrase bool) string {
	if phrase && strings.ContainsAny(s, "\"#$%&'(),.:;<>@[]^`{|}~\\") {
		return mime.BEncoding.Encode("utf-8", s)
	}
	q := len(s)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && (c < '!' || c > '~' || c == '=' || c == '?' || c == '_') {
			q += 2
		}
	}
	if b := (len(s) + 2) / 3 * 4; b*4 < q*3 {
		return mime.BEncoding.Encode("utf-8", s)
	}
	return mime.QEncoding.Encode("utf-8", s)
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// encodeText encodes the non-ASCII words of an unfolded unstructured value.
// Adjacent non-ASCII words go in one run, so the space between them
// survives decoding.
func encodeText(v string) string {
	if isASCII(v) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v) * 2)
	runStart, runEnd := -1, -1
	flush := func() {
		if runStart >= 0 {
			b.WriteString(encodeWord(v[runStart:runEnd], false))
			runStart = -1
		}
	}
	last := 0 // v[:last] is written or in the run
	for i := 0; i < len(v); {
		if isWSP(v[i]) {
			i++
			continue
		}
		j := i
		for j < len(v) && !isWSP(v[j]) {
			j++
		}
		if isASCII(v[i:j]) {
			flush()
			b.WriteString(v[last:j])
		} else {
			if runStart < 0 {
				b.WriteString(v[last:i])
				runStart = i
			}
			runEnd = j
		}
		last, i = j, j
	}
	flush()
	b.WriteString(v[last:])
	return b.String()
}

// encodeAddressHeader encodes the non-ASCII display names, group names and
// comments of an unfolded address-list value and keeps everything else as
// it is. nonASCIIAddr reports a non-ASCII address, which only SMTPUTF8 can
// carry.
func encodeAddressHeader(v string) (enc string, nonASCIIAddr bool) {
	if isASCII(v) {
		return v, false
	}
	toks, ok := scanAddr(v)
	if !ok {
		return encodeText(v), false
	}
	const (
		roleOther = iota
		rolePhrase
		roleAddr
	)
	role := make([]uint8, len(toks))
	// Classify each mailbox or group name: the words before an angle-addr
	// or a group's colon are a phrase; words around an '@' are an address.
	start := 0
	inGroup := false
	classify := func(end int, groupName bool) {
		angle, at := -1, false
		for i := start; i < end; i++ {
			if toks[i].kind == tokAngle && angle < 0 {
				angle = i
			}
			if toks[i].special(v, '@') {
				at = true
			}
		}
		for i := start; i < end; i++ {
			switch t := toks[i]; {
			case t.kind == tokComment:
			case t.kind == tokAngle || t.kind == tokLiteral:
				role[i] = roleAddr
			case angle >= 0 && i > angle:
			case angle >= 0 || groupName || !at:
				if t.kind == tokAtom || t.kind == tokQuoted || t.special(v, '.') {
					role[i] = rolePhrase
				}
			default:
				role[i] = roleAddr
			}
		}
	}
	for i, t := range toks {
		switch {
		case t.special(v, ','), t.special(v, ';'):
			classify(i, false)
			if t.special(v, ';') {
				inGroup = false
			}
			start = i + 1
		case t.special(v, ':') && !inGroup:
			classify(i, true)
			inGroup = true
			start = i + 1
		}
	}
	classify(len(toks), false)

	var b strings.Builder
	b.Grow(len(v) * 2)
	last := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch role[i] {
		case roleAddr:
			if !isASCII(v[t.start:t.end]) {
				nonASCIIAddr = true
			}
		case rolePhrase:
			j := i
			for j+1 < len(toks) && role[j+1] == rolePhrase {
				j++
			}
			if !isASCII(v[t.start:toks[j].end]) {
				b.WriteString(v[last:t.start])
				b.WriteString(encodeWord(phraseText(v, toks[i:j+1]), true))
				last = toks[j].end
			}
			i = j
		default:
			if t.kind == tokComment && !isASCII(v[t.start:t.end]) {
				b.WriteString(v[last : t.start+1])
				b.WriteString(mime.BEncoding.Encode("utf-8", v[t.start+1:t.end-1]))
				last = t.end - 1
			}
		}
	}
	b.WriteString(v[last:])
	return b.String(), nonASCIIAddr
}

// phraseText is the text a phrase stands for: quoted strings unquoted,
// whitespace between words made one space.
func phraseText(v string, toks []token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && t.start > toks[i-1].end {
			b.WriteByte(' ')
		}
		if t.kind == tokQuoted {
			b.WriteString(unquote(v[t.start:t.end]))
		} else {
			b.WriteString(v[t.start:t.end])
		}
	}
	return b.String()
}

// fold appends prefix (a field name and colon) and the unfolded value v to
// dst as a header field, folding before whitespace so that lines stay
// within 78 octets where the whitespace allows. ok is false when a line
// still exceeds 998 octets.
func fold(dst []byte, prefix, v string) (out []byte, ok bool) {
	dst = append(dst, prefix...)
	lineLen, content := len(prefix), false
	ok = true
	for i := 0; i < len(v); {
		j := i
		for j < len(v) && isWSP(v[j]) {
			j++
		}
		k := j
		for k < len(v) && !isWSP(v[k]) {
			k++
		}
		if content && j > i && k > j && lineLen+(k-i) > foldAt {
			dst = append(dst, crlf...)
			lineLen = 0
		}
		dst = append(dst, v[i:k]...)
		lineLen += k - i
		if k > j {
			content = true
		}
		if lineLen > maxLine {
			ok = false
		}
		i = k
	}
	dst = append(dst, crlf...)
	return dst, ok
}
