package installer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExecutable_RefusesWhatGoRunBuilt(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := filepath.EvalSymlinks(self); err == nil {
		self = r
	}
	exe, err := Executable()
	// go test, like go run, runs a program built in a go-build folder.
	if strings.Contains(filepath.ToSlash(self), "/go-build") {
		if err == nil || !strings.Contains(err.Error(), "go run") {
			t.Errorf("Executable() = %q, %v; want a refusal that mentions go run", exe, err)
		}
		return
	}
	if err != nil || exe != self {
		t.Errorf("Executable() = %q, %v; want %q", exe, err, self)
	}
}

// The tests never install the service; the service manager says so (or
// there is none).
func TestStatus_NotInstalled(t *testing.T) {
	st, err := Status()
	if err != nil || st != NotInstalled {
		t.Fatalf("Status() = %v, %v; want not installed", st, err)
	}
	if err := Start(); err == nil {
		t.Error("Start of a service that is not installed succeeded")
	}
}

func TestState_String(t *testing.T) {
	for st, want := range map[State]string{NotInstalled: "not installed", Stopped: "stopped", Running: "running", Failed: "failed"} {
		if st.String() != want {
			t.Errorf("%d: %q, want %q", st, st.String(), want)
		}
	}
}
