package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
)

// capacityBinary builds perfgate without the race detector, under which
// the load driver itself would be what limits the rate, and returns its
// path.
func capacityBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "perfgate")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building perfgate: %v\n%s", err, out)
	}
	return bin
}

// runBinary runs the perfgate binary with args from the repository's root
// and returns its exit code and output.
func runBinary(t *testing.T, bin string, args ...string) (exitCode, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	t.Logf("perfgate %s:\n%s", strings.Join(args, " "), out)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exitCode(exit.ExitCode()), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return exitPass, string(out)
}

// capacityConfig returns testdata/shop/capacity.yml with its steps made
// shorter for a test and the replacements in edits applied.
func capacityConfig(t *testing.T, edits ...string) string {
	t.Helper()
	data, err := os.ReadFile("../../testdata/shop/capacity.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(data)
	edits = append([]string{"duration: 1500ms", "duration: 600ms", "warmup: 1s", "warmup: 500ms\n    profile_time: 2s",
		"min_rounds: 6", "min_rounds: 0", "rounds: 9", "rounds: 5"}, edits...)
	for i := 0; i < len(edits); i += 2 {
		if !strings.Contains(cfg, edits[i]) {
			t.Fatalf("testdata/shop/capacity.yml no longer holds %q", edits[i])
		}
		cfg = strings.Replace(cfg, edits[i], edits[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "capacity.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestShopCapacity runs the shop's capacity scenario: the head, without
// its price cache, must carry clearly less within the objective, named as
// cart's checkout max-req/s regressed (higher is better), explained by
// pricing's SHA-256, with both sides' latency curves in the verdict and
// the HTML report.
func TestShopCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("a capacity search of the shop takes about a minute")
	}
	bin := capacityBinary(t)
	out := filepath.Join(t.TempDir(), "run")
	verdict := filepath.Join(t.TempDir(), "verdict.json")
	code, stdout := runBinary(t, bin, "run", "--config", capacityConfig(t), "--out", out, "--json", verdict)
	if code != exitRegression {
		t.Fatalf("exit %d, want %d", code, exitRegression)
	}
	if !strings.Contains(stdout, "regressed: BenchmarkLoad/scenario=checkout/service=cart max-req/s") {
		t.Error("the summary does not name cart's checkout max-req/s")
	}
	v := mustVerdict(t, verdict)
	r := findResult(v, "BenchmarkLoad/scenario=checkout/service=cart", "max-req/s")
	if r == nil || !r.Regression || r.Better != analyze.HigherBetter || float64(r.Delta) > -0.3 {
		t.Fatalf("cart checkout max-req/s = %+v, want a regression of more than 30%%, higher is better", r)
	}
	if !slices.ContainsFunc(r.Hot, func(h analyze.Hot) bool { return strings.Contains(h.Function, "sha256") && h.Service == "pricing" }) {
		t.Errorf("hot functions %+v do not name pricing's SHA-256", r.Hot)
	}
	if len(v.Curves) != 2 || v.Curves[0].Side != "base" || v.Curves[1].Side != "head" || len(v.Curves[1].Points) < 5 {
		t.Errorf("curves %+v, want one per side with every step", v.Curves)
	}
	// Every round of each side gave an answer, and the sides' medians
	// are far apart. How closely a side's rounds agree is measured on a
	// quiet machine (README): here the other packages' tests share the
	// CPUs, and a round that meets them can be off by half.
	info := readInfo(t, out)
	caps := map[string][]float64{}
	for _, lr := range info.Load {
		if lr.Capacity != nil && lr.Capacity.Capacity > 0 {
			caps[lr.Side] = append(caps[lr.Side], lr.Capacity.Capacity)
		}
	}
	if len(caps["base"]) != 5 || len(caps["head"]) != 5 || 1.5*median(caps["head"]) > median(caps["base"]) {
		t.Errorf("capacities %v: want 5 rounds a side, the head's median under two thirds of the base's", caps)
	}
	html := filepath.Join(t.TempDir(), "report.html")
	if code, _ := runBinary(t, bin, "report", out, "--format", "html", "-o", html); code != exitPass {
		t.Fatalf("report: exit %d", code)
	}
	if page, _ := os.ReadFile(html); !strings.Contains(string(page), "p99 latency against the offered rate") {
		t.Error("the HTML report has no latency curve")
	}
	assertNoProcesses(t, out)
}

// TestShopCapacityBounds checks the searches that end at a bound: an
// objective no side meets even at min_rate fails the run (exit 2, rounds
// kept, nothing left running); one met at max_rate gives "at least" that
// rate on both sides, a note, and no invented difference.
func TestShopCapacityBounds(t *testing.T) {
	bin := capacityBinary(t)
	for _, tt := range []struct {
		name  string
		edits []string
		code  exitCode
		wants []string
	}{
		{
			name:  "never met",
			edits: []string{"latency: 50ms", "latency: 100us", "min_rate: 50", "min_rate: 100"},
			code:  exitError,
			wants: []string{"checkout round 1: the base side never met the objective (p99 ≤ 100µs", "not met even at min_rate (100 req/s)"},
		},
		{
			name:  "met at max_rate",
			edits: []string{"max_rate: 20000", "max_rate: 150", "min_rate: 50", "min_rate: 100", "rounds: 5", "rounds: 2"},
			code:  exitPass,
			wants: []string{"capacity at least 150 req/s", "still met at max_rate (150 req/s)"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			code, output := runBinary(t, bin, "run", "--config", capacityConfig(t, tt.edits...), "--out", out)
			if code != tt.code {
				t.Fatalf("exit %d, want %d", code, tt.code)
			}
			for _, w := range tt.wants {
				if !strings.Contains(output, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "run.json")); err != nil {
				t.Errorf("run.json not kept: %v", err)
			}
			assertNoProcesses(t, out)
		})
	}
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
