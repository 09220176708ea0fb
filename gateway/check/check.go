// Package check is spoolgate's troubleshooter, `spoolgate check`: it takes
// a loaded config and finds out, step by step, whether mail can go out.
//
// The contract: Run checks the folders (each exists or can be created, is
// writable and has free disk) and, for every server of every relay chain
// ([smtp] and the chains of [unit.NAME] smtp), the steps of a connection
// one by one: DNS, TCP connect, greeting, EHLO, TLS, AUTH, and MAIL: for
// each sender the service sends through that server ([message] and each
// unit's from and return_path), MAIL FROM:<sender> and then RSET, so a
// relay that refuses a sender is found while nothing is sent. It never
// sends RCPT or DATA unless Options.SendTo asks for a real test message,
// which then goes through the chain as the service would send it (with
// fail-over). With [overdue] enabled it also checks the morning scan's
// inputs: the loans export (a regular file, readable, never a pipe it
// would wait on), its header against the configured columns, its age, and
// the notice templates. It creates nothing but a temporary
// ".spoolgate-check-*.part" file in each existing folder, which it removes
// at once.
//
// Every step has a status (ok, warn, fail or skip), a detail and, when it
// is not ok, a verdict: what is wrong in plain words and what to change,
// naming the config key. Each family of steps has one verdict function,
// so the wording is in one place and unit-tested. A step the relay
// answered quotes its reply exactly. The SMTP transcript of each
// connection is kept, with credentials masked.
//
// Run never fails: what goes wrong is a finding in the Report.
package check

import (
	"context"
	"sort"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
)

// Status is the outcome of one step.
type Status string

// The statuses of a step. Only StatusFail makes a Report fail.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn" // works, but something deserves attention
	StatusFail Status = "fail"
	StatusSkip Status = "skip" // not applicable with this config
)

// Step is one finding.
type Step struct {
	Step    string      `json:"step"`              // TOKEN URL, TOKEN, DNS, TCP, GREETING, EHLO, TLS, AUTH, MAIL, RCPT, DATA, SEND, CAPTURE; LOANS, COLUMNS, AGE, NOTICES
	Status  Status      `json:"status"`            // ok, warn, fail or skip
	Detail  string      `json:"detail"`            // what was found
	Verdict string      `json:"verdict,omitempty"` // what it means and what to change; set unless ok
	Reply   string      `json:"reply,omitempty"`   // the server's refusal, exactly as it was sent, if it sent one
	Cause   cause.Cause `json:"cause,omitempty"`   // what a relay's failure means (package cause), as the journal records it
}

// Folder is the check of one folder spoolgate needs.
type Folder struct {
	Name      string `json:"name"` // queue, data or capture
	Path      string `json:"path"`
	Status    Status `json:"status"`
	Detail    string `json:"detail"`
	Verdict   string `json:"verdict,omitempty"`
	FreeBytes uint64 `json:"free_bytes,omitempty"` // free disk space for spoolgate's account, when known
}

// Server is the check of one server of the chain.
type Server struct {
	Name         string   `json:"name"`                    // "smtp" or NAME of [smtp.NAME]
	Address      string   `json:"address"`                 // host:port
	LocalAddress string   `json:"local_address,omitempty"` // this machine's address, as the server sees it
	Steps        []Step   `json:"steps"`
	Transcript   []string `json:"transcript"` // "C: ..." and "S: ...", credentials masked
}

// Send is the outcome of the real test message of Options.SendTo.
type Send struct {
	To         string   `json:"to"`
	From       string   `json:"from"` // the envelope sender
	Subject    string   `json:"subject"`
	MessageID  string   `json:"message_id"`
	Server     string   `json:"server,omitempty"`   // the server that answered
	Reply      string   `json:"reply,omitempty"`    // its final reply
	QueueID    string   `json:"queue_id,omitempty"` // the relay's queue id in Reply
	Steps      []Step   `json:"steps"`
	Transcript []string `json:"transcript"`
}

// Report is everything Run found.
type Report struct {
	Config    string    `json:"config"` // the config file
	AllOK     bool      `json:"ok"`     // no step failed: OK() when Run returned
	CheckedAt time.Time `json:"checked_at"`
	Mode      string    `json:"mode"`              // "relay", or "capture" when [smtp] capture is set
	Capture   []Step    `json:"capture,omitempty"` // capture mode: what that means
	Folders   []Folder  `json:"folders"`
	Servers   []Server  `json:"servers"`
	Overdue   []Step    `json:"overdue,omitempty"` // [overdue] enabled: the export and the templates
	Send      *Send     `json:"send,omitempty"`
}

// Options are the choices of one check.
type Options struct {
	// SendTo, when set, is an address to send a real test message to.
	SendTo string
	// Now is the clock for certificate expiry and the test message's date;
	// nil means time.Now.
	Now func() time.Time
}

// Run checks cfg; see the package documentation. ctx bounds the whole
// check; each network step is also bounded by the server's connect_timeout
// or timeout.
func Run(ctx context.Context, cfg *config.Config, opts Options) *Report {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	r := &Report{Config: cfg.File, CheckedAt: now(), Mode: "relay"}
	r.Folders = checkFolders(cfg)
	if cfg.Capture != "" {
		r.Mode = "capture"
		r.Capture = []Step{
			{Step: "CAPTURE", Status: StatusOK, Detail: "mail is captured to " + cfg.Capture + "; no relay is checked"},
			{Step: "CAPTURE", Status: StatusWarn, Detail: "nothing is sent for real while [smtp] capture is set",
				Verdict: "To relay mail, remove capture from [smtp] and set host (and port, security, login) to your relay."},
		}
	} else {
		for _, srv := range servers(cfg) {
			r.Servers = append(r.Servers, checkServer(ctx, srv, sendersFor(cfg, srv), now()))
		}
	}
	if cfg.Overdue.Enabled {
		r.Overdue = checkOverdue(cfg, now())
	}
	if opts.SendTo != "" {
		r.Send = sendTest(ctx, cfg, opts.SendTo, now(), r)
	}
	r.AllOK = r.OK()
	return r
}

// servers lists every server of every relay chain once: the [smtp] chain
// in its order, then the other chains ([smtp.NAME] that a unit or nobody
// uses) by name.
func servers(cfg *config.Config) []*config.Server {
	var out []*config.Server
	seen := map[*config.Server]bool{}
	walk := func(head *config.Server) {
		for srv := head; srv != nil && !seen[srv]; srv = srv.Next {
			seen[srv] = true
			out = append(out, srv)
		}
	}
	walk(cfg.SMTP)
	names := make([]string, 0, len(cfg.Servers))
	for name := range cfg.Servers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		walk(cfg.Servers[name])
	}
	return out
}

// OK reports whether no step failed; warnings are allowed.
func (r *Report) OK() bool {
	return r.Problems() == 0
}

// Problems counts the failed steps and folders.
func (r *Report) Problems() int { return r.count(StatusFail) }

// Warnings counts the steps and folders with a warning.
func (r *Report) Warnings() int { return r.count(StatusWarn) }

func (r *Report) count(st Status) int {
	n := 0
	steps := func(ss []Step) {
		for _, s := range ss {
			if s.Status == st {
				n++
			}
		}
	}
	for _, f := range r.Folders {
		if f.Status == st {
			n++
		}
	}
	steps(r.Capture)
	for _, s := range r.Servers {
		steps(s.Steps)
	}
	steps(r.Overdue)
	if r.Send != nil {
		steps(r.Send.Steps)
	}
	return n
}
