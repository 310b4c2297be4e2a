package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/rundir"
)

// TestShardedExample runs the example's benchmarks (testdata/example: the
// head's slower normalizer makes BenchmarkTop slower and allocate more,
// BenchmarkTokenize does not change) once whole and once in 3 shards,
// merged: the same outcome, the same regressions on the units that do not
// vary with load (allocations), Top's time regressed in both, and the
// shard left without a benchmark says so and passes. Then the bad merges:
// a missing shard, one given twice, one of another run, one that did not
// finish, a run that is not a shard: each one line and exit 2.
func TestShardedExample(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile("../../testdata/example/perfgate.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(strings.Replace(string(data), "rounds: 10", "rounds: 6\n  profile_samples: 300", 1), "benchtime: 100ms", "benchtime: 20ms", 1)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "perfgate.yml")
	writeFiles(t, dir, map[string]string{"perfgate.yml": cfg})

	whole := filepath.Join(dir, "whole.json")
	wholeCode, _, _ := perfgate(t, ctx, "-C", "../..", "bench", "--config", cfgFile, "--out", filepath.Join(dir, "whole"), "--json", whole)
	if wholeCode != exitRegression {
		t.Fatalf("the whole run: exit %d, want %d", wholeCode, exitRegression)
	}
	var shards []string
	empty := 0
	for i := 1; i <= 3; i++ {
		out := filepath.Join(dir, fmt.Sprintf("shard%d", i))
		code, stdout, _ := perfgate(t, ctx, "-C", "../..", "bench", "--config", cfgFile, "--shard", fmt.Sprintf("%d/3", i), "--out", out)
		if strings.Contains(stdout, "has no benchmarks to run") {
			empty++
			if code != exitPass {
				t.Errorf("the empty shard %d/3: exit %d, want 0", i, code)
			}
		}
		shards = append(shards, out)
	}
	if empty != 1 {
		t.Errorf("%d shards said they had no benchmark, want 1 (2 top-level benchmarks over 3 shards)", empty)
	}
	merged := filepath.Join(dir, "merged.json")
	code, stdout, _ := perfgate(t, ctx, "-C", "../..", "merge", "--config", cfgFile, "--out", filepath.Join(dir, "merged"), "--json", merged,
		shards[2], shards[0], shards[1])
	if code != wholeCode {
		t.Fatalf("merged: exit %d, the whole run's %d", code, wholeCode)
	}
	if !strings.Contains(stdout, "merged from 3 shards") {
		t.Errorf("the merged verdict does not say it was merged:\n%s", stdout)
	}
	vw, vm := mustVerdict(t, whole), mustVerdict(t, merged)
	// The regressions on the units that do not vary with the machine's
	// load: the same (benchmark, unit) in both.
	regressed := func(v *analyze.Verdict) []string {
		var out []string
		for _, r := range v.Results {
			if r.Regression && (r.Unit == "allocs/op" || r.Unit == "B/op") {
				out = append(out, r.Benchmark+" "+r.Unit)
			}
		}
		slices.Sort(out)
		return out
	}
	if w, m := regressed(vw), regressed(vm); !slices.Equal(w, m) || len(w) == 0 {
		t.Errorf("allocs/op and B/op regressions: whole %v, merged %v", w, m)
	}
	if len(vm.Results) != len(vw.Results) {
		t.Errorf("merged %d results, the whole run %d", len(vm.Results), len(vw.Results))
	}
	for _, v := range []*analyze.Verdict{vw, vm} {
		if r := findResult(v, "BenchmarkTop/words=1000", "sec/op"); r == nil || float64(r.Delta) < 0.5 {
			t.Errorf("BenchmarkTop/words=1000 sec/op = %+v, want the head's median well above the base's", r)
		}
		for _, unit := range []string{"allocs/op", "B/op"} {
			if r := findResult(v, "BenchmarkTop/words=1000", unit); r == nil || !r.Regression {
				t.Errorf("BenchmarkTop/words=1000 %s = %+v, want a regression", unit, r)
			}
		}
		if r := findResult(v, "BenchmarkTokenize", "allocs/op"); r == nil || r.Regression {
			t.Errorf("BenchmarkTokenize allocs/op = %+v, want no regression", r)
		}
	}
	// The merged regression is explained from its shard's profiles.
	if r := findResult(vm, "BenchmarkTop/words=1000", "allocs/op"); r == nil || len(r.Hot) == 0 {
		t.Errorf("the merged verdict names no function for Top's allocations: %+v", r)
	}

	// Bad merges.
	other := copyShard(t, shards[0], filepath.Join(dir, "other"), func(info map[string]any) {
		info["sides"].([]any)[1].(map[string]any)["commit"] = strings.Repeat("a", 40)
	})
	unfinished := copyShard(t, shards[1], filepath.Join(dir, "unfinished"), func(info map[string]any) { info["complete"] = false })
	for _, tt := range []struct {
		name string
		dirs []string
		want string
	}{
		{"missing", shards[:2], "shard 3/3 missing"},
		{"twice", []string{shards[0], shards[0], shards[1], shards[2]}, "shard 1/3 given twice"},
		{"another run", []string{other, shards[1], shards[2]}, "shards of different runs"},
		{"unfinished", []string{shards[0], unfinished, shards[2]}, "did not finish"},
		{"not a shard", []string{filepath.Join(dir, "whole"), shards[1], shards[2]}, "is not a shard's run"},
		{"no such directory", []string{filepath.Join(dir, "nope")}, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := perfgate(t, ctx, append([]string{"-C", "../..", "merge", "--config", cfgFile, "--out", filepath.Join(t.TempDir(), "m")}, tt.dirs...)...)
			if code != exitError || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, %q; want 2 and one line with %q", code, stderr, tt.want)
			}
		})
	}
}

// copyShard copies a shard's run.json (the rest is not read before the
// checks) into a new directory, changed by edit.
func copyShard(t *testing.T, from, to string, edit func(map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(from, rundir.InfoFile))
	if err != nil {
		t.Fatal(err)
	}
	var info map[string]any
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	edit(info)
	data, _ = json.Marshal(info)
	writeFiles(t, to, map[string]string{rundir.InfoFile: string(data)})
	return to
}
