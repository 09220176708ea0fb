package spool

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// Shared holders coexist; an exclusive one excludes both kinds, and the
// lock is free again once released.
func TestLock_SharedAndExclusive(t *testing.T) {
	path := filepath.Join(spooltest.TempDir(t), "x.lock")
	ctx := context.Background()
	a, err := Lock(ctx, path, false, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Lock(ctx, path, false, 0, nil)
	if err != nil {
		t.Fatalf("a second shared lock: %v", err)
	}
	waited := false
	if _, err := Lock(ctx, path, true, 100*time.Millisecond, func() { waited = true }); !errors.Is(err, ErrLocked) || !waited {
		t.Fatalf("an exclusive lock while shared ones are held: %v (told of the wait: %v), want ErrLocked", err, waited)
	}
	a()
	b()
	c, err := Lock(ctx, path, true, 0, nil)
	if err != nil {
		t.Fatalf("an exclusive lock once the shared ones are released: %v", err)
	}
	if _, err := Lock(ctx, path, false, 0, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("a shared lock while an exclusive one is held: %v, want ErrLocked", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Lock(cctx, path, true, time.Minute, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("a wait with an ended context: %v, want context.Canceled", err)
	}
	c()
}
