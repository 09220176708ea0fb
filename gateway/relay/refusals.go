package relay

import "errors"

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
	ErrTooLarge      = errors.New("the message is larger than the server accepts")
)

// kindRefusal is a refusal that errors.Is finds as one of the conditions
// above. Its message is the refusal's, and Classify sees a refusal.
type kindRefusal struct {
	refusal
	kind error
}

func (r kindRefusal) Unwrap() []error { return []error{r.refusal, r.kind} }
