package gateway

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestInstanceRunning(t *testing.T) {
	data := spooltest.TempDir(t)
	cfg := &config.Config{Spool: config.Spool{Data: data, Instance: "one"}}
	lock := InstanceLock(cfg)
	if want := filepath.Join(data, "instance-one.lock"); lock != want {
		t.Fatalf("InstanceLock = %q, want %q", lock, want)
	}

	// Never run: no lock file, and the probe makes none.
	if running, err := InstanceRunning(cfg); err != nil || running {
		t.Fatalf("no lock file: %v, %v", running, err)
	}
	if _, err := os.Stat(lock); err == nil {
		t.Fatal("InstanceRunning created the lock file")
	}

	// Running: the lock is held, as gateway.Run holds it.
	unlock, err := spool.Lock(context.Background(), lock, true, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if running, err := InstanceRunning(cfg); err != nil || !running {
		t.Errorf("lock held: %v, %v", running, err)
	}
	// Another instance in the same data folder is not running.
	other := &config.Config{Spool: config.Spool{Data: data, Instance: "two"}}
	if running, err := InstanceRunning(other); err != nil || running {
		t.Errorf("another instance: %v, %v", running, err)
	}
	unlock()

	// Stopped: the file stays, the lock is free, and the probe let go of
	// it, so the next run can take it.
	if running, err := InstanceRunning(cfg); err != nil || running {
		t.Errorf("lock released: %v, %v", running, err)
	}
	unlock, err = spool.Lock(context.Background(), lock, true, 0, nil)
	if err != nil {
		t.Fatalf("the probe kept the lock: %v", err)
	}
	unlock()
}
