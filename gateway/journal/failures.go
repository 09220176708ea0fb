package journal

import (
	"context"
	"time"
)

// Failure is one recipient a relay refused for good.
type Failure struct {
	Time    time.Time // when the refusal was recorded
	Key     string
	File    string
	Subject string
	Kind    string
	Unit    string
	To      string // the refused recipient, or "" for a file refused before it was sent
	Server  string
	Reply   string // the relay's reply about this recipient
	Cause   string // what the refusal means (package cause)
}

// Failures returns the recipients refused for good whose refusal was
// recorded at or after from and before to (a zero to means no end), oldest
// first. Unlike Query, which gives each message's last reply, it gives each
// refused recipient's own reply, so that a message sent to some recipients
// and refused for others shows the refusals too. A message refused with no
// recipient recorded (a file refused before it was sent: no recipients, not
// a message) is one Failure with To "".
func (j *Journal) Failures(from, to time.Time) ([]Failure, error) {
	if j.isClosed() {
		return nil, ErrClosed
	}
	end := int64(1<<63 - 1)
	if !to.IsZero() {
		end = nanos(to)
	}
	q := `SELECT at, key, file, subject, kind, unit, addr, server, reply, cause FROM (
		SELECT r.at, m.key, m.file, m.subject, m.kind, m.unit, r.addr, r.server, r.reply, r.cause, r.rowid AS o
		FROM recipients r JOIN messages m ON m.key = r.key
		WHERE r.status = 'failed' AND r.at >= ?1 AND r.at < ?2
		UNION ALL
		SELECT m.last_at, m.key, m.file, m.subject, m.kind, m.unit, '', m.server, m.reply, m.cause, 0
		FROM messages m
		WHERE m.status = 'failed' AND m.last_at >= ?1 AND m.last_at < ?2
			AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.key = m.key)
	) ORDER BY at, o`
	args := []any{nanos(from), end}
	c, done, err := j.reading()
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := c.rdb.QueryContext(context.Background(), q, args...)
	if err != nil {
		return nil, j.readError(err)
	}
	defer rows.Close()
	var out []Failure
	for rows.Next() {
		var (
			f  Failure
			at int64
		)
		if err := rows.Scan(&at, &f.Key, &f.File, &f.Subject, &f.Kind, &f.Unit, &f.To, &f.Server, &f.Reply, &f.Cause); err != nil {
			return nil, j.readError(err)
		}
		f.Time = fromNanos(at)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, j.readError(err)
	}
	return out, nil
}
