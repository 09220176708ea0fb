package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

type eventKind int

const (
	evClaimed eventKind = iota
	evAttempt
	evBegin
	evRecord
	evRetried
	evPurge
	evAction
	evBounce
	evForget // reply: how many bounces it forgot (in purged)
	evFlush  // no write: reports the errors since the last flush
	evThen   // no write: calls done once the events before it are committed
)

// event is one queued write.
type event struct {
	kind   eventKind
	at     int64 // Unix nanoseconds, stamped when queued
	claim  Claim
	key    string
	server string
	to     []string
	out    Outcome
	action Action
	bounce Bounce
	before int64        // evPurge
	bad    error        // a bad event, not written: its own error
	purged int64        // evPurge: messages deleted
	done   func(error)  // may be nil
	reply  chan outcome // evFlush, evPurge; capacity 1
}

type outcome struct {
	n   int64
	err error
}

// Claimed records that a message was taken from the queue (status queued).
// Claiming a key that is already known changes only the message's
// description (file, sender, subject...), never its status or attempts, and
// adds recipients not seen before.
//
// done, if not nil, runs on the writer goroutine once the event is durable
// (err nil) or could not be written; it must be quick and must not call
// Flush, Purge or Close (which wait for the writer), though it may call the
// other write methods and the reads.
func (j *Journal) Claimed(c Claim, done func(error)) {
	c.To = slices.Clone(c.To)
	j.push(&event{kind: evClaimed, key: c.Key, claim: c, done: done})
}

// Attempt records that the message is about to be sent to the recipients
// to (all recipients not yet sent or failed, if to is empty) through
// server: attempts is incremented, the first attempt time is set if unset,
// and the message and those recipients become attempted. Record it before
// the relay may receive DATA, so that recovery after a crash knows the
// message may have gone out. done is as for Claimed.
func (j *Journal) Attempt(key, server string, to []string, done func(error)) {
	j.push(&event{kind: evAttempt, key: key, server: server, to: slices.Clone(to), done: done})
}

// Begin is Claimed and Attempt in one event: the message c is taken from
// the queue and is about to be sent to to (which must not be empty)
// through server. It is what a delivery records before the relay may
// receive DATA; it writes in 2 + len(c.To) statements what the two events
// write in 6 + 2·len(c.To). The recipients of c not in to are recorded as
// Claimed records them. done is as for Claimed.
func (j *Journal) Begin(c Claim, server string, to []string, done func(error)) {
	c.To = slices.Clone(c.To)
	e := &event{kind: evBegin, key: c.Key, claim: c, server: server, to: slices.Clone(to), done: done}
	if len(to) == 0 {
		e.bad = fmt.Errorf("journal: Begin for %s names no recipients", c.Key)
	}
	j.push(e)
}

// Record records what the relay said about the recipients o.To (all
// recipients not yet sent or failed, if o.To is empty); the message's
// status follows from its recipients' (see messageStatus). done is as for
// Claimed.
func (j *Journal) Record(o Outcome, done func(error)) {
	o.To = slices.Clone(o.To)
	e := &event{kind: evRecord, key: o.Key, out: o, done: done}
	switch o.Status {
	case StatusSent, StatusDeferred, StatusFailed, StatusSkipped:
	default:
		e.bad = fmt.Errorf("journal: outcome for %s has status %q, want sent, deferred, failed or skipped", o.Key, o.Status)
	}
	j.push(e)
}

// Retried records that an administrator put a refused message back in the
// queue: the message and its recipients not yet sent become queued again.
// done is as for Claimed.
func (j *Journal) Retried(key string, done func(error)) {
	j.push(&event{kind: evRetried, key: key, done: done})
}

// Then calls done, on the writer goroutine, once every event queued before
// it is committed (err nil) or could not be written, without waiting for
// that: so a caller can act on what is durable without holding up its
// own work. done is as for Claimed.
func (j *Journal) Then(done func(error)) {
	j.push(&event{kind: evThen, done: done})
}

// Flush waits until every event queued before it is committed (or failed)
// and returns the first write error since the previous Flush, or nil.
func (j *Journal) Flush() error {
	e := &event{kind: evFlush, reply: make(chan outcome, 1)}
	if !j.enqueue(e) {
		return ErrClosed
	}
	return (<-e.reply).err
}

// Purge deletes the messages whose last event is older than before, with
// their recipients and events, and the actions (RecordAction) older than
// before, and returns how many messages it deleted. It
// is ordered with the other writes: an event queued before Purge that
// touches a message keeps it.
func (j *Journal) Purge(before time.Time) (int64, error) {
	e := &event{kind: evPurge, before: nanos(before), reply: make(chan outcome, 1)}
	if !j.enqueue(e) {
		return 0, ErrClosed
	}
	r := <-e.reply
	return r.n, r.err
}

// Pending is how many events wait for the writer. A producer that outruns
// the disk can wait on Flush when it grows, so memory stays bounded.
func (j *Journal) Pending() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.queue)
}

// push queues e, or fails it with ErrClosed after Close.
func (j *Journal) push(e *event) {
	if !j.enqueue(e) && e.done != nil {
		e.done(ErrClosed)
	}
}

// enqueue appends e to the writer's queue, stamping its time, and reports
// false if the journal is closed. The queue is unbounded, so enqueue never
// blocks on the writer: a done callback may queue events without risk of
// deadlock. (The gateway's rate limit keeps the queue short.)
func (j *Journal) enqueue(e *event) bool {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return false
	}
	e.at = j.now().UnixNano()
	j.queue = append(j.queue, e)
	j.mu.Unlock()
	j.signal()
	return true
}

func (j *Journal) signal() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// writer commits the queued events in groups, in queue order, until the
// journal is closed and the queue is empty.
func (j *Journal) writer() {
	defer close(j.stopped)
	var batch []*event
	for {
		j.mu.Lock()
		for len(j.queue) == 0 && !j.closed {
			j.mu.Unlock()
			<-j.wake
			j.mu.Lock()
		}
		if len(j.queue) == 0 {
			j.mu.Unlock()
			return
		}
		n := min(len(j.queue), maxBatch)
		batch = append(batch[:0], j.queue[:n]...)
		clear(j.queue[:n])
		j.queue = j.queue[n:]
		if len(j.queue) == 0 {
			j.queue = nil // let the old array go
		}
		j.mu.Unlock()

		j.commit(batch)
		clear(batch)
	}
}

// commit writes batch in one transaction, then tells each event's waiter
// the result, in order. No lock is held while callbacks run.
func (j *Journal) commit(batch []*event) {
	writes := slices.ContainsFunc(batch, func(e *event) bool { return e.kind != evFlush && e.kind != evThen && e.bad == nil })
	var txErr error
	if writes {
		j.checkFile()
		if txErr = j.apply(batch); txErr != nil {
			txErr = fmt.Errorf("journal %s: %w", j.path, txErr)
		}
		j.report(txErr)
	}
	for _, e := range batch {
		err := txErr
		if e.bad != nil {
			err = e.bad
		}
		if e.kind == evFlush {
			e.reply <- outcome{err: j.flushErr}
			j.flushErr = nil
			continue
		}
		if err != nil && j.flushErr == nil {
			j.flushErr = err
		}
		switch {
		case e.reply != nil: // evPurge
			if err != nil {
				e.purged = 0
			}
			e.reply <- outcome{n: e.purged, err: err}
		case e.done != nil:
			e.done(err)
		}
	}
}

// apply runs batch in one immediate transaction and commits it.
func (j *Journal) apply(batch []*event) error {
	ctx := context.Background()
	c := j.db.wconn
	if c == nil {
		return errNoDatabase
	}
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	for _, e := range batch {
		if err := j.applyOne(ctx, e); err != nil {
			c.ExecContext(ctx, "ROLLBACK") // may fail if SQLite already rolled back
			return err
		}
	}
	for _, st := range j.db.st.ftsSync {
		if _, err := st.ExecContext(ctx); err != nil {
			c.ExecContext(ctx, "ROLLBACK")
			return err
		}
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		// A failed COMMIT can leave the transaction open.
		c.ExecContext(ctx, "ROLLBACK")
		return err
	}
	j.commits++
	return nil
}

func (j *Journal) applyOne(ctx context.Context, e *event) error {
	if e.bad != nil {
		return nil
	}
	switch e.kind {
	case evClaimed:
		return j.applyClaimed(ctx, e)
	case evAttempt:
		return j.applyAttempt(ctx, e)
	case evBegin:
		return j.applyBegin(ctx, e)
	case evRecord:
		return j.applyRecord(ctx, e)
	case evRetried:
		return j.applyRetried(ctx, e)
	case evPurge:
		return j.applyPurge(ctx, e)
	case evAction:
		return j.applyAction(ctx, e)
	case evBounce:
		return j.applyBounce(ctx, e)
	case evForget:
		return j.applyForget(ctx, e)
	}
	return nil
}

func (j *Journal) applyClaimed(ctx context.Context, e *event) error {
	c := e.claim
	res, err := j.db.st.claimIns.ExecContext(ctx, c.Key, c.File, c.MessageID, c.From, c.Subject, c.Size, c.Kind, c.Unit, e.at, c.Hash)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		// Known already: refresh the description only.
		if _, err := j.db.st.claimUpd.ExecContext(ctx, c.File, c.MessageID, c.From, c.Subject, c.Size, c.Kind, c.Unit, c.Hash, c.Key); err != nil {
			return err
		}
	}
	for _, a := range c.To {
		if _, err := j.db.st.rcptQueued.ExecContext(ctx, c.Key, a, "", e.at); err != nil {
			return err
		}
	}
	if n == 0 {
		return nil
	}
	return j.note(ctx, e, "claimed", fmt.Sprintf("file=%s from=<%s> to=%s", c.File, c.From, strings.Join(c.To, ",")),
		noteOf{to: c.To})
}

func (j *Journal) applyAttempt(ctx context.Context, e *event) error {
	if len(e.to) == 0 {
		if _, err := j.db.st.rcptAllAttempted.ExecContext(ctx, e.server, e.at, e.key); err != nil {
			return err
		}
	}
	for _, a := range e.to {
		if _, err := j.db.st.rcptAttempted.ExecContext(ctx, e.key, a, e.server, e.at); err != nil {
			return err
		}
	}
	if err := j.updateOrStub(ctx, e, j.db.st.attemptUpd, e.at, e.server, e.key); err != nil {
		return err
	}
	return j.note(ctx, e, "attempt", fmt.Sprintf("server=%s to=%s", e.server, strings.Join(e.to, ",")),
		noteOf{to: e.to, server: e.server})
}

func (j *Journal) applyBegin(ctx context.Context, e *event) error {
	c := e.claim
	if _, err := j.db.st.begin.ExecContext(ctx, c.Key, c.File, c.MessageID, c.From, c.Subject, c.Size, c.Kind, c.Unit, e.at, e.server, c.Hash); err != nil {
		return err
	}
	// Sets, not slices.Contains: a message may have thousands of recipients.
	attempted, claimed := setOf(e.to), setOf(c.To)
	for _, a := range c.To {
		st := j.db.st.rcptQueued
		if attempted[a] {
			st = j.db.st.rcptAttempted
		}
		if _, err := st.ExecContext(ctx, c.Key, a, e.server, e.at); err != nil {
			return err
		}
	}
	for _, a := range e.to {
		if !claimed[a] {
			if _, err := j.db.st.rcptAttempted.ExecContext(ctx, c.Key, a, e.server, e.at); err != nil {
				return err
			}
		}
	}
	return j.note(ctx, e, "attempt", fmt.Sprintf("server=%s file=%s from=<%s> to=%s", e.server, c.File, c.From, strings.Join(e.to, ",")),
		noteOf{to: e.to, server: e.server})
}

func (j *Journal) applyRecord(ctx context.Context, e *event) error {
	o := e.out
	if len(o.To) == 0 {
		if _, err := j.db.st.rcptAllOutcome.ExecContext(ctx, string(o.Status), o.Reply, o.Server, e.at, o.Cause, o.QueueID, o.Key); err != nil {
			return err
		}
	}
	for _, a := range o.To {
		if _, err := j.db.st.rcptOutcome.ExecContext(ctx, o.Key, a, string(o.Status), o.Reply, o.Server, e.at, o.Cause, o.QueueID); err != nil {
			return err
		}
	}
	var next int64
	if o.Status == StatusDeferred {
		next = nanos(o.Next)
	}
	if err := j.updateOrStub(ctx, e, j.db.st.recordUpd, string(o.Status), o.Server, o.Reply, e.at, next, o.Key, o.Cause); err != nil {
		return err
	}
	detail := fmt.Sprintf("to=%s server=%s reply=%s", strings.Join(o.To, ","), o.Server, o.Reply)
	if o.Cause != "" {
		detail += " cause=" + o.Cause
	}
	if next != 0 {
		detail += " next=" + o.Next.UTC().Format(time.RFC3339)
	}
	return j.note(ctx, e, string(o.Status), detail,
		noteOf{to: o.To, server: o.Server, reply: o.Reply, cause: o.Cause, queueID: o.QueueID})
}

func (j *Journal) applyRetried(ctx context.Context, e *event) error {
	if _, err := j.db.st.rcptRequeued.ExecContext(ctx, e.at, e.key); err != nil {
		return err
	}
	if err := j.updateOrStub(ctx, e, j.db.st.retriedUpd, e.at, e.key); err != nil {
		return err
	}
	return j.note(ctx, e, "retried", "", noteOf{})
}

func (j *Journal) applyPurge(ctx context.Context, e *event) error {
	c := j.db.wconn
	for _, q := range []string{
		`DELETE FROM recipients WHERE key IN (SELECT key FROM messages WHERE last_at < ?)`,
		`DELETE FROM events WHERE key IN (SELECT key FROM messages WHERE last_at < ?)`,
	} {
		if _, err := c.ExecContext(ctx, q, e.before); err != nil {
			return err
		}
	}
	if _, err := c.ExecContext(ctx, `DELETE FROM actions WHERE at < ?`, e.before); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, `DELETE FROM bounces WHERE at < ?`, e.before); err != nil {
		return err
	}
	res, err := c.ExecContext(ctx, `DELETE FROM messages WHERE last_at < ?`, e.before)
	if err != nil {
		return err
	}
	e.purged, err = res.RowsAffected()
	return err
}

// updateOrStub runs the update upd, whose last argument is the key; if the
// message is unknown (an event without a Claimed before it) it first adds a
// bare message so that nothing is lost.
func (j *Journal) updateOrStub(ctx context.Context, e *event, upd *sql.Stmt, args ...any) error {
	res, err := upd.ExecContext(ctx, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	if _, err := j.db.st.stub.ExecContext(ctx, e.key, e.at); err != nil {
		return err
	}
	_, err = upd.ExecContext(ctx, args...)
	return err
}

// noteOf is what an event row holds besides its kind and detail.
type noteOf struct {
	to                            []string
	server, reply, cause, queueID string
}

func (j *Journal) note(ctx context.Context, e *event, what, detail string, n noteOf) error {
	_, err := j.db.st.event.ExecContext(ctx, e.key, e.at, what, detail,
		strings.Join(n.to, ","), n.server, n.reply, n.cause, n.queueID)
	return err
}

// messageStatus is the SQL expression for a message's status given its
// recipients' statuses (?1, the status just recorded, when it has none):
// deferred while any recipient is deferred; attempted while any has no
// outcome yet; sent once every recipient is sent (or skipped: they had it
// already); partly-sent when some are sent and the rest failed; failed
// when all failed. ?6 is the message's key.
const messageStatus = `COALESCE((SELECT CASE
		WHEN count(*) = 0 THEN NULL
		WHEN sum(status = 'deferred') > 0 THEN 'deferred'
		WHEN sum(status NOT IN ('sent', 'failed', 'skipped')) > 0 THEN 'attempted'
		WHEN sum(status = 'failed') = 0 THEN 'sent'
		WHEN sum(status IN ('sent', 'skipped')) > 0 THEN 'partly-sent'
		ELSE 'failed' END
	FROM recipients WHERE key = ?6), CASE ?1 WHEN 'skipped' THEN 'sent' ELSE ?1 END)`

// report logs a failed commit once per kind of failure, and the first
// success after a failure.
func (j *Journal) report(err error) {
	if err == nil {
		if j.failing != "" {
			j.log.Info(fmt.Sprintf("journal: writing to %s works again", j.path), "path", j.path)
			j.failing = ""
		}
		return
	}
	kind, hint := describe(err)
	if kind == j.failing {
		return
	}
	j.failing = kind
	j.log.Error(fmt.Sprintf("journal: cannot write to %s (%s); events are not being recorded until this is fixed", j.path, hint),
		"path", j.path, "err", err)
}

// describe classifies a write error: its kind (for logging once per kind)
// and what to do about it.
func describe(err error) (kind, hint string) {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return "other: " + err.Error(), "unexpected error"
	}
	code := se.Code() & 0xff
	kind = fmt.Sprintf("sqlite %d", code)
	switch code {
	case sqlite3.SQLITE_FULL:
		return kind, "the disk is full; free some space"
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return kind, "the database is locked by another program"
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN:
		return kind, "the database cannot be written; check the permissions of the file and its folder"
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return kind, "the database file is damaged; stop spoolgate and move it aside"
	case sqlite3.SQLITE_IOERR:
		return kind, "the disk reported an input/output error"
	}
	return kind, "database error"
}

// stmts are the writer's prepared statements. Times are Unix nanoseconds.
type stmts struct {
	claimIns, claimUpd, stub, event, begin, action  *sql.Stmt
	rcptQueued, rcptAttempted, rcptAllAttempted     *sql.Stmt
	rcptOutcome, rcptAllOutcome                     *sql.Stmt
	rcptRequeued, attemptUpd, recordUpd, retriedUpd *sql.Stmt
	ftsSync                                         []*sql.Stmt // see ftsSync
	all                                             []*sql.Stmt
}

func prepare(ctx context.Context, c *sql.Conn) (stmts, error) {
	var s stmts
	var err error
	p := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = c.PrepareContext(ctx, q)
		if err == nil {
			s.all = append(s.all, st)
		}
		return st
	}
	s.claimIns = p(`INSERT INTO messages (key, file, message_id, sender, subject, size, kind, unit, status, last_at, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?) ON CONFLICT (key) DO NOTHING`)
	s.claimUpd = p(`UPDATE messages SET file = ?, message_id = ?, sender = ?, subject = ?, size = ?, kind = ?, unit = ?, hash = ?
		WHERE key = ?`)
	s.stub = p(`INSERT INTO messages (key, status, last_at) VALUES (?, 'queued', ?) ON CONFLICT (key) DO NOTHING`)
	s.event = p(`INSERT INTO events (key, at, event, detail, addrs, server, reply, cause, queue_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	s.action = p(`INSERT INTO actions (at, user, addr, what, target, detail, ok) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	// rcptQueued and rcptAttempted take the same arguments: key, addr,
	// server (unused by rcptQueued), at.
	s.rcptQueued = p(`INSERT INTO recipients (key, addr, status, at) VALUES (?1, ?2, 'queued', ?4)
		ON CONFLICT (key, addr) DO NOTHING`)
	s.rcptAttempted = p(`INSERT INTO recipients (key, addr, status, server, at) VALUES (?, ?, 'attempted', ?, ?)
		ON CONFLICT (key, addr) DO UPDATE SET status = 'attempted', server = excluded.server, at = excluded.at`)
	s.rcptAllAttempted = p(`UPDATE recipients SET status = 'attempted', server = ?, at = ?
		WHERE key = ? AND status NOT IN ('sent', 'failed', 'skipped')`)
	s.rcptOutcome = p(`INSERT INTO recipients (key, addr, status, reply, server, at, cause, queue_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key, addr) DO UPDATE SET status = excluded.status, reply = excluded.reply,
			server = excluded.server, at = excluded.at, cause = excluded.cause, queue_id = excluded.queue_id`)
	s.rcptAllOutcome = p(`UPDATE recipients SET status = ?, reply = ?, server = ?, at = ?, cause = ?, queue_id = ?
		WHERE key = ? AND status NOT IN ('sent', 'failed', 'skipped')`)
	s.rcptRequeued = p(`UPDATE recipients SET status = 'queued', at = ? WHERE key = ? AND status NOT IN ('sent', 'skipped')`)
	s.begin = p(`INSERT INTO messages (key, file, message_id, sender, subject, size, kind, unit, status, attempts, first_at, last_at, server, hash)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'attempted', 1, ?9, ?9, ?10, ?11)
		ON CONFLICT (key) DO UPDATE SET file = excluded.file, message_id = excluded.message_id, sender = excluded.sender,
			subject = excluded.subject, size = excluded.size, kind = excluded.kind, unit = excluded.unit, hash = excluded.hash,
			attempts = attempts + 1, first_at = CASE WHEN first_at = 0 THEN excluded.first_at ELSE first_at END,
			last_at = excluded.last_at, next_at = 0, status = 'attempted', server = excluded.server`)
	s.attemptUpd = p(`UPDATE messages SET attempts = attempts + 1,
		first_at = CASE WHEN first_at = 0 THEN ?1 ELSE first_at END,
		last_at = ?1, next_at = 0, status = 'attempted', server = ?2 WHERE key = ?3`)
	// A message's cause is that of its last outcome that was not a
	// success; a sent or skipped outcome keeps it.
	s.recordUpd = p(`UPDATE messages SET status = ` + messageStatus + `,
		server = ?2, reply = ?3, last_at = ?4, next_at = ?5,
		cause = CASE WHEN ?1 IN ('sent', 'skipped') THEN cause ELSE ?7 END WHERE key = ?6`)
	s.retriedUpd = p(`UPDATE messages SET status = 'queued', next_at = 0, first_at = 0, last_at = ? WHERE key = ?`)
	for _, q := range ftsSync {
		s.ftsSync = append(s.ftsSync, p(q))
	}
	if err != nil {
		s.close()
		return stmts{}, fmt.Errorf("preparing statements: %w", err)
	}
	return s, nil
}

func (s stmts) close() error {
	var errs []error
	for _, st := range s.all {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

func setOf(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, x := range list {
		m[x] = true
	}
	return m
}

// nanos is t in Unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
