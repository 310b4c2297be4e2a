package history

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/store"
)

func openStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dir
}

func writeFile(t testing.TB, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const goodFile = `commit: 1111111111111111111111111111111111111111
commit-time: 2026-10-01T00:00:00Z
branch: main
subject: first
go: go1.26.0
cores: 2
goos: linux
goarch: amd64
pkg: example.com/p
cpu: Test CPU
BenchmarkF-2   	1000	  1000 ns/op	  64 B/op
BenchmarkF-2   	1000	  1010 ns/op	  64 B/op
commit: 2222222222222222222222222222222222222222
parent: 1111111111111111111111111111111111111111
commit-time: 2026-10-01T01:00:00Z
BenchmarkF-2   	1000	  1100 ns/op	  64 B/op
`

func TestImport(t *testing.T) {
	ctx := context.Background()
	st, _ := openStore(t)
	dir := t.TempDir()
	good := writeFile(t, dir, "good.txt", goodFile)
	imported, err := Import(ctx, st, []string{good}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(imported) != 1 || imported[0].Commits != 2 || imported[0].Results != 4 {
		t.Errorf("Import = %+v, want 1 run of 2 commits and 4 results (2 units each)", imported)
	}
	trends, err := st.Trends(ctx, store.HistoryQuery{Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	var sec *store.Trend
	for i := range trends {
		if trends[i].Unit == "sec/op" {
			sec = &trends[i]
		}
	}
	if sec == nil || len(sec.Points) != 2 || sec.Points[0].Commit.Subject != "first" || sec.Points[1].Commit.Subject != "" || sec.Points[1].Commit.Parent == "" ||
		len(sec.Points[0].Values) != 2 || math.Abs(sec.Points[0].Values[0]-1e-6) > 1e-15 || sec.Benchmark != "BenchmarkF-2" || sec.Package != "example.com/p" ||
		sec.Machine.Cores != 2 || sec.Machine.Go != "go1.26.0" {
		t.Errorf("sec/op trend = %+v", sec)
	}

	// Bad input: one line each, and nothing recorded.
	other := writeFile(t, dir, "other.txt", strings.ReplaceAll(goodFile, "1000 ns/op", "999 ns/op"))
	for _, tt := range []struct {
		name  string
		files []string
		want  string
	}{
		{"imported before", []string{other, good}, "good.txt was imported before, as run 1; nothing was imported"},
		{"twice in one call", []string{other, other}, "are the same file"},
		{"no commit", []string{other, writeFile(t, dir, "nocommit.txt", "pkg: p\nBenchmarkF 10 5 ns/op\n")}, "nocommit.txt:2: a result without a commit"},
		{"bad time", []string{writeFile(t, dir, "time.txt", "commit: ab\ncommit-time: yesterday\nBenchmarkF 10 5 ns/op\n")}, `"yesterday" is not an RFC 3339 time`},
		{"bad cores", []string{writeFile(t, dir, "cores.txt", "commit: ab\ncores: two\nBenchmarkF 10 5 ns/op\n")}, "is not a number of cores"},
		{"two machines", []string{writeFile(t, dir, "mixed.txt", "commit: ab\ncpu: A\nBenchmarkF 10 5 ns/op\ncpu: B\nBenchmarkF 10 5 ns/op\n")}, "the file mixes machines"},
		{"syntax", []string{writeFile(t, dir, "syntax.txt", "commit: ab\nBenchmarkF 10 5\n")}, "syntax.txt:2"},
		{"empty", []string{writeFile(t, dir, "empty.txt", "commit: ab\n")}, "no benchmark results"},
		{"missing", []string{filepath.Join(dir, "nope.txt")}, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Import(ctx, st, tt.files, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Import: %v, want one line with %q", err, tt.want)
			}
			if _, ok, _ := st.RunOf(ctx, "file sha256:"+digest([]byte(strings.ReplaceAll(goodFile, "1000 ns/op", "999 ns/op")))); ok {
				t.Error("other.txt was recorded although the import failed")
			}
		})
	}
}

// FuzzParseFile: whatever a benchmark file holds, parseFile returns a run
// or an error, and never panics; every result of a run has a commit and
// finite samples.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(goodFile))
	f.Add([]byte("commit: a\nBenchmarkF 1 NaN ns/op\n"))
	f.Add([]byte("experiment-commit: a\nexperiment-commit-time: 1700000000\ncores: -1\nBenchmarkF/x=1-8 3 1 ns/op 2 B/op\n"))
	f.Add([]byte("BenchmarkF 1 1 ns/op\n"))
	f.Add([]byte("commit: a\ncommit: \nBenchmarkF 1 1 ns/op\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseFile("fuzz.txt", data, "")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of more than one line: %q", err)
			}
			return
		}
		for _, x := range r.Results {
			if x.Commit == "" || len(x.Values) == 0 {
				t.Errorf("result %+v: no commit or no samples", x)
			}
			for _, v := range x.Values {
				if !finite(v) {
					t.Errorf("result %+v: a sample that is not finite", x)
				}
			}
		}
	})
}
