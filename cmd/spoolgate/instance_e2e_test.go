package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A second spoolgate of one instance name on one queue folder, with a data
// folder of its own (a second config of one host, say), refuses to start,
// naming both data folders and the fix; the first goes on alone, and its
// lock file goes when it stops.
func TestE2E_SecondInstanceOnQueueFolderRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t)
	dir, cfg, queue := relayConfig(t, srv.Port(), "")
	d := startDaemon(t, cfg)
	spooltest.WaitFor(t, "the first run is relaying", func() bool { return strings.Contains(d.log(), "spoolgate is relaying") })

	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	other := spooltest.TempDir(t)
	cfg2 := writeConfig(t, other, strings.Replace(string(b), "folder      = queue", "folder      = "+queue, 1))
	_, stderr, code := spoolgate(t, "run", "--config", cfg2)
	if code != 1 {
		t.Errorf("the second run: exit %d, want 1:\n%s", code, stderr)
	}
	wantAll(t, "the second run", stderr, "another spoolgate of instance box1", "already works on the queue folder "+queue,
		"with the data folder "+filepath.Join(dir, "data"), "this one's is "+filepath.Join(other, "data"), "give each its own [spool] instance")

	plant(t, queue, "a.eml", msgText("a@example.net", "after the refusal"), 0)
	srv.WaitMessages(t, 1, 60*time.Second)
	if code := d.stop(t); code != 0 {
		t.Fatalf("the first run's exit code %d", code)
	}
	if fileExists(filepath.Join(queue, spool.InstanceLockName("box1"))) {
		t.Error("the queue folder's lock file is left after a clean stop")
	}
}

// A queue folder whose parent is missing (an unmounted share) stops run
// with the key and the path, and nothing is created in its place.
func TestE2E_RunMissingQueueParent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary end to end: the full lane runs it (bash .ci/run)")
	}
	dir, cfg, _ := relayConfig(t, freePort(t), "")
	share := filepath.Join(dir, "share")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg = writeConfig(t, dir, strings.Replace(string(b), "folder      = queue", "folder      = "+filepath.Join(share, "queue"), 1))
	_, stderr, code := spoolgate(t, "run", "--config", cfg)
	if code == 0 {
		t.Fatal("run started with the queue folder's parent missing")
	}
	wantAll(t, "run", stderr, "[spool] folder = "+filepath.Join(share, "queue")+" cannot be created: the folder it would be created in, "+share+", does not exist")
	if fileExists(share) {
		t.Error("run created the missing parent")
	}
	out, _, _ := spoolgate(t, "check", "--config", cfg)
	wantAll(t, "check", out, "cannot be created: the folder it would be created in, "+share+", does not exist", "[spool] folder")
}
