package message

import (
	"strings"
	"testing"
)

// benchMessage is a typical library notice of about 2 KB.
var benchMessage = func() []byte {
	var b strings.Builder
	b.WriteString("X-Spoolgate-Kind: overdue\r\n" +
		"X-Spoolgate-Unit: Centralbiblioteket\r\n" +
		"From: Stadsbiblioteket <bibliotek@example.org>\r\n" +
		"To: Anna Andersson <anna.andersson@example.net>\r\n" +
		"Subject: =?utf-8?q?P=C3=A5minnelse_om_l=C3=A5n?=\r\n" +
		"Date: Tue, 04 Mar 2025 10:00:00 +0100\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		"Hej Anna,\r\n\r\n" +
		"Följande lån har passerat sitt återlämningsdatum:\r\n\r\n")
	for b.Len() < 1900 {
		b.WriteString("  Titel: Mästaren och Margarita   Streckkod: 30123004567890   Åter: 2025-02-28\r\n")
	}
	b.WriteString("\r\nVänliga hälsningar\r\nStadsbiblioteket\r\n")
	return []byte(b.String())
}()

func BenchmarkParse(b *testing.B) {
	opts := testOptions()
	b.SetBytes(int64(len(benchMessage)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchMessage, opts); err != nil {
			b.Fatal(err)
		}
	}
}
