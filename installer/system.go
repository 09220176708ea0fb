package installer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
)

// system is what install needs from the machine besides creating folders:
// accounts, the commands that change them or set Windows permissions, and
// ownership. The real one is realSystem; tests record the calls instead of
// creating accounts.
type system interface {
	// lookupUser finds an account; errNoAccount when there is none.
	lookupUser(name string) (*account, error)
	// run runs a command (useradd, usermod, icacls) and fails with its output.
	run(argv []string) error
	// chown changes the owner and group of a file or folder.
	chown(path string, uid, gid int) error
}

// account is a Unix account and its primary group.
type account struct {
	Name     string
	UID, GID int
	Group    string // the primary group's name
}

var errNoAccount = errors.New("no such account")

// userAddCommand creates the service's system account and a group of the
// same name, with no home folder and no login shell.
func userAddCommand(name string) []string {
	return []string{"useradd", "--system", "--user-group", "--no-create-home",
		"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
		"--comment", ServiceDisplayName, name}
}

// addToGroupCommand adds an account (the ILS's) to a group (the service's),
// so it may write the queue folder.
func addToGroupCommand(user, group string) []string {
	return []string{"usermod", "--append", "--groups", group, user}
}

type realSystem struct{}

func (realSystem) lookupUser(name string) (*account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return nil, fmt.Errorf("account %s: %w", name, errNoAccount)
		}
		return nil, err
	}
	a := &account{Name: u.Username}
	if a.UID, err = strconv.Atoi(u.Uid); err != nil {
		return nil, fmt.Errorf("account %s: uid %q is not a number", name, u.Uid)
	}
	if a.GID, err = strconv.Atoi(u.Gid); err != nil {
		return nil, fmt.Errorf("account %s: gid %q is not a number", name, u.Gid)
	}
	a.Group = u.Gid
	if g, err := user.LookupGroupId(u.Gid); err == nil {
		a.Group = g.Name
	}
	return a, nil
}

func (realSystem) run(argv []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

func (realSystem) chown(path string, uid, gid int) error { return os.Chown(path, uid, gid) }
