package relay

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/cause"
)

// refusal is a condition that can never succeed with this server (or, for
// a message, with this message), found by spoolgate itself rather than
// answered by the server: no STARTTLS where it is required, a message
// larger than the server's SIZE, an international address for a server
// without SMTPUTF8, a password that would go out unencrypted.
type refusal string

func (r refusal) Error() string { return string(r) }

// Classify turns err, from stage of a delivery to server, into an *Error,
// and is the one place that decides whether a failure is permanent:
//
//   - a 5xx reply (*smtp.SMTPError) is permanent, a 4xx reply temporary;
//   - a condition spoolgate found that can never succeed is permanent;
//   - network errors, time-outs and a connection closed early (EOF) are
//     temporary;
//   - a TLS certificate the server presents that does not verify is
//     temporary for the message: the session fails over to the next
//     server, and the message stays queued until the certificate is fixed;
//   - anything else is temporary.
//
// It also sets the *Error's Cause, once, for every view to render:
//
//   - a reply's is cause.Of(stage, code, enhanced code, text);
//   - a refusal's is its condition's: no STARTTLS and a password that
//     would go out unencrypted are tls-failed, no AUTH (or no mechanism
//     spoolgate speaks) login-refused, a message over the server's SIZE
//     message-too-large, an international address for a server without
//     SMTPUTF8 content-refused, no recipients no-recipients, an address
//     with a line break or that no SMTP path can hold bad-address;
//   - a certificate that does not verify, and any failure at stage "tls",
//     is tls-failed;
//   - a network error, a time-out, EOF or a reply longer than MaxReply
//     (ErrReplyTooLong, after which the connection is closed) is
//     unreachable (at "capture", temporary); a context cancelled
//     (spoolgate stopping) temporary;
//   - anything else unknown.
//
// An err that already is an *Error is returned as it is. Classify(nil, ...)
// is nil.
func Classify(err error, server, stage string) *Error {
	if err == nil {
		return nil
	}
	var done *Error
	if errors.As(err, &done) {
		return done
	}
	e := &Error{Server: server, Stage: stage, Err: err}
	var (
		se       *smtp.SMTPError
		r        refusal
		certErr  *tls.CertificateVerificationError
		hostErr  x509.HostnameError
		authErr  x509.UnknownAuthorityError
		validErr x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &se):
		e.Code = se.Code
		e.Enhanced = enhanced(se.EnhancedCode)
		e.Reply = formatReply(se)
		e.Permanent = se.Code >= 500 && se.Code <= 599
		e.Cause = cause.Of(stage, se.Code, e.Enhanced, se.Message)
	case errors.As(err, &r):
		e.Permanent = true
		e.Cause = refusalCause(err, r)
	case errors.As(err, &certErr), errors.As(err, &hostErr),
		errors.As(err, &authErr), errors.As(err, &validErr):
		e.Permanent = false
		e.Cause = cause.TLSFailed
	default: // network errors, time-outs, EOF, context ends, the unknown
		e.Permanent = false
		e.Cause = otherCause(err, stage)
	}
	return e
}

// otherCause is what an error that is neither a reply nor a refusal nor a
// certificate means at stage.
func otherCause(err error, stage string) cause.Cause {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return cause.Temporary // spoolgate is stopping; the message waits
	case stage == "dial", stage == "tls", stage == "capture",
		errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, ErrReplyTooLong),
		errors.Is(err, context.DeadlineExceeded):
		return cause.Of(stage, 0, "", "")
	}
	return cause.Unknown
}

// IsPermanent reports whether err is, or wraps, a permanent *Error. An
// error wrapping ErrUnreachable is never permanent, though the servers'
// own reasons in it may be: the next attempt may find a server that works.
func IsPermanent(err error) bool {
	if errors.Is(err, ErrUnreachable) {
		return false
	}
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// connGone reports whether, after err, the connection can't carry another
// command: anything but an SMTP reply, and the reply 421 (the server is
// closing the channel).
func connGone(err error) bool {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code == 421
	}
	return true
}

func enhanced(c smtp.EnhancedCode) string {
	if c == smtp.EnhancedCodeNotSet || c == smtp.NoEnhancedCode {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
}

// formatReply rebuilds the reply as the server sent it: go-smtp splits the
// enhanced code off the text.
func formatReply(se *smtp.SMTPError) string {
	if ec := enhanced(se.EnhancedCode); ec != "" {
		return fmt.Sprintf("%d %s %s", se.Code, ec, se.Message)
	}
	return fmt.Sprintf("%d %s", se.Code, se.Message)
}

// smtpError makes an *smtp.SMTPError of a reply read outside go-smtp,
// splitting off the enhanced code as go-smtp does.
func smtpError(code int, msg string) *smtp.SMTPError {
	se := &smtp.SMTPError{Code: code, Message: msg}
	first, rest, ok := strings.Cut(msg, " ")
	if !ok {
		return se
	}
	parts := strings.Split(first, ".")
	if len(parts) != 3 {
		return se
	}
	var ec smtp.EnhancedCode
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return se
		}
		ec[i] = n
	}
	se.EnhancedCode = ec
	se.Message = rest
	return se
}
