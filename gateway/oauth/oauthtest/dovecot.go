package oauthtest

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

// How Dovecot accepts this server's tokens
//
// Dovecot 2.3's passdb oauth2 validates a JWT itself with
// introspection_mode = local. It looks the key up in a dict under
// shared/<azp>/<alg>/<kid>, where azp is the token's azp claim ("default"
// when there is none) and kid the header's kid ("default" when there is
// none). This server's tokens carry no azp and kid "default", and are
// signed with HS256, so with
//
//	local_validation_key_dict = fs:posix:prefix=KEYS/
//
// the key is the file KEYS/default/HS256/default, holding HMACKey in
// base64 (standard alphabet, no newline): WriteDovecotKeys writes it.
// Dovecot also wants the header typ "JWT", the claims sub and exp, an iat
// and nbf not in the future (by its clock, to the second), and, when
// issuers is set, an iss in that list: Issuer. The mailbox is the email
// claim, which username_attribute = email names; Dovecot compares it with
// the SASL user (both lower-cased by the default username_format = %Lu),
// so a token logs in only as its own mailbox. The default
// active_attribute = active (with active_value = true) passes, since no
// token carries an active claim. Optionally scope = MicrosoftResource
// GoogleScope refuses tokens of another audience or scope (a Graph token,
// say): Dovecot compares it with the scope claim, or aud when there is no
// scope claim.
//
// The passdb, with DovecotConf's text in the args file:
//
//	auth_mechanisms = xoauth2 oauthbearer
//	passdb {
//	  driver = oauth2
//	  mechanisms = xoauth2 oauthbearer
//	  args = /path/dovecot-oauth2.conf.ext
//	}
//
// plus a userdb (static is enough for submission) and a mail_location
// (without one, the submission process fails after the login with "451
// Internal error"). A refused token gets the challenge
// {"status":"401","schemes":"bearer","scope":"mail"} (XOAUTH2) or
// {"status":"invalid_token"} (OAUTHBEARER), then 535 once the client
// answers; Dovecot logs why ("Local validation failed: Token has
// expired", "Issuer '…' is not allowed", "Username '…' did not match").
//
// Found with Dovecot 2.3.19 (TestDovecot_AcceptsTheTokens runs it):
//
//   - submission-login takes at most about 1 KB of parameters on the AUTH
//     line ("500 5.5.2 Line too long" beyond), but 8 KB on a continuation
//     line: a client must send a long token after the 334, as
//     oauth.BearerClient does for any AUTH line over 512 octets;
//   - after each failed login from an address, Dovecot delays the next
//     logins from it (the auth penalty, up to 15 seconds) and the failure
//     reply (auth_failure_delay, 2 seconds). Tests turn both off:
//     auth_failure_delay = 0, and
//     service anvil { unix_listener anvil-auth-penalty { mode = 0 } }
//     (the auth process then logs once that it cannot connect to it).

// DovecotKeyPath is where, under the key dict folder, Dovecot looks up
// the key of this server's tokens.
const DovecotKeyPath = "default/HS256/" + KeyID

// WriteDovecotKeys writes HMACKey, in base64, to dir/default/HS256/default,
// for local_validation_key_dict = fs:posix:prefix=dir/. The files are
// readable by others, since Dovecot's auth process may run as another
// user; the key is a test key.
func (s *Server) WriteDovecotKeys(dir string) error {
	path := filepath.Join(dir, filepath.FromSlash(DovecotKeyPath))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(s.HMACKey)), 0o644)
}

// DovecotConf returns the passdb oauth2 args file that accepts this
// server's tokens, with the keys written by WriteDovecotKeys(keysDir).
func (s *Server) DovecotConf(keysDir string) string {
	return fmt.Sprintf(`introspection_mode = local
local_validation_key_dict = fs:posix:prefix=%s/
issuers = %s
username_attribute = email
`, filepath.Clean(keysDir), s.Issuer())
}
