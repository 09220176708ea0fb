package gateway

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A queue or data folder whose parent is missing (a share that is not
// mounted, a typo) stops the gateway with the key and the path, and
// nothing is created in its place.
func TestNew_MissingParent(t *testing.T) {
	for _, tc := range []struct{ key, which string }{{"[spool] folder", "queue"}, {"[spool] data", "data"}} {
		t.Run(tc.which, func(t *testing.T) {
			cfg := testConfig(t, nil)
			root := filepath.Dir(cfg.Spool.Folder)
			share := filepath.Join(root, "share")
			path := filepath.Join(share, tc.which)
			if tc.which == "queue" {
				cfg.Spool.Folder = path
			} else {
				cfg.Spool.Data = path
			}
			_, err := New(cfg, slog.New(slog.DiscardHandler))
			want := tc.key + " = " + path + " cannot be created: the folder it would be created in, " + share + ", does not exist"
			if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, spool.ErrNoParent) {
				t.Fatalf("New: %v\nwant an error starting %q", err, want)
			}
			if _, err := os.Stat(share); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the missing parent was created: %v", err)
			}
		})
	}
	// With the parents there, both folders are made.
	cfg := testConfig(t, smtptest.NewServer(t))
	g, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	g.journal.Close()
	for _, d := range []string{cfg.Spool.Folder, cfg.Spool.Data} {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			t.Errorf("%s was not created: %v", d, err)
		}
	}
}

// Two gateways of one instance name on one queue folder, each with its
// own data folder: the second refuses to start, naming both data folders
// and the fix, and the first goes on relaying. One of another instance
// name starts beside them.
func TestRun_SecondInstanceOnQueueFolder(t *testing.T) {
	srv := smtptest.NewServer(t)
	cfg := testConfig(t, srv)
	first := start(t, cfg)
	waitFor(t, "the first gateway holds the queue folder's lock", func() bool {
		_, err := os.Lstat(filepath.Join(cfg.Spool.Folder, spool.InstanceLockName(cfg.Spool.Instance)))
		return err == nil
	})

	second := *cfg
	second.Spool.Data = filepath.Join(spooltest.TempDir(t), "data2")
	g, err := New(&second, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Run(context.Background()) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the second gateway of the instance did not refuse to start")
	}
	for _, want := range []string{"another spoolgate of instance test", "already works on the queue folder " + cfg.Spool.Folder,
		"with the data folder " + cfg.Spool.Data, "this one's is " + second.Spool.Data, "give each its own [spool] instance"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the second gateway: %v\nwant it to say %q", err, want)
		}
	}

	other := *cfg
	other.Spool.Instance = "other"
	other.Spool.Data = filepath.Join(spooltest.TempDir(t), "data3")
	start(t, &other)

	drop(t, cfg, "a.eml", msg("a@example.net", "after the refusal"))
	srv.WaitMessages(t, 1, 60*time.Second)
	waitEmpty(t, cfg)
	if strings.Contains(first.log.String(), "level=ERROR") {
		t.Errorf("the first gateway logged an error:\n%s", first.log.String())
	}
}
