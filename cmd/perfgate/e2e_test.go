package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/rundir"
)

// perfgate runs the command in process and returns its exit code and output.
func perfgate(t *testing.T, ctx context.Context, args ...string) (code exitCode, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	t.Logf("perfgate %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

// gitRun runs git in dir, failing the test on error.
func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=perfgate", "-c", "user.email=perfgate@example.com", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// writeFiles writes files (path: content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// work is the code under benchmark: Slow does `factor` times the work of
// Steady.
func work(factor int) string {
	return `package tw

// Sum adds xs up, once per unit of work.
func Sum(xs []int, units int) int {
	s := 0
	for range units {
		for _, x := range xs {
			s += x
		}
	}
	return s
}

// Slow is the function a change makes slower.
func Slow(xs []int) int { return Sum(xs, ` + strconv.Itoa(factor) + `) }

// Steady does not change.
func Steady(xs []int) int { return Sum(xs, 1) }
`
}

const benchFile = `package tw

import "testing"

var sink int

func BenchmarkSlow(b *testing.B) {
	xs := make([]int, 2000)
	for b.Loop() {
		sink = Slow(xs)
	}
}

func BenchmarkSteady(b *testing.B) {
	xs := make([]int, 2000)
	for b.Loop() {
		sink = Steady(xs)
	}
}
`

// newRepo makes a throwaway repository whose base commit has Slow as fast
// as Steady and whose head commit makes Slow `factor` times slower.
func newRepo(t *testing.T, factor int) string {
	t.Helper()
	dir := t.TempDir()
	gitRun(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{
		"go.mod":     "module example.com/tw\n\ngo 1.26\n",
		"tw.go":      work(1),
		"tw_test.go": benchFile,
	})
	gitRun(t, dir, "add", "-A")
	gitRun(t, dir, "commit", "-qm", "base")
	writeFiles(t, dir, map[string]string{"tw.go": work(factor)})
	gitRun(t, dir, "commit", "-q", "--allow-empty", "-am", "head")
	return dir
}

// mustVerdict reads a verdict.json, failing the test on error.
func mustVerdict(t *testing.T, path string) *analyze.Verdict {
	t.Helper()
	v, err := rundir.ReadVerdict(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func findResult(v *analyze.Verdict, benchmark, unit string) *analyze.Result {
	for i, r := range v.Results {
		if strings.HasPrefix(r.Benchmark, benchmark+"-") || r.Benchmark == benchmark {
			if r.Unit == unit {
				return &v.Results[i]
			}
		}
	}
	return nil
}

// worktrees returns the number of git worktrees of the repository in dir.
func worktrees(t *testing.T, dir string) int {
	return len(strings.Split(gitRun(t, dir, "worktree", "list", "--porcelain"), "\n\n"))
}

func TestBenchCatchesRegression(t *testing.T) {
	// Eight times slower, six rounds: a factor no load on a 2-core machine
	// hides, and enough samples for p well below 0.05.
	dir := newRepo(t, 8)
	out := filepath.Join(t.TempDir(), "run")
	verdict := filepath.Join(t.TempDir(), "verdict.json")
	code, stdout, _ := perfgate(t, context.Background(), "-C", dir, "bench", "--profile-samples", "300", "--base", "HEAD~1",
		"--rounds", "6", "--benchtime", "20ms", "--threshold", "sec/op=100%", "--out", out, "--json", verdict)
	if code != exitRegression {
		t.Fatalf("exit %d, want %d", code, exitRegression)
	}
	if !strings.Contains(stdout, "BenchmarkSlow") || !strings.Contains(stdout, "REGRESSION") {
		t.Errorf("the table does not name the regressed benchmark")
	}
	v := mustVerdict(t, verdict)
	if v.Verdict != analyze.Regression {
		t.Errorf("verdict %q, want regression", v.Verdict)
	}
	slow := findResult(v, "BenchmarkSlow", "sec/op")
	if slow == nil || !slow.Regression || float64(slow.Delta) < 1.5 {
		t.Fatalf("BenchmarkSlow sec/op = %+v, want a regression of several times", slow)
	}
	if steady := findResult(v, "BenchmarkSteady", "sec/op"); steady == nil || steady.Regression {
		t.Errorf("BenchmarkSteady sec/op = %+v, want no regression", steady)
	}
	if slow.Base.N != 6 || slow.Head.N != 6 {
		t.Errorf("samples %d+%d, want 6+6 (one per round)", slow.Base.N, slow.Head.N)
	}
	if v.Base.Commit == "" || v.Head.Commit == "" || v.Base.Commit == v.Head.Commit {
		t.Errorf("commits base %q head %q, want two different commits", v.Base.Commit, v.Head.Commit)
	}

	// The run directory: results benchstat reads, rounds, profiles, run.json.
	var info rundir.Info
	data, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	if !info.Complete || len(info.Measured) != 12 {
		t.Fatalf("run.json: complete=%v, %d measured rounds, want 12", info.Complete, len(info.Measured))
	}
	var order []string
	for _, r := range info.Measured {
		order = append(order, r.Side)
	}
	if got, want := strings.Join(order, ","), "base,head,head,base,base,head,head,base,base,head,head,base"; got != want {
		t.Errorf("round order %s, want %s", got, want)
	}
	// Only the regression is profiled, in chunks on both sides.
	sides := map[string]int{}
	for _, p := range info.Profiles {
		if !strings.HasPrefix(p.Benchmark, "BenchmarkSlow") {
			t.Errorf("%s profiled, want only the regressed BenchmarkSlow", p.Benchmark)
		}
		sides[p.Side]++
	}
	if sides["base"] == 0 || sides["base"] != sides["head"] {
		t.Errorf("profiling runs by side %v, want as many on each", sides)
	}
	if len(v.Explanations) != 1 || v.Explanations[0].BaseSamples == 0 || v.Explanations[0].HeadSamples == 0 {
		t.Errorf("explanations %+v, want one, with samples on both sides", v.Explanations)
	}
	for _, p := range info.Profiles {
		for _, f := range []string{p.CPU, p.Mem, p.Output} {
			if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
				t.Errorf("profile file %s: missing or empty (%v)", f, err)
			}
		}
	}
	if n := worktrees(t, dir); n != 1 {
		t.Errorf("%d worktrees after the run, want only the main one", n)
	}
	if _, err := os.Stat(info.Sides[0].Tree); !os.IsNotExist(err) {
		t.Errorf("base worktree %s still exists", info.Sides[0].Tree)
	}
	for _, side := range []string{"base", "head"} {
		data, err := os.ReadFile(filepath.Join(out, side+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "variant: "+side+"\n") || !strings.Contains(string(data), "commit: ") {
			t.Errorf("%s.txt lacks its commit and variant config lines", side)
		}
	}

	// benchstat reads the files as they are, and compares them once told
	// to ignore the keys that name the sides.
	benchstat := buildBenchstat(t)
	for _, args := range [][]string{
		{"base.txt", "head.txt"},
		{"-ignore", "commit,variant", "base.txt", "head.txt"},
	} {
		cmd := exec.Command(benchstat, args...)
		cmd.Dir = out
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("benchstat %v: %v\n%s", args, err, got)
		}
		if !strings.Contains(string(got), "Slow") || strings.Contains(string(got), "benchstat:") {
			t.Errorf("benchstat %v did not read the files:\n%s", args, got)
		}
		if args[0] == "-ignore" && !strings.Contains(string(got), "vs base") {
			t.Errorf("benchstat %v did not compare the sides:\n%s", args, got)
		}
	}
}

// buildBenchstat builds benchstat from the golang.org/x/perf version in
// go.mod.
func buildBenchstat(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "benchstat")
	if out, err := exec.Command("go", "build", "-o", bin, "golang.org/x/perf/cmd/benchstat").CombinedOutput(); err != nil {
		t.Fatalf("building benchstat: %v\n%s", err, out)
	}
	return bin
}

func TestBenchSameCodePasses(t *testing.T) {
	dir := newRepo(t, 6)
	// HEAD against the clean working tree: the same code on both sides,
	// twice, into the default run directory.
	for run := 1; run <= 2; run++ {
		verdict := filepath.Join(t.TempDir(), "verdict.json")
		code, _, _ := perfgate(t, context.Background(), "-C", dir, "bench", "--base", "HEAD",
			"--rounds", "8", "--benchtime", "20ms", "--threshold", "sec/op=100%", "--profile=false", "--json", verdict)
		if code != exitPass {
			t.Fatalf("run %d: exit %d, want %d", run, code, exitPass)
		}
		v := mustVerdict(t, verdict)
		if v.Verdict != analyze.Pass || v.Base.Commit != v.Head.Commit {
			t.Errorf("run %d: verdict %q, commits %q and %q; want pass on one commit", run, v.Verdict, v.Base.Commit, v.Head.Commit)
		}
		if v.Head.Dirty {
			t.Errorf("run %d: head marked dirty; the run directories must not count as changes", run)
		}
		if len(v.Results) == 0 {
			t.Errorf("run %d: no results", run)
		}
	}
	if runs, _ := filepath.Glob(filepath.Join(dir, ".perfgate", "runs", "*", "verdict.json")); len(runs) != 2 {
		t.Errorf("%d run directories under .perfgate/runs, want one per run (2)", len(runs))
	}
	if status := gitRun(t, dir, "status", "--porcelain"); status != "" {
		t.Errorf("git status after two runs: %q, want a clean tree", status)
	}
}

func TestBenchDefaultBaseAndOneSidedBenchmark(t *testing.T) {
	dir := newRepo(t, 1)
	gitRun(t, dir, "branch", "-q", "feature")
	gitRun(t, dir, "checkout", "-q", "feature")
	// An uncommitted new benchmark on the head side only.
	writeFiles(t, dir, map[string]string{"new_test.go": `package tw

import "testing"

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		sink = Steady(make([]int, 10))
	}
}
`})
	verdict := filepath.Join(t.TempDir(), "verdict.json")
	code, _, stderr := perfgate(t, context.Background(), "-C", dir, "bench", "--rounds", "4", "--benchtime", "10ms",
		"--threshold", "sec/op=100%", "--profile=false", "--out", filepath.Join(t.TempDir(), "run"), "--json", verdict)
	if code != exitPass && code != exitInconclusive {
		t.Fatalf("exit %d, want a pass", code)
	}
	if !strings.Contains(stderr, "merge-base of HEAD and main") {
		t.Errorf("stderr does not say the base is the merge-base with main")
	}
	v := mustVerdict(t, verdict)
	r := findResult(v, "BenchmarkNew", "sec/op")
	if r == nil || r.Status != analyze.StatusHeadOnly || r.Base != nil {
		t.Fatalf("BenchmarkNew = %+v, want a head-only result", r)
	}
	if !v.Head.Dirty {
		t.Error("head side not marked dirty despite an uncommitted file")
	}
}

// TestBenchBadInput checks that each failure gives exit 2 and a one-line
// reason that says what went wrong.
func TestBenchBadInput(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  map[string]string // uncommitted changes to the head side
		args  []string
		wants []string // substrings of the one-line reason
	}{
		{
			name:  "build failure",
			edit:  map[string]string{"tw.go": "package tw\n\nfunc Slow(xs []int) int { return nope }\nfunc Steady(xs []int) int { return 0 }\n"},
			wants: []string{"building head", "tw.go:3", "undefined: nope"},
		},
		{
			name:  "benchmark panics",
			edit:  map[string]string{"tw_test.go": strings.Replace(benchFile, "sink = Slow(xs)", `_ = xs; panic("broken slow path")`, 1)},
			wants: []string{"head round 1", "BenchmarkSlow panicked: broken slow path"},
		},
		{
			name:  "benchmark fails",
			edit:  map[string]string{"tw_test.go": strings.Replace(benchFile, "sink = Slow(xs)", `_ = xs; b.Fatal("no fixture")`, 1)},
			wants: []string{"BenchmarkSlow failed", "no fixture"},
		},
		{
			name:  "benchmark exits early",
			edit:  map[string]string{"tw_test.go": withImport(strings.Replace(benchFile, "sink = Slow(xs)", `_ = xs; os.Exit(0)`, 1), "os")},
			wants: []string{"head round 1", "BenchmarkSlow panicked", "os.Exit(0)"},
		},
		{
			name: "sub-benchmark exits early",
			edit: map[string]string{"tw_test.go": withImport(strings.Replace(benchFile, "for b.Loop() {\n\t\tsink = Slow(xs)\n\t}",
				`b.Run("n=1", func(b *testing.B) { _ = xs; os.Exit(0) })`, 1), "os")},
			wants: []string{"BenchmarkSlow", "os.Exit(0)"},
		},
		{
			name:  "benchmark process ends without a word",
			edit:  map[string]string{"tw_test.go": withImport(strings.Replace(benchFile, "sink = Slow(xs)", `_ = xs; syscall.Exit(0)`, 1), "syscall")},
			wants: []string{"BenchmarkSlow", "ended before it finished"},
		},
		{
			name:  "benchmark hangs",
			edit:  map[string]string{"tw_test.go": strings.Replace(benchFile, "sink = Slow(xs)", `_ = xs; for { sink++ }`, 1), "perfgate.yml": "bench: {timeout: 2s}\n"},
			wants: []string{"BenchmarkSlow", "timed out after 2s"},
		},
		{
			name:  "unknown base ref",
			args:  []string{"--base", "no-such-branch"},
			wants: []string{`unknown git ref "no-such-branch"`},
		},
		{
			name:  "no benchmark matches",
			args:  []string{"--bench", "NoSuchBenchmark"},
			wants: []string{`no benchmark matches -bench "NoSuchBenchmark"`},
		},
		{
			name:  "run directory in use",
			edit:  map[string]string{"used/run.json": "{}"},
			args:  []string{"--out", "used"},
			wants: []string{"already holds a run"},
		},
		{
			// The repository itself: its committed base.txt must not be
			// overwritten.
			name:  "run directory not empty",
			edit:  map[string]string{"base.txt": "committed\n"},
			args:  []string{"--out", "."},
			wants: []string{"is not empty", "choose another --out"},
		},
		{
			name:  "bad config",
			edit:  map[string]string{"perfgate.yml": "bench: {rounds: 0}\n"},
			wants: []string{"perfgate.yml", "rounds"},
		},
		{
			name:  "bad flag value",
			args:  []string{"--benchtime", "soon"},
			wants: []string{"benchtime", "soon"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := newRepo(t, 1)
			writeFiles(t, dir, tt.edit)
			out := filepath.Join(t.TempDir(), "run")
			args := append([]string{"-C", dir, "bench", "--rounds", "2", "--benchtime", "10ms", "--profile=false", "--out", out}, tt.args...)
			if !contains(tt.args, "--base") {
				args = append(args, "--base", "HEAD")
			}
			code, _, stderr := perfgate(t, context.Background(), args...)
			if code != exitError {
				t.Fatalf("exit %d, want %d", code, exitError)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "perfgate: ") {
				t.Fatalf("last line of stderr %q is not perfgate's reason", last)
			}
			for _, w := range tt.wants {
				if !strings.Contains(last, w) {
					t.Errorf("reason %q lacks %q", last, w)
				}
			}
			if strings.Contains(stderr, "goroutine ") {
				t.Error("stderr holds a Go panic trace")
			}
			if n := worktrees(t, dir); n != 1 {
				t.Errorf("%d worktrees left, want 1", n)
			}
		})
	}
}

// withImport adds an import of pkg to a test file that imports testing
// alone.
func withImport(src, pkg string) string {
	return strings.Replace(src, `import "testing"`, "import (\n\t\""+pkg+"\"\n\t\"testing\"\n)", 1)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestBenchShallowClone(t *testing.T) {
	dir := newRepo(t, 1)
	clone := filepath.Join(t.TempDir(), "clone")
	gitRun(t, dir, "clone", "-q", "--depth", "1", "file://"+dir, clone)
	code, _, stderr := perfgate(t, context.Background(), "-C", clone, "bench", "--base", "HEAD~1", "--rounds", "2",
		"--benchtime", "10ms", "--out", filepath.Join(t.TempDir(), "run"))
	if code != exitError || !strings.Contains(stderr, "shallow clone") || !strings.Contains(stderr, "fetch-depth") {
		t.Fatalf("exit %d, stderr %q: want exit 2 naming the shallow clone and fetch-depth", code, stderr)
	}
}

func TestBenchNotARepository(t *testing.T) {
	code, _, stderr := perfgate(t, context.Background(), "-C", t.TempDir(), "bench", "--base", "HEAD")
	if code != exitError || !strings.Contains(stderr, "not in a git repository") {
		t.Fatalf("exit %d, stderr %q: want exit 2, not in a git repository", code, stderr)
	}
}

// TestBenchInterrupt cancels a run in its measured rounds, as Ctrl-C does,
// and checks that the finished rounds stay on disk, the worktree is gone
// and no benchmark process is left running.
func TestBenchInterrupt(t *testing.T) {
	dir := newRepo(t, 1)
	out := filepath.Join(t.TempDir(), "run")
	verdict := filepath.Join(t.TempDir(), "verdict.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan exitCode)
	var stderr string
	go func() {
		var code exitCode
		code, _, stderr = perfgate(t, ctx, "-C", dir, "bench", "--base", "HEAD~1", "--rounds", "200",
			"--benchtime", "20ms", "--out", out, "--json", verdict)
		done <- code
	}()
	// Wait for two finished rounds, then interrupt.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var info rundir.Info
		if data, err := os.ReadFile(filepath.Join(out, "run.json")); err == nil && json.Unmarshal(data, &info) == nil && len(info.Measured) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run never finished two rounds")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	code := <-done
	if code != exitError || !strings.Contains(stderr, "interrupted") {
		t.Fatalf("exit %d, stderr %q: want exit 2, interrupted", code, stderr)
	}
	if !strings.Contains(stderr, "finished rounds kept in") {
		t.Errorf("stderr does not say where the finished rounds are: %q", stderr)
	}
	for _, f := range []string{"rounds/base-01.txt", "rounds/head-01.txt", "base.txt", "head.txt", "run.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not kept: %v", f, err)
		}
	}
	var info rundir.Info
	data, _ := os.ReadFile(filepath.Join(out, "run.json"))
	if err := json.Unmarshal(data, &info); err != nil || info.Complete || !strings.Contains(info.Error, "interrupted") {
		t.Errorf("run.json: complete=%v error=%q, want an incomplete run that says it was interrupted", info.Complete, info.Error)
	}
	if n := worktrees(t, dir); n != 1 {
		t.Errorf("%d worktrees left, want 1", n)
	}
	if v := mustVerdict(t, verdict); v.Verdict != analyze.Error || !strings.Contains(v.Error, "interrupted") {
		t.Errorf("verdict %q (%q), want error, interrupted", v.Verdict, v.Error)
	}
	if pids, _ := exec.Command("pgrep", "-f", filepath.Join(out, "bin")).Output(); len(bytes.TrimSpace(pids)) > 0 {
		t.Errorf("benchmark processes still running: %s", pids)
	}
}

// TestExample runs the README's main job, with fewer and shorter rounds:
// the example's head side builds a slower word normalizer, and perfgate
// must catch it. Allocation counts do not vary with load, so they are
// asserted as regressions; time is asserted as a big factor of the medians,
// which holds even when other tests load the machine.
func TestExample(t *testing.T) {
	data, err := os.ReadFile("../../testdata/example/perfgate.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(strings.Replace(string(data), "rounds: 10", "rounds: 6\n  profile_samples: 300", 1), "benchtime: 100ms", "benchtime: 20ms", 1)
	cfgFile := filepath.Join(t.TempDir(), "perfgate.yml")
	writeFiles(t, filepath.Dir(cfgFile), map[string]string{"perfgate.yml": cfg})
	verdict := filepath.Join(t.TempDir(), "verdict.json")
	code, _, _ := perfgate(t, context.Background(), "-C", "../..", "run", "--config", cfgFile,
		"--out", filepath.Join(t.TempDir(), "run"), "--json", verdict)
	if code != exitRegression {
		t.Fatalf("exit %d, want %d", code, exitRegression)
	}
	v := mustVerdict(t, verdict)
	for _, unit := range []string{"allocs/op", "B/op"} {
		if r := findResult(v, "BenchmarkTop/words=1000", unit); r == nil || !r.Regression {
			t.Errorf("BenchmarkTop/words=1000 %s = %+v, want a regression", unit, r)
		}
	}
	if r := findResult(v, "BenchmarkTop/words=1000", "sec/op"); r == nil || float64(r.Delta) < 0.5 {
		t.Errorf("BenchmarkTop/words=1000 sec/op = %+v, want the head's median well above the base's", r)
	}
	if r := findResult(v, "BenchmarkTokenize", "allocs/op"); r == nil || r.Regression {
		t.Errorf("BenchmarkTokenize allocs/op = %+v, want no regression", r)
	}
}

// TestBenchStrictTooFewRounds: one round can show no change either way,
// so --strict must exit 3, whichever way the one change points.
func TestBenchStrictTooFewRounds(t *testing.T) {
	dir := newRepo(t, 1)
	for run := 1; run <= 2; run++ {
		code, _, _ := perfgate(t, context.Background(), "-C", dir, "bench", "--base", "HEAD", "--rounds", "1",
			"--benchtime", "10ms", "--profile=false", "--strict", "--out", filepath.Join(t.TempDir(), "run"))
		if code != exitInconclusive {
			t.Fatalf("run %d: exit %d, want %d (too few samples)", run, code, exitInconclusive)
		}
	}
}

// TestBenchLeavesOtherWorktrees: perfgate removes its own worktrees and no
// other, not even a stale registration of the user's that git worktree
// prune would drop.
func TestBenchLeavesOtherWorktrees(t *testing.T) {
	dir := newRepo(t, 1)
	mine := filepath.Join(t.TempDir(), "mine")
	gitRun(t, dir, "worktree", "add", "-q", "--detach", mine, "HEAD")
	if err := os.RemoveAll(mine); err != nil { // stale: its directory is gone
		t.Fatal(err)
	}
	code, _, _ := perfgate(t, context.Background(), "-C", dir, "bench", "--base", "HEAD~1", "--rounds", "1",
		"--benchtime", "10ms", "--profile=false", "--out", filepath.Join(t.TempDir(), "run"))
	if code == exitError {
		t.Fatalf("exit %d", code)
	}
	if list := gitRun(t, dir, "worktree", "list", "--porcelain"); !strings.Contains(list, mine) {
		t.Errorf("the user's worktree %s is gone:\n%s", mine, list)
	}
	if n := worktrees(t, dir); n != 2 {
		t.Errorf("%d worktrees, want the main one and the user's", n)
	}
}

// TestBenchDeletedBenchmarks: a head that deleted its benchmarks (or moved
// their package) is reported as base-only results, not an error, and the
// report says so first; bench.require_all fails it.
func TestBenchDeletedBenchmarks(t *testing.T) {
	dir := newRepo(t, 1)
	if err := os.Remove(filepath.Join(dir, "tw_test.go")); err != nil {
		t.Fatal(err)
	}
	args := []string{"-C", dir, "bench", "--base", "HEAD", "--rounds", "2", "--benchtime", "10ms", "--profile=false"}
	verdict := filepath.Join(t.TempDir(), "verdict.json")
	code, stdout, _ := perfgate(t, context.Background(), append(args, "--out", filepath.Join(t.TempDir(), "run"), "--json", verdict)...)
	if code != exitPass {
		t.Fatalf("exit %d, want %d", code, exitPass)
	}
	v := mustVerdict(t, verdict)
	if r := findResult(v, "BenchmarkSlow", "sec/op"); r == nil || r.Status != analyze.StatusBaseOnly {
		t.Errorf("BenchmarkSlow = %+v, want base-only", r)
	}
	if !strings.Contains(stdout, "no longer run") || !strings.Contains(stdout, "BenchmarkSlow") {
		t.Errorf("the report does not list the benchmarks the head no longer runs first:\n%s", stdout)
	}
	writeFiles(t, dir, map[string]string{"perfgate.yml": "bench: {require_all: true}\n"})
	if code, _, _ := perfgate(t, context.Background(), append(args, "--out", filepath.Join(t.TempDir(), "run"))...); code != exitRegression {
		t.Errorf("with require_all: exit %d, want %d", code, exitRegression)
	}
}

// BenchmarkProfilingOverhead runs the README's example job (perfgate run on
// testdata/example) and reports the time its profiling step took against
// the time of its measured rounds: profile/rounds is the extra time that
// explaining the regressions adds, as a ratio.
func BenchmarkProfilingOverhead(b *testing.B) {
	var profile, rounds float64
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "run")
		code := run(context.Background(), []string{"-C", "../..", "run", "--config", "testdata/example/perfgate.yml", "--out", out},
			io.Discard, io.Discard)
		if code != exitRegression {
			b.Fatalf("exit %d, want %d", code, exitRegression)
		}
		info, err := rundir.Open(out)
		if err != nil {
			b.Fatal(err)
		}
		ri, err := info.ReadInfo()
		if err != nil {
			b.Fatal(err)
		}
		profile += ri.ProfileSeconds
		for _, r := range ri.Measured {
			rounds += r.Seconds
		}
	}
	b.ReportMetric(profile/float64(b.N), "profile-s/op")
	b.ReportMetric(rounds/float64(b.N), "rounds-s/op")
	b.ReportMetric(profile/rounds, "profile/rounds")
}
