package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/spoolgate/spoolgate/gateway"
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

// badFile is a .BAD file to put back, with what its reason file says.
type badFile struct {
	name   string        // abc.BAD
	reason *spool.Reason // nil if abc.BAD.txt is missing
}

// badFiles are the .BAD files of the queue as package gateway matches
// them.
func badFiles(bad []inspect.File) []gateway.BadFile {
	out := make([]gateway.BadFile, len(bad))
	for i, f := range bad {
		out[i] = gateway.BadFile{Name: f.Name, ModTime: f.ModTime, Reason: f.Reason}
	}
	return out
}

// resolveBad finds the .BAD files that names mean (gateway.ResolveBad).
func resolveBad(bad []inspect.File, names []string, all bool) ([]badFile, error) {
	got, err := gateway.ResolveBad(badFiles(bad), names, all)
	if err != nil {
		return nil, err
	}
	out := make([]badFile, len(got))
	for i, f := range got {
		out[i] = badFile{name: f.Name, reason: f.Reason}
	}
	return out, nil
}

// matchBad finds the one .BAD file that name means (gateway.MatchBad),
// or nil.
func matchBad(bad []inspect.File, name string) (*inspect.File, error) {
	f, err := gateway.MatchBad(badFiles(bad), name)
	if errors.Is(err, gateway.ErrNoBad) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range bad {
		if bad[i].Name == f.Name {
			return &bad[i], nil
		}
	}
	return nil, nil
}

// retryOne puts one .BAD file back (gateway.Retry, as the web console's
// Retry does) and says where it went.
func retryOne(cfg *config.Config, j *journal.Journal, b badFile, stdout io.Writer) error {
	r, err := gateway.Retry(cfg, j, gateway.BadFile{Name: b.name, Reason: b.reason})
	if err != nil {
		return err
	}
	switch {
	case r.Own && len(r.Delivered) > 0:
		fmt.Fprintf(stdout, "%s: back in the queue as %s; the service retries it shortly, only to the recipients that did not get it (already sent to %s)\n",
			r.Bad, r.Entry.Name, strings.Join(r.Delivered, ", "))
	case r.Own:
		fmt.Fprintf(stdout, "%s: back in the queue as %s; the service retries it shortly\n", r.Bad, r.Entry.Name)
	case len(r.Delivered) > 0:
		fmt.Fprintf(stdout, "%s: back in the queue as %s, as a new message: it was sent by instance %s, so %s, who already got it, will get it again\n",
			r.Bad, r.Entry.Name, spool.Owner(r.Key), strings.Join(r.Delivered, ", "))
	default:
		fmt.Fprintf(stdout, "%s: back in the queue as %s\n", r.Bad, r.Entry.Name)
	}
	return nil
}
