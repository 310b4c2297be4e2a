package main

import (
	"fmt"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/action"
)

func actionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "action",
		Short: "Run the gate inside GitHub Actions (action.yml calls it)",
		Long: `action runs the gate as a step of a GitHub Actions job: it reads the event and the
action's inputs, takes the base from the event, runs perfgate run with the pull
request's output kept from issuing workflow commands, writes the Markdown report to the
job summary and to .perfgate/report.md, sets the outputs, annotates the worst regressed
benchmarks, and creates or updates one pull request comment.`,
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

func commentCmd(g *globals) *cobra.Command {
	var report string
	var pr int
	cmd := &cobra.Command{
		Use:   "comment --report FILE",
		Short: "Post a saved perfgate report as the pull request's comment (from a workflow_run workflow)",
		Long: `comment posts, or updates in place, the pull request comment from a report that
perfgate action saved in a run without the right to comment (a fork's pull request).
It runs in a second, privileged workflow (on: workflow_run), and treats the file as
data: it must be a perfgate report (its first line is perfgate's marker), it is cut to a
comment's size, mentions in it are neutralised, and nothing in it is run. The pull
request is the open one whose head is the workflow run's head commit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a := githubactions.New(githubactions.WithWriter(g.stdout))
			url, err := action.Comment(cmd.Context(), a, g.path(report), pr)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "perfgate report: %s\n", url)
			return nil
		},
	}
	cmd.Flags().StringVar(&report, "report", "", "the Markdown report `FILE` perfgate action saved (.perfgate/report.md)")
	cmd.Flags().IntVar(&pr, "pr", 0, "pull request number (default: from the event)")
	cmd.MarkFlagRequired("report")
	return cmd
}
