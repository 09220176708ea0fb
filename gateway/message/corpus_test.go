package message

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// noRecipientFiles are corpus files marked "relay" that carry no recipient
// at all (no To, Cc or Bcc address). spoolgate's policy is to refuse such a
// file, since a library system that forgot the recipient has a bug someone
// must see. The test checks that they are refused for that reason, and that
// with an X-Receiver line added they relay byte for byte.
var noRecipientFiles = map[string]bool{
	"eml/good/base64-root-image.eml":         true, // no To at all
	"eml/good/line-991-octets-dot-lines.eml": true, // To: undisclosed recipients: ;
	"eml/multipart/nested-lf-no-date.eml":    true, // no To at all
}

// TestParse_Corpus reads the real-world corpus named by SPOOLGATE_CORPUS
// and checks each file against the expectation in its MANIFEST.tsv.
func TestParse_Corpus(t *testing.T) {
	counts := map[string]int{}
	for _, c := range spooltest.Corpus(t) {
		counts[c.Expected]++
		t.Run(c.Name, func(t *testing.T) {
			raw, err := os.ReadFile(c.Path)
			if err != nil {
				t.Fatal(err)
			}
			checkCorpusFile(t, c.Name, raw, c.Expected)
		})
	}
	t.Logf("files by expectation: %v", counts)
}

func checkCorpusFile(t *testing.T, file string, raw []byte, expected string) {
	m, err := Parse(raw, testOptions())
	mbox := bytes.HasPrefix(raw, []byte("From "))
	if err == nil {
		checkWellFormed(t, m)
		if mbox && bytes.HasPrefix(m.Data, []byte("From ")) {
			t.Fatal("the mbox From_ line was kept")
		}
	}
	switch expected {
	case "relay":
		if noRecipientFiles[file] {
			e := checkError(t, err)
			if !strings.Contains(e.Reason(), "no recipients") {
				t.Fatalf("refused for %q, want the no-recipients reason", e.Reason())
			}
			withRcpt := append([]byte("X-Receiver: corpus@example.net\n"), raw...)
			if mbox {
				t.Fatal("cannot add X-Receiver in front of an mbox From_ line")
			}
			m, err := Parse(withRcpt, testOptions())
			if err != nil {
				t.Fatalf("with X-Receiver added: %v", err)
			}
			checkWellFormed(t, m)
			if len(m.Recipients) != 1 || m.Recipients[0] != "corpus@example.net" {
				t.Errorf("recipients %q, want just the X-Receiver", m.Recipients)
			}
			checkFaithful(t, withRcpt, m, false)
			return
		}
		if err != nil {
			t.Fatalf("refused a relay file: %v", err)
		}
		checkFaithful(t, raw, m, false)
	case "reject":
		if err == nil {
			t.Fatalf("accepted a reject file (recipients %q)", m.Recipients)
		}
		e := checkError(t, err)
		t.Logf("refused: %s", e.Reason())
	case "either":
		if err != nil {
			e := checkError(t, err)
			t.Logf("refused: %s", e.Reason())
			return
		}
		checkFaithful(t, raw, m, true)
	default:
		t.Fatalf("unknown expectation %q", expected)
	}
}
