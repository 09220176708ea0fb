// Command spoolgate relays the message files that a library system drops in
// a queue folder to the organisation's mail relay, at a limited rate.
//
// Exit codes: 0 success, 1 failure, 2 a bad config or bad usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/installer"
)

// version and commit are set at build time with
// -ldflags "-X main.version=... -X main.commit=..." (.ci/package, build.ps1).
var (
	version = "dev"
	commit  = ""
)

// versionLine is what spoolgate version prints: e.g.
// "spoolgate 1.4.0 (commit abc1234)", or "spoolgate dev" without a commit.
func versionLine() string {
	if commit == "" {
		return "spoolgate " + version
	}
	return fmt.Sprintf("spoolgate %s (commit %s)", version, commit)
}

// command is one subcommand. Each file of this package registers its
// commands in an init function, so adding a command touches one file.
type command struct {
	usage   string // the arguments, e.g. "[--config FILE] [--json]"
	summary string // one line for spoolgate help
	run     func(args []string, stdout, stderr io.Writer) error
	order   int // place in spoolgate help
}

var commands = map[string]command{}

func register(name string, c command) { commands[name] = c }

func init() {
	register("run", command{usage: "[--config FILE]", summary: "relay until Ctrl-C, SIGTERM or SIGHUP (or until the service manager stops it)", run: cmdRun, order: 10})
	register("version", command{summary: "print the version and the commit it was built from", order: 99, run: func(_ []string, stdout, _ io.Writer) error {
		fmt.Fprintf(stdout, "%s\n", versionLine())
		return nil
	}})
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "spoolgate relays message files from a queue folder to a mail relay.\n\nUsage:\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, n := range commandNames() {
		c := commands[n]
		fmt.Fprintf(tw, "  spoolgate %s %s\t%s\n", n, c.usage, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n--config defaults to %s\nExit codes: 0 success, 1 failure, 2 bad config or usage.\n", installer.DefaultConfigPath())
}

// commandNames lists the commands in the order help shows them.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := commands[names[i]], commands[names[j]]
		if a.order != b.order {
			return a.order < b.order
		}
		return names[i] < names[j]
	})
	return names
}

// exitError carries an exit code up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	atLeastTwoThreads()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// atLeastTwoThreads lets Go run two goroutines at once even on one CPU (a
// small VM, or a process pinned to one core). The journal's writer is
// pure-Go SQLite: it runs CPU-bound and then blocks in fsync, and with
// GOMAXPROCS 1 an SMTP worker whose reply has arrived waits behind it.
// With two, the kernel interleaves them: bench/relay.sh pinned to one core
// relays about 15% more with one connection and 20% more with four. An
// explicit GOMAXPROCS in the environment is left alone.
func atLeastTwoThreads() {
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 2 && args[0] == "help" && args[1] == "--man" {
		printMan(stdout)
		return 0
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	if c, ok := commands[args[0]]; ok {
		err = c.run(args[1:], stdout, stderr)
	} else {
		err = &exitError{2, fmt.Errorf("unknown command %q; run spoolgate help", args[0])}
	}
	if err == nil {
		return 0
	}
	err = explainMissingConfig(err, args[0], installer.DefaultConfigPath())
	fmt.Fprintf(stderr, "spoolgate: %v\n", err)
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, config.ErrConfig):
		return 2
	}
	return 1
}

// explainMissingConfig adds what to do to err when it says that the config
// file does not exist: write a starter config with spoolgate init, or, for
// the default file (defaultPath), name another file with --config. Any
// other error is returned as it is.
func explainMissingConfig(err error, cmd, defaultPath string) error {
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Section != "" || ce.Key != "" || !errors.Is(ce.Err, fs.ErrNotExist) {
		return err
	}
	admin := "" // how to run init where the default config lives
	switch {
	case runtime.GOOS == "windows":
		admin = " (from an elevated prompt: Run as administrator)"
	case os.Geteuid() != 0:
		admin = " (as root: sudo spoolgate init)"
	}
	if !samePath(ce.File, defaultPath) {
		return fmt.Errorf("%w\nTo write a starter config there: spoolgate init --config %s", err, quoteArg(ce.File))
	}
	return fmt.Errorf("%w\nspoolgate looks for its config there when --config is not given.\n"+
		"To write a starter config there: spoolgate init%s\n"+
		"To use another config file:      spoolgate %s --config FILE", err, admin, cmd)
}

// samePath says whether a and b name the same file, ignoring case on
// Windows.
func samePath(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if runtime.GOOS == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// flags parses a subcommand's flags; --config is common to all.
func flags(name string, args []string, stderr io.Writer, more func(*flag.FlagSet)) (cfgPath string, err error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfgPath, "config", installer.DefaultConfigPath(), "the config file")
	if more != nil {
		more(fs)
	}
	if err := fs.Parse(args); err != nil {
		return "", &exitError{2, err}
	}
	if fs.NArg() > 0 {
		return "", &exitError{2, fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	return cfgPath, nil
}

// cmdRun runs spoolgate: in the foreground when an admin starts it, as the
// service when the service manager does (see installer.Run).
func cmdRun(args []string, _, stderr io.Writer) error {
	path, err := flags("run", args, stderr, nil)
	if err != nil {
		return err
	}
	return installer.Run(path, installer.RunOptions{Stderr: stderr, Exit: os.Exit})
}

// dayFlag reads a --date flag of cmd: the day it names, at midnight in loc,
// or now in loc when date is empty. A bad date is a usage error (exit 2).
func dayFlag(cmd, date string, loc *time.Location) (now, day time.Time, err error) {
	now = time.Now().In(loc)
	if date == "" {
		return now, now, nil
	}
	day, err = time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return now, day, &exitError{2, fmt.Errorf("%s: --date %q: want a date like %s", cmd, date, now.Format(time.DateOnly))}
	}
	return now, day, nil
}
