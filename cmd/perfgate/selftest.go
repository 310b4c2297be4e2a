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
	var slowdowns, threshold, out string
	cmd := &cobra.Command{
		Use:   "selftest",
		Short: "Measure the gate: detection and false-alarm rates, beside go test -count=10 + benchstat",
		Long: `selftest makes throwaway repositories whose head is slower by known amounts, runs the
gate and the plain workflow (go test -count=10 on base, then on head, then benchstat with
the same threshold) on each, many times, optionally under a competing CPU load, and prints
per slowdown how often each called it a regression (false alarms at 0%) and the machine
time each verdict cost. It takes a while: about 10 seconds per trial and slowdown.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
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
			if len(verdicts) > 0 {
				if terr := selftest.Table(g.stdout, selftest.Summarize(verdicts)); terr != nil {
					return errors.Join(err, terr)
				}
				if out != "" {
					err = errors.Join(err, selftest.WriteVerdicts(filepath.Join(opts.Dir, "verdicts.json"), verdicts))
				}
			}
			return err
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
	return cmd
}
