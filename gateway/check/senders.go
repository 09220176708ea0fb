package check

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/relay"
)

// The MAIL step: after the login, each server is asked whether it takes
// every sender the service will send from through it (MAIL FROM, then
// RSET). Nothing is sent: there is never a RCPT or a DATA. A relay that
// refuses every sender refuses every message, which the connection steps
// alone would not show.

// sender is an address spoolgate sends from, and the keys that set it.
type sender struct {
	addr string
	// keys are where it is configured, e.g. "from in [message]" or
	// "return_path in [unit.central]", in the order found.
	keys []string
	// envelope: real messages carry it in MAIL FROM (return_path, which
	// defaults to from). Otherwise it is only in the From header.
	envelope bool
	// with are the envelope senders of the messages whose From it is.
	with []string
}

// senderList collects senders, one per address (ignoring case).
type senderList []sender

// add adds addr, set by key. returnPath is the envelope sender of the
// messages that carry addr: addr itself for an envelope sender.
func (l *senderList) add(addr, key, returnPath string) {
	if addr == "" {
		return
	}
	envelope := strings.EqualFold(addr, returnPath)
	for i := range *l {
		s := &(*l)[i]
		if strings.EqualFold(s.addr, addr) {
			if !slices.Contains(s.keys, key) {
				s.keys = append(s.keys, key)
			}
			s.envelope = s.envelope || envelope
			if !envelope && !slices.Contains(s.with, returnPath) {
				s.with = append(s.with, returnPath)
			}
			return
		}
	}
	s := sender{addr: addr, keys: []string{key}, envelope: envelope}
	if !envelope {
		s.with = []string{returnPath}
	}
	*l = append(*l, s)
}

// chainHas reports whether srv is one of the servers of the chain that
// starts at head.
func chainHas(head, srv *config.Server) bool {
	seen := map[*config.Server]bool{}
	for s := head; s != nil && !seen[s]; s = s.Next {
		if s == srv {
			return true
		}
		seen[s] = true
	}
	return false
}

// sendersFor lists the senders of the messages that may go through srv:
// those of [message] when srv is in the [smtp] chain, and those of each
// [unit.NAME] whose chain (its smtp, else [smtp]) has srv. A unit's field
// left empty falls back to [message] (config.UnitFor), and is named by the
// [message] key that sets it.
func sendersFor(cfg *config.Config, srv *config.Server) []sender {
	var l senderList
	m := cfg.Message
	retKey := "from in [message]" // return_path defaults to from
	if !strings.EqualFold(m.ReturnPath, m.From) {
		retKey = "return_path in [message]"
	}
	if chainHas(cfg.SMTP, srv) {
		l.add(m.ReturnPath, retKey, m.ReturnPath)
		l.add(m.From, "from in [message]", m.ReturnPath)
	}
	names := make([]string, 0, len(cfg.Units))
	for name := range cfg.Units {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		u, _ := cfg.UnitFor(name)
		if !chainHas(u.SMTP, srv) {
			continue
		}
		own := cfg.Units[name]
		sec := "[unit." + name + "]"
		key := retKey
		if own.ReturnPath != "" {
			key = "return_path in " + sec
		}
		l.add(u.ReturnPath, key, u.ReturnPath)
		key = "from in [message]"
		if own.From != "" {
			key = "from in " + sec
		}
		l.add(u.From, key, u.ReturnPath)
	}
	return l
}

// probeSenders is the MAIL step: it asks srv about each sender in turn.
// It stops early when an answer concerns the session rather than the
// sender (a login is required, the connection is gone): every other
// sender would get the same answer.
func (s *serverCheck) probeSenders(ctx context.Context, c *relay.Conn) {
	senders := s.senders
	if len(senders) == 0 {
		s.add("MAIL", StatusSkip, "no sender of this config is sent through this server", "")
		return
	}
	for i, snd := range senders {
		err := c.Probe(ctx, snd.addr)
		if err == nil {
			s.add("MAIL", StatusOK, fmt.Sprintf("MAIL FROM:<%s> accepted (%s); RSET, nothing sent", snd.addr, strings.Join(snd.keys, ", ")), "")
			continue
		}
		st := StatusFail
		if !snd.envelope {
			st = StatusWarn
		}
		step := failed("MAIL", err, mailVerdict(err, mailCase{srv: s.srv, snd: snd, localIP: s.out.LocalAddress}))
		step.Status = st
		step.Detail = fmt.Sprintf("MAIL FROM:<%s> (%s): %s", snd.addr, strings.Join(snd.keys, ", "), step.Detail)
		s.addStep(step)
		if sessionWide(err) {
			if rest := len(senders) - i - 1; rest > 0 {
				s.add("MAIL", StatusSkip, fmt.Sprintf("%s not asked about: the server's answer concerns every sender", plural(rest, "more sender")), "")
			}
			return
		}
	}
}

// sessionWide reports whether a refusal at MAIL concerns the session, not
// the sender: no reply came (the connection is gone), or the cause holds
// the whole queue (a login is required, this machine is refused, a
// quota) other than a refused sender, which another sender may not meet.
func sessionWide(err error) bool {
	e := replied(err)
	if e == nil {
		var re *relay.Error
		return !errors.As(err, &re) || re.Cause != cause.ContentRefused // an international sender the relay can't take
	}
	return e.Code == 421 || e.Cause.HoldsQueue() && e.Cause != cause.SenderRefused
}
