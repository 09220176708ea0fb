package oauth

import (
	"errors"
	"net/http"
)

// Explanation is what a token failure means and what to do about it. ID
// is stable; package cause carries the texts in every language it speaks.
// Meaning and Action here are the English texts, kept until then.
type Explanation struct {
	ID      string
	Meaning string
	Action  string
}

// The ids Explain returns.
const (
	CauseSecretWrong         = "oauth-secret-wrong"          // AADSTS7000215
	CauseSecretExpired       = "oauth-secret-expired"        // AADSTS7000222
	CauseAppUnknown          = "oauth-app-unknown"           // AADSTS700016
	CauseConsentMissing      = "oauth-consent-missing"       // AADSTS65001
	CauseTenantUnknown       = "oauth-tenant-unknown"        // AADSTS90002, AADSTS900023
	CauseDelegationMissing   = "oauth-delegation-missing"    // Google unauthorized_client
	CauseKeyRefused          = "oauth-key-refused"           // invalid_grant to a JWT-bearer assertion
	CauseGrantRevoked        = "oauth-grant-revoked"         // invalid_grant to a refresh token
	CauseClientRefused       = "oauth-client-refused"        // other invalid_client
	CauseScopeInvalid        = "oauth-scope-invalid"         // invalid_scope, AADSTS70011, AADSTS1002012, AADSTS500011
	CauseRefreshTokenMissing = "oauth-refresh-token-missing" // the refresh-token file cannot be read
	CauseRefreshTokenUnsaved = "oauth-refresh-token-unsaved" // a new refresh token could not be written
	CauseEndpointUnreachable = "oauth-endpoint-unreachable"  // no reply: DNS, connect, TLS, time-out
	CauseEndpointError       = "oauth-endpoint-error"        // a 5xx, a 429, or a reply that is not a token
	CauseEndpointRedirect    = "oauth-endpoint-redirect"     // the token URL answered with a redirect
	CauseTokenRefused        = "oauth-token-refused"         // any other refusal
)

// explanations is the English table; the order is the order of Explanations.
var explanations = []Explanation{
	{CauseSecretWrong,
		"Microsoft refused the client secret: it is not a valid secret of this application. Often the secret's ID was copied instead of its value.",
		"In the Microsoft Entra admin center, open App registrations, the application, Certificates & secrets; create a new client secret and put its Value (not its Secret ID) in oauth_client_secret or oauth_client_secret_file."},
	{CauseSecretExpired,
		"The application's client secret has expired.",
		"In the Microsoft Entra admin center, open App registrations, the application, Certificates & secrets; create a new client secret, put its Value in oauth_client_secret or oauth_client_secret_file, and set oauth_client_secret_expires to its expiry date."},
	{CauseAppUnknown,
		"Microsoft knows no application with this client ID in this tenant: oauth_client_id or oauth_tenant is wrong, or the application was deleted or registered in another tenant.",
		"Copy the Application (client) ID and the Directory (tenant) ID from the Overview page of the app registration into oauth_client_id and oauth_tenant."},
	{CauseConsentMissing,
		"An administrator has not granted consent to the application's permissions.",
		"In the Microsoft Entra admin center, open App registrations, the application, API permissions; add Office 365 Exchange Online, Application permissions, SMTP.SendAsApp, and click Grant admin consent."},
	{CauseTenantUnknown,
		"Microsoft does not know the tenant in oauth_tenant.",
		"Set oauth_tenant to the Directory (tenant) ID from the Overview page of the app registration, or to the tenant's primary domain (such as contoso.onmicrosoft.com)."},
	{CauseDelegationMissing,
		"Google refused the service account: domain-wide delegation is not set for its client ID with the scope https://mail.google.com/.",
		"In the Google Admin console, open Security, Access and data control, API controls, Manage domain-wide delegation; add the service account's client ID (client_id in the key file) with the scope https://mail.google.com/. A change can take some hours to apply."},
	{CauseKeyRefused,
		"Google refused the service account's signed request: the key was deleted or disabled, the mailbox in username is not a user of the Workspace domain, or this computer's clock is wrong.",
		"Check that username is a mailbox of the domain and that the clock is right; if the key was deleted, create a new JSON key on the service account's Keys tab and point oauth_key_file to it."},
	{CauseGrantRevoked,
		"The provider no longer accepts the stored refresh token: it was revoked or has expired (a password change, a sign-out of all sessions, long disuse, or, with Google, an app still in Testing, whose refresh tokens last 7 days).",
		"Run spoolgate oauth login again for this relay to store a new refresh token."},
	{CauseClientRefused,
		"The token endpoint refused the client ID or the client secret.",
		"Check oauth_client_id and oauth_client_secret (or oauth_client_secret_file) against the application in the provider's console; create a new secret if in doubt."},
	{CauseScopeInvalid,
		"The token endpoint refused the scope asked for, or the resource it names does not exist in the tenant (for Microsoft: the tenant has no Exchange Online).",
		"Leave oauth_scope unset to use the provider's scope; with the generic provider, ask the provider for the right scope. For Microsoft, check that the tenant has Exchange Online."},
	{CauseRefreshTokenMissing,
		"The refresh-token file cannot be read, or is empty.",
		"Run spoolgate oauth login to write it, and check that the account spoolgate runs as can read oauth_refresh_token_file."},
	{CauseRefreshTokenUnsaved,
		"The provider handed out a new refresh token that could not be written to the refresh-token file. spoolgate uses it from memory, but after a restart the old one may be refused.",
		"Make the folder of oauth_refresh_token_file writable for the account spoolgate runs as, and check the free disk space."},
	{CauseEndpointUnreachable,
		"The token endpoint cannot be reached: name resolution, the connection, TLS or a time-out failed. The queue is held and retried.",
		"Check that this computer can reach the token endpoint over HTTPS (DNS, firewall, proxy). Nothing is lost; sending resumes when a token is obtained."},
	{CauseEndpointError,
		"The token endpoint answered with a server error, asked to slow down, or sent something that is not a token. This is usually temporary. The queue is held and retried.",
		"Nothing to change; sending resumes when a token is obtained. If it lasts, check the provider's service status and any proxy in between."},
	{CauseEndpointRedirect,
		"The token URL answered with a redirect, which spoolgate does not follow (it would carry the client secret elsewhere).",
		"Set oauth_token_url to the token endpoint itself, or leave it unset to use the provider's."},
	{CauseTokenRefused,
		"The token endpoint refused the request; its own text says why.",
		"Read the provider's error text and check the oauth_ settings of this relay."},
}

// Explanations returns the table of ids with their English texts.
func Explanations() []Explanation { return append([]Explanation(nil), explanations...) }

// ExplanationFor returns the explanation of id.
func ExplanationFor(id string) (Explanation, bool) {
	for _, x := range explanations {
		if x.ID == id {
			return x, true
		}
	}
	return Explanation{}, false
}

// Explain says what err, a failure to get a token, means and what to do.
// ok is false when err is not an *Error.
func Explain(err error) (x Explanation, ok bool) {
	var e *Error
	if !errors.As(err, &e) {
		return Explanation{}, false
	}
	x, _ = ExplanationFor(explainID(e))
	return x, true
}

// explainID decides the id of e: in one place.
func explainID(e *Error) string {
	switch e.AADSTS {
	case "AADSTS7000215":
		return CauseSecretWrong
	case "AADSTS7000222":
		return CauseSecretExpired
	case "AADSTS700016":
		return CauseAppUnknown
	case "AADSTS65001":
		return CauseConsentMissing
	case "AADSTS90002", "AADSTS900023":
		return CauseTenantUnknown
	case "AADSTS70011", "AADSTS1002012", "AADSTS500011":
		return CauseScopeInvalid
	}
	switch {
	case errors.Is(e, ErrRefreshTokenUnsaved):
		return CauseRefreshTokenUnsaved
	case errors.Is(e, ErrRefreshTokenFile):
		return CauseRefreshTokenMissing
	case errors.Is(e, errRedirect):
		return CauseEndpointRedirect
	case e.HTTPStatus == 0 && e.Temporary:
		return CauseEndpointUnreachable
	case e.Temporary:
		return CauseEndpointError
	case e.Code == "invalid_grant" && e.Grant == GrantRefreshToken:
		return CauseGrantRevoked
	case e.Code == "invalid_grant" && e.Grant == GrantJWTBearer:
		return CauseKeyRefused
	case e.Code == "unauthorized_client" && e.Provider == ProviderGoogle && e.Grant == GrantJWTBearer:
		return CauseDelegationMissing
	case e.Code == "invalid_client", e.HTTPStatus == http.StatusUnauthorized && e.Code == "":
		return CauseClientRefused
	case e.Code == "invalid_scope":
		return CauseScopeInvalid
	}
	return CauseTokenRefused
}
