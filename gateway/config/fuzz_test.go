package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/ini.v1"

	"github.com/spoolgate/spoolgate/gateway/lang"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// addSeeds adds the example configs and every broken config as seeds.
func addSeeds(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(minimal + "\n[smtp.a]\nhost = a\nnext = a\npassword = `x ;y` ; z\n"))
	f.Add([]byte("[spool]\nfolder = q ; c # d\npattern = 'a ;b'\n[DEFAULT]\nx = \"\"\"y\"\"\"\n"))
	f.Add([]byte(everyNoticeKey))
	f.Add([]byte(strings.Replace(everyNoticeKey, "templates     = tpl", "templates     =", 1)))
	paths, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*.ini"))
	bad, _ := filepath.Glob(filepath.Join("testdata", "bad", "*", "spoolgate.ini"))
	for _, p := range append(paths, bad...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

// FuzzLoad feeds arbitrary files to Load: it must never panic, and must
// return either a config that holds up or an error wrapping ErrConfig.
func FuzzLoad(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text []byte) {
		path := filepath.Join(spooltest.TempDir(t), "spoolgate.ini")
		if err := os.WriteFile(path, text, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			if c != nil {
				t.Fatal("Load returned a config and an error")
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error does not wrap ErrConfig: %v", err)
			}
			if strings.Contains(err.Error(), "could not be parsed") {
				t.Fatalf("ini.v1 rejected a file scan accepted: %v", errors.Unwrap(err))
			}
			return
		}
		s := c.Spool
		if !filepath.IsAbs(s.Folder) || !filepath.IsAbs(s.Data) || s.Encoding == nil ||
			!instanceOK.MatchString(s.Instance) || len(s.Patterns) == 0 || s.Interval < 1e9 ||
			s.RetryMax < s.RetryDelay || s.MaxSize <= 0 {
			t.Fatalf("bad [spool]: %+v", s)
		}
		if !isAddrSpec(c.Message.From) || !isAddrSpec(c.Message.ReturnPath) {
			t.Fatalf("bad [message]: %+v", c.Message)
		}
		if (c.SMTP == nil) == (c.Capture == "") {
			t.Fatalf("SMTP = %v with capture = %q", c.SMTP, c.Capture)
		}
		n := 0
		for srv := c.SMTP; srv != nil; srv = srv.Next {
			if n++; n > 1000 {
				t.Fatal("the server chain loops")
			}
			if srv.Host == "" || srv.Port < 1 || srv.Port > 65535 || srv.HELO == "" || srv.Connections < 1 {
				t.Fatalf("bad server: %+v", *srv)
			}
		}
		checkNotices(t, c)
	})
}

// checkNotices checks what Load promises about the keys of issue 4.
func checkNotices(t *testing.T, c *Config) {
	t.Helper()
	clockOK := func(k Clock) bool { return k.Hour >= 0 && k.Hour < 24 && k.Minute >= 0 && k.Minute < 60 }
	langOK := func(l string) bool { code, ok := lang.Parse(l); return ok && code == l }
	o := c.Overdue
	if !clockOK(o.At) || o.Encoding == nil || !langOK(o.Language) ||
		(o.Enabled && !filepath.IsAbs(o.Loans)) || (o.Templates != "" && !filepath.IsAbs(o.Templates)) ||
		o.WarningDays < 0 || o.WarningDays > 60 || o.OverdueDays < 0 || o.OverdueDays > 60 ||
		o.ReminderDays < 0 || o.ReminderDays > 365 ||
		(o.OverdueDays > 0 && o.ReminderDays > 0 && o.ReminderDays <= o.OverdueDays) ||
		(o.Enabled && o.WarningDays+o.OverdueDays+o.ReminderDays == 0) ||
		o.StaleAfter < 24*time.Hour || (o.Delimiter != 0 && o.Delimiter != ',' && o.Delimiter != ';' && o.Delimiter != '\t') {
		t.Fatalf("bad [overdue]: %+v", o)
	}
	switch o.Recipient {
	case RecipientPatron, RecipientGuardian, RecipientBoth:
	default:
		t.Fatalf("bad recipient %q", o.Recipient)
	}
	// The columns are as written, each at its own line, in file order;
	// their names are package overdue's to check.
	for i, col := range o.Columns {
		if col.Name == "" || col.Line <= 0 || (i > 0 && col.Line <= o.Columns[i-1].Line) {
			t.Fatalf("bad columns %+v", o.Columns)
		}
		if c.KeyError(kindColumns, col.Name, "x", nil).Value != col.Header && !secretKeys[col.Name] {
			t.Fatalf("column %+v: KeyError quotes %q", col, c.KeyError(kindColumns, col.Name, "x", nil).Value)
		}
	}
	if m := o.ColumnMap(); m == nil || len(m) > len(o.Columns) {
		t.Fatalf("ColumnMap() = %v for %+v", m, o.Columns)
	}
	if !clockOK(c.Log.DailyAt) || len(c.Log.DailyTo) == 0 || !langOK(c.Log.Language) {
		t.Fatalf("bad [log]: %+v", c.Log)
	}
	for _, a := range c.Log.DailyTo {
		if !isAddrSpec(a) {
			t.Fatalf("bad daily_to %q", a)
		}
	}
	if c.Service.Location == nil {
		t.Fatal("Service.Location is nil")
	}
	if c.Servers == nil || c.Units == nil || (c.Capture != "" && len(c.Servers) != 0) ||
		(c.Capture == "" && c.Servers["smtp"] != c.SMTP) {
		t.Fatalf("Servers = %v, Units = %v (capture %q)", c.Servers, c.Units, c.Capture)
	}
	for name, u := range c.Units {
		if u.Name != name || !serverName.MatchString(name) || (u.Language != "" && !langOK(u.Language)) {
			t.Fatalf("bad unit %q: %+v", name, *u)
		}
		if u.SMTP != nil && c.Servers[u.SMTP.Name] != u.SMTP {
			t.Fatalf("unit %q relays through %v, which is not in Servers", name, u.SMTP)
		}
	}
}

// FuzzScan checks that scan and ini.v1 see the same sections and keys in
// every file scan accepts, so that each key ini.v1 reads has the line scan
// found (values are ini.v1's alone), and that fillValues gives each of
// those keys ini.v1's value.
func FuzzScan(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, text []byte) {
		clean, lay, _, fatal := scan("f", text)
		if fatal {
			return
		}
		file, err := ini.LoadSources(iniOptions, clean)
		if err != nil {
			t.Fatalf("ini.v1 rejects what scan accepted: %v\n%q", err, clean)
		}
		lay.fillValues(file)
		for _, sec := range file.Sections() {
			rs := lay.section(sec.Name())
			if rs == nil {
				t.Fatalf("ini.v1 has section %q; scan does not", sec.Name())
			}
			keys := sec.Keys()
			n := 0
			for _, k := range rs.order {
				if !k.broken {
					n++
				}
			}
			if n != len(keys) {
				t.Fatalf("[%s]: ini.v1 has %d keys, scan %d", sec.Name(), len(keys), n)
			}
			for _, k := range keys {
				rk := rs.keys[k.Name()]
				if rk == nil || rk.broken || rk.line <= 0 {
					t.Fatalf("[%s] %q: ini.v1 has it, scan does not (or without a line)", sec.Name(), k.Name())
				}
				if got := lay.keyValue(sec.Name(), k.Name()); got != k.Value() {
					t.Fatalf("[%s] %s: ini.v1 reads %q, the layout quotes %q", sec.Name(), k.Name(), k.Value(), got)
				}
			}
		}
		for _, rs := range lay.order {
			if (rs.explicit || len(rs.order) > 0) && !file.HasSection(rs.name) {
				t.Fatalf("scan has section %q; ini.v1 does not", rs.name)
			}
		}
	})
}
