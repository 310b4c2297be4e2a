// Package selftest measures the gate itself: how often it catches a real
// slowdown and how often it fails a change that changed nothing, and what
// each verdict costs in machine time, beside the workflow teams use today
// (go test -count=10 on base, then on head, then benchstat with a
// threshold), on the same cases and the same machine.
//
// The steps of Run:
//
//  1. For each slowdown, make a throwaway repository whose head commit
//     makes BenchmarkWork slower by that fraction (more rounds of the same
//     hashing, so the slowdown is exact), and a worktree of its base for
//     the plain workflow.
//  2. Run the trials: for each trial, for each slowdown in a shuffled
//     order, one verdict of perfgate (gate.Run, paired and adaptive) and
//     one of the plain workflow, in alternating order, so that both meet
//     the same machine; optionally under a competing CPU load that comes
//     and goes.
//  3. Count, per slowdown and method, the regression verdicts (detections,
//     or false alarms at 0%), the inconclusive ones, and the wall time.
package selftest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/internal/proc"
	"github.com/perfgate/perfgate/rundir"
)

// Options configure Run.
type Options struct {
	// Slowdowns are the head's slowdowns, as fractions (0.05 is 5%).
	Slowdowns []float64
	// Trials is the number of verdicts per slowdown and method.
	Trials int
	// Load is the number of goroutines that compete for the CPU, each
	// busy about half the time in bursts of 50-500 ms.
	Load int
	// Benchtime, Rounds and MinRounds are perfgate's -benchtime, budget
	// of rounds and first look.
	Benchtime         string
	Rounds, MinRounds int
	// PlainBenchtime and Count are the plain workflow's -benchtime and
	// -count.
	PlainBenchtime string
	Count          int
	// Threshold is the sec/op threshold of both methods.
	Threshold float64
	// Dir holds the throwaway repositories and runs.
	Dir string
	// Progress, if set, is told of each verdict.
	Progress func(Verdict)
}

// DefaultOptions are the slowdowns and settings of the README's table.
// perfgate runs with its own defaults; the plain workflow measures 100 ms
// per -count, ten times a side, which takes about as long.
var DefaultOptions = Options{
	Slowdowns:      []float64{0, 0.02, 0.05, 0.10, 0.20},
	Trials:         20,
	Benchtime:      config.Default.Bench.Benchtime,
	Rounds:         config.Default.Bench.Rounds,
	MinRounds:      config.Default.Bench.MinRounds,
	PlainBenchtime: "100ms",
	Count:          10,
	Threshold:      0.03,
}

// Method names.
const (
	Perfgate = "perfgate"
	Plain    = "count=10+benchstat"
)

// Verdict is one verdict of one method on one case.
type Verdict struct {
	Method   string
	Slowdown float64
	Trial    int
	Outcome  analyze.Outcome
	// Regression says the benchmark's sec/op was called a regression.
	Regression bool
	Seconds    float64
	// Rounds is the number of rounds (perfgate) or -count (plain) per side.
	Rounds int
}

// Cell sums up the verdicts of one method on one slowdown.
type Cell struct {
	Method       string
	Slowdown     float64
	Trials       int
	Regressions  int
	Inconclusive int
	Seconds      float64 // mean wall time per verdict
	Rounds       float64 // mean rounds per side
}

// Run runs the trials and returns every verdict.
func Run(ctx context.Context, opts Options) ([]Verdict, error) {
	if err := rundir.MkdirEmpty(opts.Dir); err != nil {
		return nil, fmt.Errorf("selftest's directory: %w", err)
	}
	repos := make(map[float64]string)
	for _, s := range opts.Slowdowns {
		dir, err := makeRepo(ctx, filepath.Join(opts.Dir, fmt.Sprintf("repo-%g", s)), s)
		if err != nil {
			return nil, err
		}
		repos[s] = dir
	}
	if opts.Load > 0 {
		stop := compete(opts.Load)
		defer stop()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var verdicts []Verdict
	for trial := 1; trial <= opts.Trials; trial++ {
		order := slices.Clone(opts.Slowdowns)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, s := range order {
			methods := []func(context.Context, Options, string, float64, int) (Verdict, error){runPerfgate, runPlain}
			if trial%2 == 0 {
				slices.Reverse(methods)
			}
			for _, m := range methods {
				v, err := m(ctx, opts, repos[s], s, trial)
				if err != nil {
					return verdicts, err
				}
				verdicts = append(verdicts, v)
				if opts.Progress != nil {
					opts.Progress(v)
				}
			}
		}
	}
	return verdicts, nil
}

// workCode is the code under benchmark: rounds of SHA-256, the head's more.
func workCode(rounds int) string {
	return fmt.Sprintf(`package work

import "crypto/sha256"

// Rounds is how much work Work does.
const Rounds = %d

// Work hashes its own output Rounds times.
func Work() [32]byte {
	var h [32]byte
	for range Rounds {
		h = sha256.Sum256(h[:])
	}
	return h
}
`, rounds)
}

const workTest = `package work

import "testing"

var sink [32]byte

func BenchmarkWork(b *testing.B) {
	for b.Loop() {
		sink = Work()
	}
}
`

// baseRounds makes a 2% slowdown a whole number of extra rounds.
const baseRounds = 500

// makeRepo makes the repository of one slowdown at dir: a base commit and
// a head commit with (1+slowdown) times the work, and a worktree of the
// base at dir-base for the plain workflow.
func makeRepo(ctx context.Context, dir string, slowdown float64) (string, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	files := map[string]string{
		"go.mod":       "module example.com/work\n\ngo 1.26\n",
		"work.go":      workCode(baseRounds),
		"work_test.go": workTest,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	git := func(args ...string) error {
		cmd := proc.Command(ctx, "git", append([]string{"-c", "user.name=selftest", "-c", "user.email=selftest@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	head := workCode(int(float64(baseRounds)*(1+slowdown) + 0.5))
	for _, step := range [][]string{
		{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-qm", "base"},
	} {
		if err := git(step...); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "work.go"), []byte(head), 0o644); err != nil {
		return "", err
	}
	for _, step := range [][]string{
		{"commit", "-q", "--allow-empty", "-am", "head"}, {"worktree", "add", "-q", "--detach", dir + "-base", "HEAD~1"},
	} {
		if err := git(step...); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// runPerfgate is one verdict of perfgate on the repository at dir.
func runPerfgate(ctx context.Context, opts Options, dir string, slowdown float64, trial int) (Verdict, error) {
	cfg := config.Default
	cfg.Bench.Packages = []string{"./..."}
	cfg.Bench.Benchtime = opts.Benchtime
	cfg.Bench.Rounds, cfg.Bench.MinRounds = opts.Rounds, opts.MinRounds
	cfg.Bench.Profile = false
	cfg.GoBench = true
	cfg.Thresholds = config.DefaultThresholds()
	cfg.Thresholds.Units["sec/op"] = opts.Threshold
	out, err := os.MkdirTemp(opts.Dir, "run-")
	if err != nil {
		return Verdict{}, err
	}
	defer os.RemoveAll(out)
	start := time.Now()
	res, err := gate.Run(ctx, gate.Options{Config: &cfg, Dir: dir, Base: "HEAD~1", Out: out})
	if err != nil {
		return Verdict{}, fmt.Errorf("perfgate on the %g%% case: %w", 100*slowdown, err)
	}
	v := Verdict{Method: Perfgate, Slowdown: slowdown, Trial: trial, Outcome: res.Verdict.Verdict,
		Seconds: time.Since(start).Seconds(), Rounds: len(res.Info.Measured) / 2}
	v.Regression = regressed(res.Verdict)
	return v, nil
}

// runPlain is one verdict of the plain workflow: go test -count on the
// base worktree, then on the head, then a benchstat comparison with the
// threshold.
func runPlain(ctx context.Context, opts Options, dir string, slowdown float64, trial int) (Verdict, error) {
	start := time.Now()
	var sides [2]*analyze.Results
	for i, tree := range []string{dir + "-base", dir} {
		cmd := proc.Command(ctx, "go", "test", "-run", "^$", "-bench", ".", "-benchtime", opts.PlainBenchtime,
			"-count", fmt.Sprint(opts.Count), "./...")
		cmd.Dir = tree
		out, err := cmd.Output()
		if err != nil {
			return Verdict{}, fmt.Errorf("go test in %s: %w", tree, err)
		}
		if sides[i], err = analyze.ReadResults(strings.NewReader(string(out)), tree, []string{"old", "new"}[i]); err != nil {
			return Verdict{}, err
		}
	}
	cmpOpts := analyze.DefaultOptions
	cmpOpts.Thresholds = config.DefaultThresholds()
	cmpOpts.Thresholds.Units["sec/op"] = opts.Threshold
	res, err := analyze.Compare(sides[0], sides[1], cmpOpts)
	if err != nil {
		return Verdict{}, err
	}
	return Verdict{Method: Plain, Slowdown: slowdown, Trial: trial, Outcome: res.Verdict,
		Regression: regressed(res), Seconds: time.Since(start).Seconds(), Rounds: opts.Count}, nil
}

// regressed reports whether v calls BenchmarkWork's sec/op a regression.
func regressed(v *analyze.Verdict) bool {
	for _, r := range v.Results {
		if strings.HasPrefix(r.Benchmark, "BenchmarkWork") && r.Unit == "sec/op" && r.Regression {
			return true
		}
	}
	return false
}

// compete starts n goroutines that keep a CPU busy about half the time, in
// bursts of 50-500 ms, and returns the function that stops them.
func compete(n int) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			runtime.LockOSThread()
			rng := rand.New(rand.NewPCG(seed, 99))
			x := 1.0
			for {
				busy := time.Duration(50+rng.IntN(450)) * time.Millisecond
				for end := time.Now().Add(busy); time.Now().Before(end); {
					for range 10000 {
						x = x*1.0000001 + 1e-9
					}
				}
				select {
				case <-done:
					return
				case <-time.After(time.Duration(50+rng.IntN(450)) * time.Millisecond):
				}
			}
		}(uint64(i))
	}
	return func() { close(done); wg.Wait() }
}

// Summarize sums the verdicts up per method and slowdown.
func Summarize(vs []Verdict) []Cell {
	type key struct {
		m string
		s float64
	}
	cells := make(map[key]*Cell)
	var order []key
	for _, v := range vs {
		k := key{v.Method, v.Slowdown}
		c := cells[k]
		if c == nil {
			c = &Cell{Method: v.Method, Slowdown: v.Slowdown}
			cells[k] = c
			order = append(order, k)
		}
		c.Trials++
		if v.Regression {
			c.Regressions++
		}
		if v.Outcome == analyze.Inconclusive {
			c.Inconclusive++
		}
		c.Seconds += v.Seconds
		c.Rounds += float64(v.Rounds)
	}
	slices.SortFunc(order, func(a, b key) int {
		if a.s != b.s {
			if a.s < b.s {
				return -1
			}
			return 1
		}
		return strings.Compare(a.m, b.m)
	})
	out := make([]Cell, len(order))
	for i, k := range order {
		c := *cells[k]
		c.Seconds /= float64(c.Trials)
		c.Rounds /= float64(c.Trials)
		out[i] = c
	}
	return out
}

// Table writes the cells as the README's table: per slowdown and method,
// the regression verdicts (false alarms at 0%), the inconclusive ones, and
// the machine time per verdict.
func Table(w io.Writer, cells []Cell) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "slowdown\tmethod\tregression verdicts\tinconclusive\trounds per side\tseconds per verdict")
	for _, c := range cells {
		what := "caught"
		if c.Slowdown == 0 {
			what = "false alarms"
		}
		fmt.Fprintf(tw, "%g%%\t%s\t%d of %d (%s)\t%d\t%.1f\t%.1f\n", 100*c.Slowdown, c.Method, c.Regressions, c.Trials, what,
			c.Inconclusive, c.Rounds, c.Seconds)
	}
	return tw.Flush()
}

// WriteVerdicts writes every verdict as JSON to path, for a later look at
// the trials one by one.
func WriteVerdicts(path string, vs []Verdict) error {
	data, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the verdicts: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the verdicts: %w", err)
	}
	return nil
}
