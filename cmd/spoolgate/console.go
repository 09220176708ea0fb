package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/console/accounts"
	"github.com/spoolgate/spoolgate/spool"
	"github.com/spoolgate/spoolgate/spool/safefile"
)

func init() {
	register("console", command{
		usage:   "user add|passwd|remove|list | token add|remove|list [NAME] [--role ROLE] [--config FILE]",
		summary: "manage the web console's users and API tokens (the console-users file in the data folder)",
		run:     cmdConsole,
		order:   35,
	})
}

// consoleStdin is where passwords are read from without --password-file:
// with no echo when it is a terminal, else two lines. Tests replace it.
var consoleStdin io.Reader = os.Stdin

// consoleWhere is said after every change.
const consoleWhere = "open the console at the address in [console] listen (default http://127.0.0.1:8025/)"

const consoleUsage = `usage:
  spoolgate console user add NAME --role admin|librarian [--password-file F] [--config FILE]
  spoolgate console user passwd NAME [--password-file F] [--config FILE]
  spoolgate console user remove NAME [--config FILE]
  spoolgate console user list [--config FILE]      (users and API tokens)
  spoolgate console token add NAME --role admin|librarian [--config FILE]
  spoolgate console token remove NAME [--config FILE]
  spoolgate console token list [--config FILE]     (API tokens only)`

// cmdConsole runs spoolgate console user ... and console token ...
func cmdConsole(args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[1], "-") {
		return &exitError{2, errors.New("console: say what to do\n" + consoleUsage)}
	}
	what := args[0] + " " + args[1]
	var role, pwFile string
	path, names, err := flagsAndNames("console "+what, args[2:], stderr, func(fs *flag.FlagSet) {
		switch what {
		case "user add", "token add":
			fs.StringVar(&role, "role", "", "admin or librarian")
		}
		switch what {
		case "user add", "user passwd":
			fs.StringVar(&pwFile, "password-file", "", "read the password from the first line of this file")
		}
	})
	if err != nil {
		return err
	}
	var name string
	switch what {
	case "user list", "token list":
		if len(names) > 0 {
			return &exitError{2, fmt.Errorf("console %s: unexpected argument %q", what, names[0])}
		}
	case "user add", "user passwd", "user remove", "token add", "token remove":
		if len(names) != 1 {
			return &exitError{2, fmt.Errorf("console %s: name one account\n%s", what, consoleUsage)}
		}
		name = names[0]
		if err := accounts.CheckName(name); err != nil {
			return &exitError{2, fmt.Errorf("console %s: %w", what, err)}
		}
	default:
		return &exitError{2, fmt.Errorf("console: unknown command %q\n%s", what, consoleUsage)}
	}
	var r accounts.Role
	if what == "user add" || what == "token add" {
		if role == "" {
			return &exitError{2, fmt.Errorf("console %s: give --role admin or --role librarian", what)}
		}
		if r, err = accounts.ParseRole(role); err != nil {
			return &exitError{2, fmt.Errorf("console %s: --role: %w", what, err)}
		}
	}

	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	file := filepath.Join(cfg.Spool.Data, accounts.FileName)
	if what != "user list" && what != "token list" {
		if err := spool.MakeFolder(cfg.Spool.Data, 0o750); err != nil {
			return fmt.Errorf("data folder %s: %w", cfg.Spool.Data, err)
		}
	}
	s, err := accounts.Open(file)
	if err != nil {
		return err
	}
	list, err := s.List()
	if err != nil {
		return err
	}
	var have *accounts.User
	for i := range list {
		if list[i].Name == name {
			have = &list[i]
		}
	}

	switch what {
	case "user list", "token list":
		return consoleList(stdout, file, list, what == "token list")

	case "user add":
		if have != nil {
			return fmt.Errorf("%s is already %s in %s: %w", name, kindOf(*have), file, accounts.ErrExists)
		}
		pw, err := readNewPassword(name, pwFile, stderr)
		if err != nil {
			return err
		}
		if err := s.Add(name, r, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Added console user %s (%s) to %s; %s.\n", name, r, file, consoleWhere)

	case "user passwd":
		if err := wantKind(have, name, file, false); err != nil {
			return err
		}
		pw, err := readNewPassword(name, pwFile, stderr)
		if err != nil {
			return err
		}
		if err := s.SetPassword(name, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Changed the password of console user %s in %s; %s.\n", name, file, consoleWhere)

	case "user remove", "token remove":
		if err := wantKind(have, name, file, what == "token remove"); err != nil {
			return err
		}
		if err := s.Remove(name); err != nil {
			return err
		}
		kind := "console user"
		if have.Token {
			kind = "API token"
		}
		fmt.Fprintf(stdout, "Removed %s %s from %s; %s.\n", kind, name, file, consoleWhere)

	case "token add":
		if have != nil {
			return fmt.Errorf("%s is already %s in %s: %w", name, kindOf(*have), file, accounts.ErrExists)
		}
		tok, err := s.AddToken(name, r)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		fmt.Fprintf(stderr, "Added API token %s (%s) to %s; the line above is the token, shown this once only: only its hash is kept. %s.\n",
			name, r, file, strings.ToUpper(consoleWhere[:1])+consoleWhere[1:])
	}
	return nil
}

// kindOf says what u is, with its article.
func kindOf(u accounts.User) string {
	if u.Token {
		return "an API token"
	}
	return "a console user"
}

// wantKind returns nil if have is an account of the kind the command
// works on (a token or a user), else an error that says which command
// to use.
func wantKind(have *accounts.User, name, file string, token bool) error {
	switch {
	case have == nil:
		return fmt.Errorf("%s in %s: %w (spoolgate console user list lists them)", name, file, accounts.ErrNotFound)
	case have.Token && !token:
		return fmt.Errorf("%s is an API token, not a user: remove it with spoolgate console token remove %s, or add a new one", name, name)
	case !have.Token && token:
		return fmt.Errorf("%s is a console user, not an API token: spoolgate console user remove %s removes it", name, name)
	}
	return nil
}

// consoleList prints the accounts as a table, or says there are none.
func consoleList(stdout io.Writer, file string, list []accounts.User, tokensOnly bool) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	n := 0
	for _, u := range list {
		if tokensOnly && !u.Token {
			continue
		}
		if n == 0 {
			fmt.Fprintln(tw, "NAME\tKIND\tROLE\tCREATED")
		}
		n++
		kind := "user"
		if u.Token {
			kind = "token"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, kind, u.Role, u.Created.Local().Format(time.DateTime))
	}
	if n == 0 {
		what := "console users or API tokens"
		if tokensOnly {
			what = "API tokens"
		}
		fmt.Fprintf(stdout, "There are no %s in %s. Add one with spoolgate console user add NAME --role admin\n", what, file)
		return nil
	}
	return tw.Flush()
}

// maxPasswordFile bounds a --password-file.
const maxPasswordFile = 64 << 10

// readNewPassword reads a new password for name: the first line of
// pwFile, or, typed twice, from consoleStdin (prompting on stderr, with
// no echo, when it is a terminal). It checks the password before it is
// used, and never shows it.
func readNewPassword(name, pwFile string, stderr io.Writer) (string, error) {
	var pw string
	switch {
	case pwFile != "":
		b, err := safefile.ReadFile(pwFile, maxPasswordFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		pw, _, _ = strings.Cut(string(b), "\n")
		pw = strings.TrimRight(pw, "\r\n")
		if pw == "" {
			return "", fmt.Errorf("--password-file %s: its first line is empty", pwFile)
		}
	case isTerminal(consoleStdin):
		fd := int(consoleStdin.(*os.File).Fd())
		fmt.Fprintf(stderr, "Password for %s: ", name)
		a, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if err := accounts.CheckPassword(string(a)); err != nil {
			return "", err
		}
		fmt.Fprintf(stderr, "The same again: ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ; nothing was changed")
		}
		pw = string(a)
	default:
		br := bufio.NewReader(consoleStdin)
		var two [2]string
		for i := range two {
			line, err := br.ReadString('\n')
			if err != nil && (err != io.EOF || line == "") {
				return "", errors.New("read the password from standard input: want it twice, on two lines (or give --password-file FILE)")
			}
			two[i] = strings.TrimRight(line, "\r\n")
		}
		if two[0] != two[1] {
			return "", errors.New("the two passwords on standard input differ; nothing was changed")
		}
		pw = two[0]
	}
	if err := accounts.CheckPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}

// isTerminal says whether r is a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
