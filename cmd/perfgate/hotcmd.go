package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/report"
	"github.com/perfgate/perfgate/profiler"
)

// pprofNodeFraction is go tool pprof's default -nodefraction: the functions
// whose cumulative value is under this part of the total are not listed.
const pprofNodeFraction = 0.005

// hotResult is what perfgate hot writes with --json: the functions it
// lists, as it ranks them, with what they were ranked from.
type hotResult struct {
	// Profile and Base are the profiles, as named on the command line;
	// Base is empty without --base.
	Profile string `json:"profile"`
	Base    string `json:"base,omitempty"`
	// SampleType is the sample type ranked ("cpu", "alloc_space"...).
	SampleType string `json:"sample_type"`
	// Work and BaseWork are the units of work the profiles cover (--work,
	// --base-work), 1 when not given.
	Work     float64 `json:"work"`
	BaseWork float64 `json:"base_work,omitempty"`
	// Functions are the functions listed, in order: analyze.Hot values,
	// with their sampled events in head_samples (and base_samples).
	Functions []analyze.Hot `json:"functions"`
}

func hotCmd(g *globals) *cobra.Command {
	var (
		basePath, diffOut, foldedOut string
		sampleType                   string
		top                          int
		work, baseWork               float64
		nodeFraction                 float64
	)
	cmd := &cobra.Command{
		Use:   "hot PROFILE [--base PROFILE]",
		Short: "The hot functions of a profile, or the functions that grew from a base profile",
		Long: `hot lists the functions of a pprof profile by flat cost, in the order of go tool pprof
-top, leaving out those under its node fraction as pprof does. With --base, it lists the
functions whose flat cost grew from the base profile to PROFILE, per unit of work: give
the work each profile covers (benchmark iterations, requests) with --work and
--base-work, because a fixed-window profile of a slower program shows unchanged
functions as cheaper per second.

With --json FILE, it writes the functions listed, with their sampled events (CPU
samples, sampled allocations), as JSON.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if nodeFraction < 0 || math.IsNaN(nodeFraction) || math.IsInf(nodeFraction, 0) {
				return fmt.Errorf("--node-fraction %v: want a fraction, 0 or more", nodeFraction)
			}
			head, err := profiler.Load(g.path(args[0]))
			if err != nil {
				return err
			}
			opts := analyze.HotOptions{SampleType: sampleType, Top: top, NodeFraction: nodeFraction}
			headSide := analyze.ProfileSide{Profiles: []*profile.Profile{head}, Work: work}
			warnSymbols(g, args[0], head)
			res := hotResult{Profile: args[0], Work: work}
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
				res.SampleType, res.Functions = sampleTypeName(head, sampleType), hot
				if err := report.HotRank(g.stdout, hot); err != nil {
					return err
				}
				return g.writeJSON(res)
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
			all := opts
			all.Top = 0 // the node fraction first, then the top
			hot, err := analyze.Diff(diffs, all)
			if err != nil {
				return err
			}
			if hot, err = aboveNodeFraction(hot, diffs[0], sampleType, nodeFraction); err != nil {
				return err
			}
			if top > 0 && len(hot) > top {
				hot = hot[:top]
			}
			if !cmd.Flags().Changed("work") || !cmd.Flags().Changed("base-work") {
				fmt.Fprintln(g.stderr, "perfgate: note: without --work and --base-work, the profiles compare as they are, not per unit of work")
			}
			diff := diffs[0].Diff
			if diffOut != "" {
				var buf bytes.Buffer
				if err := diff.Write(&buf); err != nil {
					return fmt.Errorf("writing the diff profile: %w", err)
				}
				if err := os.WriteFile(g.path(diffOut), buf.Bytes(), 0o644); err != nil {
					return fmt.Errorf("writing the diff profile: %w", err)
				}
			}
			if foldedOut != "" {
				var buf bytes.Buffer
				if err := analyze.Folded(&buf, diff, sampleType); err != nil {
					return err
				}
				if err := os.WriteFile(g.path(foldedOut), buf.Bytes(), 0o644); err != nil {
					return fmt.Errorf("writing the folded stacks: %w", err)
				}
			}
			res.Base, res.BaseWork = basePath, baseWork
			res.SampleType, res.Functions = sampleTypeName(diff, sampleType), hot
			if err := report.HotDiff(g.stdout, hot); err != nil {
				return err
			}
			return g.writeJSON(res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&basePath, "base", "", "base `PROFILE` to compare with")
	fl.IntVar(&top, "top", 10, "how many functions to list (0: all)")
	fl.StringVar(&sampleType, "unit", "", "sample type to rank by: cpu, samples, alloc_space, alloc_objects, inuse_space, inuse_objects (default: the profile's own)")
	fl.Float64Var(&work, "work", 1, "units of work PROFILE covers (iterations, requests)")
	fl.Float64Var(&baseWork, "base-work", 1, "units of work the base profile covers")
	fl.Float64Var(&nodeFraction, "node-fraction", pprofNodeFraction, "leave out the functions whose cumulative cost is under this part of the total, as go tool pprof -nodefraction (0: none)")
	fl.StringVar(&diffOut, "diff", "", "with --base: write the diff as a pprof profile to `FILE`")
	fl.StringVar(&foldedOut, "folded", "", "with --base: write the diff's folded stacks to `FILE`")
	return cmd
}

// aboveNodeFraction keeps the functions of hot, ranked by analyze.Diff from
// d, that go tool pprof -top -diff_base keeps at node fraction fraction:
// pprof applies its -nodefraction to a diff as to any profile
// (report.newTrimmedGraph), with the total the sum of the flat values of
// the diff's graph, the values of its samples with a stack, signed (head's
// positive, base's negative), the cutoff |int64(total × fraction)|, and a
// function kept when the absolute value of its cumulative value in the
// diff, head's plus base's, is at least the cutoff.
func aboveNodeFraction(hot []analyze.Hot, d analyze.ProfileDiff, sampleType string, fraction float64) ([]analyze.Hot, error) {
	if fraction <= 0 || len(hot) == 0 {
		return hot, nil
	}
	vi, err := d.Diff.SampleIndexByName(sampleType)
	if err != nil {
		return nil, fmt.Errorf("ranking hot functions: %w", err)
	}
	var total int64
	for _, s := range d.Diff.Sample {
		if len(s.Location) > 0 {
			total += s.Value[vi]
		}
	}
	cutoff := math.Abs(float64(int64(float64(total) * fraction)))
	kept := hot[:0]
	for _, h := range hot {
		// HeadCum and BaseCum are the cumulative values of each side
		// (base's negated back) over d.Work: the diff's own is an
		// integer, which rounding recovers exactly.
		if cum := math.Round((h.HeadCum - h.BaseCum) * d.Work); math.Abs(cum) >= cutoff {
			kept = append(kept, h)
		}
	}
	return kept, nil
}

// sampleTypeName is the name of the sample type that name ("": the
// default) picks in p, as pprof picks it; name itself when p has none.
func sampleTypeName(p *profile.Profile, name string) string {
	if i, err := p.SampleIndexByName(name); err == nil {
		return p.SampleType[i].Type
	}
	return name
}

func warnSymbols(g *globals, name string, p *profile.Profile) {
	if !analyze.Symbolized(p) {
		fmt.Fprintf(g.stderr, "perfgate: note: %s has no symbols: functions are shown as addresses\n", name)
	}
}
