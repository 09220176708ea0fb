package mailbox

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

func parse(t *testing.T, text string, literal int64) (*response, error) {
	t.Helper()
	p := &parser{r: bufio.NewReader(strings.NewReader(text)), left: maxResponse, literal: literal}
	return p.read()
}

func TestParser(t *testing.T) {
	r, err := parse(t, "* 12 FETCH (UID 7 FLAGS (\\Seen $Junk) BODY[] {5}\r\nhello RFC822.SIZE 5)\r\n", 100)
	if err != nil {
		t.Fatal(err)
	}
	items := fetchItems(r)
	if r.num != 12 || uintItem(items["UID"]) != 7 || string(items["BODY[]"].([]byte)) != "hello" || uintItem(items["RFC822.SIZE"]) != 5 {
		t.Errorf("%+v", r)
	}
	if f := items["FLAGS"].([]any); len(f) != 2 || f[0] != atom(`\Seen`) {
		t.Errorf("flags %v", f)
	}
	// A literal over the bound is read past and reported by its size.
	r, err = parse(t, "* 1 FETCH (UID 3 BODY[] {8}\r\n12345678)\r\n", 4)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := fetchItems(r)["BODY[]"].(skipped); !ok || v.size != 8 {
		t.Errorf("over the bound: %#v", fetchItems(r)["BODY[]"])
	}
	r, err = parse(t, "s3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", 0)
	if err != nil || r.status != "NO" || r.codeName() != "AUTHENTICATIONFAILED" || r.text != "NO [AUTHENTICATIONFAILED] Authentication failed." {
		t.Errorf("%+v %v", r, err)
	}
	r, err = parse(t, `* LIST (\HasNoChildren) "." "spoolgate.processed"`+"\r\n", 0)
	if err != nil || r.name != "LIST" || len(r.fields) != 3 {
		t.Errorf("%+v %v", r, err)
	}
	if d, _ := str(r.fields[1]); d != "." {
		t.Errorf("delimiter %q", d)
	}
	r, err = parse(t, "* SEARCH\r\n", 0)
	if err != nil || r.name != "SEARCH" || len(r.fields) != 0 {
		t.Errorf("%+v %v", r, err)
	}
	r, err = parse(t, "+ \r\n", 0)
	if err != nil || r.tag != "+" {
		t.Errorf("%+v %v", r, err)
	}
	r, err = parse(t, "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] NIL)\r\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := fetchItems(r)["BODY[HEADER.FIELDS (SUBJECT FROM)]"]; !ok || v != nil {
		t.Errorf("%+v", fetchItems(r))
	}
	for _, bad := range []string{"* 1 FETCH (UID 1\r\n", "* 1 FETCH (UID 1) {99999999999999}\r\n", "* X \"unterminated\r\n", "\r\n"} {
		if _, err := parse(t, bad, 10); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	// A reply line over the bound.
	if _, err := parse(t, "* SEARCH "+strings.Repeat("1 ", maxResponse/2+10)+"\r\n", 0); err == nil {
		t.Errorf("a reply over %d bytes: no error", maxResponse)
	}
}

func TestMailboxName(t *testing.T) {
	for in, want := range map[string]string{
		"INBOX":               `"INBOX"`,
		"spoolgate/processed": `"spoolgate/processed"`,
		"Éléments envoyés":    `"&AMk-l&AOk-ments envoy&AOk-s"`,
		"A&B":                 `"A&-B"`,
		`say "hi"`:            `"say \"hi\""`,
		"台北":                  `"&U,BTFw-"`,
	} {
		if got := mailboxName(in); got != want {
			t.Errorf("mailboxName(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzParser(f *testing.F) {
	for _, s := range []string{
		"* 12 FETCH (UID 7 FLAGS (\\Seen) BODY[] {5}\r\nhello)\r\n",
		"s1 OK [CAPABILITY IMAP4rev1 MOVE] done\r\n",
		"* LIST (\\Noselect) \"/\" \"\"\r\n",
		"+ eyJzdGF0dXMiOiI0MDEifQ==\r\n",
		"* 1 FETCH (BODY[HEADER.FIELDS (A B)] {3}\r\nabc)\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &parser{r: bufio.NewReader(bytes.NewReader(data)), left: 200, literal: 1 << 10}
		for range 10 {
			r, err := p.read()
			if err != nil {
				return
			}
			fetchItems(r)
			r.codeName()
		}
	})
}
