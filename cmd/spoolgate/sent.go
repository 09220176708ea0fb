package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spoolgate/spoolgate/gateway"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/relay"
)

// sentRecord is one line of `spoolgate sent --json`.
type sentRecord struct {
	Time      time.Time `json:"time"`
	File      string    `json:"file"`
	MessageID string    `json:"message_id"`
	From      string    `json:"from"`
	To        []string  `json:"to"`
	Subject   string    `json:"subject"`
	Status    string    `json:"status"`
	Server    string    `json:"server"`
	Reply     string    `json:"reply"`
	QueueID   string    `json:"queue_id,omitempty"`
	QueueKey  string    `json:"key"`
	Size      int64     `json:"size"`
	Kind      string    `json:"kind,omitempty"`
	Unit      string    `json:"unit,omitempty"`
	Attempts  int       `json:"attempts"`
}

func init() {
	register("sent", command{usage: "[--config FILE] [--since 24h] [--json]", summary: "what the journal recorded: the sent mail view", run: cmdSent, order: 20})
}

func cmdSent(args []string, stdout, stderr io.Writer) error {
	var since time.Duration
	var asJSON bool
	path, err := flags("sent", args, stderr, func(fs *flag.FlagSet) {
		fs.DurationVar(&since, "since", 24*time.Hour, "show records of this long ago and newer (e.g. 2h, 72h)")
		fs.BoolVar(&asJSON, "json", false, "print one JSON object a line")
	})
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	db := filepath.Join(cfg.Spool.Data, gateway.JournalFile)
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("no journal yet at %s: spoolgate has not run with this config (%w)", db, err)
	}
	j, err := journal.Open(db, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer j.Close()
	recs, err := j.Query(journal.Filter{Since: time.Now().Add(-since)})
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range recs {
			if err := enc.Encode(sentRecord{
				Time: r.Time, File: r.File, MessageID: r.MessageID, From: r.From, To: r.To, Subject: r.Subject,
				Status: string(r.Status), Server: r.Server, Reply: r.Reply, QueueID: relay.ParseQueueID(r.Reply), QueueKey: r.Key, Size: r.Size,
				Kind: r.Kind, Unit: r.Unit, Attempts: r.Attempts,
			}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSTATUS\tFILE\tTO\tSUBJECT\tREPLY")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04:05"), r.Status, r.File,
			strings.Join(r.To, ", "), clip(r.Subject, 40), clip(r.Reply, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d message(s) in the last %s\n", len(recs), since)
	return nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
