package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/jordan-wright/email"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/relay"
)

// testMessage is the test message of `spoolgate check --send`.
type testMessage struct {
	data      []byte
	subject   string
	messageID string
}

// composeTest writes the test message to to, from the [message] sender.
func composeTest(msg config.Message, to, host string, now time.Time) (*testMessage, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	id := "<spoolgate-check." + hex.EncodeToString(rnd[:]) + "@" + domainOf(msg.From) + ">"
	subject := "spoolgate test message from " + host
	e := email.NewEmail()
	e.From = (&mail.Address{Name: msg.FromName, Address: msg.From}).String()
	e.To = []string{to}
	e.Subject = subject
	e.Headers.Set("Date", now.Format(time.RFC1123Z))
	e.Headers.Set("Message-Id", id)
	e.Text = []byte(fmt.Sprintf("This is a test message from spoolgate, the mail gateway on %s.\r\n"+
		"It was sent by `spoolgate check --send` on %s, to show that mail from\r\n"+
		"this machine reaches %s.\r\n\r\nNo reply is needed.\r\n",
		host, now.Format("2006-01-02 15:04:05 -0700"), to))
	data, err := e.Bytes()
	if err != nil {
		return nil, err
	}
	return &testMessage{data: data, subject: subject, messageID: id}, nil
}

// sendTest sends the test message to to through the chain (or into the
// capture folder), as the service would.
func sendTest(ctx context.Context, cfg *config.Config, to string, now time.Time, r *Report) *Send {
	from := cfg.Message.ReturnPath
	if from == "" {
		from = cfg.Message.From
	}
	out := &Send{To: to, From: from, Steps: []Step{}, Transcript: []string{}}
	if a, err := mail.ParseAddress(to); err != nil {
		out.Steps = append(out.Steps, Step{Step: "SEND", Status: StatusFail, Detail: fmt.Sprintf("%q is not an e-mail address", to),
			Verdict: "Give --send an address such as someone@example.org."})
		return out
	} else {
		to = a.Address
		out.To = to
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "this machine"
	}
	msg, err := composeTest(cfg.Message, to, host, now)
	if err != nil {
		out.Steps = append(out.Steps, Step{Step: "SEND", Status: StatusFail, Detail: "could not write the test message: " + err.Error(),
			Verdict: "This is a bug in spoolgate: please report it."})
		return out
	}
	out.Subject, out.MessageID = msg.subject, msg.messageID

	d := &relay.Delivery{From: from, To: []string{to}, Data: msg.data, NeedsUTF8: !isASCII(from) || !isASCII(to)}
	var sender relay.Sender
	rec := newRecorder(cfg.SMTP, true)
	if cfg.Capture != "" {
		sender = relay.NewCapture(cfg.Capture)
	} else {
		sender = relay.NewSession(cfg.SMTP, nil)
	}
	res, err := sender.Send(relay.WithTrace(ctx, rec.trace), d)
	sender.Close()
	if rec.lines != nil {
		out.Transcript = rec.lines
	}

	if cfg.Capture != "" {
		if err != nil {
			out.add("SEND", StatusFail, detailOf(err), fmt.Sprintf("spoolgate could not write in the capture folder %s: see the folder check above.", cfg.Capture))
			return out
		}
		out.Server, out.Reply, out.QueueID = res.Server, res.Reply, res.QueueID
		out.add("SEND", StatusOK, fmt.Sprintf("captured as %s in %s; nothing was sent", res.QueueID, cfg.Capture), "")
		return out
	}

	sc := sendCase{from: from, to: to}
	var e *relay.Error
	errors.As(err, &e)
	answered := ""
	switch {
	case e != nil:
		answered = e.Server
	case res != nil:
		answered = res.Server
	}
	for _, srv := range servers(cfg) {
		if relay.Label(srv) == answered {
			sc.login = srv.Username != ""
		}
	}
	for _, s := range r.Servers {
		if s.Name+" ("+s.Address+")" == answered {
			sc.localIP = s.LocalAddress
		}
	}
	switch {
	case errors.Is(err, relay.ErrUnreachable):
		out.add("SEND", StatusFail, "no server of the chain could be reached: "+lastLine(err),
			"Fix what failed in the server checks above; spoolgate needs one server that it can connect and log in to.")
	case e != nil:
		stage := e.Stage
		if stage == "rcpt" || stage == "data" {
			out.add("MAIL", StatusOK, "MAIL FROM:<"+from+"> accepted", "")
		}
		if stage == "data" {
			out.add("RCPT", StatusOK, "RCPT TO:<"+to+"> accepted", "")
		}
		out.Server, out.Reply = e.Server, e.Reply
		out.Steps = append(out.Steps, failed(strings.ToUpper(stage), err, sendVerdict(err, stage, sc)))
	case err != nil:
		out.add("SEND", StatusFail, err.Error(), "The message could not be handed over: see the transcript.")
	default:
		out.Server = res.Server
		out.add("MAIL", StatusOK, "MAIL FROM:<"+from+"> accepted", "")
		if re, ok := res.Refused[to]; ok {
			out.Reply = re.Reply
			out.Steps = append(out.Steps, failed("RCPT", re, sendVerdict(re, "rcpt", sc)))
			return out
		}
		if re, ok := res.Deferred[to]; ok {
			out.Reply = re.Reply
			out.Steps = append(out.Steps, failed("RCPT", re, sendVerdict(re, "rcpt", sc)))
			return out
		}
		out.add("RCPT", StatusOK, "RCPT TO:<"+to+"> accepted", "")
		out.Reply, out.QueueID = res.Reply, res.QueueID
		detail := res.Reply
		if res.QueueID != "" {
			detail += " (queue id " + res.QueueID + ")"
		}
		out.add("DATA", StatusOK, detail+" from "+res.Server, "")
	}
	return out
}

func (s *Send) add(step string, st Status, detail, verdict string) {
	s.Steps = append(s.Steps, Step{Step: step, Status: st, Detail: detail, Verdict: verdict})
}

// lastLine is the last line of a joined error: the last server's reason.
func lastLine(err error) string {
	s := err.Error()
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
