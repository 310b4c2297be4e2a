// Package gate is perfgate's one job, end to end: it drives the runners of
// bench round by round on both sides, decides with analyze, explains each
// regression with its hot functions, and leaves everything in the run
// directory. It owns the loop; the runners measure and the analysis
// decides. The steps of Run:
//
//  1. Resolve the base: the configuration's, or the merge-base of HEAD with
//     the default branch.
//  2. Open the sides (bench.Open) in a new run directory.
//  3. Drive each runner (Runner: the go test benchmarks, then each load
//     scenario): prepare it, run its rounds interleaved (base first in
//     odd rounds, head first in even ones, so that a drift linear in time
//     cancels). The go test benchmarks are looked at after MinRounds
//     rounds and then each time the rounds have grown by half
//     (analyze.Looks): they stop as soon as no result is open (analyze's
//     paired, sequential comparison), and go on to Rounds, the budget,
//     while one is.
//     One shard of a sharded run (Options.Shard) runs only its share of
//     the top-level benchmarks, and corrects for many results as if among
//     the other shards' results too (shardOthers), so that perfgate merge
//     (Merge) keeps what it decides; a shard with no benchmark passes at
//     once (emptyShard).
//  4. Compare the sides round by round, at the final look: the verdict.
//  5. Decided, profile what regressed (everything, with ProfileAll): each
//     runner runs that work again on both sides, profiled, in interleaved
//     chunks.
//  6. Explain each regression (explain.go): group the regressed results
//     that the same profiles explain, rank the functions that grew beyond
//     sampling noise, write their diffs, and write verdict.json.
package gate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/bench/service"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/rundir"
)

// Options configure Run.
type Options struct {
	Config *config.Config
	// Dir is the directory perfgate runs in.
	Dir string
	// Base, when set, is the base side's git ref, whatever the
	// configuration says.
	Base string
	// Out is the run directory; it must not hold a run yet.
	Out string
	// Env is the environment everything run for a side starts from; nil
	// means this process's.
	Env []string
	// KeepBinaries keeps the test and service binaries in the run
	// directory after the run.
	KeepBinaries bool
	// Progress, if set, is called as the run advances.
	Progress func(Progress)
	// Log, if set, is told what the gate chose by itself (the base).
	Log func(format string, args ...any)
	// Notes are what the caller has to say in the verdict, before the
	// gate's own notes (where the configuration came from, say).
	Notes []string
	// Shard, when set, runs one share of the go test benchmarks, one job
	// of a sharded run that perfgate merge joins (Merge).
	Shard *bench.Shard
}

// Result is what a run leaves: the verdict, what ran, and where.
type Result struct {
	Verdict *analyze.Verdict
	Info    *rundir.Info
	Dir     rundir.Dir
}

// A Runner measures one kind of work on both sides of a run, driven by
// Run: bench.Suite (go test benchmarks) and bench.LoadTest (a load
// scenario). Each call does one step and records it in the run directory;
// none calls back.
type Runner interface {
	// Prepare makes the runner ready for its first round: builds, or a
	// warm-up.
	Prepare(ctx context.Context) error
	// Round runs one measured round on side s.
	Round(ctx context.Context, s *bench.Side, round int) error
	// Profile runs the work of the results of want again on both sides,
	// profiled, once the rounds have decided: every result's when want is
	// nil.
	Profile(ctx context.Context, want []analyze.Result) error
}

// Run measures both sides, compares them and explains the regressions.
// On error, the finished rounds stay in the run directory.
func Run(ctx context.Context, opts Options) (res *Result, err error) {
	cfg := opts.Config
	switch {
	case !cfg.GoBench && len(cfg.Load) == 0:
		return nil, errors.New("nothing to measure: no benchmarks and no load scenarios")
	case cfg.GoBench && cfg.Bench.Rounds < 1:
		return nil, fmt.Errorf("bench.rounds: %d is below 1", cfg.Bench.Rounds)
	case opts.Shard != nil && (!cfg.GoBench || len(cfg.Load) > 0):
		return nil, errors.New("a shard runs go test benchmarks only, not load scenarios")
	}
	baseRef, err := resolveBase(ctx, opts)
	if err != nil {
		return nil, err
	}
	run, err := rundir.Create(opts.Out)
	if err != nil {
		return nil, err
	}
	base := cfg.Sides.Base
	base.Ref = baseRef
	sides, err := bench.Open(ctx, bench.Options{
		Dir: opts.Dir, Base: base, Head: cfg.Sides.Head, Env: opts.Env, Run: run, KeepBinaries: opts.KeepBinaries,
		Info: &rundir.Info{Bench: cfg.Bench, GoBench: cfg.GoBench, Scenarios: cfg.Load, PinCPUs: cfg.PinCPUs},
	})
	if err != nil {
		return nil, err
	}
	info := sides.Info
	defer func() {
		if cerr := sides.Close(err); cerr != nil && err == nil {
			err = cerr
		}
		if err != nil && len(info.Measured)+len(info.Load) > 0 {
			err = fmt.Errorf("%w (finished rounds kept in %s)", err, run.Root())
		}
	}()

	looks := analyze.Looks(cfg.Bench.MinRounds, cfg.Bench.Rounds)
	nLooks := 1
	if cfg.GoBench {
		nLooks = len(looks)
	}
	for _, sc := range cfg.Load {
		// One correction for all: the most looks any part of the run takes.
		nLooks = max(nLooks, len(analyze.Looks(sc.MinRounds, sc.Rounds)))
	}
	compareOpts := analyze.PairedOptions
	compareOpts.Thresholds = cfg.Thresholds
	compareOpts.Looks = nLooks
	compareOpts.OneSided = true // a head that moved or deleted every benchmark is reported, not an error
	compareOpts.RequireAll = cfg.Bench.RequireAll
	d := &driver{sides: sides, compare: compareOpts, progress: newTracker(opts.Progress, cfg)}

	type runner struct {
		Runner
		scenario string
	}
	var runners []runner
	if cfg.GoBench {
		suite := bench.NewSuite(sides, cfg.Bench)
		suite.Shard = opts.Shard
		d.progress.show(Progress{Phase: "build", Side: "base and head"})
		err := suite.Prepare(ctx)
		if info.Shard != nil {
			// For perfgate merge, which decides with the shards'.
			info.Shard.Thresholds = cfg.Thresholds
		}
		if errors.Is(err, bench.ErrEmptyShard) {
			return emptyShard(run, info, opts, baseRef)
		}
		if err != nil {
			return nil, err
		}
		// A shard's correction counts the other shards' results too:
		// see shardOthers.
		d.shard = info.Shard
		if info.StoppedAt, err = d.measure(ctx, suite, "", cfg.Bench.Rounds, looks, (*analyze.Verdict).Open); err != nil {
			return nil, err
		}
		runners = append(runners, runner{suite, ""})
	}
	if len(cfg.Load) > 0 {
		if err := d.startServices(ctx, cfg.Services); err != nil {
			return nil, err
		}
		for _, sc := range cfg.Load {
			lt := bench.NewLoadTest(sides, sc)
			d.progress.show(Progress{Phase: "warmup", Side: "base and head", Scenario: sc.Name})
			if err := lt.Prepare(ctx); err != nil {
				return nil, err
			}
			d.progress.done += 2
			stopped, err := d.measure(ctx, lt, sc.Name, sc.Rounds, analyze.Looks(sc.MinRounds, sc.Rounds), scenarioOpen(sc.Name))
			if err != nil {
				return nil, err
			}
			if stopped > 0 {
				info.Notes = append(info.Notes, fmt.Sprintf("%s's answer was clear after %d of at most %d rounds", sc.Name, stopped, sc.Rounds))
			}
			runners = append(runners, runner{lt, sc.Name})
		}
	}

	// Decide first; then profile what needs explaining.
	v, err := compare(run, compareOpts, d.shard)
	if err != nil {
		return nil, err
	}
	if cfg.Bench.Profile {
		want := regressed(v)
		if cfg.Bench.ProfileAll {
			want = nil
		}
		for _, r := range runners {
			if want != nil && len(want) == 0 {
				d.progress.steps -= 2
				continue
			}
			d.progress.show(Progress{Phase: "profile", Side: "base and head", Scenario: r.scenario})
			start := time.Now()
			err := r.Profile(ctx, want)
			info.ProfileSeconds += time.Since(start).Seconds()
			if err != nil {
				return nil, err
			}
			d.progress.done += 2
		}
		if err := sides.Save(); err != nil {
			return nil, err
		}
	}
	info.Complete = true
	v.Base = analyze.Side{Ref: baseRef, Commit: info.Sides[0].Commit, Dirty: info.Sides[0].Dirty}
	v.Head = analyze.Side{Ref: cfg.Sides.Head.Ref, Commit: info.Sides[1].Commit, Dirty: info.Sides[1].Dirty}
	if v.Head.Ref == "" {
		v.Head.Ref = "working tree"
	}
	v.Notes = append(slices.Clip(opts.Notes), v.Notes...)
	if info.StoppedAt > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("the benchmarks' answer was clear after %d of at most %d rounds", info.StoppedAt, cfg.Bench.Rounds))
	}
	if sh := info.Shard; sh != nil {
		v.Notes = append(v.Notes, fmt.Sprintf("shard %d/%d: %d of %d top-level benchmarks; each unit's results corrected as among about %d more of the other shards (estimated from this shard's)",
			sh.Index, sh.Count, len(sh.Mine), len(sh.All), sh.Others))
	}
	v.Notes = append(v.Notes, info.Notes...)
	v.Curves = curves(cfg, info)
	explain(v, info, run)
	if err := run.WriteVerdict(v); err != nil {
		return nil, err
	}
	return &Result{Verdict: v, Info: info, Dir: run}, nil
}

// emptyShard ends the run of a shard with no benchmark to run: it passes,
// and says so, with its run.json complete for perfgate merge.
func emptyShard(run rundir.Dir, info *rundir.Info, opts Options, baseRef string) (*Result, error) {
	sh := info.Shard
	v := &analyze.Verdict{Schema: analyze.SchemaVersion, Verdict: analyze.Pass}
	v.Base = analyze.Side{Ref: baseRef, Commit: info.Sides[0].Commit, Dirty: info.Sides[0].Dirty}
	v.Head = analyze.Side{Ref: opts.Config.Sides.Head.Ref, Commit: info.Sides[1].Commit, Dirty: info.Sides[1].Dirty}
	if v.Head.Ref == "" {
		v.Head.Ref = "working tree"
	}
	v.Notes = append(slices.Clip(opts.Notes), fmt.Sprintf("shard %d/%d has no benchmarks to run (%d top-level benchmarks over %d shards)", sh.Index, sh.Count, len(sh.All), sh.Count))
	info.Complete = true
	if err := run.WriteInfo(info); err != nil {
		return nil, err
	}
	if err := run.WriteVerdict(v); err != nil {
		return nil, err
	}
	return &Result{Verdict: v, Info: info, Dir: run}, nil
}

// Decide is the gate's analysis of a run whose figures were measured
// elsewhere (watch's deploys): it compares the sides' results in run,
// explains what regressed from the profiles info lists, and writes the
// verdict, whose sides are base and head, to run.
func Decide(run rundir.Dir, info *rundir.Info, opts analyze.Options, base, head analyze.Side) (*analyze.Verdict, error) {
	v, err := compare(run, opts, nil)
	if err != nil {
		return nil, err
	}
	v.Base, v.Head = base, head
	v.Notes = append(v.Notes, info.Notes...)
	explain(v, info, run)
	if err := run.WriteVerdict(v); err != nil {
		return nil, err
	}
	return v, nil
}

// resolveBase returns the base side's ref: the one Options give, else the
// configuration's, else the merge-base of HEAD with the default branch.
func resolveBase(ctx context.Context, opts Options) (string, error) {
	cfg := opts.Config
	switch {
	case opts.Base != "":
		return opts.Base, nil
	case cfg.Sides.Base.Ref != "":
		return cfg.Sides.Base.Ref, nil
	case cfg.Base != "":
		return cfg.Base, nil
	}
	root, err := bench.RepoRoot(ctx, opts.Dir)
	if err != nil {
		return "", err
	}
	desc, commit, err := bench.DefaultBase(ctx, root)
	if err != nil {
		return "", err
	}
	if opts.Log != nil {
		opts.Log("base is %s (%.12s)", desc, commit)
	}
	return commit, nil
}

// driver drives the runners of one run.
type driver struct {
	sides    *bench.Sides
	compare  analyze.Options
	progress *tracker
	// shard is the run's share when it is one shard of a sharded run.
	shard *rundir.ShardInfo
}

// measure drives r through its rounds. At each of looks it compares the
// results so far and stops when open says none of r's results is; it
// returns the round it stopped after, 0 when every round ran.
func (d *driver) measure(ctx context.Context, r Runner, scenario string, rounds int, looks []int, open func(*analyze.Verdict) bool) (stoppedAt int, err error) {
	d.progress.startClock()
	for round := 1; round <= rounds; round++ {
		for _, s := range order(d.sides.Both(), round) {
			d.progress.show(Progress{Phase: "round", Side: s.Name, Scenario: scenario, Round: round, Rounds: rounds})
			if err := r.Round(ctx, s, round); err != nil {
				return 0, err
			}
			d.progress.done++
		}
		if round < rounds && slices.Contains(looks, round) {
			v, err := compare(d.sides.Run, d.compare, d.shard)
			if err != nil {
				return 0, err
			}
			if !open(v) {
				stoppedAt = round
				d.progress.steps -= 2 * (rounds - round)
				break
			}
		}
	}
	return stoppedAt, d.sides.Save()
}

// startServices builds and starts the services of each side.
func (d *driver) startServices(ctx context.Context, specs []service.Spec) error {
	for _, s := range d.sides.Both() {
		d.progress.show(Progress{Phase: "build", Side: s.Name})
		if err := d.sides.BuildServices(ctx, s, specs); err != nil {
			return err
		}
	}
	for _, s := range d.sides.Both() {
		d.progress.show(Progress{Phase: "start", Side: s.Name})
		if err := d.sides.StartServices(ctx, s, specs); err != nil {
			return err
		}
	}
	return nil
}

// order returns the sides in the order they run in round: base first in
// odd rounds, head first in even ones.
func order(sides []*bench.Side, round int) []*bench.Side {
	if round%2 == 0 {
		return []*bench.Side{sides[1], sides[0]}
	}
	return sides
}

// compare compares the results files of the run. For one shard of a
// sharded run, shard is its share, and each unit's family of results
// counts the other shards' results (shardOthers), recorded in shard.
func compare(run rundir.Dir, opts analyze.Options, shard *rundir.ShardInfo) (*analyze.Verdict, error) {
	var sides [2]*analyze.Results
	for i, name := range []string{"base", "head"} {
		path := run.Path(run.Results(name))
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
	if shard != nil && len(shard.Mine) < len(shard.All) {
		// The families as this shard has them, to estimate the others.
		v, err := analyze.Compare(sides[0], sides[1], opts)
		if err != nil {
			return nil, fmt.Errorf("comparing %s: %w", run.Root(), err)
		}
		opts.Others = shardOthers(v, shard)
		shard.Others = opts.Others
	}
	v, err := analyze.Compare(sides[0], sides[1], opts)
	if err != nil {
		return nil, fmt.Errorf("comparing %s: %w", run.Root(), err)
	}
	return v, nil
}

// shardOthers estimates how many results the other shards of a sharded
// run add to each unit's family (analyze.Options.Others), from v, this
// shard's comparison: the results of its largest unit family per
// top-level benchmark of the shard, times the top-level benchmarks of the
// other shards, rounded up. The shard knows every top-level benchmark
// (shard.All) but not how many sub-benchmarks and results the others
// produce: an exact count would need every benchmark run once. Taking
// the largest family errs on the strict side for the smaller ones.
func shardOthers(v *analyze.Verdict, shard *rundir.ShardInfo) int {
	family := make(map[string]int)
	for _, r := range v.Results {
		if r.Base != nil && r.Head != nil {
			family[r.Unit]++
		}
	}
	largest := 0
	for _, n := range family {
		largest = max(largest, n)
	}
	mine, others := len(shard.Mine), len(shard.All)-len(shard.Mine)
	if mine == 0 || others <= 0 {
		return 0
	}
	return (largest*others + mine - 1) / mine
}

// Progress is a step of a run, for a progress display.
type Progress struct {
	// Phase is "build", "start" (services), "warmup", "round" or
	// "profile".
	Phase string
	// Scenario names the load scenario, in a load phase.
	Scenario string
	// Side is "base", "head", or "base and head".
	Side string
	// Round and Rounds count the measured rounds.
	Round, Rounds int
	// Done and Total count all steps (side-rounds, warm-ups and profiling
	// runs).
	Done, Total int
	// Elapsed is the time since the first measured round began, and Left
	// an estimate of the time the remaining steps take.
	Elapsed, Left time.Duration
}

// tracker counts the steps of a run for Progress.
type tracker struct {
	report      func(Progress)
	steps, done int
	started     time.Time
}

// newTracker counts the steps of the run cfg describes: each side's
// measured rounds, warm-ups and profiling runs.
func newTracker(report func(Progress), cfg *config.Config) *tracker {
	t := &tracker{report: report}
	profiling := 0
	if cfg.Bench.Profile {
		profiling = 2
	}
	if cfg.GoBench {
		t.steps += 2*cfg.Bench.Rounds + profiling
	}
	for _, sc := range cfg.Load {
		t.steps += 2*(sc.Rounds+1) + profiling
	}
	// The profiling steps are counted, and taken back when nothing
	// regressed.
	return t
}

func (t *tracker) startClock() {
	if t.started.IsZero() {
		t.started = time.Now()
	}
}

func (t *tracker) show(p Progress) {
	if t.report == nil {
		return
	}
	p.Done, p.Total = t.done, t.steps
	if !t.started.IsZero() {
		p.Elapsed = time.Since(t.started)
		if t.done > 0 {
			p.Left = p.Elapsed / time.Duration(t.done) * time.Duration(t.steps-t.done)
		}
	}
	t.report(p)
}

// regressed returns the regressed results of v.
func regressed(v *analyze.Verdict) []analyze.Result {
	want := []analyze.Result{}
	for _, r := range v.Results {
		if r.Regression {
			want = append(want, r)
		}
	}
	return want
}

// curves returns the latency curves of the run's capacity scenarios, from
// the steps of their searches.
func curves(cfg *config.Config, info *rundir.Info) []analyze.Curve {
	var cs []analyze.Curve
	for _, sc := range cfg.Load {
		if sc.Capacity == nil {
			continue
		}
		for _, side := range []string{"base", "head"} {
			c := analyze.Curve{Scenario: sc.Name, Side: side, Percentile: sc.Capacity.Percentile, Objective: sc.Capacity.Latency.Seconds()}
			for _, lr := range info.Load {
				if lr.Scenario != sc.Name || lr.Side != side || lr.Capacity == nil {
					continue
				}
				for _, st := range lr.Capacity.Steps {
					c.Points = append(c.Points, analyze.CurvePoint{Rate: st.Rate, Latency: st.Objective, Met: st.Met})
				}
			}
			if len(c.Points) > 0 {
				cs = append(cs, c)
			}
		}
	}
	return cs
}

// scenarioOpen reports whether a result of the load scenario's response
// time or throughput is open: its services' resource figures (CPU time per
// request, memory) may stay undecided, as they do not gate the rounds.
func scenarioOpen(scenario string) func(*analyze.Verdict) bool {
	return func(v *analyze.Verdict) bool {
		for _, r := range v.Results {
			n, ok := analyze.ParseLoadName(r.Benchmark)
			if ok && n.Scenario == scenario && r.Open && r.Unit != "cpu-sec/op" && r.Unit != "peak-rss-B" {
				return true
			}
		}
		return false
	}
}
