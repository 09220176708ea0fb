package relay

import (
	"errors"
	"fmt"

	"github.com/spoolgate/spoolgate/gateway/cause"
)

// Conditions a refusal can name, so that a troubleshooter can tell them
// apart with errors.Is. The *Error that carries one is permanent, like
// every refusal.
var (
	// ErrNoSTARTTLS: security = starttls, and the server does not offer it.
	ErrNoSTARTTLS = errors.New("the server does not offer STARTTLS")
	// ErrNoAUTH: a username is set, and the server does not offer AUTH.
	ErrNoAUTH = errors.New("the server does not offer AUTH")
	// ErrNoAuthMechanism: the server offers AUTH, but none of PLAIN, LOGIN
	// and CRAM-MD5.
	ErrNoAuthMechanism = errors.New("the server offers no AUTH mechanism spoolgate speaks")
	// ErrPlaintextAuth: the password would go out unencrypted to a server
	// that is not on this machine, which spoolgate never does.
	ErrPlaintextAuth = errors.New("spoolgate never sends a password unencrypted")
	// ErrTooLarge: the message is larger than the server's SIZE; the
	// refusal names the limit, and is a *SizeLimit.
	ErrTooLarge = errors.New("the message is larger than the server accepts")
	// ErrNoSMTPUTF8: an address is not ASCII, and the server does not
	// offer SMTPUTF8.
	ErrNoSMTPUTF8 = errors.New("the server does not offer SMTPUTF8")
	// ErrNoRecipients: the delivery names no recipient.
	ErrNoRecipients = errors.New("the message has no recipients")
	// ErrLineBreak: an address contains a line break, which would smuggle
	// a command into the session.
	ErrLineBreak = errors.New("an address contains a line break")
	// ErrBadAddress: an address is not one an SMTP path can hold (a space,
	// an angle bracket, a control character, a domain literal that is no
	// address): on the wire it could end the path early and smuggle
	// parameters into the command. A refused recipient is refused for
	// good; a refused sender refuses the message.
	ErrBadAddress = errors.New("the address is not a valid SMTP path")
)

// kindRefusal is a refusal that errors.Is finds as one of the conditions
// above. Its message is the refusal's, and Classify sees a refusal.
type kindRefusal struct {
	refusal
	kind error
}

func (r kindRefusal) Unwrap() []error { return []error{r.refusal, r.kind} }

// SizeLimit is the refusal of a message larger than the server's SIZE,
// as facts, so that a caller can word it in its reader's language:
// errors.As finds it in the *Error Send returns, and errors.Is finds
// ErrTooLarge there. Its Error is the English words, for the log file:
// "the relay accepts at most 10 MB (SIZE 10485760); this message is 12.3
// MB".
type SizeLimit struct {
	Size int64 // the message as it would go out, in bytes
	Max  int64 // the server's SIZE, in bytes
}

func (s *SizeLimit) Error() string {
	size, max := sizeText(s.Size), sizeText(s.Max)
	if size == max {
		size += fmt.Sprintf(" (%d bytes)", s.Size)
	}
	return fmt.Sprintf("the relay accepts at most %s (SIZE %d); this message is %s", max, s.Max, size)
}

// Unwrap makes it a refusal, which Classify sees, of the condition
// ErrTooLarge.
func (s *SizeLimit) Unwrap() []error { return []error{refusal(s.Error()), ErrTooLarge} }

// refusalCauses are the causes of the conditions above.
var refusalCauses = []struct {
	kind  error
	cause cause.Cause
}{
	{ErrNoSTARTTLS, cause.TLSFailed},
	{ErrPlaintextAuth, cause.TLSFailed},
	{ErrNoAUTH, cause.LoginRefused},
	{ErrNoAuthMechanism, cause.LoginRefused},
	{ErrNoOAuthMechanism, cause.LoginRefused},
	{ErrTooLarge, cause.MessageTooLarge},
	{ErrNoSMTPUTF8, cause.ContentRefused},
	{ErrNoRecipients, cause.NoRecipients},
	{ErrLineBreak, cause.BadAddress},
	{ErrBadAddress, cause.BadAddress},
}

// plainRefusals are the causes of the refusals Send makes without naming a
// condition, by their exact words. TestClassify_SessionRefusals holds
// them to what Send says; a refusal that names its condition
// (kindRefusal) needs no entry here.
var plainRefusals = map[refusal]cause.Cause{
	"the message has no recipients":                                  cause.NoRecipients,
	"the sender address contains a line break":                       cause.BadAddress,
	"the address contains a line break":                              cause.BadAddress,
	"the relay does not support international (non-ASCII) addresses": cause.ContentRefused,
}

// refusalCause is what the refusal r, found in err, means: its condition's
// cause, else its words', else a refusal.
func refusalCause(err error, r refusal) cause.Cause {
	for _, k := range refusalCauses {
		if errors.Is(err, k.kind) {
			return k.cause
		}
	}
	if c, ok := plainRefusals[r]; ok {
		return c
	}
	return cause.Refused
}
