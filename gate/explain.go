package gate

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/analyze/offcpu"
	"github.com/perfgate/perfgate/profiler"
	"github.com/perfgate/perfgate/rundir"
)

// hotTop is how many functions an explanation lists at most, and hotAlpha
// the significance level of each function's growth, Holm-corrected over
// the functions tested (analyze.HotOptions.Alpha).
const (
	hotTop   = 8
	hotAlpha = 0.05
)

// A source is what explains a group of regressed results: the profiles of
// one benchmark or one load scenario, of one kind.
type source struct {
	// benchmark names the group: the benchmark, the scenario
	// (LoadName without Service), or the service (LoadName).
	benchmark string
	pkg       string
	// sampleType is the sample type ranked; "delay" ranks on-CPU and
	// off-CPU time together.
	sampleType string
}

// sourceOf maps a regressed result to what explains it: a benchmark's
// time by its CPU profile (with its contention when the time grew more
// than the CPU), its B/op and allocs/op by its memory profile; under load,
// the scenario's response time and throughput by the on-CPU time (CPU
// profiles) and off-CPU time (execution traces) of every service of the
// scenario, a service's CPU time by its CPU profile, its memory by its
// heap, and what it allocates per request by its heap's allocations.
func sourceOf(r analyze.Result) source {
	if name, ok := analyze.ParseLoadName(r.Benchmark); ok {
		switch r.Unit {
		case "cpu-sec/op":
			return source{r.Benchmark, "", "cpu"}
		case "peak-rss-B":
			return source{r.Benchmark, "", "inuse_space"}
		case "B/op":
			// Allocated per request: a deploy's, from its heap profiles.
			return source{r.Benchmark, "", "alloc_space"}
		}
		return source{analyze.LoadName{Scenario: name.Scenario}.String(), "", "delay"}
	}
	pkg := r.Config.Get("pkg")
	switch r.Unit {
	case "B/op", "allocs/op":
		return source{r.Benchmark, pkg, "alloc_space"}
	}
	return source{r.Benchmark, pkg, "cpu"}
}

// explain groups the regressed results of v by what explains them, ranks
// the functions that grew in each group's profiles beyond sampling noise,
// and writes the profiles behind them (pprof, for go tool pprof) and the
// diffs' folded stacks (for flame graphs) to the run's diffs. Each
// regressed result carries its group's hot list. What cannot be explained
// gets a note, not an error: the figures stand without their culprits.
func explain(v *analyze.Verdict, info *rundir.Info, run rundir.Dir) {
	x := &explainer{run: run, info: info, cache: map[string]*profile.Profile{}}
	var order []source
	groups := map[source][]int{}
	for i, r := range v.Results {
		if !r.Regression {
			continue
		}
		src := sourceOf(r)
		if groups[src] == nil {
			order = append(order, src)
		}
		groups[src] = append(groups[src], i)
	}
	for _, src := range order {
		e := analyze.Explanation{Package: src.pkg, Benchmark: src.benchmark, SampleType: src.sampleType}
		for _, i := range groups[src] {
			e.Units = append(e.Units, v.Results[i].Unit)
		}
		if src.sampleType == "alloc_space" && slices.Equal(e.Units, []string{"allocs/op"}) {
			e.SampleType = "alloc_objects"
		}
		x.explainOne(&e, src, v.Results[groups[src][0]])
		for _, i := range groups[src] {
			v.Results[i].Hot, v.Results[i].Profiles = e.Hot, e.Profiles
		}
		v.Explanations = append(v.Explanations, e)
	}
}

// Explain explains the regressed results of v as a run does, from the
// profiles info lists in run (where the diffs are written): for perfgate
// history's change points, whose two sides are two runs' profiles.
func Explain(v *analyze.Verdict, info *rundir.Info, run rundir.Dir) { explain(v, info, run) }

// explainer reads the profiles of one run, once each.
type explainer struct {
	run   rundir.Dir
	info  *rundir.Info
	cache map[string]*profile.Profile
}

func (x *explainer) load(rel string) (*profile.Profile, error) {
	if p, ok := x.cache[rel]; ok {
		return p, nil
	}
	p, err := profiler.Load(x.run.Path(rel))
	if err == nil {
		x.cache[rel] = p
	}
	return p, err
}

// sides are one explanation's profiles: per side, per service and kind.
type sides [2][]analyze.ProfileSide

func sideIndex(name string) int {
	if name == "head" {
		return 1
	}
	return 0
}

// explainOne fills e from the profiles of src.
func (x *explainer) explainOne(e *analyze.Explanation, src source, r analyze.Result) {
	var ps sides
	switch {
	case src.sampleType == "delay":
		ps = x.loadTime(e, src)
	default:
		ps = x.profiles(e, src, r)
	}
	if len(ps[0]) == 0 || len(ps[1]) == 0 {
		e.Notes = append(e.Notes, fmt.Sprintf("no %s profiles of both sides to explain it", e.SampleType))
		return
	}
	sampleType := e.SampleType
	if src.sampleType == "delay" || src.sampleType == "cpu" && x.contention(e, src, r, &ps) {
		sampleType = "delay"
		e.SampleType = "delay"
	}
	for s := range 2 {
		for _, side := range ps[s] {
			for _, p := range side.Profiles {
				if n, ok := analyze.Events(p, sampleType); ok {
					if s == 0 {
						e.BaseSamples += int64(n)
					} else {
						e.HeadSamples += int64(n)
					}
				}
			}
		}
	}
	if src.sampleType != "inuse_space" { // a level covers no work
		e.BaseWork, e.HeadWork = workOf(ps[0]), workOf(ps[1])
	}
	diffs, err := analyze.DiffProfiles(ps[0], ps[1], sampleType)
	if err != nil {
		e.Notes = append(e.Notes, fmt.Sprintf("no hot functions: %v", err))
		return
	}
	if src.sampleType == "delay" {
		e.Split = sortSplit(append(e.Split, split(diffs)...))
	}
	hot, err := analyze.Diff(diffs, analyze.HotOptions{SampleType: sampleType, Top: hotTop, Alpha: hotAlpha})
	if err != nil {
		e.Notes = append(e.Notes, fmt.Sprintf("no hot functions: %v", err))
		return
	}
	e.Hot = hot
	if hot == nil {
		e.Hot = []analyze.Hot{}
	}
	files, err := writeDiffs(x.run, *e, sampleType, diffs)
	if err != nil {
		e.Notes = append(e.Notes, fmt.Sprintf("writing its diff profiles: %v", err))
	}
	e.Profiles = files
}

// workOf is the work a side's profiles cover: that of its first service
// and kind's profiles (the others of a load scenario cover the same
// requests).
func workOf(ps []analyze.ProfileSide) float64 {
	var w float64
	for _, p := range ps {
		if p.Service == ps[0].Service && p.Kind == ps[0].Kind {
			w += p.Work
		}
	}
	return w
}

// profiles returns the profiles of src of one sample type: a benchmark's
// CPU or memory profiles (the work under test only, analyze.UnderTest), a
// service's CPU or heap profiles.
func (x *explainer) profiles(e *analyze.Explanation, src source, r analyze.Result) sides {
	var ps sides
	load := isLoad(src.benchmark)
	for _, p := range x.info.Profiles {
		if p.Benchmark != src.benchmark || (src.pkg != "" && p.Package != "" && p.Package != src.pkg) {
			continue
		}
		file := p.CPU
		if src.sampleType != "cpu" {
			file = p.Mem
		}
		if file == "" {
			continue
		}
		prof, ok := x.read(e, file)
		if !ok {
			continue
		}
		work := p.Work
		if src.sampleType == "inuse_space" {
			work = 1 // a level, not a cost per unit of work
		}
		if !load {
			prof = analyze.UnderTest(prof)
		}
		ps[sideIndex(p.Side)] = append(ps[sideIndex(p.Side)], analyze.ProfileSide{Service: p.Service, Profiles: []*profile.Profile{prof}, Work: work})
	}
	return ps
}

func isLoad(name string) bool {
	_, ok := analyze.ParseLoadName(name)
	return ok
}

// read loads a profile, noting why it cannot be used.
func (x *explainer) read(e *analyze.Explanation, file string) (*profile.Profile, bool) {
	prof, err := x.load(file)
	if err != nil {
		e.Notes = append(e.Notes, err.Error())
		return nil, false
	}
	if !analyze.Symbolized(prof) {
		e.Notes = append(e.Notes, fmt.Sprintf("%s has no symbols: functions are shown as addresses", file))
	}
	return prof, true
}

// contention adds a benchmark's block and mutex profiles to ps, its CPU
// profiles made time profiles, when its time per op grew more than its
// CPU time per op: the rest of the growth is waiting. It reports whether
// it did.
func (x *explainer) contention(e *analyze.Explanation, src source, r analyze.Result, ps *sides) bool {
	if r.Unit != "sec/op" || r.Base == nil || r.Head == nil {
		return false
	}
	var cpu [2]float64
	for s := range 2 {
		var work float64
		for _, side := range ps[s] {
			for _, p := range side.Profiles {
				cpu[s] += analyze.Total(p, "cpu")
			}
			work += side.Work
		}
		if work > 0 {
			cpu[s] /= work * 1e9
		}
	}
	wall := r.Head.Center - r.Base.Center
	if wall <= 0 || cpu[1]-cpu[0] >= wall/2 {
		return false
	}
	var extra sides
	for _, p := range x.info.Profiles {
		if p.Benchmark != src.benchmark || (src.pkg != "" && p.Package != src.pkg) {
			continue
		}
		for _, f := range []struct{ file, kind string }{{p.Block, "block"}, {p.Mutex, "mutex"}} {
			if f.file == "" {
				continue
			}
			prof, ok := x.read(e, f.file)
			if !ok || len(prof.SampleType) != 2 || len(prof.Sample) == 0 {
				continue
			}
			i := sideIndex(p.Side)
			extra[i] = append(extra[i], analyze.ProfileSide{Kind: f.kind, Profiles: asTime([]*profile.Profile{analyze.Waiters(analyze.UnderTest(prof))}), Work: p.Work})
		}
	}
	if len(extra[0]) == 0 || len(extra[1]) == 0 {
		return false
	}
	e.Notes = append(e.Notes, fmt.Sprintf("the time per op grew by %s, its CPU time by %s: the rest is waiting, ranked from the block and mutex profiles with the CPU time",
		seconds(wall), seconds(cpu[1]-cpu[0])))
	for s := range 2 {
		for i := range ps[s] {
			ps[s][i].Kind = offcpu.OnCPU
			ps[s][i].Profiles = asTime(ps[s][i].Profiles)
		}
		ps[s] = append(ps[s], extra[s]...)
	}
	return true
}

func seconds(s float64) string { return fmt.Sprintf("%.3gµs", s*1e6) }

// asTime returns CPU profiles as time profiles of the off-CPU profiles'
// sample types: events (the CPU samples) and delay (the CPU time), so
// that on-CPU and off-CPU time rank together. A contention profile
// (contentions, delay) becomes the same.
func asTime(ps []*profile.Profile) []*profile.Profile {
	out := make([]*profile.Profile, len(ps))
	for i, p := range ps {
		q := p.Copy()
		q.SampleType = []*profile.ValueType{{Type: "events", Unit: "count"}, {Type: "delay", Unit: "nanoseconds"}}
		q.DefaultSampleType = "delay"
		q.PeriodType = &profile.ValueType{Type: "delay", Unit: "nanoseconds"}
		out[i] = q
	}
	return out
}

// loadTime returns the time profiles of a scenario's services: their CPU
// profiles as on-CPU time and, where traces were taken (or off-CPU time
// profiles derived otherwise), their off-CPU time by kind, each per
// request.
func (x *explainer) loadTime(e *analyze.Explanation, src source) sides {
	name, _ := analyze.ParseLoadName(src.benchmark)
	var ps sides
	background := map[[2]string]float64{} // by side and service: ns
	tracedWork := map[[2]string]float64{}
	for _, p := range x.info.Profiles {
		n, ok := analyze.ParseLoadName(p.Benchmark)
		if !ok || n.Scenario != name.Scenario || n.Service == "" {
			continue
		}
		s := sideIndex(p.Side)
		if p.CPU != "" && p.Work > 0 {
			if prof, ok := x.read(e, p.CPU); ok {
				ps[s] = append(ps[s], analyze.ProfileSide{Service: p.Service, Kind: offcpu.OnCPU, Profiles: asTime([]*profile.Profile{prof}), Work: p.Work})
			}
		}
		if p.Work > 0 {
			for _, kind := range offcpu.Kinds {
				if f := p.OffCPU[kind]; f != "" {
					if prof, ok := x.read(e, f); ok {
						ps[s] = append(ps[s], analyze.ProfileSide{Service: p.Service, Kind: kind, Profiles: []*profile.Profile{prof}, Work: p.Work})
					}
				}
			}
		}
		if p.Trace == "" || p.TraceWork <= 0 {
			continue
		}
		res, err := x.readTrace(p.Trace)
		if err != nil {
			e.Notes = append(e.Notes, fmt.Sprintf("%s %s: the off-CPU time is left out: %v", p.Side, p.Service, err))
			continue
		}
		e.Notes = append(e.Notes, res.Notes...)
		for _, kind := range offcpu.Kinds {
			if kind == offcpu.OnCPU {
				continue // the CPU profile has it, by stack, and every goroutine's
			}
			if prof := res.Profiles[kind]; prof != nil {
				ps[s] = append(ps[s], analyze.ProfileSide{Service: p.Service, Kind: kind, Profiles: []*profile.Profile{prof}, Work: p.TraceWork})
			}
		}
		k := [2]string{p.Side, p.Service}
		background[k] += float64(res.Background.Nanoseconds())
		tracedWork[k] += p.TraceWork
	}
	for k, ns := range background {
		if tracedWork[k] > 0 && ns > 0 {
			i := slices.IndexFunc(e.Split, func(s analyze.Split) bool { return s.Service == k[1] && s.Kind == "background" })
			if i < 0 {
				e.Split = append(e.Split, analyze.Split{Service: k[1], Kind: "background", Unit: "ns/op"})
				i = len(e.Split) - 1
			}
			if k[0] == "head" {
				e.Split[i].Head = ns / tracedWork[k]
			} else {
				e.Split[i].Base = ns / tracedWork[k]
			}
		}
	}
	return ps
}

// maxTraceBytes bounds a trace perfgate reads.
const maxTraceBytes = 64 << 20

func (x *explainer) readTrace(rel string) (*offcpu.Result, error) {
	f, err := os.Open(x.run.Path(rel))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := offcpu.Read(f, offcpu.Options{MaxBytes: maxTraceBytes})
	if err != nil {
		return nil, fmt.Errorf("reading the trace %s: %w", rel, err)
	}
	return res, nil
}

// split is the time per request by service and kind on each side, from
// the diffs (whose values are for head's work).
func split(diffs []analyze.ProfileDiff) []analyze.Split {
	var out []analyze.Split
	for _, d := range diffs {
		s := analyze.Split{Service: d.Service, Kind: d.Kind, Unit: "ns/op"}
		s.Head = analyze.Total(d.Head, "delay") / d.Work
		if d.Base != nil {
			s.Base = analyze.Total(d.Base, "delay") / d.Work
		}
		out = append(out, s)
	}
	return out
}

// sortSplit orders the time per request by service, then by kind (on-CPU,
// off-CPU kinds, the runtime's background work last).
func sortSplit(out []analyze.Split) []analyze.Split {
	kindOrder := func(k string) int {
		if i := slices.Index(offcpu.Kinds, k); i >= 0 {
			return i
		}
		return len(offcpu.Kinds)
	}
	slices.SortStableFunc(out, func(a, b analyze.Split) int {
		if c := strings.Compare(a.Service, b.Service); c != 0 {
			return c
		}
		return cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind))
	})
	return out
}

// writeDiffs writes, per service and kind (or for the benchmark) profiled
// on both sides, the base profile scaled to the head's work, the head
// profile, their diff as pprof builds it, and the diff's folded stacks,
// and returns their names in the run directory. `go tool pprof -top
// -diff_base BASE HEAD` shows what perfgate shows.
func writeDiffs(run rundir.Dir, e analyze.Explanation, sampleType string, diffs []analyze.ProfileDiff) ([]string, error) {
	var files []string
	for _, d := range diffs {
		if d.Base == nil {
			continue
		}
		names := run.Diffs(e.Benchmark, e.Units[0], strings.Trim(d.Service+"."+d.Kind, "."))
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
