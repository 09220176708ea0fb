package daily

import (
	"strconv"
	"strings"
)

// cause sorts a refused recipient by what the librarian or IT must do, from
// the reply the journal recorded: "550 5.1.1 <a@b>: user unknown", or, for
// a refusal that was not an SMTP reply, spoolgate's own words ("smtp
// (host:25): dial: connection refused"). It follows gateway.Explain, which
// words the same cases in English for the .BAD.txt files; the report words
// them in its own language.
func cause(reply string) string {
	code, enh := parseReply(reply)
	low := strings.ToLower(reply)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(low, w) {
				return true
			}
		}
		return false
	}
	switch {
	case strings.TrimSpace(reply) == "":
		return "unknown"
	case code == 535 || code == 530 || strings.HasPrefix(enh, "5.7.8") || strings.HasPrefix(enh, "5.7.0") && has("auth"):
		return "login"
	case strings.HasPrefix(enh, "5.1.1") || has("user unknown", "no such user", "does not exist", "unknown user", "mailbox unavailable"):
		return "no-such-address"
	case strings.HasPrefix(enh, "5.1."):
		return "bad-address"
	case strings.HasPrefix(enh, "5.7.1") && has("relay"), code >= 500 && has("relaying denied", "relay access denied", "relay not permitted"):
		return "relay-denied"
	case strings.HasPrefix(enh, "5.3.4"), strings.HasPrefix(enh, "5.2.3"), has("too large", "too big", "size limit", "exceeds", "larger than"):
		return "too-large"
	case strings.HasPrefix(enh, "5.2.2"), has("mailbox full", "quota", "over quota", "insufficient storage"):
		return "mailbox-full"
	case strings.HasPrefix(enh, "5.7."), has("spam", "policy", "blocked", "blacklist", "blocklist"):
		return "policy"
	case strings.HasPrefix(enh, "5.6."), has("smtputf8", "international"):
		return "content"
	case code >= 400 && code < 500, code == 0 && has("dial", "connect", "timeout", "timed out", "unreachable", "refused", "reset", "eof", "tls", "certificate"):
		// A temporary failure that became final: retry_for ran out.
		return "gave-up"
	case code >= 500:
		return "refused"
	}
	return "unknown"
}

// parseReply reads the reply code and the enhanced status code at the
// start of an SMTP reply; 0 and "" when there are none.
func parseReply(reply string) (code int, enhanced string) {
	f := strings.Fields(reply)
	if len(f) == 0 {
		return 0, ""
	}
	c := strings.TrimRight(f[0], "-")
	if len(c) != 3 {
		return 0, ""
	}
	n, err := strconv.Atoi(c)
	if err != nil || n < 200 || n > 599 {
		return 0, ""
	}
	if len(f) > 1 {
		if p := strings.Split(f[1], "."); len(p) == 3 && (p[0] == "4" || p[0] == "5" || p[0] == "2") {
			enhanced = f[1]
		}
	}
	return n, enhanced
}
