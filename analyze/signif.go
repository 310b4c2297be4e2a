package analyze

// Which functions grew beyond sampling noise.
//
// A profile is a sample of events: a CPU sample every 10 ms (or 4 ms) of
// CPU time, an allocation every 4 KiB on average, every blocking event of
// an execution trace. The count of a function's events on a side is
// Poisson; its value (time, bytes) is a sum of events of about the same
// weight, a compound Poisson whose variance is the sum over its records
// of value²/events. A function's growth per unit of work, head minus base
// scaled to head's work, is then tested against zero with a one-sided z
// test (with a continuity correction of half an event), and the p-values
// of all the functions tested are corrected together (Holm), so that among
// the hundreds of functions of a profile the unchanged ones are not listed
// by chance.
//
// The functions tested are those whose flat value, base and head
// together, is at least testedFraction of the diff's: under no change,
// that sum does not depend on how it splits between the sides, so the
// choice does not bias the test, and it keeps the correction from being
// spent on functions too small to matter.

import (
	"cmp"
	"math"
	"slices"

	"github.com/google/pprof/profile"
)

// testedFraction is the least part of the flat values (base and head
// together, over all the diffs ranked) a function must have to be tested.
const testedFraction = 0.005

// flatStats are a function's flat events, value and variance of value on
// each side of a diff, base's scaled to head's work as in the diff.
type flatStats struct {
	events [2]float64
	value  [2]float64
	vari   [2]float64
}

// eventCounter returns the function that gives the number of sampled
// events behind a sample's value of index vi, or nil when p's sample types
// hold no count: CPU profiles count "samples"; heap profiles
// "alloc_objects" and "inuse_objects", which the runtime scaled up from the
// sampled allocations (it divides each by 1-exp(-size/rate)), so the count
// is scaled back; contention and trace profiles count "contentions" and
// "events".
func eventCounter(p *profile.Profile, vi int) func(s *profile.Sample) float64 {
	types := p.SampleType
	index := func(name string) int {
		for i, t := range types {
			if t.Type == name {
				return i
			}
		}
		return -1
	}
	heap := p.PeriodType != nil && p.PeriodType.Type == "space" && p.Period > 0
	switch t := types[vi].Type; {
	case heap && (t == "alloc_space" || t == "alloc_objects"):
		return heapCounter(index("alloc_objects"), index("alloc_space"), float64(p.Period))
	case heap && (t == "inuse_space" || t == "inuse_objects"):
		return heapCounter(index("inuse_objects"), index("inuse_space"), float64(p.Period))
	}
	for _, name := range []string{"samples", "events", "contentions", "count"} {
		if i := index(name); i >= 0 && types[i].Unit == "count" {
			return func(s *profile.Sample) float64 { return math.Abs(float64(s.Value[i])) }
		}
	}
	if types[vi].Unit == "count" {
		return func(s *profile.Sample) float64 { return math.Abs(float64(s.Value[vi])) }
	}
	return nil
}

// heapCounter counts the sampled allocations behind a heap profile's
// record: objects·(1-exp(-size/rate)), with size its average object size.
func heapCounter(objects, space int, rate float64) func(s *profile.Sample) float64 {
	if objects < 0 || space < 0 {
		return nil
	}
	return func(s *profile.Sample) float64 {
		n, b := math.Abs(float64(s.Value[objects])), math.Abs(float64(s.Value[space]))
		if n == 0 {
			return 0
		}
		return n * -math.Expm1(-(b/n)/rate)
	}
}

// flatStatsOf returns the flat statistics of each node of t in diff d (a
// ProfileDiff's Diff, whose base samples were scaled by -k, k = head's work
// over base's). ok is false when the profile has no count of events.
func flatStatsOf(t *tally, d ProfileDiff, vi int) (stats map[int32]*flatStats, ok bool) {
	count := eventCounter(d.Diff, vi)
	if count == nil {
		return nil, false
	}
	k := 1.0
	if d.BaseWork > 0 {
		k = d.Work / d.BaseWork
	}
	locs := t.locations(d.Diff)
	stats = map[int32]*flatStats{}
	for _, s := range d.Diff.Sample {
		v := float64(s.Value[vi])
		if v == 0 || len(s.Location) == 0 {
			continue
		}
		side, scale := headSide, 1.0
		if s.DiffBaseSample() {
			side, scale = baseSide, k
		}
		ns := locs.nodes(s.Location[0])
		n := ns[len(ns)-1]
		st := stats[n]
		if st == nil {
			st = new(flatStats)
			stats[n] = st
		}
		e := count(s)
		st.events[side] += e / scale
		st.value[side] += math.Abs(v)
		if e > 0 {
			// A base record's scaled value v=k·x over scaled events
			// e=k·m has variance k²·x²/m = k·v²/e.
			st.vari[side] += scale * v * v / e
		} else {
			st.vari[side] += v * v
		}
	}
	return stats, true
}

// growthP is the one-sided p-value of a growth beyond zero: head's value
// above base's (scaled), less half an event of the larger side's mean
// weight, over the standard deviation of the difference.
func growthP(st *flatStats) float64 {
	diff := st.value[headSide] - st.value[baseSide]
	sd := math.Sqrt(st.vari[headSide] + st.vari[baseSide])
	if diff <= 0 || sd == 0 {
		if diff > 0 {
			return 0
		}
		return 1
	}
	var half float64
	for s := range 2 {
		if st.events[s] > 0 {
			half = max(half, st.value[s]/st.events[s]/2)
		}
	}
	z := (diff - half) / sd
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// holmOf returns the Holm-adjusted p-values of ps, in their order, as
// part of m tests whose other p-values are 1 (functions that did not grow).
func holmOf(ps []float64, m int) []float64 {
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	adj := make([]float64, len(ps))
	m = max(m, len(ps))
	running := 0.0
	for rank, i := range order {
		running = max(running, min(1, ps[i]*float64(m-rank)))
		adj[i] = running
	}
	return adj
}

// Events returns the sampled events p's values of sampleType ("" for the
// default) rest on, and false when p counts none.
func Events(p *profile.Profile, sampleType string) (float64, bool) {
	if p == nil || len(p.SampleType) == 0 {
		return 0, false
	}
	vi, err := hotSampleIndex(p.SampleType, p.DefaultSampleType, sampleType)
	if err != nil {
		return 0, false
	}
	count := eventCounter(p, vi)
	if count == nil {
		return 0, false
	}
	var n float64
	for _, s := range p.Sample {
		if s.Value[vi] != 0 {
			n += count(s)
		}
	}
	return n, true
}

// Total returns the sum of p's values of sampleType ("" for the default),
// or 0 when p has no such sample type.
func Total(p *profile.Profile, sampleType string) float64 {
	if p == nil || len(p.SampleType) == 0 {
		return 0
	}
	vi, err := hotSampleIndex(p.SampleType, p.DefaultSampleType, sampleType)
	if err != nil {
		return 0
	}
	var t float64
	for _, s := range p.Sample {
		t += float64(s.Value[vi])
	}
	return t
}
