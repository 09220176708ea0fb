package loans

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/spool/safefile"
	"github.com/spoolgate/spoolgate/spool/spooltest"
)

// A link to the export, even to a good one, is refused: the error names
// the key to change and quotes nothing of the file the link points to.
func TestReadFile_LinkRefused(t *testing.T) {
	dir := spooltest.TempDir(t)
	real := writeExport(t, "loans.csv", []byte("patron_id,email,title,due\n1,secret@example.org,Secret title,2026-12-01\n"))
	link := filepath.Join(dir, "loans.csv")
	if err := os.Symlink(real, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Skipf("no symbolic links here: os.Symlink made %v, %v", fi, err) // wine says yes and makes none
	}
	res, err := ReadFile(link, Options{})
	var nr *safefile.NotRegularError
	if res != nil || !errors.As(err, &nr) {
		t.Fatalf("ReadFile(link) = %v, %v; want a *safefile.NotRegularError", res, err)
	}
	for _, want := range []string{link, "[overdue] loans", "not a regular file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), real) || strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q quotes the link's target", err)
	}
	called := false
	if _, err := EachFile(link, Options{}, func(Loan) error { called = true; return nil }); err == nil || called {
		t.Errorf("EachFile(link): %v, called %v", err, called)
	}
}

// A file larger than MaxFileSize is refused before a byte is read (a
// sparse file: it takes no room on the disk).
func TestReadFile_TooLarge(t *testing.T) {
	path := writeExport(t, "loans.csv", []byte("patron_id,email,title,due\n"))
	if err := os.Truncate(path, MaxFileSize+1); err != nil {
		t.Skipf("no sparse file here: %v", err)
	}
	_, err := ReadFile(path, Options{})
	var tl *safefile.TooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, safefile.ErrTooLarge) || !strings.Contains(err.Error(), path) {
		t.Fatalf("ReadFile(2 GiB + 1) = %v, want a *safefile.TooLargeError naming the file", err)
	}
}

// A file that grows past the bound while it is read is refused: the
// limit is counted on the bytes read, not only taken from the size.
func TestSizeLimit_Grows(t *testing.T) {
	r := &sizeLimit{r: strings.NewReader("0123456789"), path: "loans.csv", left: 4}
	b, err := readAll(r)
	var tl *safefile.TooLargeError
	if string(b) != "0123" || !errors.As(err, &tl) || tl.Size != -1 {
		t.Fatalf("read %q, %v; want 4 bytes, then a file that grew", b, err)
	}
	r = &sizeLimit{r: strings.NewReader("0123"), path: "loans.csv", left: 4}
	if b, err := readAll(r); string(b) != "0123" || err != nil {
		t.Fatalf("a file of exactly the limit: %q, %v", b, err)
	}
}

func readAll(r *sizeLimit) ([]byte, error) {
	var out bytes.Buffer
	buf := make([]byte, 3)
	for {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return out.Bytes(), err
		}
	}
}

// A row with a quote that is never closed, in a file much larger than
// MaxRowSize, is one bad row and the end of the reading: the reader's
// memory does not grow with the rest of the file.
func TestRead_RowTooLong(t *testing.T) {
	var b strings.Builder
	b.WriteString("patron_id,email,title,due\n1,a@example.org,Fine,2026-12-01\n2,b@example.org,\"Never closed,2026-12-01\n")
	line := "3,c@example.org,Swallowed,2026-12-01\n"
	for b.Len() < 3*MaxRowSize {
		b.WriteString(line)
	}
	res := mustRead(t, writeExport(t, "loans.csv", []byte(b.String())), Options{})
	if len(res.Loans) != 1 || res.BadRows != 1 || len(res.Errors) != 1 {
		t.Fatalf("%d loans, %d bad rows %+v; want 1 and 1", len(res.Loans), res.BadRows, res.Errors)
	}
	if e := res.Errors[0]; e.Line != 3 || !strings.Contains(e.Reason, "longer than") || !strings.Contains(e.Reason, "not read") {
		t.Errorf("bad row %+v", e)
	}
	// A header line that long is no export.
	_, err := Read(strings.NewReader(strings.Repeat("x", 2*MaxRowSize)), Options{})
	if err == nil || !strings.Contains(err.Error(), "no header line") {
		t.Errorf("an endless header: %v", err)
	}
}

// Result.Errors keeps the first MaxRowErrors bad rows; BadRows counts all.
func TestRead_BadRowsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("patron_id,email,title,due\n")
	const n = MaxRowErrors + 500
	for i := range n {
		fmt.Fprintf(&b, "%d,a@example.org,T,not a date\n", i)
	}
	b.WriteString("9,a@example.org,T,2026-12-01\n")
	res, err := Read(strings.NewReader(b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.BadRows != n || len(res.Errors) != MaxRowErrors || res.Errors[0].Line != 2 || res.Loaded != 1 || len(res.Loans) != 1 {
		t.Errorf("bad rows %d (kept %d, first line %d), loaded %d; want %d (kept %d), 1",
			res.BadRows, len(res.Errors), res.Errors[0].Line, res.Loaded, n, MaxRowErrors)
	}
}

// Each hands over every good loan and keeps none; an error from the
// function stops it.
func TestEach(t *testing.T) {
	text := "patron_id,email,title,due\n1,a@example.org,A,2026-12-01\nx,bad,B,2026-12-01\n2,b@example.org,B,2026-12-02\n3,c@example.org,C,2026-12-03\n"
	var got []string
	res, err := Each(strings.NewReader(text), Options{}, func(l Loan) error {
		got = append(got, l.PatronID)
		return nil
	})
	if err != nil || res.Loans != nil || res.Loaded != 3 || res.BadRows != 1 || strings.Join(got, ",") != "1,2,3" {
		t.Fatalf("Each: %v, %+v, got %q", err, res, got)
	}
	stop := errors.New("enough")
	got = nil
	_, err = EachFile(writeExport(t, "loans.csv", []byte(text)), Options{}, func(l Loan) error {
		got = append(got, l.PatronID)
		if len(got) == 2 {
			return stop
		}
		return nil
	})
	if err != stop || len(got) != 2 {
		t.Errorf("EachFile stopped: %v after %q", err, got)
	}
}
