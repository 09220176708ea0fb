// Package relay hands messages to SMTP relays, or captures them to a folder.
//
// A Session is one worker's connection to the first reachable server of a
// config.Server chain. It connects lazily, keeps the connection for many
// messages, reconnects when the server closes it, and fails over down the
// chain when a server can't be reached, its TLS fails, it refuses the
// greeting or it refuses the login. A refused message is an answer, not a
// reason to fail over.
//
// Every failure is an *Error, whose Permanent and Cause fields are set in
// one place (Classify): a 5xx reply is permanent; a 4xx reply, a network
// error or a time-out is temporary; and the Cause, decided by package
// cause, says what it means. ErrUnreachable says that no server in the
// chain could be reached, so nothing was attempted.
//
// This package never touches the queue folder.
package relay

import (
	"context"
	"errors"

	"github.com/spoolgate/spoolgate/gateway/cause"
)

// ErrUnreachable is wrapped by the error Send or Connect returns when no
// server in the chain could be reached; no message was attempted.
var ErrUnreachable = errors.New("no relay server could be reached")

// Delivery is one message to hand over.
type Delivery struct {
	From      string   // envelope sender
	To        []string // recipients still to deliver
	Data      []byte   // the message, CRLF, not dot-stuffed, 7-bit headers
	DataUTF8  []byte   // variant for an SMTPUTF8 relay, or nil
	NeedsUTF8 bool     // an address is not ASCII: the relay must offer SMTPUTF8
	EightBit  bool     // the body has 8-bit bytes
}

// Result is the relay's answer to a Delivery that reached DATA or was
// refused per recipient.
type Result struct {
	Server   string            // the server that answered: "NAME (host:port)"
	Reply    string            // the final reply, e.g. "250 2.0.0 Ok: queued as 4F2A1"
	QueueID  string            // the relay's queue id parsed from Reply, or ""
	Accepted []string          // recipients the relay accepted the message for
	Refused  map[string]*Error // recipients refused for good (5xx at RCPT)
	Deferred map[string]*Error // recipients refused for now (4xx at RCPT)
}

// Error is a failed step of a delivery.
type Error struct {
	Permanent bool        // true for a 5xx reply and for what can never succeed
	Cause     cause.Cause // what it means, never "": cause.Of for a reply, else from the error
	Server    string      // "NAME (host:port)", or "" before a server was chosen
	Stage     string      // dial, tls, greeting, ehlo, auth, mail, rcpt, data, capture
	Code      int         // the SMTP reply code, or 0
	Enhanced  string      // the enhanced status code, e.g. "5.1.1", or ""
	Reply     string      // the server's reply as it was sent, or ""
	Err       error       // the error underneath
}

func (e *Error) Error() string {
	s := e.Stage
	if e.Server != "" {
		s = e.Server + ": " + s
	}
	if e.Reply != "" {
		return s + ": " + e.Reply
	}
	if e.Err != nil {
		return s + ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed.
func (e *Error) Temporary() bool { return !e.Permanent }

// Sender hands deliveries to a relay. A Sender is used by one goroutine.
type Sender interface {
	// Connect makes sure a server is ready to take a message, connecting
	// down the chain if needed. It returns an error wrapping ErrUnreachable
	// when no server could be reached.
	Connect(ctx context.Context) error
	// Send delivers d. A nil error means the relay answered DATA with 2xx
	// for the recipients in Result.Accepted (some may be refused or
	// deferred). An error wrapping ErrUnreachable means nothing was
	// attempted. Any other error is an *Error for the whole message.
	Send(ctx context.Context, d *Delivery) (*Result, error)
	// Close ends the session politely (QUIT) and releases the connection.
	Close() error
}
