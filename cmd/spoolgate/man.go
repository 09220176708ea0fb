package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spoolgate/spoolgate/installer"
)

// printMan writes spoolgate(1), the manual page the Linux packages ship
// (.ci/package runs spoolgate help --man): the commands come from the
// same table as spoolgate help, so the two never disagree.
func printMan(w io.Writer) {
	fmt.Fprintf(w, `.\" Made by spoolgate help --man; do not edit.
.TH SPOOLGATE 1 "" "spoolgate %s" "User Commands"
.SH NAME
spoolgate \- relay message files from a queue folder to a mail relay
.SH SYNOPSIS
.B spoolgate
.I command
.RI [ options ]
.SH DESCRIPTION
A library system (or any program) drops message files in a queue folder;
.B spoolgate
relays them over SMTP to the organisation's mail relay, a limited number
every few minutes.
A message the relay refuses for good is set aside as
.I name.BAD
with the reason in plain words beside it
.RI ( name.BAD.txt );
a temporary failure is tried again.
Every message relayed or refused is recorded in a journal
.RB ( "spoolgate sent" ).
Each morning it can queue due\-soon, overdue and reminder notices from a
loans export, and each night it mails the librarian a daily log.
.PP
It runs as the systemd service
.B spoolgate.service
under its own account,
.BR spoolgate .
The package enables the service, and starts it once the config differs
from the starter config it ships.
.SH COMMANDS
`, roffText(version))
	for _, n := range commandNames() {
		c := commands[n]
		fmt.Fprintf(w, ".TP\n.B spoolgate %s", roffText(n))
		if c.usage != "" {
			fmt.Fprintf(w, " %s", roffText(c.usage))
		}
		fmt.Fprintf(w, "\n%s\n", roffText(c.summary))
	}
	fmt.Fprintf(w, `.PP
.B \-\-config
defaults to
.IR %s .
.SH FILES
.TP
.I /etc/spoolgate/spoolgate.ini
The config (root:spoolgate, 0640): the queue folder, the relay, the rate,
the notices, the daily log.
.B spoolgate check
tells what is wrong with it, naming the line, the key and the fix.
.TP
.I /var/spool/spoolgate
The queue folder the library system writes (setgid, group spoolgate).
.TP
.I /var/lib/spoolgate
The journal, the relay's health and the console's accounts, private to the
service.
.SH EXIT STATUS
0 success, 1 failure, 2 a bad config or bad usage.
.SH EXAMPLES
After editing the config:
.PP
.nf
.RS
spoolgate check
spoolgate test \-\-to you@example.org \-\-wait
systemctl restart spoolgate
.RE
.fi
.SH SEE ALSO
.BR systemctl (1),
.BR journalctl (1).
The guides for the admin, the librarian and the library system's
developers are in the docs folder of the release archive
(spoolgate\-VERSION\-linux\-ARCH.tar.gz).
`, roffText(installer.DefaultConfigPath()))
}

// roffText escapes s for a roff text line: backslashes and hyphens (so
// that options copy and paste as typed), and a leading dot or quote.
func roffText(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
