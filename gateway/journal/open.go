package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/spoolgate/spoolgate/spool"
)

// ErrClosed is what write methods give their done callback, and what Flush,
// Purge and the reads return, after Close.
var ErrClosed = errors.New("journal: closed")

// schemaVersion is the PRAGMA user_version this build writes. migrate
// brings an older database up to it.
const schemaVersion = 4

// busyTimeout is how long a statement waits for another connection (or
// another process) holding the database lock before failing with "database
// is locked".
const busyTimeout = 5 * time.Second

// maxBatch is the most events one transaction holds.
const maxBatch = 1024

// Journal is an open journal database. Its methods are safe for concurrent
// use.
type Journal struct {
	path string
	o    options
	log  *slog.Logger
	now  func() time.Time // stamps events; time.Now except in tests

	// db is the open database. The writer goroutine alone replaces it
	// (reopen), holding rmu; reads hold rmu for reading while they use
	// it (see reading). Close closes it once the writer has stopped.
	rmu sync.RWMutex
	db  *conns

	mu      sync.Mutex
	queue   []*event
	closed  bool
	wake    chan struct{} // capacity 1: something was queued, or closed
	stopped chan struct{} // closed when the writer goroutine returns

	closeOnce sync.Once
	closeErr  error

	// Owned by the writer goroutine.
	flushErr  error  // first write error since the last Flush
	failing   string // kind of the failure being reported; "" = healthy
	commits   int64  // transactions committed (read by tests after a Flush)
	reopenErr string // the last failure to start a new journal, logged once
}

// conns are the connections to one database file.
type conns struct {
	wdb   *sql.DB   // one connection, used only by the writer goroutine
	wconn *sql.Conn // that connection
	st    stmts
	rdb   *sql.DB // read-only connections for State, Query, LastSent
	// delivered is deliveredBefore, prepared on rdb.
	delivered *sql.Stmt
	// file is the database file they were opened on, as its open file
	// showed it: the writer compares the path with it (os.SameFile) to
	// notice the file deleted or replaced while spoolgate runs.
	file os.FileInfo
}

func (c *conns) close() error {
	return errors.Join(c.st.close(), c.wconn.Close(), c.wdb.Close(), c.delivered.Close(), c.rdb.Close())
}

// FileMode is the mode (on Unix) of the database file and, as SQLite gives
// them the database's, of its -wal and -shm files: read and write for
// spoolgate's account, read for its group, which holds the administrators
// who run spoolgate sent, queue and report (never the library system's
// queue writer: it writes the queue folder only). The journal names
// patrons. Open narrows an older journal's wider mode to it.
const FileMode os.FileMode = 0o640

// options are the knobs tests turn; Open uses the defaults.
type options struct {
	busyTimeout time.Duration
}

// Open opens the journal database at path, creating it (and its schema) if
// it does not exist, with mode FileMode. The parent folder must exist. log
// receives the journal's own messages (write failures and recoveries, and
// a database file deleted while it is open: a new one is begun, so that
// history from then on is kept); nil discards them.
func Open(path string, log *slog.Logger) (*Journal, error) {
	return open(path, log, options{busyTimeout: busyTimeout})
}

func open(path string, log *slog.Logger, o options) (*Journal, error) {
	if path == "" {
		return nil, errors.New("journal: no database path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("journal: database path %q must not contain '?' or '#'", path)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := openConns(path, o, log)
	if err != nil {
		return nil, err
	}
	j := &Journal{
		path:    path,
		o:       o,
		log:     log,
		now:     time.Now,
		db:      c,
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
	}
	go j.writer()
	return j, nil
}

// openConns opens the database at path, making its file first (see
// prepareFile) and its schema.
func openConns(path string, o options, log *slog.Logger) (*conns, error) {
	fi, err := prepareFile(path)
	if err != nil {
		return nil, openError(path, err)
	}
	ms := o.busyTimeout.Milliseconds()
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(0)", ms)

	// The writer: WAL so that readers never wait for it, synchronous=FULL
	// so that a committed transaction survives a power cut, and BEGIN
	// IMMEDIATE so that a transaction takes the write lock up front
	// (waiting up to the busy timeout) instead of failing half way when
	// another process writes.
	wdb, err := sql.Open("sqlite", path+"?"+common+
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, openError(path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	ctx := context.Background()
	wconn, err := wdb.Conn(ctx)
	if err != nil {
		wdb.Close()
		return nil, openError(path, err)
	}
	fail := func(err error) (*conns, error) {
		wconn.Close()
		wdb.Close()
		return nil, openError(path, err)
	}
	if err := migrate(ctx, wconn, path, log); err != nil {
		return fail(err)
	}
	st, err := prepare(ctx, wconn)
	if err != nil {
		return fail(err)
	}

	rdb, err := sql.Open("sqlite", path+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		st.close()
		return fail(err)
	}
	rdb.SetMaxOpenConns(4)
	rdb.SetMaxIdleConns(2)
	if err := rdb.PingContext(ctx); err != nil {
		rdb.Close()
		st.close()
		return fail(err)
	}
	// Prepared once: the gateway runs it for every message it sends.
	delivered, err := rdb.PrepareContext(ctx, deliveredBefore)
	if err != nil {
		rdb.Close()
		st.close()
		return fail(err)
	}
	return &conns{wdb: wdb, wconn: wconn, st: st, rdb: rdb, delivered: delivered, file: fi}, nil
}

// prepareFile makes the database file at path, empty, with mode FileMode
// when it is missing (SQLite would make it with its own, 0644), and
// narrows the mode of an existing one, and of its -wal, -shm and -journal
// files, to FileMode where it is wider and this account owns them (on
// Unix). It returns the file's FileInfo, taken from the open file.
func prepareFile(path string) (os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, FileMode)
	if err == nil {
		// Made by root (spoolgate run by hand in the service's data
		// folder): the service's. SQLite gives the -wal and -shm files
		// the database's owner.
		if err := spool.GiveToFolderOwner(path); err != nil {
			f.Close()
			return nil, err
		}
	}
	if errors.Is(err, fs.ErrExist) {
		f, err = os.Open(path) // a reader (spoolgate sent) may not write it
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return nil, err
	}
	narrow(path, fi)
	for _, sfx := range []string{"-wal", "-shm", "-journal"} {
		if sfi, err := os.Lstat(path + sfx); err == nil && sfi.Mode().IsRegular() {
			narrow(path+sfx, sfi)
		}
	}
	return fi, nil
}

// narrow takes from the file at path the permissions FileMode does not
// give, on Unix; it does nothing where this account may not (it does not
// own the file), nor on Windows, where the data folder's ACL decides.
func narrow(path string, fi os.FileInfo) {
	if runtime.GOOS == "windows" {
		return
	}
	if perm := fi.Mode().Perm(); perm&^FileMode != 0 {
		_ = os.Chmod(path, perm&FileMode)
	}
}

// errNoDatabase is what reads and writes meet while the journal has no
// open database: its file vanished and a new one could not be begun yet.
var errNoDatabase = errors.New("its file was deleted and a new journal could not be begun yet")

// reading returns the open database for a read, and the function to call
// when the read is done; until then the writer does not replace it.
func (j *Journal) reading() (*conns, func(), error) {
	j.rmu.RLock()
	if j.db.rdb == nil {
		j.rmu.RUnlock()
		return nil, nil, j.readError(errNoDatabase)
	}
	return j.db, j.rmu.RUnlock, nil
}

// checkFile makes sure the writer writes to the file at the journal's
// path. When that file was deleted (or replaced) while the journal was
// open, the writes would go on into a file no one can see, and be lost
// at the next start, so the journal logs an error and opens the path
// again: a new journal, empty, in which history from then on is kept.
// It runs on the writer goroutine before each transaction.
func (j *Journal) checkFile() {
	what := "was deleted"
	if j.db.wconn != nil {
		fi, err := os.Stat(j.path)
		if err == nil && os.SameFile(fi, j.db.file) {
			return
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return // cannot tell (a folder that cannot be read); the writes say
		}
		if err == nil {
			what = "was replaced by another file"
		}
		// The new file is made before the old database is closed, so
		// that a path that cannot take one (the data folder deleted
		// too) keeps the old one open: the writes go on, into the
		// deleted file, and are kept if it comes back.
		if _, perr := prepareFile(j.path); perr != nil {
			j.reopenFailed(what, perr)
			return
		}
	}
	j.rmu.Lock()
	defer j.rmu.Unlock()
	var closeErr error
	if j.db.wconn != nil {
		// The old connections close first: they share the -wal and
		// -shm paths with the new file's, and closing checkpoints
		// into the old file and removes them.
		closeErr = j.db.close()
	}
	c, err := openConns(j.path, j.o, j.log)
	if err != nil {
		j.db = &conns{file: j.db.file} // none open; the next transaction tries again
		j.reopenFailed(what, errors.Join(err, closeErr))
		return
	}
	j.db = c
	j.reopenErr = ""
	j.log.Error(fmt.Sprintf("journal: %s %s while spoolgate was running; the history recorded in it is gone. A new journal was begun there, and history from now on is kept in it", j.path, what),
		"path", j.path)
}

// reopenFailed logs, once for each error, that a new journal could not be
// begun after the old one's file vanished.
func (j *Journal) reopenFailed(what string, err error) {
	if err.Error() == j.reopenErr {
		return
	}
	j.reopenErr = err.Error()
	j.log.Error(fmt.Sprintf("journal: %s %s while spoolgate was running, and a new journal cannot be begun there; events are not kept until it can", j.path, what),
		"path", j.path, "err", err)
}

// openError says what went wrong opening the database at path, and what to
// do about a file that is not a usable database.
func openError(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("journal: %s is not a usable SQLite database (%w); "+
				"stop spoolgate, move the file (and any %s-wal, %s-shm) aside and start again to begin a new journal",
				path, err, path, path)
		}
	}
	return fmt.Errorf("journal: opening %s: %w", path, err)
}

// schema is version 1 of the database. Times are Unix nanoseconds; 0 means
// none. upgrades bring it to schemaVersion.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS messages (
		key        TEXT PRIMARY KEY,
		file       TEXT NOT NULL DEFAULT '',
		message_id TEXT NOT NULL DEFAULT '',
		sender     TEXT NOT NULL DEFAULT '',
		subject    TEXT NOT NULL DEFAULT '',
		size       INTEGER NOT NULL DEFAULT 0,
		kind       TEXT NOT NULL DEFAULT '',
		unit       TEXT NOT NULL DEFAULT '',
		status     TEXT NOT NULL,
		attempts   INTEGER NOT NULL DEFAULT 0,
		first_at   INTEGER NOT NULL DEFAULT 0,
		last_at    INTEGER NOT NULL,
		next_at    INTEGER NOT NULL DEFAULT 0,
		server     TEXT NOT NULL DEFAULT '',
		reply      TEXT NOT NULL DEFAULT ''
	)`,
	`CREATE INDEX IF NOT EXISTS messages_last_at ON messages(last_at)`,
	`CREATE TABLE IF NOT EXISTS recipients (
		key    TEXT NOT NULL,
		addr   TEXT NOT NULL,
		status TEXT NOT NULL,
		reply  TEXT NOT NULL DEFAULT '',
		server TEXT NOT NULL DEFAULT '',
		at     INTEGER NOT NULL,
		PRIMARY KEY (key, addr)
	)`,
	`CREATE INDEX IF NOT EXISTS recipients_sent_at ON recipients(at) WHERE status = 'sent'`,
	`CREATE TABLE IF NOT EXISTS events (
		id     INTEGER PRIMARY KEY,
		key    TEXT NOT NULL,
		at     INTEGER NOT NULL,
		event  TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT ''
	)`,
	`CREATE INDEX IF NOT EXISTS events_key ON events(key)`,
}

// ftsSync indexes the rows queued for the trigram indexes (see upgrade3).
// The writer runs it at the end of each transaction; a program that writes
// the tables through SQL should run it before it commits, or its rows are
// found by Search only after the writer's next transaction.
var ftsSync = []string{
	`INSERT INTO recipients_fts (rowid, addr)
		SELECT r.rowid, r.addr FROM recipients_fts_queue q CROSS JOIN recipients r ON r.rowid = q.id`,
	`DELETE FROM recipients_fts_queue`,
	`INSERT INTO messages_fts (rowid, file, subject)
		SELECT m.rowid, m.file, m.subject FROM messages_fts_queue q CROSS JOIN messages m ON m.rowid = q.id`,
	`DELETE FROM messages_fts_queue`,
}

// upgrades[v-1] brings a database of version v to version v+1.
var upgrades = [][]string{
	// 2: the cause of every outcome (package cause), the relay's queue id,
	// and a hash of the file's content so that an identical file is not
	// sent to a recipient twice ([spool] dedupe_window).
	{
		`ALTER TABLE messages ADD COLUMN cause TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE messages ADD COLUMN hash TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE recipients ADD COLUMN cause TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE recipients ADD COLUMN queue_id TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX IF NOT EXISTS messages_hash ON messages(hash) WHERE hash != ''`,
		`CREATE INDEX IF NOT EXISTS recipients_at ON recipients(at)`,
	},
	// 3: the console's search and history (see Search), and its action
	// log (see RecordAction).
	upgrade3,
	// 4: the reports that come back to the return path (see RecordBounce).
	upgrade4,
}

// upgrade3 brings a database to version 3:
//
//   - each event's recipients, server, reply, cause and the relay's queue
//     id in columns of their own, for History;
//   - indexes on each recipient's status and cause, newest first;
//   - bare, the messages that have no recipient (a file refused before it
//     was sent), which Search lists with the recipients;
//   - recipients_fts and messages_fts, FTS5 indexes of trigrams of each
//     address, file name and subject, for substring search: a table scan
//     of a million messages takes seconds, these take milliseconds. They
//     index the tables' own rows (external content, by rowid), so they
//     cost no copy of the text. The triggers below keep bare in step with
//     every write; they queue each new row for the trigram indexes (in
//     recipients_fts_queue and messages_fts_queue), which the writer
//     indexes at the end of each transaction (ftsSync), because FTS5
//     writes out what it holds at every statement that needs a savepoint:
//     indexing row by row made the writer three times slower. A changed
//     or deleted row that is indexed leaves the index at once;
//   - actions, the console's log of what its users did.
//
// The journal never runs VACUUM, which may renumber the rowids the FTS
// indexes point at; after one, run
// INSERT INTO recipients_fts(recipients_fts) VALUES ('rebuild') and the
// same for messages_fts.
var upgrade3 = []string{
	`ALTER TABLE events ADD COLUMN addrs TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE events ADD COLUMN server TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE events ADD COLUMN reply TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE events ADD COLUMN cause TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE events ADD COLUMN queue_id TEXT NOT NULL DEFAULT ''`,
	`CREATE INDEX IF NOT EXISTS recipients_status_at ON recipients(status, at)`,
	`CREATE INDEX IF NOT EXISTS recipients_cause_at ON recipients(cause, at) WHERE cause != ''`,

	// bare holds the rowid of each message without recipients.
	`CREATE TABLE IF NOT EXISTS bare (id INTEGER PRIMARY KEY)`,
	`INSERT OR IGNORE INTO bare (id) SELECT m.rowid FROM messages m
		WHERE NOT EXISTS (SELECT 1 FROM recipients r WHERE r.key = m.key)`,
	`CREATE TRIGGER IF NOT EXISTS messages_bare AFTER INSERT ON messages
		WHEN NOT EXISTS (SELECT 1 FROM recipients WHERE key = new.key)
		BEGIN INSERT OR IGNORE INTO bare (id) VALUES (new.rowid); END`,
	`CREATE TRIGGER IF NOT EXISTS recipients_bare AFTER INSERT ON recipients
		BEGIN DELETE FROM bare WHERE id = (SELECT rowid FROM messages WHERE key = new.key); END`,
	`CREATE TRIGGER IF NOT EXISTS messages_unbare AFTER DELETE ON messages
		BEGIN DELETE FROM bare WHERE id = old.rowid; END`,

	`CREATE VIRTUAL TABLE IF NOT EXISTS recipients_fts USING fts5(addr,
		content='recipients', content_rowid='rowid', tokenize='trigram', detail='full')`,
	`INSERT INTO recipients_fts (recipients_fts) VALUES ('rebuild')`,
	`CREATE TABLE IF NOT EXISTS recipients_fts_queue (id INTEGER PRIMARY KEY)`,
	`CREATE TRIGGER IF NOT EXISTS recipients_fts_ins AFTER INSERT ON recipients
		BEGIN INSERT OR IGNORE INTO recipients_fts_queue (id) VALUES (new.rowid); END`,
	`CREATE TRIGGER IF NOT EXISTS recipients_fts_del AFTER DELETE ON recipients BEGIN
		INSERT INTO recipients_fts (recipients_fts, rowid, addr) SELECT 'delete', old.rowid, old.addr
			WHERE NOT EXISTS (SELECT 1 FROM recipients_fts_queue WHERE id = old.rowid);
		DELETE FROM recipients_fts_queue WHERE id = old.rowid;
	END`,
	`CREATE TRIGGER IF NOT EXISTS recipients_fts_upd AFTER UPDATE OF addr ON recipients
		WHEN old.addr IS NOT new.addr BEGIN
		INSERT INTO recipients_fts (recipients_fts, rowid, addr) SELECT 'delete', old.rowid, old.addr
			WHERE NOT EXISTS (SELECT 1 FROM recipients_fts_queue WHERE id = old.rowid);
		INSERT OR IGNORE INTO recipients_fts_queue (id) VALUES (new.rowid);
	END`,

	`CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(file, subject,
		content='messages', content_rowid='rowid', tokenize='trigram', detail='full')`,
	`INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')`,
	`CREATE TABLE IF NOT EXISTS messages_fts_queue (id INTEGER PRIMARY KEY)`,
	`CREATE TRIGGER IF NOT EXISTS messages_fts_ins AFTER INSERT ON messages
		BEGIN INSERT OR IGNORE INTO messages_fts_queue (id) VALUES (new.rowid); END`,
	`CREATE TRIGGER IF NOT EXISTS messages_fts_del AFTER DELETE ON messages BEGIN
		INSERT INTO messages_fts (messages_fts, rowid, file, subject) SELECT 'delete', old.rowid, old.file, old.subject
			WHERE NOT EXISTS (SELECT 1 FROM messages_fts_queue WHERE id = old.rowid);
		DELETE FROM messages_fts_queue WHERE id = old.rowid;
	END`,
	`CREATE TRIGGER IF NOT EXISTS messages_fts_upd AFTER UPDATE OF file, subject ON messages
		WHEN old.file IS NOT new.file OR old.subject IS NOT new.subject BEGIN
		INSERT INTO messages_fts (messages_fts, rowid, file, subject) SELECT 'delete', old.rowid, old.file, old.subject
			WHERE NOT EXISTS (SELECT 1 FROM messages_fts_queue WHERE id = old.rowid);
		INSERT OR IGNORE INTO messages_fts_queue (id) VALUES (new.rowid);
	END`,

	`CREATE TABLE IF NOT EXISTS actions (
		id     INTEGER PRIMARY KEY,
		at     INTEGER NOT NULL,
		user   TEXT NOT NULL DEFAULT '',
		addr   TEXT NOT NULL DEFAULT '',
		what   TEXT NOT NULL DEFAULT '',
		target TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT '',
		ok     INTEGER NOT NULL DEFAULT 0
	)`,
	`CREATE INDEX IF NOT EXISTS actions_at ON actions(at)`,
}

// migrate creates the schema or brings it up to schemaVersion, in one
// immediate transaction so that two processes opening a new database at
// once do not trip over each other.
func migrate(ctx context.Context, c *sql.Conn, path string, log *slog.Logger) error {
	// Reading the version is the first access to the file: a file that is
	// not a database fails here.
	var v int
	if err := c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v == schemaVersion {
		return nil
	}
	if v > schemaVersion {
		return fmt.Errorf("the database has schema version %d, newer than this spoolgate knows (%d): a newer spoolgate wrote it, "+
			"and this older one leaves it untouched; install that newer spoolgate again (a downgrade cannot read it)", v, schemaVersion)
	}
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	from := 0 // the version upgraded from, when this call upgraded it
	err := func() error {
		// Another process may have migrated while this one waited.
		if err := c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return err
		}
		if v >= schemaVersion {
			return nil
		}
		from = v
		// Version 0 is a new (or empty) database.
		if v == 0 {
			for _, s := range schema {
				if _, err := c.ExecContext(ctx, s); err != nil {
					return fmt.Errorf("creating schema: %w", err)
				}
			}
			v = 1
		}
		for ; v < schemaVersion; v++ {
			for _, s := range upgrades[v-1] {
				if _, err := c.ExecContext(ctx, s); err != nil {
					return fmt.Errorf("upgrading the schema to version %d: %w", v+1, err)
				}
			}
		}
		_, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion))
		return err
	}()
	if err != nil {
		c.ExecContext(ctx, "ROLLBACK")
		return err
	}
	_, err = c.ExecContext(ctx, "COMMIT")
	if err != nil {
		c.ExecContext(ctx, "ROLLBACK")
		return err
	}
	if from > 0 && log != nil { // not for a new database
		log.Info("journal: brought the database up to date", "path", path, "from_schema", from, "to_schema", schemaVersion)
	}
	return nil
}

// Close commits every queued event, stops the writer and closes the
// database. It returns the first write error since the last Flush, if any.
// Write methods called after Close give their done callback ErrClosed.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		// The final flush and the closing are one step, so that nothing
		// queued before Close escapes the error it returns.
		e := &event{kind: evFlush, reply: make(chan outcome, 1)}
		j.mu.Lock()
		j.queue = append(j.queue, e)
		j.closed = true
		j.mu.Unlock()
		j.signal()
		ferr := (<-e.reply).err
		<-j.stopped
		var cerr error
		if j.db.wconn != nil {
			cerr = j.db.close()
		}
		j.closeErr = errors.Join(ferr, cerr)
	})
	return j.closeErr
}
