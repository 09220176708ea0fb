package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Capture is a Sender that writes each message to a folder instead of
// relaying it, for trying spoolgate out without sending mail.
//
// Each message becomes one file "<time>-<random>.eml": the envelope as
// X-Sender and X-Receiver header lines, then the message. A captured file
// is thus itself a valid queue file. Files appear atomically: a reader of
// the folder never sees half a file (temporary files start with ".").
type Capture struct {
	dir string
}

var _ Sender = (*Capture)(nil)

// NewCapture returns a Capture writing into dir, which is created (0750)
// when the first message is captured.
func NewCapture(dir string) *Capture { return &Capture{dir: dir} }

// Connect always succeeds.
func (c *Capture) Connect(context.Context) error { return nil }

// Close does nothing.
func (c *Capture) Close() error { return nil }

// Send writes d to a new file and accepts it for every recipient. The file
// holds what a relay would be sent (wireData): d.Data, RFC 2047-encoded,
// unless an address needs SMTPUTF8. A failure is a temporary *Error of
// stage "capture".
func (c *Capture) Send(ctx context.Context, d *Delivery) (*Result, error) {
	server := "capture (" + c.dir + ")"
	if err := ctx.Err(); err != nil {
		return nil, Classify(context.Cause(ctx), server, "capture")
	}
	data, _ := wireData(d)
	buf := make([]byte, 0, len(data)+64*(len(d.To)+1))
	buf = fmt.Appendf(buf, "X-Sender: %s\r\n", d.From)
	for _, rcpt := range d.To {
		buf = fmt.Appendf(buf, "X-Receiver: %s\r\n", rcpt)
	}
	buf = append(buf, data...)

	name, err := c.write(buf)
	if err != nil {
		return nil, Classify(err, server, "capture")
	}
	return &Result{
		Server:   server,
		Reply:    "250 captured as " + name,
		QueueID:  name,
		Accepted: append([]string(nil), d.To...),
	}, nil
}

// write stores b under a new name: a temporary file in the same folder,
// synced, closed and renamed. It returns the final file name.
func (c *Capture) write(b []byte) (name string, err error) {
	if err := os.MkdirAll(c.dir, 0o750); err != nil {
		return "", err
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	name = time.Now().UTC().Format("20060102-150405.000000") + "-" + hex.EncodeToString(rnd[:]) + ".eml"
	f, err := os.CreateTemp(c.dir, ".capture-*.tmp")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(b); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	if err = os.Rename(tmp, filepath.Join(c.dir, name)); err != nil {
		return "", err
	}
	return name, nil
}
