package oauthtest

import "encoding/base64"

type refreshGrant struct {
	clientID string
	mailbox  string
	revoked  bool
	retired  bool // rotated: a newer refresh token replaced it
}

// Why a refresh token is refused.
const (
	refreshOK = iota
	refreshUnknown
	refreshRevoked
)

// IssueRefreshToken returns a new refresh token of mailbox for the client
// clientID (a MicrosoftApp's or a Client's), as a sign-in would.
func (s *Server) IssueRefreshToken(clientID, mailbox string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newRefreshLocked(clientID, mailbox)
}

func (s *Server) newRefreshLocked(clientID, mailbox string) string {
	rt := "1//0" + base64.RawURLEncoding.EncodeToString(randomBytes(48))
	s.refresh[rt] = &refreshGrant{clientID: clientID, mailbox: mailbox}
	return rt
}

// RevokeRefreshTokens revokes every refresh token of mailbox, as a
// password change or a sign-out of all sessions does.
func (s *Server) RevokeRefreshTokens(mailbox string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.refresh {
		if g.mailbox == mailbox {
			g.revoked = true
		}
	}
}

// useRefresh checks the refresh token rt of clientID and returns its
// mailbox and the refresh token to hand back: a new one when rotating
// (rt is retired), else rt.
func (s *Server) useRefresh(rt, clientID string) (mailbox, next string, why int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.refresh[rt]
	switch {
	case g == nil, g.clientID != clientID, g.retired:
		return "", "", refreshUnknown
	case g.revoked:
		return "", "", refreshRevoked
	}
	if !s.rotate {
		return g.mailbox, rt, refreshOK
	}
	g.retired = true
	return g.mailbox, s.newRefreshLocked(clientID, g.mailbox), refreshOK
}
