package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/analyze"
)

func compareCmd(g *globals) *cobra.Command {
	var thresholds []string
	var alpha float64
	cmd := &cobra.Command{
		Use:   "compare OLD NEW",
		Short: "Compare two benchmark files, as benchstat does, and decide",
		Long: `compare reads two files in the Go benchmark format (go test -bench output,
benchstat's input), compares every benchmark and unit with benchstat's statistics,
prints a benchstat-like table and decides with the thresholds.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if err := addThresholds(&cfg.Thresholds, thresholds); err != nil {
				return err
			}
			var sides [2]*analyze.Results
			for i, label := range []string{"base", "head"} {
				if sides[i], err = readResults(g.path(args[i]), label); err != nil {
					return err
				}
			}
			opts := analyze.DefaultOptions
			opts.Alpha = alpha
			opts.Thresholds = cfg.Thresholds
			v, err := analyze.Compare(sides[0], sides[1], opts)
			if err != nil {
				return fmt.Errorf("comparing %s and %s: %w", args[0], args[1], err)
			}
			v.Base.Ref, v.Head.Ref = args[0], args[1]
			return g.decide(v)
		},
	}
	cmd.Flags().StringArrayVar(&thresholds, "threshold", nil, "threshold of a unit, as `UNIT=PCT` (sec/op=5%); repeatable")
	cmd.Flags().Float64Var(&alpha, "alpha", analyze.DefaultOptions.Alpha, "significance level of each comparison")
	return cmd
}

func readResults(path, label string) (*analyze.Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading benchmark results: %w", err)
	}
	defer f.Close()
	return analyze.ReadResults(f, path, label)
}
