package safefile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spoolgate/spoolgate/spool/spooltest"
)

func TestReadFile_Regular(t *testing.T) {
	dir := spooltest.TempDir(t)
	path := filepath.Join(dir, "a.eml")
	want := bytes.Repeat([]byte("x"), 5000)
	if err := os.WriteFile(path, want, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path, 5000)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadFile at the limit: %d bytes, %v", len(got), err)
	}
	_, err = ReadFile(path, 4999)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) || tl.Size != 5000 || tl.Max != 4999 {
		t.Fatalf("ReadFile over the limit: %v", err)
	}
	empty := filepath.Join(dir, "empty.eml")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(empty, 10); err != nil || len(got) != 0 {
		t.Fatalf("empty file: %q, %v", got, err)
	}
}

func TestOpen_Folder(t *testing.T) {
	dir := spooltest.TempDir(t)
	_, _, err := Open(dir)
	var nr *NotRegularError
	if !errors.As(err, &nr) || nr.Kind != Folder || !errors.Is(err, ErrNotRegular) {
		t.Fatalf("Open(folder): %v", err)
	}
}

func TestOpen_Missing(t *testing.T) {
	_, _, err := Open(filepath.Join(spooltest.TempDir(t), "gone.eml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open(missing): %v", err)
	}
}

// The refusal names the kind of file and nothing of where a link points.
func TestNotRegularError_QuotesNothingOfTheTarget(t *testing.T) {
	e := &NotRegularError{Path: "/q/secret.eml", Kind: Link}
	if got := e.Error(); got != "/q/secret.eml is a symbolic link, not a regular file" {
		t.Errorf("Error() = %q", got)
	}
	if strings.Contains((&TooLargeError{Path: "p", Size: -1, Max: 9}).Error(), "-1") {
		t.Error("a file that grew must not be reported as -1 bytes")
	}
}
