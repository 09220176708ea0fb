package gateway

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/message"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// TestCorpus_EndToEnd drops every corpus file into a real queue folder and
// relays it to a real SMTP server: relay files must arrive byte-faithful
// (but for the headers spoolgate adds and removes), reject files must go
// .BAD with a reason, and either files may do either, faithfully.
func TestCorpus_EndToEnd(t *testing.T) {
	type item struct{ file, path, name, expected string }
	var items []item
	for _, c := range spooltest.Corpus(t) {
		name := strings.NewReplacer("/", "_").Replace(strings.TrimPrefix(c.Name, "eml/"))
		items = append(items, item{c.Name, c.Path, name, c.Expected})
	}
	if len(items) < 70 {
		t.Fatalf("only %d corpus entries", len(items))
	}

	srv := smtptest.NewServer(t, smtptest.WithSMTPUTF8(false))
	cfg := testConfig(t, srv)
	byName := map[string][]byte{}
	for _, it := range items {
		raw, err := os.ReadFile(it.path)
		if err != nil {
			t.Fatal(err)
		}
		if !namesRecipients(raw) {
			// The envelope comes as an ILS would give it, in the pickup
			// format: spoolgate reads and removes the X-Receiver line.
			raw = append([]byte("X-Receiver: corpus@example.net\r\n"), raw...)
		}
		byName[it.name] = raw
		// Each file names its own corpus name, so it can be found at the sink.
		drop(t, cfg, it.name, raw)
	}
	start(t, cfg)
	waitFor(t, "every corpus file is sent or set aside", func() bool {
		for _, n := range files(t, cfg.Spool.Folder) {
			if !strings.HasSuffix(n, ".BAD") && !strings.HasSuffix(n, ".BAD.txt") {
				return false
			}
		}
		return true
	})
	bad := map[string]string{}
	for _, n := range files(t, cfg.Spool.Folder) {
		if strings.HasSuffix(n, ".BAD.txt") {
			b, _ := os.ReadFile(filepath.Join(cfg.Spool.Folder, n))
			bad[strings.TrimSuffix(n, ".BAD.txt")] = string(b)
		}
	}
	received := srv.Messages()
	for _, it := range items {
		base := strings.TrimSuffix(it.name, filepath.Ext(it.name))
		reason, refused := bad[base]
		want := expectedOnWire(byName[it.name])
		var got []byte
		for _, m := range received {
			if bytes.Equal(stripAdded(m.Data, want), want) {
				got = m.Data
			}
		}
		switch it.expected {
		case "relay":
			if refused {
				t.Errorf("%s: must be relayed, went .BAD: %s", it.file, reason)
			} else if got == nil {
				t.Errorf("%s: not received byte-faithfully", it.file)
			}
		case "reject":
			if !refused || !strings.Contains(reason, "What happened:") {
				t.Errorf("%s: must go .BAD with a reason (refused=%v)", it.file, refused)
			}
		default:
			if !refused && got == nil && !hasEightBitHeader(byName[it.name]) {
				t.Errorf("%s: neither refused nor received faithfully", it.file)
			}
		}
	}
	for _, m := range received {
		if bytes.HasPrefix(m.Data, []byte("From ")) {
			t.Errorf("an mbox From_ line went out: %.60q", m.Data)
		}
	}
	t.Logf("%d files: %d received, %d set aside", len(items), len(received), len(bad))
}

// expectedOnWire is what the relay should get for a file: line endings
// made CRLF, the mbox line dropped, and the headers spoolgate removes gone.
func expectedOnWire(raw []byte) []byte {
	n := message.Normalize(raw)
	h, body := message.SplitHeader(n)
	var out bytes.Buffer
	for _, f := range headerFields(h) {
		name := strings.ToLower(fieldName(f))
		if name == "bcc" || name == "x-sender" || name == "x-receiver" || strings.HasPrefix(name, "x-spoolgate-") {
			continue
		}
		out.Write(f)
	}
	if hasSeparator(n) {
		out.WriteString("\r\n")
	}
	out.Write(body)
	return out.Bytes()
}

// stripAdded removes from got the header fields that spoolgate adds (the
// last ones of their name, beyond the count in want).
func stripAdded(got, want []byte) []byte {
	gh, gb := message.SplitHeader(got)
	wh, _ := message.SplitHeader(want)
	count := map[string]int{}
	for _, f := range headerFields(wh) {
		count[strings.ToLower(fieldName(f))]++
	}
	fields := headerFields(gh)
	seen := map[string]int{}
	var out bytes.Buffer
	for _, f := range fields {
		name := strings.ToLower(fieldName(f))
		seen[name]++
		added := map[string]bool{"from": true, "date": true, "message-id": true, "mime-version": true, "content-type": true,
			"content-transfer-encoding": true, "x-spoolgate-id": true}
		if added[name] && seen[name] > count[name] {
			continue
		}
		out.Write(f)
	}
	if hasSeparator(got) {
		out.WriteString("\r\n")
	}
	out.Write(gb)
	return out.Bytes()
}

// headerFields splits a CRLF header block into fields, continuation lines
// included, dropping the empty line that ends it.
func headerFields(h []byte) [][]byte {
	var out [][]byte
	for len(h) > 0 {
		i := bytes.Index(h, []byte("\r\n"))
		if i < 0 {
			i = len(h) - 2
		}
		line := h[:i+2]
		h = h[i+2:]
		if i == 0 {
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1] = append(out[len(out)-1], line...)
			continue
		}
		out = append(out, append([]byte(nil), line...))
	}
	return out
}

// namesRecipients tells whether a file has a To, Cc or Bcc field with an
// address in it ("To: undisclosed recipients: ;" names nobody).
func namesRecipients(raw []byte) bool {
	h, _ := message.SplitHeader(message.Normalize(raw))
	for _, f := range headerFields(h) {
		switch strings.ToLower(fieldName(f)) {
		case "to", "cc", "bcc":
			if bytes.IndexByte(f, '@') >= 0 {
				return true
			}
		}
	}
	return false
}

func hasSeparator(data []byte) bool {
	return bytes.HasPrefix(data, []byte("\r\n")) || bytes.Contains(data, []byte("\r\n\r\n"))
}

func fieldName(f []byte) string {
	if i := bytes.IndexByte(f, ':'); i >= 0 {
		return strings.TrimRight(string(f[:i]), " \t")
	}
	return ""
}

func hasEightBitHeader(raw []byte) bool {
	h, _ := message.SplitHeader(message.Normalize(raw))
	for _, c := range h {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
