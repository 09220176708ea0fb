package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// minimal is the smallest config that loads.
const minimal = `
[spool]
folder = queue

[smtp]
host = smtp.example.org

[message]
from = library@example.org
`

// write writes a config file (and any extra files, by relative name) into a
// fresh folder and returns the config file's path.
func write(t *testing.T, text string, extra ...string) string {
	t.Helper()
	dir := spooltest.TempDir(t)
	for i := 0; i+1 < len(extra); i += 2 {
		p := filepath.Join(dir, filepath.FromSlash(extra[i]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(extra[i+1]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustLoad loads text and fails the test on any error.
func mustLoad(t *testing.T, text string, extra ...string) (*Config, string) {
	t.Helper()
	path := write(t, text, extra...)
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c, filepath.Dir(path)
}

// loadErrors loads text, which must fail, and returns its *Error values.
func loadErrors(t *testing.T, text string, extra ...string) []*Error {
	t.Helper()
	c, err := Load(write(t, text, extra...))
	if err == nil {
		t.Fatalf("Load succeeded (%+v); want an error", c)
	}
	return configErrors(t, err)
}

// configErrors checks the shape of an error from Load and unpacks it.
func configErrors(t *testing.T, err error) []*Error {
	t.Helper()
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("error does not wrap ErrConfig: %v", err)
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error is %T, want errors.Join of *Error", err)
	}
	var out []*Error
	for _, e := range joined.Unwrap() {
		ce, ok := e.(*Error)
		if !ok {
			t.Fatalf("joined error is %T, want *Error: %v", e, e)
		}
		if !filepath.IsAbs(ce.File) {
			t.Errorf("Error.File = %q, want an absolute path", ce.File)
		}
		out = append(out, ce)
	}
	return out
}

func TestLoad_Defaults(t *testing.T) {
	c, dir := mustLoad(t, minimal)

	if want := filepath.Join(dir, "spoolgate.ini"); c.File != want {
		t.Errorf("File = %q, want %q", c.File, want)
	}
	s := c.Spool
	if want := filepath.Join(dir, "queue"); s.Folder != want {
		t.Errorf("Folder = %q, want %q", s.Folder, want)
	}
	if want := filepath.Join(dir, "data"); s.Data != want {
		t.Errorf("Data = %q, want %q", s.Data, want)
	}
	if strings.Join(s.Patterns, ",") != "*.tmp,*.eml" {
		t.Errorf("Patterns = %q", s.Patterns)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Batch", s.Batch, 10},
		{"Interval", s.Interval, 3 * time.Minute},
		{"Settle", s.Settle, 2 * time.Second},
		{"RetryFor", s.RetryFor, 48 * time.Hour},
		{"RetryDelay", s.RetryDelay, time.Minute},
		{"RetryMax", s.RetryMax, time.Hour},
		{"MaxSize", s.MaxSize, int64(25 << 20)},
		{"Charset", s.Charset, "utf-8"},
		{"Retention", c.Journal.Retention, 90 * 24 * time.Hour},
		{"ReturnPath", c.Message.ReturnPath, "library@example.org"},
		{"CopyTo", c.Message.CopyTo, ""},
		{"Capture", c.Capture, ""},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if s.Encoding == nil {
		t.Error("Encoding is nil")
	}
	if !instanceOK.MatchString(s.Instance) {
		t.Errorf("Instance = %q, want [A-Za-z0-9-]+", s.Instance)
	}

	srv := c.SMTP
	if srv == nil {
		t.Fatal("SMTP is nil")
	}
	if srv.Name != "smtp" || srv.Host != "smtp.example.org" || srv.Port != 25 ||
		srv.Security != SecurityAuto || !srv.TLSVerify || srv.RootCAs != nil ||
		srv.ConnectTimeout != 30*time.Second || srv.Timeout != 3*time.Minute ||
		srv.Connections != 1 || srv.Next != nil || srv.Username != "" || srv.Password != "" {
		t.Errorf("SMTP = %+v, want the defaults", *srv)
	}
	if srv.HELO == "" || !isHELO(srv.HELO) {
		t.Errorf("HELO = %q, want a host name", srv.HELO)
	}
	if got := srv.Address(); got != "smtp.example.org:25" {
		t.Errorf("Address() = %q", got)
	}
}

func TestLoad_EveryKey(t *testing.T) {
	c, dir := mustLoad(t, `
[spool]
folder = in          ; comment
pattern = *.msg,x?.txt
batch = 0
interval = 90s
settle = 0
retry_for = 2d12h
retry_delay = 30s
retry_max = 2h
max_size = 500 kib
charset = Windows-1252
data = /var/lib/spoolgate
instance = gw-1

[smtp]
host = [::1]
port = 2525
security = tls
tls_verify = no
helo = gateway.example.org
username = library
password = hunter2
connect_timeout = 5s
timeout = 1m
connections = 3

[message]
from = library@example.org
from_name = Example Library
return_path = bounces@example.org
copy_to = archive@example.org

[journal]
retention = 1d
`)
	s := c.Spool
	if s.Folder != filepath.Join(dir, "in") || strings.Join(s.Patterns, "|") != "*.msg|x?.txt" ||
		s.Batch != 0 || s.Interval != 90*time.Second || s.Settle != 0 ||
		s.RetryFor != 60*time.Hour || s.RetryDelay != 30*time.Second || s.RetryMax != 2*time.Hour ||
		s.MaxSize != 500<<10 || s.Charset != "windows-1252" || s.Instance != "gw-1" {
		t.Errorf("Spool = %+v", s)
	}
	if want := filepath.Clean("/var/lib/spoolgate"); filepath.IsAbs("/var/lib/spoolgate") && s.Data != want {
		t.Errorf("Data = %q, want %q", s.Data, want)
	}
	srv := c.SMTP
	if srv.Host != "::1" || srv.Port != 2525 || srv.Security != SecurityTLS || srv.TLSVerify ||
		srv.HELO != "gateway.example.org" || srv.Username != "library" || srv.Password != "hunter2" ||
		srv.ConnectTimeout != 5*time.Second || srv.Timeout != time.Minute || srv.Connections != 3 {
		t.Errorf("SMTP = %+v", *srv)
	}
	if srv.Address() != "[::1]:2525" {
		t.Errorf("Address() = %q", srv.Address())
	}
	m := c.Message
	if m.From != "library@example.org" || m.FromName != "Example Library" ||
		m.ReturnPath != "bounces@example.org" || m.CopyTo != "archive@example.org" {
		t.Errorf("Message = %+v", m)
	}
	if c.Journal.Retention != 24*time.Hour {
		t.Errorf("Retention = %v", c.Journal.Retention)
	}
}

func TestLoad_BareIntervalIsMinutes(t *testing.T) {
	for v, want := range map[string]time.Duration{"5": 5 * time.Minute, "1.5": 90 * time.Second, "2h": 2 * time.Hour} {
		c, _ := mustLoad(t, strings.Replace(minimal, "folder = queue", "folder = queue\ninterval = "+v, 1))
		if c.Spool.Interval != want {
			t.Errorf("interval = %s: got %v, want %v", v, c.Spool.Interval, want)
		}
	}
}

func TestLoad_Retention(t *testing.T) {
	c, _ := mustLoad(t, strings.Replace(minimal, "folder = queue", "folder = queue\nretry_for = 1d6h", 1)+
		"\n[journal]\nretention = 90d\n")
	if c.Journal.Retention != 90*24*time.Hour {
		t.Errorf("Retention = %v, want 90 days", c.Journal.Retention)
	}
	if c.Spool.RetryFor != 30*time.Hour {
		t.Errorf("RetryFor = %v, want 30h", c.Spool.RetryFor)
	}
}

func TestLoad_RelativePaths(t *testing.T) {
	root := spooltest.TempDir(t)
	etc := filepath.Join(root, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(root, "elsewhere", "queue")
	text := strings.Replace(minimal, "folder = queue", "folder = "+abs+"\ndata = ../state", 1)
	path := filepath.Join(etc, "spoolgate.ini")
	if err := os.WriteFile(path, []byte(text+"\n[smtp.b]\nhost = b.example.org\nusername = u\npassword_file = secrets/pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(etc, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(etc, "secrets", "pw"), []byte("pw from file\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Load from another working folder through a relative path: paths
	// still resolve against the config file's folder.
	t.Chdir(root)
	c, err := Load(filepath.Join("etc", "spoolgate.ini"))
	if err != nil {
		t.Fatal(err)
	}
	if c.File != path {
		t.Errorf("File = %q, want %q", c.File, path)
	}
	if c.Spool.Folder != abs {
		t.Errorf("Folder = %q, want %q", c.Spool.Folder, abs)
	}
	if want := filepath.Join(root, "state"); c.Spool.Data != want {
		t.Errorf("Data = %q, want %q", c.Spool.Data, want)
	}
	if got := c.SMTP.Next; got != nil {
		t.Errorf("[smtp.b] is not linked, yet SMTP.Next = %+v", got)
	}
}

func TestLoad_PasswordFile(t *testing.T) {
	c, _ := mustLoad(t, strings.Replace(minimal, "host = smtp.example.org",
		"host = smtp.example.org\nusername = u\npassword_file = pw.txt", 1), "pw.txt", "p;a#s s\"w'd\r\n")
	if c.SMTP.Password != `p;a#s s"w'd` {
		t.Errorf("Password = %q, want the file's first line", c.SMTP.Password)
	}
}

func TestLoad_Chain(t *testing.T) {
	c, _ := mustLoad(t, `
[spool]
folder = queue
[message]
from = library@example.org

[smtp.b]
host = b.example.org
port = 2525

[smtp]
host = a.example.org
next = backup-1

[smtp.backup-1]
host = 192.0.2.7
security = tls
next = b

[smtp.spare]
host = spare.example.org
next = b
`)
	var names []string
	for s := c.SMTP; s != nil; s = s.Next {
		names = append(names, s.Name)
		if len(names) > 10 {
			t.Fatal("the chain loops")
		}
	}
	if got := strings.Join(names, " -> "); got != "smtp -> backup-1 -> b" {
		t.Errorf("chain = %s, want smtp -> backup-1 -> b", got)
	}
	if c.SMTP.Next.Port != 465 || c.SMTP.Next.Security != SecurityTLS {
		t.Errorf("[smtp.backup-1] port = %d, security = %s; want 465, tls", c.SMTP.Next.Port, c.SMTP.Next.Security)
	}
	if c.SMTP.Next.Next.Port != 2525 || c.SMTP.Next.Next.Host != "b.example.org" {
		t.Errorf("[smtp.b] = %+v", *c.SMTP.Next.Next)
	}
}

func TestLoad_QuotedValues(t *testing.T) {
	c, _ := mustLoad(t, strings.Replace(minimal, "host = smtp.example.org", "host = smtp.example.org\nnext = b\nusername = a\n"+
		"password = `p;a#s s\"w'd`   ; backticks keep everything but a backtick\n", 1)+`
from_name = "  Library ; of Things  "  ; double quotes keep spaces and ;
copy_to = 'desk@example.org'

[smtp.b]
host = b.example.org
next = c
username = b
password = "pa;ss" # double quotes

[smtp.c]
host = c.example.org
next = d
username = c
password = pa;ss#1	; no space before ; or #: part of the value; # too

[smtp.d]
host = d.example.org
username = d
password = C:\no\escapes\
`)
	want := map[string]string{
		"smtp": `p;a#s s"w'd`,
		"b":    "pa;ss",
		"c":    "pa;ss#1",
		"d":    `C:\no\escapes\`,
	}
	n := 0
	for s := c.SMTP; s != nil; s = s.Next {
		n++
		if s.Password != want[s.Name] {
			t.Errorf("[%s] password = %q, want %q", s.Name, s.Password, want[s.Name])
		}
	}
	if n != len(want) {
		t.Errorf("chain has %d servers, want %d", n, len(want))
	}
	if c.Message.FromName != "  Library ; of Things  " {
		t.Errorf("from_name = %q", c.Message.FromName)
	}
	if c.Message.CopyTo != "desk@example.org" {
		t.Errorf("copy_to = %q, want the quotes dropped", c.Message.CopyTo)
	}
}

func TestLoad_EmptyValueMeansDefault(t *testing.T) {
	c, _ := mustLoad(t, strings.Replace(minimal, "folder = queue", "folder = queue\ninstance =    ; default: host name\nbatch =\n", 1)+
		"return_path = ; default: from\n")
	if c.Spool.Batch != DefaultBatch {
		t.Errorf("Batch = %d, want the default", c.Spool.Batch)
	}
	if c.Spool.Instance == "" || strings.Contains(c.Spool.Instance, ";") {
		t.Errorf("Instance = %q, want the default", c.Spool.Instance)
	}
	if c.Message.ReturnPath != c.Message.From {
		t.Errorf("ReturnPath = %q, want from", c.Message.ReturnPath)
	}
}

func TestLoad_CaptureWithoutHost(t *testing.T) {
	c, dir := mustLoad(t, `
[spool]
folder = queue
[smtp]
capture = outbox
[message]
from = library@example.org
`)
	if c.SMTP != nil {
		t.Errorf("SMTP = %+v, want nil in capture mode", c.SMTP)
	}
	if want := filepath.Join(dir, "outbox"); c.Capture != want {
		t.Errorf("Capture = %q, want %q", c.Capture, want)
	}
}

func TestLoad_PasswordOverNoneToLoopback(t *testing.T) {
	for _, host := range []string{"localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"} {
		text := strings.Replace(minimal, "host = smtp.example.org",
			"host = "+host+"\nsecurity = none\nusername = u\npassword = p", 1)
		c, err := Load(write(t, text))
		if err != nil {
			t.Errorf("host = %s: %v", host, err)
			continue
		}
		if c.SMTP.Security != SecurityNone || c.SMTP.Password != "p" {
			t.Errorf("host = %s: SMTP = %+v", host, *c.SMTP)
		}
	}
}

func TestLoad_CAFile(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "spoolgate test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))

	c, dir := mustLoad(t, strings.Replace(minimal, "host = smtp.example.org",
		"host = smtp.example.org\nca_file = certs/ca.pem", 1), "certs/ca.pem", pemText)
	if want := filepath.Join(dir, "certs", "ca.pem"); c.SMTP.CAFile != want {
		t.Errorf("CAFile = %q, want %q", c.SMTP.CAFile, want)
	}
	if c.SMTP.RootCAs == nil {
		t.Fatal("RootCAs is nil")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: c.SMTP.RootCAs}); err != nil {
		t.Errorf("the CA does not verify against RootCAs: %v", err)
	}
}

func TestLoad_Charsets(t *testing.T) {
	for label, want := range map[string]string{
		"UTF8":         "utf-8",
		"latin1":       "windows-1252",
		"ISO-8859-15":  "iso-8859-15",
		"IBM437":       "ibm437", // IANA only
		"windows-1250": "windows-1250",
	} {
		c, _ := mustLoad(t, strings.Replace(minimal, "folder = queue", "folder = queue\ncharset = "+label, 1))
		if c.Spool.Charset != want || c.Spool.Encoding == nil {
			t.Errorf("charset = %s: got %q (encoding %v), want %q", label, c.Spool.Charset, c.Spool.Encoding, want)
		}
	}
}

func TestLoad_CollectsAllErrors(t *testing.T) {
	errs := loadErrors(t, `[spool]
batch = ten
settle = 2

[smtp]
host = smtp.example.org
port = 0
speed = fast

[message]
from = <library@example.org>
`)
	var got []string
	for _, e := range errs {
		got = append(got, e.Section+" "+e.Key)
	}
	want := []string{"spool folder", "spool batch", "spool settle", "smtp port", "smtp speed", "message from"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("errors for %q, want %q (in line order)", got, want)
	}
	for _, e := range errs {
		if e.Line == 0 {
			t.Errorf("%v: no line number", e)
		}
	}
}

func TestLoad_MissingFile(t *testing.T) {
	path := filepath.Join(spooltest.TempDir(t), "nope.ini")
	_, err := Load(path)
	errs := configErrors(t, err)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error does not wrap fs.ErrNotExist: %v", err)
	}
	if len(errs) != 1 || errs[0].File != path || !strings.Contains(err.Error(), path+": the file does not exist") {
		t.Errorf("error = %v", err)
	}
}

func TestLoad_Folder(t *testing.T) {
	_, err := Load(spooltest.TempDir(t))
	configErrors(t, err)
	if err == nil || !strings.Contains(err.Error(), "this is a folder") {
		t.Errorf("error = %v", err)
	}
}

func TestError_Format(t *testing.T) {
	e := &Error{File: "/etc/spoolgate/spoolgate.ini", Section: "spool", Key: "batch", Value: "ten",
		Want: "want a whole number of messages, 0 or more (e.g. batch = 10)"}
	want := `/etc/spoolgate/spoolgate.ini: [spool] batch = "ten": want a whole number of messages, 0 or more (e.g. batch = 10)`
	if e.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", e.Error(), want)
	}
	e.Line = 14
	if !strings.HasPrefix(e.Error(), "/etc/spoolgate/spoolgate.ini:14: [spool]") {
		t.Errorf("with a line: %s", e.Error())
	}
	if !errors.Is(e, ErrConfig) {
		t.Error("*Error does not match ErrConfig")
	}
	if got := (&Error{File: "f", Key: "folder", Value: `C:\q"x`, Want: "w"}).Error(); got != "f: folder = `C:\\q\"x`: w" {
		t.Errorf("value with a quote: %s", got)
	}
}

func TestError_HidesPassword(t *testing.T) {
	e := &Error{File: "f", Section: "smtp", Key: "password", Value: "hunter2", Want: "w"}
	if got := e.Error(); strings.Contains(got, "hunter2") || !strings.Contains(got, "password = (hidden)") {
		t.Errorf("Error() = %s", got)
	}
	// And Load never stores it in the first place.
	errs := loadErrors(t, strings.Replace(minimal, "host = smtp.example.org", "host = smtp.example.org\npassword = hunter2", 1))
	for _, e := range errs {
		if strings.Contains(e.Value, "hunter2") || strings.Contains(e.Error(), "hunter2") {
			t.Errorf("the password shows: %#v", e)
		}
	}
}

func TestLoad_Examples(t *testing.T) {
	for _, name := range []string{"spoolgate.ini", "quickstart.ini"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "..", "examples", name)
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			dir, _ := filepath.Abs(filepath.Dir(path))
			if c.Spool.Folder != filepath.Join(dir, "queue") || c.Message.From != "library@example.org" {
				t.Errorf("Folder = %q, From = %q", c.Spool.Folder, c.Message.From)
			}
		})
	}
	t.Run("quickstart values", func(t *testing.T) {
		c, err := Load(filepath.Join("..", "..", "examples", "quickstart.ini"))
		if err != nil {
			t.Fatal(err)
		}
		dir, _ := filepath.Abs(filepath.Join("..", "..", "examples"))
		if c.SMTP != nil || c.Capture != filepath.Join(dir, "outbox") || c.Spool.Data != filepath.Join(dir, "data") ||
			c.Spool.Batch != 0 || c.Spool.Settle != time.Second || c.Spool.Interval != time.Minute ||
			c.Message.FromName != "Example Library" {
			t.Errorf("quickstart = %+v (SMTP %v)", *c, c.SMTP)
		}
	})
	t.Run("spoolgate values", func(t *testing.T) {
		c, err := Load(filepath.Join("..", "..", "examples", "spoolgate.ini"))
		if err != nil {
			t.Fatal(err)
		}
		if c.SMTP == nil || c.SMTP.Host != "smtp.example.org" || c.SMTP.Next != nil || c.Capture != "" {
			t.Errorf("spoolgate.ini relays to %+v, capture %q", c.SMTP, c.Capture)
		}
	})
}

// TestLoad_Bad loads every testdata/bad/<case>/spoolgate.ini; each must fail
// with an error that holds every line of the case's want.txt.
func TestLoad_Bad(t *testing.T) {
	cases, err := os.ReadDir(filepath.Join("testdata", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases in testdata/bad", len(cases))
	}
	for _, dir := range cases {
		t.Run(dir.Name(), func(t *testing.T) {
			folder := filepath.Join("testdata", "bad", dir.Name())
			want, err := os.ReadFile(filepath.Join(folder, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			c, err := Load(filepath.Join(folder, "spoolgate.ini"))
			if err == nil {
				t.Fatalf("Load succeeded (%+v); want an error", c)
			}
			if c != nil {
				t.Errorf("Load returned a config with its error")
			}
			errs := configErrors(t, err)
			msg := err.Error()
			for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
				if !strings.Contains(msg, strings.TrimSpace(line)) {
					t.Errorf("error does not contain %q:\n%s", line, msg)
				}
			}
			if strings.Contains(msg, "s3cret") {
				t.Errorf("error shows a password:\n%s", msg)
			}
			for _, e := range errs {
				if strings.Contains(e.Value, "s3cret") {
					t.Errorf("Error.Value holds a password: %#v", e)
				}
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"90d": 90 * day, "2d12h": 60 * time.Hour, "1.5d": 36 * time.Hour, "3m": 3 * time.Minute,
		"1h30m": 90 * time.Minute, "0": 0, "0d": 0, "500ms": 500 * time.Millisecond,
	}
	for in, want := range good {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "3", "2d-1h", "2dh", "1d 2h", "999999999d", "2h1d", "9223372037s"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v; want an error", in, got)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * day: "90d", 3 * time.Minute: "3m", 30 * time.Minute: "30m", time.Hour: "1h",
		90 * time.Minute: "1h30m", 0: "0s", time.Second: "1s", 36 * time.Hour: "36h",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"1234": 1234, "500KB": 500 << 10, "25MB": 25 << 20, "1GB": 1 << 30, "25mb": 25 << 20,
		"3 MiB": 3 << 20, "7b": 7, "2k": 2 << 10, "1gib": 1 << 30,
	}
	for in, want := range good {
		if got, ok := parseSize(in); !ok || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "MB", "1.5MB", "-1", "25 furlongs", "10TB", "99999999999999999999", "9999999999GB"} {
		if got, ok := parseSize(in); ok {
			t.Errorf("parseSize(%q) = %d; want an error", in, got)
		}
	}
}

func TestSanitizeInstance(t *testing.T) {
	for in, want := range map[string]string{
		"gw1.library.example.org": "gw1",
		"DESKTOP-AB12":            "DESKTOP-AB12",
		"my_host":                 "my-host",
		"":                        "spoolgate",
		"__":                      "spoolgate",
		"höst":                    "h--st",
		strings.Repeat("a", 80):   strings.Repeat("a", 63),
	} {
		got := sanitizeInstance(in)
		if got != want || !instanceOK.MatchString(got) {
			t.Errorf("sanitizeInstance(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClosest(t *testing.T) {
	keys := keyNames("spool")
	for in, want := range map[string]string{
		"intervall": "interval", "Folder": "folder", "retrymax": "retry_max", "charst": "charset", "colour": "",
	} {
		if got := Closest(in, keys); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLoad_Comments pins the comment rule: a comment starts at the first
// space or tab followed by ; or #. (ini.v1 alone would read the batch line
// as "10 ; ten" and the settle line as "2s\t# wait".)
func TestLoad_Comments(t *testing.T) {
	c, _ := mustLoad(t, strings.Replace(minimal, "folder = queue",
		"folder = queue\nbatch = 10 ; ten # per interval\nsettle = 2s\t# wait\ncharset =# none: the default\n", 1)+
		"from_name = Library;of#Things ; name\n")
	if c.Spool.Batch != 10 || c.Spool.Settle != 2*time.Second || c.Spool.Charset != "utf-8" {
		t.Errorf("batch = %d, settle = %v, charset = %q", c.Spool.Batch, c.Spool.Settle, c.Spool.Charset)
	}
	if c.Message.FromName != "Library;of#Things" {
		t.Errorf("from_name = %q", c.Message.FromName)
	}
}
