package analyze

import (
	"slices"
	"testing"
)

func TestUnderTest(t *testing.T) {
	p := handProfile(
		stack{"runtime.goexit;testing.(*B).launch;testing.(*B).runN;pkg.BenchmarkWork;pkg.helper", 40e7},
		stack{"runtime.goexit;testing.(*B).RunParallel.func1;pkg.BenchmarkPar.func1;pkg.helper", 10e7},
		stack{"runtime.goexit;pkg.worker", 5e7},              // a goroutine the benchmark started
		stack{"runtime.gcBgMarkWorker;runtime.gcDrain", 3e7}, // the collector
		stack{"runtime.goexit;runtime/pprof.profileWriter;compress/flate.(*compressor).write", 7e7},
		stack{"runtime.goexit;testing.(*B).launch;testing.(*B).runN;runtime.GC", 2e7},  // the testing package
		stack{"runtime.main;runtime.doInit1;pkg.init", 1e7},                            // the process's start
		stack{"runtime.goexit;pkg_test.BenchmarkX;runtime/pprof.StartCPUProfile", 1e7}, // the profiler, even under a benchmark
	)
	got := UnderTest(p)
	if err := got.CheckValid(); err != nil {
		t.Fatal(err)
	}
	var leaves []string
	for _, s := range got.Sample {
		leaves = append(leaves, s.Location[0].Line[0].Function.Name)
	}
	slices.Sort(leaves)
	want := []string{"pkg.helper", "pkg.helper", "pkg.worker", "runtime.gcDrain"}
	if !slices.Equal(leaves, want) {
		t.Errorf("kept samples of %v, want %v", leaves, want)
	}
	if len(p.Sample) != 8 {
		t.Errorf("the input lost samples: %d left", len(p.Sample))
	}
}

func TestIsBenchmarkFunc(t *testing.T) {
	for name, want := range map[string]bool{
		"github.com/x/y.BenchmarkFoo":            true,
		"github.com/x/y_test.BenchmarkFoo.func1": true,
		"y.BenchmarkFoo":                         true,
		"testing.(*B).runN":                      false,
		"github.com/x/Benchmark.Foo":             false,
		"github.com/x/y.helperBenchmark":         false,
	} {
		if got := isBenchmarkFunc(name); got != want {
			t.Errorf("isBenchmarkFunc(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestWaiters(t *testing.T) {
	p := handProfile(
		stack{"main.main;pkg.waitFor;runtime.chanrecv1;runtime.chanrecv;runtime.gopark", 3e7},
		stack{"main.main;pkg.lock+internal/sync.(*Mutex).Lock", 1e7}, // an inlined parking frame keeps its location
		stack{"runtime.gcBgMarkWorker;runtime.gopark", 1e7},          // all runtime: its outermost frame stays
	)
	got := Waiters(p)
	if err := got.CheckValid(); err != nil {
		t.Fatal(err)
	}
	var leaves []string
	for _, s := range got.Sample {
		leaves = append(leaves, s.Location[0].Line[0].Function.Name)
	}
	want := []string{"pkg.waitFor", "internal/sync.(*Mutex).Lock", "runtime.gcBgMarkWorker"}
	if !slices.Equal(leaves, want) {
		t.Errorf("leaves %v, want %v", leaves, want)
	}
	if n := len(p.Sample[0].Location); n != 5 {
		t.Errorf("the input lost locations: %d left", n)
	}
}
