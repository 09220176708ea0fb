// Package cause is the one place that decides what an outcome means.
//
// A Cause is a stable identifier, such as "address-unknown" or
// "login-refused", for why a message or a recipient was not delivered. It
// is decided once, by Of from an SMTP reply (or by the caller for a
// condition it found itself: gateway/oauth's CauseOf names which token
// failure, oauth-secret-expired or another, a token endpoint's reply is),
// stored in the journal and the relay's health, and rendered from there
// by every view: .BAD.txt, queue, status, sent, check and the daily log.
// None of them reads reply text again; each quotes the relay's reply
// beside the cause's explanation.
//
// Of decides from the stage of the delivery, the reply code and the
// enhanced status code (RFC 3463), and reads the reply's text only where
// the codes leave the meaning open: 550 5.7.1 may be relaying denied, a
// DNS blocklist or a spam rule, and many servers send no enhanced code.
//
// HoldsQueue tells the causes that concern the login, the connection or
// the sender, which no message of the queue can get past, from those that
// concern one message or one recipient.
//
// Explain and Label word a cause for people, in the languages of
// [log] language.
//
// This package imports nothing of spoolgate's.
package cause

// Cause says why a message or a recipient was not delivered. The zero
// value "" is no cause; Of never returns it.
type Cause string

// The causes. Their strings are stored in the journal and printed by
// --json views: they never change.
const (
	// The recipient.
	AddressUnknown  Cause = "address-unknown"  // no such mailbox or domain (5.1.1, 5.1.10, …)
	MailboxDisabled Cause = "mailbox-disabled" // the mailbox exists but is disabled (5.2.1)
	BadAddress      Cause = "bad-address"      // an address that is not valid (5.1.3, a line break)
	MailboxFull     Cause = "mailbox-full"     // the recipient's mailbox is full (5.2.2)

	// The message.
	MessageTooLarge Cause = "message-too-large" // larger than the relay accepts (5.3.4, 5.2.3, SIZE)
	SpamPolicy      Cause = "spam-policy"       // refused by content, spam, SPF, DKIM or DMARC rules
	ContentRefused  Cause = "content-refused"   // a form the relay can't carry (5.6.x, SMTPUTF8)
	NoRecipients    Cause = "no-recipients"     // the file names no recipient
	NotAMessage     Cause = "not-a-message"     // the file is not a message spoolgate can read
	FileUnreadable  Cause = "file-unreadable"   // the file could not be read
	NotAFile        Cause = "not-a-file"        // a link, pipe, socket or device, or a name too long: never read

	// What the recipient's own mail system refused after the relay took
	// the message: a bounce (package bounces), as the daily log explains it.
	ReceiverPolicy   Cause = "receiver-policy"    // refused by its spam, SPF, DKIM or DMARC rules
	ReceiverTooLarge Cause = "receiver-too-large" // larger than it accepts

	// This machine, its login and its sender.
	RelayingDenied Cause = "relaying-denied" // the relay won't relay for this machine
	Blocklisted    Cause = "blocklisted"     // this machine's address is on a DNS blocklist
	ClientRefused  Cause = "client-refused"  // the relay refuses this machine (its name, address, HELO)
	SenderRefused  Cause = "sender-refused"  // the sender address is not allowed
	AuthRequired   Cause = "auth-required"   // the relay wants a login (530, 5.7.57)
	LoginRefused   Cause = "login-refused"   // the login failed (535, 5.7.8, 5.7.139)
	TLSFailed      Cause = "tls-failed"      // TLS failed, or is required and not there
	Unreachable    Cause = "unreachable"     // no connection, or it was lost
	QuotaExceeded  Cause = "quota-exceeded"  // a sending quota or rate (5.4.5, 4.5.3, 421 4.7.x)

	// OAuth2 ([smtp] auth = oauth2) and Microsoft's login replies.
	OAuthFailed      Cause = "oauth-failed"       // no access token could be had, for a reason none of the oauth- causes below names
	OAuthPermission  Cause = "oauth-permission"   // the token lacks the permission or scope (535 5.7.3)
	SMTPAuthDisabled Cause = "smtp-auth-disabled" // SMTP AUTH is off for the mailbox or tenant (5.7.139)
	BasicAuthOff     Cause = "basic-auth-off"     // password login is off: use OAuth2 (5.7.30)

	// A failure to get an access token from the token endpoint, as
	// gateway/oauth decides it from the provider's reply (CauseOf there).
	OAuthSecretWrong         Cause = "oauth-secret-wrong"          // AADSTS7000215: not a valid client secret
	OAuthSecretExpired       Cause = "oauth-secret-expired"        // AADSTS7000222: the client secret has expired
	OAuthAppUnknown          Cause = "oauth-app-unknown"           // AADSTS700016: no such application in the tenant
	OAuthConsentMissing      Cause = "oauth-consent-missing"       // AADSTS65001: admin consent not granted
	OAuthTenantUnknown       Cause = "oauth-tenant-unknown"        // AADSTS90002, AADSTS900023: no such tenant
	OAuthDelegationMissing   Cause = "oauth-delegation-missing"    // Google unauthorized_client: no domain-wide delegation
	OAuthKeyRefused          Cause = "oauth-key-refused"           // invalid_grant to a JWT-bearer assertion
	OAuthGrantRevoked        Cause = "oauth-grant-revoked"         // invalid_grant to a refresh token
	OAuthClientRefused       Cause = "oauth-client-refused"        // any other invalid_client
	OAuthScopeInvalid        Cause = "oauth-scope-invalid"         // invalid_scope, AADSTS70011, AADSTS1002012, AADSTS500011
	OAuthRefreshTokenMissing Cause = "oauth-refresh-token-missing" // the refresh-token file cannot be read
	OAuthRefreshTokenUnsaved Cause = "oauth-refresh-token-unsaved" // a new refresh token could not be written
	OAuthEndpointUnreachable Cause = "oauth-endpoint-unreachable"  // no reply: DNS, connect, TLS, time-out
	OAuthEndpointError       Cause = "oauth-endpoint-error"        // a 5xx, a 429, or a reply that is not a token
	OAuthEndpointRedirect    Cause = "oauth-endpoint-redirect"     // the token URL answered with a redirect
	OAuthTokenRefused        Cause = "oauth-token-refused"         // any other refusal by the token endpoint

	// Others.
	AlreadySent   Cause = "already-sent"   // the recipient got an identical message ([spool] dedupe_window)
	InternalError Cause = "internal-error" // spoolgate failed on the file: a bug
	Expired       Cause = "expired"        // temporary failures lasted past [spool] retry_for
	Temporary     Cause = "temporary"      // any other temporary failure (4xx)
	Refused       Cause = "refused"        // any other permanent refusal (5xx)
	Unknown       Cause = "unknown"        // nothing more is known
)

// all is every cause, in the order of the constants.
var all = []Cause{
	AddressUnknown, MailboxDisabled, BadAddress, MailboxFull,
	MessageTooLarge, SpamPolicy, ContentRefused, NoRecipients, NotAMessage, FileUnreadable, NotAFile,
	ReceiverPolicy, ReceiverTooLarge,
	RelayingDenied, Blocklisted, ClientRefused, SenderRefused, AuthRequired, LoginRefused,
	TLSFailed, Unreachable, QuotaExceeded,
	OAuthFailed, OAuthPermission, SMTPAuthDisabled, BasicAuthOff,
	OAuthSecretWrong, OAuthSecretExpired, OAuthAppUnknown, OAuthConsentMissing, OAuthTenantUnknown,
	OAuthDelegationMissing, OAuthKeyRefused, OAuthGrantRevoked, OAuthClientRefused, OAuthScopeInvalid,
	OAuthRefreshTokenMissing, OAuthRefreshTokenUnsaved, OAuthEndpointUnreachable, OAuthEndpointError,
	OAuthEndpointRedirect, OAuthTokenRefused,
	AlreadySent, InternalError, Expired, Temporary, Refused, Unknown,
}

// All returns every cause, recipient causes first and Unknown last: the
// order in which a report lists them.
func All() []Cause { return append([]Cause(nil), all...) }

// Known reports whether c is one of the causes, as a cause read back from
// the journal should be.
func (c Cause) Known() bool {
	for _, k := range all {
		if c == k {
			return true
		}
	}
	return false
}

// HoldsQueue reports whether c concerns the login, the connection, this
// machine or the sender rather than one message or one recipient: every
// message of the queue would meet it. Such a failure holds the queue (it
// waits and tries again, and the relay is reported unavailable); only a
// cause for which HoldsQueue is false may set a file aside.
//
// A DNS blocklist listing and a refusal of this machine (client-refused)
// concern this machine's address, so they hold the queue too; so does
// every OAuth2 failure: a token that cannot be had, or one the relay finds
// lacking, would fail every message alike.
func (c Cause) HoldsQueue() bool {
	switch c {
	case AuthRequired, LoginRefused, TLSFailed, Unreachable, SenderRefused, QuotaExceeded,
		Blocklisted, ClientRefused, OAuthPermission, SMTPAuthDisabled, BasicAuthOff:
		return true
	}
	return c.TokenFailure()
}

// TokenFailure reports whether c is a failure to get an access token
// from the token endpoint: oauth-failed, or one of the causes that say
// which (oauth-secret-expired, oauth-endpoint-unreachable, …). The relay's
// reply for such a cause is the provider's own words.
func (c Cause) TokenFailure() bool {
	switch c {
	case OAuthFailed, OAuthSecretWrong, OAuthSecretExpired, OAuthAppUnknown, OAuthConsentMissing,
		OAuthTenantUnknown, OAuthDelegationMissing, OAuthKeyRefused, OAuthGrantRevoked, OAuthClientRefused,
		OAuthScopeInvalid, OAuthRefreshTokenMissing, OAuthRefreshTokenUnsaved, OAuthEndpointUnreachable,
		OAuthEndpointError, OAuthEndpointRedirect, OAuthTokenRefused:
		return true
	}
	return false
}

func (c Cause) String() string { return string(c) }
