package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/gate"
)

// sideFlags are the flags bench and run share.
type sideFlags struct {
	base    string
	out     string
	keepBin bool
}

func (f *sideFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.base, "base", "", "git `REF` of the base side (default: merge-base of HEAD with the default branch)")
	cmd.Flags().StringVar(&f.out, "out", "", "run `DIR` for results, profiles and logs (default: .perfgate/runs/<time>)")
	cmd.Flags().BoolVar(&f.keepBin, "keep-bin", false, "keep the test and service binaries in the run directory")
}

func benchCmd(g *globals) *cobra.Command {
	var sf sideFlags
	var (
		run, benchtime string
		pkgs           []string
		rounds         int
		minRounds      int
		profile        bool
		thresholds     []string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark the base and the working tree in interleaved rounds, and decide",
		Long: `bench builds each side's test binaries once (the base from a git worktree, the
head from the working tree as it is), runs the benchmarks in interleaved rounds,
keeps a CPU and a memory profile per benchmark per side, compares and decides.`,
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
	fl.BoolVar(&profile, "profile", true, "keep a CPU and memory profile per benchmark per side")
	fl.StringArrayVar(&thresholds, "threshold", nil, "threshold of a unit, as `UNIT=PCT` (sec/op=5%); repeatable")
	return cmd
}

func runCmd(g *globals) *cobra.Command {
	var sf sideFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run everything the configuration names (benchmarks, services under load) and decide",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			return g.gateAndDecide(cmd.Context(), cfg, sf)
		},
	}
	sf.register(cmd)
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
	p := newProgress(g.stderr)
	res, err := gate.Run(ctx, gate.Options{
		Config: cfg, Dir: g.dir, Base: sf.base, Out: out, KeepBinaries: sf.keepBin, Progress: p.update,
		Log: func(format string, args ...any) { fmt.Fprintf(g.stderr, "perfgate: "+format+"\n", args...) },
	})
	p.finish()
	if err != nil {
		return err
	}
	return g.decide(res.Verdict, "results: "+res.Dir.Root())
}
