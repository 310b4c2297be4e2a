package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/profiler"
)

// hotWorkload is a package whose benchmarks are profiled by
// TestHotMatchesPprof: a CPU-bound operation of many functions, large and
// small (so that some fall under pprof's node fraction), and allocations
// of many sizes from many sites, the head's with one more function.
const hotWorkload = `package work

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

var sink atomic.Int64

// With -test.cpuprofile, 1000 CPU samples a second rather than 100, so
// that a short run has enough of them for pprof's node fraction to leave
// some functions out: testing's StartCPUProfile cannot change the rate
// once set (and says so), and the profile's period is the rate set here.
func init() {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.cpuprofile=") {
			runtime.SetCPUProfileRate(1000)
		}
	}
}

//go:noinline
func spin(n int) int {
	x := 1
	for i := 0; i < n; i++ {
		x = x*1664525 + 1013904223
	}
	return x
}

//go:noinline
func checksum(n int) int {
	x := 7
	for i := 0; i < n; i++ {
		x = x*31 + i
	}
	return x
}

//go:noinline
func misc(i int) int {
	s := strconv.Itoa(i)
	m := map[string]int{s: i, s + "x": i + 1}
	h := sha256.Sum256([]byte(s))
	xs := []int{i % 7, i % 5, i % 3, 1, 9, i % 11}
	sort.Ints(xs)
	f := fmt.Sprintf("%d-%x", i, h[:2])
	return len(m) + xs[0] + len(strings.ToUpper(f))
}

//go:noinline
func buffers(i int) int {
	n := 0
	for k := 0; k < 8; k++ {
		b := make([]byte, 64<<k)
		n += len(b)
	}
	parts := make([]string, 0, 4)
	for k := range 4 {
		parts = append(parts, strconv.Itoa(i+k))
	}
	return n + len(strings.Join(parts, ","))
}

//go:noinline
func extra(i int) int {
	b := make([]byte, 24<<10)
	return len(b) + len(fmt.Sprint(i))
}

func op(i int, head bool) int {
	r := spin(20000) + misc(i)
	if head {
		r += checksum(30000)
	}
	return r
}

func alloc(i int, head bool) int {
	r := buffers(i) + misc(i)
	if head {
		r += extra(i)
	}
	return r
}

func BenchmarkCPU(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		i, s := 0, 0
		for pb.Next() {
			i++
			s += op(i, true)
		}
		sink.Add(int64(s))
	})
}

func BenchmarkAllocBase(b *testing.B) {
	for i := range b.N {
		sink.Add(int64(alloc(i, false)))
	}
}

func BenchmarkAllocHead(b *testing.B) {
	for i := range b.N {
		sink.Add(int64(alloc(i, true)))
	}
}
`

// workloadProfiles builds hotWorkload's test binary and runs it: a CPU
// profile of BenchmarkCPU (both CPUs for a second, sampled 1000 times a
// second) and memory profiles (every 512 bytes allocated sampled) of
// BenchmarkAllocBase and BenchmarkAllocHead, each 3000 iterations. It
// returns the profiles' paths by name: cpu, mem-base, mem-head.
func workloadProfiles(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":       "module example.com/work\n\ngo 1.26\n",
		"work_test.go": hotWorkload,
	})
	bin := filepath.Join(dir, "work.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the workload: %v\n%s", err, out)
	}
	profiles := map[string]string{}
	for _, r := range []struct {
		name  string
		flags []string
	}{
		{"cpu", []string{"-test.bench=^BenchmarkCPU$", "-test.benchtime=1s", "-test.cpu=2", "-test.cpuprofile=" + filepath.Join(dir, "cpu.pb.gz")}},
		{"mem-base", []string{"-test.bench=^BenchmarkAllocBase$", "-test.benchtime=3000x", "-test.memprofilerate=512", "-test.memprofile=" + filepath.Join(dir, "mem-base.pb.gz")}},
		{"mem-head", []string{"-test.bench=^BenchmarkAllocHead$", "-test.benchtime=3000x", "-test.memprofilerate=512", "-test.memprofile=" + filepath.Join(dir, "mem-head.pb.gz")}},
	} {
		cmd := exec.Command(bin, append([]string{"-test.run=^$"}, r.flags...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("running the workload (%s): %v\n%s", r.name, err, out)
		}
		profiles[r.name] = filepath.Join(dir, r.name+".pb.gz")
	}
	return profiles
}

// pprofTop runs go tool pprof -top with args and returns the functions of
// its lines, in order, those whose flat value is positive when positive is
// set, and how many nodes it says it dropped.
func pprofTop(t *testing.T, positive bool, args ...string) (functions []string, dropped string) {
	t.Helper()
	out, err := exec.Command("go", append([]string{"tool", "pprof", "-top"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -top %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if m := regexp.MustCompile(`Dropped (\d+) nodes`).FindSubmatch(out); m != nil {
		dropped = string(m[1])
	}
	// After the header line "flat flat% sum% cum cum%", one function a
	// line: flat, flat%, sum%, cum, cum%, name (which may hold spaces),
	// and " (inline)" after the name of a function inlined wherever it
	// was called.
	_, table, ok := strings.Cut(string(out), "cum%\n")
	if !ok {
		t.Fatalf("go tool pprof -top %s: no table\n%s", strings.Join(args, " "), out)
	}
	for _, l := range strings.Split(table, "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || !strings.HasSuffix(f[1], "%") {
			continue
		}
		if positive && (strings.HasPrefix(f[0], "-") || f[0] == "0") {
			continue
		}
		// pprof marks a function inlined at all its call sites.
		functions = append(functions, strings.TrimSuffix(strings.Join(f[5:], " "), " (inline)"))
	}
	return functions, dropped
}

// TestHotMatchesPprof: perfgate hot lists the functions go tool pprof -top
// lists at its default node fraction (0.005), in its order, for a real CPU
// profile and a real memory profile (alloc_space) of a test binary; with
// --base, the functions that grew are those of go tool pprof -top
// -diff_base whose flat value is positive, in its order, the node fraction
// applied to the diff as pprof applies it.
func TestHotMatchesPprof(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and profiles a test binary")
	}
	profiles := workloadProfiles(t)
	for _, tt := range []struct {
		name     string
		hot      []string // perfgate hot's arguments
		pprof    []string // go tool pprof -top's
		positive bool
	}{
		{"cpu", []string{profiles["cpu"]}, []string{profiles["cpu"]}, false},
		{"alloc_space", []string{profiles["mem-head"], "--unit", "alloc_space"}, []string{"-sample_index=alloc_space", profiles["mem-head"]}, false},
		{"alloc_objects", []string{profiles["mem-head"], "--unit", "alloc_objects"}, []string{"-sample_index=alloc_objects", profiles["mem-head"]}, false},
		{"diff alloc_space", []string{profiles["mem-head"], "--base", profiles["mem-base"], "--unit", "alloc_space"},
			[]string{"-sample_index=alloc_space", "-diff_base", profiles["mem-base"], profiles["mem-head"]}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "hot.json")
			code, _, _ := perfgate(t, context.Background(), append([]string{"hot", "--top", "0", "--json", out}, tt.hot...)...)
			if code != exitPass {
				t.Fatalf("exit %d", code)
			}
			var res hotResult
			if err := json.Unmarshal([]byte(mustRead(t, out)), &res); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range res.Functions {
				got = append(got, h.Function)
			}
			want, dropped := pprofTop(t, tt.positive, append([]string{"-nodefraction=0.005"}, tt.pprof...)...)
			t.Logf("go tool pprof lists %d functions, dropped %s nodes", len(want), dropped)
			if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("perfgate hot lists %d functions:\n%s\ngo tool pprof -top:\n%s", len(got), strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// With no node fraction, perfgate lists at least as many, and
			// more when pprof dropped some.
			code, _, _ = perfgate(t, context.Background(), append([]string{"hot", "--top", "0", "--node-fraction", "0", "--json", out}, tt.hot...)...)
			if code != exitPass {
				t.Fatalf("--node-fraction 0: exit %d", code)
			}
			var all hotResult
			if err := json.Unmarshal([]byte(mustRead(t, out)), &all); err != nil {
				t.Fatal(err)
			}
			if !tt.positive {
				checkEvents(t, tt.hot[0], all.Functions)
			}
			// In a diff, pprof may drop only functions that shrank, which
			// perfgate does not list anyway.
			if len(all.Functions) < len(res.Functions) || dropped != "" && !tt.positive && len(all.Functions) == len(res.Functions) {
				t.Errorf("--node-fraction 0 lists %d functions, the default %d (pprof dropped %q nodes)", len(all.Functions), len(res.Functions), dropped)
			}
		})
	}
}

// checkEvents checks the sampled events of all the functions of a profile,
// as perfgate hot lists them with no node fraction: for a CPU profile, they
// add up to its samples; for a memory profile (sampled every 512 bytes,
// most allocations smaller), to fewer than the allocations the runtime
// estimated from them (alloc_objects), but some.
func checkEvents(t *testing.T, path string, functions []analyze.Hot) {
	t.Helper()
	p, err := profiler.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var events int64
	for _, h := range functions {
		events += h.HeadSamples
	}
	index := func(name string) int {
		for i, st := range p.SampleType {
			if st.Type == name {
				return i
			}
		}
		t.Fatalf("%s has no %s", path, name)
		return -1
	}
	sum := func(i int) (n int64) {
		for _, s := range p.Sample {
			if len(s.Location) > 0 {
				n += s.Value[i]
			}
		}
		return n
	}
	if p.PeriodType != nil && p.PeriodType.Type == "cpu" {
		if want := sum(index("samples")); events != want {
			t.Errorf("the functions' samples add up to %d, the profile has %d", events, want)
		}
		return
	}
	if objects := sum(index("alloc_objects")); events <= 0 || events >= objects {
		t.Errorf("the functions' sampled allocations add up to %d, want some, fewer than the %d estimated", events, objects)
	}
}
