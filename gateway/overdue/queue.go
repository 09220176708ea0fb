package overdue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/spoolgate/spoolgate/gateway/notice"
)

// batchSize is how many messages one batch records, writes and confirms.
// It bounds the memory the composed messages take.
const batchSize = 500

// writers is how many files are written at once: writing is mostly
// waiting for the disk to confirm each file.
const writers = 8

// outMsg is a composed message.
type outMsg struct {
	g       *group
	keys    []key
	planned Planned
	data    []byte
	err     error
}

// queue composes the groups' messages and queues them in batches (see
// the package comment for the steps). While one batch's files are
// written, the next batch is composed. In a dry run it only composes them.
func (s *scanner) queue(ctx context.Context, st *store, groups []*group) error {
	todo := groups
	// take hands out the next batch and forgets it here, so that a
	// batch's groups (and the loans only they hold) are freed once it is
	// written.
	take := func() []*group {
		n := min(batchSize, len(todo))
		b := make([]*group, n)
		copy(b, todo)
		clear(todo[:n])
		todo = todo[n:]
		return b
	}
	var next chan []*outMsg // the next batch, being composed
	for len(todo) > 0 || next != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		var msgs []*outMsg
		if next != nil {
			msgs, next = <-next, nil
		} else {
			msgs = s.composeAll(take())
		}
		ok := msgs[:0]
		for _, m := range msgs {
			if m.err != nil {
				s.log.Error("a notice cannot be composed; it is dropped", "patron", m.g.first.PatronID(), "kind", m.g.kind, "error", m.err)
				d := Dropped{Kind: m.g.kind, PatronID: m.g.first.PatronID(), PatronName: m.g.first.PatronName(),
					For: inLocation(m.g.from, s.loc), Reason: "the notice could not be composed: " + m.err.Error()}
				for _, c := range m.g.cands {
					d.Items = append(d.Items, s.item(c.loan))
				}
				s.res.Dropped = append(s.res.Dropped, d)
				continue
			}
			ok = append(ok, m)
		}
		if s.opts.DryRun {
			for _, m := range ok {
				s.res.Queued = append(s.res.Queued, m.planned)
			}
			continue
		}
		if err := s.step("composed"); err != nil {
			return err
		}
		// From the keys' record until the files are in the queue, a
		// recovery in another scan must not take this batch's outbox rows
		// for an interrupted scan's.
		unlock, err := lockState(ctx, s.lockPath(), false, func() {
			s.log.Info("waiting for another overdue scan to finish recovering notices of an interrupted scan")
		})
		if err != nil {
			return err
		}
		mine, taken, err := st.insertPending(ok, s.day.Format(dateLayout), s.now())
		if err != nil {
			unlock()
			return err
		}
		// Another scan recorded some of these keys first: it queues
		// those items, this scan the rest.
		for _, t := range taken {
			var rest []cand
			for _, c := range t.m.g.cands {
				if !t.keys[c.key().id()] {
					rest = append(rest, c)
				}
			}
			if len(rest) > 0 {
				g := *t.m.g
				g.cands = rest
				todo = append(todo, &g)
			}
		}
		if len(todo) > 0 {
			ch := make(chan []*outMsg, 1)
			b := take()
			go func() { ch <- s.composeAll(b) }()
			next = ch
		}
		err = s.write(st, mine)
		unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// write writes a recorded batch's files to the queue and deletes its
// outbox rows.
func (s *scanner) write(st *store, mine []*outMsg) error {
	if err := s.step("pending"); err != nil {
		return err
	}
	if err := s.writeAll(mine); err != nil {
		return err
	}
	if err := s.step("written"); err != nil {
		return err
	}
	files := make([]string, len(mine))
	for i, m := range mine {
		files[i] = m.planned.File
		s.res.Queued = append(s.res.Queued, m.planned)
	}
	return st.confirm(files)
}

// lockPath is the state lock's file (see lockState).
func (s *scanner) lockPath() string {
	return filepath.Join(s.cfg.Spool.Data, StateFile+".lock")
}

// step calls the test hook.
func (s *scanner) step(stage string) error {
	if s.opts.hook != nil {
		return s.opts.hook(stage)
	}
	return nil
}

// composeAll composes a batch's messages on every CPU.
func (s *scanner) composeAll(batch []*group) []*outMsg {
	out := make([]*outMsg, len(batch))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(batch)) {
		wg.Go(func() {
			for i := range next {
				out[i] = s.compose(batch[i])
			}
		})
	}
	for i := range batch {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// compose renders one group's notice and writes its message file's bytes.
func (s *scanner) compose(g *group) *outMsg {
	m := &outMsg{g: g}
	l := g.first
	items := make([]notice.Item, len(g.cands))
	m.planned = Planned{Kind: g.kind, PatronID: l.PatronID(), PatronName: l.PatronName(), To: g.to,
		Unit: g.unit.name, Language: g.lang, For: inLocation(g.from, s.loc)}
	ids := make([]string, len(g.cands))
	for i, c := range g.cands {
		k := c.key()
		m.keys = append(m.keys, k)
		ids[i] = k.id()
		it := notice.Item{Title: c.loan.Title(), Author: c.loan.Author(), Barcode: c.loan.Barcode(), Due: c.loan.Due(s.loc)}
		if d := notice.DaysBetween(c.due, s.day); d > 0 {
			it.DaysOverdue = d
		} else {
			it.DaysLeft = -d
		}
		items[i] = it
		m.planned.Items = append(m.planned.Items, s.item(c.loan))
	}
	sort.Strings(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	hash := hex.EncodeToString(sum[:])
	m.planned.File = s.sp.NameFor(fmt.Sprintf("notice-%s-%s-%s-%s", s.day.Format("20060102"), g.kind, safeID(l.PatronID()), hash[:10]), ".eml")
	if m.planned.File == "" {
		m.err = fmt.Errorf("no [spool] pattern (%s) gives a file name for a notice", strings.Join(s.cfg.Spool.Patterns, ", "))
		return m
	}

	u := g.unit
	n, err := s.set.Render(g.lang, g.kind, notice.Data{
		Today:   inLocation(s.day, s.loc),
		Patron:  notice.Patron{ID: l.PatronID(), Name: l.PatronName(), Email: l.Email()},
		Items:   items,
		Unit:    notice.Unit{Name: u.display, Contact: u.contact},
		Library: notice.Library{Name: s.cfg.Message.FromName, From: s.cfg.Message.From},
	})
	if err != nil {
		m.err = err
		return m
	}
	data, err := n.Message(mail.Address{Name: u.fromName, Address: u.from}, g.to, notice.Headers{
		Unit:      u.name,
		Date:      s.now().In(s.loc),
		MessageID: hash[:32] + "@" + idDomain(u.from),
	})
	if err != nil {
		m.err = err
		return m
	}
	if !strings.EqualFold(u.returnPath, u.from) {
		if strings.ContainsAny(u.returnPath, "\r\n") {
			m.err = fmt.Errorf("the return path %q has a line break", u.returnPath)
			return m
		}
		data = append([]byte("X-Sender: "+u.returnPath+"\r\n"), data...)
	}
	m.data = data
	return m
}

// writeAll writes a batch's files into the queue folder, several at once.
// It returns the first error.
func (s *scanner) writeAll(msgs []*outMsg) error {
	errs := make([]error, len(msgs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(writers, len(msgs)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = s.sp.Write(msgs[i].planned.File, msgs[i].data)
			}
		})
	}
	for i := range msgs {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("overdue: queue folder %s: %w; the notices stay recorded and the next scan writes them", s.cfg.Spool.Folder, err)
	}
	return nil
}

// safeID keeps the characters of a patron id that are safe in a file name
// everywhere: [A-Za-z0-9_-], at most 40 of them; others become "_".
func safeID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if b.Len() >= 40 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// idDomain is the Message-ID's domain: the sender's, when it is plain
// ASCII.
func idDomain(from string) string {
	d := from[strings.LastIndexByte(from, '@')+1:]
	if d == "" {
		return "spoolgate.invalid"
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return "spoolgate.invalid"
		}
	}
	return d
}
