package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var machine = Machine{CPU: "Test CPU @ 2.0GHz", Cores: 2, Go: "go1.26.0", Kernel: "6.1.0", OS: "linux", Arch: "amd64"}

// run is a run of kind with one result per commit, values each.
func run(source, kind string, m Machine, commits []Commit, values ...[]float64) *Run {
	r := &Run{Kind: kind, Source: source, Branch: "main", Machine: m, Commits: commits}
	for i, c := range commits {
		r.Results = append(r.Results, Result{Commit: c.Hash, Side: "head", Package: "example.com/p", Benchmark: "BenchmarkF/n=1", Unit: "sec/op", Values: values[i], Iters: 1000})
		r.Head = c.Hash
	}
	return r
}

func TestHistoryTrends(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	a := Commit{Hash: "aaaa", Time: day, Subject: "first"}
	b := Commit{Hash: "bbbb", Parent: "aaaa", Time: day.Add(time.Hour), Subject: "second"}
	c := Commit{Hash: "cccc", Parent: "bbbb", Time: day.Add(2 * time.Hour)}
	// Recorded out of commit order, one commit twice, and a second machine.
	runs := []*Run{
		run("r1", "bench", machine, []Commit{c}, []float64{3, 3.1}),
		run("r2", "bench", machine, []Commit{a, b}, []float64{1}, []float64{2}),
		run("r3", "import", machine, []Commit{{Hash: "bbbb"}}, []float64{2.2}),
		run("r4", "bench", Machine{CPU: "Other", Cores: 8}, []Commit{a}, []float64{9}),
	}
	for _, r := range runs {
		if err := s.AddRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	trends, err := s.Trends(ctx, HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(trends) != 2 {
		t.Fatalf("%d trends, want 2 (one per machine): %+v", len(trends), trends)
	}
	var tr Trend
	for _, x := range trends {
		if x.Machine == machine {
			tr = x
		}
	}
	var hashes []string
	for _, p := range tr.Points {
		hashes = append(hashes, p.Commit.Hash)
	}
	if !slices.Equal(hashes, []string{"aaaa", "bbbb", "cccc"}) {
		t.Errorf("commit order %v, want aaaa bbbb cccc", hashes)
	}
	if got := tr.Points[1]; !slices.Equal(got.Values, []float64{2, 2.2}) || !slices.Equal(got.Runs, []int64{runs[1].ID, runs[2].ID}) ||
		got.Commit.Subject != "second" || got.Commit.Parent != "aaaa" {
		t.Errorf("bbbb = %+v: want both runs' samples pooled, and what the first run knew of the commit", got)
	}

	// The same source again is refused, and changes nothing.
	err = s.AddRun(ctx, run("r2", "bench", machine, []Commit{a}, []float64{100}))
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("AddRun of a recorded source: %v, want ErrDuplicate", err)
	}
	// So is a batch with one duplicate: none of it is recorded.
	err = s.AddRuns(ctx, run("r5", "bench", machine, []Commit{a}, []float64{100}), run("r1", "bench", machine, []Commit{a}, []float64{100}))
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("AddRuns with a recorded source: %v, want ErrDuplicate", err)
	}
	if _, ok, _ := s.RunOf(ctx, "r5"); ok {
		t.Error("the batch's first run was recorded")
	}
	again, _ := s.Trends(ctx, HistoryQuery{Branch: "main"})
	if len(again) != 2 || len(again[0].Points)+len(again[1].Points) != 4 {
		t.Errorf("after refused runs: %+v", again)
	}
	if none, _ := s.Trends(ctx, HistoryQuery{Branch: "other"}); len(none) != 0 {
		t.Errorf("branch other: %d trends, want 0", len(none))
	}

	d, err := s.Durations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The latest run of BenchmarkF: r4's 1000 iterations of 9 s.
	if got := d["example.com/p.BenchmarkF"]; got != 9000 {
		t.Errorf("Durations = %v, want BenchmarkF 9000", d)
	}
	if r, err := s.Run(ctx, runs[0].ID); err != nil || r.Kind != "bench" || r.Head != "cccc" || r.Machine != machine {
		t.Errorf("Run(%d) = %+v, %v", runs[0].ID, r, err)
	}
}

func TestHistoryBadRun(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	for _, r := range []*Run{
		{Kind: "nightly", Source: "x"},
		{Kind: "bench"},
	} {
		if err := s.AddRun(ctx, r); err == nil {
			t.Errorf("AddRun(%+v) = nil, want an error", r)
		}
	}
}

// TestMigrateFromProfiles: a store of schema version 1 (watch's profiles
// only) gets the history tables, and keeps its profiles.
func TestMigrateFromProfiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA journal_mode = WAL`, `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`, migrations[0],
		`INSERT INTO meta VALUES ('schema_version', '1')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	// A version-1 store gets a profile through this build's AddProfile
	// only after migrating; so the profile goes in after, and both must
	// live together.
	s := open(t, dir)
	add(t, s, cpuProfile(t, "cart", map[string]string{"version": "v1"}, t0, 1e9))
	if err := s.AddRun(ctx, run("r", "bench", machine, []Commit{{Hash: "aaaa"}}, []float64{1})); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir)
	ps, err := s.Profiles(ctx, Query{Service: "cart", Type: "cpu", From: t0, Until: t0.Add(time.Minute)})
	if err != nil || len(ps) != 1 {
		t.Errorf("profiles after migrating: %d, %v", len(ps), err)
	}
	if tr, err := s.Trends(ctx, HistoryQuery{}); err != nil || len(tr) != 1 {
		t.Errorf("trends after migrating: %+v, %v", tr, err)
	}
}
