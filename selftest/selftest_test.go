package selftest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
)

// TestRun runs one trial of a large slowdown: both methods must give a
// verdict, and the table must say what each found.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and benchmarks throwaway repositories")
	}
	opts := DefaultOptions
	opts.Slowdowns = []float64{0.5}
	opts.Trials = 1
	opts.Benchtime, opts.PlainBenchtime = "20ms", "20ms"
	opts.Rounds, opts.MinRounds = 12, 0
	opts.Threshold = 0.10
	opts.Dir = t.TempDir()
	var seen []string
	opts.Progress = func(v Verdict) { seen = append(seen, v.Method) }
	vs, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || len(seen) != 2 {
		t.Fatalf("%d verdicts (%d reported), want one per method", len(vs), len(seen))
	}
	for _, v := range vs {
		// 50% slower is far beyond any noise of a quiet or loaded
		// 2-core machine.
		if !v.Regression || v.Outcome != analyze.Regression || v.Seconds <= 0 {
			t.Errorf("%+v, want a regression", v)
		}
	}
	var buf bytes.Buffer
	if err := Table(&buf, Summarize(vs)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"50%", Perfgate, Plain, "1 of 1 (caught)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestSummarize(t *testing.T) {
	cells := Summarize([]Verdict{
		{Method: Perfgate, Slowdown: 0, Outcome: analyze.Pass, Seconds: 2, Rounds: 8},
		{Method: Perfgate, Slowdown: 0, Outcome: analyze.Regression, Regression: true, Seconds: 4, Rounds: 12},
		{Method: Plain, Slowdown: 0.1, Outcome: analyze.Inconclusive, Seconds: 3, Rounds: 10},
	})
	if len(cells) != 2 {
		t.Fatalf("%d cells, want 2", len(cells))
	}
	if c := cells[0]; c.Method != Perfgate || c.Trials != 2 || c.Regressions != 1 || c.Seconds != 3 || c.Rounds != 10 {
		t.Errorf("perfgate at 0%%: %+v", c)
	}
	if c := cells[1]; c.Inconclusive != 1 || c.Slowdown != 0.1 {
		t.Errorf("plain at 10%%: %+v", c)
	}
}
