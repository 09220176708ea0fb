package gateway

import (
	"log/slog"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/message"
)

// parse reads a message file with the settings of its unit: the file is
// read with [message]'s, and again with its unit's when its
// X-Spoolgate-Unit names a [unit.NAME] that sets its own sender (whatever
// the unit leaves unset falls back to [message], see config.UnitFor). It
// returns the unit's relay chain, or nil for [smtp].
//
// key, the file's claim key, seeds an added Message-ID, so a message sent
// again after a crash keeps its Message-ID, and is written as its
// X-Spoolgate-Id header, so a bounce that returns the headers names it.
func (g *Gateway) parse(raw []byte, key string, log *slog.Logger) (*message.Message, *config.Server, error) {
	opts := g.opts
	opts.IDSeed, opts.SpoolgateID = key, key
	msg, err := message.Parse(raw, opts)
	if err != nil || msg.Unit == "" {
		return msg, nil, err
	}
	u, ok := g.cfg.UnitFor(msg.Unit)
	if !ok {
		log.Warn("the file names a unit that is not configured; sending it with the [message] and [smtp] settings", "unit", msg.Unit)
		return msg, nil, nil
	}
	uo := opts
	uo.From, uo.FromName, uo.ReturnPath, uo.CopyTo = u.From, u.FromName, u.ReturnPath, u.CopyTo
	if uo.From != opts.From || uo.FromName != opts.FromName || uo.ReturnPath != opts.ReturnPath || uo.CopyTo != opts.CopyTo {
		if msg, err = message.Parse(raw, uo); err != nil {
			return nil, nil, err
		}
	}
	if u.SMTP == g.cfg.SMTP {
		return msg, nil, nil
	}
	return msg, u.SMTP, nil
}

// chainName names the relay chain a message goes to, for the journal.
func (g *Gateway) chainName(chain *config.Server) string {
	if chain == nil || g.cfg.Capture != "" {
		return g.relayName()
	}
	return chain.Name + " (" + chain.Address() + ")"
}
