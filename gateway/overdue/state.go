package overdue

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/loans"
	"github.com/spoolgate/spoolgate/gateway/notice"
	"github.com/spoolgate/spoolgate/spool"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// schemaVersion is the PRAGMA user_version of notices.db.
const schemaVersion = 1

// busyTimeout is how long a statement waits while another scan (another
// process) holds the write lock for one batch.
const busyTimeout = 30 * time.Second

// schema: dates are YYYY-MM-DD in the scan's time zone, times Unix
// nanoseconds.
//
//   - notices: every notice key queued (or pending in the outbox), with the
//     file it went out in.
//   - outbox: the files recorded but not yet confirmed written: the
//     complete bytes, and the Planned summary (JSON).
//   - runs: the scans, one row per scan date; complete = 0 when the loans
//     export could not be read. result is the day's Result (a record): as
//     JSON text in a database from before spoolgate compressed it, and
//     since as gzip-compressed JSON (a blob), see marshalRecord.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS notices (
		patron_id TEXT NOT NULL,
		item      TEXT NOT NULL,
		kind      TEXT NOT NULL,
		due_date  TEXT NOT NULL,
		queued_at INTEGER NOT NULL,
		file      TEXT NOT NULL,
		scan_date TEXT NOT NULL,
		PRIMARY KEY (patron_id, item, kind, due_date)
	) WITHOUT ROWID`,
	`CREATE INDEX IF NOT EXISTS notices_due ON notices(due_date)`,
	`CREATE TABLE IF NOT EXISTS outbox (
		file      TEXT PRIMARY KEY,
		scan_date TEXT NOT NULL,
		at        INTEGER NOT NULL,
		data      BLOB NOT NULL,
		planned   TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS runs (
		scan_date TEXT PRIMARY KEY,
		at        INTEGER NOT NULL,
		complete  INTEGER NOT NULL,
		queued    INTEGER NOT NULL,
		skipped   INTEGER NOT NULL,
		dropped   INTEGER NOT NULL,
		result    TEXT NOT NULL
	)`,
}

// store is notices.db. A read-only store whose file does not exist has a
// nil db and is empty.
type store struct {
	path string
	db   *sql.DB
}

func openStore(path string, readOnly bool) (*store, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("overdue: the state database path %q must not contain '?' or '#'", path)
	}
	st := &store{path: path}
	common := fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds())
	if readOnly {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return st, nil
		}
		db, err := sql.Open("sqlite", path+"?"+common+"&_pragma=query_only(1)")
		if err != nil {
			return nil, st.error(err)
		}
		db.SetMaxOpenConns(1)
		var v int
		if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			db.Close()
			return nil, st.error(err)
		}
		if v > schemaVersion {
			db.Close()
			return nil, st.error(newerError(v))
		}
		st.db = db
		if v < schemaVersion { // created but never initialised: empty
			db.Close()
			st.db = nil
		}
		return st, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("overdue: create the data folder: %w", err)
	}
	if err := createPrivate(path); err != nil {
		return nil, st.error(err)
	}
	// Two scans that create the database at once can find it locked while
	// the other turns on WAL, which SQLite reports at once rather than
	// waiting the busy timeout (seen on Windows): try again for as long.
	deadline := time.Now().Add(busyTimeout)
	for {
		db, err := openWriter(path, common)
		if err == nil {
			st.db = db
			return st, nil
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return nil, st.error(err)
		}
		time.Sleep(time.Duration(10+rand.IntN(40)) * time.Millisecond)
	}
}

// StateMode is the permission of notices.db (and of the -wal and -shm
// files SQLite makes beside it, which take the database's): the service
// account reads and writes it, and its group (the service's own group,
// which the ILS account is not in) may read it; others may not. It holds
// patrons' ids, names, addresses and loans.
const StateMode os.FileMode = 0o640

// createPrivate creates the empty database file with StateMode, whatever
// the umask, before SQLite opens it (SQLite would create it 0644); an
// existing one, and its -wal and -shm files, lose any permission beyond
// StateMode (a file from an older spoolgate was 0644). Changing another
// account's file fails, and is left to the database's own error.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, StateMode)
	switch {
	case err == nil:
		if err := f.Chmod(StateMode); err != nil { // past the umask
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		// Made by root (an admin's spoolgate overdue): the service's. SQLite
		// gives its -wal and -shm files the database's owner.
		return spool.GiveToFolderOwner(path)
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&^StateMode != 0 {
			os.Chmod(p, fi.Mode().Perm()&StateMode)
		}
	}
	return nil
}

// openWriter opens the database for writing and brings its schema up to
// date. WAL so that readers (LastRun, Recorded) never wait,
// synchronous=FULL so that a committed key survives a power cut, BEGIN
// IMMEDIATE so that two scans serialise their batches instead of failing
// half way.
func openWriter(path, common string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path+"?"+common+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := migrate(db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(db *sql.DB) error {
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v == schemaVersion {
		return nil
	}
	if v > schemaVersion {
		return newerError(v)
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v >= schemaVersion {
		return nil
	}
	for _, s := range schema {
		if _, err := tx.Exec(s); err != nil {
			return fmt.Errorf("creating schema: %w", err)
		}
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// error says what went wrong with the database, and what to do about a
// file that is not one.
func (st *store) error(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("overdue: %s is not a usable SQLite database (%w); "+
				"stop spoolgate, move the file (and any -wal, -shm beside it) aside and start again; "+
				"notices already queued may then be queued once more", st.path, err)
		}
	}
	return fmt.Errorf("overdue: state database %s: %w", st.path, err)
}

func (st *store) close() {
	if st.db != nil {
		st.db.Close()
	}
}

// known returns the keys (key.id) recorded for loans due between two
// dates, inclusive.
func (st *store) known(from, to string) (map[string]bool, error) {
	out := map[string]bool{}
	if st.db == nil {
		return out, nil
	}
	rows, err := st.db.Query(`SELECT patron_id, item, kind, due_date FROM notices WHERE due_date BETWEEN ? AND ?`, from, to)
	if err != nil {
		return nil, st.error(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.patron, &k.item, &k.kind, &k.due); err != nil {
			return nil, st.error(err)
		}
		out[k.id()] = true
	}
	if err := rows.Err(); err != nil {
		return nil, st.error(err)
	}
	return out, nil
}

// taken is a message some of whose keys another scan recorded first.
type taken struct {
	m    *outMsg
	keys map[string]bool // key.id of the keys the other scan holds
}

// insertPending records, in one transaction, the keys of each message and
// the message in the outbox. A message some of whose keys are already
// recorded (by a scan running at the same time) is not recorded at all
// and comes back in taken.
func (st *store) insertPending(msgs []*outMsg, scanDate string, now time.Time) (mine []*outMsg, tk []taken, err error) {
	if len(msgs) == 0 {
		return nil, nil, nil
	}
	ctx := context.Background()
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, st.error(err)
	}
	defer tx.Rollback()
	ins, err := tx.Prepare(`INSERT OR IGNORE INTO notices (patron_id, item, kind, due_date, queued_at, file, scan_date) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, nil, st.error(err)
	}
	defer ins.Close()
	del, err := tx.Prepare(`DELETE FROM notices WHERE patron_id = ? AND item = ? AND kind = ? AND due_date = ?`)
	if err != nil {
		return nil, nil, st.error(err)
	}
	defer del.Close()
	box, err := tx.Prepare(`INSERT OR REPLACE INTO outbox (file, scan_date, at, data, planned) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, nil, st.error(err)
	}
	defer box.Close()
	at := now.UnixNano()
	for _, m := range msgs {
		var added []key
		var other map[string]bool
		for _, k := range m.keys {
			r, err := ins.Exec(k.patron, k.item, k.kind, k.due, at, m.planned.File, scanDate)
			if err != nil {
				return nil, nil, st.error(err)
			}
			if n, _ := r.RowsAffected(); n == 1 {
				added = append(added, k)
				continue
			}
			if other == nil {
				other = map[string]bool{}
			}
			other[k.id()] = true
		}
		if other != nil {
			for _, k := range added {
				if _, err := del.Exec(k.patron, k.item, k.kind, k.due); err != nil {
					return nil, nil, st.error(err)
				}
			}
			tk = append(tk, taken{m: m, keys: other})
			continue
		}
		planned, err := json.Marshal(m.planned)
		if err != nil {
			return nil, nil, err
		}
		if _, err := box.Exec(m.planned.File, scanDate, at, m.data, string(planned)); err != nil {
			return nil, nil, st.error(err)
		}
		mine = append(mine, m)
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, st.error(err)
	}
	return mine, tk, nil
}

// confirm deletes the outbox rows of files now safely in the queue.
func (st *store) confirm(files []string) error {
	if len(files) == 0 {
		return nil
	}
	tx, err := st.db.Begin()
	if err != nil {
		return st.error(err)
	}
	defer tx.Rollback()
	del, err := tx.Prepare(`DELETE FROM outbox WHERE file = ?`)
	if err != nil {
		return st.error(err)
	}
	defer del.Close()
	for _, f := range files {
		if _, err := del.Exec(f); err != nil {
			return st.error(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return st.error(err)
	}
	return nil
}

// pendingFile is an outbox row.
type pendingFile struct {
	file     string
	scanDate time.Time // civil
	data     []byte
	planned  Planned
}

// outbox returns the outbox's rows.
func (st *store) outbox() ([]pendingFile, error) {
	rows, err := st.db.Query(`SELECT file, scan_date, data, planned FROM outbox ORDER BY at, file`)
	if err != nil {
		return nil, st.error(err)
	}
	defer rows.Close()
	var out []pendingFile
	for rows.Next() {
		var p pendingFile
		var date, planned string
		if err := rows.Scan(&p.file, &date, &p.data, &planned); err != nil {
			return nil, st.error(err)
		}
		p.scanDate, _ = time.Parse(dateLayout, date)
		if err := json.Unmarshal([]byte(planned), &p.planned); err != nil {
			p.planned = Planned{File: p.file}
		}
		p.planned.File = p.file
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, st.error(err)
	}
	return out, nil
}

// lastBefore returns the latest completed scan date before day.
func (st *store) lastBefore(day time.Time) (time.Time, bool, error) {
	return st.maxDate(`SELECT max(scan_date) FROM runs WHERE complete = 1 AND scan_date < ?`, day.Format(dateLayout))
}

// last returns the latest completed scan date.
func (st *store) last() (time.Time, bool, error) {
	return st.maxDate(`SELECT max(scan_date) FROM runs WHERE complete = 1`)
}

func (st *store) maxDate(q string, args ...any) (time.Time, bool, error) {
	if st.db == nil {
		return time.Time{}, false, nil
	}
	var s sql.NullString
	if err := st.db.QueryRow(q, args...).Scan(&s); err != nil {
		return time.Time{}, false, st.error(err)
	}
	if !s.Valid {
		return time.Time{}, false, nil
	}
	d, err := time.Parse(dateLayout, s.String)
	if err != nil {
		return time.Time{}, false, st.error(fmt.Errorf("a scan date %q: %w", s.String, err))
	}
	return d, true, nil
}

// record is a Result as runs.result stores it.
type record struct {
	Day        string
	From       string
	Queued     []Planned `json:",omitempty"` // written last by marshalRecord
	Skipped    []Skipped
	Dropped    []Dropped
	Loans      int
	LoansTime  time.Time
	RowErrors  []loans.RowError
	BadRows    int `json:",omitempty"` // 0 in a record from before it was kept: len(RowErrors) then
	Warnings   []string
	LoansError string `json:",omitempty"`
}

// maxStoredRowErrors bounds the bad rows kept per day.
const maxStoredRowErrors = 1000

// recordRun records a scan of day. A complete scan adds its queued notices
// to those of the day's earlier scans and replaces the rest; an
// incomplete one (the loans export could not be read) is recorded only
// when no scan of the day completed.
func (st *store) recordRun(day time.Time, res *Result, complete bool, now time.Time) error {
	date := day.Format(dateLayout)
	rec := record{Day: date, From: civil(res.From).Format(dateLayout), Queued: res.Queued, Skipped: res.Skipped,
		Dropped: res.Dropped, Loans: res.Loans, LoansTime: res.LoansTime, RowErrors: res.RowErrors, BadRows: max(res.BadRows, len(res.RowErrors)),
		Warnings: res.Warnings}
	if len(rec.RowErrors) > maxStoredRowErrors {
		rec.RowErrors = rec.RowErrors[:maxStoredRowErrors]
	}
	if n := rec.BadRows; n > len(rec.RowErrors) {
		rec.Warnings = append(append([]string(nil), rec.Warnings...),
			fmt.Sprintf("the loans export had %d bad rows; the first %d are kept", n, len(rec.RowErrors)))
	}
	if res.LoansError != nil {
		rec.LoansError = res.LoansError.Error()
	}
	tx, err := st.db.Begin()
	if err != nil {
		return st.error(err)
	}
	defer tx.Rollback()
	var prevComplete int
	var prevJSON []byte
	err = tx.QueryRow(`SELECT complete, result FROM runs WHERE scan_date = ?`, date).Scan(&prevComplete, &prevJSON)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return st.error(err)
	case prevComplete == 1 && !complete:
		return nil // the day's scan completed; a failed manual run changes nothing
	case prevComplete == 1:
		var prev record
		if unmarshalRecord(prevJSON, &prev) == nil {
			rec.Queued = append(append([]Planned(nil), prev.Queued...), rec.Queued...)
		}
	}
	data, err := marshalRecord(rec)
	if err != nil {
		return err
	}
	c := 0
	if complete {
		c = 1
	}
	_, err = tx.Exec(`INSERT INTO runs (scan_date, at, complete, queued, skipped, dropped, result) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (scan_date) DO UPDATE SET at = excluded.at, complete = excluded.complete, queued = excluded.queued,
		skipped = excluded.skipped, dropped = excluded.dropped, result = excluded.result`,
		date, now.UnixNano(), c, len(rec.Queued), len(rec.Skipped), len(rec.Dropped), data)
	if err != nil {
		return st.error(err)
	}
	if err := tx.Commit(); err != nil {
		return st.error(err)
	}
	return nil
}

// marshalRecord is rec as gzip-compressed JSON, written without ever
// holding the whole JSON: the notices are encoded one by one into the
// compressor. A day of many notices makes a large record (37,570 notices
// make 23 MB of JSON, about 2 MB compressed), which json.Marshal would
// build in a doubling buffer and SQLite would copy twice more, and which
// the database keeps for two years.
func marshalRecord(rec record) ([]byte, error) {
	queued := rec.Queued
	rec.Queued = nil
	head, err := json.Marshal(rec) // {...} without Queued
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if len(queued) == 0 {
		zw.Write(head)
	} else {
		zw.Write(head[:len(head)-1])
		io.WriteString(zw, `,"Queued":[`)
		enc := json.NewEncoder(zw)
		for i := range queued {
			if i > 0 {
				io.WriteString(zw, ",")
			}
			if err := enc.Encode(&queued[i]); err != nil { // each ends with a newline, which JSON allows
				return nil, err
			}
		}
		io.WriteString(zw, "]}")
	}
	if err := zw.Close(); err != nil { // a bytes.Buffer fails no write
		return nil, err
	}
	return buf.Bytes(), nil
}

// unmarshalRecord reads a record as marshalRecord writes it, or as JSON
// text, as spoolgate wrote it before.
func unmarshalRecord(data []byte, rec *record) error {
	if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) { // gzip's magic; JSON starts with {
		return json.Unmarshal(data, rec)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer zr.Close()
	return json.NewDecoder(zr).Decode(rec)
}

// recorded returns the stored Result of day, or nil.
func (st *store) recorded(day time.Time, loc *time.Location) (*Result, error) {
	if st.db == nil {
		return nil, nil
	}
	var data []byte
	err := st.db.QueryRow(`SELECT result FROM runs WHERE scan_date = ?`, day.Format(dateLayout)).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, st.error(err)
	}
	var rec record
	if err := unmarshalRecord(data, &rec); err != nil {
		return nil, st.error(fmt.Errorf("the record of %s: %w", day.Format(dateLayout), err))
	}
	res := &Result{Day: inLocation(day, loc), From: inLocation(day, loc), Queued: rec.Queued, Skipped: rec.Skipped,
		Dropped: rec.Dropped, Loans: rec.Loans, LoansTime: rec.LoansTime, RowErrors: rec.RowErrors,
		BadRows: max(rec.BadRows, len(rec.RowErrors)), Warnings: rec.Warnings, Counts: map[string]Count{}}
	for _, k := range notice.Kinds() {
		res.Counts[k] = Count{}
	}
	if f, err := time.Parse(dateLayout, rec.From); err == nil {
		res.From = inLocation(f, loc)
	}
	if rec.LoansError != "" {
		res.LoansError = errors.New(rec.LoansError)
	}
	fix := func(items []Item) {
		for i := range items {
			items[i].Due = items[i].Due.In(loc)
		}
	}
	for i := range res.Queued {
		res.Queued[i].For = res.Queued[i].For.In(loc)
		fix(res.Queued[i].Items)
	}
	for i := range res.Skipped {
		fix(res.Skipped[i].Items)
	}
	for i := range res.Dropped {
		res.Dropped[i].For = res.Dropped[i].For.In(loc)
		fix(res.Dropped[i].Items)
	}
	s := &scanner{res: res}
	s.finish()
	return res, nil
}

// purge forgets keys of loans due before a date, and scans two years old.
func (st *store) purge(before time.Time) error {
	if _, err := st.db.Exec(`DELETE FROM notices WHERE due_date < ?`, before.Format(dateLayout)); err != nil {
		return st.error(err)
	}
	if _, err := st.db.Exec(`DELETE FROM runs WHERE scan_date < ?`, before.AddDate(-2, 0, 0).Format(dateLayout)); err != nil {
		return st.error(err)
	}
	return nil
}

// newerError is why a notices.db of schema version v, newer than this
// spoolgate knows, is not opened: a downgrade leaves it untouched.
func newerError(v int) error {
	return fmt.Errorf("the database has schema version %d, newer than this spoolgate knows (%d): a newer spoolgate wrote it, "+
		"and this older one leaves it untouched; install that newer spoolgate again (a downgrade cannot read it)", v, schemaVersion)
}
