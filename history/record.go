// Package history keeps the history of runs in the store and reports on
// it: Record adds a finished run of perfgate bench, run or watch, Import
// adds benchmark files a team already has, and Report finds the commits
// where each benchmark's level changed (analyze/changepoint) and explains
// the regressions with the profiles the neighbouring runs kept.
package history

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
	"golang.org/x/sys/unix"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/proc"
	"github.com/perfgate/perfgate/rundir"
	"github.com/perfgate/perfgate/store"
)

// RunsDir is the directory, in the store's directory, that holds the
// files of the recorded runs (their profiles), one directory each.
const RunsDir = "history"

// Recording is a finished run to record.
type Recording struct {
	// Kind is "bench", "run" or "watch".
	Kind string
	// Run is the run's directory; its run.json, results files and
	// verdict.json are read from it.
	Run rundir.Dir
	// Repo is the git working tree the run measured, where its commits'
	// parents, times and subjects are looked up; "" when there is none
	// (watch's versions are not commits).
	Repo string
	// Branch is the branch the run is recorded on.
	Branch string
}

// Recorded says what Record recorded.
type Recorded struct {
	ID int64
	// Sides are the sides recorded, and Skipped the ones that were not,
	// with why.
	Sides   []string
	Skipped []string
	Results int
	// Profiles counts the profile files kept.
	Profiles int
}

// Record adds the run rec names to st, whose directory is dataDir: its
// machine, its sides' commits and every result's samples, its verdict
// and run.json; it copies the run's profiles into dataDir/history so that
// pruning the run directories loses none of them. A side built from a
// working tree with changes is not recorded (no commit names what it
// measured). Recording the same run twice is refused with
// store.ErrDuplicate.
func Record(ctx context.Context, st *store.Store, dataDir string, rec Recording) (*Recorded, error) {
	info, err := rec.Run.ReadInfo()
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", rec.Run.Root(), err)
	}
	if !info.Complete {
		return nil, fmt.Errorf("recording %s: the run did not finish", rec.Run.Root())
	}
	verdict, err := os.ReadFile(rec.Run.Path("verdict.json"))
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", rec.Run.Root(), err)
	}
	abs, err := filepath.Abs(rec.Run.Root())
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", rec.Run.Root(), err)
	}
	infoJSON, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", rec.Run.Root(), err)
	}
	r := &store.Run{
		Kind:    rec.Kind,
		Source:  "run " + abs + " " + info.Started.UTC().Format(time.RFC3339Nano),
		Branch:  rec.Branch,
		Machine: machineOf(info),
		Verdict: verdict,
		Info:    infoJSON,
	}
	out := &Recorded{}
	for _, side := range info.Sides {
		switch {
		case side.Commit == "":
			out.Skipped = append(out.Skipped, side.Name+" (no commit)")
			continue
		case side.Dirty:
			out.Skipped = append(out.Skipped, side.Name+" (uncommitted changes)")
			continue
		}
		if side.Name == "base" {
			r.Base = side.Commit
		} else {
			r.Head = side.Commit
		}
		c := store.Commit{Hash: side.Commit}
		if rec.Repo != "" {
			c = commitInfo(ctx, rec.Repo, side.Commit)
		}
		r.Commits = append(r.Commits, c)
		results, err := readSide(rec.Run, side)
		if err != nil {
			return nil, err
		}
		r.Results = append(r.Results, results...)
		out.Sides = append(out.Sides, side.Name)
	}
	if len(r.Results) == 0 {
		return nil, fmt.Errorf("recording %s: no results of a committed side to record (%s)", rec.Run.Root(), strings.Join(out.Skipped, ", "))
	}
	out.Results = len(r.Results)

	// A run recorded before is refused before anything is copied: its
	// files stay as they are.
	if id, ok, err := st.RunOf(ctx, r.Source); err != nil {
		return nil, fmt.Errorf("recording %s: %w", rec.Run.Root(), err)
	} else if ok {
		return nil, fmt.Errorf("recording %s: %w as run %d", rec.Run.Root(), store.ErrDuplicate, id)
	}
	// The profiles are copied first, into a directory of their own, then
	// the run is added: a failure removes that directory, and a run in the
	// store always has its files.
	r.Dir = filepath.Join(RunsDir, info.Started.UTC().Format("20060102T150405.000000000Z")+"-"+digest([]byte(r.Source))[:8])
	dst := filepath.Join(dataDir, r.Dir)
	if _, err := os.Stat(dst); err == nil {
		return nil, fmt.Errorf("recording %s: %s exists already (the same run recorded at the same time?)", rec.Run.Root(), dst)
	}
	out.Profiles, err = copyProfiles(rec.Run, info, dst)
	if err != nil || out.Profiles == 0 {
		os.RemoveAll(dst)
		if err != nil {
			return nil, err
		}
		r.Dir = ""
	}
	if err := st.AddRun(ctx, r); err != nil {
		if r.Dir != "" {
			os.RemoveAll(dst)
		}
		return nil, fmt.Errorf("recording %s: %w", rec.Run.Root(), err)
	}
	out.ID = r.ID
	return out, nil
}

// machineOf is the machine a run ran on. The kernel is this one's: a run
// is recorded where it ran, as it ends.
func machineOf(info *rundir.Info) store.Machine {
	m := store.Machine{CPU: info.Host.CPU, Cores: info.Host.NumCPU, OS: info.Host.OS, Arch: info.Host.Arch, Go: goVersion(info.Go)}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	return m
}

// goVersion is the version in the output of "go version": "go1.26.0".
func goVersion(s string) string {
	for _, f := range strings.Fields(s) {
		if strings.HasPrefix(f, "go1") || strings.HasPrefix(f, "devel") {
			return f
		}
	}
	return s
}

// commitInfo looks up a commit's first parent, time and subject in repo;
// what git cannot tell stays empty.
func commitInfo(ctx context.Context, repo, hash string) store.Commit {
	c := store.Commit{Hash: hash}
	out, err := proc.Git(ctx, repo, "show", "-s", "--format=%P%x00%cI%x00%s", hash, "--")
	if err != nil {
		return c
	}
	lines := strings.SplitN(out, "\x00", 3)
	if len(lines) > 0 {
		c.Parent, _, _ = strings.Cut(lines[0], " ")
	}
	if len(lines) > 1 {
		c.Time, _ = time.Parse(time.RFC3339, strings.TrimSpace(lines[1]))
	}
	if len(lines) > 2 {
		c.Subject = strings.TrimSpace(lines[2])
	}
	return c
}

// variantOf is what a side was built with beyond its commit.
func variantOf(side *rundir.Side) string {
	var parts []string
	if len(side.Tags) > 0 {
		parts = append(parts, "tags="+strings.Join(side.Tags, ","))
	}
	keys := make([]string, 0, len(side.Env))
	for k := range side.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+side.Env[k])
	}
	return strings.Join(parts, " ")
}

// readSide reads a side's results file into results of its commit.
func readSide(run rundir.Dir, side *rundir.Side) ([]store.Result, error) {
	path := run.Path(side.Results)
	if side.Results == "" {
		path = run.Path(run.Results(side.Name))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", run.Root(), err)
	}
	defer f.Close()
	rs, err := analyze.ReadResults(f, path, side.Name)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", run.Root(), err)
	}
	g := newGrouper()
	for _, res := range rs.Results {
		g.add(side.Commit, side.Name, variantOf(side), res)
	}
	return g.results, nil
}

// grouper gathers benchmark result lines into one Result per commit,
// benchmark and unit, samples in file order.
type grouper struct {
	results []store.Result
	index   map[[5]string]int
	iters   []float64 // sum of iterations of each result's samples
}

func newGrouper() *grouper { return &grouper{index: map[[5]string]int{}} }

func (g *grouper) add(commit, side, variant string, res *benchfmt.Result) {
	pkg := string(res.GetConfig("pkg"))
	name := string(res.Name.Full())
	for _, v := range res.Values {
		value, unit := v.Value, v.Unit
		if v.OrigUnit == "" {
			value, unit = benchunit.Tidy(v.Value, v.Unit)
		}
		k := [5]string{commit, variant, pkg, name, unit}
		i, ok := g.index[k]
		if !ok {
			i = len(g.results)
			g.index[k] = i
			g.results = append(g.results, store.Result{Commit: commit, Side: side, Variant: variant, Package: pkg, Benchmark: "Benchmark" + name, Unit: unit})
			g.iters = append(g.iters, 0)
		}
		r := &g.results[i]
		r.Values = append(r.Values, value)
		g.iters[i] += float64(res.Iters)
		r.Iters = g.iters[i] / float64(len(r.Values))
	}
}

// copyProfiles copies the files the run's profiles name into dir, a new
// directory, at the same relative paths, and returns how many it copied.
func copyProfiles(run rundir.Dir, info *rundir.Info, dir string) (int, error) {
	if len(info.Profiles) == 0 {
		return 0, nil
	}
	to, err := rundir.Create(dir)
	if err != nil {
		return 0, fmt.Errorf("recording %s: keeping its profiles: %w", run.Root(), err)
	}
	n := 0
	for _, p := range info.Profiles {
		_, k, err := rundir.CopyProfile(run, to, "", p)
		n += k
		if err != nil {
			return n, fmt.Errorf("recording %s: keeping its profiles: %w", run.Root(), err)
		}
	}
	return n, nil
}

// digest is the hex SHA-256 of data.
func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
