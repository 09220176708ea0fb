// Package message reads one queued message file and prepares it for relay.
//
// The contract (docs/ils.md, "The message-file contract", is the long form):
//   - Recipients come from X-Receiver lines when present, else To, Cc and Bcc.
//   - The envelope sender is X-Sender when present, else Options.ReturnPath,
//     else Options.From.
//   - A missing From, Date or Message-ID header is added.
//   - X-Sender, X-Receiver, Bcc and X-Spoolgate-* headers are removed.
//   - Everything else goes out byte for byte: line endings become CRLF and
//     nothing else is re-encoded, except raw 8-bit header text, which is
//     decoded with the configured charset and sent as RFC 2047 encoded words
//     (or kept as UTF-8 for a relay that offers SMTPUTF8).
//   - A file that cannot be relayed faithfully yields an *Error, which is
//     always permanent: the caller quarantines the file with Error.Text in
//     the librarian's language, and logs Error in English. Its Detail
//     holds the facts; Detail.Text words them in each language of
//     [log] language.
//
// This package never touches the file system and never speaks SMTP.
package message

import (
	"time"

	"golang.org/x/text/encoding"
)

// Options are the settings Parse needs, taken from the validated config.
type Options struct {
	From       string            // [message] from: addr-spec
	FromName   string            // [message] from_name
	ReturnPath string            // [message] return_path, or "" for From
	CopyTo     string            // [message] copy_to: extra blind recipient, or ""
	Charset    string            // [spool] charset name, e.g. "windows-1252"
	Encoding   encoding.Encoding // [spool] charset decoder
	MaxSize    int64             // [spool] max_size in bytes; 0 = no limit
	Now        func() time.Time  // clock for an added Date; nil = time.Now
	IDSeed     string            // makes an added Message-ID stable for this seed (the claim key); "" = random
	// SpoolgateID, when set, is written as the X-Spoolgate-Id header (the
	// journal's key of the message), so that a bounce that returns the
	// original's headers names the message it reports on. Any
	// X-Spoolgate-Id the file carries is removed, as every X-Spoolgate-
	// header is.
	SpoolgateID string
}

// Message is a parsed message file, ready to relay.
type Message struct {
	Sender     string   // envelope sender (MAIL FROM), may be "" for a null sender
	Recipients []string // envelope recipients (RCPT TO), de-duplicated, in file order; CopyTo last
	MessageID  string   // the Message-ID header value (added when missing), without <>
	Subject    string   // decoded to UTF-8, for the journal and logs
	Kind       string   // X-Spoolgate-Kind, or ""
	Unit       string   // X-Spoolgate-Unit, or ""

	// Data is the message to send to a relay without SMTPUTF8: CRLF line
	// endings, headers added and removed, 8-bit header text as RFC 2047
	// encoded words. Not dot-stuffed.
	Data []byte
	// DataUTF8 is the same message with raw UTF-8 header text kept as UTF-8,
	// for a relay that offers SMTPUTF8. It is nil when Data can go as it is.
	DataUTF8 []byte
	// NeedsUTF8 is true when an envelope address, or an address (not a
	// display name) in a header, is not ASCII, so the relay must offer
	// SMTPUTF8. Such header addresses stay raw UTF-8 in Data too.
	NeedsUTF8 bool
	// EightBit is true when the body carries 8-bit bytes.
	EightBit bool
}

// Error is a reason a file cannot be relayed. It is always permanent.
//
// Its words come from Detail alone: Text in the librarian's language,
// Reason and Error in English for the log file, so no two of them can say
// different things.
type Error struct {
	Detail Detail // what is wrong, as facts
	// Cause is what the refusal means, an id of package cause
	// ("no-recipients", "bad-address", "message-too-large"); ""
	// means "not-a-message".
	Cause string
	Err   error // an underlying cause (in English), or nil
}

// Text is the Detail in lang (see Detail.Text), for the .BAD.txt file and
// the daily log. It leaves out Err, whose words are English.
func (e *Error) Text(lang string) string { return e.Detail.Text(lang) }

// Reason is the Detail in English, in plain words a librarian can act on.
func (e *Error) Reason() string { return e.Detail.Text("en") }

// Error is Reason, then Err when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Reason() + ": " + e.Err.Error()
	}
	return e.Reason()
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports false: a bad file stays bad until someone changes it.
func (e *Error) Temporary() bool { return false }
