package spooltest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CorpusFile is one row of the message corpus's MANIFEST.tsv.
type CorpusFile struct {
	Name     string // as in the manifest, e.g. "eml/good/basic-lf.eml"
	Path     string // the file's path on this machine
	Expected string // relay, reject or either
}

// Corpus reads the manifest of the message corpus in the folder named by
// SPOOLGATE_CORPUS (.ci/run sets it to ../shared/corpus). Without the
// variable the test is skipped, saying so; a manifest that can't be read or
// that lacks relay or reject rows fails it.
func Corpus(t testing.TB) []CorpusFile {
	t.Helper()
	dir := os.Getenv("SPOOLGATE_CORPUS")
	if dir == "" {
		t.Skip("SPOOLGATE_CORPUS is not set: point it at the message corpus folder (.ci/run uses ../shared/corpus)")
	}
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []CorpusFile
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for first := true; sc.Scan(); first = false {
		if first || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 7 {
			t.Fatalf("MANIFEST.tsv row has %d columns: %q", len(cols), sc.Text())
		}
		out = append(out, CorpusFile{Name: cols[0], Path: filepath.Join(dir, filepath.FromSlash(cols[0])), Expected: cols[6]})
		counts[cols[6]]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if counts["relay"] == 0 || counts["reject"] == 0 {
		t.Fatalf("the corpus manifest has no relay or no reject rows: %v", counts)
	}
	return out
}
