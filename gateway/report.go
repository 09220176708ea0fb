package gateway

import (
	"fmt"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/relay"
)

// badReport is what goes into a .BAD.txt file: plain words first, the
// technical detail after.
type badReport struct {
	File   string // the name the file had in the queue
	Key    string // its claim key, so a retry keeps its history
	At     time.Time
	Server string // the server that answered, or ""
	Reply  string // its exact reply, or ""
	Reason string // what happened, in plain words
	Action string // what to do about it
	Detail string // technical detail for a bug report, or ""
}

func (r badReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "spoolgate could not send this message and will not try again.\r\n\r\n")
	fmt.Fprintf(&b, "File:     %s\r\n", r.File)
	if r.Key != "" {
		fmt.Fprintf(&b, "Key:      %s\r\n", r.Key)
	}
	fmt.Fprintf(&b, "When:     %s\r\n", r.At.Format("2006-01-02 15:04:05 -0700"))
	if r.Server != "" {
		fmt.Fprintf(&b, "Server:   %s\r\n", r.Server)
	}
	if r.Reply != "" {
		fmt.Fprintf(&b, "Reply:    %s\r\n", oneLine(r.Reply))
	}
	fmt.Fprintf(&b, "\r\nWhat happened: %s\r\n", r.Reason)
	if r.Action != "" {
		fmt.Fprintf(&b, "What to do:    %s\r\n", r.Action)
	}
	if r.Detail != "" {
		fmt.Fprintf(&b, "Detail:        %s\r\n", oneLine(r.Detail))
	}
	fmt.Fprintf(&b, "\r\nTo send it again once the cause is fixed, rename the .BAD file back to its original name.\r\n")
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// reportFor explains a relay's permanent refusal in plain words.
func reportFor(e *relay.Error) badReport {
	r := badReport{Server: e.Server, Reply: replyOf(e)}
	r.Reason, r.Action = Explain(e)
	return r
}

// Explain turns a relay error into what it means and what to do, in words
// a librarian or an IT admin can act on.
func Explain(e *relay.Error) (meaning, action string) {
	enh := e.Enhanced
	reply := strings.ToLower(e.Reply)
	switch {
	case e.Stage == "auth":
		return "The mail relay refused spoolgate's login.",
			"Check [smtp] username and password, and that the account may send mail (spoolgate check shows the details)."
	case strings.HasPrefix(enh, "5.1.1") || strings.Contains(reply, "user unknown") || strings.Contains(reply, "no such user") || strings.Contains(reply, "does not exist"):
		return "The recipient's address does not exist.",
			"Correct the patron's e-mail address in the library system."
	case strings.HasPrefix(enh, "5.1."):
		return "The mail relay says an address in the message is wrong.",
			"Check the addresses in the file: the recipient, and the sender ([message] from or X-Sender)."
	case strings.HasPrefix(enh, "5.7.1") && (strings.Contains(reply, "relay") || e.Stage == "rcpt"):
		return "The mail relay does not allow this machine to send mail to this address (relaying denied).",
			"Ask IT to allow relaying from this machine's address on the mail relay, or configure a login ([smtp] username and password)."
	case strings.HasPrefix(enh, "5.7.") || strings.Contains(reply, "spam") || strings.Contains(reply, "policy"):
		return "The mail relay refused the message because of its security or spam policy.",
			"Show the reply above to IT: the relay's policy must allow this sender and this content."
	case strings.HasPrefix(enh, "5.3.4") || strings.HasPrefix(enh, "5.2.3") || strings.Contains(reply, "too large") || strings.Contains(reply, "size"):
		return "The message is larger than the mail relay accepts.",
			"Make the message smaller (send attachments as links) or ask IT to raise the relay's size limit."
	case strings.HasPrefix(enh, "5.2.2") || strings.Contains(reply, "mailbox full") || strings.Contains(reply, "quota"):
		return "The recipient's mailbox is full.",
			"Contact the patron another way (phone or print)."
	case strings.HasPrefix(enh, "5.6.") || strings.Contains(reply, "smtputf8") || strings.Contains(reply, "international"):
		return "The mail relay cannot carry this message's content or characters.",
			"Check the file's encoding; if the addresses contain non-English letters, the relay must support SMTPUTF8."
	case e.Code >= 500:
		return "The mail relay refused the message for good.",
			"Read the relay's reply above; if it is unclear, show it to IT."
	}
	return "The message could not be delivered.", "Read the reply above; if it is unclear, show it to IT."
}
