package analyze

import (
	"strings"

	"github.com/google/pprof/profile"
)

// UnderTest returns the samples of p, a go test benchmark's profile, that
// are the work under test: those whose stack runs through a benchmark
// function (BenchmarkX, its closures, the RunParallel workers that call
// them), and those of goroutines the testing package did not start (the
// goroutines a benchmark starts, the garbage collector's workers). Left
// out are the profiler's own work (any stack through runtime/pprof, its
// compression included), the testing package's work outside the benchmark
// (its runtime.GC between runs, reading memory statistics, printing), and
// the process's start (runtime.main: package initialization, flag
// parsing). The profile is a new one; p is not modified. Keep the
// benchmark's own setup in mind: it runs in the benchmark function once
// per call, a cost fixed per process that profiling runs of equal
// iterations on both sides cancel in a diff.
func UnderTest(p *profile.Profile) *profile.Profile {
	keep := make(map[*profile.Location]int8) // 1 benchmark, 2 framework, 3 neither
	class := func(l *profile.Location) int8 {
		if c, ok := keep[l]; ok {
			return c
		}
		c := int8(3)
		for _, ln := range l.Line {
			if ln.Function == nil {
				continue
			}
			switch name := ln.Function.Name; {
			case strings.HasPrefix(name, "runtime/pprof."):
				c = 0
			case c != 0 && isBenchmarkFunc(name):
				c = 1
			case c == 3 && (strings.HasPrefix(name, "testing.") || name == "runtime.main"):
				c = 2
			}
		}
		keep[l] = c
		return c
	}
	var kept []*profile.Sample
	for _, s := range p.Sample {
		best := int8(3)
		for _, l := range s.Location {
			if c := class(l); c < best {
				best = c
			}
		}
		if best == 1 || best == 3 {
			kept = append(kept, s)
		}
	}
	return shallow(p, kept).Compact()
}

// isBenchmarkFunc reports whether a function name is a benchmark function
// or a closure in one: "pkg/path.BenchmarkX", "pkg/path.BenchmarkX.func1".
func isBenchmarkFunc(name string) bool {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	i := strings.IndexByte(name, '.')
	return i >= 0 && strings.HasPrefix(name[i+1:], "Benchmark")
}

// Parking reports whether a function is the runtime parking a goroutine
// (gopark, selectgo, chanrecv, semacquire, and the internal packages
// under them): the leaf frames of any wait, which say nothing of what
// waited.
func Parking(fn string) bool {
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/runtime/") || strings.HasPrefix(fn, "internal/sync.")
}

// Waiters returns p, a profile of waits (block, mutex), with each
// sample's leaf locations that are all Parking left out, so that a wait is
// named by the code that waited, as the off-CPU profiles of traces name
// it. At least one location is kept. The profile is a new one; p is not
// modified.
func Waiters(p *profile.Profile) *profile.Profile {
	samples := make([]*profile.Sample, len(p.Sample))
	for i, s := range p.Sample {
		c := *s
		for len(c.Location) > 1 && parkingLocation(c.Location[0]) {
			c.Location = c.Location[1:]
		}
		samples[i] = &c
	}
	return shallow(p, samples).Compact()
}

func parkingLocation(l *profile.Location) bool {
	for _, ln := range l.Line {
		if ln.Function == nil || !Parking(ln.Function.Name) {
			return false
		}
	}
	return len(l.Line) > 0
}
