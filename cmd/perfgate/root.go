package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/report"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/internal/text"
	"github.com/perfgate/perfgate/rundir"
)

// exitCode is the command's exit status: the documented contract.
type exitCode int

// The exit codes.
const (
	exitPass         exitCode = 0 // no regression (inconclusive too, without --strict)
	exitRegression   exitCode = 1 // a regression beyond its threshold
	exitError        exitCode = 2 // bad input or configuration, a failure of the tool or the workload
	exitInconclusive exitCode = 3 // inconclusive, with --strict
)

// exitOf is the exit code of an outcome: the one place a verdict becomes
// a code.
func exitOf(o analyze.Outcome, strict bool) exitCode {
	switch o {
	case analyze.Pass:
		return exitPass
	case analyze.Regression:
		return exitRegression
	case analyze.Inconclusive:
		if strict {
			return exitInconclusive
		}
		return exitPass
	}
	return exitError
}

// exitErr ends a command with an exit code, its reason already told.
type exitErr struct{ code exitCode }

func (e exitErr) Error() string { return fmt.Sprintf("exit %d", e.code) }

// globals are the flags every command shares.
type globals struct {
	dir      string
	config   string
	json     string
	strict   bool
	keepRuns int
	stdout   io.Writer
	stderr   io.Writer
}

// run is the whole command, callable in process by tests: it parses args,
// runs the command and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) exitCode {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "perfgate",
		Short: "A performance-regression gate for Go benchmarks and services",
		Long: `perfgate measures the base and head of a change, compares them with benchstat's
statistics and fails when a regression is real.

Exit codes: 0 no regression; 1 a regression beyond its threshold; 2 bad input,
bad config or a failure of the tool or the workload; 3 inconclusive (only with
--strict; otherwise inconclusive exits 0 and says so).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.dir, "dir", "C", ".", "run as if perfgate was started in `DIR`")
	pf.StringVar(&g.config, "config", "", "configuration `FILE` (default: perfgate.yml in DIR, if present)")
	pf.StringVar(&g.json, "json", "", "write the command's result (a verdict, for the commands that decide) as JSON to `FILE`")
	pf.BoolVar(&g.strict, "strict", false, "exit 3 when the verdict is inconclusive")
	pf.IntVar(&g.keepRuns, "keep-runs", rundir.DefaultKeep, "run directories to keep under .perfgate/runs, the newest (0: all)")
	root.AddCommand(compareCmd(g), benchCmd(g), runCmd(g), loadCmd(g), hotCmd(g), reportCmd(g), actionCmd(g), selftestCmd(g), watchCmd(g), mergeCmd(g), historyCmd(g))

	err := root.ExecuteContext(ctx)
	var ee exitErr
	switch {
	case err == nil:
		return exitPass
	case errors.As(err, &ee):
		return ee.code
	}
	if ctx.Err() != nil && !strings.Contains(err.Error(), "interrupt") {
		err = fmt.Errorf("interrupted: %w", err)
	}
	reason := text.OneLine(err.Error())
	// The reason may quote the code under test (a panic, a service's
	// log): its control characters are shown, not sent to the terminal.
	fmt.Fprintf(stderr, "perfgate: %s\n", text.Terminal(reason))
	if g.json != "" {
		if werr := rundir.WriteVerdict(g.path(g.json), analyze.Failed(reason)); werr != nil {
			fmt.Fprintf(stderr, "perfgate: %s\n", text.OneLine(werr.Error()))
		}
	}
	return exitError
}

// path resolves a path given on the command line against --dir.
func (g *globals) path(p string) string {
	if filepath.IsAbs(p) || p == "" {
		return p
	}
	return filepath.Join(g.dir, p)
}

// runDir returns the run directory --out names, or a new one under
// .perfgate/runs (pruned to --keep-runs) when it names none.
func (g *globals) runDir(out string) (string, error) {
	if out != "" {
		return g.path(out), nil
	}
	d, err := rundir.New(g.path(rundir.Parent), g.keepRuns)
	if err != nil {
		return "", err
	}
	return d.Root(), nil
}

// loadConfig reads --config, or perfgate.yml in --dir when it exists, or
// returns the defaults.
func (g *globals) loadConfig() (*config.Config, error) {
	return config.Find(g.dir, g.config)
}

// addThresholds applies --threshold UNIT=PCT flags to t.
func addThresholds(t *analyze.Thresholds, flags []string) error {
	for _, f := range flags {
		unit, pct, ok := strings.Cut(f, "=")
		if !ok || unit == "" {
			return fmt.Errorf("--threshold %q: want UNIT=PCT, such as sec/op=5%%", f)
		}
		p, err := analyze.ParsePercent(pct)
		if err != nil {
			return fmt.Errorf("--threshold %q: %w", f, err)
		}
		t.Units[analyze.TidyUnit(unit)] = p
	}
	return nil
}

// writeJSON writes v, the command's machine-readable result, as indented
// JSON to the file --json names, if it names one.
func (g *globals) writeJSON(v any) error {
	if g.json == "" {
		return nil
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("writing --json %s: %w", g.json, err)
	}
	if err := os.WriteFile(g.path(g.json), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing --json: %w", err)
	}
	return nil
}

// writeVerdictJSON writes v to the file --json names, if it names one, in
// the verdict schema.
func (g *globals) writeVerdictJSON(v *analyze.Verdict) error {
	if g.json == "" {
		return nil
	}
	return rundir.WriteVerdict(g.path(g.json), v)
}

// decide prints v (in color on a terminal), writes it where --json says,
// and turns it into the command's outcome.
func (g *globals) decide(v *analyze.Verdict, extra ...string) error {
	f, isFile := g.stdout.(*os.File)
	color := isFile && term.IsTerminal(int(f.Fd()))
	if err := report.Text(g.stdout, v, color); err != nil {
		return err
	}
	if err := g.writeVerdictJSON(v); err != nil {
		return err
	}
	for _, e := range extra {
		fmt.Fprintln(g.stdout, e)
	}
	if v.Verdict == analyze.Inconclusive && !g.strict {
		fmt.Fprintln(g.stderr, "perfgate: inconclusive, exiting 0 (use --strict to exit 3)")
	}
	if code := exitOf(v.Verdict, g.strict); code != exitPass {
		return exitErr{code}
	}
	return nil
}
