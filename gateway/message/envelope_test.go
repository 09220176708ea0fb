package message

import (
	"strings"
	"testing"
)

// hostileAddresses are envelope addresses a queue writer could try, with
// what Parse must make of them: the address it reads, or "" for a bad
// address (the file is refused with cause bad-address).
var hostileAddresses = []struct {
	name, value, want string
}{
	{"IPv4 literal", "x@[1.2.3.4]", "x@[1.2.3.4]"},
	{"IPv4 literal in angles", "Patron <x@[192.0.2.1]>", "x@[192.0.2.1]"},
	{"IPv6 literal", "x@[IPv6:::1]", "x@[IPv6:::1]"},
	{"IPv6 literal, full", "x@[IPv6:2001:db8:0:0:0:0:0:1]", "x@[IPv6:2001:db8:0:0:0:0:0:1]"},
	{"IPv6 literal, tag in lower case", "x@[ipv6:2001:db8::1]", "x@[ipv6:2001:db8::1]"},
	{"IPv6 literal with IPv4 tail", "x@[IPv6:::ffff:192.0.2.1]", "x@[IPv6:::ffff:192.0.2.1]"},
	{"standard-tagged literal", "x@[x-tag:some.text]", "x@[x-tag:some.text]"},

	{"parameter injection", "x@[127.0.0.1> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;boss@corp.example]", ""},
	{"injection without spaces", "x@[127.0.0.1>NOTIFY=SUCCESS]", ""},
	{"space in literal", "x@[foo bar]", ""},
	{"angle in literal", "x@[a>b]", ""},
	{"open angle in literal", "x@[a<b]", ""},
	{"space in tagged literal", "x@[tag:a b]", ""},
	{"angle in tagged literal", "x@[tag:127.0.0.1>NOTIFY=SUCCESS]", ""},
	{"untagged IPv6", "x@[::1]", ""},
	{"IPv6 tag, IPv4 address", "x@[IPv6:1.2.3.4]", ""},
	{"IPv6 tag, bad address", "x@[IPv6:1:2:3]", ""},
	{"IPv6 with a zone", "x@[IPv6:fe80::1%eth0]", ""},
	{"bad IPv4", "x@[1.2.3]", ""},
	{"IPv4 over 255", "x@[1.2.3.256]", ""},
	{"IPv4 with leading zeros", "x@[001.002.003.004]", ""},
	{"name in brackets", "x@[example.org]", ""},
	{"empty literal", "x@[]", ""},
	{"tag without text", "x@[tag:]", ""},
	{"tag ending in hyphen", "x@[tag-:text]", ""},
	{"empty tag", "x@[:text]", ""},
	{"escape in literal", `x@[a\]b]`, ""},
	{"tab in literal", "x@[a\tb]", ""},
	{"control character in literal", "x@[a\x01b]", ""},
	{"DEL in literal", "x@[a\x7fb]", ""},
	{"8-bit byte in literal", "x@[tag:\xc3\xa9]", ""},
	{"folded literal", "x@[1.2.3.4\r\n .5]", ""},
	{"literal and a name", "x@[1.2.3.4].example", ""},
	{"very long literal", "x@[tag:" + strings.Repeat("a", 300) + "]", ""},
	{"longest literal", "x@[tag:" + strings.Repeat("a", 245) + "]", "x@[tag:" + strings.Repeat("a", 245) + "]"},

	{"angle tricks: close early", "<x@example.org> NOTIFY=SUCCESS", ""},
	{"angle tricks: parameters after the path", "<x@example.org> ORCPT=rfc822;boss@corp.example", ""},
	{"angle tricks: doubled", "<<x@example.org>>", ""},
	{"angle tricks: unbalanced", "x@example.org>", ""},
	{"parameters without angles", "x@example.org NOTIFY=NEVER", ""},
}

// TestParse_HostileAddresses runs the table through Parse as X-Receiver and
// as X-Sender: a valid address is read as it is; anything else refuses the
// file as a bad address, and what is accepted never holds a byte that
// could end the path on the wire.
func TestParse_HostileAddresses(t *testing.T) {
	for _, tc := range hostileAddresses {
		for _, header := range []string{"X-Receiver", "X-Sender"} {
			t.Run(header+"/"+tc.name, func(t *testing.T) {
				raw := header + ": " + tc.value + "\r\n"
				if header == "X-Sender" {
					raw += "X-Receiver: ok@example.org\r\n"
				}
				raw += "Subject: s\r\n\r\nbody\r\n"
				m, err := Parse([]byte(raw), testOptions())
				if tc.want == "" {
					if err == nil {
						t.Fatalf("Parse accepted %q: sender %q, recipients %q", tc.value, m.Sender, m.Recipients)
					}
					e := checkError(t, err)
					if e.Cause != "bad-address" {
						t.Errorf("error = %v (%+v), want cause bad-address", err, e)
					}
					if strings.Contains(tc.value, "[") && tc.name != "literal and a name" && !strings.Contains(err.Error(), "domain literal") {
						t.Errorf("error = %v, want it to say what a domain literal may be", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Parse(%q): %v", tc.value, err)
				}
				got := m.Sender
				if header == "X-Receiver" {
					if len(m.Recipients) != 1 {
						t.Fatalf("recipients = %q, want one", m.Recipients)
					}
					got = m.Recipients[0]
				}
				if got != tc.want {
					t.Errorf("address = %q, want %q", got, tc.want)
				}
				if strings.ContainsAny(got, " <>\r\n\t\x00") {
					t.Errorf("accepted address %q holds a byte that could end the path", got)
				}
			})
		}
	}
}

// A NUL byte refuses the whole file, before any address is read.
func TestParse_NULInAddress(t *testing.T) {
	_, err := Parse([]byte("X-Receiver: x@[1.2.3.4\x00]\r\nSubject: s\r\n\r\nbody\r\n"), testOptions())
	if e := checkError(t, err); e.Detail.ID != NULBytes {
		t.Errorf("error = %v, want NULBytes", err)
	}
}

// The error of a bad domain literal says what a literal may be, and quotes
// nothing of it (the Detail quotes the address, cut to a fragment).
func TestParse_BadLiteralError(t *testing.T) {
	_, err := Parse([]byte("X-Receiver: x@[127.0.0.1> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;boss@corp.example]\r\nSubject: s\r\n\r\nb\r\n"), testOptions())
	e := checkError(t, err)
	if e.Detail.ID != BadAddress || e.Detail.Header != "X-Receiver" || e.Detail.Line != 1 {
		t.Errorf("detail = %+v, want BadAddress in X-Receiver at line 1", e.Detail)
	}
	if e.Err == nil || strings.Contains(e.Err.Error(), "NOTIFY") {
		t.Errorf("Err = %v, want words without the address", e.Err)
	}
}

func TestValidDomainLiteral(t *testing.T) {
	for lit, want := range map[string]bool{
		"[192.0.2.1]":                            true,
		"[0.0.0.0]":                              true,
		"[IPv6:2001:db8::1]":                     true,
		"[IPV6:::]":                              true,
		"[IPv6:::ffff:192.0.2.1]":                true,
		"[a-b1:!#$%&'*+/=?^_`{|}~\"(),.;:]":      true,  // all dcontent
		"[tag:a<b]":                              false, // dcontent, but it could end the path
		"[tag:a>b]":                              false,
		"[tag:" + strings.Repeat("z", 249) + "]": true,  // 255 bytes
		"[tag:" + strings.Repeat("z", 250) + "]": false, // 256 bytes
		"[192.0.2.1":                             false,
		"192.0.2.1]":                             false,
		"[]":                                     false,
		"[192.0.2.1 ]":                           false,
		"[IPv6:2001:db8::1 ]":                    false,
		"[IPv6:]":                                false,
		"[IPv4:192.0.2.1]":                       true, // a tag and text, as the grammar has it
		"[-:x]":                                  false,
		"[a_b:x]":                                false,
		"[tag:x y]":                              false,
		"[tag:x]y]":                              false,
		"[tag:x\\y]":                             false,
	} {
		if got := ValidDomainLiteral(lit); got != want {
			t.Errorf("ValidDomainLiteral(%q) = %v, want %v", lit, got, want)
		}
	}
}
