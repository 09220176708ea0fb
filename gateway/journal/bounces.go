package journal

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Bounce is one report that came back to the return path about one
// recipient of a message spoolgate sent (package bounce reads it, package
// bounces matches and records it): it bounced (Class hard, soft or
// policy), was delivered, or is delayed.
type Bounce struct {
	// MailID identifies the report mail itself (its Message-ID, or a hash
	// of its bytes): a report already recorded is never counted again,
	// however often the mailbox is read.
	MailID string
	// Key is the message it reports on, "" when it matched none.
	Key        string
	Address    string // the recipient, as the report names it
	Outcome    Status // StatusBounced, StatusDelivered or StatusDelayed
	Class      string // hard, soft or policy, for a bounce
	Status     string // the enhanced status code, e.g. 5.1.1
	Diagnostic string
	RemoteMTA  string
	Reporter   string    // the server that wrote the report
	At         time.Time // when the report says it happened (or when it was read)
	// Read is when spoolgate read it; zero = when RecordBounce was called.
	Read time.Time
}

// outcomeRank orders the outcomes, so that a later report of a lower one
// (a delay after a bounce) does not overwrite a higher one.
const outcomeRank = `CASE ?1 WHEN 'bounced' THEN 3 WHEN 'delivered' THEN 2 WHEN 'delayed' THEN 1 ELSE 0 END`

// upgrade4 adds the reports that come back to the return path: each
// recipient's outcome after the relay took it, and the reports
// themselves, once each; and an index to find a message by the
// Message-ID a report returns.
var upgrade4 = []string{
	`ALTER TABLE recipients ADD COLUMN outcome TEXT NOT NULL DEFAULT ''`,
	`CREATE INDEX IF NOT EXISTS recipients_outcome_at ON recipients(outcome, at) WHERE outcome != ''`,
	`CREATE INDEX IF NOT EXISTS messages_message_id ON messages(message_id) WHERE message_id != ''`,
	`CREATE TABLE IF NOT EXISTS bounces (
		id         INTEGER PRIMARY KEY,
		mail_id    TEXT NOT NULL,
		key        TEXT NOT NULL DEFAULT '',
		addr       TEXT NOT NULL,
		outcome    TEXT NOT NULL,
		class      TEXT NOT NULL DEFAULT '',
		status     TEXT NOT NULL DEFAULT '',
		diagnostic TEXT NOT NULL DEFAULT '',
		remote_mta TEXT NOT NULL DEFAULT '',
		reporter   TEXT NOT NULL DEFAULT '',
		at         INTEGER NOT NULL,
		read_at    INTEGER NOT NULL,
		forgotten  INTEGER NOT NULL DEFAULT 0,
		UNIQUE (mail_id, addr)
	)`,
	`CREATE INDEX IF NOT EXISTS bounces_addr ON bounces(addr, at)`,
	`CREATE INDEX IF NOT EXISTS bounces_key ON bounces(key)`,
	`CREATE INDEX IF NOT EXISTS bounces_at ON bounces(at)`,
}

// RecordBounce records the report b through the writer, in order with
// the other events, once: a report (MailID and Address) already recorded
// is left as it is. With a Key, the recipient's Outcome becomes b's,
// unless a report of a higher outcome came before (bounced over delivered
// over delayed), and the message's history gets the event. done is as for
// Claimed.
func (j *Journal) RecordBounce(b Bounce, done func(error)) {
	e := &event{kind: evBounce, bounce: b, done: done}
	if b.MailID == "" || b.Address == "" {
		e.bad = fmt.Errorf("journal: a bounce needs the report's id and the recipient")
	}
	switch b.Outcome {
	case StatusBounced, StatusDelivered, StatusDelayed:
	default:
		e.bad = fmt.Errorf("journal: a bounce's outcome is bounced, delivered or delayed, not %q", b.Outcome)
	}
	j.push(e)
}

func (j *Journal) applyBounce(ctx context.Context, e *event) error {
	b := e.bounce
	c := j.db.wconn
	at, read := e.at, e.at
	if !b.At.IsZero() {
		at = nanos(b.At)
	}
	if !b.Read.IsZero() {
		read = nanos(b.Read)
	}
	addr := asciiLower(strings.TrimSpace(b.Address))
	res, err := c.ExecContext(ctx, `INSERT INTO bounces (mail_id, key, addr, outcome, class, status, diagnostic, remote_mta, reporter, at, read_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mail_id, addr) DO NOTHING`,
		b.MailID, b.Key, addr, string(b.Outcome), b.Class, b.Status, b.Diagnostic, b.RemoteMTA, b.Reporter, at, read)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 || b.Key == "" {
		return err // known already, or about no message of the journal
	}
	if _, err := c.ExecContext(ctx, `UPDATE recipients SET outcome = ?1
		WHERE key = ?2 AND lower(addr) = ?3 AND `+outcomeRank+` > CASE outcome WHEN 'bounced' THEN 3 WHEN 'delivered' THEN 2 WHEN 'delayed' THEN 1 ELSE 0 END`,
		string(b.Outcome), b.Key, addr); err != nil {
		return err
	}
	detail := fmt.Sprintf("to=%s status=%s class=%s remote=%s diagnostic=%s", addr, b.Status, b.Class, b.RemoteMTA, b.Diagnostic)
	_, err = c.ExecContext(ctx, `INSERT INTO events (key, at, event, detail, addrs, server, reply, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		b.Key, read, string(b.Outcome), detail, addr, b.RemoteMTA, b.Diagnostic, b.Class)
	return err
}

// BounceSeen tells whether the report mail mailID was recorded already.
func (j *Journal) BounceSeen(mailID string) (bool, error) {
	var n int
	err := j.readRow(func(c *conns) error {
		return c.rdb.QueryRowContext(context.Background(), `SELECT count(*) FROM bounces WHERE mail_id = ?`, mailID).Scan(&n)
	})
	return n > 0, err
}

// FindMessage returns the key of the message a report names, by its
// X-Spoolgate-Id (the key itself) or else by its Message-ID, and that
// message's recipients; "" when the journal has no such message.
func (j *Journal) FindMessage(spoolgateID, messageID string) (key string, to []string, err error) {
	err = j.readRow(func(c *conns) error {
		ctx := context.Background()
		var k string
		if spoolgateID != "" {
			err := c.rdb.QueryRowContext(ctx, `SELECT key FROM messages WHERE key = ?`, spoolgateID).Scan(&k)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
		}
		if k == "" && messageID != "" {
			err := c.rdb.QueryRowContext(ctx, `SELECT key FROM messages WHERE message_id = ? AND message_id != ''
				ORDER BY last_at DESC LIMIT 1`, strings.Trim(messageID, "<> ")).Scan(&k)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
		}
		if k == "" {
			return nil
		}
		key = k
		rows, err := c.rdb.QueryContext(ctx, `SELECT addr FROM recipients WHERE key = ? ORDER BY rowid`, k)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				return err
			}
			to = append(to, a)
		}
		return rows.Err()
	})
	return key, to, err
}

// SentTo returns the keys of the messages the relay accepted for addr
// (compared ASCII case-insensitively) between from and to, newest first:
// for matching a report that returns no original by recipient and time.
func (j *Journal) SentTo(addr string, from, to time.Time) ([]string, error) {
	var keys []string
	err := j.readRow(func(c *conns) error {
		rows, err := c.rdb.QueryContext(context.Background(), `SELECT key FROM recipients
			WHERE lower(addr) = ? AND status = 'sent' AND at >= ? AND at < ? ORDER BY at DESC LIMIT 100`,
			asciiLower(strings.TrimSpace(addr)), nanos(from), nanos(to))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return rows.Err()
	})
	return keys, err
}

// BounceRecord is a recorded report with what the journal knows of the
// message it reports on.
type BounceRecord struct {
	Bounce
	File, Subject, Kind, Unit string // of the message; "" when unmatched
}

// Bounces returns the reports that happened in [from, to), oldest first,
// with outcome (or any, for ""), at most limit (0: 10000).
func (j *Journal) Bounces(from, to time.Time, outcome Status, limit int) ([]BounceRecord, error) {
	if limit <= 0 || limit > maxActions {
		limit = maxActions
	}
	var out []BounceRecord
	err := j.readRow(func(c *conns) error {
		rows, err := c.rdb.QueryContext(context.Background(), `SELECT b.mail_id, b.key, b.addr, b.outcome, b.class, b.status,
			b.diagnostic, b.remote_mta, b.reporter, b.at, b.read_at,
			coalesce(m.file, ''), coalesce(m.subject, ''), coalesce(m.kind, ''), coalesce(m.unit, '')
			FROM bounces b LEFT JOIN messages m ON m.key = b.key AND b.key != ''
			WHERE b.at >= ? AND b.at < ? AND (? = '' OR b.outcome = ?) ORDER BY b.at, b.id LIMIT ?`,
			nanos(from), nanos(to), string(outcome), string(outcome), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				r        BounceRecord
				oc       string
				at, read int64
			)
			if err := rows.Scan(&r.MailID, &r.Key, &r.Address, &oc, &r.Class, &r.Status, &r.Diagnostic, &r.RemoteMTA,
				&r.Reporter, &at, &read, &r.File, &r.Subject, &r.Kind, &r.Unit); err != nil {
				return err
			}
			r.Outcome, r.At, r.Read = Status(oc), fromNanos(at), fromNanos(read)
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// HardBounced returns the latest hard bounce of addr at or after since
// that was not forgotten (Forget), or nil: for [bounces] suppress.
func (j *Journal) HardBounced(addr string, since time.Time) (*Bounce, error) {
	var out *Bounce
	err := j.readRow(func(c *conns) error {
		var (
			b        Bounce
			oc       string
			at, read int64
		)
		err := c.rdb.QueryRowContext(context.Background(), `SELECT mail_id, key, addr, outcome, class, status, diagnostic,
			remote_mta, reporter, at, read_at FROM bounces
			WHERE addr = ? AND outcome = 'bounced' AND class = 'hard' AND forgotten = 0 AND at >= ? ORDER BY at DESC LIMIT 1`,
			asciiLower(strings.TrimSpace(addr)), nanos(since)).Scan(&b.MailID, &b.Key, &b.Address, &oc, &b.Class, &b.Status,
			&b.Diagnostic, &b.RemoteMTA, &b.Reporter, &at, &read)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		b.Outcome, b.At, b.Read = Status(oc), fromNanos(at), fromNanos(read)
		out = &b
		return nil
	})
	return out, err
}

// Forget lifts the suppression of addr: its hard bounces so far no
// longer count for HardBounced. It returns how many it forgot. It is ordered
// with the other writes, and may run in another process (spoolgate
// bounces --forget) while the service runs: SQLite orders the two.
func (j *Journal) Forget(addr string) (int64, error) {
	e := &event{kind: evForget, key: asciiLower(strings.TrimSpace(addr)), reply: make(chan outcome, 1)}
	if !j.enqueue(e) {
		return 0, ErrClosed
	}
	r := <-e.reply
	return r.n, r.err
}

func (j *Journal) applyForget(ctx context.Context, e *event) error {
	res, err := j.db.wconn.ExecContext(ctx, `UPDATE bounces SET forgotten = 1
		WHERE addr = ? AND forgotten = 0 AND outcome = 'bounced' AND class = 'hard'`, e.key)
	if err != nil {
		return err
	}
	e.purged, err = res.RowsAffected()
	return err
}

// readRow runs read on the journal's connections, for a read of its own.
func (j *Journal) readRow(read func(c *conns) error) error {
	if j.isClosed() {
		return ErrClosed
	}
	c, done, err := j.reading()
	if err != nil {
		return err
	}
	defer done()
	if err := read(c); err != nil {
		return j.readError(err)
	}
	return nil
}
