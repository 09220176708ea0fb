package journal

import (
	"reflect"
	"testing"
	"time"
)

func TestJournal_FailuresAndUntil(t *testing.T) {
	j := newFixture(t, options{}).j
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	clk := &clock{t: day.Add(-time.Hour)}
	j.now = clk.now

	// The day before: a refusal that is not the day's.
	j.Claimed(claim("old", "old.eml", "x@example.org"), nil)
	j.Record(Outcome{Key: "old", Status: StatusFailed, Server: "mx", Reply: "550 5.1.1 no such user"}, nil)
	// The day: one message sent to one recipient and refused for another,
	// one refused for all its recipients.
	clk.set(day.Add(9 * time.Hour))
	j.Claimed(claim("part", "part.eml", "a@example.org", "b@example.org"), nil)
	j.Record(Outcome{Key: "part", To: []string{"b@example.org"}, Status: StatusFailed, Server: "mx", Reply: "550 5.1.1 <b@example.org>: no such user"}, nil)
	j.Record(Outcome{Key: "part", To: []string{"a@example.org"}, Status: StatusSent, Server: "mx", Reply: "250 2.0.0 queued as ABC"}, nil)
	clk.set(day.Add(10 * time.Hour))
	j.Claimed(claim("all", "all.eml", "c@example.org", "d@example.org"), nil)
	j.Record(Outcome{Key: "all", To: []string{"c@example.org", "d@example.org"}, Status: StatusFailed, Server: "mx", Reply: "554 5.7.1 spam"}, nil)
	// The day after.
	clk.set(day.Add(25 * time.Hour))
	j.Claimed(claim("next", "next.eml", "e@example.org"), nil)
	j.Record(Outcome{Key: "next", Status: StatusFailed, Server: "mx", Reply: "550 nope"}, nil)
	flush(t, j)

	fs, err := j.Failures(day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Key+" "+f.File+" "+f.Kind+" "+f.To+" "+f.Server+" "+f.Reply+" "+f.Time.UTC().Format("15:04"))
	}
	want := []string{
		"part part.eml overdue b@example.org mx 550 5.1.1 <b@example.org>: no such user 09:00",
		"all all.eml overdue c@example.org mx 554 5.7.1 spam 10:00",
		"all all.eml overdue d@example.org mx 554 5.7.1 spam 10:00",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Failures of the day:\n%q\nwant\n%q", got, want)
	}
	if fs, err := j.Failures(day, time.Time{}); err != nil || len(fs) != 4 {
		t.Errorf("Failures with no end = %d, %v; want 4", len(fs), err)
	}

	rs := query(t, j, Filter{Since: day, Until: day.AddDate(0, 0, 1)})
	if k := keys(rs); !reflect.DeepEqual(k, []string{"all", "part"}) {
		t.Errorf("Query of the day = %v, want [all part]", k)
	}
	if k := keys(query(t, j, Filter{Until: day})); !reflect.DeepEqual(k, []string{"old"}) {
		t.Errorf("Query until the day = %v, want [old]", k)
	}
	j.Close()
	if _, err := j.Failures(day, time.Time{}); err != ErrClosed {
		t.Errorf("Failures after Close: %v, want ErrClosed", err)
	}
}
