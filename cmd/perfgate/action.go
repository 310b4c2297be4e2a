package main

import (
	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/action"
)

func actionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "action",
		Short: "Run the gate inside GitHub Actions (action.yml calls it)",
		Long: `action runs the gate as a step of a GitHub Actions job, in the mode of its
"mode" input. measure: take the base from the event and the configuration from the
base commit, run the gate with the pull request's output kept from issuing workflow
commands and the token out of its code's environment, and leave the run directory.
publish: read a run directory as untrusted data and write the job summary, outputs,
annotations and pull request comment from its verdict, and fail on a regression unless
the pull request carries the accept label. all (the default): both, in one job.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			outcome, err := action.Run(cmd.Context(), githubactions.New(githubactions.WithWriter(g.stdout)), action.Options{
				Dir: g.dir, Config: g.config, Out: g.stdout, KeepRuns: g.keepRuns, Progress: newProgress(g.stdout).update,
			})
			if err != nil {
				return err
			}
			if code := exitOf(outcome, false); code != exitPass {
				return exitErr{code}
			}
			return nil
		},
	}
}
