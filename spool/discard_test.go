package spool

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// Discard moves the BAD file and its reason, paired, into the folder
// (made when missing), never replacing an earlier discard, and leaves
// nothing in the queue folder.
func TestDiscard(t *testing.T) {
	s := newTestSpool(t, "box1", 0)
	into := filepath.Join(spooltest.TempDir(t), "discarded")
	for i, want := range []string{"notice.BAD", "notice.2.BAD"} {
		bad := quarantined(t, s, "notice.eml", Reason{Cause: "address-unknown"})
		got, err := s.Discard(bad, into)
		if err != nil || got != want {
			t.Fatalf("discard %d: %q %v; want %s", i+1, got, err, want)
		}
		b, err := os.ReadFile(filepath.Join(into, got))
		if err != nil || string(b) != "message notice.eml" {
			t.Errorf("discarded %s holds %q %v", got, b, err)
		}
		r, err := ReadReason(filepath.Join(into, got+".txt"))
		if err != nil || r.Cause != "address-unknown" {
			t.Errorf("discarded %s.txt: %+v %v", got, r, err)
		}
		if n := names(t, s.Dir()); n != "" {
			t.Errorf("the queue folder after discard %d: %s", i+1, n)
		}
	}
	if n := names(t, into); n != "notice.2.BAD notice.2.BAD.txt notice.BAD notice.BAD.txt" {
		t.Errorf("the discarded folder: %s", n)
	}
}

// A BAD file without a reason file goes alone; a name that is not a BAD
// file's, or one that is gone, is refused and nothing moves.
func TestDiscard_Refusals(t *testing.T) {
	s := newTestSpool(t, "box1", 0)
	into := filepath.Join(spooltest.TempDir(t), "discarded")
	write(t, s.Dir(), "lost.BAD", "x", 0)
	write(t, s.Dir(), "waiting.eml", "x", 0)
	if got, err := s.Discard("lost.BAD", into); err != nil || got != "lost.BAD" {
		t.Fatalf("without reason: %q %v", got, err)
	}
	for _, name := range []string{"waiting.eml", "../waiting.BAD", "lost.BAD.txt"} {
		if _, err := s.Discard(name, into); !errors.Is(err, ErrNotBad) {
			t.Errorf("discard %s: %v; want ErrNotBad", name, err)
		}
	}
	if _, err := s.Discard("gone.BAD", into); !errors.Is(err, ErrGone) {
		t.Errorf("discard gone.BAD: %v; want ErrGone", err)
	}
	if n := names(t, s.Dir()); n != "waiting.eml" {
		t.Errorf("the queue folder: %s", n)
	}
	if n := names(t, into); n != "lost.BAD" {
		t.Errorf("the discarded folder: %s", n)
	}
}

// Without hard links (some shares), Discard renames, and never replaces.
func TestDiscard_WithoutHardLinks(t *testing.T) {
	defer func(was func(string, string) error) { linkFile = was }(linkFile)
	linkFile = func(string, string) error { return errors.New("hard links not supported") }
	s := newTestSpool(t, "me", 0)
	into := filepath.Join(spooltest.TempDir(t), "discarded")
	for _, want := range []string{"x.BAD", "x.2.BAD"} {
		bad := quarantined(t, s, "x.eml", Reason{Cause: "spam-policy"})
		if got, err := s.Discard(bad, into); err != nil || got != want {
			t.Fatalf("discard: %q %v; want %s", got, err, want)
		}
	}
	if n := names(t, into); n != "x.2.BAD x.2.BAD.txt x.BAD x.BAD.txt" {
		t.Errorf("the discarded folder: %s", n)
	}
}

// Across volumes a rename fails: the copy is written in place first,
// then the original goes.
func TestTransfer_Copy(t *testing.T) {
	dir := spooltest.TempDir(t)
	src, dst := filepath.Join(dir, "a.BAD"), filepath.Join(dir, "sub", "a.BAD")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte("patron mail"), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := copyTemp(filepath.Join(dir, "sub"), "a.BAD", in)
	in.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(tmp); err != nil || string(b) != "patron mail" {
		t.Fatalf("copy %q %v", b, err)
	}
	os.Remove(tmp)
	if err := transfer(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "patron mail" {
		t.Errorf("moved %q %v", b, err)
	}
	if err := os.WriteFile(src, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := transfer(src, dst); !errors.Is(err, os.ErrExist) {
		t.Errorf("transfer onto a file: %v; want ErrExist", err)
	}
}
