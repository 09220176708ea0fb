package spool

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch calls hint whenever something may have changed in the folder, until
// ctx ends. The watcher is only a hint: the caller must still scan, and must
// scan on its own schedule too, since events can be lost. An overflow of the
// event buffer is itself a hint. When the folder disappears (or cannot be
// watched yet), Watch retries every retry interval and hints once it is
// back. hint must not block.
func (s *Spool) Watch(ctx context.Context, log *slog.Logger, hint func()) {
	const retry = time.Second
	var lastErr string
	for ctx.Err() == nil {
		err := s.watchOnce(ctx, hint)
		if ctx.Err() != nil {
			return
		}
		if err != nil && err.Error() != lastErr {
			lastErr = err.Error()
			log.Warn("cannot watch the queue folder; rescanning on schedule only until it is back",
				"folder", s.o.Dir, "error", err)
		}
		hint()
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
}

var errFolderGone = errors.New("the queue folder was removed or renamed")

func (s *Spool) watchOnce(ctx context.Context, hint func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Add(s.o.Dir); err != nil {
		return err
	}
	hint() // things may have happened while we were not watching
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errFolderGone
			}
			if ev.Name == s.o.Dir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				return errFolderGone
			}
			hint()
		case err, ok := <-w.Errors:
			if !ok {
				return errFolderGone
			}
			hint() // an overflow: events were lost, so rescan
			if !errors.Is(err, fsnotify.ErrEventOverflow) {
				return err
			}
		}
	}
}
