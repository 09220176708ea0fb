package cause

import (
	"regexp"
	"strconv"
	"strings"
)

// Of decides what a failure at stage means, from the reply code, the
// enhanced status code ("5.1.1", or "" when the server sent none) and the
// reply's text (without the codes). code 0 means there was no reply: a
// network error, a time-out or a connection closed early.
//
// The stages are gateway/relay's: "dial", "tls", "greeting", "ehlo",
// "auth", "mail", "rcpt", "data", "capture", and "local" for a check
// spoolgate makes itself. "connect" is taken for "dial".
//
// The stage and the codes decide; the text is read only where they leave
// the meaning open: 550 5.7.1 may be relaying denied, a DNS blocklist, a
// spam rule or a refused sender, and many servers send no enhanced code.
// In order:
//
//   - at AUTH every refusal is of the login (tls-failed when the relay
//     wants TLS first; Microsoft's 5.7.139 smtp-auth-disabled, 5.7.3
//     oauth-permission, 5.7.30 basic-auth-off); at STARTTLS, of TLS;
//   - a temporary refusal that says it is greylisting is temporary;
//   - a reply naming a DNS blocklist (Spamhaus, SpamCop, "blocked using",
//     Microsoft's S3150 and 5.7.606-649) is blocklisted;
//   - an enhanced code with one meaning decides: 5.1.1 address-unknown,
//     5.2.1 mailbox-disabled, 5.2.2 mailbox-full, 5.3.4 message-too-large,
//     5.4.5 and x.5.3 quota-exceeded, 5.6.x content-refused, 5.7.8
//     login-refused, 5.7.26 spam-policy, 5.7.57 auth-required, 5.7.60
//     sender-refused, and so on;
//   - otherwise (no enhanced code, x.0.0, x.1.0, x.7.0, x.7.1, …) the
//     text's words decide;
//   - otherwise the reply code and the stage: 530 auth-required, 535
//     login-refused, 552 message-too-large (mailbox-full at RCPT, its
//     old meaning), 5xx at the greeting or EHLO client-refused, 5.7.x at
//     MAIL sender-refused, 5.7.x spam-policy, 421 unreachable (4.7.x:
//     quota-exceeded);
//   - otherwise temporary (4xx) or refused (5xx).
//
// Of never returns "": a reply it can't read is unknown.
func Of(stage string, code int, enhanced, text string) Cause {
	r := reply{
		stage: strings.ToLower(strings.TrimSpace(stage)),
		code:  code,
		st:    parseStatus(enhanced),
		text:  strings.ToLower(text),
	}
	if r.stage == "connect" {
		r.stage = "dial"
	}
	if code == 0 {
		return noReply(r.stage)
	}
	if code < 400 || code > 599 {
		return Unknown // not a failure, or not SMTP
	}
	r.temp = code < 500
	for _, decide := range []func(reply) Cause{byStage, byList, byStatus, byWords, byCode} {
		if c := decide(r); c != "" {
			return c
		}
	}
	if r.temp {
		return Temporary
	}
	return Refused
}

// reply is a failure reply, ready to read.
type reply struct {
	stage string
	code  int
	st    status
	text  string // lower case
	temp  bool   // 4xx
}

// has reports whether the text contains any of words.
func (r reply) has(words ...string) bool {
	for _, w := range words {
		if strings.Contains(r.text, w) {
			return true
		}
	}
	return false
}

// status is an enhanced status code, class.subject.detail; ok is false
// when there was none (or it was not one).
type status struct {
	class, subject, detail int
	ok                     bool
}

func parseStatus(s string) status {
	p := strings.Split(strings.TrimSpace(s), ".")
	if len(p) != 3 {
		return status{}
	}
	var n [3]int
	for i, f := range p {
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 || v > 999 || len(f) > 3 {
			return status{}
		}
		n[i] = v
	}
	if n[0] != 2 && n[0] != 4 && n[0] != 5 {
		return status{}
	}
	return status{n[0], n[1], n[2], true}
}

// is reports whether the status is x.subject.detail.
func (s status) is(subject, detail int) bool {
	return s.ok && s.subject == subject && s.detail == detail
}

// noReply is the cause of a failure without a reply at stage.
func noReply(stage string) Cause {
	switch stage {
	case "dial", "greeting", "ehlo", "auth", "mail", "rcpt", "data", "rset", "quit":
		return Unreachable
	case "tls":
		return TLSFailed
	case "capture":
		return Temporary
	}
	return Unknown
}

// byStage decides for the stages at which any refusal has one subject:
// AUTH refuses the login, STARTTLS refuses TLS.
func byStage(r reply) Cause {
	switch r.stage {
	case "auth":
		switch {
		case r.st.is(7, 10), r.st.is(7, 11), r.code == 538, r.tls():
			return TLSFailed
		case r.code == 421 && !r.has("auth", "login", "password"):
			return Unreachable
		case r.st.is(7, 139):
			return SMTPAuthDisabled // Microsoft: SmtpClientAuthentication is disabled
		case r.st.is(7, 3):
			return OAuthPermission // Microsoft: the token lacks SMTP.SendAsApp, scope or mailbox rights
		case r.st.is(7, 30) && r.has("basic auth"):
			return BasicAuthOff
		}
		return LoginRefused
	case "tls":
		if r.code == 421 {
			return Unreachable
		}
		return TLSFailed
	}
	return ""
}

// byList decides for greylisting and DNS blocklists, whatever the codes.
func byList(r reply) Cause {
	switch {
	case r.temp && r.has(words.greylist...):
		return Temporary
	case r.has(words.blocklist...), r.st.ok && r.st.subject == 7 && r.st.detail >= 606 && r.st.detail <= 649:
		return Blocklisted
	}
	return ""
}

// byStatus decides from an enhanced code that has one meaning. It returns
// "" for the codes that leave it open (x.0.0, x.1.0, x.7.0, x.7.1, …).
func byStatus(r reply) Cause {
	s := r.st
	if !s.ok {
		return ""
	}
	switch s.subject {
	case 1: // addressing
		switch {
		case s.detail == 3 || s.detail == 7: // bad syntax
			return BadAddress
		case s.detail == 8, r.stage == "mail" && s.detail != 0, r.has(words.sender...):
			return SenderRefused
		case s.detail == 1 || s.detail == 2 || s.detail == 6 || s.detail == 10:
			return AddressUnknown
		case s.detail != 0:
			return BadAddress
		}
	case 2: // mailbox
		switch s.detail {
		case 1:
			if r.temp {
				if r.has(words.quota...) {
					return QuotaExceeded
				}
				return Temporary // receiving mail too quickly
			}
			return MailboxDisabled
		case 2:
			if r.has("submission", "sending") {
				return QuotaExceeded // Microsoft's submission quota
			}
			return MailboxFull
		case 3:
			return MessageTooLarge
		}
	case 3: // mail system
		if s.detail == 4 {
			return MessageTooLarge
		}
	case 4: // network and routing
		switch {
		case s.detail == 1 && !r.temp && r.stage == "rcpt":
			return AddressUnknown // Microsoft: "Recipient address rejected: Access denied"
		case s.detail == 4 && !r.temp:
			return AddressUnknown // unroutable
		case s.detail == 5 && !r.temp:
			return QuotaExceeded // Gmail: daily user sending limit
		}
	case 5: // protocol
		if s.detail == 3 {
			return QuotaExceeded // too many recipients
		}
	case 6: // content
		return ContentRefused
	case 7: // security and policy
		return bySecurityStatus(r)
	}
	return ""
}

// bySecurityStatus decides from an x.7.x code (RFC 3463, RFC 4954, RFC
// 7372 and Microsoft's).
func bySecurityStatus(r reply) Cause {
	d := r.st.detail
	switch d {
	case 4, 5, 6, 10, 11:
		return TLSFailed
	case 7, 512:
		return ContentRefused
	case 8, 12, 14, 139:
		return LoginRefused
	case 13: // user account disabled
		if r.stage == "rcpt" {
			return MailboxDisabled
		}
		return LoginRefused
	case 9, 20, 21, 22, 23, 24, 26, 27, 28, 350, 509:
		return SpamPolicy // SPF, DKIM, DMARC, "not accepted for policy reasons"
	case 16:
		return MessageTooLarge
	case 17, 18, 19:
		return AddressUnknown
	case 25, 506:
		return ClientRefused // no reverse DNS; a bad HELO
	case 30:
		if r.has("basic auth") {
			return BasicAuthOff // Microsoft: basic authentication not supported
		}
		if r.has("auth") {
			return LoginRefused
		}
		return TLSFailed // REQUIRETLS
	case 57:
		return AuthRequired
	case 60, 501, 502, 503, 750:
		return SenderRefused // send-as denied; a banned or unregistered sender
	case 64:
		return RelayingDenied
	case 508, 511, 513, 708:
		return Blocklisted
	case 705:
		return QuotaExceeded // the tenant's threshold
	}
	if r.temp && d >= 500 && d <= 699 {
		return QuotaExceeded // Microsoft: 4.7.500-699, server busy
	}
	return ""
}

// byWords decides from the reply's text, for codes that leave the meaning
// open. The order matters: "unusual rate of unsolicited mail" is a rate
// before it is spam, a sender verification that names an unrouteable
// address is about the sender, and "unauthenticated email … DMARC" is a
// spam rule, not a login.
func byWords(r reply) Cause {
	switch {
	case r.has(words.quota...):
		return QuotaExceeded
	case r.tls():
		return TLSFailed
	case r.has(words.client...):
		return ClientRefused
	case r.has("relaying") && !r.has(words.allowed...), r.has("relay") && r.has(words.denied...):
		return RelayingDenied
	case r.has(words.authChecks...):
		return SpamPolicy
	case r.has(words.sender...):
		return SenderRefused
	case r.has(words.authRequired...):
		return AuthRequired
	case r.has(words.unknown...):
		if r.stage == "mail" {
			return SenderRefused
		}
		return AddressUnknown
	case r.has(words.disabled...):
		if r.stage == "mail" {
			return SenderRefused
		}
		return MailboxDisabled
	case r.has(words.full...):
		return MailboxFull
	case r.has(words.size...):
		return MessageTooLarge
	case r.has(words.content...):
		return ContentRefused
	case r.has(words.spam...):
		return SpamPolicy
	}
	return ""
}

// byCode decides from the reply code and the stage.
func byCode(r reply) Cause {
	switch r.code {
	case 421:
		if r.st.ok && r.st.subject == 7 && !r.has(words.busy...) {
			return QuotaExceeded // "421 4.7.0 Try again later, closing connection"
		}
		return Unreachable
	case 530:
		return AuthRequired
	case 534, 535:
		return LoginRefused
	case 538:
		return TLSFailed
	}
	switch {
	case (r.stage == "greeting" || r.stage == "ehlo") && !r.temp:
		return ClientRefused
	case r.st.ok && r.st.subject == 7 && !r.temp:
		if r.stage == "mail" {
			return SenderRefused
		}
		return SpamPolicy
	}
	switch r.code {
	case 552:
		if r.stage == "rcpt" {
			return MailboxFull // RFC 5321: exceeded storage allocation
		}
		return MessageTooLarge
	case 553:
		switch r.stage {
		case "mail":
			return SenderRefused
		case "rcpt":
			return BadAddress
		}
	}
	return ""
}

// words are the words byWords and others look for, in lower case.
var words = struct {
	greylist, blocklist, quota, busy, tls, client, allowed, denied, authChecks,
	sender, authRequired, unknown, disabled, full, size, content, spam []string
}{
	greylist: []string{"greylist", "graylist", "grey-list", "gray-list"},
	blocklist: []string{"spamhaus", "spamcop", "barracuda", "sorbs", "uceprotect", "spamrats", "psbl",
		"dnsbl", "blocked using", "listed at", "black list", "blacklist", "blocklist", "block list",
		"banned sending ip", "(s3150)", "[bl21]", "[bl22]", "[bl23]"},
	quota: []string{"sending limit", "sending quota", "submission quota", "submissionquota",
		"submission rate", "sending rate", "rate limit", "ratelimit", "unusual rate", "rate of",
		"too many recipients", "too many messages", "too many connections", "too many concurrent",
		"unexpected volume", "exceeded threshold", "has exceeded the configured limit",
		"relay limit", "max message per connection", "messages per connection"},
	busy: []string{"system problem", "server busy", "too busy", "not available", "shutting down"},
	tls:  []string{"starttls", "encryption required", "requires encryption", "must use encryption"},
	client: []string{"client host rejected", "helo command rejected", "ehlo command rejected",
		"the ip you're using", "ptr record", "reverse dns", "reverse lookup", "rdns",
		"not in whitelist", "not whitelisted"},
	allowed: []string{"relaying allowed"},
	denied: []string{"denied", "not permitted", "not allowed", "unable to relay", "prohibited",
		"not authorized", "not authorised", "do not relay", "don't relay", "refused", "rejected"},
	authChecks: []string{"dmarc", "spf", "dkim", "unauthenticated email", "unauthenticated mail",
		"authentication information", "authentication checks", "sender policy framework"},
	sender: []string{"sender address rejected", "sender verify failed", "sender verification failed",
		"sender rejected", "sender denied", "sender not allowed", "sender is not allowed",
		"not owned by user", "send as", "send-as", "sendas", "on behalf", "domain of sender address",
		"unregistered domain", "sender address is not allowed", "sender is not authorized"},
	authRequired: []string{"authentication required", "authentication is required", "auth required",
		"not authenticated", "must authenticate", "please authenticate", "requires authentication",
		"need to authenticate", "login required"},
	unknown: []string{"user unknown", "unknown user", "no such user", "no such recipient",
		"no such mailbox", "unknown recipient", "recipient unknown", "invalid recipient",
		"recipient not found", "mailbox not found", "mailbox unavailable", "mailbox does not exist",
		"does not exist", "doesn't exist", "unrouteable", "unroutable", "doesn't have a",
		"does not have an account", "addressee unknown"},
	disabled: []string{"disabled", "deactivated", "inactive", "suspended", "discontinued"},
	full: []string{"mailbox full", "mailbox is full", "full mailbox", "over quota", "quota exceeded",
		"exceeded storage", "storage allocation", "mailbox size", "out of storage"},
	size: []string{"too large", "too big", "size limit", "message size", "size exceeds",
		"exceeds the maximum", "maximum message size", "message length", "exceeds maximum"},
	content: []string{"smtputf8", "utf8", "utf-8", "8bit", "8-bit", "non-ascii", "international"},
	spam: []string{"spam", "policy", "policies", "content", "virus", "malware", "unsolicited",
		"phish", "suspicious", "reputation", "junk"},
}

// wordTLS finds TLS as a word ("TLS required for RCPT domain").
var wordTLS = regexp.MustCompile(`\btls\b`)

// tls reports whether the text speaks of TLS.
func (r reply) tls() bool { return r.has(words.tls...) || wordTLS.MatchString(r.text) }
