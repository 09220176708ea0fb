package config

import (
	"strings"
	"testing"
)

const unitBase = `[spool]
folder = queue
[smtp]
host = smtp.example.org
[message]
from = library@example.org
from_name = Stadsbiblioteket
`

// [unit.NAME] name is the unit's name in notices; without it, the unit's
// own from_name, else NAME ([message] from_name is the library's, not the
// unit's).
func TestLoad_UnitDisplayName(t *testing.T) {
	c, _ := mustLoad(t, unitBase+`
[unit.central]
name = Stadsbiblioteket Centrum
from_name = Bibliotek
[unit.ostra]
from_name = Östra biblioteket
[unit.bokbuss]
from = buss@example.org
[unit.quoted]
name = "  Kista bibliotek ; filial  "
[unit.empty]
name =
from_name = Filialen
`)
	for unit, want := range map[string]string{
		"central": "Stadsbiblioteket Centrum",
		"ostra":   "Östra biblioteket",
		"bokbuss": "bokbuss",
		"quoted":  "Kista bibliotek ; filial",
		"empty":   "Filialen",
	} {
		if got := c.Units[unit].DisplayName; got != want {
			t.Errorf("[unit.%s] DisplayName = %q, want %q", unit, got, want)
		}
	}
	if u, ok := c.UnitFor("CENTRAL"); !ok || u.DisplayName != "Stadsbiblioteket Centrum" || u.FromName != "Bibliotek" {
		t.Errorf("UnitFor(CENTRAL) = %+v, %v", u, ok)
	}
	// An unknown unit has no display name: the caller names it as the
	// row does.
	if u, ok := c.UnitFor("nowhere"); ok || u.DisplayName != "" {
		t.Errorf("UnitFor(nowhere) = %+v, %v", u, ok)
	}
}

// A name that is not one short line is refused with the file, line, key,
// value and what would be right.
func TestLoad_UnitDisplayNameRefused(t *testing.T) {
	long := strings.Repeat("Stadsbibliotek ", 7) // 104 characters without the last space
	for _, c := range []struct{ value, want string }{
		{long, "it is 104 characters long"},
		{"Östra\tbiblioteket", "control character U+0009"},
	} {
		errs := loadErrors(t, unitBase+"[unit.ostra]\nfrom = ostra@example.org\nname = "+c.value+"\n")
		if len(errs) != 1 {
			t.Fatalf("%q: %d errors, want 1: %v", c.value, len(errs), errs)
		}
		e := errs[0]
		if e.Section != "unit.ostra" || e.Key != "name" || e.Line != 10 || e.Value != strings.TrimSpace(c.value) ||
			!strings.Contains(e.Want, c.want) || !strings.Contains(e.Want, "at most 100 characters") ||
			!strings.Contains(e.Want, "e.g. name = Östra biblioteket") {
			t.Errorf("%q: %#v", c.value, e)
		}
	}
	// A hundred characters are fine.
	c, _ := mustLoad(t, unitBase+"[unit.ostra]\nname = "+strings.Repeat("ö", 100)+"\n")
	if got := c.Units["ostra"].DisplayName; got != strings.Repeat("ö", 100) {
		t.Errorf("DisplayName = %q", got)
	}
}
