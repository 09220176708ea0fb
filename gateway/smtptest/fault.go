package smtptest

import (
	"time"
)

// Stage is the point of the dialogue at which a Fault is asked.
type Stage string

// The stages a Fault is asked at.
const (
	StageMail Stage = "MAIL" // arg: the sender address
	StageRcpt Stage = "RCPT" // arg: the recipient address
	StageData Stage = "DATA" // after the whole message was read; arg: the sender
	StageAuth Stage = "AUTH" // arg: the mechanism
)

// Fault is asked at each stage what to do instead of the normal answer; it
// returns nil for the normal answer. It runs on the server's goroutines.
type Fault func(stage Stage, arg string) *Reply

// Reply is what a Fault makes the server do.
//
// The server first waits Delay, then:
//
//   - with Stall, never answers (until the test ends);
//   - with Cut, closes the TCP connection without answering (at StageData,
//     after the final dot was read);
//   - with a Code, answers with it (a 4xx or 5xx refuses; at StageData a
//     2xx accepts the message with this text instead of "OK: queued"; a
//     2xx at the other stages means the normal answer);
//   - else answers as normal.
//
// With Trickle, the answer goes out one byte every Trickle (under TLS,
// one byte of the TLS record at a time). With Close, the connection is
// closed right after the answer was sent.
type Reply struct {
	Code     int
	Enhanced [3]int // e.g. {5, 1, 1}; zero: X.0.0
	Message  string

	Delay   time.Duration
	Stall   bool
	Cut     bool
	Close   bool
	Trickle time.Duration
}

// Refuse returns a Reply that answers code, e.g. Refuse(550, [3]int{5, 1, 1},
// "no such user").
func Refuse(code int, enhanced [3]int, message string) *Reply {
	return &Reply{Code: code, Enhanced: enhanced, Message: message}
}

// At returns a Fault that gives r at stage and the normal answer elsewhere.
func At(stage Stage, r *Reply) Fault {
	return func(s Stage, _ string) *Reply {
		if s == stage {
			return r
		}
		return nil
	}
}

// AtRcpt returns a Fault that gives r at RCPT for the recipient addr only.
func AtRcpt(addr string, r *Reply) Fault {
	return func(s Stage, arg string) *Reply {
		if s == StageRcpt && arg == addr {
			return r
		}
		return nil
	}
}

// CutAfterData closes the connection after reading DATA's final dot,
// before answering.
func CutAfterData() Fault { return At(StageData, &Reply{Cut: true}) }

// Stall makes the server stop answering at stage, until the test ends.
func Stall(stage Stage) Fault { return At(stage, &Reply{Stall: true}) }

// Delay makes the server wait d before answering at stage.
func Delay(stage Stage, d time.Duration) Fault { return At(stage, &Reply{Delay: d}) }

// TrickleReply makes the server send its answer at stage one byte every
// d: a server that keeps the client waiting without ever going silent.
func TrickleReply(stage Stage, d time.Duration) Fault { return At(stage, &Reply{Trickle: d}) }

// CloseAfterEachMessage accepts each message and then closes the
// connection, as some relays do.
func CloseAfterEachMessage() Fault { return At(StageData, &Reply{Close: true}) }
