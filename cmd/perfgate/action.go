package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/action"
	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/text"
	"github.com/perfgate/perfgate/rundir"
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
the pull request carries the accept label. all (the default): both, in one job.

With --json FILE, it writes the verdict of the run (its verdict.json) to FILE.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a := githubactions.New(githubactions.WithWriter(g.stdout))
			runs := filepath.Join(g.dir, rundir.Parent, "runs")
			before := runNames(runs)
			outcome, err := action.Run(cmd.Context(), a, action.Options{
				Dir: g.dir, Config: g.config, Out: g.stdout, KeepRuns: g.keepRuns, Progress: newProgress(g.stdout).update,
			})
			if err != nil {
				return err
			}
			if g.json != "" {
				if err := g.writeVerdictJSON(actionVerdict(g, a, runs, before)); err != nil {
					return err
				}
			}
			if code := exitOf(outcome, false); code != exitPass {
				return exitErr{code}
			}
			return nil
		},
	}
}

// actionVerdict is the verdict of the run directory action.Run used, or an
// error verdict that says why there is none. The directory is the one
// action.Run chooses: the "run" input (relative to the checkout), else
// .perfgate/run for the measure and publish modes, else the one it made
// under runs, the directory there that was not in before.
func actionVerdict(g *globals, a *githubactions.Action, runs string, before []string) *analyze.Verdict {
	failed := func(err error) *analyze.Verdict {
		return analyze.Failed(text.OneLine(fmt.Sprintf("the action's verdict: %v", err)))
	}
	in, err := action.ReadInputs(a)
	if err != nil {
		return failed(err)
	}
	var dir string
	switch {
	case in.Run != "":
		dir = in.Run
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(g.dir, dir)
		}
	case in.Mode != action.ModeAll:
		dir = filepath.Join(g.dir, rundir.Parent, "run")
	default:
		var made []string
		for _, n := range runNames(runs) {
			if !slices.Contains(before, n) {
				made = append(made, n)
			}
		}
		if len(made) != 1 {
			return failed(fmt.Errorf("%d new run directories in %s, want 1", len(made), runs))
		}
		dir = filepath.Join(runs, made[0])
	}
	run, err := rundir.Open(dir)
	if err != nil {
		return failed(err)
	}
	v, err := run.ReadVerdict()
	if err != nil {
		return failed(err)
	}
	return v
}

// runNames lists the directories in runs, none when it cannot be read.
func runNames(runs string) []string {
	entries, err := os.ReadDir(runs)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}
