package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/analyze"
)

func compareCmd(g *globals) *cobra.Command {
	var thresholds, ignore []string
	var alpha float64
	cmd := &cobra.Command{
		Use:   "compare OLD NEW",
		Short: "Compare two benchmark files, as benchstat does, and decide",
		Long: `compare reads two files in the Go benchmark format (go test -bench output,
benchstat's input), compares every benchmark and unit with benchstat's statistics,
prints a benchstat-like table and decides with the thresholds.

Results are grouped by file configuration as benchstat groups them: results
whose configuration lines (cpu, goos, pkg, ...) differ are not compared, except
for perfgate's own commit and variant keys. --ignore cpu compares across a key,
as benchstat -ignore cpu does; files that share no configuration are an error
that names the keys.`,
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
			if opts.Ignore, err = ignoreKeys(ignore); err != nil {
				return err
			}
			v, err := analyze.Compare(sides[0], sides[1], opts)
			if err != nil {
				var nc *analyze.NoSharedConfigError
				if errors.As(err, &nc) {
					nc.Base, nc.Head, nc.IgnoreFlag = args[0], args[1], "--ignore"
				}
				return fmt.Errorf("comparing %s and %s: %w", args[0], args[1], err)
			}
			v.Base.Ref, v.Head.Ref = args[0], args[1]
			return g.decide(v)
		},
	}
	cmd.Flags().StringArrayVar(&thresholds, "threshold", nil, "threshold of a unit, as `UNIT=PCT` (sec/op=5%); repeatable")
	cmd.Flags().Float64Var(&alpha, "alpha", analyze.DefaultOptions.Alpha, "significance level of each comparison")
	cmd.Flags().StringArrayVar(&ignore, "ignore", nil, "compare across configuration `KEY[,KEY]` (cpu), as benchstat -ignore; repeatable")
	return cmd
}

// ignoreKeys splits --ignore flags into keys.
func ignoreKeys(flags []string) ([]string, error) {
	var keys []string
	for _, f := range flags {
		for k := range strings.SplitSeq(f, ",") {
			if k = strings.TrimSpace(k); k == "" {
				return nil, fmt.Errorf("--ignore %q: want KEY[,KEY], such as cpu", f)
			}
			keys = append(keys, k)
		}
	}
	return keys, nil
}

func readResults(path, label string) (*analyze.Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading benchmark results: %w", err)
	}
	defer f.Close()
	return analyze.ReadResults(f, path, label)
}
