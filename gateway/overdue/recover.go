package overdue

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/journal"
)

// recoverOutbox finishes what an interrupted scan left in the outbox: a
// file that reached the queue (or was relayed already) is confirmed, one
// that did not is written again, unless it has gone stale.
func (s *scanner) recoverOutbox(ctx context.Context, st *store) error {
	rows, err := st.outbox()
	if err != nil || len(rows) == 0 {
		return err
	}
	defer s.closeJournal()
	names, err := queueNames(s.cfg.Spool.Folder)
	if err != nil {
		return err
	}
	for _, p := range rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		if inQueue(names, p.file) || s.journalled(p.file) {
			s.log.Info("a notice recorded by an interrupted scan had reached the queue", "file", p.file)
			if err := st.confirm([]string{p.file}); err != nil {
				return err
			}
			continue
		}
		if s.day.Sub(p.scanDate) > s.stale {
			s.log.Warn("a notice recorded by an interrupted scan never reached the queue and is now stale; it is dropped", "file", p.file)
			s.res.Dropped = append(s.res.Dropped, Dropped{Kind: p.planned.Kind, PatronID: p.planned.PatronID,
				PatronName: p.planned.PatronName, Items: p.planned.Items, For: p.planned.For,
				Reason: fmt.Sprintf("stale: it was being queued when spoolgate stopped on %s, more than %s (stale_after) before %s",
					p.scanDate.Format(dateLayout), durationText(s.stale), s.day.Format(dateLayout))})
			if err := st.confirm([]string{p.file}); err != nil {
				return err
			}
			continue
		}
		if err := s.sp.Write(p.file, p.data); err != nil {
			return fmt.Errorf("overdue: queue folder %s: %w; the notice stays recorded and the next scan writes it", s.cfg.Spool.Folder, err)
		}
		if err := st.confirm([]string{p.file}); err != nil {
			return err
		}
		s.log.Info("a notice recorded by an interrupted scan was written to the queue", "file", p.file)
		p.planned.Recovered = true
		s.res.Queued = append(s.res.Queued, p.planned)
	}
	return nil
}

// queueNames lists the queue folder.
func queueNames(dir string) (map[string]bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("overdue: read the queue folder: %w", err)
	}
	out := make(map[string]bool, len(ents))
	for _, e := range ents {
		out[e.Name()] = true
	}
	return out, nil
}

// inQueue reports whether a notice file is in the queue folder in any
// state: waiting (its name), claimed or deferred (its name, then
// ".KEY.sending" or ".KEY.deferred") or refused (its name without the
// extension, then ".BAD" or ".N.BAD"). The hash in the name makes a
// prefix match exact.
func inQueue(names map[string]bool, file string) bool {
	if names[file] {
		return true
	}
	base := strings.TrimSuffix(file, filepath.Ext(file)) + "."
	for n := range names {
		if strings.HasPrefix(n, base) {
			return true
		}
	}
	return false
}

// journalled reports whether the gateway's journal has a record of the
// file: it removes a sent file only after that record is committed. When
// the journal cannot be read the answer is no: writing a notice again
// risks a duplicate, not writing it risks losing it.
func (s *scanner) journalled(file string) bool {
	if s.jrnl == nil {
		s.jrnl = s.opts.Journal
	}
	if s.jrnl == nil {
		path := filepath.Join(s.cfg.Spool.Data, journalFile)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return false
		}
		j, err := journal.Open(path, s.log)
		if err != nil {
			s.log.Warn("cannot open the journal to check a notice of an interrupted scan", "error", err)
			return false
		}
		s.jrnl, s.jclose = j, func() { j.Close() }
	}
	recs, err := s.jrnl.Query(journal.Filter{File: file})
	if err != nil {
		s.log.Warn("cannot read the journal to check a notice of an interrupted scan", "error", err)
		return false
	}
	for _, r := range recs {
		if r.File == file {
			return true
		}
	}
	return false
}

func (s *scanner) closeJournal() {
	if s.jclose != nil {
		s.jclose()
		s.jclose = nil
	}
}
