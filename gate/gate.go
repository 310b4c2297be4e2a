// Package gate is perfgate's one job, end to end: it measures both sides
// as the configuration says (bench), compares them (analyze) and explains
// each regression with its hot functions, leaving everything in the run
// directory. It holds no logic of measuring or deciding of its own; it
// orders the stages:
//
//  1. Resolve the base: the configuration's, or the merge-base of HEAD with
//     the default branch.
//  2. Run the rounds (bench.Run). The go test benchmarks' rounds are looked
//     at after MinRounds rounds and then each time they have grown by half
//     (see Looks): the run stops as soon as no result is open (analyze's
//     paired, sequential comparison), and goes on to Rounds, the budget,
//     while one is.
//  3. Compare the sides round by round, at the final look.
//  4. Attach the hot functions of each regression, write the diffs, and
//     write verdict.json.
package gate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/report"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/config"
)

// Alpha is the gate's significance level: of each unit's results, over
// all the looks. Its tests are two-sided, so at most Alpha/2, 1%, of the
// results of unchanged code are called regressions whatever the number of
// benchmarks and looks; benchstat's 0.05 per comparison would allow 2.5%
// per look.
const Alpha = 0.02

// Options configure Run.
type Options struct {
	Config *config.Config
	// Dir is the directory perfgate runs in.
	Dir string
	// Base, when set, is the base side's git ref, whatever the
	// configuration says.
	Base string
	// Out is the run directory.
	Out string
	// Progress, if set, is called as the run advances.
	Progress func(bench.Progress)
	// Log, if set, is told what the gate chose by itself (the base).
	Log func(format string, args ...any)
}

// Result is what a run leaves: the verdict, what ran, and where.
type Result struct {
	Verdict *analyze.Verdict
	Info    *bench.Info
	Dir     string
}

// Looks returns the rounds at which the results of a budget of rounds
// rounds are looked at: minRounds, then each time the rounds have grown by
// half (rounded up) as long as the look after would still be within the
// budget, and rounds itself last. A minRounds of 0, or not below rounds, gives one look.
//
// The spacing is geometric because what a look can tell grows with the
// square root of the rounds: a look soon after the last tells little and
// costs as much of the significance level (each look tests at Alpha/looks)
// as one that tells much. With the defaults, 10 and 60, the looks are at
// 10, 15, 23, 35 and 60 rounds.
func Looks(minRounds, rounds int) []int {
	if minRounds <= 0 || minRounds >= rounds {
		return []int{rounds}
	}
	looks := []int{minRounds}
	for r := (3*minRounds + 1) / 2; 3*r <= 2*rounds; r = (3*r + 1) / 2 {
		looks = append(looks, r)
	}
	return append(looks, rounds)
}

// Run measures both sides, compares them and explains the regressions.
// On error, the finished rounds stay in the run directory.
func Run(ctx context.Context, opts Options) (*Result, error) {
	cfg := opts.Config
	base, head := cfg.Sides.Base, cfg.Sides.Head
	baseRef := base.Ref
	switch {
	case opts.Base != "":
		baseRef = opts.Base
	case baseRef == "":
		baseRef = cfg.Base
	}
	if baseRef == "" {
		root, err := bench.RepoRoot(ctx, opts.Dir)
		if err != nil {
			return nil, err
		}
		desc, commit, err := bench.DefaultBase(ctx, root)
		if err != nil {
			return nil, err
		}
		if opts.Log != nil {
			opts.Log("base is %s (%.12s)", desc, commit)
		}
		baseRef = commit
	}

	looks := []int{cfg.Bench.Rounds} // load scenarios run a fixed number of rounds
	if cfg.GoBench {
		looks = Looks(cfg.Bench.MinRounds, cfg.Bench.Rounds)
	}
	compareOpts := analyze.DefaultOptions
	compareOpts.Alpha = Alpha
	compareOpts.Thresholds = cfg.Thresholds
	compareOpts.Paired = true
	compareOpts.Looks = len(looks)
	out, err := filepath.Abs(opts.Out)
	if err != nil {
		return nil, err
	}
	isLook := make(map[int]bool)
	for _, l := range looks {
		isLook[l] = true
	}
	stop := func(round int) (bool, error) {
		if !isLook[round] {
			return false, nil
		}
		v, err := compare(out, compareOpts)
		if err != nil {
			return false, err
		}
		return clear(v), nil
	}

	info, err := bench.Run(ctx, bench.Options{
		Settings:  cfg.Bench,
		GoBench:   cfg.GoBench,
		Services:  cfg.Services,
		Scenarios: cfg.Load,
		Dir:       opts.Dir,
		Base:      bench.SideSpec{Ref: baseRef, Env: base.Env, Tags: base.Tags},
		Head:      head,
		Out:       out,
		Progress:  opts.Progress,
		Stop:      stop,
	})
	if err != nil {
		if info != nil && len(info.Measured)+len(info.Load) > 0 {
			return nil, fmt.Errorf("%w (finished rounds kept in %s)", err, out)
		}
		return nil, err
	}
	v, err := compare(out, compareOpts)
	if err != nil {
		return nil, err
	}
	v.Base = analyze.Side{Ref: baseRef, Commit: info.Sides[0].Commit, Dirty: info.Sides[0].Dirty}
	v.Head = analyze.Side{Ref: head.Ref, Commit: info.Sides[1].Commit, Dirty: info.Sides[1].Dirty}
	if v.Head.Ref == "" {
		v.Head.Ref = "working tree"
	}
	if info.StoppedAt > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("the benchmarks' answer was clear after %d of at most %d rounds", info.StoppedAt, cfg.Bench.Rounds))
	}
	v.Notes = append(v.Notes, info.Notes...)
	attachHot(v, info, out)
	if err := WriteVerdict(filepath.Join(out, "verdict.json"), v); err != nil {
		return nil, err
	}
	return &Result{Verdict: v, Info: info, Dir: out}, nil
}

// clear reports whether no result of v is still open (analyze.Result.Open):
// each is decided, or rules out a change beyond its threshold.
func clear(v *analyze.Verdict) bool {
	for _, r := range v.Results {
		if r.Open {
			return false
		}
	}
	return true
}

// compare compares the results files of the run in dir.
func compare(dir string, opts analyze.Options) (*analyze.Verdict, error) {
	var sides [2]*analyze.Results
	for i, name := range []string{"base", "head"} {
		path := filepath.Join(dir, name+".txt")
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading benchmark results: %w", err)
		}
		sides[i], err = analyze.ReadResults(f, path, name)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	v, err := analyze.Compare(sides[0], sides[1], opts)
	if err != nil {
		return nil, fmt.Errorf("comparing %s: %w", dir, err)
	}
	return v, nil
}

// WriteVerdict writes v as JSON (perfgate's --json schema) to path.
func WriteVerdict(path string, v *analyze.Verdict) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the verdict: %w", err)
	}
	if err := report.JSON(f, v); err != nil {
		f.Close()
		return fmt.Errorf("writing the verdict: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the verdict: %w", err)
	}
	return nil
}
