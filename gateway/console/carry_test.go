package console

import (
	"net/http"
	"testing"
)

// A console that resumes another's Carry (the engine restarted after a
// Save) keeps its sign-ins: the same cookie opens the page; without it,
// the cookie is a stranger's.
func TestCarry_KeepsSignIns(t *testing.T) {
	before, after, other := newFixture(t), newFixture(t), newFixture(t)
	cookie := before.login(t, "alice")
	after.s.Resume(before.s.Carry())
	if w := after.do("GET", "/settings", nil, cookie); w.Code != http.StatusOK {
		t.Errorf("after Resume the sign-in is gone: %d", w.Code)
	}
	if w := other.do("GET", "/settings", nil, cookie); w.Code == http.StatusOK {
		t.Error("a console that did not resume accepts the cookie")
	}
	after.s.Resume(Carry{})
	if w := after.do("GET", "/", nil, cookie); w.Code != http.StatusOK {
		t.Errorf("a zero Carry dropped the sign-ins: %d", w.Code)
	}
}
