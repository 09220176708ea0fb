//go:build !windows

package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool/safefile"
)

// Modes install gives on Unix. The queue folder is the service's and the
// queue group's (QueueGroup: the service and the ILS account are its
// members): setgid, so every file dropped there belongs to that group
// too. The data and capture folders are the service's; its own group may
// read them. The config and password files are root's, readable by the
// service's own group only. The ILS account is in the queue group and
// not in the service's group, so it may write the queue folder and read
// nothing else of spoolgate's.
const (
	queueMode  = 0o770 | fs.ModeSetgid
	dataMode   = fs.FileMode(0o750)
	secretMode = fs.FileMode(0o640)
)

// prepare readies the machine for the service: the account it runs as
// (created when missing), the queue group (created when missing), who is
// in which group, its folders (created when missing) and the ownership
// and modes of its folders and secrets. exe is the program the service
// will run. It changes nothing before the accounts are settled.
//
// Run again on an install from before the queue group, it migrates it:
// the queue folder moves to the queue group, and the account given as
// --writer leaves the service's group (which reads the config, the
// password files and the data folder) for the queue group. Without
// --writer, it warns of the members of the service's group.
func prepare(cfg *config.Config, o Options, exe string, sys system) (*Report, error) {
	r := &Report{}
	name := o.User
	if name == "" {
		name = DefaultUser
	}
	if err := checkUserName(name); err != nil {
		return nil, err
	}
	acct, err := sys.lookupUser(name)
	if errors.Is(err, errNoAccount) {
		if err := sys.run(userAddCommand(name)); err != nil {
			return nil, fmt.Errorf("create the account %s: %w", name, err)
		}
		if acct, err = sys.lookupUser(name); err == nil {
			r.done("created the system account %s, with the group %s", acct.Name, acct.Group)
		}
	}
	if err != nil {
		return nil, err
	}
	if acct.UID == 0 {
		return nil, fmt.Errorf("--user %s is root: the service must run as an unprivileged account", name)
	}
	var writer *account
	if o.Writer != "" {
		if writer, err = sys.lookupUser(o.Writer); err != nil {
			return nil, fmt.Errorf("--writer %s: %w", o.Writer, err)
		}
		switch {
		case writer.Name == acct.Name:
			return nil, fmt.Errorf("--writer %s is the account the service runs as; give the account the ILS runs as", o.Writer)
		case writer.UID == 0:
			return nil, fmt.Errorf("--writer %s is root, which may write anywhere already; give the account the ILS runs as", o.Writer)
		}
	}

	qname := QueueGroup(acct.Name)
	queue, err := sys.lookupGroup(qname)
	if errors.Is(err, errNoGroup) {
		if err := sys.run(groupAddCommand(qname)); err != nil {
			return nil, fmt.Errorf("create the group %s: %w", qname, err)
		}
		if queue, err = sys.lookupGroup(qname); err == nil {
			r.done("created the group %s: its members may write the queue folder, and read nothing else of spoolgate's", qname)
		}
	}
	if err != nil {
		return nil, err
	}
	if !slices.Contains(queue.Members, acct.Name) {
		if err := sys.run(addToGroupCommand(acct.Name, qname)); err != nil {
			return nil, err
		}
		r.done("added %s to the group %s, so the service may read the files dropped in the queue folder", acct.Name, qname)
	}
	own, err := sys.lookupGroup(acct.Group)
	if err != nil {
		return nil, fmt.Errorf("the group of %s: %w", acct.Name, err)
	}
	if writer != nil {
		if !slices.Contains(queue.Members, writer.Name) {
			if err := sys.run(addToGroupCommand(writer.Name, qname)); err != nil {
				return nil, err
			}
			r.done("added %s to the group %s, so it may write the queue folder (restart it, or log in again, for that to take effect)", writer.Name, qname)
		}
		if slices.Contains(own.Members, writer.Name) {
			if err := sys.run(removeFromGroupCommand(writer.Name, own.Name)); err != nil {
				return nil, err
			}
			r.done("removed %s from the group %s, which may read the config, the password files and the data folder (an earlier install put it there)", writer.Name, own.Name)
		}
		if writer.GID == acct.GID {
			r.warn("%s has %s as its primary group, so it may read the config, the password files and the data folder: give it a primary group of its own (usermod -g GROUP %s)", writer.Name, own.Name, writer.Name)
		}
	} else {
		r.note("The account the ILS runs as must be in the group %s to write the queue folder: spoolgate install --writer ILSUSER does it (or usermod -a -G %s ILSUSER), then restart the ILS", qname, qname)
	}
	for _, m := range own.Members {
		if m != acct.Name && (writer == nil || m != writer.Name) {
			r.warn("%s is in the group %s, which may read the config, the password files and the data folder: if it is the ILS's account, run install with --writer %s, which moves it to the group %s (or gpasswd -d %s %s)", m, own.Name, m, qname, m, own.Name)
		}
	}

	for _, f := range folders(cfg) {
		mode, gid, group := dataMode, acct.GID, acct.Group
		if f[1] == cfg.Spool.Folder {
			mode, gid, group = queueMode, queue.GID, qname
		}
		_, err := os.Lstat(f[1])
		verb := "set"
		if errors.Is(err, fs.ErrNotExist) {
			verb = "created"
		}
		if err := os.MkdirAll(f[1], 0o755); err != nil { // parents the account must pass through
			return r, fmt.Errorf("%s: %w", f[0], err)
		}
		if err := setOwner(f[1], acct.UID, gid, mode, sys); err != nil {
			return r, fmt.Errorf("%s: %w", f[0], err)
		}
		r.done("%s the %s %s: owner %s, group %s, mode %s", verb, f[0], f[1], acct.Name, group, modeString(mode))
	}
	for _, p := range append([]string{cfg.File}, passwordFiles(cfg)...) {
		if err := setOwner(p, 0, acct.GID, secretMode, sys); err != nil {
			return r, err
		}
		r.done("set %s: owner root, group %s, mode %s", p, acct.Group, modeString(secretMode))
	}

	r.Warnings = append(r.Warnings, secretWarnings(secretFiles(cfg), acct.GID)...)
	reach := []string{exe, cfg.File}
	for _, f := range folders(cfg) {
		reach = append(reach, f[1])
	}
	for _, p := range append(reach, passwordFiles(cfg)...) {
		if w := unreachable(p, acct); w != "" {
			r.warn("%s", w)
		}
	}
	return r, nil
}

// setOwner gives path to uid:gid with mode. path must be a folder or a
// regular file, not a link: install runs as root, and a link would give
// away what it points to.
func setOwner(path string, uid, gid int, mode fs.FileMode, sys system) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is %s; install sets the owner of a regular file or a folder only: "+
			"name the real one in the config", path, safefile.KindOf(fi.Mode()))
	}
	if err := sys.chown(path, uid, gid); err != nil {
		return err
	}
	// After chown, which may clear the setgid bit.
	return os.Chmod(path, mode)
}

// modeString is a mode as chmod takes it, e.g. 2770 or 0640.
func modeString(m fs.FileMode) string {
	n := uint32(m.Perm())
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	return fmt.Sprintf("%04o", n)
}

// secretWarnings says which of files other users can read: every user,
// when the file is world-readable, or a group other than gid.
func secretWarnings(files []string, gid int) []string {
	var out []string
	for _, p := range files {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		st, _ := fi.Sys().(*syscall.Stat_t)
		switch {
		case fi.Mode()&0o004 != 0:
			out = append(out, fmt.Sprintf("%s holds a password and every user can read it (mode %s): chmod o-r %s", p, modeString(fi.Mode()), p))
		case fi.Mode()&0o040 != 0 && st != nil && int(st.Gid) != gid:
			out = append(out, fmt.Sprintf("%s holds a password and the group %s can read it: chgrp it to the service's group, or chmod g-r %s", p, groupName(int(st.Gid)), p))
		}
	}
	return out
}

func groupName(gid int) string {
	if g, err := user.LookupGroupId(fmt.Sprint(gid)); err == nil {
		return g.Name
	}
	return fmt.Sprint(gid)
}

// unreachable says why acct cannot reach p, or "" when it can: a folder on
// the way it may not enter, or p itself it may not read (or, for a
// program, run). It judges by the mode bits, owner and primary group, so
// it also works when install runs as root.
func unreachable(p string, acct *account) string {
	may := func(fi fs.FileInfo, bit fs.FileMode) bool {
		st, ok := fi.Sys().(*syscall.Stat_t)
		switch {
		case !ok:
			return true
		case int(st.Uid) == acct.UID:
			return fi.Mode()&(bit<<6) != 0
		case int(st.Gid) == acct.GID:
			return fi.Mode()&(bit<<3) != 0
		}
		return fi.Mode()&bit != 0
	}
	for dir := filepath.Dir(p); ; dir = filepath.Dir(dir) {
		if fi, err := os.Stat(dir); err == nil && !may(fi, 0o1) {
			return fmt.Sprintf("the account %s cannot reach %s: it may not enter %s (mode %s); move it, or chmod o+x %s", acct.Name, p, dir, modeString(fi.Mode()), dir)
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	fi, err := os.Stat(p)
	if err != nil {
		return ""
	}
	switch {
	case fi.IsDir():
		return "" // its own folders are the account's, set above
	case fi.Mode()&0o111 != 0 && !may(fi, 0o1):
		return fmt.Sprintf("the account %s may not run %s (mode %s): install spoolgate where every user may run it, e.g. /usr/local/bin", acct.Name, p, modeString(fi.Mode()))
	case !may(fi, 0o4):
		return fmt.Sprintf("the account %s may not read %s (mode %s)", acct.Name, p, modeString(fi.Mode()))
	}
	return ""
}
