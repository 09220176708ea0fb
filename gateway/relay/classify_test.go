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
	"testing"

	"github.com/emersion/go-smtp"
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
	}{
		{"5xx", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, true, 550, "5.1.1", "550 5.1.1 no such user"},
		{"5xx without enhanced code", &smtp.SMTPError{Code: 554, Message: "no"}, true, 554, "", "554 no"},
		{"4xx", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "later"}, false, 451, "4.3.0", "451 4.3.0 later"},
		{"421", &smtp.SMTPError{Code: 421, Message: "closing"}, false, 421, "", "421 closing"},
		{"wrapped 5xx", fmt.Errorf("mail: %w", &smtp.SMTPError{Code: 552, Message: "too big"}), true, 552, "", "552 too big"},
		{"EOF", io.EOF, false, 0, "", ""},
		{"unexpected EOF", io.ErrUnexpectedEOF, false, 0, "", ""},
		{"time-out", timeout, false, 0, "", ""},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errors.New("connection refused"))}, false, 0, "", ""},
		{"certificate", &tls.CertificateVerificationError{Err: x509.HostnameError{Host: "x"}}, false, 0, "", ""},
		{"unknown authority", x509.UnknownAuthorityError{}, false, 0, "", ""},
		{"context", context.Canceled, false, 0, "", ""},
		{"unknown", errors.New("something odd"), false, 0, "", ""},
		{"refusal", refusal("never"), true, 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Classify(tc.err, "smtp (h:25)", "mail")
			if e.Permanent != tc.permanent || e.Code != tc.code || e.Enhanced != tc.enhanced || e.Reply != tc.reply {
				t.Errorf("Classify = %+v, want permanent %v, code %d, enhanced %q, reply %q", e, tc.permanent, tc.code, tc.enhanced, tc.reply)
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
