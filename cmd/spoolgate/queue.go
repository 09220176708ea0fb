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
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/views"
)

func init() {
	register("queue", command{usage: "[--config FILE] [--limit 50] [--json]", summary: "list the waiting, deferred and .BAD files, with reasons, and files that are not messages", run: cmdQueue, order: 30})
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

// queueErr says what a missing queue folder means.
func queueErr(cfg *config.Config, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the queue folder %s does not exist: spoolgate has not run with %s yet", cfg.Spool.Folder, cfg.File)
	}
	return err
}

func writeQueueJSON(w io.Writer, q *inspect.Queue, h *inspect.Health, cfg *config.Config) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // replies quote <addresses>
	return enc.Encode(views.QueueOf(q, h, cfg, "en"))
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
		if why := views.WhyOf(h, cfg, q); why != nil {
			fmt.Fprintf(w, "  Why they wait: %s.\n", why.Text)
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
			if f.Owner == q.Instance && !h.Running {
				// Claimed by this instance, which is not running: a stop
				// or a crash left it; the start-up recovery takes it back.
				fmt.Fprintf(w, "  %s  claimed by this instance (%s) when it stopped: spoolgate takes it back when it starts (what the journal shows the relay accepted is not sent again)\n", f.Orig, f.Owner)
				continue
			}
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
		what, action := views.ExplainBad(r, "en")
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
