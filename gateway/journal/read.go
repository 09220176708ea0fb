package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

func (j *Journal) isClosed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closed
}

// State returns what the journal knows about the message key; Found is
// false if it knows nothing. It sees every event whose done callback has
// run.
func (j *Journal) State(key string) (State, error) {
	if j.isClosed() {
		return State{}, ErrClosed
	}
	c, done, err := j.reading()
	if err != nil {
		return State{}, err
	}
	defer done()
	ctx := context.Background()
	tx, err := c.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return State{}, j.readError(err)
	}
	defer tx.Rollback()
	var (
		s           State
		status      string
		first       int64
		addr, rstat string
	)
	err = tx.QueryRowContext(ctx, `SELECT status, attempts, first_at, reply FROM messages WHERE key = ?`, key).
		Scan(&status, &s.Attempts, &first, &s.LastReply)
	if errors.Is(err, sql.ErrNoRows) {
		return State{}, nil
	}
	if err != nil {
		return State{}, j.readError(err)
	}
	s.Found, s.Status, s.First = true, Status(status), fromNanos(first)
	rows, err := tx.QueryContext(ctx, `SELECT addr, status FROM recipients WHERE key = ? ORDER BY rowid`, key)
	if err != nil {
		return State{}, j.readError(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&addr, &rstat); err != nil {
			return State{}, j.readError(err)
		}
		switch st := Status(rstat); {
		case st.Delivered():
			s.Delivered = append(s.Delivered, addr)
		case st == StatusFailed:
			s.Failed = append(s.Failed, addr)
		}
	}
	if err := rows.Err(); err != nil {
		return State{}, j.readError(err)
	}
	return s, nil
}

// Query returns the messages that match f, newest (by last event) first.
func (j *Journal) Query(f Filter) ([]Record, error) {
	if j.isClosed() {
		return nil, ErrClosed
	}
	var (
		where []string
		args  []any
	)
	if !f.Since.IsZero() {
		where = append(where, "m.last_at >= ?")
		args = append(args, nanos(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "m.last_at < ?")
		args = append(args, nanos(f.Until))
	}
	switch {
	case f.Status.isOutcome() && f.To != "":
		where = append(where, `EXISTS (SELECT 1 FROM recipients r WHERE r.key = m.key AND instr(lower(r.addr), ?) > 0 AND r.outcome = ?)`)
		args = append(args, asciiLower(f.To), string(f.Status))
	case f.Status.isOutcome():
		where = append(where, `EXISTS (SELECT 1 FROM recipients r WHERE r.key = m.key AND r.outcome = ?)`)
		args = append(args, string(f.Status))
	case f.Status != "" && f.To != "":
		// A recipient matching To that has the status, or the message's
		// own status (partly-sent, say) with such a recipient.
		where = append(where, `EXISTS (SELECT 1 FROM recipients r WHERE r.key = m.key AND instr(lower(r.addr), ?) > 0
			AND (r.status = ? OR m.status = ?))`)
		args = append(args, asciiLower(f.To), string(f.Status), string(f.Status))
	case f.Status != "":
		where = append(where, "(m.status = ? OR EXISTS (SELECT 1 FROM recipients r WHERE r.key = m.key AND r.status = ?))")
		args = append(args, string(f.Status), string(f.Status))
	}
	if f.File != "" {
		where = append(where, "instr(lower(m.file), ?) > 0")
		args = append(args, asciiLower(f.File))
	}
	if f.Key != "" {
		where = append(where, "m.key = ?")
		args = append(args, f.Key)
	}
	if f.To != "" && f.Status == "" {
		// lower() in SQLite folds ASCII only; so does this side, to match.
		where = append(where, "EXISTS (SELECT 1 FROM recipients r WHERE r.key = m.key AND instr(lower(r.addr), ?) > 0)")
		args = append(args, asciiLower(f.To))
	}
	q := `SELECT m.key, m.file, m.message_id, m.sender, m.subject, m.size, m.kind, m.unit, m.status,
		m.server, m.reply, m.cause, m.attempts, m.first_at, m.last_at, m.next_at
		FROM messages m`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY m.last_at DESC, m.rowid DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	c, done, err := j.reading()
	if err != nil {
		return nil, err
	}
	defer done()
	ctx := context.Background()
	tx, err := c.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, j.readError(err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, j.readError(err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var (
			r                 Record
			status            string
			first, last, next int64
		)
		if err := rows.Scan(&r.Key, &r.File, &r.MessageID, &r.From, &r.Subject, &r.Size, &r.Kind, &r.Unit, &status,
			&r.Server, &r.Reply, &r.Cause, &r.Attempts, &first, &last, &next); err != nil {
			return nil, j.readError(err)
		}
		r.Status = Status(status)
		r.First, r.Time, r.Next = fromNanos(first), fromNanos(last), fromNanos(next)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, j.readError(err)
	}
	rows.Close()
	// Each message's recipients, in one statement per message: the
	// records are few (a view's page), their recipients may be many.
	st, err := tx.PrepareContext(ctx, recipientsOf)
	if err != nil {
		return nil, j.readError(err)
	}
	defer st.Close()
	for i := range out {
		r := &out[i]
		if r.Recipients, err = scanRecipients(st, r.Key); err != nil {
			return nil, j.readError(err)
		}
		for _, rc := range r.Recipients {
			r.To = append(r.To, rc.Address)
		}
	}
	return out, nil
}

// recipientsOf reads a message's recipients, each with the latest report
// of its outcome (RecordBounce), if any.
const recipientsOf = `SELECT r.addr, r.status, r.reply, r.cause, r.queue_id, r.server, r.at, r.outcome,
		coalesce(b.mail_id, ''), coalesce(b.outcome, ''), coalesce(b.class, ''), coalesce(b.status, ''),
		coalesce(b.diagnostic, ''), coalesce(b.remote_mta, ''), coalesce(b.reporter, ''), coalesce(b.at, 0), coalesce(b.read_at, 0)
	FROM recipients r LEFT JOIN bounces b ON r.outcome != '' AND b.id =
		(SELECT x.id FROM bounces x WHERE x.key = r.key AND x.addr = lower(r.addr) AND x.outcome = r.outcome
			ORDER BY x.at DESC, x.id DESC LIMIT 1)
	WHERE r.key = ? ORDER BY r.rowid`

func scanRecipients(st *sql.Stmt, key string) ([]Recipient, error) {
	rows, err := st.Query(key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var (
			rc              Recipient
			status, outcome string
			at              int64
			b               Bounce
			bOutcome        string
			bAt, bRead      int64
		)
		if err := rows.Scan(&rc.Address, &status, &rc.Reply, &rc.Cause, &rc.QueueID, &rc.Server, &at, &outcome,
			&b.MailID, &bOutcome, &b.Class, &b.Status, &b.Diagnostic, &b.RemoteMTA, &b.Reporter, &bAt, &bRead); err != nil {
			return nil, err
		}
		rc.Status, rc.Outcome, rc.Time = Status(status), Status(outcome), fromNanos(at)
		if b.MailID != "" {
			b.Key, b.Address, b.Outcome, b.At, b.Read = key, rc.Address, Status(bOutcome), fromNanos(bAt), fromNanos(bRead)
			rc.Bounce = &b
		}
		out = append(out, rc)
	}
	return out, rows.Err()
}

// deliveredBefore is DeliveredBefore's query. Its term that the hash is
// not empty lets SQLite use the partial index messages_hash (it cannot
// tell that the parameter is not empty): without it, every message of the
// journal would be read for every message sent. The unary + on r.status
// keeps SQLite from starting at the index recipients_status_at (every
// recipient sent since the window began) instead.
const deliveredBefore = `SELECT lower(r.addr), max(r.at), m.key, m.file
		FROM messages m JOIN recipients r ON r.key = m.key
		WHERE m.hash = ?1 AND m.hash != '' AND m.key != ?2 AND +r.status IN ('sent', 'skipped') AND r.at >= ?3
		GROUP BY lower(r.addr)`

// Earlier is a recipient's earlier send of the same content.
type Earlier struct {
	At   time.Time
	Key  string
	File string
}

// DeliveredBefore returns the recipients who were sent (or skipped, having
// had it) a message whose content has hash at or after since, under any
// key but except, each with its latest such send, by address folded to
// ASCII lower case.
func (j *Journal) DeliveredBefore(hash, except string, since time.Time) (map[string]Earlier, error) {
	if j.isClosed() {
		return nil, ErrClosed
	}
	if hash == "" {
		return nil, nil
	}
	c, done, err := j.reading()
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := c.delivered.QueryContext(context.Background(), hash, except, nanos(since))
	if err != nil {
		return nil, j.readError(err)
	}
	defer rows.Close()
	var out map[string]Earlier
	for rows.Next() {
		var (
			addr string
			at   int64
			e    Earlier
		)
		if err := rows.Scan(&addr, &at, &e.Key, &e.File); err != nil {
			return nil, j.readError(err)
		}
		e.At = fromNanos(at)
		if out == nil {
			out = map[string]Earlier{}
		}
		out[addr] = e
	}
	if err := rows.Err(); err != nil {
		return nil, j.readError(err)
	}
	return out, nil
}

// LastSent returns the time of the most recent sent outcome, or the zero
// time if there is none.
func (j *Journal) LastSent() (time.Time, error) {
	if j.isClosed() {
		return time.Time{}, ErrClosed
	}
	c, done, err := j.reading()
	if err != nil {
		return time.Time{}, err
	}
	defer done()
	var n sql.NullInt64
	err = c.rdb.QueryRowContext(context.Background(),
		`SELECT max(at) FROM recipients WHERE status = 'sent'`).Scan(&n)
	if err != nil {
		return time.Time{}, j.readError(err)
	}
	return fromNanos(n.Int64), nil
}

func (j *Journal) readError(err error) error {
	return fmt.Errorf("journal %s: %w", j.path, err)
}

// asciiLower folds A-Z only, like SQLite's lower().
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
