package analyze

// Hot functions: which functions explain a result, from its profiles.
//
// The steps, for each service:
//
//  1. Check the profiles (profdiff.go): at least one on each side, valid
//     (profile.CheckValid), one list of sample types on both sides, work
//     > 0.
//  2. Pick the sample type as pprof does (Profile.SampleIndexByName: a
//     name, or "" for DefaultSampleType, else the last).
//  3. For a comparison, build the diff as `go tool pprof -diff_base` does
//     (DiffProfiles, profdiff.go): each side's profiles merged, the base
//     scaled to head's work, its samples labelled pprof::base=true and
//     scaled by -1, then merged with head. Its values are for head's work.
//     Rank takes one side's profiles as they are.
//  4. Attribute each sample as `go tool pprof -top` does at its default
//     granularity, functions (tally.go, after internal/graph.newGraph
//     with Profile.Aggregate(inlines, functions only)): its frames are the
//     lines of its locations, innermost inlined function first, and a
//     frame is its function's name; the flat value goes to the first frame
//     (the leaf, innermost inlined function of the first location), and
//     the cumulative value to every function of the stack once per sample,
//     however often recursion repeats it. In a diff, a sample labelled
//     pprof::base=true counts for the base, any other for head.
//  5. Divide by the work the profiles cover (for a diff, head's), so that
//     sides of different lengths or rates compare per unit of work (per
//     benchmark iteration, per request), never per second.
//  6. Order as pprof's FlatNameOrder (internal/graph.Nodes.Sort): by
//     absolute flat value, then by name, then by absolute cumulative
//     value; for Diff, by growth of flat cost per unit of work (the
//     function's flat value in the diff), then by name.
//
// Diff ranks the diff profile itself, the one a caller writes for go tool
// pprof, not the two sides: there is one definition of what changed, and
// what perfgate lists is what pprof shows of that profile.
//
// Profiles are values here: reading files is profiler.Load's job.

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// Hot is a function that explains part of a result: an entry of a verdict
// result's "hot" list.
type Hot struct {
	Function string `json:"function"`
	// Service is the service the function ran in, for profiles from load.
	Service string `json:"service,omitempty"`
	// Kind is what the time was spent doing, for time profiles of load:
	// "on-cpu", or off-CPU "network", "sync", "syscall", "scheduling".
	Kind string `json:"kind,omitempty"`
	// BaseSamples and HeadSamples are the sampled events behind Base and
	// Head (CPU samples, sampled allocations, blocking events).
	BaseSamples int64 `json:"base_samples,omitempty"`
	HeadSamples int64 `json:"head_samples,omitempty"`
	// P is the Holm-adjusted p-value of the function's growth per unit of
	// work, from its sample counts (Diff with a significance level).
	P float64 `json:"p,omitempty"`
	// Base and Head are the flat cost per unit of work, in Unit, on each
	// side. Rank, which looks at one side, fills Head and HeadCum only.
	Base float64 `json:"base"`
	Head float64 `json:"head"`
	// BaseCum and HeadCum are the cumulative cost per unit of work: the
	// function and everything it calls.
	BaseCum float64 `json:"base_cum"`
	HeadCum float64 `json:"head_cum"`
	// Share is the function's part of the growth in flat cost:
	// (Head-Base) / (the sum of Head-Base over the functions that grew),
	// between 0 and 1. For Rank (one side), it is the function's part of
	// the total (pprof's flat%).
	Share float64 `json:"share"`
	// Unit is the sample unit per unit of work: "ns/op", "B/op",
	// "objects/op", "count/op".
	Unit string `json:"unit"`
	// Path is a call path that reaches the function, outermost first and
	// ending with the function: for Diff the one that carries most of its
	// growth, for Rank the one that carries most of its flat cost.
	Path []string `json:"path,omitempty"`
}

// HotOptions select what Rank and Diff report.
type HotOptions struct {
	// SampleType is the name of the sample type to rank by: "cpu",
	// "samples", "alloc_space", "alloc_objects", "inuse_space",
	// "inuse_objects"... "" means the profile's default, as pprof picks
	// it: DefaultSampleType, else the last. The default of a diff from
	// DiffProfiles is the sample type it was built for.
	SampleType string
	// Top is how many functions to return; 0 means all.
	Top int
	// Alpha, for Diff, is the significance level of the test of each
	// function's growth (signif.go), Holm-corrected over the functions
	// tested: only the functions whose growth is significant are
	// returned. 0 returns every function that grew, untested.
	Alpha float64
	// NodeFraction, for Rank, drops the functions whose absolute
	// cumulative value is at most this fraction of the total, as pprof's
	// -nodefraction (0.005 by default in go tool pprof) does; 0 keeps all.
	NodeFraction float64
}

// Rank returns the functions of one side by flat cost per unit of work,
// highest first, in the order of `go tool pprof -top`: by absolute flat
// value, then by name, then by absolute cumulative value. Flat cost is
// attributed to the leaf frame (the innermost inlined function of a
// sample's first location) and cumulative cost to each function of a
// stack once per sample. Functions whose flat and cumulative values are
// both zero are left out, as pprof leaves them out. The values go in Head
// and HeadCum; Share is the part of the side's total (pprof's flat%).
//
// A location without symbols is named by its address, "0x4a2f10" (pprof's
// -top at function granularity would lump all of a binary's unsymbolized
// addresses into one "[binary]" line); Symbolized tells whether a profile
// has symbols, and a caller should say "profile has no symbols" when it
// has not.
func Rank(side ProfileSide, opts HotOptions) ([]Hot, error) {
	if opts.Top < 0 {
		return nil, fmt.Errorf("ranking hot functions: top %d is negative", opts.Top)
	}
	if f := opts.NodeFraction; f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("ranking hot functions: node fraction %v is not a fraction", f)
	}
	types, err := checkProfileSide(profileSideLabel("profile", side.Service), side)
	if err != nil {
		return nil, err
	}
	vi, err := hotSampleIndex(types, defaultSampleTypeOf(side.Profiles), opts.SampleType)
	if err != nil {
		return nil, err
	}
	t := newTally()
	for _, p := range side.Profiles {
		t.add(p, vi, false)
	}
	flat := func(n int32) int64 { return t.flat[n][headSide] }
	cum := func(n int32) int64 { return t.cum[n][headSide] }
	// The node fraction's cutoff, as pprof's report.newTrimmedGraph
	// computes it: the total is the sum of the flat values of the graph's
	// nodes (signed: every sample with a stack gives its value to its
	// leaf), the cutoff |int64(total × fraction)|, and a node is kept
	// when its absolute cumulative value is at least the cutoff
	// (graph.getNodesAboveCumCutoff). Keeping the nodes and rebuilding
	// the graph, as pprof does, changes no kept node's values: a sample's
	// flat value goes to its leaf only if the leaf is kept, and every
	// node counts a sample's value once in its cumulative value either
	// way.
	var cutoff int64
	if opts.NodeFraction > 0 {
		var total int64
		for n := range int32(len(t.names)) {
			total += flat(n)
		}
		cutoff = abs64(int64(float64(total) * opts.NodeFraction))
	}
	nodes := make([]int32, 0, len(t.names))
	for n := range int32(len(t.names)) {
		if (flat(n) != 0 || cum(n) != 0) && abs64(cum(n)) >= cutoff {
			nodes = append(nodes, n)
		}
	}
	slices.SortFunc(nodes, func(a, b int32) int {
		if c := cmp.Compare(abs64(flat(b)), abs64(flat(a))); c != 0 {
			return c
		}
		if c := strings.Compare(t.names[a], t.names[b]); c != 0 {
			return c
		}
		return cmp.Compare(abs64(cum(b)), abs64(cum(a)))
	})
	if opts.Top > 0 && len(nodes) > opts.Top {
		nodes = nodes[:opts.Top]
	}
	paths := t.paths(side.Profiles, vi, nodes)
	// The sampled events behind each function's flat value, counted as
	// Diff counts them (eventCounter: a CPU profile's "samples", the
	// sampled allocations of a heap profile scaled back from its
	// objects, contentions, events), over the samples whose leaf it is;
	// a profile that counts no events counts each of its samples (with a
	// value of the sample type) as one.
	events := make([]float64, len(t.names))
	for _, p := range side.Profiles {
		count := eventCounter(p, vi)
		locs := t.locations(p)
		for _, s := range p.Sample {
			if s.Value[vi] == 0 || len(s.Location) == 0 {
				continue
			}
			ns := locs.nodes(s.Location[0])
			e := 1.0
			if count != nil {
				e = count(s)
			}
			events[ns[len(ns)-1]] += e
		}
	}
	unit := hotUnit(types[vi])
	total := t.total[headSide]
	hot := make([]Hot, len(nodes))
	for i, n := range nodes {
		share := 0.0
		if total != 0 {
			share = float64(flat(n)) / float64(total)
		}
		hot[i] = Hot{
			Function:    t.names[n],
			Service:     side.Service,
			HeadSamples: int64(math.Round(events[n])),
			Head:        float64(flat(n)) / side.Work,
			HeadCum:     float64(cum(n)) / side.Work,
			Share:       share,
			Unit:        unit,
			Path:        paths[i],
		}
	}
	return hot, nil
}

// Diff returns the functions whose flat cost per unit of work grew the
// most in diffs (from DiffProfiles), largest growth first, then by name,
// then by service; functions that shrank or did not change are left out.
//
// It ranks the diff profiles themselves, each ProfileDiff.Diff: a
// function's growth is its flat value in the diff (head's samples plus
// base's negated ones) divided by ProfileDiff.Work, head's work, which the
// diff's values are for. Its Head is the flat value of the samples that
// are not labelled pprof::base=true, its Base that of the samples that are,
// negated back, both divided by the same work; HeadCum and BaseCum
// likewise. Each comes with its Share of the growth of all the diffs and
// the call path that carries most of its growth in the diff.
//
// A function is keyed by (Service, name). The Shares of several services
// add up only when their Work is the same unit (the requests of one load
// scenario).
func Diff(diffs []ProfileDiff, opts HotOptions) ([]Hot, error) {
	if opts.Top < 0 {
		return nil, fmt.Errorf("ranking hot functions: top %d is negative", opts.Top)
	}
	if len(diffs) == 0 {
		return nil, fmt.Errorf("ranking hot functions: no diffs")
	}
	var types []*profile.ValueType
	var typesOf string
	profiles := make([]*profile.Profile, len(diffs))
	for i, d := range diffs {
		what := profileSideLabel("diff", d.Service)
		ts, err := checkProfileSide(what, ProfileSide{Service: d.Service, Profiles: []*profile.Profile{d.Diff}, Work: d.Work})
		if err != nil {
			return nil, fmt.Errorf("ranking hot functions: %w", err)
		}
		if types == nil {
			types, typesOf = ts, what
		} else if !sameSampleTypes(types, ts) {
			return nil, fmt.Errorf("ranking hot functions: %s has %s; %s has %s", typesOf, formatSampleTypes(types), what, formatSampleTypes(ts))
		}
		profiles[i] = d.Diff
	}
	vi, err := hotSampleIndex(types, defaultSampleTypeOf(profiles), opts.SampleType)
	if err != nil {
		return nil, err
	}

	type entry struct {
		diff   int // index in diffs
		node   int32
		growth float64 // per unit of work
	}
	tallies := make([]*tally, len(diffs))
	var entries []entry
	var growth float64
	for i, d := range diffs {
		t := newTally()
		t.add(d.Diff, vi, true)
		tallies[i] = t
		for n := range int32(len(t.names)) {
			if v := t.flat[n][baseSide] + t.flat[n][headSide]; v > 0 {
				g := float64(v) / d.Work
				growth += g
				entries = append(entries, entry{i, n, g})
			}
		}
	}
	// The sampled events behind each function, and, with Alpha, the test
	// of its growth.
	stats := make([]map[int32]*flatStats, len(diffs))
	counted := true
	for i, d := range diffs {
		var ok bool
		if stats[i], ok = flatStatsOf(tallies[i], d, vi); !ok {
			counted = false
		}
	}
	pvalue := map[entry]float64{}
	if opts.Alpha > 0 {
		if !counted {
			return nil, fmt.Errorf("ranking hot functions: the profiles count no events (%s), so their growth cannot be tested", formatSampleTypes(types))
		}
		var total float64
		for _, st := range stats {
			for _, s := range st {
				total += s.value[baseSide] + s.value[headSide]
			}
		}
		var tested []entry
		var ps []float64
		for _, e := range entries {
			s := stats[e.diff][e.node]
			if s != nil && s.value[baseSide]+s.value[headSide] >= testedFraction*total {
				tested = append(tested, e)
				ps = append(ps, growthP(s))
			}
		}
		// Functions that shrank or are too small are tested too in
		// the correction's count: every function above the fraction.
		m := len(tested)
		for i, st := range stats {
			for n, s := range st {
				if s.value[baseSide]+s.value[headSide] >= testedFraction*total && !(float64(tallies[i].flat[n][baseSide]+tallies[i].flat[n][headSide]) > 0) {
					m++
				}
			}
		}
		adj := holmOf(ps, m)
		for i, e := range tested {
			pvalue[e] = adj[i]
		}
		entries = slices.DeleteFunc(entries, func(e entry) bool {
			p, ok := pvalue[e]
			return !ok || p > opts.Alpha
		})
		growth = 0
		for _, e := range entries {
			growth += e.growth
		}
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := cmp.Compare(b.growth, a.growth); c != 0 {
			return c
		}
		if c := strings.Compare(tallies[a.diff].names[a.node], tallies[b.diff].names[b.node]); c != 0 {
			return c
		}
		return strings.Compare(diffs[a.diff].Service, diffs[b.diff].Service)
	})
	if opts.Top > 0 && len(entries) > opts.Top {
		entries = entries[:opts.Top]
	}

	// The call paths of the functions kept, diff by diff.
	paths := make([][]string, len(entries))
	for i, d := range diffs {
		var nodes []int32
		var at []int
		for j, e := range entries {
			if e.diff == i {
				nodes = append(nodes, e.node)
				at = append(at, j)
			}
		}
		if len(nodes) == 0 {
			continue
		}
		ps := tallies[i].paths([]*profile.Profile{d.Diff}, vi, nodes)
		for k, j := range at {
			paths[j] = ps[k]
		}
	}

	// The base's values are pprof's: Profile.Scale rounded each scaled
	// base sample to an integer (and dropped those that became 0), so a
	// base cost is off its exact value by up to half a unit of the
	// profile per sample, divided by head's work; and Scale computes in
	// float64, so a value beyond 2^53 loses its last bits even in
	// Scale(-1) (a profile diffed with itself then shows a growth of a
	// few units). They are the values go tool pprof shows of the diff,
	// and the growth is exactly its flat value there.
	unit := hotUnit(types[vi])
	hot := make([]Hot, len(entries))
	for i, e := range entries {
		t, n, work := tallies[e.diff], e.node, diffs[e.diff].Work
		hot[i] = Hot{
			Function: t.names[n],
			Service:  diffs[e.diff].Service,
			Base:     float64(-t.flat[n][baseSide]) / work, // negated as an integer: no -0
			Head:     float64(t.flat[n][headSide]) / work,
			BaseCum:  float64(-t.cum[n][baseSide]) / work,
			HeadCum:  float64(t.cum[n][headSide]) / work,
			// Shares are parts of the growth, not of the net change:
			// with other functions cheaper (or noise), a share of the
			// net change exceeds 1 and reads as nonsense.
			Share: e.growth / growth,
			Unit:  unit,
			Path:  paths[i],
			Kind:  diffs[e.diff].Kind,
			P:     pvalue[e],
		}
		if s := stats[e.diff][n]; s != nil {
			hot[i].BaseSamples = int64(math.Round(s.events[baseSide]))
			hot[i].HeadSamples = int64(math.Round(s.events[headSide]))
		}
	}
	return hot, nil
}

// hotUnit is the unit of a sample type per unit of work.
func hotUnit(t *profile.ValueType) string {
	u := t.Unit
	switch strings.ToLower(u) {
	case "nanoseconds", "nanosecond", "ns":
		u = "ns"
	case "bytes", "byte", "b":
		u = "B"
	case "count", "":
		if strings.HasSuffix(t.Type, "objects") {
			u = "objects"
		} else {
			u = "count"
		}
	}
	return u + "/op"
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
