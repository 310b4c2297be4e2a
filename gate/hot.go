package gate

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/profiler"
	"github.com/perfgate/perfgate/rundir"
)

// hotTop is how many functions a regressed result carries at most, and
// hotMinShare the part of the growth a function must explain to be one:
// the rest is noise of sampling (and the profilers' own allocations).
const (
	hotTop      = 5
	hotMinShare = 0.02
)

// hotSource says which profiles explain a result: the sample type, and the
// profiles of each side, per service.
type hotSource struct {
	sampleType string
	file       func(rundir.Profile) string
	work       bool // normalize per unit of work (false for a level such as memory in use)
	match      func(rundir.Profile) bool
}

// sourceOf maps a result to the profiles that explain it: a benchmark's
// CPU profile for time, its memory profile for B/op and allocs/op; under
// load, the CPU profiles of every service of the scenario for latency and
// throughput, the service's own CPU profile for its CPU time, its heap for
// its memory.
func sourceOf(r analyze.Result) hotSource {
	cpu := func(p rundir.Profile) string { return p.CPU }
	mem := func(p rundir.Profile) string { return p.Mem }
	of := func(p rundir.Profile) bool { return p.Benchmark == r.Benchmark }
	if name, ok := analyze.ParseLoadName(r.Benchmark); ok {
		switch r.Unit {
		case "cpu-sec/op":
			return hotSource{"cpu", cpu, true, of}
		case "peak-rss-B":
			return hotSource{"inuse_space", mem, false, of}
		}
		scenario := func(p rundir.Profile) bool {
			n, ok := analyze.ParseLoadName(p.Benchmark)
			return ok && n.Scenario == name.Scenario && n.Service != ""
		}
		return hotSource{"cpu", cpu, true, scenario}
	}
	switch r.Unit {
	case "B/op":
		return hotSource{"alloc_space", mem, true, of}
	case "allocs/op":
		return hotSource{"alloc_objects", mem, true, of}
	}
	return hotSource{"cpu", cpu, true, of}
}

// attachHot attaches to each regressed result of v the functions that
// explain it, from the profiles of the run, and writes the profiles behind
// them (pprof, for go tool pprof) and the diff's folded stacks (for flame
// graphs) to the run's diffs. What cannot be explained gets a note, not an
// error: the figures stand without their culprits.
func attachHot(v *analyze.Verdict, info *rundir.Info, run rundir.Dir) {
	cache := make(map[string]*profile.Profile)
	load := func(rel string) (*profile.Profile, error) {
		if p, ok := cache[rel]; ok {
			return p, nil
		}
		p, err := profiler.Load(run.Path(rel))
		if err == nil {
			cache[rel] = p
		}
		return p, err
	}
	for i := range v.Results {
		r := &v.Results[i]
		if !r.Regression {
			continue
		}
		src := sourceOf(*r)
		var sides [2][]analyze.ProfileSide
		var problems []string
		for _, p := range info.Profiles {
			if !src.match(p) || src.file(p) == "" {
				continue
			}
			prof, err := load(src.file(p))
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			if !analyze.Symbolized(prof) {
				problems = append(problems, fmt.Sprintf("%s has no symbols: functions are shown as addresses", src.file(p)))
			}
			work := p.Work
			if src.work && work <= 0 {
				problems = append(problems, fmt.Sprintf("%s covers an unknown amount of work: compared as raw totals", src.file(p)))
			}
			if !src.work || work <= 0 {
				work = 1 // a level (memory in use), or unknown work
			}
			side := 0
			if p.Side == "head" {
				side = 1
			}
			sides[side] = append(sides[side], analyze.ProfileSide{Service: p.Service, Profiles: []*profile.Profile{prof}, Work: work})
		}
		for _, pr := range problems {
			v.Notes = append(v.Notes, fmt.Sprintf("%s %s: %s", r.Benchmark, r.Unit, pr))
		}
		if len(sides[0]) == 0 || len(sides[1]) == 0 {
			v.Notes = append(v.Notes, fmt.Sprintf("%s %s: no %s profiles of both sides to explain it", r.Benchmark, r.Unit, src.sampleType))
			continue
		}
		diffs, err := analyze.DiffProfiles(sides[0], sides[1], src.sampleType)
		var hot []analyze.Hot
		if err == nil {
			hot, err = analyze.Diff(diffs, analyze.HotOptions{SampleType: src.sampleType, Top: hotTop})
		}
		if err != nil {
			v.Notes = append(v.Notes, fmt.Sprintf("%s %s: no hot functions: %v", r.Benchmark, r.Unit, err))
			continue
		}
		r.Hot = slices.DeleteFunc(hot, func(h analyze.Hot) bool { return h.Share < hotMinShare })
		files, err := writeDiffs(run, *r, src.sampleType, diffs)
		if err != nil {
			v.Notes = append(v.Notes, fmt.Sprintf("%s %s: writing its diff profiles: %v", r.Benchmark, r.Unit, err))
		}
		r.Profiles = files
	}
}

// writeDiffs writes, per service (or for the benchmark) profiled on both
// sides, the base profile scaled to the head's work, the head profile,
// their diff as pprof builds it, and the diff's folded stacks, and returns
// their names in the run directory. `go tool pprof -top -diff_base BASE
// HEAD` shows what perfgate shows.
func writeDiffs(run rundir.Dir, r analyze.Result, sampleType string, diffs []analyze.ProfileDiff) ([]string, error) {
	var files []string
	for _, d := range diffs {
		if d.Base == nil {
			continue
		}
		names := run.Diffs(r.Benchmark, r.Unit, d.Service)
		var folded bytes.Buffer
		if err := analyze.Folded(&folded, d.Diff, sampleType); err != nil {
			return files, err
		}
		for _, f := range []struct {
			name string
			p    *profile.Profile
		}{{names.Base, d.Base}, {names.Head, d.Head}, {names.Diff, d.Diff}} {
			var buf bytes.Buffer
			if err := f.p.Write(&buf); err != nil {
				return files, err
			}
			if err := run.WriteFile(f.name, buf.Bytes()); err != nil {
				return files, err
			}
			files = append(files, f.name)
		}
		if err := run.WriteFile(names.Folded, folded.Bytes()); err != nil {
			return files, err
		}
		files = append(files, names.Folded)
	}
	return files, nil
}
