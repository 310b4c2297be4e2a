package analyze

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/perf/benchfmt"
)

func TestReadResults(t *testing.T) {
	text := `goos: linux
goarch: amd64
pkg: example.com/p
Unit req/s better=higher
BenchmarkServe/conns=1-8   	    1000	   1000 ns/op	   5000 req/s	  64 B/op	   2 allocs/op
=== RUN   BenchmarkServe/conns=2
BenchmarkServe/conns=2-8
BenchmarkServe/conns=2-8   	    1000	   1100 ns/op	   4500.5 req/s
some log line the reader ignores
BenchmarkServe/conns=1-8   	    1000	   1010 ns/op	   4900 req/s	  64 B/op	   2 allocs/op
PASS
ok  	example.com/p	1.234s
`
	rs, err := ReadResults(strings.NewReader(text), "p.txt", "head")
	if err != nil {
		t.Fatal(err)
	}
	if rs.Label != "head" {
		t.Errorf("label %q", rs.Label)
	}
	if len(rs.Results) != 3 {
		t.Fatalf("%d results, want 3 (one per line of a -count run)", len(rs.Results))
	}
	r := rs.Results[1]
	if got := r.Name.String(); got != "Serve/conns=2-8" {
		t.Errorf("name %q", got)
	}
	if got, ok := r.Value("req/s"); !ok || got != 4500.5 {
		t.Errorf("req/s = %v, %v", got, ok)
	}
	if v := r.Values[0]; v.Unit != "sec/op" || v.OrigUnit != "ns/op" || v.OrigValue != 1100 {
		t.Errorf("first value %+v, want ns/op tidied to sec/op", v)
	}
	if got := r.GetConfig("pkg"); got != "example.com/p" {
		t.Errorf("pkg = %q", got)
	}
	if got := r.GetConfig(".file"); got != "head" {
		t.Errorf(".file = %q, want the label", got)
	}
	if line := func() int { _, l := r.Pos(); return l }(); line != 8 {
		t.Errorf("result read from line %d, want 8", line)
	}
	// Each result is a clone: the reader reuses its own.
	if rs.Results[0] == rs.Results[2] || rs.Results[0].Values[0].OrigValue != 1000 {
		t.Errorf("results share storage: %v", rs.Results[0].Values)
	}
	if got := rs.Units.GetBetter("req/s"); got != 1 {
		t.Errorf("req/s better = %d, want 1 from the metadata", got)
	}
}

func TestReadResultsFixtures(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    int
	}{
		{"old.txt", 20},
		{"new.txt", 20},
		{"crc-old.txt", 360},
		{"crc-new.txt", 360},
		{"server-base.txt", 54},
		{"server-head.txt", 53},
	} {
		rs := readFile(t, tt.name, "x")
		if len(rs.Results) != tt.n {
			t.Errorf("%s: %d results, want %d", tt.name, len(rs.Results), tt.n)
		}
	}
}

// TestReadResultsSyntaxErrors: a malformed line is an error naming the
// file and line, not a skipped line.
func TestReadResultsSyntaxErrors(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"BenchmarkX-8 100 12\n", "x.txt:1: missing units"},
		{"BenchmarkX-8 abc 1 ns/op\n", "x.txt:1: parsing iteration count: invalid syntax"},
		{"goos: linux\n\nBenchmarkX-8 100\n", "x.txt:3: missing measurements"},
		{"BenchmarkX-8 1 2 ns/op\nBenchmarkX-8 1 2 ns/op 3\n", "x.txt:2: missing units"},
		{"BenchmarkX-8 1 2 ns/op x y\n", "x.txt:1: parsing measurement: invalid syntax"},
		{"BenchmarkX-8 1 1e400 ns/op\n", "x.txt:1: parsing measurement: value out of range"},
		{"BenchmarkX-8 99999999999999999999 1 ns/op\n", "x.txt:1: parsing iteration count: value out of range"},
		{"Unit\n", "x.txt:1: missing unit"},
		{"Unit req/s higher\n", "x.txt:1: expected key=value"},
		{"Unit req/s better=higher\nUnit req/s better=lower\n", "x.txt:2: metadata better of unit req/s already set to higher"},
		// The error is the first malformed line even when good lines follow.
		{"BenchmarkA 1 1 ns/op\nBenchmarkB 1 x ns/op\nBenchmarkC 1 1 ns/op\n", "x.txt:2: parsing measurement: invalid syntax"},
	}
	for _, tt := range tests {
		rs, err := ReadResults(strings.NewReader(tt.text), "x.txt", "base")
		if err == nil {
			t.Errorf("%q: no error, %d results", tt.text, len(rs.Results))
			continue
		}
		if rs != nil {
			t.Errorf("%q: results with an error", tt.text)
		}
		if err.Error() != tt.want {
			t.Errorf("%q: error %q, want %q", tt.text, err, tt.want)
		}
		var se *benchfmt.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error is a %T, want a *benchfmt.SyntaxError", tt.text, err)
		} else if se.FileName != "x.txt" {
			t.Errorf("%q: error file %q", tt.text, se.FileName)
		}
	}
}

// TestReadResultsNotErrors: lines go test prints that are not results are
// not errors.
func TestReadResultsNotErrors(t *testing.T) {
	for _, text := range []string{
		"",
		"PASS\n",
		"BenchmarkX-8\n", // go test -v prints the name alone when a benchmark starts
		"Benchmark\n",
		"goos: linux\n",
		"key:\n",
		"--- FAIL: BenchmarkX\n",
		"Unit req/s better=higher\nUnit req/s better=higher\n", // repeated, same value
	} {
		rs, err := ReadResults(strings.NewReader(text), "x.txt", "base")
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if len(rs.Results) != 0 {
			t.Errorf("%q: %d results", text, len(rs.Results))
		}
	}
}

// TestReadResultsLongLine: a line longer than bufio.Scanner's 64KiB limit
// is an error, not a panic and not a silent stop.
func TestReadResultsLongLine(t *testing.T) {
	long := "BenchmarkX-8 1 " + strings.Repeat("1", bufio.MaxScanTokenSize) + " ns/op\n"
	for _, text := range []string{
		long,
		"goos: linux\n" + long + "BenchmarkY-8 1 1 ns/op\n",
		"BenchmarkY-8 1 1 ns/op\n# " + strings.Repeat("x", 1<<20),
	} {
		rs, err := ReadResults(strings.NewReader(text), "big.txt", "base")
		if err == nil {
			t.Errorf("line of %d bytes: no error, %d results", len(text), len(rs.Results))
			continue
		}
		if !errors.Is(err, bufio.ErrTooLong) {
			t.Errorf("error %q, want bufio.ErrTooLong", err)
		}
		if !strings.Contains(err.Error(), "big.txt") {
			t.Errorf("error %q does not name the file", err)
		}
	}
}

// TestReadResultsReadError: an I/O error is an error.
func TestReadResultsReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("BenchmarkX-8 1 1 ns/op\n"), iotest.ErrReader(boom))
	_, err := ReadResults(r, "x.txt", "base")
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
}
