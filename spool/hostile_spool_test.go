package spool

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/safefile"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// claimOne claims the waiting file name of s.
func claimOne(t *testing.T, s *Spool, name string) Entry {
	t.Helper()
	st, orig, key := s.Classify(name)
	c, err := s.Claim(Entry{Name: name, Orig: orig, Key: key, State: st})
	if err != nil {
		t.Fatalf("claim %s: %v", name, err)
	}
	return c
}

// A claimed regular file is read whole up to the limit, and refused past
// it, the size measured on the open file.
func TestRead_Limit(t *testing.T) {
	s := newTestSpool(t, "box1", 0)
	write(t, s.Dir(), "a.eml", strings.Repeat("x", 5000), time.Hour)
	c := claimOne(t, s, "a.eml")
	if b, err := s.Read(c, 5000); err != nil || len(b) != 5000 {
		t.Fatalf("Read at the limit: %d bytes, %v", len(b), err)
	}
	_, err := s.Read(c, 4999)
	var tl *safefile.TooLargeError
	if !errors.As(err, &tl) || tl.Size != 5000 || tl.Max != 4999 {
		t.Fatalf("Read over the limit: %v, want a *safefile.TooLargeError", err)
	}
	if _, err := s.Read(Entry{Name: "a.eml", State: Waiting}, 10); err == nil {
		t.Error("Read of a file not claimed must fail")
	}
	if err := os.Remove(s.Path(c)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(c, 10); !errors.Is(err, ErrGone) {
		t.Errorf("Read of a claimed file removed since: %v, want ErrGone", err)
	}
}

// A symbolic link in the queue is claimed (the link itself is renamed)
// and then refused as a link: never read through, and the error names
// nothing of where it points. This runs wherever links can be made
// (Windows needs a privilege or developer mode; wine makes them).
func TestRead_Link(t *testing.T) {
	s := newTestSpool(t, "box1", 0)
	secret := filepath.Join(spooltest.TempDir(t), "root-only.txt")
	if err := os.WriteFile(secret, []byte("To: boss@corp.example\r\n\r\nthe secret\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(s.Dir(), "secret.eml")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, err := os.Lstat(filepath.Join(s.Dir(), "secret.eml")); err != nil {
		t.Skip("os.Symlink made no link (wine):", err)
	}
	c := claimOne(t, s, "secret.eml")
	if fi, err := os.Lstat(s.Path(c)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the claim must rename the link itself: %v %v", fi, err)
	}
	b, err := s.Read(c, 1<<20)
	var nr *safefile.NotRegularError
	if !errors.As(err, &nr) || !errors.Is(err, ErrNotRegular) || (nr.Kind != safefile.Link && nr.Kind != safefile.Reparse) {
		t.Fatalf("Read through a link: %q, %v; want a *safefile.NotRegularError naming a link", b, err)
	}
	if strings.Contains(err.Error(), "root-only") || strings.Contains(err.Error(), "secret\r\n") || strings.Contains(err.Error(), "boss") {
		t.Errorf("the error quotes the link's target: %v", err)
	}
}

// A file whose name is too long to take the claim's suffix is never
// renamed by Claim; Quarantine sets it aside under a short name, with the
// original name in its reason, and Requeue brings it back under a name
// that can be claimed.
func TestClaim_NameTooLong(t *testing.T) {
	s := newTestSpool(t, "box1", 0)
	long := strings.Repeat("n", 251) + ".eml" // 255 bytes: the most a name may have
	if err := os.WriteFile(filepath.Join(s.Dir(), long), []byte("To: a@example.org\r\n\r\nhi\r\n"), 0o644); err != nil {
		t.Skip("this file system takes no 255-byte names:", err)
	}
	e := Entry{Name: long, Orig: long, State: Waiting}
	if _, err := s.Claim(e); !errors.Is(err, ErrNameTooLong) {
		t.Fatalf("Claim of a 255-byte name: %v, want ErrNameTooLong", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), long)); err != nil {
		t.Fatalf("the file must stay waiting: %v", err)
	}
	e.Key = s.NewKey()
	bad, err := s.Quarantine(e, Reason{Cause: "not-a-file", Text: "too long"})
	if err != nil {
		t.Fatalf("Quarantine: %v", err)
	}
	if len(bad) > maxBadBase+len(SuffixBad) || !strings.HasSuffix(bad, SuffixBad) || !IsBadOf(bad, long) {
		t.Fatalf("BAD name %q (%d bytes): want a short one", bad, len(bad))
	}
	r, err := ReadReason(s.ReasonPath(bad))
	if err != nil || r.File != long || r.Key != e.Key {
		t.Fatalf("reason: File %q Key %q, %v; want the original name and the key", r.File, r.Key, err)
	}
	back, err := s.Requeue(bad)
	if err != nil {
		t.Fatalf("Requeue: %v", err)
	}
	if back.State != Deferred || !s.claimable(back.Orig) || len(back.Name) > 255 {
		t.Fatalf("requeued as %+v: want a deferred file with a name that can be claimed", back)
	}
	if _, err := s.Claim(back); err != nil {
		t.Fatalf("claim the requeued file: %v", err)
	}
}

// A newline in a file name cannot forge a line of the reason file: the
// BAD name has "_" for it, the block escapes it, the text Render makes
// names the BAD file, and the retry command escapes what it is given.
func TestQuarantine_NewlineInName(t *testing.T) {
	s := newTestSpool(t, "box1", 0)
	name := "evil\nCause: forged\r\n-- spoolgate --\r\nFile: x.eml"
	if err := os.WriteFile(filepath.Join(s.Dir(), name), []byte("x"), 0o644); err != nil {
		t.Skip("this file system takes no newline in a name:", err)
	}
	c := claimOne(t, s, name)
	bad, err := s.Quarantine(c, Reason{Cause: "not-a-message", Render: func(bad string) string {
		return "Refused.\r\nSend again: " + RetryCommand(bad) + "\r\nFile: " + Escape(name) + "\r\n"
	}})
	if err != nil {
		t.Fatal(err)
	}
	if bad != "evil_Cause: forged__-- spoolgate --__File: x.BAD" {
		t.Errorf("BAD name %q", bad)
	}
	raw, err := os.ReadFile(s.ReasonPath(bad))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\r\n")
	markers, causes := 0, 0
	for _, l := range lines {
		if l == reasonMarker {
			markers++
		}
		if strings.HasPrefix(l, "Cause: ") {
			causes++
		}
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("a bare line end inside a line: %q", l)
		}
	}
	if markers != 1 || causes != 1 || bytes.Count(raw, []byte("\n")) != len(lines)-1 {
		t.Errorf("forged lines in the reason file (%d markers, %d Cause lines):\n%s", markers, causes, raw)
	}
	r := ParseReason(raw)
	if r.File != name || r.Cause != "not-a-message" {
		t.Errorf("read back File %q Cause %q", r.File, r.Cause)
	}
	if !strings.Contains(r.Text, "spoolgate retry \""+bad+"\"") {
		t.Errorf("the text's retry command must name the BAD file:\n%s", r.Text)
	}
	if Typable(name) || !Typable("abc.eml") {
		t.Error("Typable: a name with a newline is not typable; abc.eml is")
	}
	if got := RetryCommand("a\nb.eml"); got != `spoolgate retry "a%0Ab.eml"` {
		t.Errorf("RetryCommand = %q", got)
	}
}
