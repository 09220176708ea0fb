package bounce

import (
	"regexp"
	"strings"
)

// textBounce is what the text of a mail without a report part says.
type textBounce struct {
	format     string
	recipients []Recipient
	lookalike  bool // it reads like a bounce, recognised or not
}

// bounceSubjects are subject phrases of bounces, lower-cased.
var bounceSubjects = []string{
	"undeliver", "delivery status notification", "returned mail", "mail delivery failed", "failure notice",
	"delivery failure", "delivery failed", "message not delivered", "non remis", "non distribuable",
	"unzustellbar", "nicht zustellbar", "onbestelbaar", "kan inte levereras", "olevererbart", "ej levererat",
	"kunne ikke leveres", "kunne ikke levere", "nie dostarczono", "niedostarcz", "nedoručitelné", "nedoručeno",
	"не доставлено", "недоставлено", "не может быть доставлено",
}

// bouncePhrases are phrases of bounce texts, lower-cased.
var bouncePhrases = []string{
	"could not be delivered", "couldn't be delivered", "delivery has failed", "permanent error",
	"permanent fatal errors", "undeliverable", "qmail-send program", "cannot be reached",
	"wasn't able to deliver", "was not able to deliver", "delivery to the following recipient",
	"returned to sender", "did not reach some or all", "unable to deliver", "mail delivery subsystem",
}

// readText recognises the text bounces that can be read reliably:
// qmail, Exchange text NDRs, and, from a mailer daemon only, lines that
// hold a reply code, an enhanced status code and an address.
func readText(h header, subject string, texts []string, daemon bool) textBounce {
	var tb textBounce
	s := strings.ToLower(subject)
	tb.lookalike = daemon || containsAny(s, bounceSubjects...)
	exclude := map[string]bool{}
	for _, a := range addressList(h.get("To")) {
		exclude[a] = true
	}
	for _, t := range texts {
		lt := strings.ToLower(t)
		if containsAny(lt, bouncePhrases...) {
			tb.lookalike = true
		}
		if tb.recipients != nil {
			continue
		}
		switch {
		case strings.Contains(t, "This is the qmail-send program"):
			tb.format, tb.recipients = "qmail", readQmail(t)
		case strings.Contains(lt, "delivery has failed to these recipients or groups") ||
			strings.Contains(lt, "did not reach some or all of the intended recipients") ||
			strings.Contains(lt, "the following recipient(s) cannot be reached"):
			tb.format, tb.recipients = "exchange-text", readExchange(t)
		case daemon:
			tb.format, tb.recipients = "text", readGeneric(t, exclude)
		}
	}
	if tb.recipients == nil {
		tb.format = ""
	}
	return tb
}

// copyMarkers start the returned copy of the original in a text bounce.
var copyMarkers = []string{
	"--- Below this line is a copy of the message.",
	"--- Enclosed are the original headers of the message.",
	"Original message headers:",
	"------ This is a copy of the message",
	"----- Original message -----",
	"----- Unsent message follows -----",
	"----- Original message follows -----",
	"----- Message header follows -----",
	"----- The header of the original message is following. -----",
}

// beforeCopy is a bounce text without the returned copy of the original.
func beforeCopy(t string) string {
	for _, m := range copyMarkers {
		if i := strings.Index(t, m); i >= 0 {
			t = t[:i]
		}
	}
	return t
}

// quotedHeader is the original header that a text bounce quotes after
// one of the copy markers, when there is one.
func quotedHeader(t string) header {
	for _, m := range copyMarkers {
		i := strings.Index(t, m)
		if i < 0 {
			continue
		}
		rest := t[i+len(m):]
		if j := strings.IndexByte(rest, '\n'); j >= 0 {
			rest = rest[j+1:]
		} else {
			continue
		}
		rest = strings.TrimLeft(rest, " \t\r\n")
		h := parseHeader([]byte(rest))
		if h.has("Message-ID") || h.has("X-Spoolgate-Id") {
			return h
		}
	}
	return nil
}

func lines(t string) []string {
	ls := strings.Split(t, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " \t\r")
	}
	return ls
}

var qmailRcptRe = regexp.MustCompile(`^<([^<>\s]{3,320})>:$`)

// readQmail reads a qmail-send bounce: each "<address>:" line, then the
// reason up to the empty line. qmail sends these for permanent failures
// only. A reason without a status code is not read.
func readQmail(t string) []Recipient {
	var out []Recipient
	ls := lines(beforeCopy(t))
	for i := 0; i < len(ls) && len(out) < MaxRecipients; i++ {
		m := qmailRcptRe.FindStringSubmatch(ls[i])
		if m == nil {
			continue
		}
		addr := normAddress(m[1])
		var reason []string
		for i+1 < len(ls) && ls[i+1] != "" && !qmailRcptRe.MatchString(ls[i+1]) && len(reason) < 20 {
			i++
			reason = append(reason, strings.TrimSpace(ls[i]))
		}
		diag := oneLine(strings.Join(reason, " "), MaxDiagnostic)
		status := textStatus(diag)
		if addr == "" || status == "" {
			continue
		}
		out = appendRecipient(out, Recipient{Final: addr, Action: Failed, Status: status,
			Class: ClassOf(status, diag), Diagnostic: diag})
	}
	return out
}

// textStatus is the enhanced code of a reason, or from its reply code
// the class only ("5.0.0", "4.0.0"), or "".
func textStatus(s string) string {
	if c := enhancedRe.FindString(s); c != "" {
		return c
	}
	if c := smtpCodeRe.FindString(s); c != "" {
		return c[:1] + ".0.0"
	}
	return ""
}

var (
	exAddrRe   = regexp.MustCompile(`^'?<?([^\s'<>()]{3,320}@[^\s'<>()]{1,255})>?'?(?:\s+on\s+.*|\s+\([^()]*\))?$`)
	exStatusRe = regexp.MustCompile(`#\s?[245]\.\d{1,3}\.\d{1,3}|\b[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b|Remote Server returned '`)
	exReplyRe  = regexp.MustCompile(`\b[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b`)
)

// readExchange reads an Exchange text NDR: in its section for
// administrators (or, from Exchange 2003, its list of recipients that
// cannot be reached), an address alone on a line, then a line with the
// status ("#550 5.1.1 RESOLVER.ADR.RecipientNotFound; not found ##",
// "Remote Server returned '550 5.1.10 ...'", "<host #5.1.1 smtp;550 ...>").
func readExchange(t string) []Recipient {
	t = beforeCopy(t)
	for _, start := range []string{"Diagnostic information for administrators", "The following recipient(s) cannot be reached"} {
		if i := strings.Index(t, start); i >= 0 {
			t = t[i:]
			break
		}
	}
	var out []Recipient
	last := ""
	for _, l := range lines(t) {
		if len(out) >= MaxRecipients {
			break
		}
		l = strings.TrimSpace(l)
		if m := exAddrRe.FindStringSubmatch(l); m != nil {
			last = normAddress(m[1])
			continue
		}
		if last == "" || !exStatusRe.MatchString(l) {
			continue
		}
		diag := l
		if i := strings.Index(diag, "Remote Server returned '"); i >= 0 {
			diag = strings.TrimSuffix(diag[i+len("Remote Server returned '"):], "'")
		} else if loc := exReplyRe.FindStringIndex(diag); loc != nil {
			diag = diag[loc[0]:]
		}
		diag = strings.TrimSpace(strings.TrimRight(diag, "#> "))
		status := enhancedRe.FindString(l)
		if status == "" {
			continue
		}
		diag = oneLine(diag, MaxDiagnostic)
		out = appendRecipient(out, Recipient{Final: last, Action: Failed, Status: status,
			Class: ClassOf(status, diag), Diagnostic: diag})
		last = ""
	}
	return out
}

var genericRe = regexp.MustCompile(`\b[45]\d\d[ -]([45]\.\d{1,3}\.\d{1,3})\b`)

// readGeneric reads a mailer daemon text: each line with a reply code
// and an enhanced status code, and an address on that line or alone on
// the line before. Addresses of the bounce own To are not recipients.
func readGeneric(t string, exclude map[string]bool) []Recipient {
	t = beforeCopy(t)
	lt := strings.ToLower(t)
	permanent := containsAny(lt, "permanent", "given up", "giving up", "gave up", "too long")
	var out []Recipient
	prev := ""
	for _, l := range lines(t) {
		if len(out) >= MaxRecipients {
			break
		}
		tl := strings.TrimSpace(l)
		if tl == "" {
			continue
		}
		m := genericRe.FindStringSubmatch(tl)
		if m == nil {
			prev = ""
			if a := addrRe.FindString(tl); a != "" && len(strings.Trim(tl, "<>'\" ")) == len(a) {
				prev = normAddress(a)
			}
			continue
		}
		addr := ""
		for _, a := range addrRe.FindAllString(tl, 4) {
			if a = normAddress(a); a != "" && !exclude[a] {
				addr = a
				break
			}
		}
		if addr == "" {
			addr = prev
		}
		prev = ""
		if addr == "" || exclude[addr] {
			continue
		}
		status := m[1]
		diag := oneLine(tl, MaxDiagnostic)
		rc := Recipient{Final: addr, Action: Failed, Status: status, Diagnostic: diag}
		if status[0] == '4' && !permanent {
			rc.Action = Delayed
		} else {
			rc.Class = ClassOf(status, diag)
		}
		out = appendRecipient(out, rc)
	}
	return out
}

// appendRecipient adds rc unless its address is already there.
func appendRecipient(out []Recipient, rc Recipient) []Recipient {
	for _, o := range out {
		if o.Final == rc.Final {
			return out
		}
	}
	return append(out, rc)
}
