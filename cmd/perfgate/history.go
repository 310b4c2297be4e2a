package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/report"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/history"
	"github.com/perfgate/perfgate/internal/proc"
	"github.com/perfgate/perfgate/rundir"
	"github.com/perfgate/perfgate/store"
)

func historyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "history",
		Short: "The history of recorded runs: import benchmark files, report the change points",
		Long: `history keeps the results of runs recorded with --record (perfgate bench, run
and watch) and of imported benchmark files in the store, perfgate.db in the data
directory (--data, else watch.data: .perfgate), and reports the commits where
each benchmark's level changed.`,
	}
	cmd.AddCommand(historyImportCmd(g), historyReportCmd(g))
	return cmd
}

// dataDir is the data directory a command's --data names, else the
// configuration's watch.data.
func (g *globals) dataDir(flag string) (string, error) {
	if flag != "" {
		return g.path(flag), nil
	}
	cfg, err := g.loadConfig()
	if err != nil {
		return "", err
	}
	return g.path(cfg.Watch.Data), nil
}

func historyImportCmd(g *globals) *cobra.Command {
	var data, branch string
	cmd := &cobra.Command{
		Use:   "import FILE|RUNDIR...",
		Short: "Record benchmark files whose configuration lines name each result's commit, or run directories",
		Long: `import records Go benchmark format files (go test -bench output, benchstat's
input), one run per file. Each result must follow a configuration line
"commit: HASH"; "parent:", "commit-time:" (RFC 3339), "branch:" and "subject:"
lines say more of the commit, and "cpu:", "cores:", "go:", "kernel:", "goos:"
and "goarch:" lines the machine (results of different machines are different
trends). benchseries's "experiment-commit" keys are read too.

All files are read before any is recorded; a file that was imported before, or
cannot be read, is an error (exit 2) and nothing is recorded.

A run directory of perfgate bench or run (one with run.json: an artifact of a CI
job, say) is recorded as --record would have recorded it, its profiles kept.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := g.dataDir(data)
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), dir)
			if err != nil {
				return err
			}
			defer st.Close()
			// Run directories (with their run.json) are recorded as
			// --record records them, one by one; files are imported
			// together.
			var files, runs []string
			for _, a := range args {
				p := g.path(a)
				if _, err := os.Stat(filepath.Join(p, rundir.InfoFile)); err == nil {
					runs = append(runs, p)
				} else {
					files = append(files, p)
				}
			}
			if len(files) > 0 {
				imported, err := history.Import(cmd.Context(), st, files, branch)
				if err != nil {
					return err
				}
				for _, im := range imported {
					fmt.Fprintf(g.stdout, "imported %s: run %d, %d commits, %d results\n", im.File, im.ID, im.Commits, im.Results)
				}
			}
			for _, r := range runs {
				run, err := rundir.Open(r)
				if err != nil {
					return err
				}
				info, err := run.ReadInfo()
				if err != nil {
					return err
				}
				kind := "bench"
				if len(info.Scenarios) > 0 {
					kind = "run"
				}
				b := branch
				if b == "" {
					b = currentBranch(cmd.Context(), g.dir)
				}
				rec, err := history.Record(cmd.Context(), st, dir, history.Recording{Kind: kind, Run: run, Repo: g.dir, Branch: b})
				if err != nil {
					return fmt.Errorf("history import: %w", err)
				}
				fmt.Fprintf(g.stdout, "recorded %s: run %d, %s, %d results, %d profile files\n", r, rec.ID, strings.Join(rec.Sides, " and "), rec.Results, rec.Profiles)
			}
			return st.Close()
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "data `DIR` of the store, perfgate.db (default: watch.data, .perfgate)")
	cmd.Flags().StringVar(&branch, "branch", "", "the `BRANCH` of files without a branch line")
	return cmd
}

func historyReportCmd(g *globals) *cobra.Command {
	var data, branch, since, out, format string
	var minChange float64
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Report the change points of a period, worst first",
		Long: `report finds, in every recorded trend (a benchmark's unit on one machine,
commit by commit), the commits where its level changed: E-Divisive means with a
rank test, made for noisy performance series. The change points of the period
(--since) are reported worst first, each with its commit, the size of the
change and its interval and, when the runs either side kept profiles (runs
recorded with --record profile every result), the functions that grew.

The report is written to --out (default .perfgate/reports/TIME) as report.txt,
report.md, report.html (a trend chart per benchmark with its change points
marked) and history.json; stdout gets the text, or the Markdown with
--format markdown.

Exit codes: 0 no regression in the period; 1 a regression; 2 bad input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var from time.Time
			if since != "" {
				var err error
				if from, err = parseSince(since, time.Now()); err != nil {
					return err
				}
			}
			if format != "text" && format != "markdown" {
				return fmt.Errorf("--format %q: want text or markdown", format)
			}
			dir, err := g.dataDir(data)
			if err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
				return fmt.Errorf("no history in %s: record runs with --record, or import files with perfgate history import", dir)
			}
			st, err := store.Open(ctx, dir)
			if err != nil {
				return err
			}
			defer st.Close()
			if out == "" {
				out = filepath.Join(".perfgate", "reports", time.Now().UTC().Format("20060102T150405Z"))
			}
			out = g.path(out)
			if err := mkdirFresh(out); err != nil {
				return err
			}
			opts := history.ReportOptions{Since: from, Branch: branch, DataDir: dir, Out: out}
			opts.Changes.MinChange = minChange
			h, err := history.Report(ctx, st, opts)
			if err != nil {
				return err
			}
			if err := writeHistory(out, h); err != nil {
				return err
			}
			if format == "markdown" {
				err = report.HistoryMarkdown(g.stdout, h, commitURL())
			} else {
				err = report.HistoryText(g.stdout, h)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "report: %s\n", out)
			if g.json != "" {
				if err := writeFileWith(g.path(g.json), func(f *os.File) error { return report.HistoryJSON(f, h) }); err != nil {
					return err
				}
			}
			if h.Regressions > 0 {
				return exitErr{exitRegression}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&data, "data", "", "data `DIR` of the store, perfgate.db (default: watch.data, .perfgate)")
	fl.StringVar(&branch, "branch", "", "only the runs of `BRANCH` (default: all)")
	fl.StringVar(&since, "since", "", "report the change points from `T` on: an RFC 3339 time, or a duration back from now (168h, 7d)")
	fl.StringVar(&out, "out", "", "report `DIR` (default: .perfgate/reports/TIME)")
	fl.StringVar(&format, "format", "text", "what stdout gets: text or markdown")
	fl.Float64Var(&minChange, "min-change", 0, "smallest relative change reported, as a fraction (default 0.02)")
	return cmd
}

// parseSince reads --since: an RFC 3339 time, or a duration back from now
// ("168h", or days: "7d").
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err == nil && n >= 0 && n <= 100*366 && fmt.Sprint(n) == days {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "-"))
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("--since %q: want an RFC 3339 time or a duration such as 168h or 7d", s)
	}
	return now.Add(-d), nil
}

// mkdirFresh makes dir, which must not exist or be empty.
func mkdirFresh(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty: choose another --out", dir)
	}
	return nil
}

// writeHistory writes the report's files in dir.
func writeHistory(dir string, h *analyze.History) error {
	for name, write := range map[string]func(*os.File) error{
		"report.txt":   func(f *os.File) error { return report.HistoryText(f, h) },
		"report.md":    func(f *os.File) error { return report.HistoryMarkdown(f, h, commitURL()) },
		"report.html":  func(f *os.File) error { return report.HistoryHTML(f, h) },
		"history.json": func(f *os.File) error { return report.HistoryJSON(f, h) },
	} {
		if err := writeFileWith(filepath.Join(dir, name), write); err != nil {
			return err
		}
	}
	return nil
}

// writeFileWith creates path and writes it with write.
func writeFileWith(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// commitURL links commits to GitHub when the workflow's environment says
// where the repository is.
func commitURL() func(string) string {
	server, repo := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY")
	if server == "" || repo == "" {
		return nil
	}
	return func(sha string) string { return server + "/" + repo + "/commit/" + sha }
}

// record records a finished run of the gate in the history store, and
// says so on stderr.
func (g *globals) record(ctx context.Context, sf sideFlags, kind string, res *gate.Result) error {
	dir, err := g.dataDir(sf.data)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, dir)
	if err != nil {
		return fmt.Errorf("recording the run: %w", err)
	}
	defer st.Close()
	rec, err := history.Record(ctx, st, dir, history.Recording{Kind: kind, Run: res.Dir, Repo: g.dir, Branch: currentBranch(ctx, g.dir)})
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("recorded run %d in %s: %s, %d results, %d profile files", rec.ID, filepath.Join(dir, store.FileName), strings.Join(rec.Sides, " and "), rec.Results, rec.Profiles)
	if len(rec.Skipped) > 0 {
		msg += "; not recorded: " + strings.Join(rec.Skipped, ", ")
	}
	fmt.Fprintf(g.stderr, "perfgate: %s\n", msg)
	return st.Close()
}

// pastDurations are the durations of the top-level benchmarks in the
// history store, if there is one, for --shard to balance with.
func (g *globals) pastDurations(ctx context.Context, sf sideFlags) (map[string]float64, error) {
	dir, err := g.dataDir(sf.data)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		return nil, nil // no history: equal shares
	}
	st, err := store.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.Durations(ctx)
}

// currentBranch is the branch a run is recorded on: the pushed branch in
// GitHub Actions, else the checked-out branch, else "".
func currentBranch(ctx context.Context, dir string) string {
	if os.Getenv("GITHUB_REF_TYPE") == "branch" && os.Getenv("GITHUB_REF_NAME") != "" {
		return os.Getenv("GITHUB_REF_NAME")
	}
	b, err := proc.Git(ctx, dir, "symbolic-ref", "--quiet", "--short", "HEAD")
	if err != nil {
		return ""
	}
	return b
}
