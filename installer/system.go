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
	// lookupGroup finds a group and its supplementary members;
	// errNoGroup when there is none.
	lookupGroup(name string) (*unixGroup, error)
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

// unixGroup is a Unix group and the accounts that have it as a
// supplementary group (not those whose primary group it is).
type unixGroup struct {
	Name    string
	GID     int
	Members []string
}

var (
	errNoAccount = errors.New("no such account")
	errNoGroup   = errors.New("no such group")
)

// userAddCommand creates the service's system account and a group of the
// same name, with no home folder and no login shell.
func userAddCommand(name string) []string {
	return []string{"useradd", "--system", "--user-group", "--no-create-home",
		"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
		"--comment", ServiceDisplayName, name}
}

// QueueGroup is the group of the queue folder on Linux: the service's
// account and the ILS's (install --writer) are its members, and it opens
// nothing else of spoolgate's. The service's own group (the account's
// primary group) reads the config, the password files and the data
// folder, and the ILS is not in it.
func QueueGroup(user string) string { return user + "-queue" }

// groupAddCommand creates a system group.
func groupAddCommand(name string) []string {
	return []string{"groupadd", "--system", name}
}

// addToGroupCommand adds an account to a supplementary group: the ILS's
// and the service's to the queue group.
func addToGroupCommand(user, group string) []string {
	return []string{"usermod", "--append", "--groups", group, user}
}

// removeFromGroupCommand takes an account out of a supplementary group:
// the ILS's out of the service's group, which an install before the queue
// group put it in.
func removeFromGroupCommand(user, group string) []string {
	return []string{"gpasswd", "--delete", user, group}
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

// lookupGroup asks getent, so that groups from LDAP or another NSS
// source are found too.
func (realSystem) lookupGroup(name string) (*unixGroup, error) {
	out, err := exec.Command("getent", "group", name).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 2 {
		return nil, fmt.Errorf("group %s: %w", name, errNoGroup)
	}
	if err != nil {
		return nil, fmt.Errorf("getent group %s: %w", name, err)
	}
	return parseGroupLine(strings.TrimSpace(string(out)))
}

// parseGroupLine reads a line of /etc/group: name:password:gid:members.
func parseGroupLine(line string) (*unixGroup, error) {
	line, _, _ = strings.Cut(line, "\n")
	f := strings.Split(line, ":")
	if len(f) != 4 {
		return nil, fmt.Errorf("getent group: %q is not a group line", line)
	}
	gid, err := strconv.Atoi(f[2])
	if err != nil {
		return nil, fmt.Errorf("group %s: gid %q is not a number", f[0], f[2])
	}
	g := &unixGroup{Name: f[0], GID: gid}
	for _, m := range strings.Split(f[3], ",") {
		if m = strings.TrimSpace(m); m != "" {
			g.Members = append(g.Members, m)
		}
	}
	return g, nil
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

// chown never follows a link: install runs as root.
func (realSystem) chown(path string, uid, gid int) error { return os.Lchown(path, uid, gid) }
