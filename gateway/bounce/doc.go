// Package bounce reads one mail from the bounce mailbox and says what
// it is: a delivery status notification (and then, per recipient,
// what happened and how bad a failure is), an automatic reply, a read
// receipt, or something else. It also reads what identifies the
// original message the mail reports on, for the caller to match.
//
// # What it decides
//
// Read decides in this order, and the first that applies wins:
//
//  1. A report part. A message/delivery-status part (RFC 3464) or a
//     message/global-delivery-status part (RFC 6533, with UTF-8
//     addresses) makes the mail a dsn, read per recipient: Action,
//     Status, Final-Recipient, Original-Recipient, Diagnostic-Code and
//     Remote-MTA. A multipart/report of report-type delivery-status
//     whose recipients cannot be read is unreadable, never guessed at.
//     Real DSNs carry Auto-Submitted too: the report part wins.
//  2. A disposition-notification report (RFC 8098) is a read receipt.
//  3. A text bounce that can be read reliably is a dsn: qmail-send
//     bounces, Exchange text NDRs ("Delivery has failed to these
//     recipients or groups", with its section for administrators, and
//     the Exchange 2003 form), and, from a mailer daemon only, lines
//     that carry a reply code, an enhanced status code and an address
//     ("550 5.1.1 <jan@example.org>... User unknown"). Each recipient
//     must have an address and a status code, or it is left out.
//  4. Auto-reply markers make an automatic reply: Auto-Submitted other
//     than "no", X-Autoreply, X-Autorespond, Precedence auto_reply, and
//     subjects such as "Automatic reply:", "Out of Office", "Autosvar",
//     "Fraværende", "Automatyczna odpowiedź", "Automatická odpověď" and
//     "Автоматический ответ". A mail from a mailer daemon that reads like
//     a bounce is not taken for an automatic reply.
//  5. A mail that reads like a bounce (a mailer daemon, a bounce
//     subject, bounce wording) but could not be read is other, with Why
//     "looks like a bounce but could not be read": the caller files it
//     as unrecognised. Anything else is other: an ordinary reply.
//
// Only Action failed is a failure, and only it has a Class, decided
// once, by ClassOf: hard for the address (5.1.x, 5.2.1), soft for what
// may pass (5.2.2 mailbox full, 5.2.3 and 5.3.4 too large, 4.x.x, a
// vague reason), policy for refusals of the library mail (5.7.x).
// Delayed is not a failure; delivered, relayed and expanded are
// deliveries.
//
// The original is identified by the returned message/rfc822 or
// text/rfc822-headers part (or message/global, message/global-headers),
// or for a text bounce by the header it quotes: its Message-ID, its
// X-Spoolgate-Id, and its To.
//
// # What it never does
//
// It never reads the network, never looks at the journal or the spool,
// and never decides what to record: it reads bytes given to it and
// returns a Report. Matching the Report to a sent message is the
// caller's. Read never panics and bounds its work on any input: it
// reads the first MaxInput bytes, at most 64 MIME parts nested at most
// 8 deep, 256 KiB of each header, MaxRecipients recipients, and each
// text it returns is one line of bounded length.
//
// It uses the standard library (a lenient header and multipart reader
// of its own, so that a malformed mail still yields what can be read)
// and golang.org/x/text for the charsets of text bounces.
package bounce
