package daily

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/relay"
)

// probeTimeout bounds the look at one server's certificate.
const probeTimeout = 30 * time.Second

// certificates looks at the TLS certificate of every server of every chain
// and warns of one that expires within 30 days or has expired. It connects,
// greets and starts TLS as the chain's config says, without verifying the
// certificate (so that an expired one can still be read) and without
// logging in, so no password is sent over a connection it did not verify.
// A server it can't reach is a warning; a server without TLS is skipped.
func (r *Report) certificates(ctx context.Context) {
	if r.cfg.Capture != "" {
		return
	}
	var servers []*config.Server
	seen := map[string]bool{}
	for _, h := range heads(r.cfg) {
		for s := h; s != nil; s = s.Next {
			if l := label(s); !seen[l] && s.Security != config.SecurityNone {
				seen[l] = true
				servers = append(servers, s)
			}
		}
	}
	// All at once, so that servers that can't be reached cost one time-out.
	type result struct {
		notAfter time.Time
		err      error
	}
	results := make([]result, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			t, err := peerExpiry(ctx, s)
			results[i] = result{t, err}
		})
	}
	wg.Wait()
	for i, s := range servers {
		l, res := label(s), results[i]
		switch {
		case res.err != nil:
			r.warn("certificate-check", r.t.WCertCheck, l, oneLine(res.err.Error()))
		case res.notAfter.IsZero(): // no STARTTLS offered (security = auto)
		case !res.notAfter.After(r.Made):
			r.warn("certificate", r.t.WCertExpired, l, r.date(res.notAfter))
		case res.notAfter.Sub(r.Made) <= certWarning:
			r.warn("certificate", r.t.WCertSoon, l, r.date(res.notAfter), r.days(res.notAfter.Sub(r.Made)))
		}
	}
}

// peerExpiry returns when the certificate srv presents expires, or the zero
// time when the connection stays plain text.
func peerExpiry(ctx context.Context, srv *config.Server) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	probe := *srv
	probe.Next = nil
	probe.TLSVerify = false
	probe.Username, probe.Password = "", ""
	if probe.ConnectTimeout <= 0 || probe.ConnectTimeout > probeTimeout {
		probe.ConnectTimeout = probeTimeout
	}
	if probe.Timeout <= 0 || probe.Timeout > probeTimeout {
		probe.Timeout = probeTimeout
	}
	c, err := relay.Dial(ctx, &probe)
	if err != nil {
		return time.Time{}, err
	}
	if c.TLS() == nil {
		if err := c.Hello(ctx); err != nil {
			c.Abort()
			return time.Time{}, err
		}
		if err := c.StartTLS(ctx); err != nil {
			c.Abort()
			return time.Time{}, err
		}
	}
	defer c.Close(5 * time.Second)
	st := c.TLS()
	if st == nil {
		return time.Time{}, nil
	}
	if len(st.PeerCertificates) == 0 {
		return time.Time{}, errors.New("the server sent no certificate")
	}
	return st.PeerCertificates[0].NotAfter, nil
}
