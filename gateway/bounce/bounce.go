package bounce

import (
	"net/mail"
	"strings"
	"time"
)

// Kind is what a mail in the bounce mailbox is.
type Kind string

// The kinds of mail Read tells apart.
const (
	// KindDSN is a delivery status notification: a standard report
	// (RFC 3464, RFC 6533) or a bounce recognised from its text. Its
	// Report has at least one Recipient.
	KindDSN Kind = "dsn"
	// KindAutoReply is an out-of-office or other automatic reply.
	KindAutoReply Kind = "auto-reply"
	// KindReadReceipt is a message disposition notification (RFC 8098).
	KindReadReceipt Kind = "read-receipt"
	// KindOther is an ordinary reply, or anything else that is not a
	// bounce, or a mail that looks like a bounce but could not be read
	// reliably (Why says which).
	KindOther Kind = "other"
	// KindUnreadable is a mail that could not be read as mail, or a
	// delivery status report whose recipients could not be read.
	KindUnreadable Kind = "unreadable"
)

// Class is how bad a failure is; it is set for Action failed only.
type Class string

// The classes of a failed delivery.
const (
	// Hard is a permanent failure of the address (5.1.x, 5.2.1): the
	// address needs correcting.
	Hard Class = "hard"
	// Soft is a failure that may not recur: mailbox full (5.2.2), a
	// message too large (5.2.3, 5.3.4), a 4.x.x given up on, a network
	// or routing failure, or a failure whose reason is unclear.
	Soft Class = "soft"
	// Policy is a refusal of the library's mail rather than of the
	// address (5.7.x: spam filter, SPF, DKIM, DMARC).
	Policy Class = "policy"
)

// Action is what a report says happened for one recipient (RFC 3464).
type Action string

// The actions of RFC 3464.
const (
	Failed    Action = "failed"
	Delayed   Action = "delayed"
	Delivered Action = "delivered"
	Relayed   Action = "relayed"
	Expanded  Action = "expanded"
)

// Recipient is what a report says about one recipient.
type Recipient struct {
	Final      string // the Final-Recipient address (domain lower-cased), or the address recognised in a text bounce
	Original   string // the Original-Recipient address, when given
	Action     Action
	Status     string // the status code as reported, e.g. "5.1.1"; may be empty
	Class      Class  // set if and only if Action is Failed
	Diagnostic string // the Diagnostic-Code text, one line, at most MaxDiagnostic bytes
	RemoteMTA  string // the Remote-MTA host
}

// Report is what Read makes of one mail.
type Report struct {
	Kind       Kind
	Format     string // how a dsn was read: "rfc3464", "rfc6533", "qmail", "exchange-text", "text"
	Recipients []Recipient
	Reporter   string    // the Reporting-MTA host
	Arrival    time.Time // the Arrival-Date, or else the Date header; zero when neither reads

	// What identifies the original: read from the returned
	// message/rfc822 or text/rfc822-headers part (or their RFC 6532
	// forms), or for a text bounce from the headers it quotes.
	MessageID   string   // the original Message-ID, without the angle brackets
	SpoolgateID string   // the original X-Spoolgate-Id
	OriginalTo  []string // the original To addresses, when present

	Subject string // the mail's own subject, decoded, one line, at most MaxSubject bytes
	Why     string // for every kind but dsn: why it is not read as a bounce
}

// Read reads one mail from the bounce mailbox and says what it is. It
// never panics, and its work is bounded whatever the input: only the
// first MaxInput bytes are read, and parts, nesting, headers and
// recipients are bounded too.
func Read(raw []byte) Report {
	if len(raw) > MaxInput {
		raw = raw[:MaxInput]
	}
	if len(strings.TrimSpace(string(raw[:min(len(raw), 512)]))) == 0 {
		return Report{Kind: KindUnreadable, Why: "an empty mail"}
	}
	if !looksLikeHeader(raw) {
		return Report{Kind: KindUnreadable, Why: "not a mail: it does not start with a header"}
	}
	hb, body := splitMessage(raw)
	top := parseHeader(hb)
	r := Report{Subject: oneLine(decodeHeader(top.get("Subject")), MaxSubject)}
	if d, err := mail.ParseDate(top.get("Date")); err == nil {
		r.Arrival = d
	}

	w := &walker{}
	w.walk(top, body, 0)
	if len(w.texts) == 0 {
		w.texts = w.htmls
	}
	if w.original != nil {
		r.identify(w.original)
	}

	if w.dsn != nil || w.reportType == "delivery-status" || w.reportType == "global-delivery-status" {
		if w.dsn != nil {
			r.readDSN(w.dsn, w.global)
		}
		if len(r.Recipients) > 0 {
			r.Kind = KindDSN
			if w.original == nil {
				r.identifyQuoted(w.texts)
			}
			return r
		}
		r.Recipients = nil
		r.Kind, r.Format = KindUnreadable, ""
		if w.dsn == nil {
			r.Why = "a delivery status report without its report part"
		} else {
			r.Why = "a delivery status report whose recipients could not be read"
		}
		return r
	}
	if w.mdn || w.reportType == "disposition-notification" || w.reportType == "global-disposition-notification" {
		r.Kind, r.Why = KindReadReceipt, "a read receipt (disposition-notification)"
		return r
	}

	auto := autoReply(top, r.Subject)
	daemon := fromDaemon(top)
	tb := readText(top, r.Subject, w.texts, daemon)
	if len(tb.recipients) > 0 && (daemon || auto == "") {
		r.Kind, r.Format, r.Recipients = KindDSN, tb.format, tb.recipients
		if w.original == nil {
			r.identifyQuoted(w.texts)
		}
		return r
	}
	lookalike := tb.lookalike || len(tb.recipients) > 0
	switch {
	case auto != "" && !(daemon && lookalike):
		r.Kind, r.Why = KindAutoReply, cut("an automatic reply ("+auto+")", MaxSubject)
	case lookalike:
		r.Kind, r.Why = KindOther, "looks like a bounce but could not be read"
	default:
		r.Kind, r.Why = KindOther, "not a bounce: no report part, no automatic-reply marker and no bounce text"
	}
	return r
}

// walker walks the MIME tree of a mail, bounded, and keeps what Read
// decides by. It never walks into a returned original.
type walker struct {
	parts      int
	reportType string // of the first multipart/report
	dsn        []byte // the first delivery-status part
	global     bool   // whether dsn is message/global-delivery-status
	mdn        bool   // a disposition-notification part was seen
	original   header // the returned original header
	texts      []string
	htmls      []string
}

func (w *walker) walk(h header, body []byte, depth int) {
	w.parts++
	t, params := mediaType(h.get("Content-Type"))
	switch {
	case strings.HasPrefix(t, "multipart/"):
		if t == "multipart/report" && w.reportType == "" {
			w.reportType = strings.ToLower(strings.TrimSpace(params["report-type"]))
		}
		if depth >= maxDepth {
			return
		}
		for _, p := range splitMultipart(body, params["boundary"], maxParts) {
			if w.parts >= maxParts {
				return
			}
			ph, pb := splitMessage(p)
			w.walk(parseHeader(ph), pb, depth+1)
		}
	case t == "message/delivery-status" || t == "message/global-delivery-status":
		if w.dsn == nil {
			w.dsn = decodeTransfer(body, h.get("Content-Transfer-Encoding"))
			w.global = t == "message/global-delivery-status"
		}
	case t == "message/disposition-notification" || t == "message/global-disposition-notification":
		w.mdn = true
	case t == "message/rfc822" || t == "message/global" || t == "text/rfc822-headers" ||
		t == "message/global-headers" || t == "message/rfc822-headers":
		if w.original == nil {
			b := decodeTransfer(body, h.get("Content-Transfer-Encoding"))
			oh, _ := splitMessage(b)
			w.original = parseHeader(oh)
		}
	case t == "text/plain" || t == "text/html":
		if len(w.texts)+len(w.htmls) >= 2*maxTexts {
			return
		}
		if disp, _ := mediaType(h.get("Content-Disposition")); disp == "attachment" && w.parts > 1 {
			return
		}
		b := decodeTransfer(body, h.get("Content-Transfer-Encoding"))
		if len(b) > maxTextBytes {
			b = b[:maxTextBytes]
		}
		s := toUTF8(b, params["charset"])
		if t == "text/html" {
			w.htmls = append(w.htmls, htmlText(s))
		} else {
			w.texts = append(w.texts, s)
		}
	}
}

// identify reads the returned original header.
func (r *Report) identify(h header) {
	r.MessageID = messageID(h.get("Message-ID"))
	r.SpoolgateID = oneLine(h.get("X-Spoolgate-Id"), maxID)
	r.OriginalTo = addressList(h.get("To"))
}

// identifyQuoted looks for the original header quoted in a text bounce.
func (r *Report) identifyQuoted(texts []string) {
	for _, t := range texts {
		if h := quotedHeader(t); len(h) > 0 {
			r.identify(h)
			return
		}
	}
}

// messageID is the first Message-ID token of v, without the brackets.
func messageID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0]
	} else {
		return ""
	}
	return oneLine(v, maxID)
}

// addressList reads up to maxOriginalTo addresses from a To field.
func addressList(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var out []string
	if list, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(v); err == nil {
		for _, a := range list {
			if s := normAddress(a.Address); s != "" && len(out) < maxOriginalTo {
				out = append(out, s)
			}
		}
		return out
	}
	for _, m := range addrRe.FindAllString(v, maxOriginalTo) {
		if s := normAddress(m); s != "" {
			out = append(out, s)
		}
	}
	return out
}
