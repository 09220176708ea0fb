package overdue

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/lang"
	"github.com/spoolgate/spoolgate/gateway/loans"
	"github.com/spoolgate/spoolgate/gateway/notice"
)

// columnsSection is the section of the loans export's column names.
const columnsSection = "overdue.columns"

// Check checks the settings of cfg that config.Load leaves to this package,
// and returns the notice templates the scan writes with. It is to be run
// where a bad setting must stop spoolgate: when the service starts, and by
// `spoolgate check` and `spoolgate overdue` after config.Load.
//
// The contract:
//   - [overdue.columns]: each key must be one of the loans export's column
//     names (loans.ColumnNames), spelt as spoolgate spells it (a key is
//     case-sensitive, as everywhere in the file); and no two columns may
//     name the same header, ignoring case. A misspelt name gets "did you
//     mean", a pair written the wrong way round (header = column) says so.
//   - The notice templates of [overdue] templates, or the built-in ones when
//     it is empty, are loaded and checked against sample data
//     (notice.Load), with [overdue] language as their default language.
//
// Every problem is a *config.Error positioned at its key as config.Load
// positions its own (cfg.KeyError): the config file, the line, the section
// and key, the value and what to change; a template's error wraps the
// *notice.Error naming the template file. The built-in templates failing
// is a bug in spoolgate and says so, as an error of [overdue] with no line.
// A nil cfg is an error too. All problems are returned together,
// joined with errors.Join in line order, and the set is then nil; each
// wraps config.ErrConfig, so a caller treats them as it treats Load's.
// Check reads the templates folder, and nothing else: not the loans export,
// which may appear later.
func Check(cfg *config.Config) (*notice.Set, error) {
	if cfg == nil {
		return nil, errors.New("overdue: no config")
	}
	errs := checkColumns(cfg)
	set, err := loadTemplates(cfg)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return set, nil
}

// joinErrors joins errs with errors.Join in line order, those without a
// line last, as config.Load orders its own.
func joinErrors(errs []*config.Error) error {
	line := func(e *config.Error) int {
		if e.Line > 0 {
			return e.Line
		}
		return int(^uint(0) >> 1)
	}
	slices.SortStableFunc(errs, func(a, b *config.Error) int { return cmp.Compare(line(a), line(b)) })
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}

// checkColumns checks the names and headers of [overdue.columns], one key
// at a time in file order, so that a clash (two columns mapped to one
// header) is told at the key that causes it.
func checkColumns(cfg *config.Config) []*config.Error {
	var errs []*config.Error
	names := loans.ColumnNames()
	sorted := slices.Sorted(slices.Values(names)) // for "did you mean": ties go to the first in this order
	m := map[string]string{}
	for _, col := range cfg.Overdue.Columns {
		if !slices.Contains(names, col.Name) {
			e := cfg.KeyError(columnsSection, col.Name, unknownColumn(col, names, sorted), nil)
			e.Value = "" // the key is what is wrong, as for an unknown key
			errs = append(errs, e)
			continue
		}
		if col.Header == "" {
			continue // "due =": the default header
		}
		m[col.Name] = col.Header
		if err := loans.CheckColumns(m); err != nil {
			delete(m, col.Name)
			e := cfg.KeyError(columnsSection, col.Name, strings.TrimPrefix(err.Error(), "[overdue.columns] ")+
				"; give each column a header name of its own (header names match ignoring case)", nil)
			e.Value = col.Header
			errs = append(errs, e)
		}
	}
	return errs
}

// unknownColumn says what is wrong with a key of [overdue.columns] that
// is not a column name.
func unknownColumn(col config.Column, names, sorted []string) string {
	if v := strings.ToLower(col.Header); slices.Contains(names, v) && !slices.Contains(names, strings.ToLower(col.Name)) {
		return fmt.Sprintf("this is the wrong way round: the key is spoolgate's column name, "+
			"the value the export's header; write %s = %s", v, col.Name)
	}
	if s := config.Closest(col.Name, sorted); s != "" {
		return fmt.Sprintf("unknown column; did you mean %s? (the columns are %s)", s, strings.Join(names, ", "))
	}
	return "unknown column; the columns are " + strings.Join(names, ", ")
}

// loadTemplates loads the notice templates of [overdue] templates.
func loadTemplates(cfg *config.Config) (*notice.Set, *config.Error) {
	o := cfg.Overdue
	code := o.Language
	if code == "" {
		code = config.DefaultLanguage
	}
	if _, ok := lang.Parse(code); !ok { // config.Load accepts no such language
		return nil, cfg.KeyError("overdue", "language", "unknown language; want one of the languages spoolgate writes: "+
			strings.Join(lang.Codes(), ", "), nil)
	}
	set, err := notice.Load(o.Templates, notice.DefaultLanguage(code))
	switch {
	case err == nil:
		return set, nil
	case o.Templates == "":
		// The built-in templates are tested; this would be a bug.
		return nil, &config.Error{File: cfg.File, Section: "overdue", Err: err,
			Want: "the built-in notice templates do not load: " + err.Error()}
	}
	return nil, cfg.KeyError("overdue", "templates",
		err.Error()+"; fix the template, or leave templates empty for the built-in notices", err)
}
