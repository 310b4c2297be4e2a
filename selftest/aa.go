package selftest

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/rundir"
)

// AAOptions configure AA.
type AAOptions struct {
	// Config is the configuration measured; both sides become its base
	// side.
	Config *config.Config
	// Dir is the directory perfgate runs in (the repository).
	Dir string
	// Trials is the number of runs.
	Trials int
	// Out holds a run directory per trial.
	Out string
	// Progress, if set, is told of each verdict.
	Progress func(AAVerdict)
}

// AAVerdict is one run of the gate with both sides the same.
type AAVerdict struct {
	Trial   int             `json:"trial"`
	Outcome analyze.Outcome `json:"outcome"`
	// Decided says that no result that decides was left inconclusive:
	// every benchmark's, and of a load scenario its response time,
	// throughput and capacity (its services' CPU time and memory do not
	// decide, as they do not decide when its rounds stop).
	Decided bool `json:"decided"`
	// Undecided are the results that decide left inconclusive, and
	// FalseAlarms those called regressions ("benchmark unit").
	Undecided   []string `json:"undecided,omitempty"`
	FalseAlarms []string `json:"false_alarms,omitempty"`
	// Rounds is the most rounds a side ran of any benchmark or scenario.
	Rounds  int     `json:"rounds"`
	Seconds float64 `json:"seconds"`
}

// AA runs the gate Trials times on opts.Config with its head side replaced
// by its base side, so that any regression is a false alarm and any
// result left inconclusive a run that could not decide. Both sides are the
// base side's ref (Config.Base when it has none, else HEAD), each in a
// worktree of its own.
func AA(ctx context.Context, opts AAOptions) ([]AAVerdict, error) {
	if err := rundir.MkdirEmpty(opts.Out); err != nil {
		return nil, fmt.Errorf("selftest's directory: %w", err)
	}
	cfg := *opts.Config
	ref := cfg.Sides.Base.Ref
	if ref == "" {
		ref = cfg.Base
	}
	if ref == "" {
		ref = "HEAD"
	}
	cfg.Sides.Base.Ref = ref
	cfg.Sides.Head = cfg.Sides.Base
	var vs []AAVerdict
	for trial := 1; trial <= opts.Trials; trial++ {
		start := time.Now()
		out := filepath.Join(opts.Out, fmt.Sprintf("run-%02d", trial))
		res, err := gate.Run(ctx, gate.Options{Config: &cfg, Dir: opts.Dir, Base: ref, Out: out})
		if err != nil {
			return vs, fmt.Errorf("A/A trial %d: %w", trial, err)
		}
		v := judgeAA(res.Verdict, res.Info)
		v.Trial, v.Seconds = trial, time.Since(start).Seconds()
		vs = append(vs, v)
		if opts.Progress != nil {
			opts.Progress(v)
		}
	}
	return vs, nil
}

// judgeAA reads one A/A verdict.
func judgeAA(v *analyze.Verdict, info *rundir.Info) AAVerdict {
	a := AAVerdict{Outcome: v.Verdict}
	for _, r := range v.Results {
		name := r.Benchmark + " " + r.Unit
		if r.Regression {
			a.FalseAlarms = append(a.FalseAlarms, name)
		}
		if (r.Status == analyze.StatusInconclusive || r.Status == analyze.StatusTooFewSamples) && decides(r) {
			a.Undecided = append(a.Undecided, name)
		}
	}
	a.Decided = len(a.Undecided) == 0 && len(a.FalseAlarms) == 0
	rounds := map[string]int{}
	for _, r := range info.Measured {
		rounds["bench "+r.Side]++
	}
	for _, r := range info.Load {
		if r.DriverBound == "" {
			rounds[r.Scenario+" "+r.Side]++
		}
	}
	for _, n := range rounds {
		a.Rounds = max(a.Rounds, n)
	}
	return a
}

// decides reports whether r is a result that decides: a benchmark's, or a
// load scenario's response time, throughput or capacity.
func decides(r analyze.Result) bool {
	if _, ok := analyze.ParseLoadName(r.Benchmark); ok {
		return !slices.Contains([]string{"cpu-sec/op", "peak-rss-B", "peak-inflight"}, r.Unit)
	}
	return true
}

// AATable writes the A/A verdicts as a table, each run and the total: how
// many decided (a pass with nothing that decides left open), how many
// false alarms.
func AATable(w io.Writer, vs []AAVerdict) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "trial\toutcome\tdecided\trounds\tseconds\tundecided or false alarms")
	decided, alarms, secs := 0, 0, 0.0
	for _, v := range vs {
		why := append(slices.Clone(v.FalseAlarms), v.Undecided...)
		fmt.Fprintf(tw, "%d\t%s\t%v\t%d\t%.1f\t%v\n", v.Trial, v.Outcome, v.Decided, v.Rounds, v.Seconds, why)
		if v.Decided {
			decided++
		}
		if len(v.FalseAlarms) > 0 {
			alarms++
		}
		secs += v.Seconds
	}
	if len(vs) > 0 {
		fmt.Fprintf(tw, "all\t\t%d of %d\t\t%.1f mean\t%d with a false alarm\n", decided, len(vs), secs/float64(len(vs)), alarms)
	}
	return tw.Flush()
}
