package main

import (
	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/rundir"
)

func mergeCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge DIR...",
		Short: "Join the run directories of the shards of one run into one verdict",
		Long: `merge joins the run directories of the jobs of a sharded run (perfgate bench
--shard I/N, one per job of a CI matrix) into one run directory, compares all
their results together with the thresholds the shards recorded and the
correction for many results over all of them, explains the regressions from
the shards' profiles, prints the verdict and exits as bench does (0, 1, or 3
with --strict).

The shards must be all of one run: N directories, indexes 1 to N once each, the
same base and head commits, benchmark settings and thresholds, each finished. A
missing shard, a shard of another run or one that did not finish is an error
(exit 2) that names it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs := make([]string, len(args))
			for i, a := range args {
				dirs[i] = g.path(a)
			}
			res, err := gate.Merge(gate.MergeOptions{Dirs: dirs, Out: g.path(out), Parent: g.path(rundir.Parent)})
			if err != nil {
				return err
			}
			return g.decide(res.Verdict, "results: "+res.Dir.Root())
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "merged run `DIR` (default: .perfgate/runs/<time>; merge prunes no runs)")
	return cmd
}
