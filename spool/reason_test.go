package spool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// hostile is a reason whose every value tries to break out of its line.
func hostile() Reason {
	return Reason{
		File:   "evil\r\nKey: forged-1\nname%41.tmp",
		Key:    "box1-lx2k3a9f01c",
		At:     time.Date(2026, 11, 25, 10, 2, 3, 0, time.FixedZone("CET", 3600)),
		Cause:  "address-unknown",
		Server: "relay (mail.example.org:25)",
		Reply:  "550 5.1.1 <gone@example.net>: 100% sure\r\n-- spoolgate --\r\nCause: forged\x00\x1b[31m\u2028\u0085\xff",
		Recipients: []RecipientReason{
			{Address: "gone@example.net", Cause: "address-unknown", Reply: "550 5.1.1 no such user"},
			{Address: "\"a b\"@example.net", Cause: "", Reply: ""},
			{Address: "-", Cause: "mailbox-full", Reply: "552 5.2.2 full\nRecipient: forged@x y z"},
		},
		Limit: "10485760",
		Text:  "Le message n'a pas pu être envoyé.\nWhat happened: The recipient's address does not exist.\r\n\r\n-- spoolgate --\r\nFile: forged.tmp\r\nCause: forged\r\n",
	}
}

// Every field comes back as it went in, however hostile, and the block
// holds exactly one line per value: nothing can forge a line.
func TestReason_RoundTrip(t *testing.T) {
	in := hostile()
	b := in.encode()
	out := ParseReason(b)
	want := in
	want.Text = crlf(in.Text)
	want.What = "The recipient's address does not exist."
	if !out.At.Equal(want.At) {
		t.Errorf("At = %v, want %v", out.At, want.At)
	}
	out.At = want.At
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("read back\n%#v\nwant\n%#v\nfile:\n%s", out, want, b)
	}
	block := b[bytes.LastIndex(b, []byte("\r\n"+reasonMarker+"\r\n"))+len(reasonMarker)+4:]
	lines := strings.Split(strings.TrimSuffix(string(block), "\r\n"), "\r\n")
	var keys []string
	for _, l := range lines {
		k, _, _ := strings.Cut(l, ": ")
		keys = append(keys, k)
		for _, c := range l {
			if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 {
				t.Errorf("a control character %U in the line %q", c, l)
			}
		}
	}
	wantKeys := "File Key Time Cause Server Reply Limit Recipient Recipient Recipient"
	if got := strings.Join(keys, " "); got != wantKeys {
		t.Errorf("block keys %q, want %q:\n%s", got, wantKeys, block)
	}
	if !strings.Contains(string(b), "100% sure") {
		t.Errorf("a %% that %%XX cannot misread must stay as it is:\n%s", b)
	}
	if !bytes.HasPrefix(b, []byte("Le message n'a pas pu être envoyé.\r\nWhat happened:")) {
		t.Errorf("the text must come first, with CRLF line ends:\n%s", b)
	}
}

// A file of a version before the block: the labelled lines are read.
func TestParseReason_Legacy(t *testing.T) {
	text := "spoolgate could not send this message and will not try again.\r\n\r\n" +
		"File:     notice.eml\r\nKey:      box1-abc\r\nWhen:     2026-01-02 03:04:05 +0100\r\n" +
		"Server:   smtp (127.0.0.1:25)\r\nReply:    550 5.1.1 no such user\r\n\r\n" +
		"What happened: The recipient's address does not exist.\r\nWhat to do:    Correct it.\r\nDetail:        x\r\n"
	r := ParseReason([]byte(text))
	want := Reason{File: "notice.eml", Key: "box1-abc", At: time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC),
		Server: "smtp (127.0.0.1:25)", Reply: "550 5.1.1 no such user", Text: text,
		What: "The recipient's address does not exist.", Action: "Correct it.", Detail: "x"}
	if !r.At.Equal(want.At) {
		t.Errorf("At = %v, want %v", r.At, want.At)
	}
	r.At = want.At
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got\n%#v\nwant\n%#v", r, want)
	}
	if r := ParseReason([]byte("File: a.tmp\nnot a label\n")); r.File != "a.tmp" || r.Key != "" || r.Text != "File: a.tmp\nnot a label\n" {
		t.Errorf("LF only, partial: %+v", r)
	}
	// A legacy file whose label lines say nothing of a block is not read
	// as one, and a marker inside a line is no marker.
	if r := ParseReason([]byte("Reply: x -- spoolgate --\nKey: k\n")); r.Key != "k" || r.Reply != "x -- spoolgate --" {
		t.Errorf("a marker inside a line: %+v", r)
	}
}

// Quarantine writes a reason file ReadReason reads whole, however much
// text and however many recipients: the text and the values are cut and
// the recipients over the bound counted, so the block is always read.
func TestQuarantine_Bounded(t *testing.T) {
	s := newTestSpool(t, "me", 0)
	write(t, s.Dir(), "big.tmp", "x", time.Hour)
	snap, _ := s.Scan(0)
	c, err := s.Claim(snap.Ready[0])
	if err != nil {
		t.Fatal(err)
	}
	r := Reason{Cause: "address-unknown", Reply: strings.Repeat("\n", 5000), Text: strings.Repeat("line\n", 20000)}
	for i := 0; i < 2000; i++ {
		r.Recipients = append(r.Recipients, RecipientReason{Address: fmt.Sprintf("patron%d@example.net", i), Cause: "address-unknown", Reply: strings.Repeat("550 no ", 20)})
	}
	name, err := s.Quarantine(c, r)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir(), name+".txt")
	fi, err := os.Stat(path)
	if err != nil || fi.Size() > maxReason {
		t.Fatalf("reason file of %d bytes (%v), want at most %d", fi.Size(), err, maxReason)
	}
	got, err := ReadReason(path)
	if err != nil || got.Cause != "address-unknown" || got.File != "big.tmp" || len(got.Recipients) < 100 || len(got.Recipients) >= 2000 {
		t.Fatalf("read back: cause %q file %q, %d recipients, %v", got.Cause, got.File, len(got.Recipients), err)
	}
	if b, _ := os.ReadFile(path); !bytes.Contains(b, []byte(fmt.Sprintf("More-recipients: %d\r\n", 2000-len(got.Recipients)))) {
		t.Error("the recipients left out must be counted")
	}
	if !strings.HasSuffix(got.Reply, "...") || len(got.Reply) > maxReasonValue {
		t.Errorf("a long value must be cut: %d bytes", len(got.Reply))
	}
}

// ReadReason reads no more than its bound of a big file, and refuses what
// is not a regular file.
func TestReadReason_NotARegularFile(t *testing.T) {
	dir := spooltest.TempDir(t)
	big := filepath.Join(dir, "big.BAD.txt")
	if err := os.WriteFile(big, bytes.Repeat([]byte("What happened: x\r\n"), 1<<16), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := ReadReason(big)
	if err != nil || len(r.Text) != maxReason || r.What != "x" {
		t.Fatalf("a big file: %d bytes of text, %v", len(r.Text), err)
	}
	if _, err := ReadReason(dir); err == nil {
		t.Error("a folder must not be read")
	}
	if _, err := ReadReason(filepath.Join(dir, "none.BAD.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v, want ErrNotExist", err)
	}
	if runtime.GOOS == "windows" {
		return // symbolic links need a privilege there
	}
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("File: secret.tmp\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.BAD.txt")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	if r, err := ReadReason(link); err == nil {
		t.Errorf("a symbolic link was followed: %+v", r)
	}
}

// FuzzParseReason: any file parses without a panic, and any values that
// Quarantine writes come back unchanged.
func FuzzParseReason(f *testing.F) {
	h := hostile()
	f.Add(string(h.encode()), h.File, h.Reply, h.Recipients[1].Address)
	f.Add("File: a\r\nKey: b\r\n", "a%", "%%41", "")
	f.Fuzz(func(t *testing.T, file, name, reply, addr string) {
		ParseReason([]byte(file))
		in := Reason{File: name, Reply: reply, Recipients: []RecipientReason{{Address: addr, Reply: reply}}}
		if len(name) > maxReasonValue || len(reply) > maxReasonValue || len(addr) > maxReasonValue {
			return
		}
		out := ParseReason(in.encode())
		if out.File != in.File || out.Reply != in.Reply || len(out.Recipients) != 1 || out.Recipients[0] != in.Recipients[0] {
			t.Fatalf("wrote %q %q %q, read back %q %q %+v", name, reply, addr, out.File, out.Reply, out.Recipients)
		}
	})
}
