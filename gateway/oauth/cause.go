package oauth

import (
	"errors"
	"net/http"

	"github.com/spoolgate/spoolgate/gateway/cause"
)

// CauseOf says which cause err, a failure to get a token, is: one of
// package cause's oauth- causes (cause.OAuthSecretExpired for
// AADSTS7000222, cause.OAuthEndpointUnreachable when no reply came, …).
// It looks through wrapping. ok is false when err is not an *Error; the
// caller then has cause.OAuthFailed, the cause that names no reason.
//
// This package decides which cause applies; package cause words it, in
// every language of [log] language (cause.Explain, cause.Label).
func CauseOf(err error) (c cause.Cause, ok bool) {
	var e *Error
	if !errors.As(err, &e) {
		return "", false
	}
	return causeOf(e), true
}

// causeOf decides the cause of e: in one place.
func causeOf(e *Error) cause.Cause {
	switch e.AADSTS {
	case "AADSTS7000215":
		return cause.OAuthSecretWrong
	case "AADSTS7000222":
		return cause.OAuthSecretExpired
	case "AADSTS700016":
		return cause.OAuthAppUnknown
	case "AADSTS65001":
		return cause.OAuthConsentMissing
	case "AADSTS90002", "AADSTS900023":
		return cause.OAuthTenantUnknown
	case "AADSTS70011", "AADSTS1002012", "AADSTS500011":
		return cause.OAuthScopeInvalid
	}
	switch {
	case errors.Is(e, ErrRefreshTokenUnsaved):
		return cause.OAuthRefreshTokenUnsaved
	case errors.Is(e, ErrRefreshTokenFile):
		return cause.OAuthRefreshTokenMissing
	case errors.Is(e, errRedirect):
		return cause.OAuthEndpointRedirect
	case e.HTTPStatus == 0 && e.Temporary:
		return cause.OAuthEndpointUnreachable
	case e.Temporary:
		return cause.OAuthEndpointError
	case e.Code == "invalid_grant" && e.Grant == GrantRefreshToken:
		return cause.OAuthGrantRevoked
	case e.Code == "invalid_grant" && e.Grant == GrantJWTBearer:
		return cause.OAuthKeyRefused
	case e.Code == "unauthorized_client" && e.Provider == ProviderGoogle && e.Grant == GrantJWTBearer:
		return cause.OAuthDelegationMissing
	case e.Code == "invalid_client", e.HTTPStatus == http.StatusUnauthorized && e.Code == "":
		return cause.OAuthClientRefused
	case e.Code == "invalid_scope":
		return cause.OAuthScopeInvalid
	}
	return cause.OAuthTokenRefused
}
