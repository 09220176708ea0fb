package main

import (
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A from_name too long for a From header line used to pass load and
// check, and then every message went .BAD. Now it is a config error:
// check and run stop at once with exit 2, naming the key.
func TestPrivacy_FromNameTooLong(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	dir := spooltest.TempDir(t)
	cfg := writeConfig(t, dir, "[spool]\nfolder = queue\n\n[smtp]\ncapture = outbox\n\n[message]\nfrom = library@example.org\nfrom_name = "+
		strings.Repeat("Stadsbiblioteket", 70)+"\n")
	for _, c := range []string{"check", "run", "queue"} {
		stdout, stderr, code := spoolgate(t, c, "--config", cfg)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", c, code, stdout, stderr)
		}
		wantAll(t, c+"'s stderr", stderr, cfg+":9: [message] from_name", "more than the 998 a mail header line takes", "shorten from_name")
	}
	if fileExists(dir + "/queue") {
		t.Error("run made the queue folder with a config it refused")
	}
}
