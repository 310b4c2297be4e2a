package analyze

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lines returns one benchmark result line per value, as go test -count
// prints them: "BenchmarkName 1 value unit".
func lines(name, unit string, values ...float64) string {
	var b strings.Builder
	for _, v := range values {
		fmt.Fprintf(&b, "Benchmark%s \t 1\t %v %s\n", name, v, unit)
	}
	return b.String()
}

// series returns n values start, start+step, ...
func series(start, step float64, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = start + float64(i)*step
	}
	return v
}

// repeat returns n copies of x.
func repeat(x float64, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = x
	}
	return v
}

// read parses text as one side's results, failing the test on error.
func read(t testing.TB, label, text string) *Results {
	t.Helper()
	rs, err := ReadResults(strings.NewReader(text), label+".txt", label)
	if err != nil {
		t.Fatalf("ReadResults(%s): %v", label, err)
	}
	return rs
}

// readFile reads testdata/name, labelled label.
func readFile(t testing.TB, name, label string) *Results {
	t.Helper()
	path := filepath.Join("testdata", name)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := ReadResults(f, path, label)
	if err != nil {
		t.Fatalf("ReadResults(%s): %v", path, err)
	}
	return rs
}

// compare compares two inline texts with opts.
func compare(t testing.TB, base, head string, opts Options) *Verdict {
	t.Helper()
	v, err := Compare(read(t, "base", base), read(t, "head", head), opts)
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	return v
}

// find returns the result of benchmark (full name, with "Benchmark") in
// unit, failing the test when there is not exactly one.
func find(t testing.TB, v *Verdict, benchmark, unit string) Result {
	t.Helper()
	var found []Result
	for _, r := range v.Results {
		if r.Benchmark == benchmark && r.Unit == unit {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d results for %s %s, want 1; results: %s", len(found), benchmark, unit, describe(v))
	}
	return found[0]
}

// describe lists a verdict's results on one line each, for failure messages.
func describe(v *Verdict) string {
	var b strings.Builder
	for _, r := range v.Results {
		fmt.Fprintf(&b, "\n\t%s %s %v: status %s delta %v p %v", r.Benchmark, r.Unit, r.Config, r.Status, float64(r.Delta), r.P)
	}
	return b.String()
}
