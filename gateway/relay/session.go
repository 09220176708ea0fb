package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
)

// quitTimeout bounds the wait for the answer to QUIT.
const quitTimeout = 10 * time.Second

// Session is a Sender that relays over SMTP to the first server of a
// config.Server chain that can be reached. See the package documentation.
//
// A Session keeps one connection for many messages. Between two messages
// it sends no RSET: the transaction ends with the reply to DATA (RFC 5321,
// 4.1.1.4), so the next MAIL starts a new one. RSET is sent only after a
// failed transaction, or when no recipient was accepted; a connection that
// fails RSET is dropped.
//
// A connection is not kept for ever. Connect and Send close it politely
// (QUIT) and connect again once it has carried the server's
// session_messages transactions or is session_time old, and Send does the
// same before it tries again a recipient that got a temporary refusal
// (4xx at RCPT, or for the whole message) on this connection: a relay
// whose policy changed meanwhile (a Postfix access map fixed and
// reloaded) answers a new connection by its new policy, while an old one
// may keep the old. A recipient deferred on another Session's connection
// is not known here; session_time bounds how long that one can last.
//
// A Session must not be used by more than one goroutine at a time.
type Session struct {
	head *config.Server
	log  *slog.Logger
	conn *Conn            // nil when not connected
	now  func() time.Time // the clock for session_time; tests replace it
}

var _ Sender = (*Session)(nil)

// NewSession returns a Session for the chain that starts at head. It does
// not connect yet. log may be nil.
func NewSession(head *config.Server, log *slog.Logger) *Session {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Session{head: head, log: log, now: time.Now}
}

// Connect makes sure a server is ready, walking the chain from its head:
// a server that can't be dialled, whose TLS fails, whose greeting is not
// 220, whose EHLO fails or that refuses the login is logged and the next
// one is tried. When all fail, the error wraps ErrUnreachable and every
// server's *Error.
func (s *Session) Connect(ctx context.Context) error {
	if s.conn != nil {
		switch {
		case s.conn.dead():
			s.drop() // a context ended in the middle of its I/O
		case s.spent():
			s.Close()
		default:
			return nil
		}
	}
	if s.head == nil {
		return fmt.Errorf("%w: no server is configured", ErrUnreachable)
	}
	var errs []error
	for srv := s.head; srv != nil; srv = srv.Next {
		if err := ctx.Err(); err != nil {
			errs = append(errs, context.Cause(ctx))
			break
		}
		c, err := Open(ctx, srv)
		if err == nil {
			c.opened = s.now()
			s.conn = c
			s.log.Debug("connected to relay", "server", c.Server(), "tls", c.TLS() != nil, "auth", c.AuthMechanism())
			return nil
		}
		errs = append(errs, err)
		var e *Error
		if errors.As(err, &e) {
			s.log.Warn("relay server failed; trying the next one", "server", Label(srv), "stage", e.Stage, "error", err)
		} else {
			s.log.Warn("relay server failed; trying the next one", "server", Label(srv), "error", err)
		}
	}
	return fmt.Errorf("%w: %w", ErrUnreachable, errors.Join(errs...))
}

// Send delivers d; see Sender. If a connection kept from before turns out
// dead at MAIL (a network error, EOF or 421, before anything was
// accepted), Send reconnects once and tries again.
func (s *Session) Send(ctx context.Context, d *Delivery) (*Result, error) {
	if c := s.conn; c != nil && c.deferredAny(d.To) {
		s.log.Debug("reconnecting before trying again a recipient the relay deferred on this connection", "server", c.Server())
		s.Close()
	}
	reused := s.conn != nil
	for {
		if err := s.Connect(ctx); err != nil {
			return nil, err
		}
		c := s.conn
		res, retry, err := s.send(ctx, d)
		if retry && reused && ctx.Err() == nil {
			s.log.Debug("kept connection was closed; reconnecting", "error", err)
			s.drop()
			reused = false
			continue
		}
		if s.conn == c {
			c.noteDeferred(d.To, res, err)
		}
		if err != nil {
			return nil, err
		}
		return res, nil
	}
}

// spent reports whether the connection has carried its server's
// session_messages transactions or is session_time old.
func (s *Session) spent() bool {
	c := s.conn
	if n := c.srv.SessionMessages; n > 0 && c.transactions >= n {
		s.log.Debug("closing the connection after session_messages transactions", "server", c.Server(), "messages", c.transactions)
		return true
	}
	if d := c.srv.SessionTime; d > 0 && s.now().Sub(c.opened) >= d {
		s.log.Debug("closing the connection after session_time", "server", c.Server(), "session_time", d)
		return true
	}
	return false
}

// wireData is what goes to the relay for d, and whether with SMTPUTF8.
// Header text in UTF-8 goes RFC 2047-encoded (d.Data) unless an address
// itself is not ASCII: a relay that offers SMTPUTF8 may accept a message
// sent so and then bounce it, because its next hop (Dovecot's LMTP, an
// older Exchange) does not offer SMTPUTF8. Postfix offers it by default.
func wireData(d *Delivery) (data []byte, utf8 bool) {
	if !d.NeedsUTF8 {
		return d.Data, false
	}
	if d.DataUTF8 != nil {
		return d.DataUTF8, true
	}
	return d.Data, true
}

// tooLarge is the refusal of a message of size bytes by a relay whose
// SIZE is max (see SizeLimit).
func tooLarge(size, max int) error {
	return &SizeLimit{Size: int64(size), Max: int64(max)}
}

// sizeText writes n bytes for people: 812 bytes, 3.5 KB, 12.3 MB, 1.1 GB
// (1 KB = 1024 bytes, as [spool] max_size counts).
func sizeText(n int64) string {
	units := []string{"KB", "MB", "GB"}
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	v := float64(n) / 1024
	u := 0
	for v >= 1024 && u+1 < len(units) {
		v /= 1024
		u++
	}
	t := strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
	return t + " " + units[u]
}

// send runs one transaction on s.conn. retry says the connection was found
// dead at MAIL, before the server took anything.
func (s *Session) send(ctx context.Context, d *Delivery) (res *Result, retry bool, err error) {
	c := s.conn
	cl := c.client
	server := c.Server()
	defer c.watch(ctx)()

	if len(d.To) == 0 {
		return nil, false, Classify(kindRefusal{"the message has no recipients", ErrNoRecipients}, server, "rcpt")
	}
	data, utf8 := wireData(d)
	// Every address is checked, and its command built, before anything is
	// written: see envelopeCommand.
	mail, err := c.mailCommand(d.From, len(data), utf8)
	if err != nil {
		return nil, false, Classify(err, server, "mail")
	}
	if hasUTF8, _ := cl.Extension("SMTPUTF8"); utf8 && !hasUTF8 {
		return nil, false, Classify(kindRefusal{"the relay does not support international (non-ASCII) addresses", ErrNoSMTPUTF8}, server, "mail")
	}
	if max, ok := cl.MaxMessageSize(); ok && max > 0 && len(data) > max {
		return nil, false, Classify(tooLarge(len(data), max), server, "mail")
	}
	res = &Result{Server: server}
	var rcpts, lines []string
	for _, rcpt := range d.To {
		line, err := rcptCommand(rcpt, utf8)
		if err != nil {
			res.refuse(rcpt, Classify(err, server, "rcpt"))
			continue
		}
		rcpts, lines = append(rcpts, rcpt), append(lines, line)
	}
	if len(rcpts) == 0 {
		return res, false, nil
	}

	if ok, _ := cl.Extension("PIPELINING"); ok && c.srv.Pipelining {
		if retry, err := s.sendPipelined(c, mail, rcpts, lines, data, res); err != nil {
			return nil, retry, err
		}
		return res, false, nil
	}

	c.transactions++
	if err := c.command(mail, 250); err != nil {
		s.failed(err)
		return nil, connGone(err), Classify(err, server, "mail")
	}
	for i, rcpt := range rcpts {
		err := c.command(lines[i], 25)
		if err == nil {
			res.Accepted = append(res.Accepted, rcpt)
			continue
		}
		if connGone(err) {
			s.failed(err)
			return nil, false, Classify(err, server, "rcpt")
		}
		res.refuse(rcpt, Classify(err, server, "rcpt"))
	}
	if len(res.Accepted) == 0 {
		s.reset()
		return res, false, nil
	}

	w, err := cl.Data()
	if err != nil {
		s.failed(err)
		return nil, false, Classify(err, server, "data")
	}
	if _, err := w.Write(data); err != nil {
		// The connection is somewhere inside DATA: it can't be reused.
		s.drop()
		return nil, false, Classify(err, server, "data")
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		s.failed(err)
		return nil, false, Classify(err, server, "data")
	}
	res.Reply = "250 " + resp.StatusText
	res.QueueID = ParseQueueID(resp.StatusText)
	return res, false, nil
}

func (r *Result) refuse(rcpt string, e *Error) {
	if e.Permanent {
		if r.Refused == nil {
			r.Refused = make(map[string]*Error)
		}
		r.Refused[rcpt] = e
		return
	}
	if r.Deferred == nil {
		r.Deferred = make(map[string]*Error)
	}
	r.Deferred[rcpt] = e
}

// noteDeferred remembers the recipients of to that got a temporary
// refusal on c: those in res.Deferred, or all of them when err is a 4xx
// reply for the whole message.
func (c *Conn) noteDeferred(to []string, res *Result, err error) {
	var rcpts []string
	var e *Error
	if errors.As(err, &e) && !e.Permanent && e.Code >= 400 && e.Code <= 499 {
		rcpts = to
	}
	if res != nil {
		for r := range res.Deferred {
			rcpts = append(rcpts, r)
		}
	}
	if len(rcpts) == 0 {
		return
	}
	if c.deferred == nil {
		c.deferred = make(map[string]struct{})
	}
	for _, r := range rcpts {
		c.deferred[strings.ToLower(r)] = struct{}{}
	}
}

// deferredAny reports whether a recipient of to got a temporary refusal on
// c (addresses compared ignoring case).
func (c *Conn) deferredAny(to []string) bool {
	for _, r := range to {
		if _, ok := c.deferred[strings.ToLower(r)]; ok {
			return true
		}
	}
	return false
}

// failed ends a failed transaction: the connection is dropped when err
// says it is gone, else RSET is sent.
func (s *Session) failed(err error) {
	if connGone(err) {
		s.drop()
		return
	}
	s.reset()
}

// reset sends RSET and drops the connection if that fails.
//
// go-smtp's Reset forgets the EHLO, and its next command would send EHLO
// again first; a failure there would look like a server without
// extensions (no SMTPUTF8, no SIZE). So EHLO is sent again right here, and
// a failure drops the connection too.
func (s *Session) reset() {
	if s.conn == nil {
		return
	}
	c := s.conn
	err := c.client.Reset()
	if err == nil {
		err = c.client.Hello(c.helo)
	}
	if err != nil {
		s.log.Debug("RSET failed; dropping the connection", "server", c.Server(), "error", err)
		s.drop()
	}
}

// drop closes the connection without QUIT; the next Send reconnects.
func (s *Session) drop() {
	if s.conn != nil {
		s.conn.abort()
		s.conn = nil
	}
}

// Close sends QUIT, waiting at most 10 seconds, and closes the connection.
// A failed QUIT is not an error: the connection is closed either way. The
// Session may be used again; it reconnects.
func (s *Session) Close() error {
	if s.conn == nil {
		return nil
	}
	c := s.conn
	s.conn = nil
	timeout := min(c.timeout, quitTimeout)
	if err := c.Close(timeout); err != nil {
		s.log.Debug("QUIT failed", "server", c.Server(), "error", err)
	}
	return nil
}

// queueIDPatterns find the relay's queue id in the text of its reply to
// DATA (the reply code cut off), for the servers seen in the wild.
var queueIDPatterns = []*regexp.Regexp{
	// Postfix, SendGrid and many others: "2.0.0 Ok: queued as 4F2A1B3C"
	regexp.MustCompile(`(?i)\bqueued as <?([^\s,;<>]+)`),
	// Exim: "OK id=1tAbCd-0001Xy-2Z" (not Exchange's "InternalId=").
	regexp.MustCompile(`(?i)\bid=([^\s,;]+)`),
	// Sendmail, OpenSMTPD: "2.0.0 4A1B2c3D012345 Message accepted for delivery"
	regexp.MustCompile(`(?i)^(?:\d\.\d{1,3}\.\d{1,3} )?([0-9A-Za-z]{6,}) Message accepted for delivery`),
	// Haraka: "Message Queued (C8A5B3A9-...)"
	regexp.MustCompile(`(?i)\bMessage Queued \(([^\s()]+)\)`),
	// Gmail: "2.0.0 OK  1712345678 d2e1a72fcca58-6ecf...12 - gsmtp"
	regexp.MustCompile(`(?i)^(?:\d\.\d{1,3}\.\d{1,3} )?OK\s+\d+\s+(\S+) - gsmtp`),
	// Amazon SES: "Ok 0100018a2b3c4d5e-...-000000"
	regexp.MustCompile(`(?i)^(?:\d\.\d{1,3}\.\d{1,3} )?Ok (\S{16,})$`),
}

// ParseQueueID returns the queue id in the text of a 250 reply to DATA
// (without the code: "2.0.0 Ok: queued as 4F2A1"), or "" when the reply
// names none, as Exchange's "Queued mail for delivery" and go-smtp's "OK:
// queued" don't. Best effort.
func ParseQueueID(text string) string {
	text = strings.TrimSpace(text)
	for _, re := range queueIDPatterns {
		if m := re.FindStringSubmatch(text); m != nil {
			if id := strings.TrimRight(m[1], ".,;:)>]"); id != "" {
				return id
			}
		}
	}
	return ""
}
