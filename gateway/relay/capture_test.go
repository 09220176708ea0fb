package relay

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestCapture_Send(t *testing.T) {
	dir := filepath.Join(spooltest.TempDir(t), "captured") // does not exist yet
	c := NewCapture(dir)
	if err := c.Connect(context.Background()); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	d := &Delivery{
		From:     "a@example.org",
		To:       []string{"b@example.org", "c@example.org"},
		Data:     []byte("Subject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nHi\r\n"),
		DataUTF8: []byte("Subject: Grüße\r\n\r\nHi\r\n"),
	}
	res, err := c.Send(context.Background(), d)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if !reflect.DeepEqual(res.Accepted, d.To) || len(res.Refused)+len(res.Deferred) != 0 {
		t.Errorf("Result = %+v", res)
	}
	if res.Server != "capture ("+dir+")" || res.Reply != "250 captured as "+res.QueueID || !strings.HasSuffix(res.QueueID, ".eml") {
		t.Errorf("Server = %q, Reply = %q, QueueID = %q", res.Server, res.Reply, res.QueueID)
	}

	got, err := os.ReadFile(filepath.Join(dir, res.QueueID))
	if err != nil {
		t.Fatal(err)
	}
	// ASCII addresses: the encoded header, as a relay would get it even
	// when it offers SMTPUTF8.
	want := "X-Sender: a@example.org\r\nX-Receiver: b@example.org\r\nX-Receiver: c@example.org\r\nSubject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nHi\r\n"
	if string(got) != want {
		t.Errorf("file =\n%q\nwant\n%q", got, want)
	}

	// An address that needs SMTPUTF8: the raw UTF-8 header, as sent.
	d.To, d.NeedsUTF8 = []string{"björn@example.org"}, true
	res2, err := c.Send(context.Background(), d)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, _ = os.ReadFile(filepath.Join(dir, res2.QueueID))
	if !strings.HasSuffix(string(got), "X-Receiver: björn@example.org\r\nSubject: Grüße\r\n\r\nHi\r\n") {
		t.Errorf("file = %q", got)
	}

	// Only the two finished files: no temporary file is left behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 || res.QueueID == res2.QueueID {
		t.Errorf("folder holds %v, want the two captured files", names)
	}
	for _, n := range names {
		if strings.HasPrefix(n, ".") {
			t.Errorf("temporary file %q left behind", n)
		}
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestCapture_Unwritable(t *testing.T) {
	// A file where the folder should be: MkdirAll fails.
	file := filepath.Join(spooltest.TempDir(t), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := NewCapture(filepath.Join(file, "sub"))
	_, err := c.Send(context.Background(), &Delivery{From: "a@x", To: []string{"b@x"}, Data: []byte("x\r\n")})
	e := asError(t, err)
	if e.Stage != "capture" || e.Permanent {
		t.Errorf("error = %+v, want a temporary capture error", e)
	}
}
