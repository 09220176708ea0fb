package check

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/loans"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/spool/safefile"
)

// checkOverdue checks what the morning overdue scan reads: the loans
// export (LOANS: a regular file spoolgate can read; COLUMNS: its header
// against [overdue.columns]; AGE: when the ILS last wrote it) and the
// notice templates (NOTICES). It reads the export the way the scan does,
// streamed through loans.EachFile, which opens nothing but a regular
// file: a named pipe can't make it wait, and a link is refused as the
// scan refuses it.
func checkOverdue(cfg *config.Config, now time.Time) []Step {
	return append(checkExport(cfg, now), checkNotices(cfg.Overdue))
}

// maxUnits bounds the distinct units the check collects from an export.
const maxUnits = 1000

// checkExport is the LOANS, COLUMNS and AGE steps.
func checkExport(cfg *config.Config, now time.Time) []Step {
	o := cfg.Overdue
	var out []Step
	add := func(step string, st Status, detail, verdict string) {
		out = append(out, Step{Step: step, Status: st, Detail: detail, Verdict: verdict})
	}
	if o.Loans == "" {
		add("LOANS", StatusFail, "[overdue] enabled = true, but loans is empty",
			`Set loans in [overdue] to the file the library system exports, e.g. loans = C:\ILS\export\loans.csv, or set enabled = false.`)
		return out
	}
	fi, err := os.Lstat(o.Loans)
	if err != nil {
		add("LOANS", StatusFail, o.Loans+": "+statProblem(err), exportMissingVerdict(o.Loans, err))
		return out
	}
	if what := notRegular(fi); what != "" {
		add("LOANS", StatusFail, fmt.Sprintf("%s is %s, not a regular file", o.Loans, what), notRegularVerdict(fi, o.Loans))
		return out
	}

	units := map[string]string{} // lower case -> as first written
	res, err := loans.EachFile(o.Loans, loans.Options{
		Charset:   o.Charset,
		Encoding:  o.Encoding,
		Delimiter: o.Delimiter,
		Columns:   o.ColumnMap(),
		Location:  location(cfg),
	}, func(l loans.Loan) error {
		if u := strings.TrimSpace(l.Unit); u != "" && len(units) < maxUnits {
			if k := strings.ToLower(u); units[k] == "" {
				units[k] = u
			}
		}
		return nil
	})
	var (
		he *loans.HeaderError
		ce *loans.CharsetError
		nr *safefile.NotRegularError
		tl *safefile.TooLargeError
	)
	switch {
	case errors.As(err, &he):
		add("LOANS", StatusOK, fmt.Sprintf("%s: a regular file of %s", o.Loans, byteSize(fi.Size())), "")
		add("COLUMNS", StatusFail, headerDetail(he), columnsVerdict(he))
	case errors.As(err, &ce):
		add("LOANS", StatusFail, fmt.Sprintf("%s: line %d is not valid UTF-8", o.Loans, ce.Line),
			"Set charset in [overdue] to the character set the library system writes, e.g. charset = windows-1252 (windows-1250 for Central European, windows-1251 for Cyrillic).")
	case errors.As(err, &nr): // replaced since the first look
		add("LOANS", StatusFail, fmt.Sprintf("%s is %s, not a regular file", o.Loans, nr.Kind),
			"Set loans in [overdue] to the export file itself; spoolgate reads only a regular file, and follows no link there.")
	case errors.As(err, &tl):
		add("LOANS", StatusFail, fmt.Sprintf("%s is larger than the %s a loans export may be", o.Loans, byteSize(loans.MaxFileSize)),
			"Check that loans in [overdue] names the export the library system writes, and that the export holds the current loans only.")
	case err != nil:
		add("LOANS", StatusFail, strings.TrimPrefix(err.Error(), "loans export: "), fmt.Sprintf(
			"Check that the library system writes the whole export to %s, with a header line; it is read with [overdue] charset and delimiter.", o.Loans))
	default:
		exportFindings(cfg, fi, res, units, add)
	}
	addAge(fi, now.In(location(cfg)), o.Loans, add)
	return out
}

// notRegularVerdict says what to do about a loans export that is not a
// regular file.
func notRegularVerdict(fi fs.FileInfo, path string) string {
	if fi.Mode()&fs.ModeSymlink != 0 {
		return "Set loans in [overdue] to the path of the export file itself: spoolgate follows no link there, " +
			"as the library system's account may be able to change where a link points."
	}
	return fmt.Sprintf("Set loans in [overdue] to the export file itself%s; spoolgate reads only a regular file that the library system has finished writing.", dirHint(fi, path))
}

// exportFindings reports a loans export that was read; units are the
// distinct units its rows name (lower case to as written).
func exportFindings(cfg *config.Config, fi fs.FileInfo, res *loans.Result, units map[string]string, add func(string, Status, string, string)) {
	o := cfg.Overdue
	add("LOANS", StatusOK, fmt.Sprintf("%s: %s read (%s, %s separated)", o.Loans,
		plural(res.Loaded, "loan"), res.Charset, delimiterName(res.Delimiter)), "")
	for _, w := range res.Warnings {
		add("LOANS", StatusWarn, w, "Set charset in [overdue] to the character set the library system writes.")
	}
	if n := res.BadRows; n > 0 {
		add("LOANS", StatusWarn, fmt.Sprintf("%s left out; the first: %s", plural(n, "bad row"), res.Errors[0]),
			"Those patrons get no notice for those loans: fix the rows in the library system (the daily log lists them after each scan).")
	}
	if units := unknownUnits(cfg, units); len(units) > 0 {
		add("LOANS", StatusWarn, "the export names units without a [unit.NAME] section: "+strings.Join(units, ", "),
			"Their notices go out with the [message] sender and no contact text: add a [unit.NAME] section for each branch (from, from_name, contact), or ignore this if that is right.")
	}

	detail := fmt.Sprintf("the header (line %d) has every column spoolgate needs: %s", res.HeaderAt, strings.Join(mappedNames(loans.RequiredColumns(), o.ColumnMap()), ", "))
	if len(res.Absent) > 0 {
		detail += "; optional columns it lacks: " + strings.Join(res.Absent, ", ")
	}
	if slices.Contains(res.Absent, "barcode") {
		add("COLUMNS", StatusWarn, detail, "Without a barcode, two loans of one title count as one: have the library system export the barcode, or name its column with barcode = HEADER in [overdue.columns].")
		return
	}
	add("COLUMNS", StatusOK, detail, "")
}

// addAge is the AGE step: an export the ILS stopped writing makes the
// scan send notices from old loans.
func addAge(fi fs.FileInfo, now time.Time, path string, add func(string, Status, string, string)) {
	if fi == nil || !fi.Mode().IsRegular() {
		return
	}
	mod := fi.ModTime().In(now.Location())
	age := now.Sub(mod)
	when := mod.Format("2006-01-02 15:04")
	switch {
	case age > loans.MaxAge:
		add("AGE", StatusWarn, fmt.Sprintf("written %s, %s ago", when, roughDuration(age)),
			fmt.Sprintf("The library system writes the export every night, so this one is old: the morning scan would send notices from old loans. Check the library system's export job, or set loans in [overdue] to where it now writes (%s).", path))
	case age < -time.Hour:
		add("AGE", StatusWarn, fmt.Sprintf("written %s, in the future", when), "Check this machine's date and time, and the file server's.")
	default:
		add("AGE", StatusOK, fmt.Sprintf("written %s", when), "")
	}
}

// location is the zone the schedule and the notices use: [service]
// timezone, or the machine's.
func location(cfg *config.Config) *time.Location {
	if cfg.Service.Location != nil {
		return cfg.Service.Location
	}
	return time.Local
}

// checkNotices is the NOTICES step: the templates load and render, as
// overdue.Check found when spoolgate check started; read again here, so
// the step tells what is in the folder now.
func checkNotices(o config.Overdue) Step {
	lang := o.Language
	if lang == "" {
		lang = config.DefaultLanguage
	}
	_, err := notice.Load(o.Templates, notice.DefaultLanguage(lang))
	if err != nil {
		v := "Fix the template, or leave templates in [overdue] empty for the built-in notices."
		if o.Templates == "" {
			v = "The built-in notice templates do not load: this is a bug in spoolgate; please report it."
		}
		return Step{Step: "NOTICES", Status: StatusFail, Detail: err.Error(), Verdict: v}
	}
	if o.Templates == "" {
		return Step{Step: "NOTICES", Status: StatusOK, Detail: "the built-in templates load; default language " + lang}
	}
	own := ownTemplates(o.Templates)
	detail := fmt.Sprintf("the templates in %s load (%s; the rest built-in); default language %s", o.Templates, strings.Join(own, ", "), lang)
	if len(own) == 0 {
		detail = fmt.Sprintf("%s has no templates of its own: the built-in ones are used; default language %s", o.Templates, lang)
	}
	return Step{Step: "NOTICES", Status: StatusOK, Detail: detail}
}

// ownTemplates lists the template files of a templates folder, as
// "sv/overdue.txt".
func ownTemplates(dir string) []string {
	var out []string
	for _, ext := range []string{"txt", "html"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*", "*."+ext))
		for _, p := range m {
			out = append(out, filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(p)), filepath.Base(p))))
		}
	}
	sort.Strings(out)
	return out
}

// notRegular names what fi is when it is not a regular file: "a folder",
// "a named pipe (FIFO)" and so on; "" for a regular file.
func notRegular(fi fs.FileInfo) string {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO), which spoolgate does not read: a read would wait for a writer"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file (" + m.Type().String() + ")"
}

func dirHint(fi fs.FileInfo, path string) string {
	if fi.IsDir() {
		return fmt.Sprintf(" inside that folder, e.g. %s", filepath.Join(path, "loans.csv"))
	}
	return ""
}

// statProblem says in a few words why a file could not be looked at.
func statProblem(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// exportMissingVerdict says what to do about an export that can't be
// looked at; for a missing one, whether its folder exists.
func exportMissingVerdict(path string, err error) string {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Sprintf("Give the account spoolgate runs as read permission on the folder %s, or set loans in [overdue] to where that account can read.", filepath.Dir(path))
	}
	dir := filepath.Dir(path)
	if fi, derr := os.Stat(dir); derr != nil || !fi.IsDir() {
		return fmt.Sprintf("The folder %s does not exist either (a share that is not mounted?): set loans in [overdue] to the file the library system exports, or make that folder available.", dir)
	}
	return "Set loans in [overdue] to the file the library system exports, or have the library system export it there. If it writes the file later in the day, run spoolgate check again after it has."
}

// headerDetail says which required columns the header lacks and what it has.
func headerDetail(he *loans.HeaderError) string {
	var parts []string
	if len(he.Missing) > 0 {
		parts = append(parts, "missing: "+strings.Join(mappedNames(he.Missing, he.Mapped), ", "))
	}
	if len(he.Duplicate) > 0 {
		parts = append(parts, "more than once: "+strings.Join(mappedNames(he.Duplicate, he.Mapped), ", "))
	}
	found := make([]string, len(he.Header))
	for i, h := range he.Header {
		found[i] = fmt.Sprintf("%q", h)
	}
	const most = 40
	if len(found) > most {
		found = append(found[:most], fmt.Sprintf("… (%d columns)", len(he.Header)))
	}
	if len(found) == 0 {
		found = []string{"nothing"}
	}
	return fmt.Sprintf("%s; the header (line %d) has: %s", strings.Join(parts, "; "), he.Line, strings.Join(found, ", "))
}

// columnsVerdict names the keys of [overdue.columns] to set.
func columnsVerdict(he *loans.HeaderError) string {
	var v []string
	for _, c := range he.Missing {
		if h, ok := he.Mapped[c]; ok {
			v = append(v, fmt.Sprintf("In [overdue.columns], %s = %s names no column of the export: set %s to the export's header for that column.", c, h, c))
		} else {
			v = append(v, fmt.Sprintf("The export has no column named %s: add %s = HEADER to [overdue.columns], HEADER being the export's name for it.", c, c))
		}
	}
	for _, c := range he.Duplicate {
		v = append(v, fmt.Sprintf("The header has the %s column more than once: have the library system export it once, or name one of them with %s = HEADER in [overdue.columns].", c, c))
	}
	return strings.Join(v, " ")
}

// mappedNames writes logical column names with their header names from
// [overdue.columns]: due ("Förfallodatum").
func mappedNames(cols []string, m map[string]string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c
		if h, ok := m[c]; ok {
			out[i] = fmt.Sprintf("%s (%q)", c, h)
		}
	}
	return out
}

// unknownUnits lists the units of an export (lower case to as written)
// that have no [unit.NAME].
func unknownUnits(cfg *config.Config, units map[string]string) []string {
	var out []string
	for _, u := range units {
		if _, ok := cfg.UnitFor(u); !ok {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out
}

func delimiterName(r rune) string {
	switch r {
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	}
	return fmt.Sprintf("%q", r)
}

// byteSize writes a byte count for people.
func byteSize(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 10<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return plural(int(n), "byte")
}
