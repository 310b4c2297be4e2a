package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/report"
	"github.com/perfgate/perfgate/profiler"
)

func hotCmd(g *globals) *cobra.Command {
	var (
		basePath, diffOut, foldedOut string
		sampleType                   string
		top                          int
		work, baseWork               float64
	)
	cmd := &cobra.Command{
		Use:   "hot PROFILE [--base PROFILE]",
		Short: "The hot functions of a profile, or the functions that grew from a base profile",
		Long: `hot lists the functions of a pprof profile by flat cost, in the order of go tool pprof
-top. With --base, it lists the functions whose flat cost grew from the base profile to
PROFILE, per unit of work: give the work each profile covers (benchmark iterations,
requests) with --work and --base-work, because a fixed-window profile of a slower
program shows unchanged functions as cheaper per second.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			head, err := profiler.Load(g.path(args[0]))
			if err != nil {
				return err
			}
			opts := analyze.HotOptions{SampleType: sampleType, Top: top}
			headSide := analyze.ProfileSide{Profiles: []*profile.Profile{head}, Work: work}
			warnSymbols(g, args[0], head)
			if basePath == "" {
				hot, err := analyze.Rank(headSide, opts)
				if err != nil {
					return err
				}
				if !cmd.Flags().Changed("work") {
					for i := range hot { // the profile's own totals, not per unit of work
						hot[i].Unit = strings.TrimSuffix(hot[i].Unit, "/op")
					}
				}
				return report.HotRank(g.stdout, hot)
			}
			base, err := profiler.Load(g.path(basePath))
			if err != nil {
				return err
			}
			warnSymbols(g, basePath, base)
			baseSide := analyze.ProfileSide{Profiles: []*profile.Profile{base}, Work: baseWork}
			// One diff: the functions listed are ranked from the profile
			// written with --diff.
			diffs, err := analyze.DiffProfiles([]analyze.ProfileSide{baseSide}, []analyze.ProfileSide{headSide}, sampleType)
			if err != nil {
				return err
			}
			hot, err := analyze.Diff(diffs, opts)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("work") || !cmd.Flags().Changed("base-work") {
				fmt.Fprintln(g.stderr, "perfgate: note: without --work and --base-work, the profiles compare as they are, not per unit of work")
			}
			diff := diffs[0].Diff
			if diffOut != "" {
				var buf bytes.Buffer
				if err := diff.Write(&buf); err != nil {
					return err
				}
				if err := os.WriteFile(g.path(diffOut), buf.Bytes(), 0o644); err != nil {
					return err
				}
			}
			if foldedOut != "" {
				var buf bytes.Buffer
				if err := analyze.Folded(&buf, diff, sampleType); err != nil {
					return err
				}
				if err := os.WriteFile(g.path(foldedOut), buf.Bytes(), 0o644); err != nil {
					return err
				}
			}
			return report.HotDiff(g.stdout, hot)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&basePath, "base", "", "base `PROFILE` to compare with")
	fl.IntVar(&top, "top", 10, "how many functions to list (0: all)")
	fl.StringVar(&sampleType, "unit", "", "sample type to rank by: cpu, samples, alloc_space, alloc_objects, inuse_space, inuse_objects (default: the profile's own)")
	fl.Float64Var(&work, "work", 1, "units of work PROFILE covers (iterations, requests)")
	fl.Float64Var(&baseWork, "base-work", 1, "units of work the base profile covers")
	fl.StringVar(&diffOut, "diff", "", "with --base: write the diff as a pprof profile to `FILE`")
	fl.StringVar(&foldedOut, "folded", "", "with --base: write the diff's folded stacks to `FILE`")
	return cmd
}

func warnSymbols(g *globals, name string, p *profile.Profile) {
	if !analyze.Symbolized(p) {
		fmt.Fprintf(g.stderr, "perfgate: note: %s has no symbols: functions are shown as addresses\n", name)
	}
}
