package console

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/views"
)

// A message's page, /sent/KEY (served by the Sent page's route): the
// message as `spoolgate sent --json` shows it (views.SentOf of
// journal.History), its recipients each with their own outcome, and its
// whole history: every claim, attempt, reply and queue id, every skip
// and retry. A cause is explained by package cause, nowhere else.
type messageView struct {
	Err                      string // the message cannot be shown: why
	Key, File, Subject, From string
	MessageID, When, Size    string
	Status, Class, Attempts  string
	Server, Reply, QueueID   string
	Label, Meaning, ToDo     string // the message's cause
	Recipients               []recipientView
	Events                   []eventView
}

type recipientView struct {
	Address, Status, Class, When string
	Label, Meaning, ToDo         string
	Reply, QueueID               string
}

type eventView struct {
	When, What, To, Server string
	Reply, Label, QueueID  string
	Detail                 string
}

// loadMessage reads the message key from the journal.
func (s *Server) loadMessage(key string, v *visitor) *messageView {
	t := sentWordsOf(v.lang)
	rec, evs, err := s.g.Journal().History(key)
	if errors.Is(err, journal.ErrNotFound) {
		return &messageView{Key: key, Err: fmt.Sprintf(t.NoSuchMessage, key)}
	}
	if err != nil {
		return &messageView{Key: key, Err: fmt.Sprintf(v.w.CannotRead, err.Error())}
	}
	doc := views.SentHistoryOf(rec, evs)
	m := &messageView{Key: doc.QueueKey, File: doc.File, Subject: doc.Subject, From: doc.From, MessageID: doc.MessageID,
		When: s.stamp(doc.Time), Size: sizeText(doc.Size), Status: statusLabel(t, doc.Status), Class: statusClass(doc.Status),
		Attempts: fmt.Sprint(doc.Attempts), Server: doc.Server, Reply: doc.Reply, QueueID: doc.QueueID}
	if doc.Cause != "" {
		c := cause.Cause(doc.Cause)
		m.Label = cause.Label(v.lang, c)
		m.Meaning, m.ToDo = cause.Explain(v.lang, c)
	}
	for _, rc := range doc.Recipients {
		rv := recipientView{Address: rc.Address, Status: statusLabel(t, rc.Status), Class: statusClass(rc.Status),
			Reply: rc.Reply, QueueID: rc.QueueID}
		if !rc.Time.IsZero() {
			rv.When = s.stamp(rc.Time)
		}
		if rc.Cause != "" {
			c := cause.Cause(rc.Cause)
			rv.Label = cause.Label(v.lang, c)
			rv.Meaning, rv.ToDo = cause.Explain(v.lang, c)
		}
		m.Recipients = append(m.Recipients, rv)
	}
	for _, e := range doc.Events {
		ev := eventView{When: s.stamp(e.Time), What: t.Events[e.What], To: strings.Join(e.To, ", "), Server: e.Server,
			Reply: e.Reply, QueueID: e.QueueID, Detail: e.Detail}
		if ev.What == "" {
			ev.What = e.What
		}
		if e.Cause != "" {
			ev.Label = cause.Label(v.lang, cause.Cause(e.Cause))
		}
		// The detail repeats what the other columns say, when they do.
		if e.Reply != "" || len(e.To) > 0 {
			ev.Detail = ""
		}
		m.Events = append(m.Events, ev)
	}
	return m
}

// statusLabel is a journal status in t's words.
func statusLabel(t *sentWords, st string) string {
	if l := t.Statuses[st]; l != "" {
		return l
	}
	return st
}
