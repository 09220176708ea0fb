package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEdit_ChangesOnlyTheKeys: a changed key keeps its place, spelling
// and comment; new keys and sections are added; every other line stays
// byte for byte; the result loads with the new values.
func TestEdit_ChangesOnlyTheKeys(t *testing.T) {
	orig := "; the library's gateway\r\n[spool]\r\nfolder = queue\r\nbatch = 10   ; per interval\r\n\r\n" +
		"[smtp]\r\n  host = old.example.org ; the relay\r\nport = 25\r\n\r\n[message]\r\nfrom = library@example.org\r\n"
	out, err := Edit([]byte(orig), []Change{
		{"smtp", "host", "smtp.example.org"},
		{"spool", "batch", "20"},
		{"message", "from_name", "Stadsbiblioteket ; Central"},
		{"log", "language", "sv"},
		{"smtp", "port", ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "; the library's gateway\r\n[spool]\r\nfolder = queue\r\nbatch = 20 ; per interval\r\n\r\n" +
		"[smtp]\r\n  host = smtp.example.org ; the relay\r\nport =\r\n\r\n[message]\r\nfrom = library@example.org\r\n" +
		"from_name = \"Stadsbiblioteket ; Central\"\r\n\r\n[log]\r\nlanguage = sv\r\n"
	if string(out) != want {
		t.Fatalf("Edit =\n%q\nwant\n%q", out, want)
	}
	path := filepath.Join(t.Name(), "spoolgate.ini") // never read: LoadText takes the text
	c, err := LoadText(path, out)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Host != "smtp.example.org" || c.SMTP.Port != DefaultPort || c.Spool.Batch != 20 ||
		c.Message.FromName != "Stadsbiblioteket ; Central" || c.Log.Language != "sv" {
		t.Errorf("loaded: host %q port %d batch %d from_name %q language %q", c.SMTP.Host, c.SMTP.Port, c.Spool.Batch, c.Message.FromName, c.Log.Language)
	}
}

// TestEdit_QuotesRoundTrip: every value Edit writes reads back exactly.
func TestEdit_QuotesRoundTrip(t *testing.T) {
	base := "[spool]\nfolder = queue\n[smtp]\nhost = smtp.example.org\n[message]\nfrom = library@example.org\n"
	for _, v := range []string{"Biblioteket", " padded ", `say "hi" ; now`, "pa;ss#1", "a #b", "`tick` ; x", "Čtenář; Łódź # Ёж"} {
		out, err := Edit([]byte(base), []Change{{"message", "from_name", v}})
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		c, err := LoadText("spoolgate.ini", out)
		if err != nil {
			t.Fatalf("%q: %v\n%s", v, err, out)
		}
		if c.Message.FromName != strings.TrimSpace(v) && c.Message.FromName != v {
			t.Errorf("%q read back as %q from\n%s", v, c.Message.FromName, out)
		}
	}
	for _, v := range []string{"two\nlines", "bell\a", "both \" and ` ;"} {
		if _, err := Edit([]byte(base), []Change{{"message", "from_name", v}}); err == nil {
			t.Errorf("%q: no error", v)
		}
	}
}

// LoadText gives the errors Load gives for the same text, naming the
// file and line.
func TestLoadText_SameErrorsAsLoad(t *testing.T) {
	text := "[spool]\nfolder = queue\nbatch = many\n[smtp]\nhost = smtp.example.org\n[message]\nfrom = library@example.org\n"
	path := write(t, text)
	_, errLoad := Load(path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, errText := LoadText(path, data)
	if errLoad == nil || errText == nil || errLoad.Error() != errText.Error() || !strings.Contains(errText.Error(), path+":3") {
		t.Errorf("Load: %v\nLoadText: %v", errLoad, errText)
	}
}

// Settings lists the file's keys in order and never a secret's value.
func TestSettings_MasksSecrets(t *testing.T) {
	c, _ := mustLoad(t, "[spool]\nfolder = queue\n[smtp]\nhost = smtp.example.org\nusername = lib\npassword = pa;ss#1 ; the relay's\n[message]\nfrom = library@example.org\n")
	var keys []string
	for _, s := range c.Settings() {
		keys = append(keys, s.Section+"."+s.Key+"="+s.Value)
		if strings.Contains(s.Value, "pa;ss") {
			t.Errorf("a secret shown: %+v", s)
		}
	}
	want := "spool.folder=queue smtp.host=smtp.example.org smtp.username=lib smtp.password=(hidden) message.from=library@example.org"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("Settings = %s\nwant %s", got, want)
	}
}
