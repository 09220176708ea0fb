package gateway

import (
	"log/slog"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/message"
)

// unitRoute is how the messages of one [unit.NAME] go out: their sender
// defaults and their relay chain (nil for [smtp]).
type unitRoute struct {
	opts  message.Options
	chain *config.Server
}

// unitRoutes builds the routes of cfg's units; whatever a unit leaves unset
// falls back to [message] (base) and [smtp].
func unitRoutes(cfg *config.Config, base message.Options) map[string]unitRoute {
	out := map[string]unitRoute{}
	for name, u := range cfg.Units {
		o := base
		if u.From != "" {
			o.From = u.From
			if u.ReturnPath == "" && cfg.Message.ReturnPath == cfg.Message.From {
				o.ReturnPath = u.From
			}
		}
		if u.FromName != "" {
			o.FromName = u.FromName
		}
		if u.ReturnPath != "" {
			o.ReturnPath = u.ReturnPath
		}
		if u.CopyTo != "" {
			o.CopyTo = u.CopyTo
		}
		out[strings.ToLower(name)] = unitRoute{opts: o, chain: u.SMTP}
	}
	return out
}

// parse reads a message file with the defaults of its unit: the file is
// read once with [message]'s, and again with its unit's when its
// X-Spoolgate-Unit names a unit that sets its own sender. It returns the
// unit's relay chain, or nil for [smtp].
//
// key, the file's claim key, seeds an added Message-ID, so a message sent
// again after a crash keeps its Message-ID.
func (g *Gateway) parse(raw []byte, key string, log *slog.Logger) (*message.Message, *config.Server, error) {
	opts := g.opts
	opts.IDSeed = key
	msg, err := message.Parse(raw, opts)
	if err != nil || msg.Unit == "" {
		return msg, nil, err
	}
	r, ok := g.units[strings.ToLower(msg.Unit)]
	if !ok {
		log.Warn("the file names a unit that is not configured; sending it with the [message] and [smtp] settings", "unit", msg.Unit)
		return msg, nil, nil
	}
	if !sameSender(r.opts, g.opts) {
		uo := r.opts
		uo.IDSeed = key
		if msg, err = message.Parse(raw, uo); err != nil {
			return nil, nil, err
		}
	}
	return msg, r.chain, nil
}

// sameSender tells whether two option sets give a message the same sender.
func sameSender(a, b message.Options) bool {
	return a.From == b.From && a.FromName == b.FromName && a.ReturnPath == b.ReturnPath && a.CopyTo == b.CopyTo
}

// chainName names the relay chain a message goes to, for the journal.
func (g *Gateway) chainName(chain *config.Server) string {
	if chain == nil || g.cfg.Capture != "" {
		return g.relayName()
	}
	return chain.Name + " (" + chain.Address() + ")"
}
