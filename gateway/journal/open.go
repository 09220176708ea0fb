package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrClosed is what write methods give their done callback, and what Flush,
// Purge and the reads return, after Close.
var ErrClosed = errors.New("journal: closed")

// schemaVersion is the PRAGMA user_version this build writes. migrate
// brings an older database up to it.
const schemaVersion = 2

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
	log  *slog.Logger
	now  func() time.Time // stamps events; time.Now except in tests

	wdb   *sql.DB   // one connection, used only by the writer goroutine
	wconn *sql.Conn // that connection
	st    stmts
	rdb   *sql.DB // read-only connections for State, Query, LastSent
	// delivered is deliveredBefore, prepared on rdb.
	delivered *sql.Stmt

	mu      sync.Mutex
	queue   []*event
	closed  bool
	wake    chan struct{} // capacity 1: something was queued, or closed
	stopped chan struct{} // closed when the writer goroutine returns

	closeOnce sync.Once
	closeErr  error

	// Owned by the writer goroutine.
	flushErr error  // first write error since the last Flush
	failing  string // kind of the failure being reported; "" = healthy
	commits  int64  // transactions committed (read by tests after a Flush)
}

// options are the knobs tests turn; Open uses the defaults.
type options struct {
	busyTimeout time.Duration
}

// Open opens the journal database at path, creating it (and its schema) if
// it does not exist. The parent folder must exist. log receives the
// journal's own messages (write failures and recoveries); nil discards
// them.
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
	fail := func(err error) (*Journal, error) {
		wconn.Close()
		wdb.Close()
		return nil, openError(path, err)
	}
	if err := migrate(ctx, wconn); err != nil {
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

	j := &Journal{
		path:      path,
		log:       log,
		now:       time.Now,
		wdb:       wdb,
		wconn:     wconn,
		st:        st,
		rdb:       rdb,
		delivered: delivered,
		wake:      make(chan struct{}, 1),
		stopped:   make(chan struct{}),
	}
	go j.writer()
	return j, nil
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
}

// migrate creates the schema or brings it up to schemaVersion, in one
// immediate transaction so that two processes opening a new database at
// once do not trip over each other.
func migrate(ctx context.Context, c *sql.Conn) error {
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
		return fmt.Errorf("the database has schema version %d, newer than this spoolgate knows (%d); use a newer spoolgate", v, schemaVersion)
	}
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	err := func() error {
		// Another process may have migrated while this one waited.
		if err := c.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return err
		}
		if v >= schemaVersion {
			return nil
		}
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
	}
	return err
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
		j.closeErr = errors.Join(ferr, j.st.close(), j.wconn.Close(), j.wdb.Close(), j.delivered.Close(), j.rdb.Close())
	})
	return j.closeErr
}
