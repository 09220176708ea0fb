package journal

import (
	"context"
	"time"
)

// Action is one thing a user of the console did: a retry, a discard, a
// test message, a settings change, or a failed login.
type Action struct {
	At     time.Time // when; zero = when RecordAction was called
	User   string    // who (for a failed login, the name that was tried)
	Addr   string    // from where: the client's network address
	What   string    // what they did: "retry", "discard", "test", "settings", "login"...
	Target string    // what they did it to: a message key, a file, a setting
	Detail string    // anything more, for people
	OK     bool      // whether it worked
}

// maxActions is the most actions Actions returns at once.
const maxActions = 10000

// RecordAction records the action a through the writer, in order with the
// other events. done is as for Claimed. Purge deletes the actions older
// than its time with the messages.
func (j *Journal) RecordAction(a Action, done func(error)) {
	e := &event{kind: evAction, action: a, done: done}
	j.push(e)
}

func (j *Journal) applyAction(ctx context.Context, e *event) error {
	a := e.action
	at := e.at
	if !a.At.IsZero() {
		at = a.At.UnixNano()
	}
	_, err := j.db.st.action.ExecContext(ctx, at, a.User, a.Addr, a.What, a.Target, a.Detail, a.OK)
	return err
}

// Actions returns the last limit actions recorded, newest first; a limit
// of 0 or less (or over 10000) means 10000. It sees every action whose
// done callback has run.
func (j *Journal) Actions(limit int) ([]Action, error) {
	if j.isClosed() {
		return nil, ErrClosed
	}
	if limit <= 0 || limit > maxActions {
		limit = maxActions
	}
	c, done, err := j.reading()
	if err != nil {
		return nil, err
	}
	defer done()
	rows, err := c.rdb.QueryContext(context.Background(),
		`SELECT at, user, addr, what, target, detail, ok FROM actions ORDER BY at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, j.readError(err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var (
			a  Action
			at int64
		)
		if err := rows.Scan(&at, &a.User, &a.Addr, &a.What, &a.Target, &a.Detail, &a.OK); err != nil {
			return nil, j.readError(err)
		}
		a.At = fromNanos(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, j.readError(err)
	}
	return out, nil
}
