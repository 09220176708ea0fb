package installer

import (
	"fmt"
	"path"
	"strings"
	"text/template"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/daemon"
)

// DefaultUser is the account the Linux service runs as when install is not
// given --user.
const DefaultUser = "spoolgate"

// UnitPath is where install writes the systemd unit.
const UnitPath = "/etc/systemd/system/" + ServiceName + ".service"

// systemd waits stopMargin longer than Program.Stop does (daemon.StopBound) before
// it kills the service, and never less than minStop (its own default).
const (
	stopMargin = 20 * time.Second
	minStop    = 90 * time.Second
)

// unitTemplate is the systemd unit. Unit escapes every value.
var unitTemplate = template.Must(template.New("unit").Parse(`# Written by spoolgate install; spoolgate uninstall removes it.
[Unit]
Description={{.Description}}
After=network-online.target
Wants=network-online.target
RequiresMountsFor={{.Mounts}}

[Service]
Type=simple
User={{.User}}
# The queue group: the files the ILS drops in the queue folder are its.
SupplementaryGroups={{.QueueGroup}}
ExecStart={{.ExecStart}}
Restart=on-failure
RestartSec=5s
# Exit status 2 is a bad config: restarting would only fail again.
RestartPreventExitStatus=2
KillSignal=SIGTERM
# The message in flight gets the longest SMTP time-out plus a margin.
TimeoutStopSec={{.StopTimeout}}
UMask=0027
SyslogIdentifier=` + ServiceName + `

# Hardening: spoolgate needs the network, its folders and nothing else.
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths={{.Writable}}
ProtectHome={{.ProtectHome}}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
SystemCallArchitectures=native
CapabilityBoundingSet=
AmbientCapabilities=

[Install]
WantedBy=multi-user.target
`))

// Unit renders the systemd unit that runs `exe run --config configPath` as
// user, also in the group QueueGroup(user), with write access to the
// queue, data and capture folders of cfg only. Paths are Linux paths (absolute, with /); one that is not, or that
// a unit cannot hold (see checkPath), is an error. The rendered unit never
// contains "{{", so kardianos's template engine passes it through as it is.
func Unit(cfg *config.Config, configPath, exe, user string) (string, error) {
	if err := checkUserName(user); err != nil {
		return "", err
	}
	writable := []string{cfg.Spool.Folder, cfg.Spool.Data}
	if cfg.Capture != "" {
		writable = append(writable, cfg.Capture)
	}
	// Everything the service reads or writes, to choose ProtectHome.
	used := append([]string{configPath, exe}, writable...)
	used = append(used, passwordFiles(cfg)...)
	for s := cfg.SMTP; s != nil; s = s.Next {
		if s.CAFile != "" {
			used = append(used, s.CAFile)
		}
	}
	for _, p := range used {
		if err := checkPath(p); err != nil {
			return "", err
		}
	}
	protectHome := "yes"
	for _, p := range used {
		if underHome(p) {
			// The home folders stay visible, read-only, except the
			// folders in ReadWritePaths.
			protectHome = "read-only"
		}
	}
	var exec strings.Builder
	exec.WriteString(word(exe))
	for _, a := range []string{"run", "--config", configPath} {
		// In arguments, $ starts a variable; in the program's name, not.
		exec.WriteString(" " + word(strings.ReplaceAll(a, "$", "$$")))
	}
	var b strings.Builder
	err := unitTemplate.Execute(&b, map[string]string{
		"Description": specifiers(ServiceDisplayName),
		"User":        user,
		"QueueGroup":  QueueGroup(user),
		"ExecStart":   exec.String(),
		"StopTimeout": fmt.Sprintf("%ds", int(StopTimeout(cfg)/time.Second)),
		"Writable":    pathList(writable),
		"Mounts":      pathList(writable),
		"ProtectHome": protectHome,
	})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// StopTimeout is how long the service manager should wait for spoolgate
// to finish the message in flight: longer than Program.Stop waits (the
// longest SMTP time-out of the chain plus 10 s) by a margin, and never
// less than 90 s.
func StopTimeout(cfg *config.Config) time.Duration {
	return max(daemon.StopBound(cfg)+stopMargin, minStop)
}

// underHome reports whether p is where ProtectHome=yes would hide it.
func underHome(p string) bool {
	for _, h := range []string{"/home", "/root", "/run/user"} {
		if p == h || strings.HasPrefix(p, h+"/") {
			return true
		}
	}
	return false
}

// specifiers escapes systemd's % specifiers.
func specifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// checkPath accepts the absolute Linux paths that the unit can hold
// without escapes: systemd refuses quotes and backslashes in a program's
// name, and kardianos renders the unit as a template, in which "{{"
// starts an action.
func checkPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("unit: %q is not an absolute Linux path", p)
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' || r == '\'' || r == '\\' }),
		strings.Contains(p, "{{"):
		return fmt.Errorf("unit: the path %q holds a quote, a backslash, a control character or {{, which a systemd unit cannot hold; rename it", p)
	}
	return nil
}

// word is s as one word of a unit setting: % escaped, and in double quotes
// unless it is made of letters, digits and /._-+:,@= only. s holds no
// quotes or backslashes (checkPath).
func word(s string) string {
	s = specifiers(s)
	plain := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("/._-+:,@=%$", r) || r >= 0x80)
	})
	if plain {
		return s
	}
	return `"` + s + `"`
}

// pathList is a space-separated list of paths, for ReadWritePaths and
// RequiresMountsFor.
func pathList(paths []string) string {
	var words []string
	seen := map[string]bool{}
	for _, p := range paths {
		p = path.Clean(p)
		if !seen[p] {
			seen[p] = true
			words = append(words, word(p))
		}
	}
	return strings.Join(words, " ")
}

// checkUserName accepts the account names useradd accepts everywhere:
// lower-case letters, digits, _ and -, starting with a letter or _; at
// most 26 of them, so that the queue group's name (QueueGroup) stays
// within the 32 that groupadd takes.
func checkUserName(name string) error {
	ok := name != "" && len(QueueGroup(name)) <= 32
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r == '_':
		case (r >= '0' && r <= '9' || r == '-') && i > 0:
		default:
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("--user %q: want an account name of at most 26 lower-case letters, digits, _ and -, starting with a letter", name)
	}
	return nil
}
