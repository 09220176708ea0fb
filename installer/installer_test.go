package installer

import (
	"path/filepath"
	"testing"
)

func TestDefaultConfigPath(t *testing.T) {
	env := map[string]string{"ProgramData": `D:\PD`}
	cases := []struct{ goos, want string }{
		{"windows", `D:\PD\spoolgate\spoolgate.ini`},
		{"linux", filepath.Join("/etc", "spoolgate", "spoolgate.ini")},
	}
	for _, c := range cases {
		if got := defaultConfigPath(c.goos, func(k string) string { return env[k] }); got != c.want {
			t.Errorf("%s: got %q, want %q", c.goos, got, c.want)
		}
	}
	if got := defaultConfigPath("windows", func(string) string { return "" }); got != `C:\ProgramData\spoolgate\spoolgate.ini` {
		t.Errorf("windows without ProgramData: got %q", got)
	}
}
