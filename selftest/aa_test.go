package selftest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/rundir"
)

// TestJudgeAA checks what counts as decided: a false alarm never does; a
// result that decides left inconclusive does not; a load scenario's
// resource figures left inconclusive do.
func TestJudgeAA(t *testing.T) {
	const cart = "BenchmarkLoad/scenario=checkout/service=cart"
	for _, tt := range []struct {
		name    string
		results []analyze.Result
		decided bool
		why     []string
	}{
		{"all clear", []analyze.Result{{Benchmark: cart, Unit: "p99-sec", Status: analyze.StatusUnchanged}}, true, nil},
		{"resources open", []analyze.Result{{Benchmark: cart, Unit: "cpu-sec/op", Status: analyze.StatusInconclusive}}, true, nil},
		{"p99 open", []analyze.Result{{Benchmark: cart, Unit: "p99-sec", Status: analyze.StatusInconclusive}}, false, []string{cart + " p99-sec"}},
		{"capacity too few", []analyze.Result{{Benchmark: cart, Unit: "max-req/s", Status: analyze.StatusTooFewSamples}}, false, []string{cart + " max-req/s"}},
		{"benchmark open", []analyze.Result{{Benchmark: "BenchmarkWork", Unit: "sec/op", Status: analyze.StatusInconclusive}}, false, []string{"BenchmarkWork sec/op"}},
		{"false alarm", []analyze.Result{{Benchmark: cart, Unit: "sec/op", Status: analyze.StatusRegression, Regression: true}}, false, []string{cart + " sec/op"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := judgeAA(&analyze.Verdict{Results: tt.results}, &rundir.Info{})
			if a.Decided != tt.decided || !slices.Equal(append(a.FalseAlarms, a.Undecided...), tt.why) {
				t.Errorf("judged %+v, want decided %v because of %v", a, tt.decided, tt.why)
			}
		})
	}
}

// TestAA runs two A/A trials of a benchmark repository's configuration:
// both sides are its base, each trial gives a verdict, and the table
// counts them.
func TestAA(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and benchmarks a throwaway repository")
	}
	dir, err := makeRepo(context.Background(), filepath.Join(t.TempDir(), "repo"), 0)
	if err != nil {
		t.Fatal(err)
	}
	// The working tree, uncommitted, is three times as slow: an A/A run
	// that measured it as the head would call a regression.
	if err := os.WriteFile(filepath.Join(dir, "work.go"), []byte(workCode(3*baseRounds)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default
	cfg.Bench.Packages = []string{"./..."}
	cfg.Bench.Benchtime = "20ms"
	cfg.Bench.Rounds, cfg.Bench.MinRounds = 6, 0
	cfg.Bench.Profile = false
	cfg.GoBench = true
	cfg.Thresholds = config.DefaultThresholds()
	cfg.Thresholds.Units["sec/op"] = 0.5 // wide: noise must not show, the working tree would
	var seen int
	vs, err := AA(context.Background(), AAOptions{Config: &cfg, Dir: dir, Trials: 2, Out: filepath.Join(t.TempDir(), "runs"),
		Progress: func(AAVerdict) { seen++ }})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || seen != 2 {
		t.Fatalf("%d verdicts (%d reported), want 2", len(vs), seen)
	}
	for _, v := range vs {
		if len(v.FalseAlarms) > 0 || v.Outcome == analyze.Regression || v.Rounds != 6 {
			t.Errorf("%+v: want both sides the base, 6 rounds each", v)
		}
	}
	var b strings.Builder
	if err := AATable(&b, vs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "of 2") || !strings.Contains(b.String(), "0 with a false alarm") {
		t.Errorf("table:\n%s", b.String())
	}
}
