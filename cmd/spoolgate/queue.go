package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/spool"
)

func init() {
	register("queue", command{usage: "[--config FILE] [--limit 50] [--json]", summary: "list the waiting, deferred and .BAD files, with reasons, and files that are not messages", run: cmdQueue, order: 30})
}

// queueJSON is `spoolgate queue --json`: one JSON document.
type queueJSON struct {
	Folder   string     `json:"folder"`
	Instance string     `json:"instance"`
	Time     time.Time  `json:"time"`
	Running  bool       `json:"running"` // a spoolgate of the instance holds its instance lock
	LastSent *time.Time `json:"last_sent,omitempty"`
	Relay    relayJSON  `json:"relay"`
	// Why the waiting files wait, when some do.
	WhyWaiting *whyJSON        `json:"why_waiting,omitempty"`
	RateWindow *windowJSON     `json:"rate_window,omitempty"` // with [spool] batch, while spoolgate runs
	Waiting    int             `json:"waiting"`
	Oldest     *time.Time      `json:"oldest,omitempty"`
	Files      []queueFileJSON `json:"waiting_files"` // the oldest --limit waiting files
	Sending    []queueFileJSON `json:"sending"`
	Deferred   []queueFileJSON `json:"deferred"`
	Bad        []queueFileJSON `json:"bad"`
	// Files no [spool] pattern takes, there for at least [spool] settle:
	// never sent.
	Patterns  []string        `json:"patterns"`
	Unmatched []unmatchedJSON `json:"unmatched"`
}

// relayJSON is the relay chain that most needs attention, as the running
// gateway recorded it (the same fields as report --json's relay), and the
// line queue and status lead with.
type relayJSON struct {
	health.View
	Text string `json:"text"`
}

type whyJSON struct {
	Reason string `json:"reason"` // not-running, relay, rate-window, settling or sending
	Text   string `json:"text"`
}

type windowJSON struct {
	Batch    int        `json:"batch"`
	Interval int64      `json:"interval_seconds"`
	Accepted int        `json:"accepted"` // by the relay in the last interval
	Opens    *time.Time `json:"opens,omitempty"`
}

type unmatchedJSON struct {
	File     string    `json:"file"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	Age      int64     `json:"age_seconds"`
}

type queueFileJSON struct {
	Name      string     `json:"name"`
	File      string     `json:"file"` // the name the ILS gave it
	Size      int64      `json:"size"`
	Modified  time.Time  `json:"modified"`
	Key       string     `json:"key,omitempty"`
	Instance  string     `json:"instance,omitempty"` // the instance that claimed it
	Attempts  int        `json:"attempts,omitempty"`
	Next      *time.Time `json:"next_attempt,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	// .BAD files, from the reason file.
	Cause      string          `json:"cause,omitempty"`
	What       string          `json:"what_happened,omitempty"`
	Action     string          `json:"what_to_do,omitempty"`
	Server     string          `json:"server,omitempty"`
	Reply      string          `json:"reply,omitempty"`
	Recipients []recipientJSON `json:"recipients,omitempty"` // the refused recipients
	Limit      string          `json:"limit,omitempty"`
	When       *time.Time      `json:"when,omitempty"`
	Reason     *bool           `json:"has_reason,omitempty"`
}

type recipientJSON struct {
	Address string `json:"address"`
	Cause   string `json:"cause,omitempty"`
	Reply   string `json:"reply,omitempty"`
}

func cmdQueue(args []string, stdout, stderr io.Writer) error {
	var asJSON bool
	limit := 50
	path, err := flags("queue", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print one JSON document")
		fs.IntVar(&limit, "limit", limit, "list at most this many waiting files, oldest first (0 = all)")
	})
	if err != nil {
		return err
	}
	if limit < 0 {
		return &exitError{2, fmt.Errorf("queue: --limit %d: want 0 or more", limit)}
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	q, err := inspect.List(cfg, limit)
	if err != nil {
		return queueErr(cfg, err)
	}
	h := relayHealth(cfg, stderr)
	if asJSON {
		return writeQueueJSON(stdout, q, h, cfg)
	}
	return writeQueueText(stdout, q, h, cfg)
}

// relayHealth reads the relay's health for queue and status; what it
// cannot read it says on stderr, and the view goes on.
func relayHealth(cfg *config.Config, stderr io.Writer) *inspect.Health {
	running, err := gateway.InstanceRunning(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "warning: cannot tell whether spoolgate is running: %v\n", err)
		running = true // say what its record says, not that it stopped
	}
	return healthOf(cfg, running, stderr)
}

// healthOf reads the relay's health once whether spoolgate runs is known.
func healthOf(cfg *config.Config, running bool, stderr io.Writer) *inspect.Health {
	h := inspect.ReadHealth(cfg, running, time.Now())
	if h.JournalErr != "" {
		fmt.Fprintf(stderr, "warning: %s\n", h.JournalErr)
	}
	return h
}

// whyWait says why the waiting files of q wait.
func whyWait(h *inspect.Health, cfg *config.Config, q *inspect.Queue) (reason, text string) {
	sending := 0
	for _, f := range q.Sending {
		if f.Owner == q.Instance {
			sending++
		}
	}
	return h.Why(cfg, q.NWaiting, q.Oldest, sending)
}

func relayOf(h *inspect.Health) relayJSON {
	return relayJSON{View: h.View(), Text: h.Line()}
}

// queueErr says what a missing queue folder means.
func queueErr(cfg *config.Config, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the queue folder %s does not exist: spoolgate has not run with %s yet", cfg.Spool.Folder, cfg.File)
	}
	return err
}

func writeQueueJSON(w io.Writer, q *inspect.Queue, h *inspect.Health, cfg *config.Config) error {
	out := queueJSON{Folder: q.Folder, Instance: q.Instance, Time: q.Taken, Waiting: q.NWaiting,
		Running: h.Running, Relay: relayOf(h),
		Files: []queueFileJSON{}, Sending: []queueFileJSON{}, Deferred: []queueFileJSON{}, Bad: []queueFileJSON{},
		Patterns: q.Patterns, Unmatched: []unmatchedJSON{}}
	if !h.LastSent.IsZero() {
		out.LastSent = &h.LastSent
	}
	if reason, text := whyWait(h, cfg, q); reason != "" {
		out.WhyWaiting = &whyJSON{Reason: reason, Text: text}
	}
	if win := h.Window; win.Batch > 0 && h.Running {
		out.RateWindow = &windowJSON{Batch: win.Batch, Interval: int64(win.Interval / time.Second), Accepted: win.Accepted}
		if !win.Opens.IsZero() {
			out.RateWindow.Opens = &win.Opens
		}
	}
	if !q.Oldest.IsZero() {
		out.Oldest = &q.Oldest
	}
	conv := func(f inspect.File) queueFileJSON {
		j := queueFileJSON{Name: f.Name, File: f.Orig, Size: f.Size, Modified: f.ModTime, Key: f.Key, Instance: f.Owner,
			Attempts: f.Attempts, LastError: f.LastReply}
		if !f.Next.IsZero() {
			next := f.Next
			j.Next = &next
		}
		return j
	}
	for _, f := range q.Waiting {
		out.Files = append(out.Files, conv(f))
	}
	for _, f := range q.Sending {
		out.Sending = append(out.Sending, conv(f))
	}
	for _, f := range q.Deferred {
		out.Deferred = append(out.Deferred, conv(f))
	}
	for _, f := range q.Bad {
		j := conv(f)
		has := f.Reason != nil
		j.Reason = &has
		if r := f.Reason; has {
			j.Cause, j.Server, j.Reply, j.Limit = r.Cause, r.Server, r.Reply, r.Limit
			j.What, j.Action = explainBad(r)
			if !r.At.IsZero() {
				at := r.At
				j.When = &at
			}
			for _, rc := range r.Recipients {
				j.Recipients = append(j.Recipients, recipientJSON{Address: rc.Address, Cause: rc.Cause, Reply: rc.Reply})
			}
		}
		out.Bad = append(out.Bad, j)
	}
	for _, f := range q.Unmatched {
		out.Unmatched = append(out.Unmatched, unmatchedJSON{File: f.Name, Size: f.Size, Modified: f.ModTime,
			Age: int64(q.Taken.Sub(f.ModTime) / time.Second)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // replies quote <addresses>
	return enc.Encode(out)
}

func writeQueueText(w io.Writer, q *inspect.Queue, h *inspect.Health, cfg *config.Config) error {
	now := q.Taken
	ago := func(t time.Time) string { return inspect.Age(now.Sub(t)) + " ago" }
	fmt.Fprintf(w, "%s\n\n", h.Line())
	fmt.Fprintf(w, "Queue folder: %s\n\n", q.Folder)

	if q.NWaiting == 0 {
		fmt.Fprintf(w, "Waiting: none\n")
	} else {
		fmt.Fprintf(w, "Waiting: %d (oldest %s)\n", q.NWaiting, ago(q.Oldest))
		if _, why := whyWait(h, cfg, q); why != "" {
			fmt.Fprintf(w, "  Why they wait: %s.\n", why)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range q.Waiting {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, sizeText(f.Size), ago(f.ModTime))
		}
		tw.Flush()
		if more := q.NWaiting - len(q.Waiting); more > 0 {
			fmt.Fprintf(w, "  and %d more (--limit 0 lists all)\n", more)
		}
	}

	if len(q.Unmatched) > 0 {
		fmt.Fprintf(w, "\nNot messages (their names match no [spool] pattern = %s): %d\n", strings.Join(q.Patterns, ", "), len(q.Unmatched))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range q.Unmatched {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, sizeText(f.Size), ago(f.ModTime))
		}
		tw.Flush()
		fmt.Fprintf(w, "  spoolgate never sends these. If they are messages, rename them (and have the library system\n"+
			"  name its files) to match a pattern, or add a pattern that takes them to [spool] pattern.\n")
	}

	if len(q.Sending) > 0 {
		fmt.Fprintf(w, "\nBeing sent: %d\n", len(q.Sending))
		for _, f := range q.Sending {
			fmt.Fprintf(w, "  %s  by %s\n", f.Orig, owner(q, f))
		}
	}

	if len(q.Deferred) == 0 {
		fmt.Fprintf(w, "\nDeferred: none\n")
	} else {
		fmt.Fprintf(w, "\nDeferred (temporary failures, retried automatically): %d\n", len(q.Deferred))
		for _, f := range q.Deferred {
			fmt.Fprintf(w, "  %s", f.Orig)
			if f.Owner != q.Instance {
				fmt.Fprintf(w, "  (instance %s)", f.Owner)
			}
			fmt.Fprintln(w)
			switch {
			case f.Next.IsZero():
				fmt.Fprintf(w, "      next attempt: when its instance next looks at the queue\n")
			case f.Next.Before(now):
				fmt.Fprintf(w, "      next attempt: due now (%s)\n", f.Next.Local().Format("2006-01-02 15:04"))
			default:
				fmt.Fprintf(w, "      next attempt: %s (in %s)\n", f.Next.Local().Format("2006-01-02 15:04"), inspect.Age(f.Next.Sub(now)))
			}
			if f.Attempts > 0 {
				fmt.Fprintf(w, "      attempts:     %d\n", f.Attempts)
			}
			if f.LastReply != "" {
				fmt.Fprintf(w, "      last error:   %s\n", oneLine(f.LastReply))
			}
		}
	}

	if len(q.Bad) == 0 {
		fmt.Fprintf(w, "\n.BAD: none\n")
		return nil
	}
	fmt.Fprintf(w, "\n.BAD (refused for good, not retried): %d\n", len(q.Bad))
	for _, f := range q.Bad {
		fmt.Fprintf(w, "  %s", f.Name)
		if f.Orig != "" && f.Orig != f.Name {
			fmt.Fprintf(w, "  (was %s)", f.Orig)
		}
		fmt.Fprintf(w, "  %s\n", ago(f.ModTime))
		if f.Reason == nil {
			fmt.Fprintf(w, "      no reason file (%s.txt is missing)\n", f.Name)
			continue
		}
		r := f.Reason
		what, action := explainBad(r)
		if r.Cause != "" {
			what += " (" + r.Cause + ")"
		}
		if what != "" {
			fmt.Fprintf(w, "      what happened: %s\n", what)
		}
		if r.Reply != "" {
			fmt.Fprintf(w, "      reply:         %s\n", oneLine(r.Reply))
		}
		for _, rc := range r.Recipients {
			fmt.Fprintf(w, "      refused:       %s", oneLine(rc.Address))
			if rc.Cause != "" {
				fmt.Fprintf(w, ": %s", cause.Label("en", cause.Cause(rc.Cause)))
			}
			if rc.Reply != "" && rc.Reply != r.Reply {
				fmt.Fprintf(w, " (%s)", oneLine(rc.Reply))
			}
			fmt.Fprintln(w)
		}
		if r.Limit != "" {
			fmt.Fprintf(w, "      limit:         %s\n", oneLine(r.Limit))
		}
		if action != "" {
			fmt.Fprintf(w, "      what to do:    %s\n", action)
		}
	}
	fmt.Fprintf(w, "\nTo send a .BAD file again once the cause is fixed: spoolgate retry NAME (or --all).\n")
	return nil
}

// explainBad says what happened to a .BAD file and what to do, from its
// cause; a reason file of an older version, which has none, says it in its
// own words.
func explainBad(r *spool.Reason) (what, action string) {
	if r.Cause == "" {
		return r.What, r.Action
	}
	return cause.Explain("en", cause.Cause(r.Cause))
}

func owner(q *inspect.Queue, f inspect.File) string {
	if f.Owner == q.Instance {
		return "this instance (" + f.Owner + ")"
	}
	return "instance " + f.Owner
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
