package action

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
)

// evilName is a benchmark name a pull request could declare (sub-benchmark
// names are free text) to forge workflow commands from an annotation.
const evilName = "BenchmarkEvil/name=%0A%\n::warning::forged\r::error file=x,line=1::forged%2C::-8"

func regression(name string, delta, threshold float64) analyze.Result {
	return analyze.Result{
		Benchmark: name, Unit: "sec/op", Config: analyze.Config{{Key: "pkg", Value: "example.com/p"}},
		Base:  &analyze.Summary{Center: 1e-6, N: 10},
		Head:  &analyze.Summary{Center: 1e-6 * (1 + delta), N: 10},
		Delta: analyze.Float(delta), P: 0.0002, Threshold: threshold,
		Better: analyze.LowerBetter, Regression: true, Status: analyze.StatusRegression,
	}
}

func TestAnnotate(t *testing.T) {
	v := &analyze.Verdict{Verdict: analyze.Regression}
	// 13 regressed benchmarks of increasing size; BenchmarkR05 has two
	// regressed units (one annotation); other statuses are not annotated.
	for i := range 13 {
		v.Results = append(v.Results, regression(fmt.Sprintf("BenchmarkR%02d/size=10-8", i), 0.10+float64(i)*0.05, 0.05))
	}
	allocs := regression("BenchmarkR05/size=10-8", 0.2, 0)
	allocs.Unit = "allocs/op"
	v.Results = append(v.Results, allocs)
	evil := regression(evilName, 5, 0.05)
	evil.Hot = []analyze.Hot{{Function: "p.f%0A\n::error::hot", Share: 0.8}}
	v.Results = append(v.Results, evil)
	zero := regression("BenchmarkFromZero-8", math.NaN(), 0.05) // base 0: the worst
	v.Results = append(v.Results, zero)
	v.Results = append(v.Results, analyze.Result{Benchmark: "BenchmarkFine-8", Unit: "sec/op", Status: analyze.StatusImprovement, Delta: -0.5})
	v.Results = append(v.Results, analyze.Result{Benchmark: "BenchmarkSame-8", Unit: "sec/op", Status: analyze.StatusWithinThreshold, Delta: 0.01})

	files := map[string]string{
		evilName:              "p/evil,name:x_test.go",
		"BenchmarkFromZero-8": "p/zero_test.go",
	}
	locate := func(b string) (string, int, bool) {
		if f, ok := files[b]; ok {
			return f, 42, true
		}
		if strings.HasPrefix(b, "BenchmarkR1") { // R10, R11, R12
			return "p/r_test.go", 7, true
		}
		return "", 0, false
	}
	r := newRunner(t, "pull_request", "pull_request_opened.json")
	Annotate(r.action(), v, locate)

	lines := strings.Split(strings.TrimSuffix(r.out.String(), "\n"), "\n")
	if len(lines) != MaxAnnotations+1 {
		t.Fatalf("Annotate printed %d lines, want %d:\n%s", len(lines), MaxAnnotations+1, r.out.String())
	}
	cmds := runnerCommands(r.out.String())
	if len(cmds) != MaxAnnotations+1 {
		t.Fatalf("the runner reads %d commands, want %d: %+v", len(cmds), MaxAnnotations+1, cmds)
	}
	// Worst first: from zero, the evil one (+500%), then R12 down to R05.
	wantOrder := []string{"BenchmarkFromZero-8", evilName}
	for i := 12; len(wantOrder) < MaxAnnotations; i-- {
		wantOrder = append(wantOrder, fmt.Sprintf("BenchmarkR%02d/size=10-8", i))
	}
	for i, c := range cmds[:MaxAnnotations] {
		if c.Name != "error" {
			t.Fatalf("command %d is %q, want error", i, c.Name)
		}
		if !strings.HasPrefix(c.Data, wantOrder[i]+" regressed:") {
			t.Errorf("annotation %d: %q, want it about %q", i, c.Data, wantOrder[i])
		}
		if c.Props["title"] != "perfgate: performance regression" {
			t.Errorf("annotation %d: title %q", i, c.Props["title"])
		}
		file, line, located := locate(wantOrder[i])
		if located && (c.Props["file"] != file || c.Props["line"] != fmt.Sprint(line)) {
			t.Errorf("annotation %d: file %q line %q, want %s:%d", i, c.Props["file"], c.Props["line"], file, line)
		}
		if !located && (c.Props["file"] != "" || c.Props["line"] != "") {
			t.Errorf("annotation %d: file %q line %q for a benchmark not located", i, c.Props["file"], c.Props["line"])
		}
	}
	if evilAnn := cmds[1].Data; !strings.Contains(evilAnn, "mostly in p.f%0A\n::error::hot") {
		t.Errorf("the evil annotation's text did not survive escaping: %q", evilAnn)
	}
	if r5 := cmds[MaxAnnotations-1].Data; !strings.Contains(r5, "sec/op") || !strings.Contains(r5, "allocs/op") {
		t.Errorf("BenchmarkR05's annotation lacks one of its units: %q", r5)
	}
	notice := cmds[MaxAnnotations]
	if notice.Name != "notice" || !strings.Contains(notice.Data, "5 more regressed benchmarks") {
		t.Errorf("last command %+v, want a notice of 5 more", notice)
	}
}

func TestAnnotateFew(t *testing.T) {
	r := newRunner(t, "pull_request", "pull_request_opened.json")
	Annotate(r.action(), &analyze.Verdict{Results: []analyze.Result{regression("BenchmarkA-8", 0.3, 0.05)}}, nil)
	cmds := runnerCommands(r.out.String())
	if len(cmds) != 1 || cmds[0].Name != "error" || cmds[0].Props["file"] != "" {
		t.Errorf("commands %+v, want one error annotation without a file", cmds)
	}
	r = newRunner(t, "pull_request", "pull_request_opened.json")
	Annotate(r.action(), &analyze.Verdict{Verdict: analyze.Pass}, nil)
	Annotate(r.action(), nil, nil)
	if r.out.Len() != 0 {
		t.Errorf("a verdict without regressions printed %q", r.out.String())
	}
}

func TestLocateBenchmark(t *testing.T) {
	root := t.TempDir()
	write := func(rel, src string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/a_test.go", "package a\n\n// BenchmarkTop is mentioned here: func BenchmarkTop(b *testing.B) {}\nvar s = \"func BenchmarkTop(\"\n")
	write("a/b_test.go", "package a\n\nimport \"testing\"\n\ntype T struct{}\n\nfunc (T) BenchmarkTop(b *testing.B) {}\n\nfunc BenchmarkTop(b *testing.B) {\n\tb.Run(\"x\", func(b *testing.B) {})\n}\n")
	write("a/c.go", "package a\n\nfunc BenchmarkOther() {}\n")
	write("b/z_test.go", "package b\n\nfunc BenchmarkOther(b *testing.B) {}\n\nfunc broken( {\n")
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "o_test.go"), []byte("package o\n\nfunc BenchmarkOutside(b *testing.B) {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		dirs      []string
		benchmark string
		file      string
		line      int
	}{
		{[]string{"a"}, "BenchmarkTop/x-8", "a/b_test.go", 9},
		{[]string{"a"}, "BenchmarkTop-8", "a/b_test.go", 9},
		{[]string{"a"}, "BenchmarkTop", "a/b_test.go", 9},
		{[]string{filepath.Join(root, "a"), "b"}, "BenchmarkOther/n=1", "b/z_test.go", 3},
		{[]string{"a"}, "BenchmarkOther", "", 0}, // only in a non-test file
		{[]string{"a", "b"}, "BenchmarkMissing-4", "", 0},
		{[]string{outside}, "BenchmarkOutside", "", 0},
		{[]string{"a"}, evilName, "", 0},
		{[]string{"a"}, "TestTop", "", 0},
	} {
		file, line, ok := LocateBenchmark(root, tt.dirs, tt.benchmark)
		if file != tt.file || line != tt.line || ok != (tt.file != "") {
			t.Errorf("LocateBenchmark(%q, %q) = %q, %d, %v; want %q, %d", tt.dirs, tt.benchmark, file, line, ok, tt.file, tt.line)
		}
	}
}

// TestAnnotateExplained: the function behind regressions that one
// explanation explains is said once in their benchmark's annotation,
// after the worst of them; a regression no explanation explains keeps its
// own.
func TestAnnotateExplained(t *testing.T) {
	cart := analyze.LoadName{Scenario: "checkout", Service: "cart"}.String()
	hot := []analyze.Hot{{Function: "net/http.(*persistConn).roundTrip", Service: "cart", Kind: "network", Share: 0.56}}
	v := &analyze.Verdict{Verdict: analyze.Regression}
	for i, unit := range []string{"sec/op", "p50-sec", "p90-sec", "p99-sec", "max-sec"} {
		r := regression(cart, 2+float64(i)/10, 0.1)
		r.Unit, r.Config, r.Hot = unit, nil, hot
		v.Results = append(v.Results, r)
	}
	cpu := regression(cart, 0.5, 0.1)
	cpu.Unit, cpu.Config = "cpu-sec/op", nil
	cpu.Hot = []analyze.Hot{{Function: "own.F", Share: 0.9}}
	v.Results = append(v.Results, cpu)
	v.Explanations = []analyze.Explanation{{
		Benchmark: analyze.LoadName{Scenario: "checkout"}.String(),
		Units:     []string{"sec/op", "p50-sec", "p90-sec", "p99-sec", "max-sec"},
		Hot:       hot,
	}}
	r := newRunner(t, "pull_request", "pull_request_opened.json")
	Annotate(r.action(), v, nil)
	cmds := runnerCommands(r.out.String())
	if len(cmds) != 1 || cmds[0].Name != "error" {
		t.Fatalf("commands %+v, want one error annotation", cmds)
	}
	msg := cmds[0].Data
	if n := strings.Count(msg, "mostly in net/http.(*persistConn).roundTrip in cart (56% of the growth)"); n != 1 {
		t.Errorf("the explanation's function is said %d times, want once: %q", n, msg)
	}
	if !strings.Contains(msg, " max-sec +240.00%") || !strings.Contains(msg, "threshold 10%, mostly in net/http") {
		t.Errorf("the function is not said after the worst regression: %q", msg)
	}
	if !strings.Contains(msg, "cpu-sec/op +50.00% (1e-06 → 1.5e-06), p=0.0002, threshold 10%, mostly in own.F (90% of the growth)") {
		t.Errorf("the result no explanation explains lost its own function: %q", msg)
	}
	for _, unit := range []string{"sec/op", "p50-sec", "p90-sec", "p99-sec", "max-sec", "cpu-sec/op"} {
		if !strings.Contains(msg, " "+unit+" +") {
			t.Errorf("the annotation lacks %s: %q", unit, msg)
		}
	}
}
