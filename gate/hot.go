package gate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/profiler"
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
	file       func(bench.Profile) string
	work       bool // normalize per unit of work (false for a level such as memory in use)
	match      func(bench.Profile) bool
}

// sourceOf maps a result to the profiles that explain it: a benchmark's
// CPU profile for time, its memory profile for B/op and allocs/op; under
// load, the CPU profiles of every service of the scenario for latency and
// throughput, the service's own CPU profile for its CPU time, its heap for
// its memory.
func sourceOf(r analyze.Result) hotSource {
	cpu := func(p bench.Profile) string { return p.CPU }
	mem := func(p bench.Profile) string { return p.Mem }
	if scenario, ok := loadScenario(r.Benchmark); ok {
		of := func(p bench.Profile) bool { return p.Benchmark == r.Benchmark }
		switch r.Unit {
		case "cpu-sec/op":
			return hotSource{"cpu", cpu, true, of}
		case "peak-rss-B":
			return hotSource{"inuse_space", mem, false, of}
		}
		prefix := "BenchmarkLoad/scenario=" + scenario + "/service="
		return hotSource{"cpu", cpu, true, func(p bench.Profile) bool { return strings.HasPrefix(p.Benchmark, prefix) }}
	}
	of := func(p bench.Profile) bool { return p.Benchmark == r.Benchmark }
	switch r.Unit {
	case "B/op":
		return hotSource{"alloc_space", mem, true, of}
	case "allocs/op":
		return hotSource{"alloc_objects", mem, true, of}
	}
	return hotSource{"cpu", cpu, true, of}
}

// loadScenario returns the scenario of a load result's name,
// BenchmarkLoad/scenario=S/service=X.
func loadScenario(name string) (scenario string, ok bool) {
	rest, ok := strings.CutPrefix(name, "BenchmarkLoad/scenario=")
	if !ok {
		return "", false
	}
	scenario, _, ok = strings.Cut(rest, "/service=")
	return scenario, ok
}

// attachHot attaches to each regressed result of v the functions that
// explain it, from the profiles of the run in dir, and writes the diff
// profiles (pprof, for go tool pprof) and folded stacks (for flame graphs)
// to dir/diffs. What cannot be explained gets a note, not an error: the
// figures stand without their culprits.
func attachHot(v *analyze.Verdict, info *bench.Info, dir string) {
	cache := make(map[string]*profile.Profile)
	load := func(rel string) (*profile.Profile, error) {
		if p, ok := cache[rel]; ok {
			return p, nil
		}
		p, err := profiler.Load(filepath.Join(dir, rel))
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
		hot, err := analyze.Diff(sides[0], sides[1], analyze.HotOptions{SampleType: src.sampleType, Top: hotTop})
		if err != nil {
			v.Notes = append(v.Notes, fmt.Sprintf("%s %s: no hot functions: %v", r.Benchmark, r.Unit, err))
			continue
		}
		r.Hot = slices.DeleteFunc(hot, func(h analyze.Hot) bool { return h.Share < hotMinShare })
		files, err := writeDiffs(dir, *r, src.sampleType, sides[0], sides[1])
		if err != nil {
			v.Notes = append(v.Notes, fmt.Sprintf("%s %s: writing its diff profiles: %v", r.Benchmark, r.Unit, err))
		}
		r.Profiles = files
	}
}

// writeDiffs writes, per service (or for the benchmark), the base profile
// scaled to the head's work, the head profile, their diff as pprof builds
// it, and the diff's folded stacks, and returns their paths relative to
// dir. `go tool pprof -top -diff_base BASE HEAD` shows what perfgate shows.
func writeDiffs(dir string, r analyze.Result, sampleType string, base, head []analyze.ProfileSide) ([]string, error) {
	var files []string
	for _, h := range head {
		var b *analyze.ProfileSide
		for i := range base {
			if base[i].Service == h.Service {
				b = &base[i]
			}
		}
		if b == nil {
			continue
		}
		stem := filepath.Join("diffs", fileName(r.Benchmark+"."+r.Unit))
		if h.Service != "" {
			stem += "." + h.Service
		}
		nb, err := analyze.NormalizedBase(*b, h)
		if err != nil {
			return files, err
		}
		diff, err := analyze.DiffProfile(*b, h, sampleType)
		if err != nil {
			return files, err
		}
		head, err := profile.Merge(h.Profiles)
		if err != nil {
			return files, err
		}
		var folded bytes.Buffer
		if err := analyze.Folded(&folded, diff, sampleType); err != nil {
			return files, err
		}
		if err := os.MkdirAll(filepath.Join(dir, "diffs"), 0o755); err != nil {
			return files, err
		}
		for _, f := range []struct {
			suffix string
			p      *profile.Profile
		}{{".base.pb.gz", nb}, {".head.pb.gz", head}, {".diff.pb.gz", diff}} {
			var buf bytes.Buffer
			if err := f.p.Write(&buf); err != nil {
				return files, err
			}
			if err := os.WriteFile(filepath.Join(dir, stem+f.suffix), buf.Bytes(), 0o644); err != nil {
				return files, err
			}
			files = append(files, stem+f.suffix)
		}
		if err := os.WriteFile(filepath.Join(dir, stem+".folded"), folded.Bytes(), 0o644); err != nil {
			return files, err
		}
		files = append(files, stem+".folded")
	}
	return files, nil
}

// fileName turns a result's name into a file name.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '=' {
			return r
		}
		return '_'
	}, s)
}
