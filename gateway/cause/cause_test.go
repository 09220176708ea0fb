package cause

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// parseReply_ForTest splits a reply as a server sends it ("550-5.1.1 …\n550
// 5.1.1 …") into its code, its enhanced code and its text, as go-smtp
// does: the lines' texts joined by "\n", the enhanced code taken from the
// first line and dropped from the start of every line.
func parseReply_ForTest(t *testing.T, reply string) (code int, enhanced, text string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(reply, "\n") {
		l = strings.TrimRight(l, "\r")
		if len(l) < 3 {
			t.Fatalf("short line %q in %q", l, reply)
		}
		c, err := strconv.Atoi(l[:3])
		if err != nil {
			t.Fatalf("no code in %q", l)
		}
		code = c
		rest := l[3:]
		if rest != "" {
			rest = rest[1:] // the "-" or " " after the code
		}
		lines = append(lines, rest)
	}
	first, _, _ := strings.Cut(lines[0], " ")
	if parseStatus(first).ok {
		enhanced = first
		for i, l := range lines {
			lines[i] = strings.TrimPrefix(strings.TrimPrefix(l, enhanced), " ")
		}
	}
	return code, enhanced, strings.Join(lines, "\n")
}

// realReplies are replies as servers send them, with the stage at which
// they came and the cause they must get. Addresses and IP addresses are
// replaced by examples; the words are the servers'.
var realReplies = []struct {
	stage, reply string
	want         Cause
}{
	// Postfix (with Dovecot, postgrey, postscreen)
	{"rcpt", "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local recipient table", AddressUnknown},
	{"rcpt", "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table", AddressUnknown},
	{"rcpt", "554 5.7.1 <patron@example.com>: Relay access denied", RelayingDenied},
	{"mail", "552 5.3.4 Message size exceeds fixed limit", MessageTooLarge},
	{"data", "552 5.3.4 Message size exceeds fixed limit", MessageTooLarge},
	{"rcpt", "450 4.2.0 <patron@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html", Temporary},
	{"rcpt", "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.10", Blocklisted},
	{"rcpt", "553 5.7.1 <library@example.org>: Sender address rejected: not owned by user spoolgate", SenderRefused},
	{"mail", "530 5.7.0 Must issue a STARTTLS command first", TLSFailed},
	{"auth", "535 5.7.8 Error: authentication failed: authentication failure", LoginRefused},
	{"rcpt", "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.10]", ClientRefused},
	{"rcpt", "554 5.7.1 <unknown[192.0.2.10]>: Client host rejected: Access denied", ClientRefused},
	{"rcpt", "504 5.5.2 <spoolgate>: Helo command rejected: need fully-qualified hostname", ClientRefused},
	{"rcpt", "450 4.1.8 <library@nonexistent.example>: Sender address rejected: Domain not found", SenderRefused},
	{"rcpt", "550 5.1.0 <library@example.org>: Sender address rejected: User unknown in local recipient table", SenderRefused},
	{"rcpt", "452 4.5.3 Error: too many recipients", QuotaExceeded},
	{"rcpt", "554 5.7.1 <patron@example.org>: Recipient address rejected: Access denied", SpamPolicy},
	{"mail", "555 5.5.4 Unsupported option: SMTPUTF8", ContentRefused},
	{"data", "550 5.6.7 SMTPUTF8 is required, but was not offered by host mx.example.org[192.0.2.25]", ContentRefused}, // Postfix's words for a next hop without SMTPUTF8
	{"rcpt", "552 5.2.2 Mailbox full", MailboxFull},
	{"rcpt", "552 5.2.2 <patron@example.org> Quota exceeded (mailbox for user is full)", MailboxFull}, // Dovecot LMTP behind Postfix
	{"rcpt", "450 4.2.2 <patron@example.org> Quota exceeded (mailbox for user is full)", MailboxFull}, // Dovecot, quota_full_tempfail
	{"greeting", "421 4.3.2 All server ports are busy", Unreachable},                                  // postscreen
	{"greeting", "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.10", Blocklisted},

	// Exim
	{"rcpt", "550 relay not permitted", RelayingDenied},
	{"rcpt", "550-Verification failed for <library@example.org>\n550-Unrouteable address\n550 Sender verify failed", SenderRefused},
	{"rcpt", "550 Unrouteable address", AddressUnknown},
	{"rcpt", "550 No Such User Here", AddressUnknown}, // cPanel's Exim
	{"data", "552 Message size exceeds maximum permitted", MessageTooLarge},
	{"rcpt", "550 Administrative prohibition", Refused},
	{"rcpt", "550 Rejected because 192.0.2.10 is in a black list at zen.spamhaus.org", Blocklisted},
	{"auth", "535 Incorrect authentication data", LoginRefused},
	{"auth", "503 AUTH command used when not advertised", LoginRefused},
	{"rcpt", "451 Temporary local problem - please try later", Temporary},
	{"rcpt", "452 too many recipients", QuotaExceeded},

	// Sendmail (with milter-greylist and the dnsbl feature)
	{"rcpt", "550 5.1.1 <nobody@example.org>... User unknown", AddressUnknown},
	{"rcpt", "550 5.7.1 <patron@example.com>... Relaying denied", RelayingDenied},
	{"rcpt", "550 5.7.1 <patron@example.com>... Relaying denied. IP name lookup failed [192.0.2.10]", RelayingDenied},
	{"mail", "553 5.1.8 <library@nonexistent.example>... Domain of sender address library@nonexistent.example does not exist", SenderRefused},
	{"mail", "552 5.2.3 Message size exceeds fixed maximum message size (10000000)", MessageTooLarge},
	{"mail", "452 4.4.5 Insufficient disk space; try again later", Temporary},
	{"rcpt", "550 5.7.1 Rejected: 192.0.2.10 listed at zen.spamhaus.org", Blocklisted},
	{"mail", "530 5.7.0 Authentication required", AuthRequired},
	{"auth", "535 5.7.0 authentication failed", LoginRefused},
	{"rcpt", "451 4.7.1 Greylisting in action, please come back later", Temporary},

	// Microsoft 365 / Exchange Online, and Exchange Server
	{"rcpt", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", AddressUnknown},
	{"rcpt", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", AddressUnknown},
	{"mail", "530 5.7.57 Client not authenticated to send mail. [AM0PR02CA0001.eurprd02.prod.outlook.com]", AuthRequired},
	{"mail", "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM", AuthRequired},
	{"auth", "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.", SMTPAuthDisabled},
	{"auth", "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.", SMTPAuthDisabled},
	{"auth", "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.", SMTPAuthDisabled},
	{"auth", "535 5.7.3 Authentication unsuccessful [BN6PR11CA0012.namprd11.prod.outlook.com]", OAuthPermission},
	{"auth", "535 5.7.3 Authentication unsuccessful [SN4PR0201CA0045.namprd02.prod.outlook.com 2026-11-02T08:14:51.133Z 08DCF9C3A1B2C3D4]", OAuthPermission},
	{"auth", "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [DB8PR04CA0012.eurprd04.prod.outlook.com]", SMTPAuthDisabled},
	{"auth", "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. [AM6P192CA0034.EURP192.PROD.OUTLOOK.COM]", SMTPAuthDisabled},
	{"auth", "550 5.7.30 Basic authentication is not supported for Client Submission.", BasicAuthOff},
	{"mail", "550 5.7.30 Basic authentication is not supported for Client Submission.", BasicAuthOff},
	{"data", "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.", QuotaExceeded},
	{"data", "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception with message Cannot open mailbox", MailboxFull},
	{"data", "550 5.7.60 SMTP; Client does not have permissions to send as this sender", SenderRefused},
	{"rcpt", "550 5.7.1 Client does not have permissions to send as this sender", SenderRefused},
	{"rcpt", "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7171)", Blocklisted},
	{"rcpt", "550 5.7.606 Access denied, banned sending IP [192.0.2.10]. To request removal from this list please visit https://sender.office.com/ and follow the directions.", Blocklisted},
	{"rcpt", "550 5.7.1 Unfortunately, messages from [192.0.2.10] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", Blocklisted},
	{"rcpt", "550 5.7.705 Access denied, tenant has exceeded threshold.", QuotaExceeded},
	{"rcpt", "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.", SenderRefused},
	{"rcpt", "550 5.7.64 TenantAttribution; Relay Access Denied", RelayingDenied},
	{"rcpt", "550 5.7.509 Access denied, sending domain example.org does not pass DMARC verification and has a DMARC policy of reject.", SpamPolicy},
	{"mail", "550 5.7.501 Access denied, spam abuse detected. The sending account has been banned due to detected spam activity.", SenderRefused},
	{"rcpt", "451 4.7.500 Server busy. Please try again later from [192.0.2.10]. (S77719)", QuotaExceeded},
	{"mail", "421 4.4.2 Message submission rate for this client has exceeded the configured limit", QuotaExceeded},
	{"mail", "530 5.7.1 Client was not authenticated", AuthRequired},
	{"rcpt", "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain", RelayingDenied},
	{"rcpt", "452 4.3.1 Insufficient system resources", Temporary},
	{"rcpt", "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [AM0EUR02FT001.eop-EUR02.prod.protection.outlook.com]", AddressUnknown}, // Outlook.com

	// Gmail and Google Workspace
	{"rcpt", "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email address for typos or\n550-5.1.1 unnecessary spaces. Learn more at\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser d2e1a72fcca58-6ecf2b1d4a2si123456pfb.12 - gsmtp", AddressUnknown},
	{"rcpt", "552-5.2.2 The email account that you tried to reach is over quota. Please direct\n552-5.2.2 the recipient to\n552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm a1si123456 - gsmtp", MailboxFull},
	{"rcpt", "550-5.2.1 The email account that you tried to reach is disabled. Learn more at\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser a1si123456 - gsmtp", MailboxDisabled},
	{"rcpt", "553-5.1.2 We weren't able to find the recipient domain. Please check for any\n553 5.1.2 spelling errors, and make sure you didn't enter any spaces, periods, or other punctuation after the recipient's email address. a1si123456 - gsmtp", AddressUnknown},
	{"mail", "550-5.4.5 Daily user sending limit exceeded. For more information on Gmail\n550 5.4.5 sending limits go to https://support.google.com/a/answer/166852 a1sm123456 - gsmtp", QuotaExceeded},
	{"ehlo", "421 4.7.0 Try again later, closing connection. (EHLO) a1sm123456 - gsmtp", QuotaExceeded},
	{"rcpt", "421-4.7.0 Our system has detected an unusual rate of unsolicited mail originating\n421-4.7.0 from your IP address. To protect our users from spam, mail sent from your IP\n421 4.7.0 address has been temporarily blocked. a1si123456 - gsmtp", QuotaExceeded},
	{"data", "550-5.7.26 This mail is unauthenticated, which poses a security risk to the\n550-5.7.26 sender and Gmail users, and has been blocked. The sender must\n550-5.7.26 authenticate with at least one of SPF or DKIM. For this message,\n550 5.7.26 DKIM checks did not pass and SPF check for [example.org] did not pass. a1si123456 - gsmtp", SpamPolicy},
	{"data", "550-5.7.26 Unauthenticated email from example.org is not accepted due to domain's\n550 5.7.26 DMARC policy. a1si123456 - gsmtp", SpamPolicy},
	{"mail", "530-5.7.0 Authentication Required. Learn more at\n530 5.7.0  https://support.google.com/mail/?p=WantAuthError a1sm123456 - gsmtp", AuthRequired},
	{"auth", "535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1sm123456 - gsmtp", LoginRefused},
	{"auth", "534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor a1sm123456 - gsmtp", LoginRefused},
	{"auth", "454 4.7.0 Too many login attempts, please try again later. a1sm123456 - gsmtp", LoginRefused},
	{"data", "552-5.3.4 Your message exceeded Google's message size limits. Please visit\n552 5.3.4  https://support.google.com/mail/?p=MaxSizeError to view our size guidelines. a1si123456 - gsmtp", MessageTooLarge},
	{"rcpt", "452-4.5.3 Your message has too many recipients. For more information regarding\n452 4.5.3 Google's sending limits, visit https://support.google.com/mail/?p=TooManyRecipientsError a1si123456 - gsmtp", QuotaExceeded},
	{"data", "550-5.7.1 Our system has detected that this message is likely unsolicited mail. To\n550-5.7.1 reduce the amount of spam sent to Gmail, this message has been blocked.\n550 5.7.1 https://support.google.com/mail/?p=UnsolicitedMessageError a1si123456 - gsmtp", SpamPolicy},
	{"data", "552-5.7.0 This message was blocked because its content presents a potential\n552-5.7.0 security issue. Please visit\n552 5.7.0  https://support.google.com/mail/?p=BlockedMessage to review our message content and attachment content guidelines. a1si123456 - gsmtp", SpamPolicy},
	{"rcpt", "550-5.7.0 Mail relay denied [192.0.2.10]. Invalid credentials for relay for one of\n550-5.7.0 the domains in: example.org (as obtained from HELO and MAIL FROM). Email is\n550 5.7.0 being sent from a domain or IP address which isn't registered in your Workspace account. a1si123456 - gsmtp", RelayingDenied},
	{"rcpt", "550-5.7.25 [192.0.2.10] The IP address sending this message does not have a PTR\n550 5.7.25 record setup, or the corresponding forward DNS entry does not point to the sending IP. a1si123456 - gsmtp", ClientRefused},
	{"rcpt", "550-5.7.1 [192.0.2.10] The IP you're using to send mail is not authorized to\n550-5.7.1 send email directly to our servers. Please use the SMTP relay at your\n550 5.7.1 service provider instead. a1si123456 - gsmtp", ClientRefused},
	{"rcpt", "421-4.7.0 TLS required for RCPT domain, closing connection. a1si123456 - gsmtp", TLSFailed},
	{"rcpt", "450-4.2.1 The user you are trying to contact is receiving mail too quickly.\n450 4.2.1 Please resend your message at a later time. a1si123456 - gsmtp", Temporary},
	{"rcpt", "450-4.2.1 Peak SMTP relay limit exceeded for customer. This is a temporary\n450 4.2.1 error. a1si123456 - gsmtp", QuotaExceeded},
	{"greeting", "421 4.3.0 Temporary System Problem.  Try again later. a1si123456 - gsmtp", Unreachable},

	// Yahoo
	{"data", "554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes", SpamPolicy},
	{"mail", "421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes", QuotaExceeded},
	{"rcpt", "554 delivery error: dd This user doesn't have a yahoo.com account (patron@yahoo.com) [0] - mta1234.mail.bf1.yahoo.com", AddressUnknown},
	{"rcpt", "554 delivery error: dd Sorry your message to patron@yahoo.com cannot be delivered. This mailbox is disabled (554.30). - mta1234.mail.bf1.yahoo.com", MailboxDisabled},
	{"greeting", "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.10, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes", Blocklisted},
	{"rcpt", "451 example.yahoo.com Resources temporarily unavailable. Please try again later [#4.16.1].", Temporary},
	{"mail", "421 Max message per connection reached, closing transmission channel", QuotaExceeded},

	// Blocklists, as other servers quote them
	{"rcpt", "554 Service unavailable; Client host [192.0.2.10] blocked using b.barracudacentral.org; http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.10", Blocklisted},
	{"rcpt", "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using dnsbl-1.uceprotect.net; IP 192.0.2.10 is UCEPROTECT-Level 1 listed.", Blocklisted},
	{"rcpt", "550 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/lookup/ (AS3130)", Blocklisted}, // Exchange Online Protection
	{"rcpt", "550 Sender IP (192.0.2.10) is blacklisted at", Blocklisted},
}

func TestOf_RealReplies(t *testing.T) {
	if len(realReplies) < 45 {
		t.Errorf("only %d real replies; the table must hold at least 45", len(realReplies))
	}
	for _, tc := range realReplies {
		code, enh, text := parseReply_ForTest(t, tc.reply)
		if got := Of(tc.stage, code, enh, text); got != tc.want {
			t.Errorf("Of(%q, %d, %q, …) = %s, want %s\n  reply: %s", tc.stage, code, enh, got, tc.want, tc.reply)
		}
	}
}

func TestParseReply_ForTest(t *testing.T) {
	code, enh, text := parseReply_ForTest(t, "550-5.1.1 one\n550 5.1.1 two")
	if code != 550 || enh != "5.1.1" || text != "one\ntwo" {
		t.Errorf("got %d %q %q", code, enh, text)
	}
	code, enh, text = parseReply_ForTest(t, "554 delivery error: dd x")
	if code != 554 || enh != "" || text != "delivery error: dd x" {
		t.Errorf("got %d %q %q", code, enh, text)
	}
}

// TestOf_Codes covers what the stage and the codes decide alone, without
// words to go by.
func TestOf_Codes(t *testing.T) {
	for _, tc := range []struct {
		stage    string
		code     int
		enhanced string
		want     Cause
	}{
		{"dial", 0, "", Unreachable},
		{"connect", 0, "", Unreachable},
		{"tls", 0, "", TLSFailed},
		{"greeting", 0, "", Unreachable},
		{"data", 0, "", Unreachable},
		{"capture", 0, "", Temporary},
		{"local", 0, "", Unknown},
		{"", 0, "", Unknown},
		{"tls", 454, "4.7.0", TLSFailed},
		{"tls", 421, "", Unreachable},
		{"auth", 535, "", LoginRefused},
		{"auth", 538, "5.7.11", TLSFailed},
		{"auth", 421, "4.4.2", Unreachable},
		{"mail", 530, "", AuthRequired},
		{"rcpt", 535, "", LoginRefused},
		{"mail", 552, "", MessageTooLarge},
		{"data", 552, "", MessageTooLarge},
		{"rcpt", 552, "", MailboxFull}, // RFC 5321: exceeded storage allocation
		{"rcpt", 552, "5.3.4", MessageTooLarge},
		{"rcpt", 552, "5.7.0", SpamPolicy},
		{"mail", 553, "", SenderRefused},
		{"rcpt", 553, "", BadAddress},
		{"rcpt", 550, "5.1.1", AddressUnknown},
		{"mail", 550, "5.1.1", SenderRefused},
		{"rcpt", 501, "5.1.3", BadAddress},
		{"rcpt", 550, "5.1.6", AddressUnknown},
		{"rcpt", 550, "5.2.1", MailboxDisabled},
		{"rcpt", 450, "4.2.1", Temporary},
		{"rcpt", 552, "5.2.2", MailboxFull},
		{"rcpt", 452, "4.2.2", MailboxFull},
		{"rcpt", 550, "5.4.4", AddressUnknown},
		{"mail", 550, "5.4.5", QuotaExceeded},
		{"rcpt", 452, "4.5.3", QuotaExceeded},
		{"data", 554, "5.6.0", ContentRefused},
		{"mail", 553, "5.6.7", ContentRefused},
		{"mail", 550, "5.7.1", SenderRefused},
		{"rcpt", 550, "5.7.1", SpamPolicy},
		{"data", 554, "5.7.1", SpamPolicy},
		{"data", 550, "5.7.9", SpamPolicy},
		{"auth", 534, "5.7.9", LoginRefused},
		{"mail", 530, "5.7.57", AuthRequired},
		{"mail", 550, "5.7.60", SenderRefused},
		{"rcpt", 550, "5.7.620", Blocklisted},
		{"rcpt", 451, "4.7.650", QuotaExceeded},
		{"rcpt", 450, "4.7.1", Temporary},
		{"greeting", 554, "", ClientRefused},
		{"ehlo", 550, "5.7.1", ClientRefused},
		{"greeting", 421, "", Unreachable},
		{"greeting", 421, "4.7.0", QuotaExceeded},
		{"data", 451, "4.3.0", Temporary},
		{"data", 554, "", Refused},
		{"data", 554, "5.0.0", Refused},
		{"rcpt", 450, "", Temporary},
		{"data", 250, "2.0.0", Unknown},
		{"data", 354, "", Unknown},
		{"data", 600, "", Unknown},
		{"rcpt", 550, "9.9.9", Refused}, // not an enhanced code
	} {
		if got := Of(tc.stage, tc.code, tc.enhanced, ""); got != tc.want {
			t.Errorf("Of(%q, %d, %q, \"\") = %s, want %s", tc.stage, tc.code, tc.enhanced, got, tc.want)
		}
	}
}

// TestOf_Total: whatever it is given, Of answers a known cause.
func TestOf_Total(t *testing.T) {
	stages := []string{"dial", "tls", "greeting", "ehlo", "auth", "mail", "rcpt", "data", "capture", "local", "", "RCPT", "odd"}
	codes := []int{-1, 0, 1, 220, 250, 354, 400, 421, 450, 451, 452, 454, 499, 500, 501, 530, 535, 550, 552, 553, 554, 599, 600, 999}
	enhanced := []string{"", "5", "5.1", "5.1.1", "4.7.0", "5.7.1", "5.7.606", "2.0.0", "x.y.z", "5.1.1.1", "5.-1.1", "5.1.1000", " 5.1.1 "}
	texts := []string{"", "relay", "spamhaus", "user unknown", "\n\n", "ÅÄÖ ✓", strings.Repeat("x", 10000)}
	for _, s := range stages {
		for _, c := range codes {
			for _, e := range enhanced {
				for _, x := range texts {
					if got := Of(s, c, e, x); !got.Known() {
						t.Fatalf("Of(%q, %d, %q, %.20q) = %q, not a cause", s, c, e, x, got)
					}
				}
			}
		}
	}
}

func FuzzOf(f *testing.F) {
	for _, tc := range realReplies {
		f.Add(tc.stage, 550, "5.7.1", tc.reply)
	}
	f.Fuzz(func(t *testing.T, stage string, code int, enhanced, text string) {
		if c := Of(stage, code, enhanced, text); !c.Known() {
			t.Errorf("Of(%q, %d, %q, %q) = %q, not a cause", stage, code, enhanced, text, c)
		}
	})
}

// tokenFailures are the causes of a failure to get an access token, with
// the ids gateway/oauth has always given them.
var tokenFailures = []Cause{OAuthFailed, "oauth-secret-wrong", "oauth-secret-expired", "oauth-app-unknown",
	"oauth-consent-missing", "oauth-tenant-unknown", "oauth-delegation-missing", "oauth-key-refused",
	"oauth-grant-revoked", "oauth-client-refused", "oauth-scope-invalid", "oauth-refresh-token-missing",
	"oauth-refresh-token-unsaved", "oauth-endpoint-unreachable", "oauth-endpoint-error",
	"oauth-endpoint-redirect", "oauth-token-refused"}

func TestHoldsQueue(t *testing.T) {
	holds := map[Cause]bool{
		AuthRequired: true, LoginRefused: true, TLSFailed: true, Unreachable: true,
		SenderRefused: true, QuotaExceeded: true, Blocklisted: true, ClientRefused: true,
		OAuthFailed: true, OAuthPermission: true, SMTPAuthDisabled: true, BasicAuthOff: true,
	}
	for _, c := range tokenFailures {
		holds[c] = true
	}
	for _, c := range All() {
		if c.HoldsQueue() != holds[c] {
			t.Errorf("%s.HoldsQueue() = %v", c, c.HoldsQueue())
		}
		if want := slices.Contains(tokenFailures, c); c.TokenFailure() != want {
			t.Errorf("%s.TokenFailure() = %v", c, c.TokenFailure())
		}
	}
	if Cause("").HoldsQueue() || Cause("odd").HoldsQueue() {
		t.Errorf("an unknown cause holds the queue")
	}
}

func TestAll(t *testing.T) {
	seen := map[Cause]bool{}
	for _, c := range All() {
		if c == "" || seen[c] || !c.Known() {
			t.Errorf("cause %q is empty, repeated or not known", c)
		}
		seen[c] = true
		if strings.ToLower(string(c)) != string(c) || strings.ContainsAny(string(c), " _") {
			t.Errorf("cause %q is not lower-case-with-hyphens", c)
		}
	}
	a := All()
	a[0] = "changed"
	if All()[0] == "changed" {
		t.Errorf("All returns its own slice")
	}
	if Cause("").Known() || Cause("gave-up").Known() {
		t.Errorf("Known accepts a non-cause")
	}
}
