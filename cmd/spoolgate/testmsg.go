package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/inspect"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/testmsg"
	"github.com/spoolgate/spoolgate/spool"
)

func init() {
	register("test", command{usage: "[--config FILE] [--to ADDRESS] [--wait] [--timeout 5m]", summary: "drop a test message in the queue; --wait for the outcome", run: cmdTest, order: 32})
}

// testPoll is how often --wait looks at the queue folder.
const testPoll = 500 * time.Millisecond

func cmdTest(args []string, stdout, stderr io.Writer) error {
	var (
		to      string
		wait    bool
		timeout time.Duration
	)
	path, err := flags("test", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&to, "to", "", "the test message's recipient (default: [message] test_to)")
		fs.BoolVar(&wait, "wait", false, "wait until the running service has sent or refused it; exit 0 if sent, 1 if not")
		fs.DurationVar(&timeout, "timeout", 5*time.Minute, "with --wait: how long to wait")
	})
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	if to == "" {
		to = cfg.Message.TestTo
	}
	if to == "" {
		return &exitError{2, fmt.Errorf("test: no address to send to: give --to ADDRESS, or set test_to in the [message] section of %s", cfg.File)}
	}
	if _, err := testmsg.Address(to); err != nil {
		return &exitError{2, fmt.Errorf("test: --to %q: want an e-mail address like someone@example.org", to)}
	}
	if timeout <= 0 {
		return &exitError{2, fmt.Errorf("test: --timeout %s: want a positive duration like 5m", timeout)}
	}

	name, err := testmsg.Queue(cfg, to, time.Now())
	if errors.Is(err, fs.ErrNotExist) {
		return queueErr(cfg, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Dropped %s in %s, to %s.\n", name, cfg.Spool.Folder, to)
	if !wait {
		return nil
	}
	fmt.Fprintf(stdout, "Waiting up to %s for the service to send it...\n", timeout)
	return waitTest(cfg, name, to, timeout, stdout)
}

// waitTest follows the test file until the service has handled it.
func waitTest(cfg *config.Config, name, to string, timeout time.Duration, stdout io.Writer) error {
	deadline := time.Now().Add(timeout)
	var (
		j         *journal.Journal
		last      *inspect.File
		lastError string
	)
	defer func() {
		if j != nil {
			j.Close()
		}
	}()
	journalOf := func() (*journal.Journal, error) {
		if j == nil {
			var err error
			j, err = inspect.OpenJournal(cfg)
			return j, err
		}
		return j, nil
	}
	for {
		f, err := inspect.Locate(cfg, name)
		if err != nil {
			return err
		}
		if f == nil {
			jr, err := journalOf()
			if err != nil {
				return err
			}
			return reportSent(jr, name, to, stdout)
		}
		last = f
		switch f.State {
		case spool.Bad:
			fmt.Fprintf(stdout, "Refused: the service set it aside as %s.\n", f.Name)
			if f.Reason != nil {
				fmt.Fprintf(stdout, "\n%s", strings.ReplaceAll(f.Reason.Text, "\r\n", "\n"))
			}
			return &exitError{1, errors.New("the test message was not sent (spoolgate queue lists the .BAD files; spoolgate check tests the relay)")}
		case spool.Deferred:
			if jr, err := journalOf(); err == nil && jr != nil {
				if recs, err := jr.Query(journal.Filter{Key: f.Key, Limit: 1}); err == nil && len(recs) == 1 && recs[0].Reply != "" && recs[0].Reply != lastError {
					lastError = recs[0].Reply
					next := ""
					if !recs[0].Next.IsZero() {
						next = "; next attempt " + recs[0].Next.Local().Format("15:04:05")
					}
					fmt.Fprintf(stdout, "Deferred (a temporary failure, retried automatically): %s%s. Still waiting...\n", oneLine(lastError), next)
				}
			}
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(testPoll)
	}
	why := func() string { w, _ := whyWaiting(cfg); return w }
	switch last.State {
	case spool.Waiting:
		return &exitError{1, fmt.Errorf("the test message was not taken from the queue within %s: %s. %s stays in the queue and goes out when it can", timeout, why(), name)}
	case spool.Deferred:
		if why, down := whyWaiting(cfg); down {
			return &exitError{1, fmt.Errorf("the test message is still waiting after %s: %s; it goes out once the relay takes mail again (spoolgate check tests the relay)", timeout, why)}
		}
		return &exitError{1, fmt.Errorf("the test message is still deferred after %s (last error: %s); the service keeps retrying it: spoolgate queue shows it, spoolgate check tests the relay", timeout, oneLine(lastError))}
	}
	return &exitError{1, fmt.Errorf("the test message is still being sent after %s (as %s); spoolgate queue shows it", timeout, last.Name)}
}

// reportSent prints what the journal says of a test file that left the
// queue: the relay accepted it.
func reportSent(j *journal.Journal, name, to string, stdout io.Writer) error {
	o := &testmsg.Outcome{Name: name, File: name}
	if err := testmsg.Delivery(j, o, to); err != nil {
		return err
	}
	switch o.State {
	case testmsg.Gone:
		return &exitError{1, fmt.Errorf("%s left the queue, but the journal has no record of it: did someone remove it?", name)}
	case testmsg.Refused:
		fmt.Fprintf(stdout, "Not sent to %s: %s\n", to, oneLine(o.Reply))
		return &exitError{1, fmt.Errorf("the relay did not accept the test message for %s", to)}
	}
	fmt.Fprintf(stdout, "Sent to %s at %s via %s.\n", strings.Join(o.Delivered, ", "), o.At.Local().Format("2006-01-02 15:04:05"), o.Server)
	fmt.Fprintf(stdout, "Relay's reply: %s\n", oneLine(o.Reply))
	if o.QueueID != "" {
		fmt.Fprintf(stdout, "Queue id:      %s (the relay's id for this message, for its logs)\n", o.QueueID)
	}
	if len(o.Failed) > 0 {
		fmt.Fprintf(stdout, "Refused for:   %s\n", strings.Join(o.Failed, ", "))
	}
	return nil
}

// whyWaiting says why a file was not taken from the queue: the service is
// not running (its instance lock is free), or it runs and the relay is
// unavailable (its health record), or it runs and is busy or limited.
// relayDown tells whether that is the relay being unavailable.
func whyWaiting(cfg *config.Config) (why string, relayDown bool) {
	running, err := gateway.InstanceRunning(cfg)
	if err != nil {
		return "cannot tell whether the service runs (" + err.Error() + ")", false
	}
	if !running {
		return "the service is not running (no spoolgate holds instance " + cfg.Spool.Instance + "'s lock in " + cfg.Spool.Data + "; start it with spoolgate start)", false
	}
	rec, err := health.Read(cfg.Spool.Data, cfg.Spool.Instance)
	if err != nil {
		return "the service is running, but its relay health cannot be read (" + err.Error() + ")", false
	}
	if h := rec.Worst(); h.State == health.Unavailable {
		return "the service is running, but the relay is " + inspect.RelayLine(h, cfg.ChainTitle(h.Chain), time.Now()), true
	}
	return "the service is running and the relay is available; it may be waiting for the rate window ([spool] batch and interval) or busy with older files (spoolgate queue shows the queue)", false
}
