package check

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// stageLog is a Fault that records every stage the server was asked about
// and answers as answer says (nil: the normal answer).
type stageLog struct {
	mu     sync.Mutex
	seen   []string // "MAIL library@example.org"
	answer func(stage smtptest.Stage, arg string) *smtptest.Reply
}

func (l *stageLog) fault(stage smtptest.Stage, arg string) *smtptest.Reply {
	l.mu.Lock()
	l.seen = append(l.seen, string(stage)+" "+arg)
	l.mu.Unlock()
	if l.answer == nil {
		return nil
	}
	return l.answer(stage, arg)
}

func (l *stageLog) stages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen...)
}

// mails returns the MAIL stages seen.
func (l *stageLog) mails() []string {
	var out []string
	for _, s := range l.stages() {
		if strings.HasPrefix(s, "MAIL ") {
			out = append(out, s)
		}
	}
	return out
}

// wantNothingSent fails if the server saw a RCPT or a DATA, or took a
// message.
func wantNothingSent(t *testing.T, srv *smtptest.Server, log *stageLog, r *Report) {
	t.Helper()
	for _, s := range log.stages() {
		if strings.HasPrefix(s, "RCPT ") || strings.HasPrefix(s, "DATA ") {
			t.Errorf("the server was sent %s:\n%s", s, textOf(r))
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d message(s) arrived", n)
	}
	for _, s := range r.Servers {
		for _, l := range s.Transcript {
			if strings.HasPrefix(l, "C: RCPT") || strings.HasPrefix(l, "C: DATA") {
				t.Errorf("transcript has %q", l)
			}
		}
	}
}

// mailSteps returns the MAIL steps of the first server.
func mailSteps(r *Report) []Step {
	var out []Step
	for _, s := range r.Servers[0].Steps {
		if s.Step == "MAIL" {
			out = append(out, s)
		}
	}
	return out
}

func TestRun_MailAccepted(t *testing.T) {
	log := &stageLog{}
	srv := smtptest.NewServer(t, smtptest.WithFault(log.fault), smtptest.WithAuth("lib", "pw"))
	cfg := loadConfig(t, smtpFor(srv, "security = none", "username = lib", "password = pw"))
	r := runCheck(t, cfg, Options{})
	wantStep(t, r, "AUTH", StatusOK, "logged in as lib")
	wantStep(t, r, "MAIL", StatusOK, "MAIL FROM:<library@example.org> accepted (from in [message]); RSET, nothing sent")
	wantLast(t, r, "MAIL")
	if got := log.mails(); !slices.Equal(got, []string{"MAIL library@example.org"}) {
		t.Errorf("the server was asked %v", got)
	}
	wantNothingSent(t, srv, log, r)
	tr := strings.Join(r.Servers[0].Transcript, "\n")
	for _, want := range []string{"C: MAIL FROM:<library@example.org>", "S: 250 ", "C: RSET", "C: QUIT"} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
	if strings.Index(tr, "C: RSET") < strings.Index(tr, "C: MAIL FROM") {
		t.Errorf("RSET before MAIL:\n%s", tr)
	}
	if !r.OK() {
		t.Errorf("not OK:\n%s", textOf(r))
	}
}

func TestRun_MailRefused(t *testing.T) {
	const refusal = "553 5.7.1 <library@example.org>: Sender address rejected: not owned by user lib"
	log := &stageLog{answer: func(stage smtptest.Stage, _ string) *smtptest.Reply {
		if stage == smtptest.StageMail {
			return smtptest.Refuse(553, [3]int{5, 7, 1}, "<library@example.org>: Sender address rejected: not owned by user lib")
		}
		return nil
	}}
	srv := smtptest.NewServer(t, smtptest.WithFault(log.fault), smtptest.WithAuth("lib", "pw"))
	cfg := loadConfig(t, smtpFor(srv, "security = none", "username = lib", "password = pw"))
	r := runCheck(t, cfg, Options{})
	s := wantStep(t, r, "MAIL", StatusFail, "MAIL FROM:<library@example.org> (from in [message]): "+refusal,
		"The mail relay does not accept the sender address spoolgate sends with. It refuses library@example.org from the login lib",
		"set from in [message] to an address the relay allows")
	if s.Reply != refusal || s.Cause != cause.SenderRefused {
		t.Errorf("reply %q, cause %q; want the relay's own %q, sender-refused", s.Reply, s.Cause, refusal)
	}
	wantNothingSent(t, srv, log, r)
	if r.OK() || r.Problems() != 1 {
		t.Errorf("OK %v with %d problems, want 1:\n%s", r.OK(), r.Problems(), textOf(r))
	}
	text := textOf(r)
	for _, want := range []string{
		"  [FAIL] MAIL     MAIL FROM:<library@example.org> (from in [message]): " + refusal + "\n           -> The mail relay does not accept the sender address spoolgate sends with.",
		"    C: RSET\n",
		"Result: 1 problem found",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

// A relay that wants a login refuses MAIL with 530: that is the answer for
// every sender, so the check asks about one only.
func TestRun_MailNeedsLogin(t *testing.T) {
	log := &stageLog{}
	srv := smtptest.NewServer(t, smtptest.WithFault(log.fault), smtptest.WithAuth("lib", "pw"))
	cfg := loadConfig(t, smtpFor(srv, "security = none", "\n[unit.central]\nfrom = central@example.org\nreturn_path = central@example.org"))
	r := runCheck(t, cfg, Options{})
	wantStep(t, r, "AUTH", StatusSkip, "no login configured")
	steps := mailSteps(r)
	if len(steps) != 2 || steps[0].Status != StatusFail || steps[1].Status != StatusSkip {
		t.Fatalf("MAIL steps %+v:\n%s", steps, textOf(r))
	}
	if !strings.Contains(steps[0].Detail, "530 5.7.0 Authentication required") || steps[0].Cause != cause.AuthRequired ||
		!strings.Contains(steps[0].Verdict, "The mail relay requires a login before it takes mail.") ||
		!strings.Contains(steps[0].Verdict, "set username and password in [smtp]") {
		t.Errorf("step %+v", steps[0])
	}
	if !strings.Contains(steps[1].Detail, "1 more sender not asked about") {
		t.Errorf("step %+v", steps[1])
	}
	wantNothingSent(t, srv, log, r)
}

// Only a unit's sender is refused: [message]'s passes; the unit's
// return_path (its envelope sender) fails, its From-only address warns.
func TestRun_MailUnitSenders(t *testing.T) {
	log := &stageLog{answer: func(stage smtptest.Stage, arg string) *smtptest.Reply {
		if stage == smtptest.StageMail && strings.HasPrefix(arg, "central") {
			return smtptest.Refuse(550, [3]int{5, 7, 1}, "Sender "+arg+" not allowed")
		}
		return nil
	}}
	srv := smtptest.NewServer(t, smtptest.WithFault(log.fault))
	cfg := loadConfig(t, smtpFor(srv, "security = none",
		"\n[unit.central]\nfrom = central@example.org\nreturn_path = central-bounces@example.org",
		"\n[unit.east]\nfrom = central-east@example.org"))
	r := runCheck(t, cfg, Options{})
	steps := mailSteps(r)
	var got []string
	for _, s := range steps {
		got = append(got, string(s.Status)+" "+s.Detail)
	}
	want := []string{
		"ok MAIL FROM:<library@example.org> accepted (from in [message]); RSET, nothing sent",
		"fail MAIL FROM:<central-bounces@example.org> (return_path in [unit.central]): 550 5.7.1 Sender central-bounces@example.org not allowed",
		"warn MAIL FROM:<central@example.org> (from in [unit.central]): 550 5.7.1 Sender central@example.org not allowed",
		"warn MAIL FROM:<central-east@example.org> (from in [unit.east]): 550 5.7.1 Sender central-east@example.org not allowed",
	}
	if !slices.Equal(got, want) {
		t.Errorf("MAIL steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(steps) == 4 {
		wantIn(t, "return_path", steps[1].Verdict, "set return_path in [unit.central]")
		wantIn(t, "from only", steps[2].Verdict, "Messages from central@example.org go out with MAIL FROM:<central-bounces@example.org>, but the relay may refuse them for their From header too: set from in [unit.central]")
		wantIn(t, "from only", steps[3].Verdict, "Messages from central-east@example.org go out with MAIL FROM:<library@example.org>,")
	}
	wantNothingSent(t, srv, log, r)
	if r.Problems() != 1 || r.Warnings() != 2 {
		t.Errorf("%d problems, %d warnings:\n%s", r.Problems(), r.Warnings(), textOf(r))
	}
}

// A unit with a relay of its own has its senders asked on that relay, and
// [message]'s on [smtp].
func TestRun_MailPerChain(t *testing.T) {
	mainLog, branchLog := &stageLog{}, &stageLog{}
	mainSrv := smtptest.NewServer(t, smtptest.WithFault(mainLog.fault))
	branchSrv := smtptest.NewServer(t, smtptest.WithFault(branchLog.fault))
	cfg := loadConfig(t, smtpFor(mainSrv, "security = none")+
		"\n[smtp.branch]\n"+smtpFor(branchSrv, "security = none")+
		"\n[unit.east]\nfrom = east@example.org\nreturn_path = east@example.org\nsmtp = branch\n")
	r := runCheck(t, cfg, Options{})
	if len(r.Servers) != 2 || r.Servers[1].Name != "branch" {
		t.Fatalf("servers %+v", r.Servers)
	}
	if got := mainLog.mails(); !slices.Equal(got, []string{"MAIL library@example.org"}) {
		t.Errorf("[smtp] was asked %v", got)
	}
	if got := branchLog.mails(); !slices.Equal(got, []string{"MAIL east@example.org"}) {
		t.Errorf("[smtp.branch] was asked %v", got)
	}
	if !r.OK() {
		t.Errorf("not OK:\n%s", textOf(r))
	}
}

func TestSendersFor(t *testing.T) {
	cfg := &config.Config{
		Message: config.Message{From: "lib@example.org", ReturnPath: "bounces@example.org"},
		Units:   map[string]*config.Unit{},
	}
	head := &config.Server{Name: "smtp", Host: "a", Port: 25}
	backup := &config.Server{Name: "backup", Host: "b", Port: 25}
	head.Next = backup
	branch := &config.Server{Name: "branch", Host: "c", Port: 25}
	cfg.SMTP = head
	cfg.Units["north"] = &config.Unit{Name: "north", From: "north@example.org"}
	cfg.Units["south"] = &config.Unit{Name: "south", From: "LIB@example.org", ReturnPath: "south-bounces@example.org"}
	cfg.Units["east"] = &config.Unit{Name: "east", From: "east@example.org", SMTP: branch}
	str := func(l []sender) string {
		var b strings.Builder
		for _, s := range l {
			fmt.Fprintf(&b, "%s %v %s %v\n", s.addr, s.envelope, strings.Join(s.keys, "; "), s.with)
		}
		return b.String()
	}
	want := "bounces@example.org true return_path in [message] []\n" +
		"lib@example.org false from in [message]; from in [unit.south] [bounces@example.org south-bounces@example.org]\n" +
		"north@example.org false from in [unit.north] [bounces@example.org]\n" +
		"south-bounces@example.org true return_path in [unit.south] []\n"
	for _, srv := range []*config.Server{head, backup} {
		if got := str(sendersFor(cfg, srv)); got != want {
			t.Errorf("senders of %s:\n%swant:\n%s", srv.Name, got, want)
		}
	}
	if got, want := str(sendersFor(cfg, branch)), "bounces@example.org true return_path in [message] []\neast@example.org false from in [unit.east] [bounces@example.org]\n"; got != want {
		t.Errorf("senders of branch:\n%swant:\n%s", got, want)
	}
	// return_path unset: from is the envelope sender, named by its key.
	cfg.Message.ReturnPath = cfg.Message.From
	if got := str(sendersFor(cfg, branch)); !strings.HasPrefix(got, "lib@example.org true from in [message] []\n") {
		t.Errorf("senders of branch:\n%s", got)
	}
}
