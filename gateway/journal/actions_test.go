package journal

import (
	"testing"
	"time"
)

func TestJournal_Actions(t *testing.T) {
	f := newFixture(t, options{})
	j := f.j
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	j.now = clk.now
	done, ch := doneChan()
	j.RecordAction(Action{User: "anna", Addr: "192.0.2.7:5100", What: "retry", Target: "k1", OK: true}, done)
	if err := waitDone(t, ch); err != nil {
		t.Fatalf("RecordAction: %v", err)
	}
	clk.set(clk.now().Add(time.Minute))
	j.RecordAction(Action{User: "mallory", Addr: "198.51.100.1:4000", What: "login", Detail: "wrong password"}, nil)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	j.RecordAction(Action{At: at, User: "anna", What: "settings", Target: "[smtp] daily_limit", Detail: "500 -> 800", OK: true}, nil)
	flush(t, j)

	as, err := j.Actions(0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Action{
		{At: at, User: "anna", What: "settings", Target: "[smtp] daily_limit", Detail: "500 -> 800", OK: true},
		{At: clk.now(), User: "mallory", Addr: "198.51.100.1:4000", What: "login", Detail: "wrong password"},
		{At: clk.now().Add(-time.Minute), User: "anna", Addr: "192.0.2.7:5100", What: "retry", Target: "k1", OK: true},
	}
	if len(as) != len(want) {
		t.Fatalf("Actions = %+v, want %+v", as, want)
	}
	for i := range want {
		if !as[i].At.Equal(want[i].At) {
			t.Errorf("action %d at %v, want %v", i, as[i].At, want[i].At)
		}
		as[i].At = want[i].At
		if as[i] != want[i] {
			t.Errorf("action %d = %+v, want %+v", i, as[i], want[i])
		}
	}
	if as, err := j.Actions(2); err != nil || len(as) != 2 || as[0].What != "settings" {
		t.Fatalf("Actions(2) = %+v, %v", as, err)
	}

	// Purge deletes the actions older than its time, with the messages.
	if _, err := j.Purge(at); err != nil {
		t.Fatal(err)
	}
	if as, err := j.Actions(10); err != nil || len(as) != 1 || as[0].What != "settings" {
		t.Fatalf("Actions after Purge = %+v, %v", as, err)
	}

	j.Close()
	if _, err := j.Actions(10); err != ErrClosed {
		t.Fatalf("Actions after Close: %v", err)
	}
	done, ch = doneChan()
	j.RecordAction(Action{What: "retry"}, done)
	if err := waitDone(t, ch); err != ErrClosed {
		t.Fatalf("RecordAction after Close: %v", err)
	}
}
