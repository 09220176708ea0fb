package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// The manual page lists every command of spoolgate help, with its options
// escaped for roff, and groff (when this machine has it, as lintian's
// does) formats it without a warning.
func TestMan_ListsEveryCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"help", "--man"}, &out, &errb); code != 0 {
		t.Fatalf("help --man exit %d: %s", code, errb.String())
	}
	page := out.String()
	for _, n := range commandNames() {
		c := commands[n]
		want := ".B spoolgate " + roffText(n)
		if c.usage != "" {
			want += " " + roffText(c.usage)
		}
		if !strings.Contains(page, want+"\n"+roffText(c.summary)+"\n") {
			t.Errorf("the page lacks %q with its summary", want)
		}
	}
	for i, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, `.\"`) || strings.HasPrefix(line, ".TH") {
			continue
		}
		if strings.Contains(strings.ReplaceAll(line, `\-`, ""), "-") {
			t.Errorf("line %d has a bare hyphen (roff would print it as a hyphen, not a minus): %q", i+1, line)
		}
	}
	if _, err := exec.LookPath("groff"); err != nil {
		return
	}
	cmd := exec.Command("groff", "-man", "-ww", "-z", "-Tutf8")
	cmd.Stdin = strings.NewReader(page)
	if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
		t.Fatalf("groff: %v\n%s", err, msg)
	}
}
