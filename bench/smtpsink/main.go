// Command smtpsink is an SMTP server for benchmarks: it accepts every
// message, keeps none, and on SIGTERM or SIGINT prints how many messages
// and bytes it accepted. It is a separate process, like a real relay.
//
//	smtpsink -listen 127.0.0.1:2525 [-status FILE]
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"
)

var msgs, bytes atomic.Int64

type backend struct{}

func (backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{}, nil }

type session struct{}

func (*session) Mail(string, *smtp.MailOptions) error { return nil }
func (*session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*session) Reset()                               {}
func (*session) Logout() error                        { return nil }
func (*session) Data(r io.Reader) error {
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return err
	}
	bytes.Add(n)
	msgs.Add(1)
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:2525", "address to listen on")
	status := flag.String("status", "", "a file to write the count of accepted messages to, ten times a second")
	flag.Parse()
	if *status != "" {
		go func() {
			for range time.Tick(100 * time.Millisecond) {
				os.WriteFile(*status+".tmp", fmt.Appendf(nil, "%d\n", msgs.Load()), 0o644)
				os.Rename(*status+".tmp", *status)
			}
		}()
	}
	s := smtp.NewServer(backend{})
	s.Addr = *listen
	s.Domain = "sink.localhost"
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	s.MaxMessageBytes = 64 << 20
	s.EnableSMTPUTF8 = true
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-sig
		fmt.Printf("accepted %d messages, %d bytes\n", msgs.Load(), bytes.Load())
		os.Exit(0)
	}()
	if err := s.ListenAndServe(); err != nil {
		log.Fatal(err)
	}
}
