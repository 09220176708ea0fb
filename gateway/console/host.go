package console

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
)

// hostList is the Host headers the console answers to, a defence against
// DNS rebinding: a page of another site whose name an attacker points at
// this machine sends that name as its Host, and is refused.
//
// The console answers as, always with the port of [console] listen:
//   - the host of [console] listen itself;
//   - when it is a loopback address or localhost: localhost, 127.0.0.1
//     and [::1];
//   - when it listens on every address (0.0.0.0, :: or no host): those
//     three, this machine's host name (as os.Hostname gives it, and its
//     first label), and the IP addresses of its network interfaces;
//   - under TLS, the DNS names and IP addresses of the certificate, which
//     is the name people use for it.
//
// A Host with no port is also taken when the port is the scheme's default
// (80, or 443 under TLS). Names are compared without case and without a
// final dot.
type hostList struct {
	port string
	set  map[string]bool // host names and addresses, lower case, IPv6 without brackets
	dflt bool            // the port is the scheme's default
}

func newHostList(listen string, tc *tls.Config) (*hostList, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("console: [console] listen = %s: want host:port: %w", listen, err)
	}
	h := &hostList{port: port, set: map[string]bool{}}
	h.dflt = port == "80" && tc == nil || port == "443" && tc != nil
	add := func(names ...string) {
		for _, n := range names {
			if n = normalHost(n); n != "" {
				h.set[n] = true
			}
		}
	}
	loopback := []string{"localhost", "127.0.0.1", "::1"}
	add(host)
	ip, ipErr := netip.ParseAddr(host)
	switch {
	case host == "" || ipErr == nil && ip.IsUnspecified():
		add(loopback...)
		if name, err := os.Hostname(); err == nil {
			add(name, strings.SplitN(name, ".", 2)[0])
		}
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if p, err := netip.ParsePrefix(a.String()); err == nil {
					add(p.Addr().WithZone("").String())
				}
			}
		}
	case strings.EqualFold(host, "localhost") || ipErr == nil && ip.IsLoopback():
		add(loopback...)
	}
	if tc != nil {
		for _, c := range tc.Certificates {
			leaf := c.Leaf
			if leaf == nil && len(c.Certificate) > 0 {
				leaf, _ = x509.ParseCertificate(c.Certificate[0])
			}
			if leaf == nil {
				continue
			}
			add(leaf.DNSNames...)
			for _, a := range leaf.IPAddresses {
				add(a.String())
			}
		}
	}
	return h, nil
}

// normalHost is a host name or address as hostList keeps it.
func normalHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Unmap().String()
	}
	return h
}

// allows tells whether a request's Host header names the console.
func (h *hostList) allows(hostHeader string) bool {
	host, port, err := net.SplitHostPort(hostHeader)
	if err != nil {
		// No port: only for the scheme's default port.
		if !h.dflt || strings.Contains(strings.Trim(hostHeader, "[]"), "]") {
			return false
		}
		host, port = hostHeader, h.port
	}
	return port == h.port && h.set[normalHost(host)]
}

// names lists the hosts answered as, for a message; sorted.
func (h *hostList) names() []string {
	var out []string
	for n := range h.set {
		out = append(out, net.JoinHostPort(n, h.port))
	}
	slices.Sort(out)
	return out
}
