package relay

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

func TestClassify(t *testing.T) {
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	for _, tc := range []struct {
		name      string
		err       error
		permanent bool
		code      int
		enhanced  string
		reply     string
		cause     cause.Cause
	}{
		{"5xx", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, true, 550, "5.1.1", "550 5.1.1 no such user", cause.SenderRefused},
		{"5xx without enhanced code", &smtp.SMTPError{Code: 554, Message: "no"}, true, 554, "", "554 no", cause.Refused},
		{"4xx", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "later"}, false, 451, "4.3.0", "451 4.3.0 later", cause.Temporary},
		{"421", &smtp.SMTPError{Code: 421, Message: "closing"}, false, 421, "", "421 closing", cause.Unreachable},
		{"wrapped 5xx", fmt.Errorf("mail: %w", &smtp.SMTPError{Code: 552, Message: "too big"}), true, 552, "", "552 too big", cause.MessageTooLarge},
		{"EOF", io.EOF, false, 0, "", "", cause.Unreachable},
		{"unexpected EOF", io.ErrUnexpectedEOF, false, 0, "", "", cause.Unreachable},
		{"time-out", timeout, false, 0, "", "", cause.Unreachable},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errors.New("connection refused"))}, false, 0, "", "", cause.Unreachable},
		{"certificate", &tls.CertificateVerificationError{Err: x509.HostnameError{Host: "x"}}, false, 0, "", "", cause.TLSFailed},
		{"unknown authority", x509.UnknownAuthorityError{}, false, 0, "", "", cause.TLSFailed},
		{"context", context.Canceled, false, 0, "", "", cause.Temporary},
		{"context deadline", context.DeadlineExceeded, false, 0, "", "", cause.Unreachable},
		{"unknown", errors.New("something odd"), false, 0, "", "", cause.Unknown},
		{"refusal", refusal("never"), true, 0, "", "", cause.Refused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Classify(tc.err, "smtp (h:25)", "mail")
			if e.Permanent != tc.permanent || e.Code != tc.code || e.Enhanced != tc.enhanced || e.Reply != tc.reply {
				t.Errorf("Classify = %+v, want permanent %v, code %d, enhanced %q, reply %q", e, tc.permanent, tc.code, tc.enhanced, tc.reply)
			}
			if e.Cause != tc.cause {
				t.Errorf("Cause = %q, want %q", e.Cause, tc.cause)
			}
			if e.Server != "smtp (h:25)" || e.Stage != "mail" || !errors.Is(e, tc.err) {
				t.Errorf("Classify = %+v, lost server, stage or cause", e)
			}
			if IsPermanent(e) != tc.permanent || IsPermanent(fmt.Errorf("x: %w", e)) != tc.permanent {
				t.Errorf("IsPermanent disagrees with Permanent")
			}
			if e.Temporary() == tc.permanent {
				t.Errorf("Temporary() = %v", e.Temporary())
			}
		})
	}
	if Classify(nil, "s", "mail") != nil {
		t.Errorf("Classify(nil) is not nil")
	}
	e := &Error{Permanent: true, Stage: "rcpt"}
	if got := Classify(fmt.Errorf("w: %w", e), "other", "data"); got != e {
		t.Errorf("Classify re-classified an *Error: %+v", got)
	}
	if IsPermanent(fmt.Errorf("%w: %w", ErrUnreachable, e)) {
		t.Errorf("an unreachable error is permanent")
	}
	if IsPermanent(errors.New("plain")) || IsPermanent(nil) {
		t.Errorf("IsPermanent of a non-*Error is true")
	}
}

// TestClassify_Causes: Classify hands cause.Of the stage, the code, the
// enhanced code and the text (without the codes) of a reply.
func TestClassify_Causes(t *testing.T) {
	for _, tc := range []struct {
		stage string
		se    *smtp.SMTPError
		want  cause.Cause
	}{
		{"rcpt", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<x@example.org>: Recipient address rejected: User unknown in local recipient table"}, cause.AddressUnknown},
		{"rcpt", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org"}, cause.Blocklisted},
		{"rcpt", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "<x@example.com>: Relay access denied"}, cause.RelayingDenied},
		{"rcpt", &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "Mailbox full"}, cause.MailboxFull},
		{"mail", &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}, cause.AuthRequired},
		{"mail", &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}, cause.TLSFailed},
		{"auth", &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Error: authentication failed"}, cause.LoginRefused},
		{"data", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 9}, Message: "Message not accepted for policy reasons"}, cause.SpamPolicy},
		{"auth", &smtp.SMTPError{Code: 534, EnhancedCode: smtp.EnhancedCode{5, 7, 9}, Message: "Application-specific password required"}, cause.LoginRefused},
		{"rcpt", &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Error: too many recipients"}, cause.QuotaExceeded},
		{"greeting", &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service not available"}, cause.Unreachable},
		{"rcpt", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "relay not permitted"}, cause.RelayingDenied},
		{"rcpt", smtpError(554, "delivery error: dd This user doesn't have a yahoo.com account"), cause.AddressUnknown},
	} {
		e := Classify(tc.se, "smtp (h:25)", tc.stage)
		if e.Cause != tc.want {
			t.Errorf("Classify(%s at %s).Cause = %s, want %s", e.Reply, tc.stage, e.Cause, tc.want)
		}
	}
}

// TestClassify_Refusals: a refusal's cause is its condition's.
func TestClassify_Refusals(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want cause.Cause
	}{
		{kindRefusal{"no STARTTLS", ErrNoSTARTTLS}, cause.TLSFailed},
		{kindRefusal{"no TLS, never a password", ErrPlaintextAuth}, cause.TLSFailed},
		{kindRefusal{"no AUTH", ErrNoAUTH}, cause.LoginRefused},
		{kindRefusal{"AUTH GSSAPI", ErrNoAuthMechanism}, cause.LoginRefused},
		{kindRefusal{"12 MB, at most 10 MB", ErrTooLarge}, cause.MessageTooLarge},
		{kindRefusal{"no SMTPUTF8", ErrNoSMTPUTF8}, cause.ContentRefused},
		{kindRefusal{"nobody", ErrNoRecipients}, cause.NoRecipients},
		{kindRefusal{"a line break", ErrLineBreak}, cause.BadAddress},
		{fmt.Errorf("wrapped: %w", kindRefusal{"no STARTTLS", ErrNoSTARTTLS}), cause.TLSFailed},
		{refusal("something new"), cause.Refused},
	} {
		e := Classify(tc.err, "smtp (h:25)", "mail")
		if !e.Permanent || e.Cause != tc.want {
			t.Errorf("Classify(%v) = permanent %v, cause %s; want permanent, %s", tc.err, e.Permanent, e.Cause, tc.want)
		}
	}
	for r, want := range plainRefusals {
		if got := Classify(r, "s", "rcpt").Cause; got != want {
			t.Errorf("Classify(refusal(%q)).Cause = %s, want %s", r, got, want)
		}
	}
}

// TestClassify_SessionRefusals: the refusals Send and Connect make
// themselves get their causes, words and all (plainRefusals matches Send's
// exact words).
func TestClassify_SessionRefusals(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.WithMaxSize(200))
	s := newSession(t, serverFor("smtp", srv))
	big := delivery("big")
	big.Data = append(big.Data, bytes.Repeat([]byte("0123456789\r\n"), 30)...)
	for _, tc := range []struct {
		name string
		d    *Delivery
		want cause.Cause
	}{
		{"no recipients", &Delivery{From: "a@example.org", Data: testMessage("x")}, cause.NoRecipients},
		{"sender with a line break", &Delivery{From: "a@example.org\r\nRCPT TO:<b@example.org>", To: []string{"b@example.org"}, Data: testMessage("x")}, cause.BadAddress},
		{"international address, no SMTPUTF8", &Delivery{From: "a@example.org", To: []string{"jörg@exämple.org"}, Data: testMessage("x"), NeedsUTF8: true}, cause.ContentRefused},
		{"over SIZE", big, cause.MessageTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Send(ctxT(t), tc.d)
			e := asError(t, err)
			if !e.Permanent || e.Cause != tc.want {
				t.Errorf("error = %v (%+v), want permanent, cause %s", err, e, tc.want)
			}
		})
	}

	t.Run("recipient with a line break", func(t *testing.T) {
		bad := "b@example.org\r\nDATA"
		res, err := s.Send(ctxT(t), delivery("x", bad, "c@example.org"))
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if e := res.Refused[bad]; e == nil || e.Cause != cause.BadAddress {
			t.Errorf("Refused = %+v, want %q refused as bad-address", res.Refused, bad)
		}
	})

	t.Run("STARTTLS required, not offered", func(t *testing.T) {
		head := serverFor("plain", smtptest.NewServer(t))
		head.Security = config.SecurityStartTLS
		e := asError(t, newSession(t, head).Connect(ctxT(t)))
		if e.Cause != cause.TLSFailed {
			t.Errorf("error = %+v, want tls-failed", e)
		}
	})
	t.Run("AUTH not offered", func(t *testing.T) {
		head := serverFor("smtp", smtptest.NewServer(t))
		head.Username, head.Password = "lib", "s3cret"
		e := asError(t, newSession(t, head).Connect(ctxT(t)))
		if e.Cause != cause.LoginRefused {
			t.Errorf("error = %+v, want login-refused", e)
		}
	})
}

// TestClassify_SessionReplies: the replies a relay gives in a session, and
// its absence, reach the *Error's Cause with their stage.
func TestClassify_SessionReplies(t *testing.T) {
	t.Run("refused recipient", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.AtRcpt("nobody@example.org",
			smtptest.Refuse(550, [3]int{5, 1, 1}, "<nobody@example.org>: Recipient address rejected: User unknown in local recipient table"))))
		res, err := newSession(t, serverFor("smtp", srv)).Send(ctxT(t), delivery("x", "nobody@example.org", "b@example.org"))
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if e := res.Refused["nobody@example.org"]; e == nil || e.Cause != cause.AddressUnknown || e.Stage != "rcpt" {
			t.Errorf("Refused = %+v, want nobody@example.org as address-unknown at rcpt", res.Refused)
		}
	})
	t.Run("login required at MAIL", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageMail,
			smtptest.Refuse(530, [3]int{5, 7, 0}, "Authentication required"))))
		_, err := newSession(t, serverFor("smtp", srv)).Send(ctxT(t), delivery("x"))
		if e := asError(t, err); e.Cause != cause.AuthRequired || !e.Cause.HoldsQueue() {
			t.Errorf("error = %+v, want auth-required", e)
		}
	})
	t.Run("mailbox full at DATA", func(t *testing.T) {
		srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.At(smtptest.StageData,
			smtptest.Refuse(552, [3]int{5, 2, 2}, "Mailbox full"))))
		_, err := newSession(t, serverFor("smtp", srv)).Send(ctxT(t), delivery("x"))
		if e := asError(t, err); e.Cause != cause.MailboxFull || e.Stage != "data" {
			t.Errorf("error = %+v, want mailbox-full at data", e)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		certs := smtptest.NewTLSCerts(t)
		srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Server), smtptest.WithAuth("lib", "right"))
		head := tlsServer("strict", srv, config.SecurityStartTLS, certs)
		head.Username, head.Password = "lib", "wrong"
		e := asError(t, newSession(t, head).Connect(ctxT(t)))
		if e.Cause != cause.LoginRefused {
			t.Errorf("error = %+v, want login-refused", e)
		}
	})
	t.Run("bad certificate", func(t *testing.T) {
		certs := smtptest.NewTLSCerts(t)
		srv := smtptest.NewServer(t, smtptest.WithTLS(certs.WrongName))
		e := asError(t, newSession(t, tlsServer("bad", srv, config.SecurityStartTLS, certs)).Connect(ctxT(t)))
		if e.Cause != cause.TLSFailed || e.Permanent {
			t.Errorf("error = %+v, want a temporary tls-failed", e)
		}
	})
	t.Run("closed port", func(t *testing.T) {
		err := newSession(t, plainServer("a", "127.0.0.1", smtptest.ClosedPort(t))).Connect(ctxT(t))
		if e := asError(t, err); e.Cause != cause.Unreachable || e.Stage != "dial" {
			t.Errorf("error = %+v, want unreachable at dial", e)
		}
	})
	t.Run("421 at the greeting", func(t *testing.T) {
		err := newSession(t, serverFor("b", greet421(t))).Connect(ctxT(t))
		if e := asError(t, err); e.Cause != cause.Unreachable || e.Stage != "greeting" {
			t.Errorf("error = %+v, want unreachable at greeting", e)
		}
	})
	t.Run("EHLO refused", func(t *testing.T) {
		err := newSession(t, serverFor("b", ehloRefused(t))).Connect(ctxT(t))
		if e := asError(t, err); e.Cause != cause.ClientRefused {
			t.Errorf("error = %+v, want client-refused", e)
		}
	})
}

func TestError_Error(t *testing.T) {
	for _, tc := range []struct {
		e    *Error
		want string
	}{
		{&Error{Server: "smtp (h:25)", Stage: "rcpt", Reply: "550 5.1.1 no"}, "smtp (h:25): rcpt: 550 5.1.1 no"},
		{&Error{Stage: "dial", Err: io.EOF}, "dial: EOF"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestParseQueueID(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"2.0.0 Ok: queued as 4F2A1B3C", "4F2A1B3C"},
		{"Ok: queued as 4F2A1", "4F2A1"},
		{"2.0.0 Ok: queued as <abc123@relay>", "abc123@relay"},
		{"OK id=1tAbCd-0001Xy-2Z", "1tAbCd-0001Xy-2Z"},
		{"2.0.0 x9KJ3a8b012345 Message accepted for delivery", "x9KJ3a8b012345"},
		{"2.0.0 3a1b2c3d Message accepted for delivery", "3a1b2c3d"},
		{"Message Queued (C8A5B3A9-1D2E-4F3A-9B8C-7D6E5F4A3B2C.1)", "C8A5B3A9-1D2E-4F3A-9B8C-7D6E5F4A3B2C.1"},
		{"2.0.0 OK  1712345678 d2e1a72fcca58-6ecf2b1d4a2si123456pfb.12 - gsmtp", "d2e1a72fcca58-6ecf2b1d4a2si123456pfb.12"},
		{"Ok 0100018a2b3c4d5e-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-000000", "0100018a2b3c4d5e-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d-000000"},
		{"2.6.0 <msg@lib.example> [InternalId=12345, Hostname=EX01.example.org] Queued mail for delivery", ""},
		{"2.0.0 OK: queued", ""},
		{"Queued (0.016 seconds)", ""},
		{"2.0.0 Ok", ""},
		{"", ""},
	} {
		if got := ParseQueueID(tc.text); got != tc.want {
			t.Errorf("ParseQueueID(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestSMTPError(t *testing.T) {
	se := smtpError(454, "4.7.0 TLS not available")
	if se.Code != 454 || se.EnhancedCode != (smtp.EnhancedCode{4, 7, 0}) || se.Message != "TLS not available" {
		t.Errorf("smtpError = %+v", se)
	}
	se = smtpError(454, "TLS not available now")
	if se.EnhancedCode != (smtp.EnhancedCode{}) || se.Message != "TLS not available now" {
		t.Errorf("smtpError = %+v", se)
	}
}
