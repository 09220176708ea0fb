package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// sessionCookie is the name of the session cookie.
const sessionCookie = "spoolgate_session"

// maxSessions bounds the sessions kept: past it, a new login ends the
// session least recently used.
const maxSessions = 10000

// session is one login. The store keys it by the hash of its id, so the
// id itself is held only by the browser.
type session struct {
	user    string    // the user name; the role is read from the accounts file at each request
	created time.Time // for SessionMax
	seen    time.Time // the last request, for the idle time-out
}

// sessions is the server-side session store: in memory, so a restart
// ends every login.
type sessions struct {
	idle, max time.Duration

	mu   sync.Mutex
	byID map[[32]byte]*session
}

func newSessions(idle, max time.Duration) *sessions {
	return &sessions{idle: idle, max: max, byID: map[[32]byte]*session{}}
}

// newID returns a random session id of 256 bits from crypto/rand, in
// unpadded base64url.
func newID() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func key(id string) [32]byte { return sha256.Sum256([]byte(id)) }

// start begins a session for user at now and returns its id.
func (s *sessions) start(user string, now time.Time) string {
	id := newID()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
	if len(s.byID) >= maxSessions {
		var oldest [32]byte
		var at time.Time
		for k, v := range s.byID {
			if at.IsZero() || v.seen.Before(at) {
				oldest, at = k, v.seen
			}
		}
		delete(s.byID, oldest)
	}
	s.byID[key(id)] = &session{user: user, created: now, seen: now}
	return id
}

// get returns the user of the session id at now and marks it used; ok is
// false for an unknown or expired session (which it forgets).
func (s *sessions) get(id string, now time.Time) (user string, ok bool) {
	if id == "" {
		return "", false
	}
	k := key(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.byID[k]
	if ss == nil {
		return "", false
	}
	if s.expired(ss, now) {
		delete(s.byID, k)
		return "", false
	}
	ss.seen = now
	return ss.user, true
}

// end forgets the session id.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, key(id))
}

// endUser forgets every session of user.
func (s *sessions) endUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.byID {
		if v.user == user {
			delete(s.byID, k)
		}
	}
}

func (s *sessions) expired(ss *session, now time.Time) bool {
	return now.Sub(ss.seen) >= s.idle || now.Sub(ss.created) >= s.max
}

func (s *sessions) expireLocked(now time.Time) {
	for k, v := range s.byID {
		if s.expired(v, now) {
			delete(s.byID, k)
		}
	}
}

// count is how many sessions are kept; for tests.
func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
