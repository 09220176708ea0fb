// Package bounces is the bounce pass: it reads the bounce mailbox
// ([bounces]), records what each mail reports about the messages
// spoolgate sent, and files the mail away. Package bounce reads one mail,
// package mailbox speaks IMAP, package journal keeps the record; this
// package puts them in order.
//
// The contract of Pass:
//
//   - It opens the mailbox ([bounces] imap, folder) and fetches the mails
//     there, oldest first, batch by batch (Batch at a time, at most
//     MaxBatches batches a pass; the rest waits for the next pass).
//   - Each mail has a MailID: its Message-ID, or else the sha256 of its
//     bytes. A report is recorded once per MailID and recipient
//     (journal.RecordBounce), however often the mail is read.
//   - Each mail is classified by bounce.Read, and a delivery status
//     notification is matched to the message it reports on: by the
//     X-Spoolgate-Id of the returned original (the journal key every
//     message spoolgate relays carries), else by its Message-ID, else,
//     for a report that returns no original, by the recipient and time:
//     the messages the relay accepted for that recipient in the Window
//     before the report, when exactly one did. Otherwise it is unmatched.
//   - Every recipient of a DSN is recorded (bounced with its class,
//     delivered or delayed; an unmatched one with no message), the journal
//     is flushed, and only then is the mail moved. A crash before the
//     flush leaves the mail in the folder to be read again; a crash after
//     it, before the move, finds the mail recorded already (BounceSeen):
//     it is recorded again, which changes nothing, and moved. So no mail
//     is moved unrecorded, and none is counted twice.
//   - Where it goes: mailbox.Processed for what was read and understood:
//     a DSN of which at least one recipient matched a message, and the
//     mail that is not a bounce (an automatic reply, a read receipt, an
//     ordinary reply: Kind says which). mailbox.Unrecognised for what it
//     could not match or read: a DSN that matched no message, a mail that
//     is unreadable, too large to read, or looks like a bounce that
//     could not be read. A person may look there; nothing is lost.
//   - It never deletes mail, and it never marks mail \Seen.
//   - With DryRun it reads, classifies and matches as above, and records
//     and moves nothing.
//   - The names of the patrons whose address hard-bounced, as the
//     returned original's To field carried them, are kept in NamesFile in
//     the data folder, for the daily log (Names).
//
// Pass returns what it found per mail (Result) for the CLI and the log.
// Its error says what stopped the pass (the mailbox, or the journal);
// an error of the mailbox is a *mailbox.Error, which says whether it is
// permanent and what to do. Job runs Pass every [bounces] every in the
// service.
package bounces

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/bounce"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/mailbox"
)

// Batch is how many mails one fetch reads; MaxBatches bounds a pass.
const (
	Batch      = 100
	MaxBatches = 20
)

// Window is how far before a report without an original Pass looks for
// the message it reports on, by recipient.
const Window = 7 * 24 * time.Hour

// Options changes how Pass runs.
type Options struct {
	DryRun bool             // read, classify and match; record and move nothing
	Now    func() time.Time // the clock; nil is time.Now
}

// How a mail was matched to a message.
const (
	BySpoolgateID = "x-spoolgate-id"
	ByMessageID   = "message-id"
	ByRecipient   = "recipient"
)

// Mail is what Pass found in one mail of the mailbox.
type Mail struct {
	UID     uint32      `json:"uid"`
	MailID  string      `json:"mail_id"`
	Kind    bounce.Kind `json:"kind"`
	Format  string      `json:"format,omitempty"` // how a DSN was read (bounce.Report.Format)
	Subject string      `json:"subject"`
	Why     string      `json:"why,omitempty"` // for a mail that is not a DSN: why not
	// Key is the message it reports on ("" when unmatched), File its
	// file name, and MatchedBy how it was found (BySpoolgateID, …).
	Key        string    `json:"key"`
	File       string    `json:"file"`
	MatchedBy  string    `json:"matched_by"`
	Recipients []Finding `json:"recipients"`
	Seen       bool      `json:"seen_before"` // recorded by an earlier pass (then moved now)
	Moved      string    `json:"moved"`       // the folder it was moved to; "" in a dry run or when the move failed
	Err        string    `json:"error,omitempty"`
}

// Finding is what a report says about one recipient.
type Finding struct {
	Address    string         `json:"address"`
	Name       string         `json:"name,omitempty"`  // the patron's name from the original's To, when it had one
	Outcome    journal.Status `json:"outcome"`         // bounced, delivered or delayed
	Class      string         `json:"class,omitempty"` // hard, soft or policy, for bounced
	Status     string         `json:"status"`          // e.g. 5.1.1
	Diagnostic string         `json:"diagnostic"`
	RemoteMTA  string         `json:"remote_mta"`
	At         time.Time      `json:"time"`
}

// Result is what one pass found.
type Result struct {
	Mails    []Mail `json:"mails"`
	Recorded int    `json:"recorded"` // reports recorded by this pass (none in a dry run, none seen before)
	More     bool   `json:"more"`     // mail was left for the next pass (MaxBatches reached)
}

// Unrecognised tells whether m goes to mailbox.Unrecognised.
func (m Mail) Unrecognised() bool { return folderOf(m) == mailbox.Unrecognised }

// folderOf is where a mail goes, as the package comment says.
func folderOf(m Mail) string {
	switch m.Kind {
	case bounce.KindDSN:
		if m.Key == "" {
			return mailbox.Unrecognised
		}
		return mailbox.Processed
	case bounce.KindAutoReply, bounce.KindReadReceipt:
		return mailbox.Processed
	case bounce.KindOther:
		if strings.HasPrefix(m.Why, "looks like a bounce") {
			return mailbox.Unrecognised
		}
		return mailbox.Processed
	}
	return mailbox.Unrecognised
}

// Pass reads the bounce mailbox of cfg once, records into j what the
// mails report, and files them (see the package comment). log gets a line
// per mail; nil logs nothing.
func Pass(ctx context.Context, cfg *config.Config, j *journal.Journal, log *slog.Logger, opts Options) (Result, error) {
	var res Result
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if cfg.Bounces.IMAP == nil {
		return res, errors.New("bounces: [bounces] names no mailbox (imap)")
	}
	box, err := mailbox.Open(ctx, cfg.Bounces.IMAP, cfg.Bounces.Folder, log)
	if err != nil {
		return res, err
	}
	defer box.Close()
	p := &pass{cfg: cfg, j: j, log: log, opts: opts, box: box, names: map[string]string{}}
	defer p.saveNames()
	for batch := 0; ; batch++ {
		if batch == MaxBatches {
			res.More = true
			return res, nil
		}
		mails, err := box.Fetch(ctx, Batch)
		if err != nil {
			return res, err
		}
		for _, m := range mails {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			got, n, err := p.one(ctx, m)
			res.Mails = append(res.Mails, got)
			res.Recorded += n
			if err != nil {
				return res, err
			}
		}
		// A dry run moves nothing: the next fetch would read the same.
		if len(mails) < Batch || opts.DryRun {
			return res, nil
		}
	}
}

type pass struct {
	cfg   *config.Config
	j     *journal.Journal
	log   *slog.Logger
	opts  Options
	box   *mailbox.Box
	names map[string]string // hard-bounced address → patron name, for NamesFile
}

// one handles one mail: read, match, record, flush, move. It returns
// what it found, how many reports it recorded, and an error that stops
// the pass (the journal failed, or the mailbox connection).
func (p *pass) one(ctx context.Context, m mailbox.Mail) (Mail, int, error) {
	got := Mail{UID: m.UID}
	if m.TooLarge {
		got.Kind, got.Why = bounce.KindUnreadable, fmt.Sprintf("too large to read (%d bytes)", m.Size)
		got.MailID = fmt.Sprintf("uid-%d-%d", m.UIDValidity, m.UID)
		return got, 0, p.move(ctx, &got)
	}
	got.MailID = MailID(m.Raw)
	rep := bounce.Read(m.Raw)
	got.Kind, got.Format, got.Subject, got.Why = rep.Kind, rep.Format, rep.Subject, rep.Why
	if rep.Kind != bounce.KindDSN {
		p.logMail(got)
		return got, 0, p.move(ctx, &got)
	}
	seen, err := p.j.BounceSeen(got.MailID)
	if err != nil {
		return got, 0, fmt.Errorf("bounces: the journal: %w", err)
	}
	got.Seen = seen
	if err := p.match(&got, rep, m.Raw); err != nil {
		return got, 0, err
	}
	p.logMail(got)
	if p.opts.DryRun {
		return got, 0, nil
	}
	// Recorded again when seen: a report already recorded stays as it is
	// (once per MailID and recipient), and one a crash left out is added.
	read := p.opts.Now()
	for _, f := range got.Recipients {
		p.j.RecordBounce(journal.Bounce{
			MailID: got.MailID, Key: got.Key, Address: f.Address, Outcome: f.Outcome, Class: f.Class,
			Status: f.Status, Diagnostic: f.Diagnostic, RemoteMTA: f.RemoteMTA, Reporter: rep.Reporter,
			At: f.At, Read: read,
		}, nil)
		if f.Outcome == journal.StatusBounced && f.Class == string(bounce.Hard) && f.Name != "" {
			p.names[strings.ToLower(f.Address)] = f.Name
		}
	}
	if err := p.j.Flush(); err != nil {
		return got, 0, fmt.Errorf("bounces: the journal could not record the reports of %s (left in the mailbox for the next pass): %w", got.MailID, err)
	}
	n := 0
	if !seen {
		n = len(got.Recipients)
	}
	return got, n, p.move(ctx, &got)
}

// move files the mail where it goes, except in a dry run. A mail gone
// from the folder already (someone moved it) is noted, not an error; any
// other failure stops the pass, as the connection is no longer to be
// trusted.
func (p *pass) move(ctx context.Context, got *Mail) error {
	if p.opts.DryRun {
		return nil
	}
	dest := folderOf(*got)
	err := p.box.Move(ctx, got.UID, dest)
	switch {
	case err == nil:
		got.Moved = dest
		return nil
	case errors.Is(err, mailbox.ErrNotFound):
		got.Err = err.Error()
		p.log.Warn("bounce mailbox: a mail was moved away by someone else before spoolgate moved it", "uid", got.UID, "error", err)
		return nil
	}
	got.Err = err.Error()
	return err
}

func (p *pass) logMail(got Mail) {
	args := []any{"uid", got.UID, "kind", got.Kind, "subject", got.Subject}
	if got.Kind != bounce.KindDSN {
		p.log.Info("bounce mailbox: not a bounce", append(args, "why", got.Why)...)
		return
	}
	matched := got.File
	if got.Key == "" {
		matched = "unmatched"
	}
	for _, f := range got.Recipients {
		p.log.Info("bounce mailbox: a report", append(args, "to", f.Address, "outcome", f.Outcome, "class", f.Class,
			"status", f.Status, "message", matched, "key", got.Key, "seen_before", got.Seen)...)
	}
}

// match finds the message rep reports on and fills got's findings.
func (p *pass) match(got *Mail, rep bounce.Report, raw []byte) error {
	at := rep.Arrival
	if at.IsZero() || at.After(p.opts.Now().Add(time.Hour)) {
		at = p.opts.Now()
	}
	var to []string
	if rep.SpoolgateID != "" || rep.MessageID != "" {
		key, rcpts, err := p.j.FindMessage(rep.SpoolgateID, rep.MessageID)
		if err != nil {
			return fmt.Errorf("bounces: the journal: %w", err)
		}
		if key != "" {
			got.Key, to = key, rcpts
			got.MatchedBy = ByMessageID
			if rep.SpoolgateID == key {
				got.MatchedBy = BySpoolgateID
			}
		}
	}
	if got.Key == "" && rep.SpoolgateID == "" && rep.MessageID == "" {
		// No original: by recipient and time, when exactly one message
		// of the window went to the recipients the report names.
		keys := map[string]bool{}
		for _, r := range rep.Recipients {
			ks, err := p.j.SentTo(r.Final, at.Add(-Window), at.Add(time.Minute))
			if err != nil {
				return fmt.Errorf("bounces: the journal: %w", err)
			}
			if len(ks) != 1 {
				keys = nil
				break
			}
			keys[ks[0]] = true
		}
		if len(keys) == 1 {
			for k := range keys {
				got.Key, got.MatchedBy = k, ByRecipient
			}
			for _, r := range rep.Recipients {
				to = append(to, r.Final)
			}
		}
	}
	if got.Key != "" {
		if recs, err := p.j.Query(journal.Filter{Key: got.Key}); err == nil && len(recs) > 0 {
			got.File = recs[0].File
		}
	}
	names := bounce.OriginalNames(raw)
	for _, r := range rep.Recipients {
		f := Finding{Address: recipientOf(r, to), Class: string(r.Class), Status: r.Status,
			Diagnostic: r.Diagnostic, RemoteMTA: r.RemoteMTA, At: at}
		switch r.Action {
		case bounce.Failed:
			f.Outcome = journal.StatusBounced
		case bounce.Delayed:
			f.Outcome = journal.StatusDelayed
		default:
			f.Outcome = journal.StatusDelivered
		}
		f.Name = names[strings.ToLower(f.Address)]
		if f.Name == "" && len(names) == 1 && len(rep.Recipients) == 1 {
			for _, n := range names {
				f.Name = n
			}
		}
		got.Recipients = append(got.Recipients, f)
	}
	return nil
}

// recipientOf is the message's recipient a report's recipient is about:
// the original recipient or the final one, as the message named it; the
// message's only recipient when it had one (a forward that bounced);
// else the final recipient as reported.
func recipientOf(r bounce.Recipient, to []string) string {
	for _, a := range []string{r.Original, r.Final} {
		for _, t := range to {
			if a != "" && strings.EqualFold(a, t) {
				return t
			}
		}
	}
	if len(to) == 1 {
		return to[0]
	}
	if r.Final != "" {
		return r.Final
	}
	return r.Original
}

// MailID identifies a mail of the mailbox: its Message-ID, or else the
// sha256 of its bytes.
func MailID(raw []byte) string {
	if m, err := mail.ReadMessage(strings.NewReader(string(raw[:min(len(raw), 256<<10)]))); err == nil {
		if id := strings.Trim(strings.TrimSpace(m.Header.Get("Message-ID")), "<>"); id != "" && !strings.ContainsAny(id, " \t") {
			return id
		}
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}
