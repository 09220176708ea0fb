package gateway

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/spool"
)

// Putting a .BAD file back: one way, for `spoolgate retry` and the web
// console's Retry.

// BadFile is a .BAD file of the queue folder with what its reason file
// says.
type BadFile struct {
	Name    string        // abc.BAD
	ModTime time.Time     //
	Reason  *spool.Reason // nil if abc.BAD.txt is missing
}

// Errors of ResolveBad and MatchBad, which callers test for.
var (
	// ErrNoBad: no .BAD file has the name given.
	ErrNoBad = errors.New("no such .BAD file")
	// ErrAmbiguous: the name given matches more than one .BAD file.
	ErrAmbiguous = errors.New("the name matches more than one .BAD file")
)

// badNameError is an error of ResolveBad, MatchBad or Retry: its text
// for people, and the sentinel it wraps.
type badNameError struct {
	text string
	kind error
}

func (e *badNameError) Error() string { return e.text }
func (e *badNameError) Unwrap() error { return e.kind }

// BadFiles lists the .BAD files of cfg's queue folder, oldest first, each
// with its reason file as spool reads it back.
func BadFiles(cfg *config.Config) ([]BadFile, error) {
	sp := spool.New(spool.Options{Dir: cfg.Spool.Folder, Patterns: cfg.Spool.Patterns, Instance: cfg.Spool.Instance})
	ents, err := sp.List()
	if err != nil {
		return nil, err
	}
	var out []BadFile
	for _, e := range ents {
		if e.State != spool.Bad {
			continue
		}
		b := BadFile{Name: e.Name, ModTime: e.ModTime}
		if r, err := spool.ReadReason(sp.ReasonPath(e.Name)); err == nil {
			b.Reason = &r
		}
		out = append(out, b)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].ModTime.Equal(out[b].ModTime) {
			return out[a].ModTime.Before(out[b].ModTime)
		}
		return out[a].Name < out[b].Name
	})
	return out, nil
}

// ResolveBad finds the .BAD files of bad that names mean (all of them
// with all). A name may be the .BAD file's name (abc.BAD), that name
// without .BAD (abc), or the name the message file had (abc.tmp, from the
// reason file); a path is reduced to its file name. A name that matches
// none is an error wrapping ErrNoBad that lists the .BAD files; one that
// matches several, ErrAmbiguous.
func ResolveBad(bad []BadFile, names []string, all bool) ([]BadFile, error) {
	if all {
		return append([]BadFile(nil), bad...), nil
	}
	var out []BadFile
	seen := map[string]bool{}
	var unknown []string
	for _, n := range names {
		f, err := MatchBad(bad, filepath.Base(n))
		if errors.Is(err, ErrNoBad) {
			unknown = append(unknown, n)
			continue
		}
		if err != nil {
			return nil, err
		}
		if !seen[f.Name] {
			seen[f.Name] = true
			out = append(out, *f)
		}
	}
	if len(unknown) > 0 {
		return nil, &badNameError{fmt.Sprintf("no .BAD file named %s; %s", strings.Join(unknown, ", "), badList(bad)), ErrNoBad}
	}
	return out, nil
}

// MatchBad finds the one .BAD file of bad that name means (see
// ResolveBad): an error wrapping ErrNoBad when none does, ErrAmbiguous
// when several do.
func MatchBad(bad []BadFile, name string) (*BadFile, error) {
	for _, try := range []func(f BadFile) bool{
		func(f BadFile) bool { return f.Name == name },
		func(f BadFile) bool { return f.Name == name+spool.SuffixBad },
		func(f BadFile) bool {
			return strings.EqualFold(f.Name, name) || strings.EqualFold(f.Name, name+spool.SuffixBad)
		},
		func(f BadFile) bool { return f.Reason != nil && f.Reason.File == name },
		func(f BadFile) bool { return f.Reason != nil && strings.EqualFold(f.Reason.File, name) },
	} {
		var hits []*BadFile
		for i := range bad {
			if try(bad[i]) {
				hits = append(hits, &bad[i])
			}
		}
		switch len(hits) {
		case 0:
			continue
		case 1:
			return hits[0], nil
		}
		var ns []string
		for _, h := range hits {
			ns = append(ns, h.Name)
		}
		return nil, &badNameError{fmt.Sprintf("%s matches %d .BAD files (%s): name the .BAD file", name, len(hits), strings.Join(ns, ", ")), ErrAmbiguous}
	}
	return nil, &badNameError{fmt.Sprintf("no .BAD file named %s; %s", name, badList(bad)), ErrNoBad}
}

func badList(bad []BadFile) string {
	if len(bad) == 0 {
		return "there are no .BAD files in the queue folder"
	}
	var ns []string
	for _, f := range bad {
		ns = append(ns, f.Name)
	}
	sort.Strings(ns)
	const show = 20
	more := ""
	if len(ns) > show {
		more = fmt.Sprintf(" and %d more (spoolgate queue lists them)", len(ns)-show)
		ns = ns[:show]
	}
	return "the .BAD files are: " + strings.Join(ns, ", ") + more
}

// Retried is what Retry did with a .BAD file.
type Retried struct {
	Bad   string      // the .BAD file's name
	Entry spool.Entry // the file as it now is in the queue
	// Own: this instance had claimed it, and it is back as deferred under
	// its key, with its history: the recipients who got it are skipped.
	// Otherwise it is back as a new message.
	Own bool
	// Delivered are the recipients who already got it (by the journal):
	// skipped when Own, sent it again when not.
	Delivered []string
	Key       string // the key it had, from its reason file; "" if none
}

// Retry puts the .BAD file b back through the spool, which names it: a
// file this instance had claimed goes back as deferred under its key, so
// the running gateway retries it with its history (recipients who got it
// are skipped); any other goes back as a new message. The journal j (nil
// when there is none yet) notes the retry before the file moves, so the
// gateway never sees the file back with the old refusals still on record.
// A file for which no name matches [spool] pattern is an error wrapping
// spool.ErrNoName.
func Retry(cfg *config.Config, j *journal.Journal, b BadFile) (Retried, error) {
	sp := spool.New(spool.Options{Dir: cfg.Spool.Folder, Patterns: cfg.Spool.Patterns, Instance: cfg.Spool.Instance})
	out := Retried{Bad: b.Name}
	if b.Reason != nil {
		out.Key = b.Reason.Key
	}
	if out.Key != "" && j != nil {
		// What the gateway recorded when it set the file aside may still
		// be on its way to the journal (the reason file is written
		// first): commit it before reading the message's state.
		committed := make(chan struct{})
		j.Then(func(error) { close(committed) })
		<-committed
		st, err := j.State(out.Key)
		if err != nil {
			return out, err
		}
		if st.Found {
			out.Delivered = st.Delivered
			j.Retried(out.Key, nil)
			if err := j.Flush(); err != nil {
				return out, fmt.Errorf("note the retry in the journal: %w", err)
			}
		}
	}
	e, err := sp.Requeue(b.Name)
	if errors.Is(err, spool.ErrNoName) {
		return out, &badNameError{"no name for it matches [spool] pattern = " + strings.Join(cfg.Spool.Patterns, ", "), spool.ErrNoName}
	}
	if err != nil {
		return out, err
	}
	out.Entry, out.Own = e, e.State == spool.Deferred
	return out, nil
}

// Retry puts the .BAD file that name means (see ResolveBad) back in the
// queue with Retry and the gateway's journal, and has the gateway send it
// at once: a file back under its key is due now, not after the jitter of
// a file found deferred at start.
func (g *Gateway) Retry(name string) (Retried, error) {
	bad, err := BadFiles(g.cfg)
	if err != nil {
		return Retried{}, err
	}
	f, err := MatchBad(bad, filepath.Base(name))
	if err != nil {
		return Retried{}, err
	}
	r, err := Retry(g.cfg, g.journal, *f)
	if err != nil {
		return r, err
	}
	if r.Own {
		g.mu.Lock()
		g.deferred[r.Entry.Key] = &retryEntry{entry: r.Entry, due: g.now()}
		g.mu.Unlock()
		g.reschedule()
	}
	g.Wake()
	return r, nil
}

// Wake tells the gateway that the queue folder changed, as the watcher
// does: it rescans and sends what is due, now rather than at the next
// tick.
func (g *Gateway) Wake() { g.hint() }
