package console

import "time"

// Carry is what one console hands to the next when the engine restarts
// the gateway inside the same process (a Save on the settings page): the
// sign-ins and the login rate limit, so that nobody is signed out by a
// Save, and a password guesser gains nothing from one. Across a restart
// of the process they are not kept: sessions live in memory only.
type Carry struct {
	sessions *sessions
	limiter  *limiter
}

// Carry is what s hands to the console that follows it.
func (s *Server) Carry() Carry { return Carry{sessions: s.sessions, limiter: s.limiter} }

// Resume takes over the sign-ins and the rate limit of the console before
// (c, from its Carry); a zero Carry changes nothing. The idle time-out is
// the new config's.
func (s *Server) Resume(c Carry) {
	if c.sessions != nil {
		c.sessions.setIdle(s.sessions.idle)
		s.sessions = c.sessions
	}
	if c.limiter != nil {
		s.limiter = c.limiter
	}
}

// setIdle sets the idle time-out of the sessions kept.
func (ss *sessions) setIdle(idle time.Duration) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.idle = idle
}
