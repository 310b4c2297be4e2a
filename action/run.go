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
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/history"
	"github.com/perfgate/perfgate/internal/proc"
	"github.com/perfgate/perfgate/internal/text"
	"github.com/perfgate/perfgate/rundir"
	"github.com/perfgate/perfgate/store"
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
	// KeepRuns is how many run directories under .perfgate/runs to keep
	// (rundir.Prune).
	KeepRuns int
	// Progress, if set, shows the gate's progress; it must write to Out.
	Progress func(gate.Progress)
}

// Run is a perfgate action step, in the mode its inputs say (Mode):
// measuring, publishing, or both.
//
// Measuring reads the event and takes the base from it, reads the
// configuration of the base commit (a pull request does not choose its
// own gate), and runs the gate with the pull request's output kept from
// issuing workflow commands and the token out of the environment of its
// code; it leaves the run directory, verdict.json included, whatever
// happened.
//
// Publishing reads a run directory as untrusted data and, from its
// verdict, writes the Markdown report to the job summary and to
// .perfgate/report.md and the HTML report into the run directory, sets the
// outputs, annotates the worst regressed benchmarks, creates or updates the
// pull request's comment, and reads the accept label.
//
// Run returns the outcome the step ends with: the verdict's, except that a
// regression is a pass when fail-on-regression is off or the pull request
// carries the accept label, and an inconclusive verdict is a pass (with a
// notice); a measuring step that is not also publishing passes unless the
// gate failed. A failure of the gate is an Error outcome, reported as the
// step's error annotation; the error is for what keeps the step from
// running at all, which is reported too.
func Run(ctx context.Context, a *githubactions.Action, opts Options) (analyze.Outcome, error) {
	in, err := ReadInputs(a)
	if err != nil {
		return stop(a, err)
	}
	if in.Token != "" {
		a.AddMask(in.Token)
	}
	ev, err := ReadEvent(a)
	if err != nil {
		return stop(a, err)
	}
	out := in.Run
	switch {
	case out != "":
		if !filepath.IsAbs(out) {
			out = filepath.Join(opts.Dir, out)
		}
	case in.Mode == ModeAll:
		d, err := rundir.New(filepath.Join(opts.Dir, rundir.Parent), opts.KeepRuns)
		if err != nil {
			return stop(a, err)
		}
		out = d.Root()
	default:
		out = filepath.Join(opts.Dir, rundir.Parent, "run")
	}
	if in.Mode == ModePublish {
		run, err := rundir.Open(out)
		if err != nil {
			return stop(a, fmt.Errorf("the run to publish: %w", err))
		}
		return publish(ctx, a, in, ev, run, opts.Dir)
	}
	run, err := measure(ctx, in, ev, opts, out)
	if err != nil {
		return stop(a, err)
	}
	if in.Mode == ModeMeasure {
		v, err := run.ReadVerdict()
		if err != nil {
			return stop(a, err)
		}
		if v.Verdict == analyze.Error {
			a.Errorf("perfgate: %s", v.Error)
			return analyze.Error, nil
		}
		return analyze.Pass, nil
	}
	return publish(ctx, a, in, ev, run, opts.Dir)
}

// stop reports a step that cannot run: the job summary, the verdict
// output and an error annotation say why, so that it reaches GitHub's
// interface, and the error ends the command.
func stop(a *githubactions.Action, err error) (analyze.Outcome, error) {
	v := analyze.Failed(text.OneLine(err.Error()))
	var md bytes.Buffer
	if rerr := report.Markdown(&md, v, report.MarkdownOptions{}); rerr == nil {
		if werr := WriteSummary(a, md.String()); werr != nil {
			a.Warningf("writing the job summary: %v", werr)
		}
	}
	SetOutputs(a, v, "")
	a.Errorf("perfgate: %s", v.Error)
	return analyze.Error, err
}

// measure runs the gate into the run directory out, with the base's
// configuration, and leaves verdict.json there whatever happens: the
// gate's verdict, or an error verdict that says why there is none. Its
// error is for what stopped it before the gate ran (a base it cannot
// take, a configuration it cannot read) or a run directory it cannot
// make.
func measure(ctx context.Context, in Inputs, ev *Event, opts Options, out string) (rundir.Dir, error) {
	run, err := rundir.Create(out)
	if err != nil {
		return rundir.Dir{}, err
	}
	failed := func(err error) error {
		if werr := run.WriteVerdict(analyze.Failed(text.OneLine(err.Error()))); werr != nil {
			return errors.Join(err, werr)
		}
		return err
	}
	base, err := BaseRevision(ctx, opts.Dir, ev, in)
	if err != nil {
		return run, failed(err)
	}
	cfgPath := opts.Config
	if in.Config != "" {
		cfgPath = in.Config
	}
	cfg, notes, err := baseConfig(ctx, opts.Dir, base, cfgPath)
	if err != nil {
		return run, failed(err)
	}
	// Everything the gate prints carries text from the pull request
	// (benchmark and function names, its services' errors): the runner
	// must not read it as commands. The pull request's code runs without
	// the token and the runner's command files in its environment.
	record := Recording(in, ev)
	if record {
		// A change point found later is explained from the runs either
		// side: a recorded run profiles every result.
		cfg.Bench.Profile, cfg.Bench.ProfileAll = true, true
	}
	var res *gate.Result
	err = Untrusted(opts.Out, func() error {
		var err error
		res, err = gate.Run(ctx, gate.Options{
			Config: cfg, Dir: opts.Dir, Base: base, Out: run.Root(), Env: SafeEnv(os.Environ()), Progress: opts.Progress,
			Notes: notes,
			Log:   func(format string, args ...any) { fmt.Fprintf(opts.Out, "perfgate: "+format+"\n", args...) },
		})
		if err != nil {
			fmt.Fprintf(opts.Out, "perfgate: %s\n", text.OneLine(err.Error()))
			return failed(err)
		}
		return report.Text(opts.Out, res.Verdict, false)
	})
	if record && err == nil && res != nil {
		// The default branch's own commits: recorded on the trusted side
		// of the job. A run that cannot be recorded keeps its verdict.
		if rerr := recordRun(ctx, opts, in, ev, res); rerr != nil {
			fmt.Fprintf(opts.Out, "perfgate: the run was not recorded: %s\n", text.OneLine(rerr.Error()))
		}
	}
	if _, verr := os.Stat(run.Path(rundir.VerdictFile)); verr != nil {
		// No verdict: the gate's failure is the run's verdict.
		return run, err
	}
	return run, nil
}

// publish reports the run's verdict to GitHub: see Run. What the run
// directory holds is untrusted data: the verdict is read and checked
// (rundir.ReadVerdict), every name in it goes out through the renderers'
// escaping, and only files inside the run directory are read.
func publish(ctx context.Context, a *githubactions.Action, in Inputs, ev *Event, run rundir.Dir, dir string) (analyze.Outcome, error) {
	v, err := run.ReadVerdict()
	if err != nil {
		v = analyze.Failed(text.OneLine(err.Error()))
	}
	client := NewClient(a, in.Token)
	number := ev.Number
	if number == 0 && ev.Name == "workflow_run" && ev.HeadSHA != "" && (in.Comment || in.AcceptLabel != "") {
		if number, err = client.PullRequestForHead(ctx, ev.Repo, ev.HeadSHA); err != nil {
			a.Warningf("perfgate: %v", err)
		}
	}
	accepted := ""
	if v.Verdict == analyze.Regression && in.AcceptLabel != "" && number > 0 {
		by, err := client.LabeledBy(ctx, ev.Repo, number, in.AcceptLabel)
		switch {
		case err != nil:
			a.Warningf("perfgate: reading the accept label: %v", err)
		case by != "":
			accepted = fmt.Sprintf("%d regressions accepted by %s with the label %q: they do not fail the check",
				v.Count(analyze.StatusRegression), by, in.AcceptLabel)
			v.Notes = append([]string{accepted}, v.Notes...)
		}
	}

	reportPath, comment, err := writeReports(a, ev, v, run, dir)
	if err != nil {
		return analyze.Error, err
	}
	if in.Comment && number > 0 {
		url, err := client.UpsertComment(ctx, ev.Repo, number, report.DefaultMarker, comment)
		switch {
		case errors.Is(err, ErrForbidden):
			a.Warningf("perfgate cannot comment on this pull request (%v): the report is in the job summary and in %s; publish it from a workflow_run workflow (mode: publish)", err, reportPath)
		case err != nil:
			a.Warningf("commenting on the pull request: %v", err)
		default:
			a.Infof("perfgate report: %s\n", url)
		}
	}

	switch v.Verdict {
	case analyze.Error:
		a.Errorf("perfgate: %s", v.Error)
		return analyze.Error, nil
	case analyze.Regression:
		switch {
		case accepted != "":
			a.Noticef("perfgate: %s", accepted)
		case !in.FailOnRegression:
			a.Noticef("perfgate found %d regressions; fail-on-regression is off", v.Count(analyze.StatusRegression))
		default:
			return analyze.Regression, nil
		}
	case analyze.Inconclusive:
		a.Noticef("perfgate is inconclusive: too few samples to tell a change from noise")
	}
	return analyze.Pass, nil
}

// writeReports writes the reports of v: the Markdown report to the job
// summary and, cut to a comment's size, to the checkout's report file
// (returned with the comment's text), the HTML report into the run
// directory; it sets the step's outputs and annotates the regressed
// benchmarks on their source lines in the checkout holding dir.
func writeReports(a *githubactions.Action, ev *Event, v *analyze.Verdict, run rundir.Dir, dir string) (reportPath, comment string, err error) {
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
	if err := writeHTML(run, v); err != nil {
		a.Warningf("writing the HTML report: %v", err)
	}
	SetOutputs(a, v, reportPath)
	// The benchmarks' packages, from run.json (data like the rest):
	// LocateBenchmark reads Go files inside dir only.
	var dirs []string
	if info, err := run.ReadInfo(); err == nil && len(info.Sides) == 2 && info.Sides[1] != nil {
		for _, p := range info.Sides[1].Packages {
			dirs = append(dirs, p.Dir)
		}
	}
	root := dir
	if top, err := proc.Git(context.Background(), dir, "rev-parse", "--show-toplevel"); err == nil {
		root = top
	}
	Annotate(a, v, func(benchmark string) (string, int, bool) {
		return LocateBenchmark(root, dirs, benchmark)
	})
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

// Recording reports whether a measured run is recorded in the history:
// as the record input says, and by default on pushes to the repository's
// default branch.
func Recording(in Inputs, ev *Event) bool {
	switch in.Record {
	case RecordAlways:
		return true
	case RecordNever:
		return false
	}
	return ev.Name == "push" && ev.DefaultBranch != "" && ev.HeadRef == ev.DefaultBranch
}

// recordRun records the gate's run in the store in the data input's
// directory, and says so.
func recordRun(ctx context.Context, opts Options, in Inputs, ev *Event, res *gate.Result) error {
	dir := in.Data
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(opts.Dir, dir)
	}
	st, err := store.Open(ctx, dir)
	if err != nil {
		return fmt.Errorf("recording the run: %w", err)
	}
	defer st.Close()
	branch := ev.HeadRef
	rec, err := history.Record(ctx, st, dir, history.Recording{Kind: "run", Run: res.Dir, Repo: opts.Dir, Branch: branch})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, "perfgate: recorded run %d in %s (%s, %d results)\n", rec.ID, filepath.Join(dir, store.FileName), strings.Join(rec.Sides, " and "), rec.Results)
	return st.Close()
}
