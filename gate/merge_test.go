package gate

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/rundir"
)

// shardSpec is a shard's run directory, as a test writes it.
type shardSpec struct {
	index, count int
	all, mine    []string
	base, head   string // commits
	// slow is the head's slowdown per benchmark of mine (by bare name).
	slow     map[string]float64
	edit     func(*rundir.Info)
	rounds   int
	complete bool
}

// writeShard writes a shard's run.json and results files under dir, as
// a finished perfgate bench --shard would: rounds of each of its
// benchmarks, the head's slowed by spec.slow.
func writeShard(t *testing.T, dir string, spec shardSpec) string {
	t.Helper()
	run, err := rundir.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	info := &rundir.Info{
		Tool: "perfgate", Complete: spec.complete, GoBench: true,
		Bench: config.Bench{Packages: []string{"./..."}, Run: ".", Benchtime: "10ms", Rounds: spec.rounds, MinRounds: 0},
		Shard: &rundir.ShardInfo{Index: spec.index, Count: spec.count, All: spec.all, Mine: spec.mine, Thresholds: analyze.DefaultThresholds},
	}
	for i, name := range []string{"base", "head"} {
		commit := [2]string{spec.base, spec.head}[i]
		info.Sides = append(info.Sides, &rundir.Side{Name: name, Ref: "x", Commit: commit, Results: run.Results(name)})
		var b strings.Builder
		fmt.Fprintf(&b, "commit: %s\nvariant: %s\n", commit, name)
		for _, full := range spec.mine {
			dot := strings.LastIndex(full, ".")
			pkg, bench := full[:dot], full[dot+1:]
			fmt.Fprintf(&b, "goos: linux\ngoarch: amd64\npkg: %s\n", pkg)
			for r := range spec.rounds {
				v := 1000 * (1 + 0.02*math.Sin(float64(r)+float64(len(bench))))
				if name == "head" {
					v *= 1 + spec.slow[bench]
				}
				fmt.Fprintf(&b, "%s-2 1000 %.2f ns/op 16 B/op 1 allocs/op\n", bench, v)
			}
		}
		// The last line without its newline: the merge must not join it
		// to the next shard's first.
		if err := os.WriteFile(run.Path(run.Results(name)), []byte(strings.TrimSuffix(b.String(), "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if spec.edit != nil {
		spec.edit(info)
	}
	if err := run.WriteInfo(info); err != nil {
		t.Fatal(err)
	}
	return dir
}

// threeShards writes the run directories of a run of three shards in dir:
// BenchmarkA (20% slower on the head) in the first, BenchmarkB and
// BenchmarkC (unchanged) in the second, none in the third. edit, when
// set, changes shard i's spec.
func threeShards(t *testing.T, dir string, edit func(i int, s *shardSpec)) []string {
	all := []string{"example.com/p.BenchmarkA", "example.com/p.BenchmarkB", "example.com/q.BenchmarkC"}
	mine := [][]string{all[:1], all[1:], nil}
	var dirs []string
	for i := range 3 {
		s := shardSpec{index: i + 1, count: 3, all: all, mine: mine[i], base: "b0", head: "h0",
			slow: map[string]float64{"BenchmarkA": 0.2}, rounds: 10, complete: true}
		if edit != nil {
			edit(i+1, &s)
		}
		dirs = append(dirs, writeShard(t, filepath.Join(dir, fmt.Sprint("shard", i+1)), s))
	}
	return dirs
}

func TestMerge(t *testing.T) {
	dir := t.TempDir()
	dirs := threeShards(t, dir, nil)
	out := filepath.Join(dir, "merged")
	res, err := Merge(MergeOptions{Dirs: []string{dirs[2], dirs[0], dirs[1]}, Out: out})
	if err != nil {
		b, _ := os.ReadFile(filepath.Join(out, "base.txt"))
		t.Fatalf("%v\n%s", err, b)
	}
	v := res.Verdict
	if v.Verdict != analyze.Regression {
		t.Errorf("verdict %s, want regression", v.Verdict)
	}
	got := make(map[string]bool)
	for _, r := range v.Results {
		got[r.Benchmark+" "+r.Unit] = r.Regression
	}
	want := map[string]bool{
		"BenchmarkA-2 sec/op": true, "BenchmarkA-2 B/op": false, "BenchmarkA-2 allocs/op": false,
		"BenchmarkB-2 sec/op": false, "BenchmarkB-2 B/op": false, "BenchmarkB-2 allocs/op": false,
		"BenchmarkC-2 sec/op": false, "BenchmarkC-2 B/op": false, "BenchmarkC-2 allocs/op": false,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results (regressed):\n%v\nwant\n%v", got, want)
	}
	if !strings.Contains(strings.Join(v.Notes, "\n"), "merged from 3 shards") {
		t.Errorf("notes %q do not say the run was merged", v.Notes)
	}
	for _, f := range []string{rundir.InfoFile, "base.txt", "head.txt", "verdict.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the merged run has no %s: %v", f, err)
		}
	}
	info, err := res.Dir.ReadInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.Shard != nil || !info.Complete || info.Rounds != 10 {
		t.Errorf("merged run.json: shard %v, complete %v, rounds %d", info.Shard, info.Complete, info.Rounds)
	}
	// Merged again into the same directory: refused, nothing changed.
	if _, err := Merge(MergeOptions{Dirs: dirs, Out: out}); err == nil || !strings.Contains(err.Error(), "already holds a run") {
		t.Errorf("a merge into a run directory: %v", err)
	}
}

func TestMergeBadShards(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(i int, s *shardSpec)
		dirs func(dirs []string) []string
		want string
	}{
		{"missing", nil, func(d []string) []string { return d[:2] }, "merge: shard 3/3 missing"},
		{"twice", nil, func(d []string) []string { return []string{d[0], d[1], d[1], d[2]} }, "merge: shard 2/3 given twice"},
		{"another head", func(i int, s *shardSpec) {
			if i == 3 {
				s.head = "h1"
			}
		}, nil, "shard 3/3 (" /* ...) has head h1, shard 1/3 (...) has head h0 */},
		{"another base", func(i int, s *shardSpec) {
			if i == 2 {
				s.base = "b1"
			}
		}, nil, "has base b1"},
		{"a dirty head", func(i int, s *shardSpec) {
			if i == 2 {
				s.edit = func(info *rundir.Info) { info.Sides[1].Dirty = true }
			}
		}, nil, "has head h0 (dirty)"},
		{"unfinished", func(i int, s *shardSpec) {
			if i == 2 {
				s.complete = false
				s.edit = func(info *rundir.Info) { info.Error = "interrupted" }
			}
		}, nil, "merge: shard 2/3 (" /* dir) did not finish: interrupted */},
		{"not a shard", func(i int, s *shardSpec) {
			if i == 1 {
				s.edit = func(info *rundir.Info) { info.Shard = nil }
			}
		}, nil, "is not a shard's run"},
		{"other count", func(i int, s *shardSpec) {
			if i == 3 {
				s.count = 4
			}
		}, nil, "is one of 4 shards"},
		{"other rounds", func(i int, s *shardSpec) {
			if i == 3 {
				s.edit = func(info *rundir.Info) { info.Rounds = 20 }
			}
		}, nil, "other benchmark settings"},
		{"other thresholds", func(i int, s *shardSpec) {
			if i == 2 {
				s.edit = func(info *rundir.Info) {
					info.Shard.Thresholds = analyze.Thresholds{Default: 0.1, Benchmarks: []analyze.BenchmarkThresholds{{Pattern: regexp.MustCompile("A"), Units: map[string]float64{"sec/op": 0.5}}}}
				}
			}
		}, nil, "other thresholds"},
		{"shares overlap", func(i int, s *shardSpec) {
			if i == 3 {
				s.mine = s.all[:1]
			}
		}, nil, "do not cover each benchmark once"},
		{"index out of range", func(i int, s *shardSpec) {
			if i == 3 {
				s.index = 5
			}
		}, nil, "has shard 5/3"},
		{"none", nil, func([]string) []string { return nil }, "no shard run directory given"},
		{"no such directory", nil, func(d []string) []string { return append(d, d[0]+"-nope") }, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dirs := threeShards(t, dir, tt.edit)
			if tt.dirs != nil {
				dirs = tt.dirs(dirs)
			}
			out := filepath.Join(dir, "merged")
			_, err := Merge(MergeOptions{Dirs: dirs, Out: out})
			if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "merge: ") {
				t.Fatalf("Merge: %v; want one line with %q", err, tt.want)
			}
			t.Log(err)
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a merge that failed its checks made %s (%v)", out, err)
			}
		})
	}
}

func TestShardOthers(t *testing.T) {
	results := func(units ...string) *analyze.Verdict {
		v := &analyze.Verdict{}
		for i, u := range units {
			v.Results = append(v.Results, analyze.Result{Benchmark: fmt.Sprint("B", i), Unit: u, Base: &analyze.Summary{}, Head: &analyze.Summary{}})
		}
		return v
	}
	all := []string{"p.A", "p.B", "p.C", "q.D", "q.E"}
	for _, tt := range []struct {
		name string
		v    *analyze.Verdict
		mine []string
		want int
	}{
		{"one of five, 3 results in sec/op", results("sec/op", "sec/op", "sec/op", "B/op"), all[:1], 12},
		{"two of five, 3 in the largest family", results("sec/op", "sec/op", "B/op", "B/op", "B/op"), all[:2], 5},
		{"every benchmark", results("sec/op"), all, 0},
		{"no results", results(), all[:1], 0},
	} {
		if got := shardOthers(tt.v, &rundir.ShardInfo{All: all, Mine: tt.mine}); got != tt.want {
			t.Errorf("%s: %d others, want %d", tt.name, got, tt.want)
		}
	}
}
