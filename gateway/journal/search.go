package journal

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"modernc.org/sqlite"
)

// Search selects the rows of the console's Sent page: one row per
// recipient, and one (with no Address) per message that has no recipient
// (a file refused before it was sent). The text filters match case
// insensitively, folding letters of every script (so "ÅSA" finds
// "åsa@exempel.se" and "ПРОСРОЧКА" a subject "Просрочка"), but they do
// not remove accents: "asa" does not find "åsa". A filter of three
// characters or more is looked up in a trigram index; a shorter one is
// checked on every row the other filters leave, which is slow on a large
// journal when nothing else narrows the search.
type Search struct {
	// To is a substring of the recipient address: a whole address finds
	// it (and any longer address that contains it); a fragment, such as
	// a domain, finds every address that contains it. "" = any; a row
	// without recipient never matches a To.
	To   string
	File string // substring of the file name; "" = any
	// Subject is words that must each occur in the subject, as
	// substrings, in any order; "" = any.
	Subject string
	// Since and Until bound the row's time (its last event): Since <=
	// At < Until. Zero = no bound.
	Since, Until time.Time
	// Status is the recipient's status (a row without recipient: the
	// message's). StatusPartlySent, which no recipient has, selects the
	// recipients of messages that are partly sent; StatusBounced,
	// StatusDelivered and StatusDelayed select by the recipient's Outcome.
	// "" = any.
	Status Status
	// Cause is the recipient's cause (a row without recipient: the
	// message's), exactly; "" = any.
	Cause  string
	Limit  int     // rows per page: 0 = 100; at most 1000
	Before *Cursor // rows after this one, as Search returned it; nil = from the newest
}

// Row is one row of a Search: a recipient and their message.
type Row struct {
	Key, File, Subject, MessageID, Unit, Kind string
	Address                                   string // "" for a message without recipients
	Status                                    Status // the recipient's (or the message's, without recipients)
	Outcome                                   Status // a report's about the recipient since (see Recipient.Outcome), or ""
	Cause, Reply, QueueID, Server             string
	At                                        time.Time // of the recipient's last event
	Attempts                                  int       // of the message

	pos Cursor
}

// Cursor is a place in a Search's order: newest first by the row's time,
// then by the order the rows were journaled. It is opaque; String and
// ParseCursor carry it in a URL.
type Cursor struct {
	at   int64
	rank int64 // 1 for a recipient row, 0 for a message without recipients
	id   int64 // the recipient's or message's rowid
}

// ErrBadCursor is what ParseCursor returns for a string that String did
// not make.
var ErrBadCursor = errors.New("journal: not a search cursor")

// ErrNotFound is what History returns for a key the journal does not
// know.
var ErrNotFound = errors.New("journal: no such message")

// String is the cursor in a form ParseCursor reads, made of letters,
// digits and dots only.
func (c *Cursor) String() string {
	return strconv.FormatInt(c.at, 36) + "." + strconv.FormatInt(c.rank, 10) + "." + strconv.FormatInt(c.id, 36)
}

// ParseCursor reads a cursor made by Cursor.String.
func ParseCursor(s string) (*Cursor, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	at, err1 := strconv.ParseInt(parts[0], 36, 64)
	rank, err2 := strconv.ParseInt(parts[1], 10, 64)
	id, err3 := strconv.ParseInt(parts[2], 36, 64)
	if err1 != nil || err2 != nil || err3 != nil || at < 0 || id < 0 || (rank != 0 && rank != 1) {
		return nil, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	return &Cursor{at: at, rank: rank, id: id}, nil
}

// Search limits.
const (
	defaultSearchLimit = 100
	maxSearchLimit     = 1000
)

// ftsCap is the most rows of a trigram index a search reads and sorts by
// time. A filter that matches more is common enough that walking the rows
// newest first finds a page of them sooner (in a journal of two million
// recipients, one row in 200 at least). Tests change it to try each plan.
var ftsCap = 10000

// foldFunc is the SQL function that folds text as Search's filters do:
// Unicode lower case, like the trigram indexes (tokenize='trigram', which
// is case insensitive).
const foldFunc = "spoolgate_fold"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(foldFunc, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return fold(v), nil
		case []byte:
			return fold(string(v)), nil
		}
		return "", nil
	})
}

func fold(s string) string { return strings.ToLower(s) }

// contains is the SQL condition that the column col contains the text
// needle, folded as fold folds it, and its argument. A needle of ASCII
// only is checked with SQLite's own lower(), which folds ASCII only but
// is several times quicker than a call into Go: the letters such a needle
// can match are ASCII letters, which both fold alike.
func contains(col, needle string) cond {
	needle = fold(needle)
	for i := 0; i < len(needle); i++ {
		if needle[i] >= utf8.RuneSelf {
			return cond{"instr(" + foldFunc + "(" + col + "), ?) > 0", []any{needle}}
		}
	}
	return cond{"instr(lower(" + col + "), ?) > 0", []any{needle}}
}

// phrase is s as an FTS5 phrase: quoted, with its quotes doubled.
func phrase(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// indexable reports whether the trigram index can find s: it needs three
// characters.
func indexable(s string) bool { return utf8.RuneCountInString(s) >= 3 }

// cond is a piece of a WHERE clause with its arguments.
type cond struct {
	sql  string
	args []any
}

// Search returns the rows that match s, newest first, at most s.Limit of
// them, and the cursor of the next page (nil if this is the last).
//
// It plans each search itself, in one of three ways: from the trigram
// index of addresses, when To is rare enough (fewer than ftsCap
// recipients contain it); else from that of file names and subjects, when
// they are rare enough; else by walking the recipients newest first, by
// cause, status or time, checking the other filters on each row until a
// page is full.
func (j *Journal) Search(s Search) ([]Row, *Cursor, error) {
	if j.isClosed() {
		return nil, nil, ErrClosed
	}
	limit := s.Limit
	if limit <= 0 {
		limit = defaultSearchLimit
	}
	limit = min(limit, maxSearchLimit)
	words := strings.Fields(s.Subject)
	c, done, err := j.reading()
	if err != nil {
		return nil, nil, err
	}
	defer done()
	ctx := context.Background()
	tx, err := c.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, j.readError(err)
	}
	defer tx.Rollback()

	rows, err := j.searchRecipients(ctx, tx, s, words, limit+1)
	if err != nil {
		return nil, nil, j.readError(err)
	}
	if s.To == "" {
		bare, err := j.searchBare(ctx, tx, s, words, limit+1)
		if err != nil {
			return nil, nil, j.readError(err)
		}
		rows = merge(rows, bare)
	}
	if len(rows) <= limit {
		return rows, nil, nil
	}
	rows = rows[:limit]
	next := rows[limit-1].pos
	return rows, &next, nil
}

// newer reports whether a comes before b in a Search's order.
func newer(a, b Cursor) bool {
	if a.at != b.at {
		return a.at > b.at
	}
	if a.rank != b.rank {
		return a.rank > b.rank
	}
	return a.id > b.id
}

// merge merges two lists of rows in Search's order.
func merge(a, b []Row) []Row {
	if len(b) == 0 {
		return a
	}
	out := make([]Row, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if newer(a[0].pos, b[0].pos) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// matching returns the rowids of the rows of the trigram index table
// that match, as a JSON array for json_each, and how many there are; it
// stops at ftsCap+1 (and then the array is of no use).
func matching(ctx context.Context, tx *sql.Tx, table, match string) (string, int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT rowid FROM `+table+` WHERE `+table+` MATCH ? LIMIT ?`, match, ftsCap+1)
	if err != nil {
		return "", 0, err
	}
	defer rows.Close()
	b := []byte{'['}
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", 0, err
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
		n++
	}
	return string(append(b, ']')), n, rows.Err()
}

// messageMatch is the messages_fts query for file and the words of the
// subject that are long enough, or "".
func messageMatch(file string, words []string) string {
	var terms []string
	if indexable(file) {
		terms = append(terms, "file : "+phrase(file))
	}
	for _, w := range words {
		if indexable(w) {
			terms = append(terms, "subject : "+phrase(w))
		}
	}
	return strings.Join(terms, " AND ")
}

const rowColumns = `m.key, m.file, m.subject, m.message_id, m.unit, m.kind, m.attempts`

func (j *Journal) searchRecipients(ctx context.Context, tx *sql.Tx, s Search, words []string, n int) ([]Row, error) {
	// The driving table: an index of trigrams when a filter is rare
	// enough, else the recipients newest first.
	var from string
	var fromArgs []any
	byAddr, byMessage := false, false
	bestN := ftsCap + 1
	if indexable(s.To) {
		ids, k, err := matching(ctx, tx, "recipients_fts", phrase(s.To))
		if err != nil {
			return nil, err
		}
		if k <= ftsCap {
			bestN, byAddr = k, true
			from = `json_each(?) f CROSS JOIN recipients r ON r.rowid = f.value CROSS JOIN messages m ON m.key = r.key`
			fromArgs = []any{ids}
		}
	}
	if m := messageMatch(s.File, words); m != "" && bestN > 0 {
		ids, k, err := matching(ctx, tx, "messages_fts", m)
		if err != nil {
			return nil, err
		}
		// A message has a few recipients: prefer the addresses on a tie.
		if k <= ftsCap && 2*k < bestN {
			byAddr, byMessage = false, true
			from = `json_each(?) f CROSS JOIN messages m ON m.rowid = f.value CROSS JOIN recipients r ON r.key = m.key`
			fromArgs = []any{ids}
		}
	}
	var where []cond
	switch {
	case byAddr || byMessage:
	case s.Cause != "":
		from = `recipients r INDEXED BY recipients_cause_at CROSS JOIN messages m ON m.key = r.key`
	case s.Status != "" && s.Status != StatusPartlySent:
		from = `recipients r INDEXED BY recipients_status_at CROSS JOIN messages m ON m.key = r.key`
	default:
		from = `recipients r INDEXED BY recipients_at CROSS JOIN messages m ON m.key = r.key`
	}
	if s.Cause != "" {
		// The term that the cause is not empty lets SQLite use the
		// partial index recipients_cause_at.
		where = append(where, cond{"r.cause = ? AND r.cause != ''", []any{s.Cause}})
	}
	switch s.Status {
	case "":
	case StatusPartlySent:
		where = append(where, cond{"m.status = ?", []any{string(s.Status)}})
	case StatusBounced, StatusDelivered, StatusDelayed:
		where = append(where, cond{"r.outcome = ?", []any{string(s.Status)}})
	default:
		where = append(where, cond{"r.status = ?", []any{string(s.Status)}})
	}
	if !s.Since.IsZero() {
		where = append(where, cond{"r.at >= ?", []any{nanos(s.Since)}})
	}
	if !s.Until.IsZero() {
		where = append(where, cond{"r.at < ?", []any{nanos(s.Until)}})
	}
	if c := s.Before; c != nil {
		if c.rank == 1 {
			where = append(where, cond{"r.at <= ? AND (r.at < ? OR r.rowid < ?)", []any{c.at, c.at, c.id}})
		} else {
			where = append(where, cond{"r.at < ?", []any{c.at}})
		}
	}
	if s.To != "" && !byAddr {
		where = append(where, contains("r.addr", s.To))
	}
	where = append(where, messageConds(s.File, words, byMessage)...)

	q := `SELECT r.rowid, r.at, r.addr, r.status, r.outcome, r.cause, r.reply, r.queue_id, r.server, ` + rowColumns + ` FROM ` + from
	args := fromArgs
	q, args = addWhere(q, args, where)
	q += ` ORDER BY r.at DESC, r.rowid DESC LIMIT ?`
	args = append(args, n)
	return scanRows(ctx, tx, q, args, 1)
}

// messageConds are the checks of file and subject on each row: all of
// them, or (indexed true) those the trigram index did not make.
func messageConds(file string, words []string, indexed bool) []cond {
	var out []cond
	if file != "" && !(indexed && indexable(file)) {
		out = append(out, contains("m.file", file))
	}
	for _, w := range words {
		if !(indexed && indexable(w)) {
			out = append(out, contains("m.subject", w))
		}
	}
	return out
}

func addWhere(q string, args []any, where []cond) (string, []any) {
	for i, w := range where {
		if i == 0 {
			q += " WHERE "
		} else {
			q += " AND "
		}
		q += "(" + w.sql + ")"
		args = append(args, w.args...)
	}
	return q, args
}

// searchBare finds the messages without recipients that match s, which
// names no To. They are few: bare has them all.
func (j *Journal) searchBare(ctx context.Context, tx *sql.Tx, s Search, words []string, n int) ([]Row, error) {
	var where []cond
	if s.Cause != "" {
		where = append(where, cond{"m.cause = ?", []any{s.Cause}})
	}
	if s.Status != "" {
		where = append(where, cond{"m.status = ?", []any{string(s.Status)}})
	}
	if !s.Since.IsZero() {
		where = append(where, cond{"m.last_at >= ?", []any{nanos(s.Since)}})
	}
	if !s.Until.IsZero() {
		where = append(where, cond{"m.last_at < ?", []any{nanos(s.Until)}})
	}
	if c := s.Before; c != nil {
		if c.rank == 1 {
			where = append(where, cond{"m.last_at <= ?", []any{c.at}})
		} else {
			where = append(where, cond{"m.last_at <= ? AND (m.last_at < ? OR m.rowid < ?)", []any{c.at, c.at, c.id}})
		}
	}
	where = append(where, messageConds(s.File, words, false)...)
	q := `SELECT m.rowid, m.last_at, '', m.status, '', m.cause, m.reply, '', m.server, ` + rowColumns +
		` FROM bare b CROSS JOIN messages m ON m.rowid = b.id`
	q, args := addWhere(q, nil, where)
	q += ` ORDER BY m.last_at DESC, m.rowid DESC LIMIT ?`
	args = append(args, n)
	return scanRows(ctx, tx, q, args, 0)
}

func scanRows(ctx context.Context, tx *sql.Tx, q string, args []any, rank int64) ([]Row, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var (
			r               Row
			status, outcome string
		)
		if err := rows.Scan(&r.pos.id, &r.pos.at, &r.Address, &status, &outcome, &r.Cause, &r.Reply, &r.QueueID, &r.Server,
			&r.Key, &r.File, &r.Subject, &r.MessageID, &r.Unit, &r.Kind, &r.Attempts); err != nil {
			return nil, err
		}
		r.pos.rank = rank
		r.Status, r.Outcome, r.At = Status(status), Status(outcome), fromNanos(r.pos.at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Event is one entry of a message's history.
type Event struct {
	At time.Time
	// What happened: "claimed" (taken from the queue), "attempt" (about
	// to be sent), "sent", "deferred", "failed", "skipped" (the recipients
	// had it already), or "retried" (put back in the queue by an
	// administrator).
	What string
	// To, Server, Reply, Cause and QueueID are the event's recipients
	// and what the relay said, as far as they apply to What. Events
	// journaled before spoolgate kept them (schema version 3) have only
	// Detail.
	To                            []string
	Server, Reply, Cause, QueueID string
	Detail                        string // all of it, in words, as `spoolgate sent` shows it
}

// History returns the message key as Query shows it, with its recipients,
// and every event journaled about it, oldest first. It returns ErrNotFound
// for a key the journal does not know.
func (j *Journal) History(key string) (Record, []Event, error) {
	rs, err := j.Query(Filter{Key: key, Limit: 1})
	if err != nil {
		return Record{}, nil, err
	}
	if len(rs) == 0 {
		return Record{}, nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	c, done, err := j.reading()
	if err != nil {
		return Record{}, nil, err
	}
	defer done()
	rows, err := c.rdb.QueryContext(context.Background(),
		`SELECT at, event, addrs, server, reply, cause, queue_id, detail FROM events WHERE key = ? ORDER BY at, id`, key)
	if err != nil {
		return Record{}, nil, j.readError(err)
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var (
			e     Event
			at    int64
			addrs string
		)
		if err := rows.Scan(&at, &e.What, &addrs, &e.Server, &e.Reply, &e.Cause, &e.QueueID, &e.Detail); err != nil {
			return Record{}, nil, j.readError(err)
		}
		e.At = fromNanos(at)
		if addrs != "" {
			e.To = strings.Split(addrs, ",")
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return Record{}, nil, j.readError(err)
	}
	return rs[0], evs, nil
}
