package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The history of runs: every recorded run of perfgate bench, run and
// watch, and every imported benchmark file, with the machine it ran on,
// the commits it measured and every result's samples. perfgate history
// reads it back as series, one per benchmark, unit and machine, in commit
// order.

// ErrDuplicate is the error of AddRun for a run whose source is already
// recorded: the same run directory recorded twice, or the same file
// imported twice. Nothing is changed.
var ErrDuplicate = errors.New("already recorded")

// Machine is what the figures of a run depend on besides the code: runs
// on machines with different fingerprints are different series.
type Machine struct {
	CPU    string
	Cores  int
	Go     string
	Kernel string
	OS     string
	Arch   string
}

// Fingerprint is the machine's identity for its series: every field, so
// that a new Go or kernel starts new series rather than a change point.
func (m Machine) Fingerprint() string {
	return fmt.Sprintf("%s; %d cores; %s; %s/%s; kernel %s", orUnknown(m.CPU), m.Cores, orUnknown(m.Go), orUnknown(m.OS), orUnknown(m.Arch), orUnknown(m.Kernel))
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// Commit is a commit a run measured.
type Commit struct {
	Hash string
	// Parent is its first parent, "" when unknown or none.
	Parent string
	// Time is its commit time, zero when unknown.
	Time    time.Time
	Subject string
}

// Result is one benchmark's samples of one unit, on one side of a run.
type Result struct {
	Commit string
	// Side is "base" or "head" of a run, "" for an import.
	Side string
	// Variant is the side's configuration beyond its commit (build tags,
	// environment), "" for none.
	Variant   string
	Package   string
	Benchmark string
	Unit      string
	Values    []float64
	// Iters is the mean number of iterations of a sample, 0 when unknown.
	Iters float64
}

// Run is a recorded run.
type Run struct {
	// ID identifies a stored run; AddRun sets it.
	ID int64
	// Kind is "bench", "run", "watch" or "import".
	Kind string
	// Source identifies what the run was recorded from, uniquely: a run
	// directory and its start, an imported file's digest.
	Source   string
	Recorded time.Time
	Branch   string
	Machine  Machine
	// Base and Head are the commits the run compared; an import has
	// only Head.
	Base, Head string
	// Dir holds the run's files (its profiles), relative to the store's
	// directory, "" when none were kept.
	Dir string
	// Verdict and Info are the run's verdict.json and run.json.
	Verdict, Info []byte
	// Commits are the commits of Results.
	Commits []Commit
	Results []Result
}

// AddRun records r, its commits and results in one transaction, and sets
// r.ID. A run whose Source is recorded already is refused with
// ErrDuplicate; a commit recorded before keeps what was known of it, with
// what was not filled in.
func (s *Store) AddRun(ctx context.Context, r *Run) error { return s.AddRuns(ctx, r) }

// AddRuns records runs as AddRun does, all in one transaction: all or
// none.
func (s *Store) AddRuns(ctx context.Context, runs ...*Run) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: recording a run: %w", err)
	}
	defer tx.Rollback()
	ids := make([]int64, len(runs))
	for i, r := range runs {
		if ids[i], err = addRun(ctx, tx, r); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: recording a run: %w", err)
	}
	for i, r := range runs {
		r.ID = ids[i]
	}
	return nil
}

// RunOf returns the run recorded from source, if there is one.
func (s *Store) RunOf(ctx context.Context, source string) (id int64, ok bool, err error) {
	switch err := s.r.QueryRowContext(ctx, `SELECT id FROM runs WHERE source = ?`, source).Scan(&id); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("store: reading runs: %w", err)
	}
	return id, true, nil
}

func addRun(ctx context.Context, tx *sql.Tx, r *Run) (int64, error) {
	switch r.Kind {
	case "bench", "run", "watch", "import":
	default:
		return 0, fmt.Errorf("store: recording a run: unknown kind %q", r.Kind)
	}
	if r.Source == "" {
		return 0, errors.New("store: recording a run: no source")
	}
	if r.Recorded.IsZero() {
		r.Recorded = time.Now()
	}
	var id int64
	switch err := tx.QueryRowContext(ctx, `SELECT id FROM runs WHERE source = ?`, r.Source).Scan(&id); {
	case err == nil:
		return 0, fmt.Errorf("%w as run %d", ErrDuplicate, id)
	case !errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("store: recording a run: %w", err)
	}
	m := r.Machine
	if _, err := tx.ExecContext(ctx, `INSERT INTO machines (fingerprint, cpu, cores, go, kernel, os, arch) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (fingerprint) DO NOTHING`, m.Fingerprint(), m.CPU, m.Cores, m.Go, m.Kernel, m.OS, m.Arch); err != nil {
		return 0, fmt.Errorf("store: recording a run's machine: %w", err)
	}
	var machine int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM machines WHERE fingerprint = ?`, m.Fingerprint()).Scan(&machine); err != nil {
		return 0, fmt.Errorf("store: recording a run's machine: %w", err)
	}
	for _, c := range r.Commits {
		if c.Hash == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO commits (hash, parent, time_ns, subject) VALUES (?, ?, ?, ?)
			ON CONFLICT (hash) DO UPDATE SET
				parent = CASE WHEN parent = '' THEN excluded.parent ELSE parent END,
				time_ns = CASE WHEN time_ns = 0 THEN excluded.time_ns ELSE time_ns END,
				subject = CASE WHEN subject = '' THEN excluded.subject ELSE subject END`,
			c.Hash, c.Parent, unixNanos(c.Time), c.Subject); err != nil {
			return 0, fmt.Errorf("store: recording commit %s: %w", c.Hash, err)
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO runs (kind, source, recorded_ns, branch, machine_id, base_commit, head_commit, dir, verdict, info)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Kind, r.Source, r.Recorded.UnixNano(), r.Branch, machine, r.Base, r.Head, r.Dir, string(r.Verdict), string(r.Info))
	if err != nil {
		return 0, fmt.Errorf("store: recording a run: %w", err)
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, fmt.Errorf("store: recording a run: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO results (run_id, commit_hash, side, variant, package, benchmark, unit, samples, iters)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, fmt.Errorf("store: recording a run: %w", err)
	}
	defer stmt.Close()
	for _, x := range r.Results {
		if x.Commit == "" || len(x.Values) == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO commits (hash, parent, time_ns, subject) VALUES (?, '', 0, '') ON CONFLICT (hash) DO NOTHING`, x.Commit); err != nil {
			return 0, fmt.Errorf("store: recording commit %s: %w", x.Commit, err)
		}
		values, err := json.Marshal(x.Values)
		if err != nil {
			return 0, fmt.Errorf("store: recording %s %s: %w", x.Benchmark, x.Unit, err)
		}
		if _, err := stmt.ExecContext(ctx, id, x.Commit, x.Side, x.Variant, x.Package, x.Benchmark, x.Unit, string(values), x.Iters); err != nil {
			return 0, fmt.Errorf("store: recording %s %s: %w", x.Benchmark, x.Unit, err)
		}
	}
	return id, nil
}

func unixNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// HistoryQuery selects the results history reads.
type HistoryQuery struct {
	// Branch keeps the runs of one branch; "" keeps all.
	Branch string
}

// Trend is the history of one benchmark's unit on one machine: its
// results, commit by commit, in commit order.
type Trend struct {
	Machine   Machine
	Package   string
	Benchmark string
	Unit      string
	Variant   string
	Points    []TrendPoint
}

// TrendPoint is everything recorded of one commit in a trend: the samples
// of every run that measured it, pooled.
type TrendPoint struct {
	Commit Commit
	Values []float64
	// Runs are the runs the samples came from, oldest first.
	Runs []int64
}

// Trends returns the trends the query selects, each in commit order (the
// commit time, then the first time the commit was recorded), sorted by
// machine, package, benchmark, unit and variant.
func (s *Store) Trends(ctx context.Context, q HistoryQuery) ([]Trend, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT m.cpu, m.cores, m.go, m.kernel, m.os, m.arch,
			x.package, x.benchmark, x.unit, x.variant,
			c.hash, c.parent, c.time_ns, c.subject, x.samples, r.id, r.recorded_ns
		FROM results x
		JOIN runs r ON r.id = x.run_id
		JOIN machines m ON m.id = r.machine_id
		JOIN commits c ON c.hash = x.commit_hash
		WHERE ? = '' OR r.branch = ?
		ORDER BY m.fingerprint, x.package, x.benchmark, x.unit, x.variant, r.id`, q.Branch, q.Branch)
	if err != nil {
		return nil, fmt.Errorf("store: reading the history: %w", err)
	}
	defer rows.Close()
	type key struct {
		fingerprint, pkg, bench, unit, variant string
	}
	var trends []Trend
	index := map[key]int{}
	first := map[key]map[string]int64{} // when each commit of a trend was first recorded
	points := map[key]map[string]int{}  // where each commit of a trend is in its points
	for rows.Next() {
		var m Machine
		var pkg, bench, unit, variant, samples string
		var c Commit
		var timeNs, run, recorded int64
		if err := rows.Scan(&m.CPU, &m.Cores, &m.Go, &m.Kernel, &m.OS, &m.Arch, &pkg, &bench, &unit, &variant,
			&c.Hash, &c.Parent, &timeNs, &c.Subject, &samples, &run, &recorded); err != nil {
			return nil, fmt.Errorf("store: reading the history: %w", err)
		}
		c.Time = fromUnixNanos(timeNs)
		var values []float64
		if err := json.Unmarshal([]byte(samples), &values); err != nil {
			return nil, fmt.Errorf("store: reading the history: run %d, %s %s: %w", run, bench, unit, err)
		}
		k := key{m.Fingerprint(), pkg, bench, unit, variant}
		i, ok := index[k]
		if !ok {
			i = len(trends)
			index[k] = i
			trends = append(trends, Trend{Machine: m, Package: pkg, Benchmark: bench, Unit: unit, Variant: variant})
			first[k] = map[string]int64{}
			points[k] = map[string]int{}
		}
		t := &trends[i]
		j, ok := points[k][c.Hash]
		if !ok {
			t.Points = append(t.Points, TrendPoint{Commit: c})
			j = len(t.Points) - 1
			points[k][c.Hash] = j
			first[k][c.Hash] = recorded
		}
		p := &t.Points[j]
		p.Values = append(p.Values, values...)
		if !slices.Contains(p.Runs, run) {
			p.Runs = append(p.Runs, run)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reading the history: %w", err)
	}
	for _, t := range trends {
		f := first[key{t.Machine.Fingerprint(), t.Package, t.Benchmark, t.Unit, t.Variant}]
		slices.SortStableFunc(t.Points, func(a, b TrendPoint) int {
			if !a.Commit.Time.IsZero() && !b.Commit.Time.IsZero() {
				if c := a.Commit.Time.Compare(b.Commit.Time); c != 0 {
					return c
				}
			}
			// Commits of the same second: a parent before its child.
			switch {
			case b.Commit.Parent == a.Commit.Hash:
				return -1
			case a.Commit.Parent == b.Commit.Hash:
				return 1
			}
			return cmp.Or(cmp.Compare(f[a.Commit.Hash], f[b.Commit.Hash]), strings.Compare(a.Commit.Hash, b.Commit.Hash))
		})
	}
	return trends, nil
}

// Run returns the recorded run id, without its results.
func (s *Store) Run(ctx context.Context, id int64) (*Run, error) {
	r := &Run{ID: id}
	var recorded int64
	var verdict, info, fingerprint string
	err := s.r.QueryRowContext(ctx, `SELECT r.kind, r.source, r.recorded_ns, r.branch, r.base_commit, r.head_commit, r.dir, r.verdict, r.info,
			m.fingerprint, m.cpu, m.cores, m.go, m.kernel, m.os, m.arch
		FROM runs r JOIN machines m ON m.id = r.machine_id WHERE r.id = ?`, id).Scan(
		&r.Kind, &r.Source, &recorded, &r.Branch, &r.Base, &r.Head, &r.Dir, &verdict, &info,
		&fingerprint, &r.Machine.CPU, &r.Machine.Cores, &r.Machine.Go, &r.Machine.Kernel, &r.Machine.OS, &r.Machine.Arch)
	if err != nil {
		return nil, fmt.Errorf("store: reading run %d: %w", id, err)
	}
	r.Recorded = fromUnixNanos(recorded)
	r.Verdict, r.Info = []byte(verdict), []byte(info)
	return r, nil
}

// Durations returns, for each top-level benchmark ("package.BenchmarkName"),
// the time one round of it took in the latest run that measured it: the sum
// over its results in sec/op of the mean iterations times the mean time
// per op. Sharding balances the shards with them.
func (s *Store) Durations(ctx context.Context) (map[string]float64, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT x.package, x.benchmark, x.samples, x.iters, x.run_id
		FROM results x
		WHERE x.unit = 'sec/op' AND x.iters > 0 AND x.side IN ('head', '')
		ORDER BY x.run_id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: reading past durations: %w", err)
	}
	defer rows.Close()
	out := map[string]float64{}
	latest := map[string]int64{}
	for rows.Next() {
		var pkg, bench, samples string
		var iters float64
		var run int64
		if err := rows.Scan(&pkg, &bench, &samples, &iters, &run); err != nil {
			return nil, fmt.Errorf("store: reading past durations: %w", err)
		}
		var values []float64
		if err := json.Unmarshal([]byte(samples), &values); err != nil || len(values) == 0 {
			continue
		}
		key := pkg + "." + TopLevel(bench)
		if r, ok := latest[key]; ok && r != run {
			continue // an older run's
		}
		latest[key] = run
		mean := 0.0
		for _, v := range values {
			mean += v
		}
		out[key] += iters * mean / float64(len(values))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reading past durations: %w", err)
	}
	return out, nil
}

// TopLevel is the top-level benchmark of a result's name: without its
// sub-benchmarks and the -N of GOMAXPROCS ("BenchmarkF/n=1-8" is
// "BenchmarkF").
func TopLevel(name string) string {
	top, _, sub := strings.Cut(name, "/")
	if !sub {
		if i := strings.LastIndexByte(top, '-'); i > 0 && isDigits(top[i+1:]) {
			top = top[:i]
		}
	}
	return top
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
