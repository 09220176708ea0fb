package oauthtest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// MicrosoftApp is an app registration in a tenant of its own, with the
// application permission SMTP.SendAsApp consented and granted for Mailbox
// (as New-ServicePrincipal and Add-MailboxPermission do).
type MicrosoftApp struct {
	Tenant   string // the tenant ID, a GUID
	Domain   string // the tenant's primary domain, also taken as tenant
	ClientID string
	ObjectID string // the service principal's object ID: the sub of its tokens
	Name     string
	Secret   string
	Mailbox  string // the email claim of its tokens
	TokenURL string // MicrosoftTokenURL(Tenant)
}

type msApp struct {
	MicrosoftApp
	expired   bool
	noConsent bool
}

// AddMicrosoftApp registers an application in a new tenant, for mailbox.
func (s *Server) AddMicrosoftApp(mailbox string) MicrosoftApp {
	app := MicrosoftApp{
		Tenant:   newGUID(),
		ClientID: newGUID(),
		ObjectID: newGUID(),
		Secret:   "s3cr~" + strings.ToUpper(newGUID()[:8]) + "~" + newGUID(),
		Mailbox:  mailbox,
	}
	app.Domain = "t" + app.Tenant[:8] + ".onmicrosoft.com"
	app.Name = "spoolgate test " + app.ClientID[:8]
	app.TokenURL = s.MicrosoftTokenURL(app.Tenant)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tenants[app.Tenant] = app.Tenant
	s.tenants[app.Domain] = app.Tenant
	s.apps[app.ClientID] = &msApp{MicrosoftApp: app}
	return app
}

// ExpireSecret makes the secret of the application clientID expired
// (AADSTS7000222), or valid again.
func (s *Server) ExpireSecret(clientID string, expired bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[clientID]; a != nil {
		a.expired = expired
	}
}

// WithdrawConsent withdraws (or grants again) admin consent for the
// application: its client-credentials tokens carry no roles, as
// Microsoft's do then, and a refresh is refused with AADSTS65001.
func (s *Server) WithdrawConsent(clientID string, withdrawn bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[clientID]; a != nil {
		a.noConsent = withdrawn
	}
}

func aad(status int, code string, number int, text string) *oauthError {
	return &oauthError{status: status, code: code, desc: fmt.Sprintf("AADSTS%d: %s", number, text), codes: []int{number}}
}

// microsoft answers /{tenant}/oauth2/v2.0/token.
func (s *Server) microsoft(r *http.Request, tenant, grant string) (map[string]any, *oauthError) {
	lower := strings.ToLower(tenant)
	s.mu.Lock()
	tid, known := s.tenants[lower]
	s.mu.Unlock()
	anyTenant := lower == "common" || lower == "organizations"
	if !known && !(anyTenant && grant == GrantRefreshToken) {
		return nil, aad(400, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing in to the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant))
	}
	id, secret, hasSecret := clientAuth(r)
	s.mu.Lock()
	a := s.apps[id]
	var app msApp
	if a != nil {
		app = *a
	}
	s.mu.Unlock()
	if a == nil || (known && app.Tenant != tid) {
		return nil, aad(400, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", id, tenant))
	}
	checkSecret := func() *oauthError {
		switch {
		case secret != app.Secret:
			return aad(401, "invalid_client", 7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", app.ClientID))
		case app.expired:
			return aad(401, "invalid_client", 7000222, fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", app.ClientID))
		}
		return nil
	}
	// Microsoft's tokens carry many more claims than Dovecot needs; these
	// make them as long as real ones (1.5 KB and more), too long for an
	// AUTH line of 512 octets.
	claims := jwt.MapClaims{
		"tid":             app.Tenant,
		"appid":           app.ClientID,
		"appidacr":        "1",
		"app_displayname": app.Name,
		"email":           app.Mailbox,
		"ver":             "1.0",
		"idp":             "https://sts.windows.net/" + app.Tenant + "/",
		"aio":             base64.StdEncoding.EncodeToString(randomBytes(90)),
		"rh":              "0." + base64.RawURLEncoding.EncodeToString(randomBytes(60)) + ".",
		"uti":             base64.RawURLEncoding.EncodeToString(randomBytes(16)),
		"xms_idrel":       "7 20",
		"xms_tcdt":        1600000000,
	}
	switch grant {
	case GrantClientCredentials:
		if !hasSecret {
			return nil, aad(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		}
		if oe := checkSecret(); oe != nil {
			return nil, oe
		}
		scope := r.PostForm.Get("scope")
		if !strings.HasSuffix(scope, "/.default") || strings.ContainsAny(scope, " ") {
			return nil, aad(400, "invalid_scope", 1002012, fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope))
		}
		claims["aud"] = strings.TrimSuffix(scope, "/.default")
		claims["sub"], claims["oid"] = app.ObjectID, app.ObjectID
		claims["idtyp"] = "app"
		if !app.noConsent {
			claims["roles"] = []string{SendAsAppRole}
		}
		return s.issue(claims), nil
	case GrantRefreshToken:
		if hasSecret {
			if oe := checkSecret(); oe != nil {
				return nil, oe
			}
		}
		if app.noConsent {
			return nil, aad(400, "invalid_grant", 65001, fmt.Sprintf("The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", app.ClientID, app.Name))
		}
		mailbox, next, why := s.useRefresh(r.PostForm.Get("refresh_token"), id)
		switch why {
		case refreshRevoked:
			return nil, aad(400, "invalid_grant", 50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.")
		case refreshUnknown:
			return nil, aad(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
		}
		claims["aud"] = MicrosoftResource
		claims["sub"] = "user-" + mailbox
		claims["email"], claims["upn"] = mailbox, mailbox
		claims["scp"] = "SMTP.Send"
		body := s.issue(claims)
		body["scope"] = MicrosoftResource + "/SMTP.Send"
		body["refresh_token"] = next
		return body, nil
	}
	return nil, aad(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+grant+"'.")
}
