package main

import (
	"context"
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
	"github.com/perfgate/perfgate/gate"
)

// Exit codes, the documented contract of the command.
const (
	exitPass         = 0
	exitRegression   = 1
	exitError        = 2
	exitInconclusive = 3
)

// exitErr carries an exit code other than exitError up to run.
type exitErr struct{ code int }

func (e exitErr) Error() string { return fmt.Sprintf("exit %d", e.code) }

// globals are the flags every command shares.
type globals struct {
	dir    string
	config string
	json   string
	strict bool
	stdout io.Writer
	stderr io.Writer
}

// run is the whole command, callable in process by tests: it parses args,
// runs the command and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "perfgate",
		Short: "A performance-regression gate for Go benchmarks",
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
	pf.StringVar(&g.json, "json", "", "write the verdict as JSON to `FILE`")
	pf.BoolVar(&g.strict, "strict", false, "exit 3 when the verdict is inconclusive")
	root.AddCommand(compareCmd(g), benchCmd(g), runCmd(g), loadCmd(g), hotCmd(g), reportCmd(g), actionCmd(g), commentCmd(g), selftestCmd(g))

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
	fmt.Fprintf(stderr, "perfgate: %s\n", oneLine(err.Error()))
	if g.json != "" {
		v := &analyze.Verdict{Verdict: analyze.Error, Error: oneLine(err.Error()), Results: []analyze.Result{}}
		if werr := gate.WriteVerdict(g.path(g.json), v); werr != nil {
			fmt.Fprintf(stderr, "perfgate: %s\n", oneLine(werr.Error()))
		}
	}
	return exitError
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// path resolves a path given on the command line against --dir.
func (g *globals) path(p string) string {
	if filepath.IsAbs(p) || p == "" {
		return p
	}
	return filepath.Join(g.dir, p)
}

// loadConfig reads --config, or perfgate.yml in --dir when it exists, or
// returns the defaults.
func (g *globals) loadConfig() (*config.Config, error) {
	path := g.config
	if path == "" {
		p := g.path("perfgate.yml")
		if _, err := os.Stat(p); err != nil {
			c := config.Default
			c.Bench.Packages = append([]string(nil), c.Bench.Packages...)
			c.Thresholds = config.DefaultThresholds()
			return &c, nil
		}
		path = p
	} else {
		path = g.path(path)
	}
	return config.Load(path)
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

// decide prints v (in color on a terminal), writes it where --json says,
// and turns it into the command's outcome.
func (g *globals) decide(v *analyze.Verdict, extra ...string) error {
	f, isFile := g.stdout.(*os.File)
	color := isFile && term.IsTerminal(int(f.Fd()))
	if err := report.Text(g.stdout, v, color); err != nil {
		return err
	}
	if g.json != "" {
		if err := gate.WriteVerdict(g.path(g.json), v); err != nil {
			return err
		}
	}
	for _, e := range extra {
		fmt.Fprintln(g.stdout, e)
	}
	switch v.Verdict {
	case analyze.Regression:
		return exitErr{exitRegression}
	case analyze.Inconclusive:
		if g.strict {
			return exitErr{exitInconclusive}
		}
		fmt.Fprintln(g.stderr, "perfgate: inconclusive, exiting 0 (use --strict to exit 3)")
	}
	return nil
}
