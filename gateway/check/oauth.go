package check

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spoolgate/spoolgate/gateway/cause"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/gateway/oauth"
	"github.com/spoolgate/spoolgate/gateway/relay"
)

// oauthSecrets lists what must never be shown for srv's OAuth2 sign-in:
// the client secret.
func oauthSecrets(srv *config.Server) []string {
	if srv.Auth != config.AuthOAuth2 || len(srv.OAuth.ClientSecret) < 4 {
		return nil
	}
	return []string{srv.OAuth.ClientSecret}
}

// tokenSecrets lists the forms of an access token a transcript could
// show: the token and the XOAUTH2 and OAUTHBEARER strings that carry it.
func tokenSecrets(srv *config.Server, token string) []string {
	b64 := base64.StdEncoding.EncodeToString
	return []string{token,
		b64([]byte("user=" + srv.Username + "\x01auth=Bearer " + token + "\x01\x01")),
		b64([]byte("n,a=" + srv.Username + ",\x01host=" + srv.Host + "\x01port=" + fmt.Sprint(srv.Port) + "\x01auth=Bearer " + token + "\x01\x01")),
	}
}

// oauthSteps are the steps before the SMTP ones for auth = oauth2: the
// token endpoint reachable (TOKEN URL), then a token obtained (TOKEN), with
// what it says about the application, tenant and permissions. It reports
// whether the check can go on.
func (s *serverCheck) oauthSteps(ctx context.Context) bool {
	srv := s.srv
	if srv.Auth != config.AuthOAuth2 {
		return true
	}
	sec := section(srv)
	src, err := relay.TokenSource(srv)
	if err != nil {
		s.add("TOKEN URL", StatusFail, err.Error(), fmt.Sprintf("Correct the oauth_ keys in %s.", sec))
		return false
	}
	u, err := url.Parse(src.TokenURL())
	if err != nil {
		s.add("TOKEN URL", StatusFail, err.Error(), fmt.Sprintf("Correct oauth_token_url in %s.", sec))
		return false
	}
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	dctx, cancel := context.WithTimeout(ctx, srv.ConnectTimeout+time.Second)
	nc, err := (&net.Dialer{}).DialContext(dctx, "tcp", addr)
	cancel()
	if err != nil {
		s.add("TOKEN URL", StatusFail, fmt.Sprintf("%s (%s grant): %v", src.TokenURL(), src.Grant(), err),
			fmt.Sprintf("spoolgate cannot reach the token endpoint %s: let this machine make HTTPS connections to it "+
				"(firewall, proxy), or correct oauth_tenant or oauth_token_url in %s.", addr, sec))
		return false
	}
	nc.Close()
	s.add("TOKEN URL", StatusOK, fmt.Sprintf("%s reachable (%s, %s grant, scope %s)", src.TokenURL(), src.Provider(), src.Grant(), src.Scope()), "")

	tok, err := src.Token(ctx)
	if err != nil {
		st := Step{Step: "TOKEN", Status: StatusFail, Detail: err.Error(), Cause: cause.OAuthFailed}
		var oe *oauth.Error
		if errors.As(err, &oe) {
			st.Reply = oe.Description
			if st.Reply == "" {
				st.Reply = oe.Code
			}
		}
		if c, ok := oauth.CauseOf(err); ok {
			st.Cause = c
			meaning, action := cause.Explain("en", c)
			st.Verdict = meaning + " " + action + " (" + string(c) + ")"
		} else {
			st.Verdict = fmt.Sprintf("No token could be had: check the oauth_ keys in %s.", sec)
		}
		s.addStep(st)
		return false
	}
	if s.rec != nil {
		s.rec.secrets = append(s.rec.secrets, tokenSecrets(srv, tok.AccessToken)...)
	}
	info := oauth.Describe(tok.AccessToken)
	detail := fmt.Sprintf("token obtained, expires %s (in %s)", tok.Expiry.Format("2006-01-02 15:04:05 MST"), roughDuration(time.Until(tok.Expiry)))
	if info.JWT {
		detail += "; " + info.String()
	}
	status, verdict := StatusOK, ""
	if src.Provider() == oauth.ProviderMicrosoft && src.Grant() == oauth.GrantClientCredentials && info.JWT &&
		!slices.Contains(info.Roles, "SMTP.SendAsApp") {
		status = StatusWarn
		verdict = "The token carries no SMTP.SendAsApp role: in the app registration add the application permission " +
			"SMTP.SendAsApp (Office 365 Exchange Online) and grant admin consent, or the relay answers 535 5.7.3."
	}
	if exp, soon := srv.OAuth.SecretExpiresSoon(s.now); soon {
		status = StatusWarn
		verdict = strings.TrimSpace(verdict + fmt.Sprintf(" The client secret expires on %s: make a new one in the app registration "+
			"(Certificates & secrets), put it in oauth_client_secret_file and set oauth_client_secret_expires in %s.", day(exp), sec))
	}
	s.add("TOKEN", status, detail, verdict)
	return true
}

// oauthAuthVerdict is the verdict on a failed XOAUTH2 login.
func oauthAuthVerdict(err error, srv *config.Server) string {
	sec := section(srv)
	var e *relay.Error
	if errors.As(err, &e) {
		switch {
		case e.Cause.TokenFailure(), e.Cause == cause.OAuthPermission, e.Cause == cause.SMTPAuthDisabled, e.Cause == cause.BasicAuthOff:
			return explain(e, "")
		}
	}
	switch {
	case errors.Is(err, relay.ErrNoOAuthMechanism):
		return "The server offers neither XOAUTH2 nor OAUTHBEARER: use the provider's submission server " +
			"(smtp.office365.com or smtp.gmail.com, port 587, security = starttls) in " + sec + "."
	case errors.Is(err, relay.ErrPlaintextAuth):
		return "spoolgate never sends an access token unencrypted: set security = starttls (port 587) or tls (port 465) in " + sec + "."
	}
	if e := replied(err); e != nil {
		return explain(e, "The relay refused the token. Microsoft 365: the application needs SMTP.SendAsApp with admin consent, "+
			"a service principal (New-ServicePrincipal) and Add-MailboxPermission for "+srv.Username+". "+
			"Google: domain-wide delegation for the service account's client ID with scope https://mail.google.com/. "+
			"The mailbox must be username in "+sec+".")
	}
	return "The login failed: check the oauth_ keys and username in " + sec + "."
}
