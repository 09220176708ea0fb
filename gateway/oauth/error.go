package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrRefreshTokenFile is wrapped by an *Error whose cause is the
// refresh-token file: it cannot be read, is empty, or a new refresh token
// could not be written to it.
var ErrRefreshTokenFile = errors.New("refresh-token file")

// ErrRefreshTokenUnsaved is wrapped by State.SaveError: the provider
// handed out a new refresh token that could not be written to the file.
var ErrRefreshTokenUnsaved = errors.New("the new refresh token could not be saved")

// Error is a failure to get a token. It never holds a secret: the
// provider's text is kept, with any secret of the request scrubbed from
// it.
type Error struct {
	Provider   string // microsoft, google or generic
	Grant      string // client_credentials, jwt_bearer or refresh_token
	Endpoint   string // the token endpoint's host (and port)
	HTTPStatus int    // the reply's status; 0 when there was no reply
	// Code is the OAuth error code of the reply: invalid_client,
	// unauthorized_client, invalid_grant, invalid_scope, …
	Code string
	// Description is the reply's error_description, on one line, at most
	// 600 bytes; Microsoft's begins with its AADSTS number.
	Description string
	AADSTS      string // Microsoft's error number, such as "AADSTS7000215"
	// Temporary: no reply (network, time-out), a 5xx or a 429, where
	// waiting can help. A refusal is not temporary. Either way the relay
	// holds the queue.
	Temporary bool
	Err       error // the underlying network, reply or file error, or nil
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "oauth2 token (%s, %s)", e.Provider, e.Grant)
	if e.Endpoint != "" {
		b.WriteString(" from " + e.Endpoint)
	}
	if e.HTTPStatus != 0 && (e.HTTPStatus != http.StatusOK || e.Code != "") {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
		if e.Code == "" && e.Description == "" {
			if t := http.StatusText(e.HTTPStatus); t != "" {
				b.WriteString(" " + t)
			}
		}
	}
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	switch {
	case e.Description != "":
		b.WriteString(": " + e.Description)
	case e.AADSTS != "":
		b.WriteString(": " + e.AADSTS)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// classify tells whether a token failure may pass by waiting: no reply, a
// 5xx, a 429, or a reply that says so. A refusal is permanent.
func classify(status int, code string) bool {
	switch {
	case status == 0, status >= 500, status == http.StatusTooManyRequests:
		return true
	case code == "temporarily_unavailable", code == "server_error", code == "slow_down":
		return true
	}
	return false
}

func (src *Source) newError(status int, code, desc string, err error) *Error {
	e := &Error{Provider: src.provider, Grant: src.grant, Endpoint: src.endpoint,
		HTTPStatus: status, Code: code, Description: desc, Err: err}
	e.Temporary = classify(status, code)
	if status == http.StatusOK && code == "" {
		e.Temporary = true // a reply that is not a token: in doubt, wait
	}
	return e
}

// networkError is a request that got no reply.
func (src *Source) networkError(err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is the endpoint's; keep the cause
	}
	e := src.newError(0, "", "", err)
	if errors.Is(err, errRedirect) {
		e.Temporary = false
	}
	return e
}

var aadsts = regexp.MustCompile(`\bAADSTS[0-9]+\b`)

// refusal reads an error reply (RFC 6749 section 5.2, with Microsoft's
// error_codes). scrub lists request secrets to keep out of the text.
func (src *Source) refusal(status int, body []byte, scrub ...string) *Error {
	var ej struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
		Codes       []int64         `json:"error_codes"`
	}
	var code, desc string
	if json.Unmarshal(body, &ej) == nil {
		desc = ej.Description
		if json.Unmarshal(ej.Error, &code) != nil {
			var obj struct { // Google APIs: {"error": {"status": …, "message": …}}
				Status  string `json:"status"`
				Message string `json:"message"`
			}
			if json.Unmarshal(ej.Error, &obj) == nil {
				code, desc = obj.Status, obj.Message
			}
		}
	}
	e := src.newError(status, oneLine(code, 64), oneLine(redact(desc, append(scrub, src.secret)...), 600), nil)
	if m := aadsts.FindString(e.Description); m != "" {
		e.AADSTS = m
	} else if len(ej.Codes) > 0 {
		e.AADSTS = "AADSTS" + strconv.FormatInt(ej.Codes[0], 10)
	}
	return e
}

// redact replaces every secret in s.
func redact(s string, secrets ...string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// oneLine makes s one line of printable text of at most max bytes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
