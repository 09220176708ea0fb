//go:build unix

package bounces_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/bounces"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/journal"
	"github.com/spoolgate/spoolgate/gateway/mailbox"
	"github.com/spoolgate/spoolgate/gateway/smtptest"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// The child of TestPass_Crash reads these: the data folder, the IMAPS
// port and the CA file of the Dovecot the parent started.
const (
	envCrashData = "SPOOLGATE_BOUNCES_CRASH_DATA"
	envCrashPort = "SPOOLGATE_BOUNCES_CRASH_PORT"
	envCrashCA   = "SPOOLGATE_BOUNCES_CRASH_CA"
)

// TestHelperCrashPass is the child of TestPass_Crash: one Pass over the
// parent's mailbox and journal, until it ends or is killed.
func TestHelperCrashPass(t *testing.T) {
	data := os.Getenv(envCrashData)
	if data == "" {
		t.Skip("run by TestPass_Crash")
	}
	port, _ := strconv.Atoi(os.Getenv(envCrashPort))
	cfg := testConfig(t, nil)
	cfg.Spool.Data = data
	cfg.Bounces.IMAP = crashServer(t, port, os.Getenv(envCrashCA))
	j := openJournal(t, cfg)
	if _, err := bounces.Pass(context.Background(), cfg, j, nil, bounces.Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestPass_Crash: a Pass killed with SIGKILL at random moments, and run
// again until it ends, records every report of every mail exactly once,
// and in the end every mail has left INBOX for one folder, none twice.
func TestPass_Crash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real Dovecot: the full lane runs it (bash .ci/run)")
	}
	s := smtptest.StartDovecotIMAP(t)
	cfg := testConfig(t, s)
	j := openJournal(t, cfg)
	// Every fixture, three times over, each copy with its own Message-ID.
	const copies = 3
	want := map[string]int{} // MailID → reports
	total := 0
	mid := regexp.MustCompile(`(?im)^message-id:[ \t]*<`)
	for n := range copies {
		for _, f := range fixtures {
			raw, err := os.ReadFile(filepath.Join("..", "bounce", "testdata", f.file))
			if err != nil {
				t.Fatal(err)
			}
			hdrEnd := len(raw)
			if i := regexp.MustCompile(`\r?\n\r?\n`).FindIndex(raw); i != nil {
				hdrEnd = i[0]
			}
			if loc := mid.FindIndex(raw[:hdrEnd]); loc != nil {
				raw = append(append(append([]byte{}, raw[:loc[1]]...), fmt.Sprintf("copy%d.", n)...), raw[loc[1]:]...)
			} else {
				raw = append([]byte(fmt.Sprintf("X-Copy: %d\r\n", n)), raw...)
			}
			if n == 0 && f.key != "" {
				journalSent(t, j, f.key, f.messageID, f.to)
			}
			s.Append(t, "INBOX", raw)
			total++
			if f.kind == "dsn" {
				want[bounces.MailID(raw)] = len(f.want)
				if f.key == "" {
					want[bounces.MailID(raw)] = 1 // the unmatched Gmail bounce: its one recipient
				}
			}
		}
	}
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}

	kills := 0
	for attempt := 0; ; attempt++ {
		if attempt == 30 {
			t.Fatalf("the pass did not finish in 30 runs")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashPass$")
		cmd.Env = append(os.Environ(), envCrashData+"="+cfg.Spool.Data, envCrashPort+"="+strconv.Itoa(s.ImplicitPort()), envCrashCA+"="+s.CAFile)
		out := &spooltest.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		if attempt < 8 {
			// Kill it mid-pass: once it has moved a mail, a moment later.
			before, exited := len(s.List(t, "INBOX")), false
			for !exited && len(s.List(t, "INBOX")) == before {
				select {
				case err = <-done:
					exited = true
				case <-time.After(20 * time.Millisecond):
				}
			}
			if !exited {
				time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				kills++
				t.Logf("killed mid-pass; %d of %d mails left in INBOX", len(s.List(t, "INBOX")), total)
				continue
			}
		} else {
			err = <-done
		}
		if err != nil {
			t.Fatalf("the pass failed: %v\n%s", err, out.String())
		}
		break
	}
	t.Logf("killed %d times", kills)

	if n := len(s.List(t, "INBOX")); n != 0 {
		t.Fatalf("%d mails left in INBOX", n)
	}
	moved := len(s.List(t, mailbox.Processed)) + len(s.List(t, mailbox.Unrecognised))
	if moved != total {
		t.Errorf("%d mails in the two folders, want %d: lost or doubled", moved, total)
	}
	bs, err := j.Bounces(time.Time{}, time.Now().Add(time.Hour), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, b := range bs {
		got[b.MailID]++
	}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("%s: %d reports recorded, want %d", id, got[id], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d mails recorded, want %d", len(got), len(want))
	}
	// And the outcomes are as one pass makes them.
	rc := recipients(t, j, "01JNH8Q2V7K4Z9X3M5T6R8W2PE")["jana.dvorakova@posta.example.cz"]
	if rc.Outcome != journal.StatusBounced || rc.Bounce == nil || rc.Bounce.Class != "soft" {
		t.Errorf("after the crashes: %+v", rc)
	}
}

// crashServer is the parent's Dovecot as the child reaches it.
func crashServer(t *testing.T, port int, caFile string) *config.Server {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &config.Server{
		Name: "bounces", Host: smtptest.DovecotHost, Port: port, Security: config.SecurityTLS, TLSVerify: true, RootCAs: pool,
		Username: smtptest.IMAPUser, Password: smtptest.IMAPPassword, ConnectTimeout: 10 * time.Second, Timeout: 30 * time.Second,
	}
}
