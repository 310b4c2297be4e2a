package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/gate"
)

// sideFlags are the flags bench and run share.
type sideFlags struct {
	base string
	out  string
}

func (f *sideFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.base, "base", "", "git `REF` of the base side (default: merge-base of HEAD with the default branch)")
	cmd.Flags().StringVar(&f.out, "out", "", "run `DIR` for results, profiles and logs (default: .perfgate/runs/<time>)")
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

// defaultRunDir returns a new run directory under dir (.perfgate), which
// holds a .gitignore of its own so that runs never show as changes of the
// repository (and never make the next run's working tree "dirty").
func defaultRunDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	ignore := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(ignore); os.IsNotExist(err) {
		if err := os.WriteFile(ignore, []byte("# perfgate's run directories\n*\n"), 0o644); err != nil {
			return "", fmt.Errorf("creating %s: %w", ignore, err)
		}
	}
	runs := filepath.Join(dir, "runs")
	if err := os.MkdirAll(runs, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", runs, err)
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	for i := 1; ; i++ {
		name := stamp
		if i > 1 {
			name = fmt.Sprintf("%s-%d", stamp, i)
		}
		// Mkdir claims the name: two runs in one second get two.
		out := filepath.Join(runs, name)
		if err := os.Mkdir(out, 0o755); err == nil {
			return out, nil
		} else if !os.IsExist(err) {
			return "", fmt.Errorf("creating %s: %w", out, err)
		}
	}
}

// gateAndDecide runs the gate, prints the verdict and turns it into the
// command's outcome.
func (g *globals) gateAndDecide(ctx context.Context, cfg *config.Config, sf sideFlags) error {
	run, err := g.gate(ctx, cfg, sf)
	if err != nil {
		return err
	}
	return g.decide(run.Verdict, "results: "+run.Dir)
}

// gate runs the gate (gate.Run) in a new run directory, with a progress
// display on stderr.
func (g *globals) gate(ctx context.Context, cfg *config.Config, sf sideFlags) (*gate.Result, error) {
	out := g.path(sf.out)
	if sf.out == "" {
		var err error
		if out, err = defaultRunDir(g.path(".perfgate")); err != nil {
			return nil, err
		}
	}
	p := newProgress(g.stderr)
	defer p.finish()
	return gate.Run(ctx, gate.Options{
		Config:   cfg,
		Dir:      g.dir,
		Base:     sf.base,
		Out:      out,
		Progress: p.update,
		Log: func(format string, args ...any) {
			fmt.Fprintf(g.stderr, "perfgate: "+format+"\n", args...)
		},
	})
}
