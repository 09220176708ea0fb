package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/message"
	"github.com/spoolgate/spoolgate/spool/safefile"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// symlink makes link point at target, or skips the test where links
// cannot be made (Windows without the privilege, wine).
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Skipf("no symbolic links here: os.Symlink made %v, %v", fi, err) // wine says yes and makes none
	}
}

// The config file itself is read only when it is a regular file: a link
// to a good config is refused with a config error that names the file and
// says what to do, and quotes nothing of the target.
func TestLoad_ConfigIsALink(t *testing.T) {
	real := write(t, minimal+"[smtp.x]\nhost = secret-relay.example.org\n")
	link := filepath.Join(spooltest.TempDir(t), "spoolgate.ini")
	symlink(t, real, link)
	_, err := Load(link)
	errs := configErrors(t, err)
	var nr *safefile.NotRegularError
	if len(errs) != 1 || !errors.As(err, &nr) || nr.Kind != safefile.Link {
		t.Fatalf("Load(link): %v; want one error wrapping a link refusal", err)
	}
	msg := err.Error()
	for _, want := range []string{link + ": this is a symbolic link", "give --config the path of the config file itself"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, real) || strings.Contains(msg, "secret-relay") {
		t.Errorf("error quotes the link's target: %s", msg)
	}
}

// password_file and ca_file are read only when they are regular files;
// a link, even to the right file, is a config error at the key.
func TestLoad_SecretFilesAreLinks(t *testing.T) {
	dir := spooltest.TempDir(t)
	pw := filepath.Join(dir, "real-password.txt")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	symlink(t, pw, filepath.Join(dir, "password.txt"))
	ca := filepath.Join(dir, "real-ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	symlink(t, ca, filepath.Join(dir, "ca.pem"))
	text := strings.Replace(minimal, "host = smtp.example.org", "host = smtp.example.org\nsecurity = starttls\n"+
		"username = library\npassword_file = "+filepath.Join(dir, "password.txt")+"\nca_file = "+filepath.Join(dir, "ca.pem"), 1)
	errs := loadErrors(t, text)
	got := map[string]*Error{}
	for _, e := range errs {
		got[e.Key] = e
	}
	for _, key := range []string{"password_file", "ca_file"} {
		e := got[key]
		if e == nil || e.Section != "smtp" || e.Line == 0 ||
			!strings.Contains(e.Want, "is a symbolic link") || !strings.Contains(e.Want, "set "+key+" to the path of the file itself") {
			t.Errorf("%s: %#v", key, e)
		}
	}
	if len(errs) != 2 {
		t.Errorf("%d errors, want 2: %v", len(errs), errs)
	}
	for _, e := range errs {
		if strings.Contains(e.Error(), "s3cret") || strings.Contains(e.Error(), "real-") {
			t.Errorf("error quotes the file or the link's target: %s", e)
		}
	}
}

// A password file or CA file larger than its bound is refused before it
// is read.
func TestLoad_SecretFilesTooLarge(t *testing.T) {
	big := strings.Repeat("x", maxPasswordFile+1)
	errs := loadErrors(t, strings.Replace(minimal, "host = smtp.example.org",
		"host = smtp.example.org\nsecurity = starttls\nusername = library\npassword_file = pw.txt", 1), "pw.txt", big)
	if len(errs) != 1 || errs[0].Key != "password_file" || !strings.Contains(errs[0].Want, "too big") {
		t.Errorf("errors %v", errs)
	}
}

// The rule of fromTooLong is at least as strict as package message's:
// every From that config accepts, message builds; every From message
// refuses as too long, config refuses.
func TestFromTooLong_AgreesWithMessage(t *testing.T) {
	names := []string{"", "Stadsbiblioteket", strings.Repeat("Å", 300), strings.Repeat("Я", 120)}
	for n := 900; n <= 1000; n += 5 {
		names = append(names, strings.Repeat("x", n), strings.Repeat("ab ", n/3), strings.Repeat(`"`, n/2))
	}
	raw := []byte("To: patron@example.org\r\nSubject: test\r\n\r\nhello\r\n")
	accepted, refused := 0, 0
	for _, name := range names {
		_, err := message.Parse(raw, message.Options{From: "library@example.org", FromName: name})
		var me *message.Error
		msgRefuses := errors.As(err, &me) && me.Detail.ID == message.FromTooLong
		if err != nil && !msgRefuses {
			t.Fatalf("name of %d bytes: message refuses it otherwise: %v", len(name), err)
		}
		cfgRefuses := fromTooLong(name, "library@example.org") != ""
		switch {
		case msgRefuses && !cfgRefuses:
			t.Errorf("name of %d bytes: message refuses it as too long, config accepts it", len(name))
		case cfgRefuses:
			refused++
		default:
			accepted++
		}
	}
	if accepted == 0 || refused == 0 {
		t.Errorf("%d accepted, %d refused: the names do not reach both sides of the limit", accepted, refused)
	}
	// The limit itself: a name whose From line is exactly 998 octets.
	at := strings.Repeat("x", maxHeaderLine-len(fromLine("", "library@example.org"))-3)
	if n := len(fromLine(at, "library@example.org")); n != maxHeaderLine || fromTooLong(at, "library@example.org") != "" {
		t.Errorf("a From line of %d octets is refused", n)
	}
	if fromTooLong(at+"x", "library@example.org") == "" {
		t.Errorf("a From line of %d octets is accepted", maxHeaderLine+1)
	}
}

// An address at an IPv6 literal reads as an address (net/mail takes
// [::1]) but no relay would take its path, so every message would fail:
// it is a load error. An IPv4 literal is fine.
func TestLoad_IPv6LiteralAddress(t *testing.T) {
	errs := loadErrors(t, minimal+"return_path = bounces@[::1]\n")
	if len(errs) != 1 || errs[0].Key != "return_path" || !strings.Contains(errs[0].Want, "IPv6 literal") {
		t.Errorf("errors = %v", errs)
	}
	if _, err := Load(write(t, minimal+"return_path = bounces@[192.0.2.1]\n")); err != nil {
		t.Errorf("an IPv4 literal: %v", err)
	}
}
