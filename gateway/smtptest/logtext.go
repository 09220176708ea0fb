package smtptest

import "strings"

// logLines returns the lines of log that hold every one of parts.
func logLines(log string, parts ...string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		ok := l != ""
		for _, part := range parts {
			ok = ok && strings.Contains(l, part)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// logGrep is the lines of log that hold part, each after a line break, or
// "": for a test's failure message.
func logGrep(log, part string) string {
	if l := logLines(log, part); len(l) > 0 {
		return "\n" + strings.Join(l, "\n")
	}
	return ""
}

// logTail is the end of log, n lines at most.
func logTail(log string, n int) string {
	l := strings.Split(strings.TrimRight(log, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
