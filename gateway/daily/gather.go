package daily

import (
	"log/slog"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
)

// ScanRecord reads what the overdue scans of a day recorded, as the daily
// log reports it (overdue.RecordedSummary): nil when no scan of that day
// was recorded. It is a parameter of Gather because package overdue
// imports this package, so this package cannot call it.
type ScanRecord func(cfg *config.Config, day time.Time) (*NoticeSummary, error)

// Gather collects what the daily log of day reads besides the config: the
// journal j (nil: nothing was ever sent) and the day's overdue scans as
// scans reads them (nil: none is read), as of now (the zero time: the
// moment it is composed). The scheduled job, spoolgate report and the web
// console all compose with it, so what the librarian gets by mail, what
// the admin prints and what the console shows cannot differ in what they
// read. A scan record that cannot be read is logged to log (nil: not
// logged) and shows in the daily log as a scan that did not run.
func Gather(cfg *config.Config, j *journal.Journal, day, now time.Time, scans ScanRecord, log *slog.Logger) Inputs {
	in := Inputs{Journal: j, Now: now}
	if scans == nil {
		return in
	}
	n, err := scans(cfg, day)
	if err != nil {
		if log != nil {
			log.Warn("cannot read the day's overdue scan for the daily log", "day", day.Format(time.DateOnly), "error", err)
		}
		n = nil
	}
	in.Notices = n
	return in
}
