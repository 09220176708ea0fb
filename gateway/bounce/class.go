package bounce

import (
	"regexp"
	"strings"
)

// enhancedRe finds an enhanced status code (RFC 3463).
var enhancedRe = regexp.MustCompile(`\b[245]\.\d{1,3}\.\d{1,3}\b`)

// smtpCodeRe finds a basic SMTP reply code.
var smtpCodeRe = regexp.MustCompile(`\b[45]\d\d\b`)

// ClassOf classifies a failed delivery from its status code and the
// diagnostic text, in this one place:
//   - 5.1.x is hard (the address is wrong: 5.1.1, 5.1.10), except 5.1.7
//     and 5.1.8, which are about the sender and so are policy;
//   - 5.2.1 (mailbox disabled) is hard; 5.2.2 (mailbox full), 5.2.3 and
//     5.3.4 (too large) are soft;
//   - 5.7.x is policy: the library's mail was refused (spam filter,
//     SPF, DKIM, DMARC), not the address;
//   - Microsoft's 5.4.1 "Recipient address rejected" is hard, and so is
//     5.4.4 when the domain does not exist; other 5.4.x are soft;
//   - 4.x.x given up on is soft;
//   - a vague code (x.0.0, 5.1.0, 5.2.0, 5.5.0, or none) is read from the
//     words of the diagnostic, and is soft when those say nothing clear.
//
// A vague status is first sharpened by a specific code of the same
// class in the diagnostic ("5.0.0" with "550 5.1.1 User unknown").
// ClassOf never returns "".
func ClassOf(status string, diagnostic string) Class {
	code := enhancedRe.FindString(status)
	if code == "" || strings.HasSuffix(code, ".0.0") {
		if d := enhancedRe.FindString(diagnostic); d != "" && (code == "" || d[0] == code[0]) {
			code = d
		}
	}
	if code == "" {
		if c := smtpCodeRe.FindString(diagnostic); strings.HasPrefix(c, "4") {
			return Soft
		}
		return byWords(diagnostic, Soft)
	}
	if code[0] != '5' {
		return Soft
	}
	parts := strings.SplitN(code, ".", 3)
	subject, detail := parts[1], parts[2]
	d := strings.ToLower(diagnostic)
	switch subject {
	case "1":
		switch detail {
		case "7", "8":
			return Policy
		case "0":
			return byWords(diagnostic, Hard)
		}
		return Hard
	case "2":
		switch detail {
		case "1":
			return Hard
		case "0":
			return byWords(diagnostic, Soft)
		}
		return Soft
	case "4":
		switch {
		case detail == "1" && strings.Contains(d, "recipient address rejected"):
			return Hard
		case detail == "4" && containsAny(d, "host not found", "domain not found", "host or domain name not found", "nxdomain", "no mx"):
			return Hard
		}
		return Soft
	case "7":
		return Policy
	case "0", "5":
		return byWords(diagnostic, Soft)
	}
	return Soft
}

// byWords classifies by what a diagnostic says, else by def.
func byWords(diagnostic string, def Class) Class {
	d := strings.ToLower(diagnostic)
	switch {
	case containsAny(d, "spam", "blocked", "blacklist", "blocklist", "denylist", "policy", "dmarc", "spf", "dkim",
		"reputation", "sender address rejected", "relay access denied", "not permitted to relay", "junk"):
		return Policy
	case containsAny(d, "quota", "mailbox full", "mailbox is full", "insufficient storage", "too large",
		"size limit", "message size", "storage exceeded", "over the limit"):
		return Soft
	case containsAny(d, "user unknown", "unknown user", "no such user", "no such mailbox", "no mailbox",
		"mailbox not found", "recipient not found", "recipientnotfound", "does not exist", "doesn't exist",
		"invalid recipient", "invalid mailbox", "unknown recipient", "recipient unknown", "address rejected",
		"account disabled", "mailbox disabled", "account has been disabled", "no longer available",
		"not a valid mailbox", "unrouteable address", "unknown local part"):
		return Hard
	}
	return def
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
