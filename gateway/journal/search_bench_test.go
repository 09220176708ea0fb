package journal

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// This file makes journals of realistic size for BenchmarkSearch_1M:
// library notices to patrons at a few thousand domains, with subjects in
// six languages, most sent, some refused, deferred, skipped, or refused
// before they were sent. Each message is a scenario (benchMsg) that the
// writer would journal through Begin, Claimed and Record; emitBench
// writes, straight through SQL, the rows the writer would make of it, in
// a fraction of the time, and TestBenchData_MatchesWriter checks that
// they are the writer's rows.

// benchStart is the time of the first benchmark message; they span a year.
var benchStart = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

const benchSpan = 365 * 24 * time.Hour

type benchKind int

const (
	benchSent         benchKind = iota // every recipient sent
	benchRefused                       // some (or all) recipients refused
	benchDeferredSent                  // deferred once, then sent
	benchSkipped                       // some recipients had it already, the rest sent
	benchAllSkipped                    // every recipient had it already
	benchBare                          // refused before it was sent: no recipients
	benchDeferred                      // deferred, not yet retried
)

type benchMsg struct {
	kind   benchKind
	claim  Claim
	at     time.Time // of the first event
	server string    // the relay
	reply  string    // its reply to the sent ones
	qid    string
	// refused are the refused recipients (benchRefused), with causes;
	// skipped the recipients who had it (benchSkipped, benchAllSkipped).
	refused, causes, skipped []string
	deferCause               string
}

var (
	benchFirst = []string{"anna", "erik", "åsa", "björn", "märta", "olle", "sören", "ingrid", "lars", "karin",
		"jörg", "jürgen", "ursula", "françois", "zoë", "élodie", "ivan", "olga", "dmitri", "natalia",
		"øystein", "sigrid", "aino", "juhani", "maria", "john", "emma", "noah", "мария", "иван", "пётр", "sanna"}
	benchLast = []string{"berg", "lindqvist", "johansson", "andersson", "nilsson", "müller", "schmidt", "weiß",
		"ivanov", "petrova", "smirnov", "dubois", "lefèvre", "virtanen", "nieminen", "korhonen", "hansen",
		"olsen", "smith", "brown", "garcía", "öberg", "åkesson", "ström", "kuznetsova", "волков", "соколова"}
	benchSyllables = []string{"bib", "lib", "stad", "kommun", "post", "nord", "syd", "öst", "väst", "berg",
		"dal", "sjö", "skog", "fjord", "lake", "river", "tele", "data", "net", "hem", "by", "köping", "holm",
		"vik", "strand", "haus", "stadt", "dorf", "kirja", "koti", "дом", "город", "ville", "maison"}
	benchTLDs      = []string{"se", "no", "fi", "dk", "de", "ru", "fr", "com", "org", "net", "example"}
	benchProviders = []string{"gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "telia.com", "mail.ru",
		"yandex.ru", "gmx.de", "web.de", "orange.fr", "icloud.com", "bredband.net"}
	benchSubjects = [][]string{
		{"Overdue notice: %s", "Your reservation is ready: %s", "Reminder: %s is due soon", "Invoice for the lost item %s"},
		{"Påminnelse: försenat lån – %s", "Din reservation kan hämtas: %s", "Förfallodagen närmar sig: %s", "Räkning för förlorad bok %s"},
		{"Mahnung: überfällige Medien – %s", "Ihre Vormerkung liegt bereit: %s", "Erinnerung: Leihfrist endet bald für %s", "Rechnung für verlorenes Medium %s"},
		{"Muistutus: myöhässä oleva laina – %s", "Varauksesi on noudettavissa: %s", "Eräpäivä lähestyy: %s", "Lasku kadonneesta aineistosta %s"},
		{"Напоминание: просроченная книга «%s»", "Ваш заказ готов к выдаче: %s", "Срок возврата скоро: %s", "Счёт за утерянную книгу %s"},
		{"Rappel : document en retard – %s", "Votre réservation est disponible : %s", "Échéance proche : %s", "Facture pour document perdu %s"},
	}
	benchTitles = []string{"Moby Dick", "Kalevala", "Война и мир", "Pippi Långstrump", "Der Zauberberg", "Les Misérables",
		"Sapiens", "Mästaren och Margarita", "Преступление и наказание", "Seitsemän veljestä", "Utvandrarna",
		"Die Blechtrommel", "Madame Bovary", "Anna Karenina", "Tuntematon sotilas", "Röda rummet", "Faust",
		"Le Petit Prince", "Братья Карамазовы", "Nils Holgerssons underbara resa", "Buddenbrooks", "Germinal",
		"The Hobbit", "Pride and Prejudice", "Kallocain", "Momo", "Candide", "Обломов", "Muumipeikko", "Ronja rövardotter"}
	benchKinds   = []string{"overdue", "reservation", "reminder", "invoice"}
	benchUnits   = []string{"main", "north", "south", "east", "mobile"}
	benchServers = []string{"smtp.office365.com", "smtp.gmail.com", "relay.library.example"}
	benchCauses  = []string{"address-unknown", "address-unknown", "address-unknown", "mailbox-full", "mailbox-disabled", "spam-policy", "refused"}
	benchReplies = map[string]string{
		"address-unknown":  "550 5.1.1 <%s>: Recipient address rejected: User unknown",
		"mailbox-full":     "552 5.2.2 <%s>: Mailbox full",
		"mailbox-disabled": "550 5.2.1 <%s>: Mailbox disabled",
		"spam-policy":      "550 5.7.1 <%s>: Message rejected as spam",
		"refused":          "554 5.0.0 <%s>: Rejected",
	}
)

// benchDomain is domain number d of about 3000: a few providers hold
// half the patrons, the rest is a long tail of towns and companies.
func benchDomain(d int) string {
	if d < len(benchProviders) {
		return benchProviders[d]
	}
	r := rand.New(rand.NewPCG(uint64(d), 11))
	s := benchSyllables[r.IntN(len(benchSyllables))] + benchSyllables[r.IntN(len(benchSyllables))]
	if r.IntN(3) == 0 {
		s += "-" + benchSyllables[r.IntN(len(benchSyllables))]
	}
	return s + strconv.Itoa(d) + "." + benchTLDs[r.IntN(len(benchTLDs))]
}

// benchPatrons is how many patrons there are; each gets a few messages.
const benchPatrons = 400000

// benchPatron is patron p's address.
func benchPatron(p int) string {
	r := rand.New(rand.NewPCG(uint64(p), 13))
	var d int
	if r.IntN(2) == 0 {
		d = min(int(r.ExpFloat64()*2), len(benchProviders)-1)
	} else {
		d = len(benchProviders) + r.IntN(3000)
	}
	first, last := benchFirst[r.IntN(len(benchFirst))], benchLast[r.IntN(len(benchLast))]
	var local string
	switch r.IntN(4) {
	case 0:
		local = first + "." + last
	case 1:
		local = first + "_" + last + strconv.Itoa(r.IntN(100))
	case 2:
		local = first[:1] + "." + last + strconv.Itoa(p%1000)
	default:
		local = first + strconv.Itoa(p)
	}
	if r.IntN(10) == 0 {
		local = strings.ToUpper(local[:1]) + local[1:] // as patrons type it
	}
	return local + "@" + benchDomain(d)
}

// benchMessage is message i of n, the same on every call.
func benchMessage(i, n int) benchMsg {
	r := rand.New(rand.NewPCG(uint64(i), 17))
	at := benchStart.Add(time.Duration(int64(benchSpan) / int64(n) * int64(i))).Add(time.Duration(r.IntN(1000)) * time.Millisecond)
	kind, unit := benchKinds[r.IntN(len(benchKinds))], benchUnits[r.IntN(len(benchUnits))]
	lang := r.IntN(len(benchSubjects))
	subject := fmt.Sprintf(benchSubjects[lang][slices.Index(benchKinds, kind)], benchTitles[r.IntN(len(benchTitles))])
	key := "sg1-" + strconv.FormatInt(at.UnixMilli(), 36) + strconv.FormatInt(int64(i), 36) + fmt.Sprintf("%06x", r.Uint32()&0xffffff)
	file := fmt.Sprintf("%s-%s-%s-%07d.txt", kind, unit, at.Format("20060102"), i)
	m := benchMsg{
		at:     at,
		server: benchServers[r.IntN(len(benchServers))],
		claim: Claim{
			Key: key, File: file, MessageID: fmt.Sprintf("<%d.%d@ils.library.example>", i, at.Unix()),
			From: "noreply@" + unit + ".library.example", Subject: subject, Size: int64(2000 + r.IntN(40000)),
			Kind: kind, Unit: unit, Hash: fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()),
		},
	}
	m.qid = fmt.Sprintf("%X", r.Uint64()&0xffffffffff)
	m.reply = "250 2.0.0 Ok: queued as " + m.qid
	// 1 to 3 recipients: the patron, and a guardian or a second address.
	nr := 1 + r.IntN(3)*r.IntN(2)
	for len(m.claim.To) < nr {
		a := benchPatron(r.IntN(benchPatrons))
		if !slices.Contains(m.claim.To, a) {
			m.claim.To = append(m.claim.To, a)
		}
	}
	switch x := r.IntN(1000); {
	case x < 2:
		m.kind = benchBare
		m.claim = Claim{Key: key, File: file, Size: m.claim.Size}
	case x < 40:
		m.kind = benchRefused
		for _, a := range m.claim.To {
			if len(m.refused) == 0 || r.IntN(2) == 0 {
				m.refused = append(m.refused, a)
				m.causes = append(m.causes, benchCauses[r.IntN(len(benchCauses))])
			}
		}
	case x < 80:
		m.kind = benchDeferredSent
		m.deferCause = []string{"temporary", "unreachable", "quota-exceeded"}[r.IntN(3)]
	case x < 95 && len(m.claim.To) > 1:
		m.kind = benchSkipped
		m.skipped = m.claim.To[:1]
	case x < 100:
		m.kind = benchAllSkipped
		m.skipped = m.claim.To
	default:
		m.kind = benchSent
	}
	if m.kind == benchSent && i >= n-max(n/365, 200) && r.IntN(20) == 0 {
		// The last day: some wait for a retry.
		m.kind = benchDeferred
		m.deferCause = "temporary"
	}
	return m
}

// The replies and times of a scenario's steps.
const deferReply = "451 4.3.0 Try again later"

func (m *benchMsg) sentAt() time.Time  { return m.at.Add(time.Second) }
func (m *benchMsg) retryAt() time.Time { return m.at.Add(10 * time.Minute) }
func (m *benchMsg) skipReply() string {
	return "sent before, 2025-02-27 10:00:00, as earlier.txt (sg1-earlier)"
}
func (m *benchMsg) refuseReply(i int) string {
	return fmt.Sprintf(benchReplies[m.causes[i]], m.refused[i])
}

// writeBench journals m through the writer, as the gateway would, with
// the clock clk.
func writeBench(j *Journal, clk *clock, m benchMsg) {
	c := m.claim
	clk.set(m.at)
	switch m.kind {
	case benchBare:
		j.Claimed(c, nil)
		j.Record(Outcome{Key: c.Key, Status: StatusFailed, Reply: "the file is not a message: no header", Cause: "not-a-message"}, nil)
		return
	case benchSkipped, benchAllSkipped:
		j.Claimed(c, nil)
		for _, a := range m.skipped {
			j.Record(Outcome{Key: c.Key, To: []string{a}, Status: StatusSkipped, Cause: "already-sent", Reply: m.skipReply()}, nil)
		}
		if m.kind == benchAllSkipped {
			j.Claimed(c, nil)
			return
		}
	}
	to := c.To
	if m.kind == benchSkipped {
		to = c.To[len(m.skipped):]
	}
	j.Begin(c, "main", to, nil)
	clk.set(m.sentAt())
	switch m.kind {
	case benchDeferred, benchDeferredSent:
		j.Record(Outcome{Key: c.Key, To: to, Status: StatusDeferred, Server: m.server, Reply: deferReply, Cause: m.deferCause,
			Next: m.retryAt()}, nil)
		if m.kind == benchDeferred {
			return
		}
		clk.set(m.retryAt())
		j.Begin(c, "main", to, nil)
		clk.set(m.retryAt().Add(time.Second))
	case benchRefused:
		for i, a := range m.refused {
			j.Record(Outcome{Key: c.Key, To: []string{a}, Status: StatusFailed, Server: m.server, Reply: m.refuseReply(i), Cause: m.causes[i]}, nil)
		}
		to = slices.DeleteFunc(slices.Clone(to), func(a string) bool { return slices.Contains(m.refused, a) })
		if len(to) == 0 {
			return
		}
	}
	j.Record(Outcome{Key: c.Key, To: to, Status: StatusSent, Server: m.server, Reply: m.reply, QueueID: m.qid}, nil)
}

// benchStmts insert the rows of emitBench.
type benchStmts struct{ msg, rcpt, event *sql.Stmt }

func prepareBench(ctx context.Context, tx *sql.Tx) (benchStmts, error) {
	var s benchStmts
	var err error
	if s.msg, err = tx.PrepareContext(ctx, `INSERT INTO messages (key, file, message_id, sender, subject, size, kind, unit,
		status, attempts, first_at, last_at, next_at, server, reply, cause, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
		return s, err
	}
	if s.rcpt, err = tx.PrepareContext(ctx, `INSERT INTO recipients (key, addr, status, reply, server, at, cause, queue_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
		return s, err
	}
	s.event, err = tx.PrepareContext(ctx, `INSERT INTO events (key, at, event, detail, addrs, server, reply, cause, queue_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	return s, err
}

type benchRcpt struct {
	addr, status, reply, server, cause, qid string
	at                                      int64
}

type benchEvent struct {
	at                                 int64
	what, detail                       string
	to                                 []string
	server, reply, cause, qid, nextRFC string
}

// emitBench writes the rows writeBench would make of m, straight through
// SQL: the message, its recipients and its events. (The triggers keep
// bare and queue the rows for the trigram indexes, as they do for the
// writer; buildBench runs ftsSync before each commit, as the writer does.)
func emitBench(ctx context.Context, s benchStmts, m benchMsg) error {
	c := m.claim
	t0, t1, t2, t3 := m.at.UnixNano(), m.sentAt().UnixNano(), m.retryAt().UnixNano(), m.retryAt().Add(time.Second).UnixNano()
	status, attempts, first, last, next := "sent", 1, t0, t1, int64(0)
	server, reply, cause := m.server, m.reply, ""
	rcpts := make([]benchRcpt, len(c.To))
	for i, a := range c.To {
		rcpts[i] = benchRcpt{addr: a, status: "sent", reply: m.reply, server: m.server, at: t1, qid: m.qid}
	}
	attempt := func(at int64, to []string) benchEvent {
		return benchEvent{at: at, what: "attempt", to: to, server: "main",
			detail: fmt.Sprintf("server=main file=%s from=<%s> to=%s", c.File, c.From, strings.Join(to, ","))}
	}
	outcome := func(at int64, what string, to []string, server, reply, cause, qid string) benchEvent {
		return benchEvent{at: at, what: what, to: to, server: server, reply: reply, cause: cause, qid: qid}
	}
	var evs []benchEvent
	switch m.kind {
	case benchBare:
		status, attempts, first, last, server, reply, cause = "failed", 0, 0, t0, "", "the file is not a message: no header", "not-a-message"
		rcpts = nil
		evs = []benchEvent{
			{at: t0, what: "claimed", detail: fmt.Sprintf("file=%s from=<> to=", c.File)},
			outcome(t0, "failed", nil, "", reply, cause, ""),
		}
	case benchSent:
		evs = []benchEvent{attempt(t0, c.To), outcome(t1, "sent", c.To, m.server, m.reply, "", m.qid)}
	case benchDeferred:
		status, last, next, reply, cause = "deferred", t1, t2, deferReply, m.deferCause
		for i := range rcpts {
			rcpts[i] = benchRcpt{addr: c.To[i], status: "deferred", reply: deferReply, server: m.server, at: t1, cause: m.deferCause}
		}
		d := outcome(t1, "deferred", c.To, m.server, deferReply, m.deferCause, "")
		d.nextRFC = m.retryAt().UTC().Format(time.RFC3339)
		evs = []benchEvent{attempt(t0, c.To), d}
	case benchDeferredSent:
		// The sent outcome replaces each recipient's reply and cause of
		// the deferral; the message keeps the cause of the deferral.
		attempts, last, cause = 2, t3, m.deferCause
		for i := range rcpts {
			rcpts[i].at = t3
		}
		d := outcome(t1, "deferred", c.To, m.server, deferReply, m.deferCause, "")
		d.nextRFC = m.retryAt().UTC().Format(time.RFC3339)
		evs = []benchEvent{attempt(t0, c.To), d, attempt(t2, c.To), outcome(t3, "sent", c.To, m.server, m.reply, "", m.qid)}
	case benchRefused:
		evs = []benchEvent{attempt(t0, c.To)}
		for i, a := range m.refused {
			k := slices.Index(c.To, a)
			rcpts[k] = benchRcpt{addr: a, status: "failed", reply: m.refuseReply(i), server: m.server, at: t1, cause: m.causes[i]}
			evs = append(evs, outcome(t1, "failed", []string{a}, m.server, m.refuseReply(i), m.causes[i], ""))
			reply, cause = m.refuseReply(i), m.causes[i]
		}
		sent := slices.DeleteFunc(slices.Clone(c.To), func(a string) bool { return slices.Contains(m.refused, a) })
		if len(sent) == 0 {
			status = "failed"
		} else {
			status, reply = "partly-sent", m.reply
			evs = append(evs, outcome(t1, "sent", sent, m.server, m.reply, "", m.qid))
		}
	case benchSkipped, benchAllSkipped:
		evs = []benchEvent{{at: t0, what: "claimed", to: c.To,
			detail: fmt.Sprintf("file=%s from=<%s> to=%s", c.File, c.From, strings.Join(c.To, ","))}}
		for i, a := range m.skipped {
			rcpts[i] = benchRcpt{addr: a, status: "skipped", reply: m.skipReply(), at: t0, cause: "already-sent"}
			evs = append(evs, outcome(t0, "skipped", []string{a}, "", m.skipReply(), "already-sent", ""))
		}
		if m.kind == benchAllSkipped {
			status, attempts, first, last, server, reply = "sent", 0, 0, t0, "", m.skipReply()
			break
		}
		rest := c.To[len(m.skipped):]
		evs = append(evs, attempt(t0, rest), outcome(t1, "sent", rest, m.server, m.reply, "", m.qid))
	}
	if _, err := s.msg.ExecContext(ctx, c.Key, c.File, c.MessageID, c.From, c.Subject, c.Size, c.Kind, c.Unit,
		status, attempts, first, last, next, server, reply, cause, c.Hash); err != nil {
		return err
	}
	for _, r := range rcpts {
		if _, err := s.rcpt.ExecContext(ctx, c.Key, r.addr, r.status, r.reply, r.server, r.at, r.cause, r.qid); err != nil {
			return err
		}
	}
	for _, e := range evs {
		detail := e.detail
		if e.what != "attempt" && e.what != "claimed" {
			detail = fmt.Sprintf("to=%s server=%s reply=%s", strings.Join(e.to, ","), e.server, e.reply)
			if e.cause != "" {
				detail += " cause=" + e.cause
			}
			if e.nextRFC != "" {
				detail += " next=" + e.nextRFC
			}
		}
		if _, err := s.event.ExecContext(ctx, c.Key, e.at, e.what, detail, strings.Join(e.to, ","), e.server, e.reply, e.cause, e.qid); err != nil {
			return err
		}
	}
	return nil
}

// buildBench makes a journal of n benchmark messages at path, through
// SQL, in transactions of 20000 messages.
func buildBench(tb testing.TB, path string, n int) {
	tb.Helper()
	j, err := Open(path, nil) // the schema
	if err != nil {
		tb.Fatal(err)
	}
	if err := j.Close(); err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-400000)&_pragma=temp_store(MEMORY)")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO recipients_fts (recipients_fts, rank) VALUES ('automerge', 16)`,
		`INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 16)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	const per = 20000
	for lo := 0; lo < n; lo += per {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		s, err := prepareBench(ctx, tx)
		if err != nil {
			tb.Fatal(err)
		}
		for i := lo; i < min(lo+per, n); i++ {
			if err := emitBench(ctx, s, benchMessage(i, n)); err != nil {
				tb.Fatalf("message %d: %v", i, err)
			}
		}
		for _, q := range ftsSync { // as the writer does before each commit
			if _, err := tx.ExecContext(ctx, q); err != nil {
				tb.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	// The trigram indexes stay in the segments their automatic merges
	// left (fewer merges while building, then the default again), as a
	// journal that grew message by message has them; no ANALYZE, which
	// the journal never runs.
	for _, q := range []string{
		`INSERT INTO recipients_fts (recipients_fts, rank) VALUES ('automerge', 4)`,
		`INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 4)`,
		`PRAGMA journal_mode = WAL`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
}

// dumpJournal is every row of the journal's tables but their ids, in a
// stable order, for comparing two journals.
func dumpJournal(t *testing.T, path string) map[string][]string {
	t.Helper()
	db := rawDB(t, path)
	out := map[string][]string{}
	for name, q := range map[string]string{
		"messages": `SELECT key, file, message_id, sender, subject, size, kind, unit, status, attempts, first_at, last_at, next_at,
			server, reply, cause, hash FROM messages ORDER BY key`,
		"recipients": `SELECT key, addr, status, reply, server, at, cause, queue_id FROM recipients ORDER BY key, rowid`,
		"events":     `SELECT key, at, event, detail, addrs, server, reply, cause, queue_id FROM events ORDER BY key, id`,
		"bare":       `SELECT m.key FROM bare b JOIN messages m ON m.rowid = b.id ORDER BY m.key`,
		"fts": `SELECT (SELECT count(*) FROM recipients_fts WHERE recipients_fts MATCH '"exempel"' OR recipients_fts MATCH '"gmail"'),
			(SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '"просроченная"')`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out[name] = append(out[name], fmt.Sprint(vals...))
		}
		rows.Close()
	}
	return out
}

// The rows emitBench writes are the rows the writer writes.
func TestBenchData_MatchesWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	const n = 3000 // a twelfth of a month: every scenario turns up
	f := newFixture(t, options{})
	clk := &clock{}
	f.j.now = clk.now
	kinds := map[benchKind]int{}
	for i := range n {
		m := benchMessage(i, n)
		kinds[m.kind]++
		writeBench(f.j, clk, m)
	}
	flush(t, f.j)
	for k := benchSent; k <= benchDeferred; k++ {
		if kinds[k] == 0 {
			t.Errorf("no message of scenario %d among %d", k, n)
		}
	}
	path := filepath.Join(spooltest.TempDir(t), "bench.db")
	buildBench(t, path, n)
	got, want := dumpJournal(t, path), dumpJournal(t, f.path)
	for _, table := range []string{"messages", "recipients", "events", "bare", "fts"} {
		g, w := got[table], want[table]
		if len(g) != len(w) {
			t.Errorf("%s: %d rows, the writer made %d", table, len(g), len(w))
		}
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Errorf("%s row %d:\n got %s\nwant %s", table, i, g[i], w[i])
				break
			}
		}
	}
}

// BenchmarkSearch_1M times the console's typical searches in a journal of
// a million messages (about 1.5 million recipients, a year of notices),
// which it makes once, in a temporary folder, before timing (a minute or
// two). The target is under 200 ms for each.
func BenchmarkSearch_1M(b *testing.B) {
	if testing.Short() {
		b.Skip("makes a journal of a million messages")
	}
	const n = 1000000
	path := filepath.Join(spooltest.TempDir(b), "journal.db")
	start := time.Now()
	buildBench(b, path, n)
	b.Logf("built a journal of %d messages in %v", n, time.Since(start).Round(time.Second))
	j, err := Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()

	// A patron with several messages, and the first page of her rows to
	// page on from.
	patron := benchPatron(4242)
	day := benchStart.Add(200 * 24 * time.Hour)
	searches := []struct {
		name string
		s    Search
	}{
		{"FullAddress", Search{To: patron}},
		{"FullAddressUpper", Search{To: strings.ToUpper(patron)}},
		{"AddressFragmentRare", Search{To: benchDomain(1234)[:8]}},
		{"AddressFragmentCommon", Search{To: "gmail"}},
		{"AddressFragmentUnicode", Search{To: "åsa.lindqvist"}},
		{"AddressShort", Search{To: "ö"}},
		{"FileFragment", Search{File: day.Format("20060102")}},
		{"FileFragmentCommon", Search{File: "overdue"}},
		{"SubjectWord", Search{Subject: "Kalevala"}},
		{"SubjectWordCyrillic", Search{Subject: "ПРОСРОЧЕННАЯ"}},
		{"SubjectTwoWords", Search{Subject: "Mahnung Zauberberg"}},
		{"FailedInMonth", Search{Status: StatusFailed, Since: day, Until: day.Add(30 * 24 * time.Hour)}},
		{"FailedInMonthPage5", Search{Status: StatusFailed, Since: day, Until: day.Add(30 * 24 * time.Hour)}},
		{"Cause", Search{Cause: "mailbox-full"}},
		{"CauseBare", Search{Cause: "not-a-message"}},
		{"AddressAndFailed", Search{To: "gmail", Status: StatusFailed}},
		{"AddressAndSubject", Search{To: "hotmail", Subject: "Kalevala"}},
		{"Newest", Search{}},
		{"DateRange", Search{Since: day, Until: day.Add(24 * time.Hour)}},
	}
	for _, q := range searches {
		b.Run(q.name, func(b *testing.B) {
			s := q.s
			if strings.HasSuffix(q.name, "Page5") {
				for range 4 {
					_, next, err := j.Search(s)
					if err != nil || next == nil {
						b.Fatalf("paging: %v, %v", next, err)
					}
					s.Before = next
				}
			}
			var rows []Row
			for b.Loop() {
				rows, _, err = j.Search(s)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rows)), "rows")
		})
	}
	b.Run("History", func(b *testing.B) {
		key := benchMessage(n/2, n).claim.Key
		for b.Loop() {
			if _, _, err := j.History(key); err != nil {
				b.Fatal(err)
			}
		}
	})
}
