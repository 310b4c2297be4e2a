package selftest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
)

// TestRun runs one trial of a large slowdown: both methods must give a
// verdict, perfgate's a regression, and the table must say what each found.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and benchmarks throwaway repositories")
	}
	opts := DefaultOptions
	opts.Slowdowns = []float64{1}
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
	var rows []string
	for _, v := range vs {
		if v.Seconds <= 0 || v.Slowdown != 1 {
			t.Errorf("%+v: no time, or the wrong case", v)
		}
		switch v.Method {
		case Perfgate:
			// Twice as slow, over 12 paired rounds, is far beyond the
			// noise of a loaded 2-core machine.
			if !v.Regression || v.Outcome != analyze.Regression || v.Rounds != 12 {
				t.Errorf("%+v, want a regression after 12 rounds", v)
			}
		case Plain:
			// Not asserted to catch it: with the tests of other
			// packages running, one burst of load on one side's single
			// process can hide even this (the README's table measures
			// how often).
			if v.Outcome == analyze.Error || v.Rounds != opts.Count {
				t.Errorf("%+v, want a verdict of %d runs a side", v, opts.Count)
			}
		}
		what := "0 of 1 (caught)"
		if v.Regression {
			what = "1 of 1 (caught)"
		}
		rows = append(rows, regexp.QuoteMeta(v.Method)+" .*"+regexp.QuoteMeta(what))
	}
	var buf bytes.Buffer
	if err := Table(&buf, Summarize(vs)); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if !regexp.MustCompile("100% +" + row).MatchString(buf.String()) {
			t.Errorf("table lacks a row %q:\n%s", row, buf.String())
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

// TestRunWritesOnlyIntoANewDirectory: a directory that holds anything is
// refused, and what it holds stays.
func TestRunWritesOnlyIntoANewDirectory(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "repo-0.05")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions
	opts.Slowdowns, opts.Trials, opts.Dir = []float64{0.05}, 1, dir
	if _, err := Run(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Run in a directory with a file: %v, want an error saying it is not empty", err)
	}
	if data, err := os.ReadFile(mine); err != nil || string(data) != "mine" {
		t.Errorf("the file already there: %q, %v; want it untouched", data, err)
	}
}
