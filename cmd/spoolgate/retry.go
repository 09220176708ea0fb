package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/installer"
	"github.com/spoolgate/spoolgate/spool"
)

func init() {
	register("retry", command{usage: "[--config FILE] NAME... | --all", summary: "put .BAD files back in the queue", run: cmdRetry, order: 31})
}

// flagsAndNames parses flags that may come before, between or after the
// positional arguments, and returns those arguments.
func flagsAndNames(name string, args []string, stderr io.Writer, more func(*flag.FlagSet)) (cfgPath string, names []string, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfgPath, "config", installer.DefaultConfigPath(), "the config file")
	if more != nil {
		more(fs)
	}
	for {
		if err := fs.Parse(args); err != nil {
			return "", nil, &exitError{2, err}
		}
		if fs.NArg() == 0 {
			return cfgPath, names, nil
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// badFile is a .BAD file to put back, with what its reason file says.
type badFile struct {
	name   string        // abc.BAD
	reason *spool.Reason // nil if abc.BAD.txt is missing
}

func cmdRetry(args []string, stdout, stderr io.Writer) error {
	var all bool
	path, names, err := flagsAndNames("retry", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&all, "all", false, "put every .BAD file back")
	})
	if err != nil {
		return err
	}
	if all == (len(names) > 0) {
		return &exitError{2, errors.New("retry: name the .BAD files to put back, or give --all")}
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	q, err := inspect.List(cfg, 1)
	if err != nil {
		return queueErr(cfg, err)
	}
	todo, err := resolveBad(q.Bad, names, all)
	if err != nil {
		return err
	}
	if len(todo) == 0 {
		fmt.Fprintf(stdout, "There are no .BAD files in %s.\n", cfg.Spool.Folder)
		return nil
	}

	var j *journal.Journal
	for _, b := range todo {
		if b.reason != nil && b.reason.Key != "" {
			if j, err = inspect.OpenJournal(cfg); err != nil {
				return err
			}
			break
		}
	}
	if j != nil {
		defer j.Close()
	}
	failed := 0
	for _, b := range todo {
		if err := retryOne(cfg, j, b, stdout); err != nil {
			fmt.Fprintf(stdout, "%s: not put back: %v\n", b.name, err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d .BAD file(s) could not be put back", failed, len(todo))
	}
	return nil
}

// resolveBad finds the .BAD files that names mean. A name may be the .BAD
// file's name (abc.BAD), that name without .BAD (abc), or the name the
// message file had (abc.tmp, from the reason file); a path is reduced to
// its file name.
func resolveBad(bad []inspect.File, names []string, all bool) ([]badFile, error) {
	var out []badFile
	if all {
		for _, f := range bad {
			out = append(out, badFile{name: f.Name, reason: f.Reason})
		}
		return out, nil
	}
	seen := map[string]bool{}
	var unknown []string
	for _, n := range names {
		f, err := matchBad(bad, filepath.Base(n))
		if err != nil {
			return nil, err
		}
		if f == nil {
			unknown = append(unknown, n)
			continue
		}
		if !seen[f.Name] {
			seen[f.Name] = true
			out = append(out, badFile{name: f.Name, reason: f.Reason})
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("no .BAD file named %s; %s", strings.Join(unknown, ", "), badList(bad))
	}
	return out, nil
}

// matchBad finds the one .BAD file that name means, or nil.
func matchBad(bad []inspect.File, name string) (*inspect.File, error) {
	for _, try := range []func(f inspect.File) bool{
		func(f inspect.File) bool { return f.Name == name },
		func(f inspect.File) bool { return f.Name == name+spool.SuffixBad },
		func(f inspect.File) bool {
			return strings.EqualFold(f.Name, name) || strings.EqualFold(f.Name, name+spool.SuffixBad)
		},
		func(f inspect.File) bool { return f.Reason != nil && f.Reason.File == name },
		func(f inspect.File) bool { return f.Reason != nil && strings.EqualFold(f.Reason.File, name) },
	} {
		var hits []*inspect.File
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
		return nil, fmt.Errorf("%s matches %d .BAD files (%s): name the .BAD file", name, len(hits), strings.Join(ns, ", "))
	}
	return nil, nil
}

func badList(bad []inspect.File) string {
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

// retryOne puts one .BAD file back through the spool, which names it: a
// file this instance had claimed goes back as deferred under its key, so
// the running service retries it with its history (recipients who got it
// are skipped); any other goes back as a new message. The journal notes
// the retry before the file moves, so the service never sees the file back
// with the old refusals still on record.
func retryOne(cfg *config.Config, j *journal.Journal, b badFile, stdout io.Writer) error {
	sp := spool.New(spool.Options{Dir: cfg.Spool.Folder, Patterns: cfg.Spool.Patterns, Instance: cfg.Spool.Instance})
	key := ""
	if b.reason != nil {
		key = b.reason.Key
	}
	var st journal.State
	if key != "" && j != nil {
		var err error
		if st, err = j.State(key); err != nil {
			return err
		}
		if st.Found {
			j.Retried(key, nil)
			if err := j.Flush(); err != nil {
				return fmt.Errorf("note the retry in the journal: %w", err)
			}
		}
	}

	e, err := sp.Requeue(b.name)
	if errors.Is(err, spool.ErrNoName) {
		return fmt.Errorf("no name for it matches [spool] pattern = %s", strings.Join(cfg.Spool.Patterns, ", "))
	}
	if err != nil {
		return err
	}
	own := e.State == spool.Deferred
	switch {
	case own && len(st.Delivered) > 0:
		fmt.Fprintf(stdout, "%s: back in the queue as %s; the service retries it shortly, only to the recipients that did not get it (already sent to %s)\n",
			b.name, e.Name, strings.Join(st.Delivered, ", "))
	case own:
		fmt.Fprintf(stdout, "%s: back in the queue as %s; the service retries it shortly\n", b.name, e.Name)
	case len(st.Delivered) > 0:
		fmt.Fprintf(stdout, "%s: back in the queue as %s, as a new message: it was sent by instance %s, so %s, who already got it, will get it again\n",
			b.name, e.Name, spool.Owner(key), strings.Join(st.Delivered, ", "))
	default:
		fmt.Fprintf(stdout, "%s: back in the queue as %s\n", b.name, e.Name)
	}
	return nil
}
