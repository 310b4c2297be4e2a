package action

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

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/report"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/internal/text"
	"github.com/perfgate/perfgate/rundir"
)

// CommentMaxBytes keeps a report under a pull request comment's limit of
// 65536 characters.
const CommentMaxBytes = 65000

// Options configure Run.
type Options struct {
	// Dir is the checkout perfgate runs in.
	Dir string
	// Config is the configuration file named on the command line,
	// relative to Dir; the action's config input wins over it.
	Config string
	// Out is the step's output: where the gate's output and progress go,
	// between stop-commands markers, and the runner's commands.
	Out io.Writer
	// Run is the run directory (default: a new one under .perfgate/runs).
	Run string
	// KeepRuns is how many run directories under .perfgate/runs to keep
	// (rundir.Prune).
	KeepRuns int
	// Progress, if set, shows the gate's progress; it must write to Out.
	Progress func(gate.Progress)
}

// Run runs the gate as a step of a GitHub Actions job: it reads the event
// and the inputs, takes the base from the event, runs the gate with the
// pull request's output kept from issuing workflow commands and the
// token out of the environment of its code, writes the Markdown report to
// the job summary and to .perfgate/report.md and the HTML report to the
// run directory, sets the outputs, annotates the worst regressed
// benchmarks, and creates or updates the pull request's comment.
//
// It returns the outcome the step ends with: the verdict's, except that a
// regression is a pass when fail-on-regression is off, and an inconclusive
// verdict is a pass (with a notice). A failure of the gate is an Error
// outcome, reported as the step's error annotation, not an error: the
// error is for what keeps the step from running at all.
func Run(ctx context.Context, a *githubactions.Action, opts Options) (analyze.Outcome, error) {
	in, err := ReadInputs(a)
	if err != nil {
		return analyze.Error, err
	}
	if in.Token != "" {
		a.AddMask(in.Token)
	}
	ev, err := ReadEvent(a)
	if err != nil {
		return analyze.Error, err
	}
	cfgPath := opts.Config
	if in.Config != "" {
		cfgPath = in.Config
	}
	cfg, err := config.Find(opts.Dir, cfgPath)
	if err != nil {
		return analyze.Error, err
	}
	base, err := BaseRevision(ctx, opts.Dir, ev, in)
	if err != nil {
		return analyze.Error, err
	}
	out := opts.Run
	if out == "" {
		d, err := rundir.New(filepath.Join(opts.Dir, rundir.Parent), opts.KeepRuns)
		if err != nil {
			return analyze.Error, err
		}
		out = d.Root()
	}

	// Everything the gate prints carries text from the pull request
	// (benchmark and function names, its services' errors): the runner
	// must not read it as commands. The pull request's code runs without
	// the token and the runner's command files in its environment.
	var res *gate.Result
	var gateErr error
	if err := Untrusted(opts.Out, func() error {
		res, gateErr = gate.Run(ctx, gate.Options{
			Config: cfg, Dir: opts.Dir, Base: base, Out: out, Env: SafeEnv(os.Environ()), Progress: opts.Progress,
			Log: func(format string, args ...any) { fmt.Fprintf(opts.Out, "perfgate: "+format+"\n", args...) },
		})
		if gateErr == nil {
			return report.Text(opts.Out, res.Verdict, false)
		}
		fmt.Fprintf(opts.Out, "perfgate: %s\n", text.OneLine(gateErr.Error()))
		return nil
	}); err != nil {
		return analyze.Error, err
	}

	v := analyze.Failed("")
	if gateErr == nil {
		v = res.Verdict
	} else {
		v.Error = text.OneLine(gateErr.Error())
	}
	reportPath, comment, err := publish(a, ev, v, res, opts.Dir)
	if err != nil {
		return analyze.Error, err
	}
	if in.Comment && ev.Number > 0 {
		url, err := NewClient(a, in.Token).UpsertComment(ctx, ev.Repo, ev.Number, report.DefaultMarker, comment)
		switch {
		case errors.Is(err, ErrForbidden):
			a.Warningf("perfgate cannot comment on this pull request (%v): the report is in the job summary and in %s; a workflow_run workflow can post it with perfgate comment", err, reportPath)
		case err != nil:
			a.Warningf("commenting on the pull request: %v", err)
		default:
			a.Infof("perfgate report: %s\n", url)
		}
	}

	if gateErr != nil {
		a.Errorf("perfgate: %s", v.Error)
		return analyze.Error, nil
	}
	switch v.Verdict {
	case analyze.Regression:
		if in.FailOnRegression {
			return analyze.Regression, nil
		}
		a.Noticef("perfgate found %d regressions; fail-on-regression is off", v.Count(analyze.StatusRegression))
	case analyze.Inconclusive:
		a.Noticef("perfgate is inconclusive: too few samples to tell a change from noise")
	}
	return analyze.Pass, nil
}

// publish writes the reports of v: the Markdown report to the job summary
// and, cut to a comment's size, to the checkout's report file (returned
// with the comment's text), the HTML report to the run directory when
// there is one; it sets the step's outputs and annotates the regressed
// benchmarks on their source lines.
func publish(a *githubactions.Action, ev *Event, v *analyze.Verdict, res *gate.Result, dir string) (reportPath, comment string, err error) {
	commitURL := func(sha string) string { return strings.TrimSuffix(ev.HTMLURL, "/") + "/commit/" + sha }
	if ev.HTMLURL == "" {
		commitURL = nil
	}
	var summary, short bytes.Buffer
	if err := report.Markdown(&summary, v, report.MarkdownOptions{CommitURL: commitURL}); err != nil {
		return "", "", err
	}
	if err := report.Markdown(&short, v, report.MarkdownOptions{CommitURL: commitURL, MaxBytes: CommentMaxBytes}); err != nil {
		return "", "", err
	}
	if err := WriteSummary(a, summary.String()); err != nil {
		a.Warningf("writing the job summary: %v", err)
	}
	reportPath = rundir.ActionReport(dir)
	if err := os.MkdirAll(filepath.Dir(reportPath), 0o755); err != nil {
		return "", "", fmt.Errorf("writing the report: %w", err)
	}
	if err := os.WriteFile(reportPath, short.Bytes(), 0o644); err != nil {
		return "", "", fmt.Errorf("writing the report: %w", err)
	}
	if res != nil {
		if err := writeHTML(res.Dir, v); err != nil {
			a.Warningf("writing the HTML report: %v", err)
		}
	}
	SetOutputs(a, v, reportPath)
	if res != nil {
		head := res.Info.Sides[1]
		var dirs []string
		for _, p := range head.Packages {
			dirs = append(dirs, p.Dir)
		}
		Annotate(a, v, func(benchmark string) (string, int, bool) {
			return LocateBenchmark(head.Tree, dirs, benchmark)
		})
	}
	return reportPath, short.String(), nil
}

// writeHTML writes the run's HTML report into its run directory.
func writeHTML(run rundir.Dir, v *analyze.Verdict) error {
	flames, err := run.ReadFlames(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.HTML(&buf, v, report.HTMLOptions{Title: "perfgate", Flames: flames}); err != nil {
		return err
	}
	return run.WriteFile(rundir.ReportFile, buf.Bytes())
}
