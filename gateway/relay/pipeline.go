package relay

import (
	"errors"
	"net/textproto"
)

// sendPipelined is send's transaction with a server that offers PIPELINING
// (RFC 2920): MAIL, every RCPT and DATA go out in one write and their
// replies are read in order, then the message and its final dot in a
// second write. That is two round trips a message instead of three plus
// one a recipient, which is what a relay across a WAN, or a busy one,
// waits on. What each reply means, and what happens to the connection
// after a failure, is the same as in the one-command-at-a-time path.
//
// mail is the MAIL command and lines the RCPT command of each of rcpts,
// as envelopeCommand built them. The commands and replies go through
// c.text, a reader and writer of its own on the connection go-smtp's
// Client uses. The two never hold unread bytes when the other takes over:
// each reads a reply whole, and a server sends nothing unasked.
func (s *Session) sendPipelined(c *Conn, mail string, rcpts, lines []string, data []byte, res *Result) (retry bool, err error) {
	server := res.Server
	t := c.textConn()
	w := t.W
	c.transactions++
	w.WriteString(mail + "\r\n")
	for _, l := range lines {
		w.WriteString(l + "\r\n")
	}
	w.WriteString("DATA\r\n")
	if err := w.Flush(); err != nil {
		s.drop()
		return true, Classify(err, server, "mail")
	}

	if err := c.reply(250); err != nil {
		if connGone(err) {
			s.drop()
			return true, Classify(err, server, "mail")
		}
		// The server answers the rest of the group too (each RCPT and
		// DATA with "bad sequence", usually): read it all. drain drops
		// the connection if that fails.
		if s.drain(c, len(rcpts)) {
			s.reset()
		}
		return false, Classify(err, server, "mail")
	}
	for _, r := range rcpts {
		err := c.reply(25)
		if err == nil {
			res.Accepted = append(res.Accepted, r)
			continue
		}
		if connGone(err) {
			s.drop()
			return false, Classify(err, server, "rcpt")
		}
		res.refuse(r, Classify(err, server, "rcpt"))
	}
	derr := c.reply(354)
	if len(res.Accepted) == 0 {
		if s.noData(c, derr) {
			s.reset()
		}
		return false, nil
	}
	if derr != nil {
		s.failed(derr)
		return false, Classify(derr, server, "data")
	}
	dw := t.DotWriter()
	if _, err := dw.Write(data); err != nil {
		s.drop() // somewhere inside DATA: the connection can't be reused
		return false, Classify(err, server, "data")
	}
	if err := dw.Close(); err != nil {
		s.drop()
		return false, Classify(err, server, "data")
	}
	msg, err := c.replyText(250)
	if err != nil {
		s.failed(err)
		return false, Classify(err, server, "data")
	}
	res.Reply = "250 " + msg
	res.QueueID = ParseQueueID(msg)
	return false, nil
}

// textConn is c.text, made on first use.
func (c *Conn) textConn() *textproto.Conn {
	if c.text == nil {
		c.text = textproto.NewConn(c.wire)
	}
	return c.text
}

// command writes the command line (without its line end) and reads its
// reply; a code other than expect (a prefix) is an *smtp.SMTPError.
func (c *Conn) command(line string, expect int) error {
	t := c.textConn()
	t.W.WriteString(line + "\r\n")
	if err := t.W.Flush(); err != nil {
		return err
	}
	return c.reply(expect)
}

// reply reads one reply from c.text; a code other than expect (a prefix,
// as textproto.Reader.ReadResponse takes it) is an *smtp.SMTPError.
func (c *Conn) reply(expect int) error {
	_, err := c.replyText(expect)
	return err
}

// replyText is reply, and returns the reply's text too. The reply is
// awaited from now: it must arrive whole within timeout and in MaxReply
// bytes (see replyConn), also when it is one of a pipelined group.
func (c *Conn) replyText(expect int) (string, error) {
	if err := c.rc.awaitReply(); err != nil {
		return "", err
	}
	code, msg, err := c.text.ReadResponse(expect)
	return msg, replyError(code, err)
}

// replyError makes a textproto reply error an *smtp.SMTPError, as go-smtp's
// Client returns them; other errors (the network, a garbled reply) stay.
func replyError(code int, err error) error {
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return smtpError(code, pe.Msg)
	}
	return err
}

// drain reads the replies to n RCPTs and DATA after MAIL failed. It
// reports whether the connection is still usable, and drops it if not.
func (s *Session) drain(c *Conn, n int) bool {
	for range n {
		if err := c.reply(25); err != nil && connGone(err) {
			s.drop()
			return false
		}
	}
	return s.noData(c, c.reply(354))
}

// noData deals with the reply to a DATA that must carry no message (no
// recipient was accepted, or MAIL failed): the server should refuse it
// (derr not nil); one that opens it anyway gets an empty message, ended at
// once and not kept. It reports whether the connection is still usable,
// and drops it if not.
func (s *Session) noData(c *Conn, derr error) bool {
	if derr != nil {
		if connGone(derr) {
			s.drop()
			return false
		}
		return true
	}
	c.text.W.WriteString(".\r\n")
	err := c.text.W.Flush()
	if err == nil {
		err = c.reply(2) // whatever it is
	}
	if err != nil && connGone(err) {
		s.drop()
		return false
	}
	return true
}
