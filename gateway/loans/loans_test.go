package loans

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // named zones under wine and on bare Windows

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// writeExport writes content as a file in a fresh test folder.
func writeExport(t testing.TB, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(spooltest.TempDir(t), name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// encode turns UTF-8 text into a legacy encoding, failing on characters the
// encoding lacks.
func encode(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

func stockholm(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustRead(t testing.TB, path string, o Options) *Result {
	t.Helper()
	res, err := ReadFile(path, o)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	return res
}

func noRowErrors(t testing.TB, res *Result) {
	t.Helper()
	for _, e := range res.Errors {
		t.Errorf("unexpected bad row: %s", e)
	}
}

func TestRead_BOMCommas(t *testing.T) {
	loc := stockholm(t)
	path := writeExport(t, "loans.csv", []byte("\xef\xbb\xbf"+
		"patron_id,patron_name,email,guardian_email,notify,language,unit,barcode,title,author,due\r\n"+
		"1001,Sarah Jones,sarah@example.org,,yes,EN,central,3000111,The Remains of the Day,Kazuo Ishiguro,2026-12-01\r\n"+
		"1002,Tom Brown,tom@example.org,mum@example.org,0,en_GB,north,3000222,\"Dune, Part One\",Frank Herbert,2026-12-02T17:30:00+01:00\r\n"))
	res := mustRead(t, path, Options{Location: loc})
	noRowErrors(t, res)
	if res.Charset != "utf-8" || res.Delimiter != ',' || res.HeaderAt != 1 {
		t.Errorf("charset %q, delimiter %q, header at %d; want utf-8, ',' and 1", res.Charset, res.Delimiter, res.HeaderAt)
	}
	if len(res.Absent) != 0 || len(res.Warnings) != 0 {
		t.Errorf("absent %v, warnings %v; want none", res.Absent, res.Warnings)
	}
	if len(res.Loans) != 2 {
		t.Fatalf("%d loans, want 2", len(res.Loans))
	}
	a, b := res.Loans[0], res.Loans[1]
	want := Loan{Line: 2, PatronID: "1001", PatronName: "Sarah Jones", Email: "sarah@example.org", Notify: true,
		Language: "en", Unit: "central", Barcode: "3000111", Title: "The Remains of the Day", Author: "Kazuo Ishiguro",
		Due: time.Date(2026, 12, 1, 0, 0, 0, 0, loc)}
	if !a.Due.Equal(want.Due) || a.Due.Location() != loc {
		t.Errorf("due %v, want %v", a.Due, want.Due)
	}
	a.Due, want.Due = time.Time{}, time.Time{}
	if a != want {
		t.Errorf("loan\n%+v, want\n%+v", a, want)
	}
	if b.Line != 3 || b.Notify || b.GuardianEmail != "mum@example.org" || b.Language != "en-gb" || b.Title != "Dune, Part One" {
		t.Errorf("second loan %+v", b)
	}
	if !b.DueHasTime || !b.Due.Equal(time.Date(2026, 12, 2, 16, 30, 0, 0, time.UTC)) || b.Due.Location() != loc {
		t.Errorf("second due %v (has time %v), want 16:30 UTC in Stockholm time", b.Due, b.DueHasTime)
	}
}

func TestRead_SwedishSemicolons(t *testing.T) {
	path := writeExport(t, "lån.csv", []byte(
		"patron_id;patron_name;email;guardian_email;notify;language;unit;barcode;title;author;due\n"+
			"2001;Åsa Öberg;asa.oberg@example.se;;ja;sv;Södermalm;3001;Röda rummet;August Strindberg;2026-12-01\n"+
			"2002;Märta Ågren;marta@example.se;;Nej;sv;Södermalm;3002;\"Mumin; Farlig midsommar\";Tove Jansson;01.12.2026\n"))
	res := mustRead(t, path, Options{Location: time.UTC})
	noRowErrors(t, res)
	if res.Delimiter != ';' || len(res.Loans) != 2 {
		t.Fatalf("delimiter %q, %d loans; want ';' and 2", res.Delimiter, len(res.Loans))
	}
	a, b := res.Loans[0], res.Loans[1]
	if a.PatronName != "Åsa Öberg" || a.Unit != "Södermalm" || a.Title != "Röda rummet" || !a.Notify {
		t.Errorf("first loan %+v", a)
	}
	if b.PatronName != "Märta Ågren" || b.Title != "Mumin; Farlig midsommar" || b.Notify {
		t.Errorf("second loan %+v", b)
	}
	if !b.Due.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || b.DueHasTime {
		t.Errorf("DD.MM.YYYY due read as %v (has time %v)", b.Due, b.DueHasTime)
	}
}

const swedishRows = "patron_id;patron_name;email;notify;title;author;due\r\n" +
	"3001;Åsa Öberg;asa@example.se;ja;Hundraåringen som klev ut genom fönstret;Jonas Jonasson;2026-12-01\r\n" +
	"3002;Björn Ängström;bjorn@example.se;ja;Än är det sommar;Märta Tikkanen;2026-12-02\r\n"

func TestRead_Windows1252(t *testing.T) {
	raw := encode(t, charmap.Windows1252, swedishRows)
	if !strings.Contains(string(raw), "\xc5sa \xd6berg") {
		t.Fatalf("the test file is not windows-1252: %q", raw[:80])
	}
	path := writeExport(t, "loans.csv", raw)
	for _, o := range []Options{{Charset: "windows-1252"}, {Charset: "CP1252"}, {Encoding: charmap.Windows1252}} {
		res := mustRead(t, path, o)
		noRowErrors(t, res)
		if res.Charset != "windows-1252" || len(res.Loans) != 2 {
			t.Fatalf("%+v: charset %q, %d loans", o, res.Charset, len(res.Loans))
		}
		if res.Loans[0].PatronName != "Åsa Öberg" || res.Loans[1].Title != "Än är det sommar" || res.Loans[1].PatronName != "Björn Ängström" {
			t.Errorf("%+v: decoded %q, %q", o, res.Loans[0].PatronName, res.Loans[1].Title)
		}
		if got := strings.Join(res.Absent, ","); got != "guardian_email,language,unit,barcode" {
			t.Errorf("absent %v, want the 4 optional columns the file lacks", res.Absent)
		}
	}
}

// An encoding the WHATWG index does not name (DOS code page 850, as very
// old systems write) is used as given.
func TestRead_EncodingWithoutName(t *testing.T) {
	raw := encode(t, charmap.CodePage850, swedishRows)
	res := mustRead(t, writeExport(t, "loans.csv", raw), Options{Encoding: charmap.CodePage850})
	noRowErrors(t, res)
	if len(res.Loans) != 2 || res.Loans[0].PatronName != "Åsa Öberg" || res.Charset == "utf-8" {
		t.Errorf("charset %q, loans %+v", res.Charset, res.Loans)
	}
	res = mustRead(t, writeExport(t, "loans.csv", raw), Options{Encoding: charmap.CodePage850, Charset: "IBM850"})
	if res.Charset != "ibm850" || res.Loans[1].PatronName != "Björn Ängström" {
		t.Errorf("charset %q, loans %+v", res.Charset, res.Loans)
	}
}

func TestRead_Windows1250(t *testing.T) {
	text := "patron_id,patron_name,email,notify,language,title,author,due\n" +
		"4001,Zofia Wójcik,zofia@example.pl,tak,pl,Łódź i okolice,Bolesław Prus,2026-12-01\n" +
		"4002,Jan Dvořák,jan@example.cz,ano,cs,Babička,Božena Němcová,2026-12-02\n" +
		"4003,Paweł Żółć,pawel@example.pl,nie,pl,Pan Tadeusz,Adam Mickiewicz,2026-12-03\n"
	raw := encode(t, charmap.Windows1250, text)
	if !strings.Contains(string(raw), "\xa3\xf3d\x9f") || !strings.Contains(string(raw), "Dvo\xf8\xe1k") {
		t.Fatalf("the test file is not windows-1250: %q", raw)
	}
	res := mustRead(t, writeExport(t, "loans.csv", raw), Options{Charset: "windows-1250"})
	noRowErrors(t, res)
	if len(res.Loans) != 3 {
		t.Fatalf("%d loans, want 3", len(res.Loans))
	}
	if l := res.Loans[0]; l.PatronName != "Zofia Wójcik" || l.Title != "Łódź i okolice" || l.Author != "Bolesław Prus" {
		t.Errorf("Polish row %+v", l)
	}
	if l := res.Loans[1]; l.PatronName != "Jan Dvořák" || l.Author != "Božena Němcová" || !l.Notify || l.Language != "cs" {
		t.Errorf("Czech row %+v", l)
	}
	if l := res.Loans[2]; l.PatronName != "Paweł Żółć" || l.Notify {
		t.Errorf("Polish opt-out row %+v", l)
	}
}

func TestRead_Windows1251(t *testing.T) {
	text := "patron_id;patron_name;email;notify;language;title;author;due\n" +
		"5001;Иван Петров;ivan@example.ru;да;ru;Преступление и наказание;Фёдор Достоевский;2026-12-01\n" +
		"5002;Ольга Смирнова;olga@example.ru;НЕТ;ru;Мастер и Маргарита;Михаил Булгаков;2026-12-02\n"
	raw := encode(t, charmap.Windows1251, text)
	res := mustRead(t, writeExport(t, "loans.csv", raw), Options{Charset: "windows-1251"})
	noRowErrors(t, res)
	if res.Charset != "windows-1251" || len(res.Loans) != 2 {
		t.Fatalf("charset %q, %d loans", res.Charset, len(res.Loans))
	}
	if l := res.Loans[0]; l.PatronName != "Иван Петров" || l.Title != "Преступление и наказание" || !l.Notify {
		t.Errorf("first row %+v", l)
	}
	if l := res.Loans[1]; l.Author != "Михаил Булгаков" || l.Notify {
		t.Errorf("second row (НЕТ is no) %+v", l)
	}
}

// Excel's "Unicode text": UTF-16LE with a BOM, tab-separated.
func TestRead_UTF16LEWithBOM(t *testing.T) {
	text := "patron_id\tpatron_name\temail\tnotify\tlanguage\ttitle\tdue\r\n" +
		"6001\tÅsa Öberg\tasa@example.se\tja\tsv\t\"Mumin\r\noch kometen\"\t2026-12-01\r\n" +
		"6002\tИван Петров\tivan@example.ru\tда\tru\tИдиот\t2026-12-02\r\n"
	raw := encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), text)
	if raw[0] != 0xFF || raw[1] != 0xFE {
		t.Fatalf("no UTF-16LE BOM: % x", raw[:4])
	}
	// The configured charset loses to the BOM, and the log is told.
	res := mustRead(t, writeExport(t, "loans.txt", raw), Options{Charset: "windows-1252"})
	noRowErrors(t, res)
	if res.Charset != "utf-16le" || res.Delimiter != '\t' || len(res.Loans) != 2 {
		t.Fatalf("charset %q, delimiter %q, %d loans; want utf-16le, tab, 2", res.Charset, res.Delimiter, len(res.Loans))
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "windows-1252") {
		t.Errorf("warnings %q, want one about the charset setting", res.Warnings)
	}
	if l := res.Loans[0]; l.PatronName != "Åsa Öberg" || l.Title != "Mumin\noch kometen" || l.Line != 2 {
		t.Errorf("first row %+v", l)
	}
	if l := res.Loans[1]; l.PatronName != "Иван Петров" || l.Line != 4 {
		t.Errorf("second row %+v (want line 4)", l)
	}
}

func TestRead_UTF16WithoutBOM(t *testing.T) {
	text := "patron_id,email,title,due\n7001,a@example.org,Żółw,2026-12-01\n"
	for _, tc := range []struct {
		order unicode.Endianness
		want  string
	}{{unicode.LittleEndian, "utf-16le"}, {unicode.BigEndian, "utf-16be"}} {
		raw := encode(t, unicode.UTF16(tc.order, unicode.IgnoreBOM), text)
		res := mustRead(t, writeExport(t, "loans.csv", raw), Options{})
		noRowErrors(t, res)
		if res.Charset != tc.want || len(res.Loans) != 1 || res.Loans[0].Title != "Żółw" {
			t.Errorf("charset %q, loans %+v; want %s and one loan of Żółw", res.Charset, res.Loans, tc.want)
		}
	}
	// Big-endian with its BOM.
	raw := encode(t, unicode.UTF16(unicode.BigEndian, unicode.UseBOM), text)
	res := mustRead(t, writeExport(t, "loans.csv", raw), Options{})
	if res.Charset != "utf-16be" || len(res.Loans) != 1 || res.Loans[0].Title != "Żółw" {
		t.Errorf("UTF-16BE with BOM: charset %q, loans %+v", res.Charset, res.Loans)
	}
}

func TestRead_QuotedLineBreaks(t *testing.T) {
	text := "patron_id;email;title;due\n" + // 1
		"8001;a@example.org;\"Första raden\n" + // 2
		"andra raden\n" + // 3
		"tredje \"\"citerad\"\" raden\";2026-12-01\n" + // 4
		"\n" + // 5: empty, skipped
		"8002;b@example.org;Vanlig titel;2026-12-02\n" + // 6
		"8003;c@example.org;\"Två\r\nrader\";inte ett datum\n" + // 7-8: bad
		"8004;d@example.org;Sist;2026-12-04\n" // 9
	res := mustRead(t, writeExport(t, "loans.csv", []byte(text)), Options{})
	if len(res.Loans) != 3 {
		t.Fatalf("%d loans, want 3: %+v", len(res.Loans), res.Loans)
	}
	for i, want := range []int{2, 6, 9} {
		if res.Loans[i].Line != want {
			t.Errorf("loan %d on line %d, want %d", i, res.Loans[i].Line, want)
		}
	}
	if got := res.Loans[0].Title; got != "Första raden\nandra raden\ntredje \"citerad\" raden" {
		t.Errorf("title %q", got)
	}
	if len(res.Errors) != 1 || res.Errors[0].Line != 7 || res.Errors[0].PatronID != "8003" || !strings.Contains(res.Errors[0].Reason, "inte ett datum") {
		t.Errorf("errors %+v, want one on line 7 about the due date", res.Errors)
	}
}

func TestRead_BadRows(t *testing.T) {
	text := "patron_id,patron_name,email,guardian_email,notify,title,due\n" + // 1
		"9001,Good One,one@example.org,,yes,Title one,2026-12-01\n" + // 2
		"9002,Missing Field,two@example.org,,yes,2026-12-01\n" + // 3: a field short
		"9003,Bad Date,three@example.org,,yes,Title,2026-13-45\n" + // 4
		"9004,Bad Notify,four@example.org,,maybe,Title,2026-12-01\n" + // 5
		"9005,Slash Date,five@example.org,,yes,Title,01/12/2026\n" + // 6
		"9006,Bad Email,not-an-address,,yes,Title,2026-12-01\n" + // 7
		"9007,Bad Email Opted Out,not-an-address,,no,Title,2026-12-01\n" + // 8: loads, address dropped
		",No Patron,eight@example.org,,yes,Title,2026-12-01\n" + // 9
		"9009,Bare \"Quote,nine@example.org,,yes,Title,2026-12-01\n" + // 10
		"9010,Extra Field,ten@example.org,,yes,Title,2026-12-01,surplus\n" + // 11
		"9011,Trailing Empty,eleven@example.org,,yes,Title,2026-12-01,,\n" + // 12: loads
		",,,,,,\n" + // 13: all empty, skipped
		"9013,Bad Guardian,thirteen@example.org,Mum <mum@example.org>,1,Title,2026-12-01\n" + // 14
		"9014,Two Problems,fourteen@example.org,,perhaps,Title,31/12/2026\n" + // 15
		"9015,No Date,fifteen@example.org,,yes,Title,\n" + // 16
		"9016,Good Two,sixteen@example.org,,,Title two,2026-12-01 09:15\n" // 17
	res := mustRead(t, writeExport(t, "loans.csv", []byte(text)), Options{Location: time.UTC})
	var loaded []int
	for _, l := range res.Loans {
		loaded = append(loaded, l.Line)
	}
	if want := []int{2, 8, 12, 17}; !equalInts(loaded, want) {
		t.Errorf("loaded lines %v, want %v", loaded, want)
	}
	wantErr := map[int][]string{
		3:  {"6 fields", "header has 7"},
		4:  {`"2026-13-45"`, "not a date"},
		5:  {`notify "maybe"`},
		6:  {"ambiguous"},
		7:  {`email "not-an-address"`},
		9:  {"no patron_id"},
		10: {`"`, "quoted"},
		11: {"8 fields"},
		14: {"guardian_email", "Mum <mum@example.org>"},
		15: {`notify "perhaps"`, "ambiguous"},
		16: {"no due date"},
	}
	got := map[int]string{}
	for _, e := range res.Errors {
		got[e.Line] = e.Reason
	}
	for line, words := range wantErr {
		reason, ok := got[line]
		if !ok {
			t.Errorf("line %d not reported as bad", line)
			continue
		}
		for _, w := range words {
			if !strings.Contains(reason, w) {
				t.Errorf("line %d: reason %q lacks %q", line, reason, w)
			}
		}
	}
	if len(res.Errors) != len(wantErr) {
		t.Errorf("%d bad rows, want %d: %+v", len(res.Errors), len(wantErr), res.Errors)
	}
	for _, e := range res.Errors {
		if e.Line == 4 && (e.PatronID != "9003" || !strings.HasPrefix(e.String(), "line 4 (patron 9003): ")) {
			t.Errorf("row error %+v prints as %q", e, e.String())
		}
	}
	for _, l := range res.Loans {
		switch l.Line {
		case 8:
			if l.Email != "" || l.Notify {
				t.Errorf("opted-out row with a bad address: %+v, want it loaded without the address", l)
			}
		case 17:
			if !l.Notify || !l.DueHasTime || !l.Due.Equal(time.Date(2026, 12, 1, 9, 15, 0, 0, time.UTC)) {
				t.Errorf("last row %+v", l)
			}
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRead_UnclosedQuote(t *testing.T) {
	text := "patron_id,email,title,due\n" +
		"1,a@example.org,Fine,2026-12-01\n" +
		"2,b@example.org,\"Never closed,2026-12-01\n" +
		"3,c@example.org,Swallowed,2026-12-01\n"
	res := mustRead(t, writeExport(t, "loans.csv", []byte(text)), Options{})
	if len(res.Loans) != 1 || res.Loans[0].Line != 2 {
		t.Errorf("loans %+v, want only line 2", res.Loans)
	}
	if len(res.Errors) != 1 || res.Errors[0].Line != 3 || !strings.Contains(res.Errors[0].Reason, "lines 3–") {
		t.Errorf("errors %+v, want one from line 3 naming the lines lost", res.Errors)
	}
}

func TestRead_ColumnMapping(t *testing.T) {
	text := "\ufeffLåntagare;Namn; E-POST ;Målsman;Avisering;Språk;Filial;Streckkod;Titel;Författare;Förfallodatum;Övrigt\n" +
		"10001;Åsa Öberg;asa@example.se;;Ja;sv;Södermalm;3001;Röda rummet;August Strindberg;2026-12-01;x\n"
	cols := map[string]string{
		"patron_id": "Låntagare", "patron_name": "namn", "EMAIL": "E-post", "guardian_email": "Målsman",
		"notify": "Avisering", "language": "Språk", "unit": "Filial", "barcode": "Streckkod",
		"title": "Titel", "author": "Författare", "due": " Förfallodatum ",
	}
	res := mustRead(t, writeExport(t, "loans.csv", []byte(text)), Options{Columns: cols, Location: time.UTC})
	noRowErrors(t, res)
	if len(res.Loans) != 1 {
		t.Fatalf("%d loans, want 1", len(res.Loans))
	}
	l := res.Loans[0]
	if l.PatronID != "10001" || l.PatronName != "Åsa Öberg" || l.Email != "asa@example.se" || l.Unit != "Södermalm" ||
		l.Barcode != "3001" || l.Title != "Röda rummet" || l.Author != "August Strindberg" || !l.Due.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("loan %+v", l)
	}
	if res.Header[2] != "E-POST" {
		t.Errorf("header %q, want names trimmed", res.Header)
	}
}

func TestRead_MissingRequiredColumns(t *testing.T) {
	text := "Låntagare;Namn;Titel;Förfallodag\n1;Åsa;Röda rummet;2026-12-01\n"
	path := writeExport(t, "loans.csv", []byte(text))
	_, err := ReadFile(path, Options{Columns: map[string]string{"patron_id": "Låntagare", "email": "E-post", "title": "Titel", "due": "Förfallodatum"}})
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("error %v, want a *HeaderError", err)
	}
	if strings.Join(he.Missing, ",") != "email,due" || he.Line != 1 {
		t.Errorf("missing %v on line %d, want email,due on line 1", he.Missing, he.Line)
	}
	msg := err.Error()
	for _, w := range []string{path, "required column missing", `email ("E-post" in [overdue.columns])`, `due ("Förfallodatum"`, `"Låntagare", "Namn", "Titel", "Förfallodag"`} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}

	// Default names, and a name given twice.
	_, err = Read(strings.NewReader("patron_id,title,due,Title\n"), Options{})
	if !errors.As(err, &he) || strings.Join(he.Missing, ",") != "email" || strings.Join(he.Duplicate, ",") != "title" {
		t.Fatalf("error %v, want email missing and title twice", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "required column missing: email;") || !strings.Contains(msg, "more than once: title") {
		t.Errorf("error %q", msg)
	}
}

func TestReadFile_Missing(t *testing.T) {
	path := filepath.Join(spooltest.TempDir(t), "no-such-export.csv")
	res, err := ReadFile(path, Options{})
	if res != nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("result %v, error %v; want fs.ErrNotExist", res, err)
	}
	if !strings.Contains(err.Error(), "no-such-export.csv") || !strings.Contains(err.Error(), "loans export") {
		t.Errorf("error %q does not name the file", err)
	}
	// A folder is not an export either.
	if res, err := ReadFile(filepath.Dir(path), Options{}); err == nil {
		t.Errorf("reading a folder gave %+v and no error", res)
	}
}

func TestRead_EmptyAndHeaderOnly(t *testing.T) {
	for _, text := range []string{"", "\n\r\n", "\xef\xbb\xbf"} {
		_, err := ReadFile(writeExport(t, "loans.csv", []byte(text)), Options{})
		if err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("%q: error %v, want one saying the file is empty", text, err)
		}
	}
	res := mustRead(t, writeExport(t, "loans.csv", []byte("patron_id;email;title;due\r\n")), Options{})
	if len(res.Loans) != 0 || len(res.Errors) != 0 || res.Delimiter != ';' {
		t.Errorf("header only: %+v", res)
	}
}

func TestRead_InvalidUTF8(t *testing.T) {
	raw := encode(t, charmap.Windows1252, swedishRows)
	path := writeExport(t, "loans.csv", raw)
	for _, charset := range []string{"", "utf-8", "UTF8"} {
		_, err := ReadFile(path, Options{Charset: charset})
		var ce *CharsetError
		if !errors.As(err, &ce) || ce.Line != 2 {
			t.Fatalf("charset %q: error %v, want a *CharsetError on line 2", charset, err)
		}
		for _, w := range []string{"[overdue] charset", "windows-1252", "line 2", path} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	}
	// A damaged row in a file that is UTF-8 (it said Å before) is a bad row.
	text := swedishRows + "3003;Bad \xe5 byte;bad@example.se;ja;Title;Author;2026-12-03\r\n3004;Ok;ok@example.se;ja;Öl;Author;2026-12-04\r\n"
	res, err := ReadFile(writeExport(t, "loans.csv", []byte(text)), Options{})
	if err != nil || len(res.Loans) != 3 || len(res.Errors) != 1 || res.Errors[0].Line != 4 || !strings.Contains(res.Errors[0].Reason, "UTF-8") {
		t.Errorf("damaged row: %v, %+v", err, res)
	}
	// Bad bytes in the header are caught too.
	_, err = Read(strings.NewReader("patron_id;e-post\xe4;title;due\n"), Options{})
	var ce *CharsetError
	if !errors.As(err, &ce) || ce.Line != 1 {
		t.Errorf("error %v, want a *CharsetError on line 1", err)
	}
}

func TestRead_UTF8WithLegacyCharsetWarns(t *testing.T) {
	res := mustRead(t, writeExport(t, "loans.csv", []byte(swedishRows)), Options{Charset: "windows-1252"})
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "charset = utf-8") {
		t.Errorf("warnings %q, want one suggesting charset = utf-8", res.Warnings)
	}
	if res.Loans[0].PatronName != "Ã…sa Ã–berg" {
		t.Errorf("name %q: the file should still be read as configured", res.Loans[0].PatronName)
	}
	// A real windows-1252 file gives no warning.
	res = mustRead(t, writeExport(t, "loans.csv", encode(t, charmap.Windows1252, swedishRows)), Options{Charset: "windows-1252"})
	if len(res.Warnings) != 0 {
		t.Errorf("warnings %q for a windows-1252 file", res.Warnings)
	}
	// A UTF-8 BOM wins over the setting.
	res = mustRead(t, writeExport(t, "loans.csv", []byte("\xef\xbb\xbf"+swedishRows)), Options{Charset: "windows-1252"})
	if res.Charset != "utf-8" || res.Loans[0].PatronName != "Åsa Öberg" || len(res.Warnings) != 1 {
		t.Errorf("UTF-8 with BOM, charset windows-1252: read as %s, %q, warnings %q", res.Charset, res.Loans[0].PatronName, res.Warnings)
	}
}

func TestRead_UnknownCharset(t *testing.T) {
	_, err := Read(strings.NewReader(swedishRows), Options{Charset: "windows-9999"})
	if err == nil || !strings.Contains(err.Error(), "windows-9999") || !strings.Contains(err.Error(), "[overdue] charset") {
		t.Errorf("error %v", err)
	}
}

func TestRead_Delimiters(t *testing.T) {
	// Header names with commas in them: the semicolon splits into known names.
	text := "patron_id;email;title;due;\"Note, internal, free text\"\n1;a@example.org;\"A, B and C\";2026-12-01;x, y\n"
	res, err := Read(strings.NewReader(text), Options{})
	if err != nil || res.Delimiter != ';' || len(res.Loans) != 1 || res.Loans[0].Title != "A, B and C" {
		t.Errorf("detect: %v, %+v", err, res)
	}
	// Excel's sep= line sets the delimiter and is skipped; lines still count it.
	text = "sep=|\r\npatron_id|email|title|due\r\n1|a@example.org|T|2026-12-01\r\n2|b@example.org|T|someday\r\n"
	res, err = Read(strings.NewReader(text), Options{})
	if err != nil || res.Delimiter != '|' || res.HeaderAt != 2 || len(res.Loans) != 1 || res.Loans[0].Line != 3 || len(res.Errors) != 1 || res.Errors[0].Line != 4 {
		t.Errorf("sep=: %v, %+v", err, res)
	}
	// The caller's delimiter wins.
	text = "patron_id;email,title;due\n1;a@example.org,T;2026-12-01\n"
	res, err = Read(strings.NewReader(text), Options{Delimiter: ','})
	if err == nil {
		t.Errorf("comma set: read %+v, want a missing-column error", res)
	}
	if _, err := Read(strings.NewReader(text), Options{Delimiter: '"'}); err == nil || !strings.Contains(err.Error(), "delimiter") {
		t.Errorf("quote as delimiter: %v", err)
	}
	// Tabs, detected.
	res, err = Read(strings.NewReader("patron_id\temail\ttitle\tdue\n1\ta@example.org\tT, U; V\t2026-12-01\n"), Options{})
	if err != nil || res.Delimiter != '\t' || len(res.Loans) != 1 || res.Loans[0].Title != "T, U; V" {
		t.Errorf("tabs: %v, %+v", err, res)
	}
}

func TestParseDue(t *testing.T) {
	loc := stockholm(t)
	d := func(y int, m time.Month, day, h, min, s int) time.Time {
		return time.Date(y, m, day, h, min, s, 0, loc)
	}
	for _, tc := range []struct {
		in      string
		want    time.Time
		hasTime bool
	}{
		{"2026-12-01", d(2026, 12, 1, 0, 0, 0), false},
		{"2026/12/01", d(2026, 12, 1, 0, 0, 0), false},
		{"01.12.2026", d(2026, 12, 1, 0, 0, 0), false},
		{"1.2.2026", d(2026, 2, 1, 0, 0, 0), false},
		{"2026-03-29", d(2026, 3, 29, 0, 0, 0), false}, // the spring DST day
		{"2026-12-01 17:30", d(2026, 12, 1, 17, 30, 0), true},
		{"2026-12-01 17:30:15", d(2026, 12, 1, 17, 30, 15), true},
		{"2026-12-01T17:30", d(2026, 12, 1, 17, 30, 0), true},
		{"2026-12-01T17:30:15.250", d(2026, 12, 1, 17, 30, 15).Add(250 * time.Millisecond), true},
		{"2026-12-01T16:30:00Z", d(2026, 12, 1, 17, 30, 0), true},
		{"2026-12-01 18:30:00+02:00", d(2026, 12, 1, 17, 30, 0), true},
		{"2026-12-01T18:30:00+0200", d(2026, 12, 1, 17, 30, 0), true},
		{"01.12.2026 17:30", d(2026, 12, 1, 17, 30, 0), true},
	} {
		got, hasTime, problem := parseDue(tc.in, loc)
		if problem != "" || !got.Equal(tc.want) || hasTime != tc.hasTime || got.Location() != loc {
			t.Errorf("parseDue(%q) = %v, %v, %q; want %v, %v", tc.in, got, hasTime, problem, tc.want, tc.hasTime)
		}
	}
	for _, in := range []string{"", "tomorrow", "2026-02-30", "2026-13-01", "2026-1-1", "12/01/2026", "01/12/2026",
		"0000-01-01", "31.02.2026", "2026-12-01T25:00", "2026-12-01x", "２０２６-12-01", "2026-12-01T17:30:00+25:00"} {
		if got, _, problem := parseDue(in, loc); problem == "" {
			t.Errorf("parseDue(%q) = %v, want a problem", in, got)
		}
	}
}

func TestParseNotify(t *testing.T) {
	for _, s := range []string{"", "yes", "YES", "y", "1", "true", "True", "ja", "JA", "tak", "ano", "да", "ДА", "on"} {
		if n, ok := parseNotify(s); !ok || !n {
			t.Errorf("parseNotify(%q) = %v, %v; want true", s, n, ok)
		}
	}
	for _, s := range []string{"no", "No", "n", "0", "false", "nej", "NEJ", "nei", "nie", "ne", "нет", "Нет", "off"} {
		if n, ok := parseNotify(s); !ok || n {
			t.Errorf("parseNotify(%q) = %v, %v; want false", s, n, ok)
		}
	}
	for _, s := range []string{"maybe", "2", "yes please", "nein!"} {
		if _, ok := parseNotify(s); ok {
			t.Errorf("parseNotify(%q) accepted", s)
		}
	}
}

func TestCheckColumns(t *testing.T) {
	if err := CheckColumns(nil); err != nil {
		t.Errorf("no mapping: %v", err)
	}
	if err := CheckColumns(map[string]string{"Due": "Förfallodatum", "email": "E-post"}); err != nil {
		t.Errorf("good mapping: %v", err)
	}
	for _, tc := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"duedate": "x"}, `"duedate", which is not a column`},
		{map[string]string{"due": " "}, "due is empty"},
		{map[string]string{"due": "Datum", "title": "datum"}, "maps both due and title"},
		{map[string]string{"email": "E-post", "guardian_email": ""}, "guardian_email is empty"},
	} {
		err := CheckColumns(tc.m)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckColumns(%v) = %v, want %q", tc.m, err, tc.want)
		}
	}
	if got := strings.Join(RequiredColumns(), ","); got != "patron_id,email,title,due" {
		t.Errorf("required %s", got)
	}
	if got := strings.Join(ColumnNames(), ","); got != "patron_id,patron_name,email,guardian_email,notify,language,unit,barcode,title,author,due" {
		t.Errorf("columns %s", got)
	}
}

// The sample export in examples/ reads cleanly.
func TestRead_Example(t *testing.T) {
	res := mustRead(t, filepath.Join("..", "..", "examples", "loans.csv"), Options{Location: time.UTC})
	noRowErrors(t, res)
	if res.Charset != "utf-8" || res.Delimiter != ';' || len(res.Loans) != 12 {
		t.Fatalf("charset %q, delimiter %q, %d loans", res.Charset, res.Delimiter, len(res.Loans))
	}
	langs, units, patrons := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var optedOut, noEmail, guardian, withTime int
	for _, l := range res.Loans {
		langs[l.Language], units[l.Unit], patrons[l.PatronID] = true, true, true
		if !l.Notify {
			optedOut++
		}
		if l.Email == "" && l.GuardianEmail == "" {
			noEmail++
		}
		if l.GuardianEmail != "" {
			guardian++
		}
		if l.DueHasTime {
			withTime++
		}
	}
	for _, lang := range []string{"en", "sv", "nb", "pl", "cs", "ru"} {
		if !langs[lang] {
			t.Errorf("no row in %s", lang)
		}
	}
	if len(units) != 2 || len(patrons) < 8 || optedOut != 1 || noEmail != 1 || guardian == 0 || withTime != 1 {
		t.Errorf("units %v, %d patrons, %d opted out, %d without an address, %d with a guardian, %d with a time",
			units, len(patrons), optedOut, noEmail, guardian, withTime)
	}
}
