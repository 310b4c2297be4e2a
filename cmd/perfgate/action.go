package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/action"
	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/report"
	"github.com/perfgate/perfgate/gate"
)

// commentMaxBytes keeps a report under a pull request comment's limit of
// 65536 characters.
const commentMaxBytes = 65000

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
			return runAction(cmd.Context(), g, githubactions.New(githubactions.WithWriter(g.stdout), githubactions.WithGetenv(envSnapshot())))
		},
	}
}

// envSnapshot returns a getenv over the environment as it is now: the
// action keeps reading its inputs and the runner's files from it after the
// process environment is cleaned for the pull request's code.
func envSnapshot() githubactions.GetenvFunc {
	env := make(map[string]string)
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

func runAction(ctx context.Context, g *globals, a *githubactions.Action) error {
	in, err := action.ReadInputs(a)
	if err != nil {
		return err
	}
	if in.Token != "" {
		a.AddMask(in.Token)
	}
	// The gate runs the pull request's code: it must not find the token,
	// nor the runner's command files, in its environment.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if len(action.UntrustedEnv([]string{kv})) == 0 {
			os.Unsetenv(k)
		}
	}
	ev, err := action.ReadEvent(a)
	if err != nil {
		return err
	}
	if in.Config != "" {
		g.config = in.Config
	}
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	base, err := action.BaseRevision(ctx, g.dir, ev, in)
	if err != nil {
		return err
	}

	// Everything the gate prints carries text from the pull request
	// (benchmark and function names, its services' errors): the runner
	// must not read it as commands. Progress goes to the same stream.
	var run *gate.Result
	var gateErr error
	quiet := *g
	quiet.stderr = g.stdout
	if err := action.Untrusted(g.stdout, func() error {
		run, gateErr = quiet.gate(ctx, cfg, sideFlags{base: base})
		if gateErr == nil {
			return report.Text(g.stdout, run.Verdict, false)
		}
		fmt.Fprintf(g.stdout, "perfgate: %s\n", oneLine(gateErr.Error()))
		return nil
	}); err != nil {
		return err
	}

	v := &analyze.Verdict{Verdict: analyze.Error, Results: []analyze.Result{}}
	if gateErr == nil {
		v = run.Verdict
	} else {
		v.Error = oneLine(gateErr.Error())
	}
	commitURL := func(sha string) string { return strings.TrimSuffix(ev.HTMLURL, "/") + "/commit/" + sha }
	if ev.HTMLURL == "" {
		commitURL = nil
	}
	var summary, comment bytes.Buffer
	if err := report.Markdown(&summary, v, report.MarkdownOptions{CommitURL: commitURL}); err != nil {
		return err
	}
	if err := report.Markdown(&comment, v, report.MarkdownOptions{CommitURL: commitURL, MaxBytes: commentMaxBytes}); err != nil {
		return err
	}
	if err := action.WriteSummary(a, summary.String()); err != nil {
		a.Warningf("writing the job summary: %v", err)
	}
	reportPath := g.path(filepath.Join(".perfgate", "report.md"))
	if err := os.MkdirAll(filepath.Dir(reportPath), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(reportPath, comment.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if run != nil {
		if err := writeHTML(run.Dir, v); err != nil {
			a.Warningf("writing the HTML report: %v", err)
		}
	}
	action.SetOutputs(a, v, reportPath)
	if run != nil {
		head := run.Info.Sides[1]
		var dirs []string
		for _, p := range head.Packages {
			dirs = append(dirs, p.Dir)
		}
		action.Annotate(a, v, func(benchmark string) (string, int, bool) {
			return action.LocateBenchmark(head.Tree, dirs, benchmark)
		})
	}
	if in.Comment && ev.Number > 0 {
		url, err := action.NewClient(a, in.Token).UpsertComment(ctx, ev.Repo, ev.Number, report.DefaultMarker, comment.String())
		switch {
		case errors.Is(err, action.ErrForbidden):
			a.Warningf("perfgate cannot comment on this pull request (%v): the report is in the job summary and in %s; a workflow_run workflow can post it with perfgate comment", err, reportPath)
		case err != nil:
			a.Warningf("commenting on the pull request: %v", err)
		default:
			a.Infof("perfgate report: %s\n", url)
		}
	}

	if gateErr != nil {
		a.Errorf("perfgate: %s", oneLine(gateErr.Error()))
		return exitErr{exitError}
	}
	switch v.Verdict {
	case analyze.Regression:
		if in.FailOnRegression {
			return exitErr{exitRegression}
		}
		a.Noticef("perfgate found %d regressions; fail-on-regression is off", v.Count(analyze.StatusRegression))
	case analyze.Inconclusive:
		a.Noticef("perfgate is inconclusive: too few samples to tell a change from noise")
	}
	return nil
}

// writeHTML writes the run's HTML report beside its verdict.
func writeHTML(dir string, v *analyze.Verdict) error {
	flames, err := readFlames(dir, v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.HTML(&buf, v, report.HTMLOptions{Title: "perfgate", Flames: flames}); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.html"), buf.Bytes(), 0o644)
}

func commentCmd(g *globals) *cobra.Command {
	var reportFile string
	var number int
	cmd := &cobra.Command{
		Use:   "comment --report FILE",
		Short: "Post a saved perfgate report as the pull request's comment (from a workflow_run workflow)",
		Long: `comment posts, or updates in place, the pull request comment from a report that
perfgate action saved in a run without the right to comment (a fork's pull request).
It runs in a second, privileged workflow (on: workflow_run), and treats the file as data:
it must be a perfgate report (its first line is perfgate's marker), it is cut to a
comment's size, mentions in it are neutralised, and nothing in it is run. The pull
request is the open one whose head is the workflow run's head commit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a := githubactions.New(githubactions.WithWriter(g.stdout))
			ev, err := action.ReadEvent(a)
			if err != nil {
				return err
			}
			body, err := readReport(g.path(reportFile))
			if err != nil {
				return err
			}
			token := a.Getenv("GITHUB_TOKEN")
			if token == "" {
				return errors.New("no GITHUB_TOKEN in the environment to comment with")
			}
			a.AddMask(token)
			client := action.NewClient(a, token)
			n := number
			if n == 0 {
				n = ev.Number
			}
			if n == 0 {
				if ev.HeadSHA == "" {
					return fmt.Errorf("the %s event names no pull request and no head commit: pass --pr", ev.Name)
				}
				if n, err = client.PullRequestForHead(cmd.Context(), ev.Repo, ev.HeadSHA); err != nil {
					return err
				}
			}
			url, err := client.UpsertComment(cmd.Context(), ev.Repo, n, report.DefaultMarker, body)
			if err != nil {
				return fmt.Errorf("commenting on pull request %d: %w", n, err)
			}
			fmt.Fprintf(g.stdout, "perfgate report: %s\n", url)
			return nil
		},
	}
	cmd.Flags().StringVar(&reportFile, "report", "", "the Markdown report `FILE` perfgate action saved (.perfgate/report.md)")
	cmd.Flags().IntVar(&number, "pr", 0, "pull request number (default: from the event)")
	cmd.MarkFlagRequired("report")
	return cmd
}

// readReport reads a saved report as data: it must begin with perfgate's
// marker, is cut to a comment's size, and its @mentions are neutralised
// (a zero-width joiner after the @), since it came from a pull request's
// run.
func readReport(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the report: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, commentMaxBytes))
	if err != nil {
		return "", fmt.Errorf("reading the report: %w", err)
	}
	s := string(bytes.ToValidUTF8(data, nil))
	if !strings.HasPrefix(s, report.DefaultMarker) {
		return "", fmt.Errorf("%s is not a perfgate report (its first line is not %s)", path, report.DefaultMarker)
	}
	return strings.ReplaceAll(s, "@", "@\u200d"), nil
}
