package oauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"
)

// SASL mechanism names.
const (
	XOAUTH2     = "XOAUTH2"
	OAUTHBEARER = sasl.OAuthBearer
)

// Refusal is the error a server sends as a SASL challenge when it refuses
// a token: base64 JSON such as
// {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}
// (XOAUTH2) or {"status":"invalid_token"} (OAUTHBEARER, RFC 7628).
type Refusal struct {
	Status              string // "401", "invalid_token", …
	Schemes             string
	Scope               string
	OpenIDConfiguration string
	Text                string // the challenge, when it is not JSON (bounded, one line)
}

// String is one line for the relay's health and check output.
func (r *Refusal) String() string {
	if r == nil {
		return ""
	}
	if r.Text != "" {
		return "the server refused the token: " + r.Text
	}
	return "the server refused the token (" + r.Decoded() + ")"
}

// Decoded is the challenge, decoded, on one line: "status 401, schemes
// bearer, scope https://mail.google.com/", or its text when it was not
// JSON.
func (r *Refusal) Decoded() string {
	if r == nil {
		return ""
	}
	if r.Text != "" {
		return r.Text
	}
	var parts []string
	for _, kv := range [][2]string{{"status", r.Status}, {"schemes", r.Schemes}, {"scope", r.Scope}, {"openid-configuration", r.OpenIDConfiguration}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	return strings.Join(parts, ", ")
}

// BearerClient is a sasl.Client that logs in with an OAuth2 access token,
// by XOAUTH2 or OAUTHBEARER.
//
// The credentials go on the AUTH line as the initial response only when
// the line stays within SMTP's 512 octets (RFC 4954 section 4: a client
// must not send an initial response that would make the AUTH command
// longer); a real token is longer, so Start returns no initial response,
// the server answers 334 with an empty challenge, and Next sends the
// credentials on a line of their own (up to 12288 octets). Dovecot 2.3's
// submission-login, for one, refuses an AUTH line over about 1 KB with
// "500 5.5.2 Line too long", but takes 8 KB on the continuation line.
//
// When the server refuses the token it sends its error as a challenge;
// BearerClient keeps it (Refusal) and answers as each mechanism wants (an
// empty response for XOAUTH2, a single 0x01 for OAUTHBEARER), so the
// server ends the exchange with its final reply, a 535, which the SMTP
// client returns. It prints without the token. Use one BearerClient for
// one AUTH.
type BearerClient struct {
	mech     string
	username string
	token    string
	host     string
	port     int
	refusal  *Refusal
	pending  []byte // the credentials, when not sent as the initial response
	answered bool
}

// MaxAUTHLine is the longest AUTH command line, CRLF included, that
// carries an initial response: SMTP's command line limit (RFC 5321
// section 4.5.3.1.4).
const MaxAUTHLine = 512

// XOAUTH2Client returns a client for XOAUTH2 (Google's and Microsoft's
// mechanism), whose initial response is
// "user=" + username + "\x01auth=Bearer " + token + "\x01\x01".
func XOAUTH2Client(username, token string) *BearerClient {
	return &BearerClient{mech: XOAUTH2, username: username, token: token}
}

// OAuthBearerClient returns a client for OAUTHBEARER (RFC 7628), whose
// initial response is "n,a=" + username + ",\x01host=" + host +
// "\x01port=" + port + "\x01auth=Bearer " + token + "\x01\x01"; host and
// port are left out when empty or 0.
func OAuthBearerClient(username, token, host string, port int) *BearerClient {
	return &BearerClient{mech: OAUTHBEARER, username: username, token: token, host: host, port: port}
}

var errBadCredential = errors.New("oauth: the username, host or token holds a control character")

// Start returns the mechanism and its initial response, or none when the
// AUTH line would be longer than MaxAUTHLine (Next then sends it).
func (c *BearerClient) Start() (string, []byte, error) {
	for _, s := range []string{c.username, c.token, c.host} {
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return "", nil, errBadCredential
		}
	}
	if c.token == "" {
		return "", nil, errors.New("oauth: no access token")
	}
	var b strings.Builder
	switch c.mech {
	case XOAUTH2:
		b.WriteString("user=" + c.username + "\x01auth=Bearer " + c.token + "\x01\x01")
	default:
		b.WriteString("n,")
		if c.username != "" {
			// RFC 5801 saslname: "," and "=" are escaped.
			b.WriteString("a=" + strings.NewReplacer("=", "=3D", ",", "=2C").Replace(c.username))
		}
		b.WriteString(",")
		if c.host != "" {
			b.WriteString("\x01host=" + c.host)
		}
		if c.port != 0 {
			b.WriteString("\x01port=" + strconv.Itoa(c.port))
		}
		b.WriteString("\x01auth=Bearer " + c.token + "\x01\x01")
	}
	ir := []byte(b.String())
	c.pending, c.answered, c.refusal = nil, false, nil
	if len("AUTH "+c.mech+" \r\n")+base64.StdEncoding.EncodedLen(len(ir)) > MaxAUTHLine {
		c.pending = ir
		return c.mech, nil, nil
	}
	return c.mech, ir, nil
}

// Next answers a challenge. The first, when Start sent no initial
// response, asks for the credentials. After them, a challenge is the
// server's refusal: it is kept and answered once; another aborts.
func (c *BearerClient) Next(challenge []byte) ([]byte, error) {
	if c.pending != nil {
		ir := c.pending
		c.pending = nil
		return ir, nil
	}
	if c.answered {
		return nil, sasl.ErrUnexpectedServerChallenge
	}
	c.answered = true
	c.refusal = parseRefusal(challenge)
	if c.mech == XOAUTH2 {
		return []byte{}, nil // not nil: go-smtp sends an empty line only for a non-nil response
	}
	return []byte{0x01}, nil
}

// Refusal returns the error the server sent as a challenge, or nil.
func (c *BearerClient) Refusal() *Refusal { return c.refusal }

// Mechanism returns XOAUTH2 or OAUTHBEARER.
func (c *BearerClient) Mechanism() string { return c.mech }

func parseRefusal(challenge []byte) *Refusal {
	var m map[string]any
	if json.Unmarshal(challenge, &m) != nil || m == nil {
		return &Refusal{Text: oneLine(string(challenge), 300)}
	}
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return oneLine(v, 300)
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case nil:
			return ""
		default:
			return oneLine(fmt.Sprint(v), 300)
		}
	}
	return &Refusal{Status: str("status"), Schemes: str("schemes"), Scope: str("scope"), OpenIDConfiguration: str("openid-configuration")}
}

var _ sasl.Client = (*BearerClient)(nil)
