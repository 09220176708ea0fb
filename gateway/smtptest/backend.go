package smtptest

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{s: b.s, fc: netConn(c), tls: isTLS}, nil
}

// session is one go-smtp session: one connection, from EHLO (or from
// STARTTLS) on.
type session struct {
	s        *Server
	fc       *faultConn
	tls      bool
	authUser string

	from string
	opts smtp.MailOptions
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

var errStopped = errorf(421, smtp.EnhancedCode{4, 3, 0}, "smtptest server stopping")

// fault asks the Fault about stage. A non-nil error is the answer to send
// (or, after a cut, an answer nobody will read); reply is the Reply, for a
// 2xx at DATA.
func (ss *session) fault(stage Stage, arg string) (reply *Reply, err error) {
	f := ss.s.currentFault()
	if f == nil {
		return nil, nil
	}
	r := f(stage, arg)
	if r == nil {
		return nil, nil
	}
	if r.Delay > 0 {
		t := time.NewTimer(r.Delay)
		select {
		case <-t.C:
		case <-ss.s.done:
			t.Stop()
			return nil, errStopped
		}
	}
	if r.Stall {
		<-ss.s.done
		return nil, errStopped
	}
	if r.Cut {
		if ss.fc != nil {
			ss.fc.Conn.Close()
		}
		return nil, errorf(421, smtp.EnhancedCode{4, 4, 0}, "connection cut")
	}
	if r.Close && ss.fc != nil {
		ss.fc.closeAfterReply()
	}
	if r.Trickle > 0 && ss.fc != nil {
		ss.fc.trickleReply(r.Trickle)
	}
	if r.Code >= 400 {
		return r, &smtp.SMTPError{Code: r.Code, EnhancedCode: smtp.EnhancedCode(r.Enhanced), Message: r.Message}
	}
	return r, nil
}

func (ss *session) Reset() {
	ss.from, ss.opts, ss.to = "", smtp.MailOptions{}, nil
}

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	if ss.s.user != "" && ss.authUser == "" {
		return errorf(530, smtp.EnhancedCode{5, 7, 0}, "Authentication required")
	}
	if _, err := ss.fault(StageMail, from); err != nil {
		return err
	}
	ss.from = from
	if opts != nil {
		ss.opts = *opts
	}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if _, err := ss.fault(StageRcpt, to); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	reply, err := ss.fault(StageData, ss.from)
	if err != nil {
		return err
	}
	ss.s.addMessage(Message{
		From:     ss.from,
		To:       append([]string(nil), ss.to...),
		Data:     data,
		At:       time.Now(),
		UTF8:     ss.opts.UTF8,
		Body8Bit: ss.opts.Body == smtp.Body8BitMIME,
		Size:     ss.opts.Size,
		TLS:      ss.tls,
		AuthUser: ss.authUser,
	})
	if reply != nil && reply.Code >= 200 && reply.Code < 300 {
		// go-smtp sends an error's code and text as they are.
		return &smtp.SMTPError{Code: reply.Code, EnhancedCode: smtp.EnhancedCode(reply.Enhanced), Message: reply.Message}
	}
	return nil
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	return ss.s.mechs
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if _, err := ss.fault(StageAuth, mech); err != nil {
		return nil, err
	}
	offered := false
	for _, m := range ss.AuthMechanisms() {
		offered = offered || m == mech
	}
	if !offered {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	check := func(user, pass string) error {
		ok := user == ss.s.user && pass == ss.s.pass
		return ss.authDone(mech, user, ok)
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return ss.authDone(mech, user, false)
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	case "CRAM-MD5":
		return &cramMD5Server{secret: ss.s.pass, verify: func(user string, ok bool) error {
			return ss.authDone(mech, user, ok && user == ss.s.user)
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) authDone(mech, user string, ok bool) error {
	ss.s.mu.Lock()
	ss.s.auths = append(ss.s.auths, AuthAttempt{Mechanism: mech, Username: user, OK: ok})
	ss.s.mu.Unlock()
	if !ok {
		return smtp.ErrAuthFailed
	}
	ss.authUser = user
	return nil
}

// loginServer is the server side of the LOGIN mechanism.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (a *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch a.step {
	case 0:
		if resp == nil { // no initial response: ask for the user name
			a.step = 1
			return []byte("Username:"), false, nil
		}
		a.user, a.step = string(resp), 2
		return []byte("Password:"), false, nil
	case 1:
		a.user, a.step = string(resp), 2
		return []byte("Password:"), false, nil
	case 2:
		a.step = 3
		return nil, true, a.check(a.user, string(resp))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}

// cramMD5Server is the server side of CRAM-MD5 (RFC 2195).
type cramMD5Server struct {
	secret    string
	verify    func(user string, ok bool) error
	challenge []byte
}

func (a *cramMD5Server) Next(resp []byte) ([]byte, bool, error) {
	if a.challenge == nil {
		if resp != nil {
			return nil, false, sasl.ErrUnexpectedClientResponse
		}
		var rnd [8]byte
		rand.Read(rnd[:])
		a.challenge = fmt.Appendf(nil, "<%x.%d@smtptest.localhost>", rnd, time.Now().Unix())
		return a.challenge, false, nil
	}
	user, digest, ok := bytes.Cut(resp, []byte(" "))
	if !ok {
		return nil, false, errors.New("smtptest: malformed CRAM-MD5 response")
	}
	h := hmac.New(md5.New, []byte(a.secret))
	h.Write(a.challenge)
	want := hex.EncodeToString(h.Sum(nil))
	return nil, true, a.verify(string(user), hmac.Equal([]byte(want), digest))
}
