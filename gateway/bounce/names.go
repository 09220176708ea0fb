package bounce

import (
	"net/mail"
	"strings"
)

// OriginalNames reads the display names of the returned original's To
// field (or of the To a text bounce quotes), by address as OriginalTo
// has it: the patron's name, for a notice spoolgate wrote. It reads what
// Read reads, bounded alike; an address without a name is left out, and
// a mail without an original gives nil.
func OriginalNames(raw []byte) map[string]string {
	if len(raw) > MaxInput {
		raw = raw[:MaxInput]
	}
	if !looksLikeHeader(raw) {
		return nil
	}
	hb, body := splitMessage(raw)
	w := &walker{}
	w.walk(parseHeader(hb), body, 0)
	h := w.original
	if h == nil {
		if len(w.texts) == 0 {
			w.texts = w.htmls
		}
		for _, t := range w.texts {
			if q := quotedHeader(t); len(q) > 0 {
				h = q
				break
			}
		}
	}
	if h == nil {
		return nil
	}
	v := h.get("To")
	if strings.TrimSpace(v) == "" {
		return nil
	}
	list, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(v)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, a := range list {
		if len(out) == maxOriginalTo {
			break
		}
		if s, name := normAddress(a.Address), oneLine(a.Name, MaxSubject); s != "" && name != "" {
			out[s] = name
		}
	}
	return out
}
