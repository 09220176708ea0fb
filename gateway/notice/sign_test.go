package notice

import (
	"fmt"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/lang"
)

// Every built-in notice is signed with the unit's name (as patrons read
// it) above the library's, and with the library's alone when there is no
// unit or the two names are the same.
func TestRender_Signature(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		unit, library, want, not string
	}{
		{"Östra biblioteket", "Stadsbiblioteket", "\nÖstra biblioteket\nStadsbiblioteket\n", ""},
		{"", "Stadsbiblioteket", "\nStadsbiblioteket\n", ""},
		{"Stadsbiblioteket", "Stadsbiblioteket", "\nStadsbiblioteket\n", "Stadsbiblioteket\nStadsbiblioteket"},
		{"Östra biblioteket", "", "\nÖstra biblioteket\n", ""},
	}
	for _, lang := range lang.Codes() {
		for _, kind := range Kinds() {
			for i, c := range cases {
				t.Run(fmt.Sprintf("%s/%s/%d", lang, kind, i), func(t *testing.T) {
					d := testData(kind, 1)
					d.Unit = Unit{Name: c.unit}
					d.Library.Name = c.library
					n, err := s.Render(lang, kind, d)
					if err != nil {
						t.Fatal(err)
					}
					if !strings.HasSuffix(n.Text, c.want) {
						t.Errorf("the text does not end in %q:\n%s", c.want, n.Text)
					}
					if c.not != "" && strings.Contains(n.Text, c.not) {
						t.Errorf("the text holds %q:\n%s", c.not, n.Text)
					}
				})
			}
		}
	}
}
