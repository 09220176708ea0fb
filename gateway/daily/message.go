package daily

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jordan-wright/email"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/schedule"
	"github.com/spoolgate/spoolgate/spool"
)

// maxAttach bounds the log attached to the message: a bigger log file is
// attached from its end, starting at a whole line, and the report says so.
const maxAttach = 4 << 20

// StateFile is the file in the data folder that holds the last day whose
// report was queued, as YYYY-MM-DD.
const StateFile = "daily-log.state"

// ErrQueued is returned (wrapped) by Queue when the day's report was
// queued before.
var ErrQueued = errors.New("the daily log of this day was queued before")

// attachment is the day's log file as attached.
type attachment struct {
	data      []byte
	size      int64 // of the whole file
	truncated bool
}

// attachment reads the day's log file once: its last maxAttach bytes at
// most, from the start of a line.
func (r *Report) attachment() *attachment {
	if r.att != nil || r.LogFile == "" {
		return r.att
	}
	f, err := os.Open(r.LogFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	a := &attachment{size: fi.Size()}
	if a.size > maxAttach {
		if _, err := f.Seek(a.size-maxAttach, io.SeekStart); err != nil {
			return nil
		}
		a.truncated = true
	}
	data, err := io.ReadAll(io.LimitReader(f, maxAttach))
	if err != nil {
		return nil
	}
	if a.truncated {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	a.data = data
	r.att = a
	return a
}

// To returns the report's recipients: [log] daily_to, or [message] from.
func (r *Report) To() []string {
	if len(r.cfg.Log.DailyTo) > 0 {
		return r.cfg.Log.DailyTo
	}
	return []string{r.cfg.Message.From}
}

// Message composes the report as a message: the text, and the day's log
// file attached; From [message] from and from_name, To [log] daily_to (or
// [message] from), with X-Spoolgate-Kind: daily. now is its Date.
func (r *Report) Message(now time.Time) ([]byte, error) {
	e := email.NewEmail()
	e.From = (&mail.Address{Name: r.cfg.Message.FromName, Address: r.cfg.Message.From}).String()
	e.To = r.To()
	e.Subject = r.Subject()
	e.Text = []byte(r.Text())
	e.Headers.Set("Date", now.In(r.loc).Format(time.RFC1123Z))
	e.Headers.Set("X-Spoolgate-Kind", "daily")
	if a := r.attachment(); a != nil {
		if _, err := e.Attach(bytes.NewReader(a.data), filepath.Base(r.LogFile), "text/plain; charset=utf-8"); err != nil {
			return nil, fmt.Errorf("daily log: attach %s: %w", r.LogFile, err)
		}
	}
	b, err := e.Bytes()
	if err != nil {
		return nil, fmt.Errorf("daily log: compose the message: %w", err)
	}
	return b, nil
}

// Queue writes the report's message into the queue folder, atomically, as
// spoolgate-daily-YYYYMMDD.eml (or a name that [spool] pattern takes, such
// as spoolgate-daily-YYYYMMDD.tmp), so that it goes out like any message.
// It returns the file's name.
//
// A day's report is queued once: when the state file says that day's report
// was queued, when a file of that name is in the queue folder (waiting,
// being sent, deferred or .BAD), or when the journal knows a message of
// that file name, Queue writes nothing and returns the name with an error
// wrapping ErrQueued.
func Queue(cfg *config.Config, r *Report, now time.Time) (string, error) {
	sp := spool.New(spool.Options{Dir: cfg.Spool.Folder, Patterns: cfg.Spool.Patterns, Instance: cfg.Spool.Instance})
	stem := "spoolgate-daily-" + r.Day.Format("20060102")
	name := sp.NameFor(stem, ".eml")
	if name == "" {
		return "", fmt.Errorf("daily log: cannot name a file that [spool] pattern = %s takes: add a pattern like *.eml", strings.Join(cfg.Spool.Patterns, ", "))
	}
	already := func(where string) (string, error) {
		if err := saveState(cfg, r.Day); err != nil {
			return name, err
		}
		return name, fmt.Errorf("%w (%s)", ErrQueued, where)
	}
	last, ok, err := LastRun(cfg)
	if err != nil {
		return "", err
	}
	if ok && last.Format(time.DateOnly) == r.Day.Format(time.DateOnly) {
		return name, fmt.Errorf("%w (%s)", ErrQueued, filepath.Join(cfg.Spool.Data, StateFile))
	}
	if found, err := inQueue(sp, name); err != nil {
		return "", err
	} else if found != "" {
		return already(filepath.Join(cfg.Spool.Folder, found))
	}
	if r.journal != nil {
		recs, err := r.journal.Query(journal.Filter{File: name})
		if err != nil {
			return "", fmt.Errorf("daily log: %w", err)
		}
		for _, rec := range recs {
			if strings.EqualFold(rec.File, name) {
				return already(fmt.Sprintf("the journal: %s, %s", rec.Status, rec.Time.In(r.loc).Format("2006-01-02 15:04")))
			}
		}
	}
	data, err := r.Message(now)
	if err != nil {
		return "", err
	}
	written, err := sp.Enqueue(stem, ".eml", data)
	if err != nil {
		return "", fmt.Errorf("daily log: %w", err)
	}
	return written, saveState(cfg, r.Day)
}

// inQueue returns the name of the file in the queue folder that holds the
// message first dropped as name, or "".
func inQueue(sp *spool.Spool, name string) (string, error) {
	ents, err := os.ReadDir(sp.Dir())
	if err != nil {
		return "", fmt.Errorf("daily log: read queue folder: %w", err)
	}
	for _, de := range ents {
		st, orig, _ := sp.Classify(de.Name())
		switch {
		case st == spool.Ignored:
		case st == spool.Bad:
			if spool.IsBadOf(de.Name(), name) {
				return de.Name(), nil
			}
		case strings.EqualFold(orig, name):
			return de.Name(), nil
		}
	}
	return "", nil
}

// LastRun returns the last day whose report was queued, from the state
// file (in cfg.Service.Location); ok is false when none was.
func LastRun(cfg *config.Config) (day time.Time, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(cfg.Spool.Data, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("daily log: %w", err)
	}
	loc := cfg.Service.Location
	if loc == nil {
		loc = time.Local
	}
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(string(b)), loc)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("daily log: %s: %w", filepath.Join(cfg.Spool.Data, StateFile), err)
	}
	return t, true, nil
}

// saveState records that day's report was queued, unless a later day's
// was.
func saveState(cfg *config.Config, day time.Time) error {
	if last, ok, err := LastRun(cfg); err == nil && ok && last.Format(time.DateOnly) > day.Format(time.DateOnly) {
		return nil
	}
	if err := spool.MakeFolder(cfg.Spool.Data, 0o750); err != nil {
		return fmt.Errorf("daily log: %w", err)
	}
	if err := spool.WriteFile(cfg.Spool.Data, StateFile, []byte(day.Format(time.DateOnly)+"\n"), 0o640); err != nil {
		return fmt.Errorf("daily log: %w", err)
	}
	return nil
}

// Job is the daily log as a scheduler job: at [log] daily_at it composes
// the day's report with the inputs in gives (nil gives none) and queues it.
// A report queued before (by a restart, or by spoolgate report --send) is
// not queued again.
func Job(cfg *config.Config, in func(day time.Time) Inputs, log *slog.Logger) schedule.Job {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return schedule.Job{
		Name: "daily log",
		At:   cfg.Log.DailyAt,
		Run: func(ctx context.Context, day time.Time) error {
			var inputs Inputs
			if in != nil {
				inputs = in(day)
			}
			r, err := Compose(ctx, cfg, day, inputs)
			if err != nil {
				return err
			}
			file, err := Queue(cfg, r, r.Made)
			if errors.Is(err, ErrQueued) {
				log.Info("the daily log was queued before; not again", "file", file, "detail", err)
				return nil
			}
			if err != nil {
				return err
			}
			log.Info("queued the daily log", "file", file, "to", strings.Join(r.To(), ", "), "subject", r.Subject())
			return nil
		},
		LastRun: func() (time.Time, bool, error) { return LastRun(cfg) },
	}
}
