package oauthtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ServiceAccount is a Google-like service account and its JSON key.
type ServiceAccount struct {
	Email    string // client_email
	ClientID string // client_id: what domain-wide delegation is set for
	KeyID    string // private_key_id
	Key      *rsa.PrivateKey
	KeyJSON  []byte // the key file, as the Google Cloud console downloads it
}

type account struct {
	ServiceAccount
	delegated map[string]bool
}

// NewServiceAccountKey makes a service account key file for email with a
// new 2048-bit RSA key, whose token_uri is tokenURI.
func NewServiceAccountKey(email, clientID, tokenURI string) (ServiceAccount, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return ServiceAccount{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return ServiceAccount{}, err
	}
	sa := ServiceAccount{Email: email, ClientID: clientID, KeyID: hex.EncodeToString(randomBytes(20)), Key: key}
	project := "spoolgate-test"
	if at := strings.IndexByte(email, '@'); at >= 0 {
		project = strings.TrimSuffix(email[at+1:], ".iam.gserviceaccount.com")
	}
	sa.KeyJSON, err = json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  project,
		"private_key_id":              sa.KeyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   clientID,
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   tokenURI,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/" + strings.ReplaceAll(email, "@", "%40"),
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	return sa, err
}

// AddServiceAccount makes a service account whose key's token_uri is
// TokenURL, with domain-wide delegation for the scopes given (none: not
// delegated).
func (s *Server) AddServiceAccount(delegated ...string) ServiceAccount {
	s.tb.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil))
	if err != nil {
		s.tb.Fatal(err)
	}
	clientID := fmt.Sprintf("1%020d", n)
	sa, err := NewServiceAccountKey("relay-"+clientID[len(clientID)-6:]+"@spoolgate-test.iam.gserviceaccount.com", clientID, s.TokenURL())
	if err != nil {
		s.tb.Fatalf("oauthtest: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[sa.Email] = &account{ServiceAccount: sa, delegated: set(delegated)}
	return sa
}

// Delegate sets the scopes domain-wide delegation grants to the service
// account whose client ID is clientID (none: delegation removed).
func (s *Server) Delegate(clientID string, scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		if a.ClientID == clientID {
			a.delegated = set(scopes)
		}
	}
}

func set(list []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range list {
		m[v] = true
	}
	return m
}

var (
	errNoAccount = errors.New("account not found")
	errKeyID     = errors.New("unknown key ID")
)

func invalidGrant(desc string) *oauthError {
	return &oauthError{status: 400, code: "invalid_grant", desc: desc}
}

// jwtBearer answers the JWT-bearer grant as Google does.
func (s *Server) jwtBearer(r *http.Request) (map[string]any, *oauthError) {
	var acct account
	t, err := jwt.Parse(r.PostForm.Get("assertion"), func(t *jwt.Token) (any, error) {
		iss, _ := t.Claims.GetIssuer()
		s.mu.Lock()
		a := s.accounts[iss]
		if a != nil {
			acct = account{ServiceAccount: a.ServiceAccount, delegated: a.delegated}
		}
		s.mu.Unlock()
		if a == nil {
			return nil, errNoAccount
		}
		if kid, _ := t.Header["kid"].(string); kid != "" && kid != acct.KeyID {
			return nil, errKeyID
		}
		return &acct.Key.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(s.TokenURL()),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(time.Minute))
	shortLived := "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	switch {
	case errors.Is(err, errNoAccount):
		return nil, invalidGrant("Invalid grant: account not found")
	case errors.Is(err, errKeyID), errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, invalidGrant("Invalid JWT Signature.")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, invalidGrant("Invalid JWT: Failed audience check. The expected value was " + s.TokenURL())
	case err != nil:
		return nil, invalidGrant(shortLived)
	}
	c := t.Claims.(jwt.MapClaims)
	iat, _ := c.GetIssuedAt()
	exp, _ := c.GetExpirationTime()
	if iat == nil || exp.Sub(iat.Time) > time.Hour {
		return nil, invalidGrant(shortLived)
	}
	sub, _ := c["sub"].(string)
	if !strings.Contains(sub, "@") {
		return nil, invalidGrant("Invalid email or User ID")
	}
	scope, _ := c["scope"].(string)
	if strings.TrimSpace(scope) == "" {
		return nil, &oauthError{status: 400, code: "invalid_scope", desc: "Empty or missing scope not allowed."}
	}
	for _, sc := range strings.Fields(scope) {
		if !acct.delegated[sc] {
			return nil, &oauthError{status: 401, code: "unauthorized_client", desc: "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."}
		}
	}
	body := s.issue(jwt.MapClaims{"sub": sub, "email": sub, "scope": scope, "client_id": acct.ClientID})
	body["scope"] = scope
	return body, nil
}

// Client is an OAuth client of the /token endpoint: a generic
// client-credentials client, or the client a refresh token is issued to
// (such as a Google desktop client).
type Client struct {
	ID      string
	Secret  string // "" for a public client, which sends none
	Scope   string // the scope of its tokens
	Mailbox string // the email claim of its client-credentials tokens
}

// AddClient registers a client with a secret, for mailbox and scope.
func (s *Server) AddClient(mailbox, scope string) Client {
	c := Client{ID: newGUID() + ".apps.test", Secret: "GOCSPX-" + hex.EncodeToString(randomBytes(14)), Scope: scope, Mailbox: mailbox}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.ID] = &c
	return c
}

// genericClientCredentials answers client_credentials at /token.
func (s *Server) genericClientCredentials(r *http.Request) (map[string]any, *oauthError) {
	id, secret, _ := clientAuth(r)
	s.mu.Lock()
	c := s.clients[id]
	s.mu.Unlock()
	if c == nil || c.Secret == "" || secret != c.Secret {
		return nil, &oauthError{status: 401, code: "invalid_client", desc: "client authentication failed"}
	}
	scope := r.PostForm.Get("scope")
	if scope == "" {
		scope = c.Scope
	}
	if scope != c.Scope {
		return nil, &oauthError{status: 400, code: "invalid_scope", desc: "scope not allowed: " + scope}
	}
	body := s.issue(jwt.MapClaims{"sub": c.ID, "email": c.Mailbox, "scope": scope, "client_id": c.ID})
	body["scope"] = scope
	return body, nil
}

// genericRefresh answers refresh_token at /token, as Google does.
func (s *Server) genericRefresh(r *http.Request) (map[string]any, *oauthError) {
	id, secret, _ := clientAuth(r)
	s.mu.Lock()
	c := s.clients[id]
	s.mu.Unlock()
	switch {
	case c == nil:
		return nil, &oauthError{status: 401, code: "invalid_client", desc: "The OAuth client was not found."}
	case c.Secret != "" && secret != c.Secret:
		return nil, &oauthError{status: 401, code: "invalid_client", desc: "Unauthorized"}
	}
	mailbox, next, why := s.useRefresh(r.PostForm.Get("refresh_token"), id)
	if why != refreshOK {
		return nil, invalidGrant("Token has been expired or revoked.")
	}
	body := s.issue(jwt.MapClaims{"sub": "user-" + mailbox, "email": mailbox, "scope": c.Scope, "client_id": c.ID})
	body["scope"] = c.Scope
	if next != r.PostForm.Get("refresh_token") {
		body["refresh_token"] = next
	}
	return body, nil
}
