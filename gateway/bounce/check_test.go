package bounce

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// checkReport checks what holds for every Report, whatever the input.
func checkReport(t testing.TB, r Report) {
	t.Helper()
	switch r.Kind {
	case KindDSN, KindAutoReply, KindReadReceipt, KindOther, KindUnreadable:
	default:
		t.Fatalf("kind %q", r.Kind)
	}
	if (r.Kind == KindDSN) != (len(r.Recipients) > 0) {
		t.Fatalf("kind %q with %d recipients", r.Kind, len(r.Recipients))
	}
	if len(r.Recipients) > MaxRecipients || len(r.OriginalTo) > maxOriginalTo {
		t.Fatalf("%d recipients, %d original to", len(r.Recipients), len(r.OriginalTo))
	}
	for _, rc := range r.Recipients {
		if (rc.Class != "") != (rc.Action == Failed) {
			t.Fatalf("action %q with class %q", rc.Action, rc.Class)
		}
		switch rc.Action {
		case Failed, Delayed, Delivered, Relayed, Expanded:
		default:
			t.Fatalf("action %q", rc.Action)
		}
		if rc.Final == "" || len(rc.Final) > maxAddress || len(rc.Original) > maxAddress {
			t.Fatalf("final %q original %q", rc.Final, rc.Original)
		}
		if len(rc.Diagnostic) > MaxDiagnostic || len(rc.RemoteMTA) > 255 {
			t.Fatalf("diagnostic of %d bytes, remote %d", len(rc.Diagnostic), len(rc.RemoteMTA))
		}
		for _, s := range []string{rc.Final, rc.Original, rc.Status, rc.Diagnostic, rc.RemoteMTA} {
			checkLine(t, s, 1024)
		}
	}
	for _, s := range []string{r.Reporter, r.MessageID, r.SpoolgateID, r.Subject, r.Why, r.Format} {
		checkLine(t, s, maxID)
	}
	if len(r.Subject) > MaxSubject || len(r.Why) > MaxSubject {
		t.Fatalf("subject of %d bytes, why %d", len(r.Subject), len(r.Why))
	}
	for _, a := range r.OriginalTo {
		checkLine(t, a, maxAddress)
	}
}

func checkLine(t testing.TB, s string, n int) {
	t.Helper()
	if len(s) > n || strings.ContainsAny(s, "\r\n\x00") || !utf8.ValidString(s) {
		t.Fatalf("not one bounded line: %q", s)
	}
}
