package loans

import (
	"fmt"
	"sort"
	"strings"
)

// The logical columns, in the default header's order.
const (
	colPatronID = iota
	colPatronName
	colEmail
	colGuardianEmail
	colNotify
	colLanguage
	colUnit
	colBarcode
	colTitle
	colAuthor
	colDue
	numCols
)

var columnNames = [numCols]string{
	"patron_id", "patron_name", "email", "guardian_email", "notify",
	"language", "unit", "barcode", "title", "author", "due",
}

var required = [numCols]bool{colPatronID: true, colEmail: true, colTitle: true, colDue: true}

// ColumnNames returns the logical column names, which are also the default
// header, in the default order.
func ColumnNames() []string {
	return append([]string(nil), columnNames[:]...)
}

// RequiredColumns returns the logical columns a header must have.
func RequiredColumns() []string {
	var out []string
	for i, r := range required {
		if r {
			out = append(out, columnNames[i])
		}
	}
	return out
}

// CheckColumns checks an [overdue.columns] mapping: every key must be a
// logical column name (any case), every value a non-empty header name, and
// no two keys may map to the same header name. overdue.Check calls it
// when spoolgate starts, so that a typo stops spoolgate then.
func CheckColumns(m map[string]string) error {
	_, err := wanted(m)
	return err
}

// wanted returns the header name looked for, per logical column.
func wanted(m map[string]string) ([]string, error) {
	out := make([]string, numCols)
	copy(out, columnNames[:])
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]string{}
	for _, k := range keys {
		i := columnIndex(k)
		if i < 0 {
			return nil, fmt.Errorf("[overdue.columns] has %q, which is not a column; the columns are %s", k, strings.Join(columnNames[:], ", "))
		}
		v := cleanHeader(m[k])
		if v == "" {
			return nil, fmt.Errorf("[overdue.columns] %s is empty; give the header name the export uses for it", k)
		}
		if other, ok := seen[strings.ToLower(v)]; ok {
			return nil, fmt.Errorf("[overdue.columns] maps both %s and %s to %q", other, k, v)
		}
		seen[strings.ToLower(v)] = k
		out[i] = v
	}
	return out, nil
}

func columnIndex(name string) int {
	name = strings.TrimSpace(name)
	for i, n := range columnNames {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

// cleanHeader trims spaces and byte order marks from a header name.
func cleanHeader(h string) string {
	return strings.TrimSpace(strings.ReplaceAll(h, "\ufeff", ""))
}

// locate finds each logical column in the header: its index, or -1.
func locate(head []string, m map[string]string) ([numCols]int, *HeaderError) {
	var idx [numCols]int
	names, _ := wanted(m) // already checked by the caller
	e := &HeaderError{Header: head}
	for i := range idx {
		idx[i] = -1
		for j, h := range head {
			if !strings.EqualFold(h, names[i]) {
				continue
			}
			if idx[i] >= 0 {
				e.Duplicate = append(e.Duplicate, columnNames[i])
				break
			}
			idx[i] = j
		}
		if idx[i] < 0 && required[i] {
			e.Missing = append(e.Missing, columnNames[i])
		}
	}
	if len(e.Missing) == 0 && len(e.Duplicate) == 0 {
		return idx, nil
	}
	for k, v := range m {
		if i := columnIndex(k); i >= 0 {
			if e.Mapped == nil {
				e.Mapped = map[string]string{}
			}
			e.Mapped[columnNames[i]] = cleanHeader(v)
		}
	}
	return idx, e
}
