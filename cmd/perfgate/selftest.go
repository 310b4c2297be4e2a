package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/selftest"
)

func selftestCmd(g *globals) *cobra.Command {
	opts := selftest.DefaultOptions
	var (
		slowdowns, threshold, out string
		aa                        bool
	)
	cmd := &cobra.Command{
		Use:   "selftest",
		Short: "Measure the gate: detection and false-alarm rates, beside go test -count=10 + benchstat",
		Long: `selftest makes throwaway repositories whose head is slower by known amounts, runs the
gate and the plain workflow (go test -count=10 on base, then on head, then benchstat with
the same threshold) on each, many times, optionally under a competing CPU load, and prints
per slowdown how often each called it a regression (false alarms at 0%) and the machine
time each verdict cost. It takes a while: about 10 seconds per trial and slowdown.
With --json FILE, it writes the table's figures and every verdict as JSON.

With --aa, it measures instead how often the gate decides on the configuration (--config):
it runs it --trials times (10 unless set) with both sides its base side, and prints per run
whether it decided (a pass with no result that decides left inconclusive; a load scenario's
CPU time and memory do not decide) or called a false alarm.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if aa {
				if !cmd.Flags().Changed("trials") {
					opts.Trials = 10
				}
				return runAA(cmd, g, opts.Trials, out)
			}
			opts.Slowdowns = nil
			for _, s := range strings.Split(slowdowns, ",") {
				p, err := analyze.ParsePercent(s)
				if err != nil {
					return fmt.Errorf("--slowdowns: %w", err)
				}
				opts.Slowdowns = append(opts.Slowdowns, p)
			}
			t, err := analyze.ParsePercent(threshold)
			if err != nil {
				return fmt.Errorf("--threshold: %w", err)
			}
			opts.Threshold = t
			if opts.Trials < 1 {
				return fmt.Errorf("--trials %d: want 1 or more", opts.Trials)
			}
			opts.Dir = g.path(out)
			if out == "" {
				if opts.Dir, err = os.MkdirTemp("", "perfgate-selftest-"); err != nil {
					return err
				}
				defer os.RemoveAll(opts.Dir)
			}
			opts.Progress = func(v selftest.Verdict) {
				fmt.Fprintf(g.stderr, "perfgate: trial %d, %g%% slower, %s: %s (regression: %v) in %.1fs\n",
					v.Trial, 100*v.Slowdown, v.Method, v.Outcome, v.Regression, v.Seconds)
			}
			verdicts, err := selftest.Run(cmd.Context(), opts)
			cells := selftest.Summarize(verdicts)
			if len(verdicts) > 0 {
				if terr := selftest.Table(g.stdout, cells); terr != nil {
					return errors.Join(err, terr)
				}
				if out != "" {
					err = errors.Join(err, selftest.WriteVerdicts(filepath.Join(opts.Dir, "verdicts.json"), verdicts))
				}
			}
			if err != nil {
				return err // --json: the error verdict
			}
			return g.writeJSON(newSelftestResult(opts, cells, verdicts))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&slowdowns, "slowdowns", "0%,2%,5%,10%,20%", "the head's slowdowns")
	fl.IntVar(&opts.Trials, "trials", opts.Trials, "verdicts per slowdown and method")
	fl.IntVar(&opts.Load, "load", 0, "goroutines competing for the CPU, each busy half the time in bursts")
	fl.StringVar(&opts.Benchtime, "benchtime", opts.Benchtime, "perfgate's go test -benchtime")
	fl.StringVar(&opts.PlainBenchtime, "plain-benchtime", opts.PlainBenchtime, "the plain workflow's go test -benchtime")
	fl.IntVar(&opts.Rounds, "rounds", opts.Rounds, "perfgate's budget of rounds per side")
	fl.IntVar(&opts.MinRounds, "min-rounds", opts.MinRounds, "perfgate's first look at the results")
	fl.IntVar(&opts.Count, "count", opts.Count, "the plain workflow's go test -count")
	fl.StringVar(&threshold, "threshold", "3%", "sec/op threshold of both methods")
	fl.StringVar(&out, "out", "", "keep the repositories and verdicts.json in `DIR`")
	fl.BoolVar(&aa, "aa", false, "measure how often the configuration's gate decides with both sides the same")
	return cmd
}

// selftestResult is what perfgate selftest writes with --json: the figures
// of its table and the verdicts they sum up.
type selftestResult struct {
	// Threshold is the sec/op threshold of both methods, as a fraction.
	Threshold float64 `json:"threshold"`
	// Load is the number of goroutines that competed for the CPU.
	Load     int               `json:"load"`
	Cells    []selftestCell    `json:"cells"`
	Verdicts []selftestVerdict `json:"verdicts"`
}

// selftestCell is a line of the table: one method on one slowdown.
type selftestCell struct {
	Method string `json:"method"`
	// Slowdown is the head's, as a fraction (0.05 is 5% slower).
	Slowdown float64 `json:"slowdown"`
	Trials   int     `json:"trials"`
	// Regressions counts the regression verdicts: catches, or false
	// alarms at a slowdown of 0.
	Regressions  int `json:"regressions"`
	Inconclusive int `json:"inconclusive"`
	// SecondsPerVerdict is the mean wall time of a verdict, RoundsPerSide
	// the mean rounds (perfgate) or -count (the plain workflow) per side.
	SecondsPerVerdict float64 `json:"seconds_per_verdict"`
	RoundsPerSide     float64 `json:"rounds_per_side"`
}

// selftestVerdict is one verdict of one method on one trial.
type selftestVerdict struct {
	Method     string  `json:"method"`
	Slowdown   float64 `json:"slowdown"`
	Trial      int     `json:"trial"`
	Outcome    string  `json:"outcome"`
	Regression bool    `json:"regression"`
	Seconds    float64 `json:"seconds"`
	Rounds     int     `json:"rounds"`
}

// newSelftestResult is the --json result of a selftest run with opts.
func newSelftestResult(opts selftest.Options, cells []selftest.Cell, verdicts []selftest.Verdict) selftestResult {
	r := selftestResult{Threshold: opts.Threshold, Load: opts.Load, Cells: []selftestCell{}, Verdicts: []selftestVerdict{}}
	for _, c := range cells {
		r.Cells = append(r.Cells, selftestCell{
			Method: c.Method, Slowdown: c.Slowdown, Trials: c.Trials, Regressions: c.Regressions,
			Inconclusive: c.Inconclusive, SecondsPerVerdict: c.Seconds, RoundsPerSide: c.Rounds,
		})
	}
	for _, v := range verdicts {
		r.Verdicts = append(r.Verdicts, selftestVerdict{
			Method: v.Method, Slowdown: v.Slowdown, Trial: v.Trial, Outcome: string(v.Outcome),
			Regression: v.Regression, Seconds: v.Seconds, Rounds: v.Rounds,
		})
	}
	return r
}

// runAA is perfgate selftest --aa.
func runAA(cmd *cobra.Command, g *globals, trials int, out string) error {
	if trials < 1 {
		return fmt.Errorf("--trials %d: want 1 or more", trials)
	}
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	dir := g.path(out)
	if out == "" {
		if dir, err = os.MkdirTemp("", "perfgate-selftest-aa-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dir = filepath.Join(dir, "runs")
	}
	verdicts, err := selftest.AA(cmd.Context(), selftest.AAOptions{
		Config: cfg, Dir: g.dir, Trials: trials, Out: dir,
		Progress: func(v selftest.AAVerdict) {
			fmt.Fprintf(g.stderr, "perfgate: A/A trial %d: %s, decided %v, %d rounds, %.1fs\n", v.Trial, v.Outcome, v.Decided, v.Rounds, v.Seconds)
		},
	})
	if len(verdicts) > 0 {
		err = errors.Join(err, selftest.AATable(g.stdout, verdicts))
	}
	if err != nil {
		return err
	}
	res := selftestAAResult{Trials: len(verdicts), Verdicts: verdicts}
	for _, v := range verdicts {
		if v.Decided {
			res.Decided++
		}
		if len(v.FalseAlarms) > 0 {
			res.FalseAlarms++
		}
	}
	return g.writeJSON(res)
}

// selftestAAResult is what perfgate selftest --aa writes with --json: how
// many runs decided, how many called a false alarm, and each run.
type selftestAAResult struct {
	Trials      int                  `json:"trials"`
	Decided     int                  `json:"decided"`
	FalseAlarms int                  `json:"false_alarms"`
	Verdicts    []selftest.AAVerdict `json:"verdicts"`
}
