package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/internal/text"
)

// sideFlags are the flags bench and run share.
type sideFlags struct {
	base    string
	out     string
	keepBin bool
	// record and data: record the run in the history store in data, as
	// a run of kind ("bench", "run").
	record bool
	data   string
	kind   string
	// shard is bench's --shard I/N, "" for all the benchmarks.
	shard string
}

func (f *sideFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.base, "base", "", "git `REF` of the base side (default: merge-base of HEAD with the default branch)")
	cmd.Flags().StringVar(&f.out, "out", "", "run `DIR` for results, profiles and logs (default: .perfgate/runs/<time>)")
	cmd.Flags().BoolVar(&f.keepBin, "keep-bin", false, "keep the test and service binaries in the run directory")
	cmd.Flags().BoolVar(&f.record, "record", false, "record the run (its results, samples, verdict and profiles, every result profiled) in the history store")
	cmd.Flags().StringVar(&f.data, "data", "", "data `DIR` of the history store, perfgate.db (default: watch.data, .perfgate)")
}

func benchCmd(g *globals) *cobra.Command {
	sf := sideFlags{kind: "bench"}
	var (
		run, benchtime string
		pkgs           []string
		rounds         int
		minRounds      int
		profile        bool
		profileAll     bool
		profileSamples int
		profileTime    time.Duration
		thresholds     []string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark the base and the working tree in interleaved rounds, and decide",
		Long: `bench builds each side's test binaries once (the base from a git worktree, the
head from the working tree as it is), runs the benchmarks in interleaved rounds,
compares and decides, then profiles the benchmarks that regressed on both sides
(CPU, memory, block and mutex profiles, in interleaved runs sized to a number
of CPU samples) and names the functions that grew beyond sampling noise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			fl := cmd.Flags()
			if fl.Changed("bench") {
				cfg.Bench.Run = run
			}
			if fl.Changed("pkg") {
				cfg.Bench.Packages = pkgs
			}
			if fl.Changed("rounds") {
				cfg.Bench.Rounds = rounds
			}
			if fl.Changed("min-rounds") {
				cfg.Bench.MinRounds = minRounds
			}
			if fl.Changed("benchtime") {
				cfg.Bench.Benchtime = benchtime
			}
			if fl.Changed("profile") {
				cfg.Bench.Profile = profile
			}
			if fl.Changed("profile-all") {
				cfg.Bench.ProfileAll = profileAll
			}
			if fl.Changed("profile-samples") {
				cfg.Bench.ProfileSamples = profileSamples
			}
			if fl.Changed("profile-time") {
				cfg.Bench.ProfileTime = profileTime
			}
			if err := addThresholds(&cfg.Thresholds, thresholds); err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			// bench is the go test benchmarks alone, whatever else the
			// configuration names.
			cfg.GoBench, cfg.Load = true, nil
			return g.gateAndDecide(cmd.Context(), cfg, sf)
		},
	}
	sf.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&run, "bench", ".", "run only benchmarks matching `RE` (go test -bench)")
	fl.StringArrayVar(&pkgs, "pkg", nil, "package `PATTERN` to benchmark (default ./...); repeatable")
	fl.IntVar(&rounds, "rounds", config.Default.Bench.Rounds, "interleaved rounds per side, at most")
	fl.IntVar(&minRounds, "min-rounds", config.Default.Bench.MinRounds, "rounds before the first look at the results, which stops the rounds once the answer is clear (0: no early stop)")
	fl.StringVar(&benchtime, "benchtime", config.Default.Bench.Benchtime, "go test -benchtime of each round")
	fl.BoolVar(&profile, "profile", true, "profile the benchmarks that regressed, to name the functions that did it")
	fl.BoolVar(&profileAll, "profile-all", false, "profile every benchmark, not only the regressed ones")
	fl.IntVar(&profileSamples, "profile-samples", config.Default.Bench.ProfileSamples, "CPU samples per side the profiling runs of a benchmark aim for")
	fl.DurationVar(&profileTime, "profile-time", config.Default.Bench.ProfileTime, "the most time the profiling runs of a benchmark take per side")
	fl.StringArrayVar(&thresholds, "threshold", nil, "threshold of a unit, as `UNIT=PCT` (sec/op=5%); repeatable")
	fl.StringVar(&sf.shard, "shard", "", "run share `I/N` of the top-level benchmarks, one job of N that perfgate merge joins (balanced by the durations in the history store, when there is one)")
	return cmd
}

func runCmd(g *globals) *cobra.Command {
	sf := sideFlags{kind: "run"}
	var profileAll bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run everything the configuration names (benchmarks, services under load) and decide",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("profile-all") {
				cfg.Bench.ProfileAll = profileAll
			}
			return g.gateAndDecide(cmd.Context(), cfg, sf)
		},
	}
	sf.register(cmd)
	cmd.Flags().BoolVar(&profileAll, "profile-all", false, "profile every benchmark and scenario, not only the regressed ones")
	return cmd
}

// gateAndDecide runs the gate in the run directory the flags name, with a
// progress display on stderr, prints the verdict and turns it into the
// command's outcome.
func (g *globals) gateAndDecide(ctx context.Context, cfg *config.Config, sf sideFlags) error {
	out, err := g.runDir(sf.out)
	if err != nil {
		return err
	}
	if sf.record {
		// A change point found later is explained from the profiles of
		// the runs either side: a recorded run profiles every result.
		cfg.Bench.Profile, cfg.Bench.ProfileAll = true, true
	}
	var shard *bench.Shard
	if sf.shard != "" {
		s, err := bench.ParseShard(sf.shard)
		if err != nil {
			return err
		}
		if s.Durations, err = g.pastDurations(ctx, sf); err != nil {
			return err
		}
		shard = &s
	}
	p := newProgress(g.stderr)
	res, err := gate.Run(ctx, gate.Options{
		Config: cfg, Dir: g.dir, Base: sf.base, Out: out, KeepBinaries: sf.keepBin, Progress: p.update, Shard: shard,
		Log: func(format string, args ...any) { fmt.Fprintf(g.stderr, "perfgate: "+format+"\n", args...) },
	})
	p.finish()
	if err != nil {
		return err
	}
	// A run that could not be recorded still gets its verdict; the exit
	// code says the recording failed (2) unless the verdict says more.
	var recErr error
	if sf.record {
		if recErr = g.record(ctx, sf, sf.kind, res); recErr != nil {
			fmt.Fprintf(g.stderr, "perfgate: %s (the run is kept in %s)\n", text.OneLine(recErr.Error()), res.Dir.Root())
		}
	}
	if err := g.decide(res.Verdict, "results: "+res.Dir.Root()); err != nil {
		return err
	}
	if recErr != nil {
		return exitErr{exitError}
	}
	return nil
}
