package gateway

// The relay-fault suite: each fault of a relay server, injected into a
// real SMTP server on 127.0.0.1, with the outcome the gateway promises.

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/health"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
)

// TestFault_Failover: a first server that can't be used for any reason
// of the connection's set-up makes the chain fail over to the next one;
// the first server never gets the message, in plain text or otherwise.
func TestFault_Failover(t *testing.T) {
	certs := smtptest.NewTLSCerts(t)
	cases := []struct {
		name  string
		first func(t *testing.T) (*config.Server, func() int) // the first server, and how many messages it took
		stage string                                          // in the failover warning
	}{
		{"refused connection", func(t *testing.T) (*config.Server, func() int) {
			host, port := "127.0.0.1", smtptest.ClosedPort(t)
			return serverConfig("first", host, port), func() int { return 0 }
		}, "dial"},
		{"421 at the greeting", func(t *testing.T) (*config.Server, func() int) {
			var mails atomic.Int32
			raw := smtptest.NewRawServer(t, func(c net.Conn) {
				c.Write([]byte("421 4.3.2 too busy, try later\r\n"))
				// Whatever the client says next must not be a MAIL.
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				if line, _ := bufio.NewReader(c).ReadString('\n'); strings.HasPrefix(strings.ToUpper(line), "MAIL") {
					mails.Add(1)
				}
			})
			return serverConfig("first", raw.Host(), raw.Port()), func() int { return int(mails.Load()) }
		}, "greeting"},
		{"STARTTLS refused", func(t *testing.T) (*config.Server, func() int) {
			var plain atomic.Int32
			raw := smtptest.NewRawServer(t, func(c net.Conn) {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(c)
				c.Write([]byte("220 raw.test ESMTP\r\n"))
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "EHLO"):
						c.Write([]byte("250-raw.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n"))
					case cmd == "STARTTLS":
						c.Write([]byte("454 4.7.0 TLS not available due to temporary reason\r\n"))
					case cmd == "QUIT":
						c.Write([]byte("221 bye\r\n"))
						return
					case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), cmd == "DATA":
						plain.Add(1)
						c.Write([]byte("503 5.5.1 no\r\n"))
					default:
						c.Write([]byte("250 ok\r\n"))
					}
				}
			})
			s := serverConfig("first", raw.Host(), raw.Port())
			s.Security = config.SecurityStartTLS
			return s, func() int { return int(plain.Load()) }
		}, "tls"},
		{"expired certificate (auto)", func(t *testing.T) (*config.Server, func() int) {
			srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Expired))
			s := serverConfig("first", srv.Host(), srv.Port())
			s.Security, s.RootCAs = config.SecurityAuto, certs.CAPool
			return s, func() int { return len(srv.Messages()) }
		}, "tls"},
		{"expired certificate (starttls)", func(t *testing.T) (*config.Server, func() int) {
			srv := smtptest.NewServer(t, smtptest.WithTLS(certs.Expired))
			s := serverConfig("first", srv.Host(), srv.Port())
			s.Security, s.RootCAs = config.SecurityStartTLS, certs.CAPool
			return s, func() int { return len(srv.Messages()) }
		}, "tls"},
		{"certificate for another name (auto)", func(t *testing.T) (*config.Server, func() int) {
			srv := smtptest.NewServer(t, smtptest.WithTLS(certs.WrongName))
			s := serverConfig("first", srv.Host(), srv.Port())
			s.Security, s.RootCAs = config.SecurityAuto, certs.CAPool
			return s, func() int { return len(srv.Messages()) }
		}, "tls"},
		{"certificate for another name (starttls)", func(t *testing.T) (*config.Server, func() int) {
			srv := smtptest.NewServer(t, smtptest.WithTLS(certs.WrongName))
			s := serverConfig("first", srv.Host(), srv.Port())
			s.Security, s.RootCAs = config.SecurityStartTLS, certs.CAPool
			return s, func() int { return len(srv.Messages()) }
		}, "tls"},
		{"AUTH refused", func(t *testing.T) (*config.Server, func() int) {
			srv := smtptest.NewServer(t, smtptest.WithAuth("library", "right"))
			s := serverConfig("first", srv.Host(), srv.Port())
			s.Username, s.Password = "library", "wrong"
			return s, func() int { return len(srv.Messages()) }
		}, "auth"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first, took := tc.first(t)
			backup := smtptest.NewServer(t, smtptest.WithTLS(certs.Server))
			cfg := testConfig(t, nil)
			cfg.SMTP = first
			cfg.SMTP.Next = serverConfig("backup", backup.Host(), backup.Port())
			cfg.SMTP.Next.RootCAs = certs.CAPool
			r := start(t, cfg)
			drop(t, cfg, "f.eml", msg("a@example.net", "failover"))
			got := backup.WaitMessages(t, 1, 60*time.Second)
			waitEmpty(t, cfg)
			if !got[0].TLS {
				t.Error("the backup took the message in plain text, though it offers STARTTLS")
			}
			if n := took(); n != 0 {
				t.Errorf("the failed first server got %d messages (or commands after its failure)", n)
			}
			if !strings.Contains(r.log.String(), "relay server failed; trying the next one") ||
				!strings.Contains(r.log.String(), "stage="+tc.stage) {
				t.Errorf("the log does not name the failover at stage %s", tc.stage)
			}
			// Nothing was refused or deferred: one message sent, via the backup.
			r.stop()
			recs, err := openJournal(t, cfg).Query(journal.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || recs[0].Status != journal.StatusSent || !strings.HasPrefix(recs[0].Server, "backup") {
				t.Fatalf("journal: %+v", recs)
			}
			if n := len(backup.Messages()); n != 1 {
				t.Fatalf("the backup got %d messages, want 1", n)
			}
		})
	}
}

// TestFault_Refusals: a refusal at MAIL, RCPT or DATA is an answer, not a
// reason to fail over. A 4xx defers the file (and it is delivered once
// the server takes it); a 5xx about the message or its recipients sets it
// aside as .BAD with the reply; a 5xx about the session (the sender, the
// login) holds the queue: nothing is set aside, the relay is recorded
// unavailable, and the file goes once the relay takes it.
func TestFault_Refusals(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs: the full lane runs it (bash .ci/run)")
	}
	const (
		ok   = "ok@example.net"
		gone = "gone@example.net"
	)
	cases := []struct {
		name  string
		fault smtptest.Fault
		to    string
		want  string // deferred, bad, held, or sent (with some refused for good)
		reply string // in the journal (and the .BAD.txt)
	}{
		{"451 at MAIL", smtptest.At(smtptest.StageMail, smtptest.Refuse(451, [3]int{4, 3, 0}, "mail: local error")), ok, "deferred", "451"},
		{"550 at MAIL", smtptest.At(smtptest.StageMail, smtptest.Refuse(550, [3]int{5, 7, 1}, "sender rejected")), ok, "held", "550"},
		{"530 at MAIL", smtptest.At(smtptest.StageMail, smtptest.Refuse(530, [3]int{5, 7, 0}, "Authentication required")), ok, "held", "530"},
		{"450 at RCPT for all", smtptest.At(smtptest.StageRcpt, smtptest.Refuse(450, [3]int{4, 2, 1}, "mailbox unavailable")), ok + ", " + gone, "deferred", "450"},
		{"550 at RCPT for all", smtptest.At(smtptest.StageRcpt, smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user")), ok + ", " + gone, "bad", "550"},
		{"450 at RCPT for some", smtptest.AtRcpt(gone, smtptest.Refuse(450, [3]int{4, 2, 1}, "mailbox busy")), ok + ", " + gone, "deferred", "450"},
		{"550 at RCPT for some", smtptest.AtRcpt(gone, smtptest.Refuse(550, [3]int{5, 1, 1}, "no such user")), ok + ", " + gone, "sent", "550"},
		{"451 at DATA", smtptest.At(smtptest.StageData, smtptest.Refuse(451, [3]int{4, 3, 0}, "queue full")), ok, "deferred", "451"},
		{"554 at DATA", smtptest.At(smtptest.StageData, smtptest.Refuse(554, [3]int{5, 7, 1}, "message refused as spam")), ok, "bad", "554"},
	}
	for _, tc := range cases {
		bothWays(t, tc.name, func(t *testing.T, pipelining bool) {
			t.Parallel()
			srv := smtptest.NewServer(t, smtptest.WithFault(tc.fault))
			cfg := testConfig(t, srv)
			cfg.SMTP.Pipelining = pipelining
			cfg.Spool.Interval = 2 * time.Second // a held queue's next attempt
			r := start(t, cfg)
			drop(t, cfg, "m.eml", msg(tc.to, "refusal"))
			j := openJournal(t, cfg)
			record := func() journal.Record {
				recs, err := j.Query(journal.Filter{})
				if err != nil || len(recs) != 1 {
					return journal.Record{}
				}
				return recs[0]
			}
			switch tc.want {
			case "deferred":
				waitFor(t, "the file is deferred and journalled so", func() bool {
					rec := record()
					return hasSuffix(files(t, cfg.Spool.Folder), ".deferred") == 1 &&
						(rec.Status == journal.StatusDeferred || rec.Status == journal.StatusSent) && strings.Contains(rec.Reply, tc.reply)
				})
				partly := len(srv.Messages()) // the recipients the server took meanwhile
				srv.SetFault(nil)
				waitEmpty(t, cfg)
				waitFor(t, "the journal says sent", func() bool { return record().Status == journal.StatusSent })
				st, _ := j.State(record().Key)
				if len(st.Delivered) != len(strings.Split(tc.to, ", ")) || st.Attempts < 2 {
					t.Errorf("state after the retry: %+v", st)
				}
				// Each recipient got it once.
				rcpts := map[string]int{}
				for _, m := range srv.Messages() {
					for _, to := range m.To {
						rcpts[to]++
					}
				}
				for _, to := range strings.Split(tc.to, ", ") {
					if rcpts[to] != 1 {
						t.Errorf("%s got the message %d times (%d before the retry)", to, rcpts[to], partly)
					}
				}
			case "bad":
				waitFor(t, "m.BAD and m.BAD.txt exist", func() bool { return exists(cfg, "m.BAD") && exists(cfg, "m.BAD.txt") })
				reason, _ := os.ReadFile(filepath.Join(cfg.Spool.Folder, "m.BAD.txt"))
				if !strings.Contains(string(reason), tc.reply) {
					t.Errorf("m.BAD.txt lacks %q:\n%s", tc.reply, reason)
				}
				waitFor(t, "the journal says failed", func() bool {
					rec := record()
					return rec.Status == journal.StatusFailed && strings.Contains(rec.Reply, tc.reply)
				})
				if n := len(srv.Messages()); n != 0 {
					t.Errorf("the server took %d messages", n)
				}
			case "held":
				waitFor(t, "the relay is recorded unavailable", func() bool {
					rec, err := health.Read(cfg.Spool.Data, cfg.Spool.Instance)
					return err == nil && rec.Relay("smtp").State == health.Unavailable && strings.Contains(rec.Relay("smtp").Reply, tc.reply)
				})
				waitFor(t, "the journal says deferred", func() bool { return record().Status == journal.StatusDeferred })
				if n := hasSuffix(files(t, cfg.Spool.Folder), ".BAD"); n != 0 {
					t.Fatalf("a refusal of the session set a file aside: %v", files(t, cfg.Spool.Folder))
				}
				srv.SetFault(nil)
				srv.WaitMessages(t, 1, 60*time.Second)
				waitEmpty(t, cfg)
				waitFor(t, "the journal says sent", func() bool { return record().Status == journal.StatusSent })
			case "sent":
				got := srv.WaitMessages(t, 1, 60*time.Second)
				waitEmpty(t, cfg)
				if fmt.Sprint(got[0].To) != "["+ok+"]" {
					t.Errorf("delivered to %v", got[0].To)
				}
				waitFor(t, "the journal says partly-sent", func() bool { return record().Status == journal.StatusPartlySent })
				st, _ := j.State(record().Key)
				if fmt.Sprint(st.Delivered) != "["+ok+"]" || fmt.Sprint(st.Failed) != "["+gone+"]" {
					t.Errorf("state %+v", st)
				}
			}
			if strings.Contains(r.log.String(), "trying the next one") {
				t.Error("a refusal made the gateway fail over")
			}
			stillRunning(t, cfg, srv)
		})
	}
}

// stillRunning drops one more file and waits for srv to get it: the
// gateway is still working after whatever the test did.
func stillRunning(t *testing.T, cfg *config.Config, srv *smtptest.Server) {
	t.Helper()
	srv.SetFault(nil)
	drop(t, cfg, "after.eml", msg("after@example.net", "still running"))
	waitFor(t, "a file dropped afterwards is delivered", func() bool { return bySubject(srv.Messages())["still running"] == 1 })
}

// TestFault_CutAfterData: the connection is cut after DATA's final dot,
// before the reply. The gateway can't know whether the server kept the
// message, so it defers the file and sends it again once the server
// behaves: at least once, at most twice (the design's promise).
func TestFault_CutAfterData(t *testing.T) {
	bothWays(t, "cut", testCutAfterData)
}

func testCutAfterData(t *testing.T, pipelining bool) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.CutAfterData()))
	cfg := testConfig(t, srv)
	cfg.SMTP.Pipelining = pipelining
	start(t, cfg)
	drop(t, cfg, "cut.eml", msg("a@example.net", "cut"))
	waitFor(t, "the file is deferred", func() bool { return hasSuffix(files(t, cfg.Spool.Folder), ".deferred") == 1 })
	j := openJournal(t, cfg)
	waitFor(t, "the journal says deferred", func() bool {
		recs, _ := j.Query(journal.Filter{Status: journal.StatusDeferred})
		return len(recs) == 1
	})
	srv.SetFault(nil)
	srv.WaitMessages(t, 1, 60*time.Second)
	waitEmpty(t, cfg)
	// smtptest does not keep a message whose connection it cut, so the
	// server got it exactly once; a real server might have kept the first
	// copy too, which makes two.
	if n := bySubject(srv.Messages())["cut"]; n != 1 {
		t.Fatalf("the server kept %d copies, want 1", n)
	}
	waitFor(t, "the journal says sent after 2 attempts", func() bool {
		recs, _ := j.Query(journal.Filter{Status: journal.StatusSent})
		return len(recs) == 1 && recs[0].Attempts == 2
	})
	stillRunning(t, cfg, srv)
}

// TestFault_Stall: a server that stops answering in the middle of a
// dialogue is given up after [smtp] timeout; the file is deferred and sent
// once the server answers again.
func TestFault_Stall(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs: the full lane runs it (bash .ci/run)")
	}
	for _, stage := range []smtptest.Stage{smtptest.StageMail, smtptest.StageRcpt, smtptest.StageData} {
		bothWays(t, string(stage), func(t *testing.T, pipelining bool) {
			t.Parallel()
			srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.Stall(stage)))
			cfg := testConfig(t, srv)
			cfg.SMTP.Pipelining = pipelining
			cfg.SMTP.Timeout = time.Second
			r := start(t, cfg)
			began := time.Now()
			drop(t, cfg, "stall.eml", msg("a@example.net", "stalled"))
			waitFor(t, "the file is deferred", func() bool { return hasSuffix(files(t, cfg.Spool.Folder), ".deferred") == 1 })
			if d := time.Since(began); d > 20*time.Second {
				t.Errorf("the stall was given up after %v, with timeout = 1s", d)
			}
			srv.SetFault(nil)
			srv.WaitMessages(t, 1, 60*time.Second)
			waitEmpty(t, cfg)
			if n := len(srv.Messages()); n != 1 {
				t.Fatalf("%d messages, want 1", n)
			}
			if !strings.Contains(r.log.String(), "temporary failure; the message will be retried") {
				t.Error("the log does not say the message will be retried")
			}
			stillRunning(t, cfg, srv)
		})
	}
}

// TestFault_CloseAfterEachMessage: a server that accepts a message and
// hangs up gets every message, each once.
func TestFault_CloseAfterEachMessage(t *testing.T) {
	bothWays(t, "close", testCloseAfterEachMessage)
}

func testCloseAfterEachMessage(t *testing.T, pipelining bool) {
	t.Parallel()
	srv := smtptest.NewServer(t, smtptest.WithFault(smtptest.CloseAfterEachMessage()))
	cfg := testConfig(t, srv)
	cfg.SMTP.Pipelining = pipelining
	r := start(t, cfg)
	const n = 20
	for i := 0; i < n; i++ {
		drop(t, cfg, fmt.Sprintf("c%02d.eml", i), msg("a@example.net", fmt.Sprintf("close %d", i)))
	}
	srv.WaitMessages(t, n, 60*time.Second)
	waitEmpty(t, cfg)
	r.stop()
	subj := bySubject(srv.Messages())
	for i := 0; i < n; i++ {
		if subj[fmt.Sprintf("close %d", i)] != 1 {
			t.Errorf("message %d delivered %d times", i, subj[fmt.Sprintf("close %d", i)])
		}
	}
	if len(srv.Messages()) != n {
		t.Errorf("%d deliveries, want %d", len(srv.Messages()), n)
	}
	if c := srv.Connections(); c < n {
		t.Errorf("%d connections for %d messages, though the server hangs up after each", c, n)
	}
	recs, _ := openJournal(t, cfg).Query(journal.Filter{Status: journal.StatusSent})
	if len(recs) != n {
		t.Errorf("journal: %d sent, want %d", len(recs), n)
	}
	for _, rec := range recs {
		if rec.Attempts != 1 {
			t.Errorf("%s took %d attempts", rec.File, rec.Attempts)
		}
	}
}

// TestFault_ChainDownThenBack: while every server of the chain is down,
// the queue waits untouched; when one comes back, the backlog drains at
// the configured rate, not in a burst.
func TestFault_ChainDownThenBack(t *testing.T) {
	if testing.Short() {
		t.Skip("takes seconds of real time-outs and files: the full lane runs it (bash .ci/run)")
	}
	srv := smtptest.NewServer(t)
	var down atomic.Bool
	down.Store(true)
	g := gate(t, srv.Addr(), &down)
	host, port := "127.0.0.1", smtptest.ClosedPort(t)
	cfg := testConfig(t, nil)
	cfg.SMTP = serverConfig("smtp", g.Host(), g.Port())
	cfg.SMTP.Next = serverConfig("backup", host, port)
	cfg.Spool.Batch, cfg.Spool.Interval = 3, 2*time.Second
	r := start(t, cfg)
	const n = 9
	for i := 0; i < n; i++ {
		drop(t, cfg, fmt.Sprintf("d%d.eml", i), msg("a@example.net", fmt.Sprintf("backlog %d", i)))
	}
	waitFor(t, "the outage is logged", func() bool { return strings.Contains(r.log.String(), "relay unavailable: ") })
	// Let it try at another check or two while down.
	waitFor(t, "the gateway knocked at least twice", func() bool { return g.Connections() >= 2 })
	if got := files(t, cfg.Spool.Folder); len(got) != n || hasSuffix(got, ".eml") != n {
		t.Fatalf("while down the queue must stay as dropped; it is %v", got)
	}
	down.Store(false)
	got := srv.WaitMessages(t, n, 120*time.Second)
	waitEmpty(t, cfg)
	for i := 0; i+3 < len(got); i++ {
		if gap := got[i+3].At.Sub(got[i].At); gap < cfg.Spool.Interval {
			t.Errorf("messages %d and %d only %v apart: more than 3 in %v", i, i+3, gap, cfg.Spool.Interval)
		}
	}
	subj := bySubject(got)
	for i := 0; i < n; i++ {
		if subj[fmt.Sprintf("backlog %d", i)] != 1 {
			t.Errorf("message %d delivered %d times", i, subj[fmt.Sprintf("backlog %d", i)])
		}
	}
	if l := r.log.String(); strings.Count(l, "relay unavailable: ") > g.Connections() {
		t.Errorf("the outage was logged more often than the gateway checked")
	}
	stillRunning(t, cfg, srv)
}
