// Package mailbox reads the bounce mailbox over IMAP: it lists the
// messages of one folder, hands them over oldest first, and moves each
// one, once handled, to another folder. It never deletes mail.
//
// The contract:
//
//   - Open connects with TLS verified as [bounces] says (implicit TLS,
//     or STARTTLS, which is then required; plain text only to a loopback
//     address with security = none), logs in with AUTHENTICATE PLAIN or
//     LOGIN for a password, or with XOAUTH2 (else OAUTHBEARER) and an
//     access token from package oauth for auth = oauth2, and selects the
//     folder.
//   - Fetch returns the folder's messages, at most max, in UID order
//     (the order they arrived in), with BODY.PEEK[], so that nothing is
//     marked \Seen. A message larger than Box.MaxSize is not read: it
//     comes back with TooLarge set and its size.
//   - Move moves one message to another folder, creating that folder
//     and its parent when missing: with MOVE (RFC 6851) when the server
//     offers it, else with UID COPY, UID STORE \Deleted and UID EXPUNGE
//     (UIDPLUS, RFC 4315), which expunges that one message only. It
//     never sends a plain EXPUNGE, which would also remove any other
//     message someone marked \Deleted; a server with neither MOVE nor
//     UIDPLUS gets ErrNoMove.
//   - Every write and every read is under a deadline: the connect under
//     ConnectTimeout, each command and each response under Timeout (and
//     under the context's deadline, when sooner). Replies are bounded: a
//     response line at 4 MB, a literal at MaxSize (a larger one is read
//     past, not kept).
//   - Every error is an *Error: Permanent when retrying as it is cannot
//     help (a refused login, an untrusted certificate, a missing folder),
//     temporary otherwise (the network, a time-out, a BYE); it wraps the
//     cause with %w, and its Hint says what to do. A password or a token
//     is never logged nor put in an error.
//
// The client is this package's own, over a bufio.Reader, and not
// github.com/emersion/go-imap v1.2.1: that client reads every literal
// whole into memory (its only bound, MaxLiteralSize, fails the whole
// connection), has one timeout for the connection and none from a
// context, and needs a second module (go-imap-uidplus) for UID EXPUNGE.
// The few commands needed here (CAPABILITY, STARTTLS, AUTHENTICATE,
// LOGIN, SELECT, UID SEARCH, UID FETCH, LIST, CREATE, UID MOVE, UID COPY,
// UID STORE, UID EXPUNGE, NOOP, LOGOUT) take about 1,400 lines with
// their comments, with the bounds and deadlines where this package wants
// them.
//
// A Box is used by one goroutine at a time.
package mailbox

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/oauth"
	"github.com/spoolgate/spoolgate/gateway/relay"
)

var b64 = base64.StdEncoding

// MaxMessageSize is the default Box.MaxSize: 10 MB. A bounce is a few
// kilobytes, with the returned message at most what spoolgate sent.
const MaxMessageSize = 10 << 20

// fetchUIDs is how many UIDs one UID FETCH names: about 6 KB of command.
const fetchUIDs = 500

// Default time limits, for a Server without them.
const (
	defaultConnectTimeout = 30 * time.Second
	defaultTimeout        = 2 * time.Minute
	logoutWait            = 5 * time.Second
)

// The folders handled mail goes to.
const (
	Processed    = "spoolgate/processed"
	Unrecognised = "spoolgate/unrecognised"
)

// Mail is one message of the folder.
type Mail struct {
	UID         uint32
	UIDValidity uint32 // the folder's: a UID means this message only with it
	Raw         []byte // the whole message; nil when TooLarge
	TooLarge    bool   // larger than Box.MaxSize, and not read
	Size        int64  // the size the server gave (RFC822.SIZE)
}

// Box is an open connection to the bounce mailbox, with its folder
// selected.
type Box struct {
	// MaxSize is the largest message Fetch reads, in bytes;
	// MaxMessageSize unless changed.
	MaxSize int64

	srv          *config.Server
	addr         string
	folder       string
	log          *slog.Logger
	oauth        bool
	passwordFile string
	timeout      time.Duration

	nc          net.Conn
	r           *bufio.Reader
	w           *bufio.Writer
	tags        int
	caps        map[string]bool
	tls         bool
	uidValidity uint32
	exists      uint32
	delim       *string         // the hierarchy delimiter, once known ("" when flat)
	made        map[string]bool // folders known to exist
	broken      error           // set when the connection can no longer be used
	closed      bool
}

// Open connects to srv, logs in and selects folder ("INBOX" when "").
func Open(ctx context.Context, srv *config.Server, folder string, log *slog.Logger) (*Box, error) {
	if srv == nil {
		return nil, errors.New("mailbox: no server")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if folder == "" {
		folder = "INBOX"
	}
	b := &Box{
		MaxSize: MaxMessageSize, srv: srv, addr: srv.Address(), folder: folder, log: log,
		oauth: srv.Auth == config.AuthOAuth2, passwordFile: srv.PasswordFile,
		timeout: srv.Timeout, made: map[string]bool{},
	}
	if b.timeout <= 0 {
		b.timeout = defaultTimeout
	}
	if strings.ContainsAny(folder, "\r\n") {
		return nil, b.classify("select", fmt.Errorf("%w: the folder name %q holds a line break", ErrNoFolder, folder))
	}
	if err := b.open(ctx); err != nil {
		if b.nc != nil {
			b.nc.Close()
		}
		return nil, err
	}
	return b, nil
}

func (b *Box) open(ctx context.Context) error {
	srv := b.srv
	if srv.Security == config.SecurityNone && !isLoopback(srv.Host) {
		return b.classify("connect", fmt.Errorf("%w: security = none is allowed to a loopback address only, and %s is not one; set [bounces] security = tls or starttls", ErrNoTLS, srv.Host))
	}
	connectTimeout := srv.ConnectTimeout
	if connectTimeout <= 0 {
		connectTimeout = defaultConnectTimeout
	}
	d := net.Dialer{Timeout: connectTimeout}
	nc, err := d.DialContext(ctx, "tcp", b.addr)
	if err != nil {
		return b.classify("connect", err)
	}
	b.setConn(nc)
	if srv.Security == config.SecurityTLS {
		if err := b.handshake(ctx); err != nil {
			return err
		}
	}
	stop := context.AfterFunc(ctx, func() { b.nc.SetDeadline(time.Unix(1, 0)) })
	greeting, err := b.readResponse(ctx, maxSmallLiteral)
	stop()
	if err != nil {
		return b.classify("greeting", ctxErr(ctx, err))
	}
	switch {
	case greeting.tag != "*" || greeting.status == "":
		return b.classify("greeting", fmt.Errorf("%w: the greeting is %q", ErrProtocol, clip(greeting.text+greeting.name)))
	case greeting.status == "BYE":
		return b.classify("greeting", replyErr(greeting))
	}
	if srv.Security == config.SecurityStartTLS {
		if err := b.startTLS(ctx); err != nil {
			return err
		}
	}
	if greeting.status != "PREAUTH" {
		if err := b.login(ctx); err != nil {
			return err
		}
	}
	return b.selectFolder(ctx)
}

func (b *Box) setConn(nc net.Conn) {
	b.nc = nc
	b.r = bufio.NewReaderSize(nc, 64<<10)
	b.w = bufio.NewWriter(nc)
}

// handshake runs the TLS handshake on the connection, verified as the
// config says.
func (b *Box) handshake(ctx context.Context) error {
	cfg := &tls.Config{
		ServerName:         b.srv.Host,
		RootCAs:            b.srv.RootCAs,
		InsecureSkipVerify: !b.srv.TLSVerify, //nolint:gosec // the administrator's choice: tls_verify = false
		MinVersion:         tls.VersionTLS12,
	}
	tc := tls.Client(b.nc, cfg)
	hctx, cancel := context.WithDeadline(ctx, b.deadline(ctx))
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return b.classify("tls", ctxErr(ctx, err))
	}
	b.setConn(tc)
	b.tls = true
	return nil
}

// capabilities asks for them unless the server has sent them.
func (b *Box) capabilities(ctx context.Context, op string) error {
	if b.caps != nil {
		return nil
	}
	if _, err := b.command(ctx, "CAPABILITY", maxSmallLiteral, nil); err != nil {
		return b.classify(op, err)
	}
	if b.caps == nil {
		b.caps = map[string]bool{}
	}
	return nil
}

func (b *Box) startTLS(ctx context.Context) error {
	if err := b.capabilities(ctx, "starttls"); err != nil {
		return err
	}
	if !b.caps["STARTTLS"] {
		return b.classify("starttls", fmt.Errorf("%w: security = starttls, and the server does not offer STARTTLS; set [bounces] security = tls (port 993) if it takes implicit TLS", ErrNoTLS))
	}
	if _, err := b.command(ctx, "STARTTLS", maxSmallLiteral, nil); err != nil {
		return b.classify("starttls", err)
	}
	// Anything the server sent after its OK, before TLS, would be read
	// as if it came over TLS (CVE-2011-0411 and its IMAP kin).
	if b.r.Buffered() > 0 {
		return b.classify("starttls", fmt.Errorf("%w: the server sent data after its STARTTLS reply, before TLS", ErrProtocol))
	}
	b.caps = nil
	return b.handshake(ctx)
}

// login logs in with the password or an access token.
func (b *Box) login(ctx context.Context) error {
	if !b.tls && !isLoopback(b.srv.Host) {
		return b.classify("login", fmt.Errorf("%w: spoolgate never sends a password or token unencrypted", ErrNoTLS))
	}
	if err := b.capabilities(ctx, "login"); err != nil {
		return err
	}
	var err error
	if b.oauth {
		err = b.loginOAuth(ctx)
	} else {
		err = b.loginPassword(ctx)
	}
	if err != nil {
		return err
	}
	// The capabilities may change with the login.
	b.caps = nil
	if _, err := b.command(ctx, "CAPABILITY", maxSmallLiteral, nil); err != nil {
		return b.classify("capability", err)
	}
	b.log.Debug("bounce mailbox: logged in", "server", b.addr, "user", b.srv.Username)
	return nil
}

func (b *Box) loginPassword(ctx context.Context) error {
	user, pass := b.srv.Username, b.srv.Password
	if b.caps["AUTH=PLAIN"] {
		ir := []byte("\x00" + user + "\x00" + pass)
		_, err := b.authenticate(ctx, "PLAIN", ir, func([]byte) ([]byte, error) {
			return nil, errors.New("an unexpected challenge after PLAIN")
		})
		return b.classify("login", err)
	}
	if b.caps["LOGINDISABLED"] {
		return b.classify("login", fmt.Errorf("%w: the server offers neither AUTH=PLAIN nor LOGIN (LOGINDISABLED)", ErrNoMechanism))
	}
	if strings.ContainsAny(user+pass, "\r\n\x00") || !isASCII(user+pass) {
		return b.classify("login", fmt.Errorf("%w: the server offers only LOGIN, which can't carry this username or password (a line break, NUL or non-ASCII)", ErrNoMechanism))
	}
	_, err := b.command(ctx, "LOGIN "+quote(user)+" "+quote(pass), maxSmallLiteral, nil)
	return b.classify("login", err)
}

func (b *Box) loginOAuth(ctx context.Context) error {
	var mech string
	switch {
	case b.caps["AUTH=XOAUTH2"]:
		mech = oauth.XOAUTH2
	case b.caps["AUTH=OAUTHBEARER"]:
		mech = oauth.OAUTHBEARER
	default:
		return b.classify("login", fmt.Errorf("%w: auth = oauth2, and the server offers neither AUTH=XOAUTH2 nor AUTH=OAUTHBEARER", ErrNoMechanism))
	}
	err := relay.WithToken(ctx, b.srv, func(tok oauth.Token) error {
		var bc *oauth.BearerClient
		if mech == oauth.XOAUTH2 {
			bc = oauth.XOAUTH2Client(b.srv.Username, tok.AccessToken)
		} else {
			bc = oauth.OAuthBearerClient(b.srv.Username, tok.AccessToken, b.srv.Host, b.srv.Port)
		}
		_, ir, err := bc.Start()
		if err != nil {
			return err
		}
		_, err = b.authenticate(ctx, mech, ir, bc.Next)
		var re *replyError
		if errors.As(err, &re) {
			if r := bc.Refusal(); r != nil {
				re.text += " (challenge: " + strings.ReplaceAll(r.Decoded(), tok.AccessToken, "[token]") + ")"
			}
		}
		return err
	}, func(err error) bool {
		var re *replyError // NO: the server refused the token; the connection takes another AUTHENTICATE
		return errors.As(err, &re) && re.status == "NO" && b.broken == nil
	})
	var te *relay.TokenError
	if errors.As(err, &te) {
		return b.classify("token", te.Err)
	}
	return b.classify("login", err)
}

// authenticate runs AUTHENTICATE mech: the initial response ir goes on
// the command line when the server offers SASL-IR, else in answer to the
// first challenge; next answers the challenges after it.
func (b *Box) authenticate(ctx context.Context, mech string, ir []byte, next func([]byte) ([]byte, error)) (*response, error) {
	if b.broken != nil {
		return nil, b.broken
	}
	stop := context.AfterFunc(ctx, func() { b.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	b.tags++
	tag := "s" + strconv.Itoa(b.tags)
	line := tag + " AUTHENTICATE " + mech
	pending := ir
	if ir != nil && b.caps["SASL-IR"] {
		enc := b64.EncodeToString(ir)
		if enc == "" {
			enc = "="
		}
		line += " " + enc
		pending = nil
	}
	if err := b.write(ctx, line); err != nil {
		return nil, ctxErr(ctx, err)
	}
	for rounds := 0; ; rounds++ {
		r, err := b.readResponse(ctx, maxSmallLiteral)
		if err != nil {
			return nil, ctxErr(ctx, err)
		}
		switch {
		case r.tag == tag && r.status == "OK":
			return r, nil
		case r.tag == tag:
			return r, replyErr(r)
		case r.tag == "*" && r.status == "BYE":
			b.broken = replyErr(r)
			return nil, b.broken
		case r.tag == "*":
			continue
		case r.tag != "+":
			b.broken = fmt.Errorf("%w: a reply with the tag %q during AUTHENTICATE", ErrProtocol, clip(r.tag))
			return nil, b.broken
		}
		if rounds > 5 {
			b.write(ctx, "*")
			continue
		}
		var resp []byte
		if pending != nil {
			resp, pending = pending, nil
		} else {
			chal, derr := b64.DecodeString(strings.TrimSpace(r.text))
			if derr != nil {
				chal = []byte(r.text)
			}
			if resp, err = next(chal); err != nil {
				if err := b.write(ctx, "*"); err != nil { // cancels the exchange
					return nil, ctxErr(ctx, err)
				}
				continue
			}
		}
		if err := b.write(ctx, b64.EncodeToString(resp)); err != nil {
			return nil, ctxErr(ctx, err)
		}
	}
}

func (b *Box) selectFolder(ctx context.Context) error {
	b.uidValidity = 0
	if _, err := b.command(ctx, "SELECT "+mailboxName(b.folder), maxSmallLiteral, nil); err != nil {
		return b.classify("select", err)
	}
	b.log.Info("bounce mailbox: opened", "server", b.addr, "user", b.srv.Username, "folder", b.folder,
		"messages", b.exists, "move", b.caps["MOVE"], "uidplus", b.caps["UIDPLUS"])
	return nil
}

// Fetch returns the folder's messages in UID order (oldest first), at
// most max of them (all when max <= 0). It reads each with BODY.PEEK[],
// so that none is marked \Seen; one larger than MaxSize is not read and
// comes back with TooLarge set. A message expunged by someone else
// meanwhile is left out.
func (b *Box) Fetch(ctx context.Context, max int) ([]Mail, error) {
	if err := b.usable("fetch"); err != nil {
		return nil, err
	}
	// NOOP first: a server reports mail that arrived since the last
	// command only then, and SEARCH sees only what it has reported.
	if _, err := b.command(ctx, "NOOP", maxSmallLiteral, nil); err != nil {
		return nil, b.classify("fetch", err)
	}
	var uids []uint32
	_, err := b.command(ctx, "UID SEARCH ALL", maxSmallLiteral, func(r *response) {
		if r.name != "SEARCH" {
			return
		}
		for _, f := range r.fields {
			if s, ok := str(f); ok {
				if n, err := strconv.ParseUint(s, 10, 32); err == nil && n > 0 {
					uids = append(uids, uint32(n))
				}
			}
		}
	})
	if err != nil {
		return nil, b.classify("fetch", err)
	}
	slices.Sort(uids)
	uids = slices.Compact(uids)
	if max > 0 && len(uids) > max {
		uids = uids[:max]
	}
	if len(uids) == 0 {
		return nil, nil
	}
	// The sizes, fetchUIDs at a time: a server bounds a command's line
	// (Dovecot at 64 KB).
	sizes := map[uint32]int64{}
	for chunk := range slices.Chunk(uids, fetchUIDs) {
		set := make([]string, len(chunk))
		for i, u := range chunk {
			set[i] = strconv.FormatUint(uint64(u), 10)
		}
		_, err = b.command(ctx, "UID FETCH "+strings.Join(set, ",")+" (UID RFC822.SIZE)", maxSmallLiteral, func(r *response) {
			items := fetchItems(r)
			if items == nil {
				return
			}
			uid, size := uintItem(items["UID"]), uintItem(items["RFC822.SIZE"])
			if uid != 0 {
				sizes[uint32(uid)] = int64(size)
			}
		})
		if err != nil {
			return nil, b.classify("fetch", err)
		}
	}
	var out []Mail
	for _, uid := range uids {
		size, ok := sizes[uid]
		if !ok {
			continue // expunged meanwhile
		}
		m := Mail{UID: uid, UIDValidity: b.uidValidity, Size: size}
		if size > b.MaxSize {
			m.TooLarge = true
			b.log.Warn("bounce mailbox: a message too large to read", "uid", uid, "size", size, "max", b.MaxSize)
			out = append(out, m)
			continue
		}
		found := false
		_, err := b.command(ctx, "UID FETCH "+strconv.FormatUint(uint64(uid), 10)+" (UID BODY.PEEK[])", b.MaxSize, func(r *response) {
			items := fetchItems(r)
			if items == nil || uint32(uintItem(items["UID"])) != uid {
				return
			}
			body, ok := items["BODY[]"]
			if !ok {
				return
			}
			found = true
			switch v := body.(type) {
			case []byte:
				m.Raw = v
			case skipped:
				m.TooLarge, m.Size = true, v.size
			}
		})
		if err != nil {
			return out, b.classify("fetch", err)
		}
		if found {
			out = append(out, m)
		}
	}
	return out, nil
}

// fetchItems returns a FETCH response's items by name, upper case.
func fetchItems(r *response) map[string]any {
	if r.name != "FETCH" || len(r.fields) == 0 {
		return nil
	}
	list, ok := r.fields[0].([]any)
	if !ok {
		return nil
	}
	items := map[string]any{}
	for i := 0; i+1 < len(list); i += 2 {
		if name, ok := list[i].(atom); ok {
			items[strings.ToUpper(string(name))] = list[i+1]
		}
	}
	return items
}

func uintItem(v any) uint64 {
	s, _ := str(v)
	n, _ := strconv.ParseUint(s, 10, 63)
	return n
}

// Move moves the message uid to dest (e.g. Processed), a folder path with
// "/" between levels, in the server's own delimiter; it creates dest and
// its parents when missing. A uid no longer in the folder gives an error
// that wraps ErrNotFound, and changes nothing.
func (b *Box) Move(ctx context.Context, uid uint32, dest string) error {
	if err := b.usable("move"); err != nil {
		return err
	}
	if dest == "" || strings.ContainsAny(dest, "\r\n") {
		return b.classify("move", fmt.Errorf("mailbox: the folder name %q", dest))
	}
	if !b.caps["MOVE"] && !b.caps["UIDPLUS"] {
		e := b.classify("move", ErrNoMove).(*Error)
		e.Hint = "spoolgate moves handled mail and never sends a plain EXPUNGE; use a server that offers MOVE or UIDPLUS (Microsoft 365, Gmail, Dovecot and Cyrus do)"
		return e
	}
	id := strconv.FormatUint(uint64(uid), 10)
	found := false
	if _, err := b.command(ctx, "UID SEARCH UID "+id, maxSmallLiteral, func(r *response) {
		if r.name != "SEARCH" {
			return
		}
		for _, f := range r.fields {
			if s, _ := str(f); s == id {
				found = true
			}
		}
	}); err != nil {
		return b.classify("move", err)
	}
	if !found {
		return b.classify("move", fmt.Errorf("%w: UID %d is not in %s (moved or deleted already)", ErrNotFound, uid, b.folder))
	}
	name, err := b.ensureFolder(ctx, dest)
	if err != nil {
		return err
	}
	if b.caps["MOVE"] {
		_, err := b.command(ctx, "UID MOVE "+id+" "+mailboxName(name), maxSmallLiteral, nil)
		if err == nil {
			b.log.Debug("bounce mailbox: moved", "uid", uid, "to", name)
		}
		return b.classify("move", err)
	}
	if _, err := b.command(ctx, "UID COPY "+id+" "+mailboxName(name), maxSmallLiteral, nil); err != nil {
		return b.classify("move", err)
	}
	if _, err := b.command(ctx, "UID STORE "+id+` +FLAGS.SILENT (\Deleted)`, maxSmallLiteral, nil); err != nil {
		return b.classify("move", err)
	}
	if _, err := b.command(ctx, "UID EXPUNGE "+id, maxSmallLiteral, nil); err != nil {
		return b.classify("move", err)
	}
	b.log.Debug("bounce mailbox: moved (copy, expunge)", "uid", uid, "to", name)
	return nil
}

// ensureFolder returns the server's name for path (its "/" replaced by
// the server's delimiter, by "-" on a server without hierarchy), and
// creates it and its parents when missing.
func (b *Box) ensureFolder(ctx context.Context, path string) (string, error) {
	if b.delim == nil {
		delim := ""
		if _, err := b.command(ctx, `LIST "" ""`, maxSmallLiteral, func(r *response) {
			if r.name == "LIST" && len(r.fields) >= 2 {
				delim, _ = str(r.fields[1])
			}
		}); err != nil {
			return "", b.classify("list", err)
		}
		b.delim = &delim
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	sep := *b.delim
	if sep == "" {
		sep = "-"
	}
	name := strings.Join(parts, sep)
	if b.made[name] {
		return name, nil
	}
	for i := range parts {
		level := strings.Join(parts[:i+1], sep)
		if b.made[level] {
			continue
		}
		exists := false
		if _, err := b.command(ctx, "LIST \"\" "+mailboxName(level), maxSmallLiteral, func(r *response) {
			if r.name == "LIST" && len(r.fields) >= 3 {
				n, _ := str(r.fields[2])
				exists = exists || n == level
			}
		}); err != nil {
			return "", b.classify("list", err)
		}
		if !exists {
			_, err := b.command(ctx, "CREATE "+mailboxName(level), maxSmallLiteral, nil)
			var re *replyError
			if errors.As(err, &re) && re.code == "ALREADYEXISTS" {
				err = nil
			}
			if err != nil {
				e := b.classify("create", err).(*Error)
				e.Hint = fmt.Sprintf("spoolgate could not create the folder %q; create it in the mailbox by hand", level)
				return "", e
			}
			b.log.Info("bounce mailbox: created a folder", "folder", level)
			// Subscribed, so that mail programs show it; a refusal does not matter.
			b.command(ctx, "SUBSCRIBE "+mailboxName(level), maxSmallLiteral, nil)
		}
		b.made[level] = true
	}
	return name, nil
}

// usable returns an error when the connection can no longer be used.
func (b *Box) usable(op string) error {
	switch {
	case b.closed:
		return b.classify(op, net.ErrClosed)
	case b.broken != nil:
		return b.classify(op, fmt.Errorf("the connection broke earlier: %w", b.broken))
	}
	return nil
}

// Close logs out (waiting a few seconds at most) and closes the
// connection. It may be called more than once.
func (b *Box) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.broken == nil {
		ctx, cancel := context.WithTimeout(context.Background(), logoutWait)
		b.command(ctx, "LOGOUT", maxSmallLiteral, nil)
		cancel()
	}
	return b.nc.Close()
}

// UIDValidity is the selected folder's UIDVALIDITY.
func (b *Box) UIDValidity() uint32 { return b.uidValidity }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
