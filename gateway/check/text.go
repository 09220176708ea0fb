package check

import (
	"bufio"
	"fmt"
	"io"
)

// WriteText writes the report for a person (errors writing to w are
// ignored, as for any printing): one line per step, the
// verdict under each step that is not ok, and each server's transcript.
//
//	[ ok ] TLS      TLS 1.3, certificate for mail.example.org, issued by Example CA, expires 2027-03-01
//	[FAIL] AUTH     535 5.7.8 Error: authentication failed
//	         -> The login was refused: check username and password in [smtp].
func (r *Report) WriteText(w io.Writer) {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "spoolgate check of %s\n", r.Config)

	fmt.Fprintf(b, "\nFolders\n")
	for _, f := range r.Folders {
		writeStep(b, Step{Step: f.Name, Status: f.Status, Detail: f.Path + ": " + f.Detail, Verdict: f.Verdict})
	}

	if r.Mode == "capture" {
		fmt.Fprintf(b, "\nCapture mode\n")
		for _, s := range r.Capture {
			writeStep(b, s)
		}
	}
	for _, s := range r.Servers {
		fmt.Fprintf(b, "\nServer %s (%s)\n", s.Name, s.Address)
		for _, st := range s.Steps {
			writeStep(b, st)
		}
		writeTranscript(b, s.Transcript)
	}
	if len(r.Overdue) > 0 {
		fmt.Fprintf(b, "\nOverdue notices ([overdue])\n")
		for _, st := range r.Overdue {
			writeStep(b, st)
		}
	}
	if s := r.Send; s != nil {
		fmt.Fprintf(b, "\nTest message to %s\n", s.To)
		if s.Subject != "" {
			fmt.Fprintf(b, "  Subject: %s\n  Message-ID: %s\n", s.Subject, s.MessageID)
		}
		for _, st := range s.Steps {
			writeStep(b, st)
		}
		writeTranscript(b, s.Transcript)
	}

	fmt.Fprintln(b)
	switch p, w := r.Problems(), r.Warnings(); {
	case p > 0:
		fmt.Fprintf(b, "Result: %s found; see the lines marked FAIL and what to change under them.\n", plural(p, "problem"))
	case w > 0:
		fmt.Fprintf(b, "Result: OK, with %s.\n", plural(w, "warning"))
	default:
		fmt.Fprintf(b, "Result: OK.\n")
	}
	b.Flush()
}

var statusLabel = map[Status]string{
	StatusOK:   "[ ok ]",
	StatusWarn: "[warn]",
	StatusFail: "[FAIL]",
	StatusSkip: "[skip]",
}

func writeStep(w io.Writer, s Step) {
	label := statusLabel[s.Status]
	if label == "" {
		label = "[" + string(s.Status) + "]"
	}
	fmt.Fprintf(w, "  %s %-8s %s\n", label, s.Step, s.Detail)
	if s.Verdict != "" {
		fmt.Fprintf(w, "           -> %s\n", s.Verdict)
	}
}

func writeTranscript(w io.Writer, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "  Transcript:\n")
	for _, l := range lines {
		fmt.Fprintf(w, "    %s\n", l)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
