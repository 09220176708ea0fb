package config

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// TestLoad_ColumnsAsWritten: config takes any key of [overdue.columns],
// a misspelt or reversed one included, and records each as written, with
// its line, in file order; checking the names is package overdue's.
func TestLoad_ColumnsAsWritten(t *testing.T) {
	c, _ := mustLoad(t, minimal+"\n[overdue.columns]\nTitle = Titel\nFörfallodatum = due\npatron_id =\ndue = `Due ; date`\n")
	want := []Column{{"Title", "Titel", 12}, {"Förfallodatum", "due", 13}, {"patron_id", "", 14}, {"due", "Due ; date", 15}}
	if len(c.Overdue.Columns) != len(want) {
		t.Fatalf("Columns = %+v, want %+v", c.Overdue.Columns, want)
	}
	for i, col := range c.Overdue.Columns {
		if col != want[i] {
			t.Errorf("Columns[%d] = %+v, want %+v", i, col, want[i])
		}
	}
	m := c.Overdue.ColumnMap()
	if len(m) != 3 || m["Title"] != "Titel" || m["due"] != "Due ; date" {
		t.Errorf("ColumnMap() = %q: want the three with a header", m)
	}
	if _, ok := m["patron_id"]; ok {
		t.Error("ColumnMap() has patron_id, which names no header (the default)")
	}
}

// TestConfig_KeyError: an error another package reports for a key of the
// loaded file is positioned as Load's own are.
func TestConfig_KeyError(t *testing.T) {
	c, _ := mustLoad(t, minimal+"\n[overdue]\ntemplates = tpl ; a comment\n\n[overdue.columns]\ndue = Förfallodatum\n",
		"tpl/README", "x")
	cause := errors.New("the cause")
	e := c.KeyError("overdue", "templates", "fix the template", cause)
	if e.File != c.File || e.Line != 12 || e.Section != "overdue" || e.Key != "templates" || e.Value != "tpl" ||
		e.Want != "fix the template" || e.Err != cause {
		t.Errorf("KeyError = %#v", e)
	}
	if got, want := e.Error(), c.File+`:12: [overdue] templates = "tpl": fix the template`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, ErrConfig) || !errors.Is(e, cause) {
		t.Errorf("%v wraps ErrConfig %v, its cause %v; want both", e, errors.Is(e, ErrConfig), errors.Is(e, cause))
	}

	// The value is quoted as ini.v1 read it.
	if e := c.KeyError(kindColumns, "due", "w", nil); e.Line != 15 || e.Value != "Förfallodatum" {
		t.Errorf("column error = %#v", e)
	}
	// A key the file lacks is placed at its section; a section the file
	// lacks has no line.
	if e := c.KeyError(kindColumns, "title", "w", nil); e.Line != 14 || e.Value != "" {
		t.Errorf("missing key = %#v, want line 14 ([overdue.columns]) and no value", e)
	}
	if e := c.KeyError("overdue", "", "w", nil); e.Line != 11 || e.Key != "" {
		t.Errorf("section error = %#v", e)
	}
	if e := c.KeyError("service", "timezone", "w", nil); e.Line != 0 {
		t.Errorf("a key in a section the file lacks has line %d", e.Line)
	}

	// A password is never quoted.
	c, _ = mustLoad(t, strings.Replace(minimal, "host = smtp.example.org", "host = smtp.example.org\nusername = u\npassword = s3cret", 1))
	if e := c.KeyError("smtp", "password", "w", nil); e.Value != hidden || strings.Contains(e.Error(), "s3cret") {
		t.Errorf("password error = %q", e)
	}

	// A Config that Load did not make has no positions, and no values.
	hand := &Config{File: "/etc/spoolgate.ini"}
	e = hand.KeyError("overdue", "templates", "w", fs.ErrNotExist)
	if e.Line != 0 || e.Value != "" || e.File != "/etc/spoolgate.ini" || !errors.Is(e, fs.ErrNotExist) || !errors.Is(e, ErrConfig) {
		t.Errorf("KeyError of a hand-made Config = %#v", e)
	}
}
