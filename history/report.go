package history

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/changepoint"
	"github.com/perfgate/perfgate/gate"
	"github.com/perfgate/perfgate/rundir"
	"github.com/perfgate/perfgate/store"
)

// ReportOptions configure Report.
type ReportOptions struct {
	// Since, when set, keeps the change points of commits from then on.
	Since time.Time
	// Branch keeps the runs of one branch; "" keeps all.
	Branch string
	// DataDir is the store's directory, where the runs' profiles are.
	DataDir string
	// Out is the report's directory: each explained change point's
	// profiles and diffs go in Out/changes/N. "" explains nothing.
	Out string
	// Changes tune the search for change points.
	Changes changepoint.Options
}

// Report finds the change points of every trend st holds and reports the
// ones in the period, worst first. A regression whose neighbouring
// commits both kept profiles of the benchmark is explained with the
// functions that grew between them.
func Report(ctx context.Context, st *store.Store, opts ReportOptions) (*analyze.History, error) {
	trends, err := st.Trends(ctx, store.HistoryQuery{Branch: opts.Branch})
	if err != nil {
		return nil, err
	}
	h := &analyze.History{Schema: analyze.HistorySchemaVersion, Generated: time.Now().UTC(), Since: opts.Since, Branch: opts.Branch}
	short := 0
	type found struct {
		trend int
		c     analyze.Change
		pts   [2]store.TrendPoint // the commits either side
	}
	var all []found
	for _, t := range trends {
		at := analyze.Trend{Series: analyze.Series{Machine: t.Machine.Fingerprint(), Package: t.Package, Benchmark: t.Benchmark, Unit: t.Unit, Variant: t.Variant}}
		x := make([]float64, len(t.Points))
		for i, p := range t.Points {
			x[i] = median(p.Values)
			at.Points = append(at.Points, analyze.TrendPoint{Commit: p.Commit.Hash, Time: p.Commit.Time, Subject: p.Commit.Subject, Value: analyze.Float(x[i]), N: len(p.Values)})
		}
		ti := len(h.Trends)
		h.Trends = append(h.Trends, at)
		points := changepoint.Find(x, opts.Changes)
		if len(points) == 0 && len(x) < 2*max(opts.Changes.MinSize, 3) {
			short++
		}
		for _, cp := range points {
			before, after := t.Points[cp.Index-1], t.Points[cp.Index]
			if !opts.Since.IsZero() && !after.Commit.Time.IsZero() && after.Commit.Time.Before(opts.Since) {
				continue
			}
			c := analyze.Change{
				Series: at.Series,
				Commit: after.Commit.Hash, Previous: before.Commit.Hash, Time: after.Commit.Time, Subject: after.Commit.Subject,
				Before: analyze.Float(cp.Before), After: analyze.Float(cp.After),
				BeforeCommits: cp.Index - cp.From, AfterCommits: cp.To - cp.Index,
				Delta: analyze.Float(cp.Change), Low: analyze.Float(cp.Lo), High: analyze.Float(cp.Hi), P: analyze.Float(cp.P),
				Status: statusOf(t.Unit, cp.Change),
			}
			all = append(all, found{ti, c, [2]store.TrendPoint{before, after}})
		}
	}
	if short > 0 {
		h.Notes = append(h.Notes, fmt.Sprintf("%d of %d trends have too few commits to find a change in (%d at least)", short, len(trends), 2*max(opts.Changes.MinSize, 3)))
	}
	// Worst first: regressions by size, then improvements, then changes
	// of units without a better direction.
	rank := map[analyze.Status]int{analyze.StatusRegression: 0, analyze.StatusImprovement: 1, analyze.StatusChanged: 2}
	slices.SortStableFunc(all, func(a, b found) int {
		return cmp.Or(cmp.Compare(rank[a.c.Status], rank[b.c.Status]),
			cmp.Compare(math.Abs(float64(b.c.Delta)), math.Abs(float64(a.c.Delta))))
	})
	for i, f := range all {
		if f.c.Status == analyze.StatusRegression {
			h.Regressions++
			if opts.Out != "" {
				explainChange(ctx, st, opts, &f.c, f.pts, i+1)
			}
		}
		h.Changes = append(h.Changes, f.c)
		h.Trends[f.trend].Changes = append(h.Trends[f.trend].Changes, i)
	}
	if len(trends) == 0 {
		h.Notes = append(h.Notes, "the history is empty: record runs with --record, or import files with perfgate history import")
	}
	return h, nil
}

// statusOf says whether a change of unit by delta is a regression.
func statusOf(unit string, delta float64) analyze.Status {
	switch analyze.DirectionOf(nil, unit) {
	case analyze.LowerBetter:
		if delta > 0 {
			return analyze.StatusRegression
		}
		return analyze.StatusImprovement
	case analyze.HigherBetter:
		if delta < 0 {
			return analyze.StatusRegression
		}
		return analyze.StatusImprovement
	}
	return analyze.StatusChanged
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// explainChange names the functions that grew between the profiles of
// the commits either side of c, when a recorded run kept the benchmark's
// profiles for both: they are copied into Out/changes/n as the base and
// head of a run, and explained as the gate explains a regression.
func explainChange(ctx context.Context, st *store.Store, opts ReportOptions, c *analyze.Change, pts [2]store.TrendPoint, n int) {
	var kept [2][]keptProfile
	for s := range kept {
		ps, err := profilesOf(ctx, st, opts.DataDir, pts[s], c.Package, c.Benchmark)
		if err != nil {
			c.Why = fmt.Sprintf("no hot functions: %v", err)
			return
		}
		if len(ps) == 0 {
			c.Why = fmt.Sprintf("no recorded profiles of %s at %.12s to explain it (record runs with --record to keep them)", c.Benchmark, pts[s].Commit.Hash)
			return
		}
		kept[s] = ps
	}
	info := &rundir.Info{}
	run, err := rundir.Create(filepath.Join(opts.Out, "changes", strconv.Itoa(n)))
	if err != nil {
		c.Why = fmt.Sprintf("no hot functions: %v", err)
		return
	}
	for s, side := range []string{"base", "head"} {
		for _, p := range kept[s] {
			from, err := rundir.Open(p.dir)
			if err == nil {
				p.Profile, _, err = rundir.CopyProfile(from, run, side, p.Profile)
			}
			if err != nil {
				c.Why = fmt.Sprintf("no hot functions: %v", err)
				return
			}
			p.Side = side
			info.Profiles = append(info.Profiles, p.Profile)
		}
	}
	r := analyze.Result{
		Benchmark: c.Benchmark, Unit: c.Unit, Status: analyze.StatusRegression, Regression: true, Delta: c.Delta,
		Base: &analyze.Summary{Center: float64(c.Before)}, Head: &analyze.Summary{Center: float64(c.After)},
	}
	if c.Package != "" {
		r.Config = analyze.Config{{Key: "pkg", Value: c.Package}}
	}
	v := &analyze.Verdict{Results: []analyze.Result{r}}
	gate.Explain(v, info, run)
	if err := run.WriteInfo(info); err != nil {
		c.Why = fmt.Sprintf("no hot functions: %v", err)
		return
	}
	if len(v.Explanations) == 0 {
		c.Why = "no hot functions"
		return
	}
	e := v.Explanations[0]
	c.Hot = e.Hot
	for _, f := range e.Profiles {
		c.Profiles = append(c.Profiles, filepath.ToSlash(filepath.Join("changes", strconv.Itoa(n), f)))
	}
	if len(c.Hot) == 0 && len(e.Notes) > 0 {
		c.Why = e.Notes[0]
	}
}

// keptProfile is a profile a recorded run kept, in its directory.
type keptProfile struct {
	rundir.Profile
	dir string
}

// profilesOf returns the profiles of benchmark at the commit of pt that
// the newest run measuring it kept.
func profilesOf(ctx context.Context, st *store.Store, dataDir string, pt store.TrendPoint, pkg, benchmark string) ([]keptProfile, error) {
	for _, id := range slices.Backward(pt.Runs) {
		r, err := st.Run(ctx, id)
		if err != nil {
			return nil, err
		}
		if r.Dir == "" || len(r.Info) == 0 {
			continue
		}
		var info rundir.Info
		if err := json.Unmarshal(r.Info, &info); err != nil {
			return nil, fmt.Errorf("run %d: its run.json: %w", id, err)
		}
		side := "head"
		if r.Base == pt.Commit.Hash {
			side = "base"
		}
		var out []keptProfile
		for _, p := range info.Profiles {
			if p.Side == side && p.Benchmark == benchmark && (pkg == "" || p.Package == "" || p.Package == pkg) {
				out = append(out, keptProfile{p, filepath.Join(dataDir, r.Dir)})
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, nil
}
