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
	To      string // the refused recipient
	Server  string
	Reply   string // the relay's reply about this recipient
}

// Failures returns the recipients refused for good whose refusal was
// recorded at or after from and before to (a zero to means no end), oldest
// first. Unlike Query, which gives each message's last reply, it gives each
// refused recipient's own reply, so that a message sent to some recipients
// and refused for others shows the refusals too.
func (j *Journal) Failures(from, to time.Time) ([]Failure, error) {
	if j.isClosed() {
		return nil, ErrClosed
	}
	q := `SELECT r.at, m.key, m.file, m.subject, m.kind, m.unit, r.addr, r.server, r.reply
		FROM recipients r JOIN messages m ON m.key = r.key
		WHERE r.status = 'failed' AND r.at >= ?`
	args := []any{nanos(from)}
	if !to.IsZero() {
		q += " AND r.at < ?"
		args = append(args, nanos(to))
	}
	q += " ORDER BY r.at, r.rowid"
	rows, err := j.rdb.QueryContext(context.Background(), q, args...)
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
		if err := rows.Scan(&at, &f.Key, &f.File, &f.Subject, &f.Kind, &f.Unit, &f.To, &f.Server, &f.Reply); err != nil {
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
