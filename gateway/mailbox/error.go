package mailbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/oauth"
)

// Sentinel errors, wrapped by an *Error, for the conditions a caller tests
// with errors.Is.
var (
	// ErrLoginRefused: the server refused the username and password, or
	// the access token.
	ErrLoginRefused = errors.New("login refused")
	// ErrCertificate: the server's certificate could not be verified.
	ErrCertificate = errors.New("certificate not trusted")
	// ErrNoTLS: security = starttls, and the server does not offer
	// STARTTLS; or security = none to a host that is not loopback.
	ErrNoTLS = errors.New("no TLS")
	// ErrNoMechanism: the server offers no login spoolgate can use
	// (LOGINDISABLED without AUTH=PLAIN, or neither XOAUTH2 nor
	// OAUTHBEARER with auth = oauth2).
	ErrNoMechanism = errors.New("no usable login mechanism")
	// ErrNoFolder: the folder to read does not exist.
	ErrNoFolder = errors.New("no such folder")
	// ErrNoMove: the server offers neither MOVE nor UIDPLUS, so a message
	// can't be moved without a plain EXPUNGE, which spoolgate never sends.
	ErrNoMove = errors.New("neither MOVE nor UIDPLUS offered")
	// ErrNotFound: the message (UID) is no longer in the folder, for
	// example because it was moved already.
	ErrNotFound = errors.New("no such message")
	// ErrProtocol: the server sent something this client can't read, or
	// a reply over the bound.
	ErrProtocol = errors.New("IMAP protocol error")
)

// Error is a failed operation on the bounce mailbox. It never holds a
// password or a token.
type Error struct {
	Server string // host:port
	Op     string // connect, tls, login, select, fetch, move, create, …
	// Reply is the server's reply, e.g. "NO [AUTHENTICATIONFAILED]
	// Authentication failed.", or "" when there was none.
	Reply string
	// Permanent: retrying as it is will not help until the configuration
	// or the mailbox changes (a refused login, an untrusted certificate, a
	// missing folder). A network error, a time-out, a BYE and a NO with
	// UNAVAILABLE, INUSE, LIMIT or SERVERBUG are temporary.
	Permanent bool
	// Hint says what to do, in plain words; may be "".
	Hint string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("bounce mailbox " + e.Server + ": ")
	b.WriteString(e.what())
	if e.Reply != "" {
		b.WriteString(" (" + e.Reply + ")")
	} else if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString(": " + e.Hint)
	}
	return b.String()
}

func (e *Error) what() string {
	switch {
	case errors.Is(e.Err, ErrLoginRefused):
		return "the server refused the login"
	case errors.Is(e.Err, ErrCertificate):
		return "the server's certificate is not trusted"
	default:
		return e.Op + " failed"
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether waiting and trying again may help.
func (e *Error) Temporary() bool { return !e.Permanent }

// IsPermanent reports whether err is an *Error that is permanent: false
// for nil and for any other error.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// replyError is a tagged NO or BAD, or an untagged BYE.
type replyError struct {
	status string // NO, BAD, BYE
	code   string // the response code, e.g. "AUTHENTICATIONFAILED", or ""
	text   string // the whole reply after the tag, bounded
}

func (e *replyError) Error() string { return e.text }

// temporaryCodes are the response codes (RFC 5530) of a NO that may pass.
var temporaryCodes = map[string]bool{"UNAVAILABLE": true, "INUSE": true, "LIMIT": true, "SERVERBUG": true, "EXPUNGEISSUED": true}

// classify makes the *Error for err, which happened at op. It is the one
// place that decides whether a failure is permanent.
func (b *Box) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Server: b.addr, Op: op, Err: err}
	var re *replyError
	var oe *oauth.Error
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	var tve *tls.CertificateVerificationError
	var ne net.Error
	switch {
	case errors.As(err, &re):
		e.Reply = re.text
		e.Permanent = re.status != "BYE" && !temporaryCodes[re.code]
		if op == "login" && e.Permanent {
			e.Err = fmt.Errorf("%w: %w", ErrLoginRefused, err)
			e.Hint = b.loginHint()
		}
		if op == "select" && e.Permanent {
			e.Err = fmt.Errorf("%w: %w", ErrNoFolder, err)
			e.Hint = fmt.Sprintf("check [bounces] folder (%q) exists in the mailbox", b.folder)
		}
	case errors.As(err, &oe):
		e.Permanent = !oe.Temporary
		e.Hint = "check the oauth_* keys of [bounces]; the app needs the IMAP permission (Microsoft 365: IMAP.AccessAsApp; Google: scope https://mail.google.com/)"
	case errors.As(err, &tve), errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &cie):
		e.Permanent = true
		e.Err = fmt.Errorf("%w: %w", ErrCertificate, err)
		e.Hint = "set [bounces] ca_file to the CA that signed it, or check the host name in [bounces] imap"
	case errors.Is(err, ErrNoTLS), errors.Is(err, ErrNoMechanism), errors.Is(err, ErrNoMove):
		e.Permanent = true
	case errors.Is(err, ErrNotFound):
		e.Permanent = true
	case errors.Is(err, context.Canceled):
		e.Permanent = false
	case errors.As(err, &ne):
		e.Permanent = false
		if ne.Timeout() {
			e.Hint = "the server did not answer in time; it is tried again at the next pass"
		}
	default:
		e.Permanent = false // when in doubt: temporary, tried again at the next pass
	}
	return e
}

// loginHint says what to check after a refused login.
func (b *Box) loginHint() string {
	if b.oauth {
		return "check [bounces] username and the oauth_* keys; the app needs the IMAP permission " +
			"(Microsoft 365: IMAP.AccessAsApp and a mailbox permission; Google: scope https://mail.google.com/)"
	}
	if b.passwordFile != "" {
		return "check [bounces] username and password_file (" + b.passwordFile + "); an account with two-step sign-in needs an app password"
	}
	return "check [bounces] username and password; an account with two-step sign-in needs an app password"
}
