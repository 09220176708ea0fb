package gateway

import (
	"fmt"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/spool"
)

// badReason is the reason a refused file is set aside with: the typed
// facts that spool records in the .BAD.txt file, and the text a librarian
// reads first, rendered from the cause in [log] language. Nothing here
// reads reply text: what a reply means was decided once, by cause.Of.
func (g *Gateway) badReason(e spool.Entry, f failure) spool.Reason {
	r := spool.Reason{
		File: e.Orig, Key: e.Key, At: g.now(), Cause: string(f.Cause),
		Server: f.Server, Reply: f.Reply, Limit: f.Detail,
	}
	for _, rc := range f.Recipients {
		r.Recipients = append(r.Recipients, spool.RecipientReason{Address: rc.Address, Cause: rc.Cause, Reply: rc.Reply})
	}
	r.Text = BadText(g.cfg.Log.Language, r)
	return r
}

// BadText renders the part of a .BAD.txt file that people read, in the
// language lang: what happened and what to do (from the cause), the
// relay's exact reply, what spoolgate found itself (r.Limit, already in
// lang), every refused recipient with the relay's reply about it, and the
// one way to send the file again.
func BadText(lang string, r spool.Reason) string {
	w := wordsFor(lang)
	var b strings.Builder
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s %s\r\n", label, oneLine(value))
		}
	}
	b.WriteString(w.BadHead + "\r\n\r\n")
	meaning, action := cause.Explain(lang, cause.Cause(r.Cause))
	line(w.What, meaning)
	line(w.ToDo, action)
	b.WriteString("\r\n")
	line(w.File, r.File)
	line(w.When, r.At.Format("2006-01-02 15:04:05 -0700"))
	line(w.Server, r.Server)
	line(w.Reply, r.Reply)
	line(w.Detail, r.Limit)
	if len(r.Recipients) > 0 {
		fmt.Fprintf(&b, "%s\r\n", w.Refused)
		for _, rc := range r.Recipients {
			label := cause.Label(lang, cause.Cause(rc.Cause))
			if reply := oneLine(rc.Reply); reply != "" {
				fmt.Fprintf(&b, "  %s: %s (%s)\r\n", oneLine(rc.Address), label, reply)
			} else {
				fmt.Fprintf(&b, "  %s: %s\r\n", oneLine(rc.Address), label)
			}
		}
	}
	fmt.Fprintf(&b, "\r\n%s\r\n", fmt.Sprintf(w.Retry, spool.RetryCommand(r.File)))
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
