package changepoint

import (
	"math"
	"slices"

	"github.com/aclements/go-moremath/stats"
)

// Options tune Find. The zero value means the defaults (DefaultOptions); a
// zero field takes its default alone, so Options{MinChange: 0.05} keeps the
// other defaults.
type Options struct {
	// Alpha is the significance level of each accepted change point: the
	// largest two-sided p-value of the rank test that accepts it. Default
	// 0.001. It is a per-test level: the search looks at many splits, so
	// the rate of false change points per series is a few times Alpha (see
	// the package comment).
	Alpha float64

	// MinSize is the fewest points on each side of a change point within
	// its window. Default 3, which with the default Alpha also means a
	// burst of up to 2 outliers is never a change point. Values below 1
	// are taken as the default.
	MinSize int

	// MinChange is the smallest relative change of the level reported,
	// |Point.Change|: a statistically clear 0.3% step is real but not
	// worth reporting. Default 0.02. A negative value reports every
	// significant change.
	MinChange float64

	// Confidence is the confidence level of each change's interval
	// [Point.Lo, Point.Hi]. Default 0.95. Values outside (0, 1) are taken
	// as the default.
	Confidence float64
}

// DefaultOptions are the options the zero Options stand for.
var DefaultOptions = Options{
	Alpha:      0.001,
	MinSize:    3,
	MinChange:  0.02,
	Confidence: 0.95,
}

// withDefaults returns o with every unset or invalid field replaced by its
// default.
func (o Options) withDefaults() Options {
	d := DefaultOptions
	if o.Alpha > 0 && o.Alpha < 1 {
		d.Alpha = o.Alpha
	}
	if o.MinSize >= 1 {
		d.MinSize = o.MinSize
	}
	if o.MinChange < 0 {
		d.MinChange = 0
	} else if o.MinChange > 0 && !math.IsInf(o.MinChange, 0) {
		d.MinChange = o.MinChange
	}
	if o.Confidence > 0 && o.Confidence < 1 {
		d.Confidence = o.Confidence
	}
	return d
}

// Point is a change point: the level of the series changed between
// x[Index-1] and x[Index].
//
// Its figures are computed over its final window, between its neighbouring
// change points (or the ends of the series), so that each compares two
// segments of steady level.
type Point struct {
	// Index is the index of the first point of the new level.
	Index int

	// From and To bound the window the change was tested in: x[From:Index]
	// is the level before, x[Index:To] the level after.
	From, To int

	// Before and After are the medians of x[From:Index] and x[Index:To].
	Before, After float64

	// Change is the relative change of the level, After/Before - 1, as
	// the Hodges-Lehmann estimate of the shift of the logarithms (the
	// median of the pairwise ln(after)-ln(before)), mapped back by expm1.
	// When the series is not all positive and finite, it is the
	// Hodges-Lehmann shift of the raw values divided by |Before| (see Find).
	Change float64

	// Lo and Hi bound the Confidence interval of Change. The interval is
	// distribution-free: the order statistics of the same pairwise
	// differences at the Mann-Whitney critical values (in their normal
	// approximation), so Lo <= Change <= Hi.
	Lo, Hi float64

	// P is the two-sided p-value of the Mann-Whitney U test of
	// x[From:Index] against x[Index:To].
	P float64
}

// Find returns the change points of the series x, one value per commit in
// commit order, in index order. It returns nil if there are none.
//
// The values should be positive and finite, as benchmark results are
// (sec/op, B/op, ...): Find then works on their logarithms, so that a change
// is a ratio and noise proportional to the level counts the same at every
// level. If any value is <= 0, NaN or infinite, Find works on the raw values
// instead: a NaN is taken as the median of the finite values, +Inf and -Inf
// as the largest and smallest finite value, and a change is the shift of the
// raw values relative to |Before| (or, where Before is 0, to the median
// absolute value of the series). A series with no finite value has no
// change point. Find never panics on its input.
func Find(x []float64, opts Options) []Point {
	o := opts.withDefaults()
	f := newFinder(x, o)
	if f == nil {
		return nil
	}
	return f.find()
}

// exactLimit is the largest side of a test whose p-value is exact.
const exactLimit = 20

// finder holds one series and the buffers its search reuses.
type finder struct {
	o     Options
	v     []float64 // the values, non-finite ones replaced (see Find)
	y     []float64 // what the statistics work on: ln(v), or v/max|v|
	logs  bool      // whether y is ln(v)
	unit  float64   // raw mode: max|v|, the unit of y
	scale float64   // raw mode: fallback for |Before| == 0, in units of y
	zconf float64   // two-sided normal quantile of o.Confidence

	cands map[[2]int]int // best split of each segment, -1 for none
	evals map[[3]int]Point

	relocations int // passes of relocate so far

	// Scratch buffers.
	a, b, pool []float64
	lo, hi     []int
	gl, ge     []int
	rng        uint64
}

func newFinder(x []float64, o Options) *finder {
	f := &finder{
		o:     o,
		zconf: math.Sqrt2 * math.Erfinv(o.Confidence),
		cands: make(map[[2]int]int),
		evals: make(map[[3]int]Point),
		rng:   0x9e3779b97f4a7c15,
	}
	n := len(x)
	if n < 2*o.MinSize {
		return nil
	}
	f.logs = true
	for _, v := range x {
		if !(v > 0) || math.IsInf(v, 1) {
			f.logs = false
			break
		}
	}
	f.v = make([]float64, n)
	f.y = make([]float64, n)
	if f.logs {
		copy(f.v, x)
		for i, v := range x {
			f.y[i] = math.Log(v)
		}
		return f
	}

	// Raw mode: replace the non-finite values.
	var finite []float64
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			finite = append(finite, v)
		}
	}
	if len(finite) == 0 {
		return nil
	}
	slices.Sort(finite)
	mid, lo, hi := median(finite), finite[0], finite[len(finite)-1]
	for i, v := range x {
		switch {
		case math.IsNaN(v):
			v = mid
		case math.IsInf(v, 1):
			v = hi
		case math.IsInf(v, -1):
			v = lo
		}
		f.v[i] = v
	}
	// Normalize so that no difference of two values overflows.
	m := max(math.Abs(lo), math.Abs(hi))
	if m == 0 {
		return nil // all zero: nothing changes
	}
	f.unit = m
	for i, v := range f.v {
		f.y[i] = v / m
	}
	abs := make([]float64, n)
	for i, v := range f.y {
		abs[i] = math.Abs(v)
	}
	slices.Sort(abs)
	f.scale = median(abs)
	if !(f.scale > 0) {
		f.scale = 1
	}
	return f
}

// find runs the search: split segments at their E-divisive candidates while
// the most significant candidate passes the test, then drop the points that
// no longer pass over their final windows.
func (f *finder) find() []Point {
	n := len(f.y)
	var cps []int // accepted change points, sorted
	for {
		best := Point{P: math.Inf(1)}
		prev := 0
		for k := 0; k <= len(cps); k++ {
			next := n
			if k < len(cps) {
				next = cps[k]
			}
			if t := f.candidate(prev, next); t >= 0 {
				if p := f.eval(prev, t, next); f.accepts(p) && p.P < best.P {
					best = p
				}
			}
			prev = next
		}
		if math.IsInf(best.P, 1) {
			break
		}
		i, _ := slices.BinarySearch(cps, best.Index)
		cps = slices.Insert(cps, i, best.Index)
	}

	// Accepting a point shrinks its neighbours' windows, which may leave
	// them no longer significant or large enough: drop the weakest such
	// point and look again until all pass over their final windows.
	for {
		pts := f.points(cps)
		worst := -1
		for i, p := range pts {
			if !f.accepts(p) && (worst < 0 || p.P > pts[worst].P ||
				p.P == pts[worst].P && math.Abs(p.Change) < math.Abs(pts[worst].Change)) {
				worst = i
			}
		}
		if worst < 0 {
			if len(pts) == 0 {
				return nil
			}
			if f.relocate(cps) {
				continue // moved: evaluate the new places
			}
			return pts
		}
		cps = slices.Delete(cps, worst, worst+1)
	}
}

// maxRelocations bounds the passes of relocate over a series' change
// points.
const maxRelocations = 8

// relocate places each change point again at the best split of its final
// window, between its neighbours, and reports whether one moved. A point
// found early was placed in a segment that still held the changes found
// after it, whose steps pulled it aside (by one to three points at a
// level shift of about two noise sigmas, in the tests); within its final
// window it sees one step only. The passes stop when nothing moves, or
// after maxRelocations.
func (f *finder) relocate(cps []int) bool {
	if f.relocations >= maxRelocations {
		return false
	}
	f.relocations++
	moved := false
	for i := range cps {
		from, to := 0, len(f.y)
		if i > 0 {
			from = cps[i-1]
		}
		if i+1 < len(cps) {
			to = cps[i+1]
		}
		if t := f.candidate(from, to); t >= 0 && t != cps[i] {
			cps[i] = t
			moved = true
		}
	}
	return moved
}

// points evaluates the change points cps over the windows between them.
func (f *finder) points(cps []int) []Point {
	pts := make([]Point, len(cps))
	for i, c := range cps {
		from, to := 0, len(f.y)
		if i > 0 {
			from = cps[i-1]
		}
		if i+1 < len(cps) {
			to = cps[i+1]
		}
		pts[i] = f.eval(from, c, to)
	}
	return pts
}

// accepts reports whether p is significant and large enough to report.
func (f *finder) accepts(p Point) bool {
	return p.P < f.o.Alpha && math.Abs(p.Change) >= f.o.MinChange
}

// candidate returns the split of y[from:to] that maximizes the E-divisive
// statistic q-hat with alpha = 1 (Matteson & James 2014), keeping MinSize
// points on each side, or -1 if the segment is too short.
//
// For a split at t, with m = t-from points on the left and r = to-t on the
// right,
//
//	q(t) = m·r/(m+r) · (2/(m·r)·B − W_L/C(m,2) − W_R/C(r,2))
//
// where B sums |y_i−y_j| over pairs across the split and W_L, W_R over the
// pairs within each side. Moving the split one point right moves that
// point's distances to the left side from W_R and B to B and W_L, so all
// splits take O(n²) time in all and no distance matrix.
func (f *finder) candidate(from, to int) int {
	key := [2]int{from, to}
	if t, ok := f.cands[key]; ok {
		return t
	}
	best := -1
	ms := f.o.MinSize
	if to-from >= 2*ms {
		y := f.y[from:to]
		n := len(y)
		// Start with the split at 0: everything on the right.
		var wl, wr, bw float64
		for i := range n {
			for j := i + 1; j < n; j++ {
				wr += math.Abs(y[i] - y[j])
			}
		}
		bestQ := math.Inf(-1)
		for t := 1; t <= n-ms; t++ {
			// Move y[t-1] from the right side to the left.
			p := y[t-1]
			var toLeft, toRight float64
			for i := 0; i < t-1; i++ {
				toLeft += math.Abs(p - y[i])
			}
			for j := t; j < n; j++ {
				toRight += math.Abs(p - y[j])
			}
			wl += toLeft
			wr -= toRight
			bw += toRight - toLeft
			if t < ms {
				continue
			}
			m, r := float64(t), float64(n-t)
			q := 2 / (m * r) * bw
			if t > 1 {
				q -= wl / (m * (m - 1) / 2)
			}
			if n-t > 1 {
				q -= max(wr, 0) / (r * (r - 1) / 2)
			}
			q *= m * r / (m + r)
			if q > bestQ {
				bestQ, best = q, from+t
			}
		}
	}
	f.cands[key] = best
	return best
}

// eval tests the change at idx within the window [from, to) and estimates
// its size.
func (f *finder) eval(from, idx, to int) Point {
	key := [3]int{from, idx, to}
	if p, ok := f.evals[key]; ok {
		return p
	}
	p := Point{Index: idx, From: from, To: to}
	f.a = append(f.a[:0], f.v[from:idx]...)
	f.b = append(f.b[:0], f.v[idx:to]...)
	slices.Sort(f.a)
	slices.Sort(f.b)
	p.Before, p.After = median(f.a), median(f.b)

	f.a = append(f.a[:0], f.y[from:idx]...)
	f.b = append(f.b[:0], f.y[idx:to]...)
	slices.Sort(f.a)
	slices.Sort(f.b)
	p.P = f.mannWhitney(f.a, f.b)

	// Hodges-Lehmann shift and its interval: order statistics of the m·r
	// differences b_j − a_i, at the middle and at the critical values
	// C = m·r/2 − z·sqrt(m·r(m+r+1)/12) of U (Hollander & Wolfe), 1-based
	// [d_(C), d_(mr+1−C)].
	m, r := len(f.a), len(f.b)
	mr := m * r
	loMid, hiMid := (mr-1)/2, mr/2
	c := int(math.Round(float64(mr)/2 - f.zconf*math.Sqrt(float64(mr)*float64(m+r+1)/12)))
	kLo := min(max(c-1, 0), loMid)
	kHi := max(mr-1-kLo, hiMid)
	d1, d2 := f.kthDiff(f.a, f.b, loMid), f.kthDiff(f.a, f.b, hiMid)
	shift := d1/2 + d2/2
	shift = min(max(shift, d1), d2)
	lo, hi := f.kthDiff(f.a, f.b, kLo), f.kthDiff(f.a, f.b, kHi)
	p.Change, p.Lo, p.Hi = f.relative(shift, p.Before), f.relative(lo, p.Before), f.relative(hi, p.Before)
	f.evals[key] = p
	return p
}

// relative turns a shift of y into a relative change of the level before.
func (f *finder) relative(shift, before float64) float64 {
	if f.logs {
		return math.Expm1(shift)
	}
	// Raw mode: y is v/unit.
	s := math.Abs(before) / f.unit
	if !(s > 0) {
		s = f.scale
	}
	return shift / s
}

// mannWhitney returns the two-sided p-value of the Mann-Whitney U test of the
// sorted samples a and b, in the normal approximation with continuity and
// tie corrections.
//
// The approximation is close to the exact p-value from about 4 points a
// side, and the smallest p-values the default MinSize allows (3 against
// many) are not significant at the default Alpha either way.
func (f *finder) mannWhitney(a, b []float64) float64 {
	m, r := len(a), len(b)
	if m == 0 || r == 0 {
		return 1
	}
	if m <= exactLimit && r <= exactLimit {
		// Few points: the exact distribution of U (with ties, go-moremath's
		// UDist, as benchstat's U test), where the normal approximation is
		// off by a factor that matters at Alpha: 9 points all above 7 have
		// p = 1.7e-4 exactly, 1.04e-3 by the approximation.
		if res, err := stats.MannWhitneyUTest(a, b, stats.LocationDiffers); err == nil {
			return res.P
		}
	}
	// Merge, summing the ranks of a and the tie term.
	var ranksA, ties float64
	i, j, rank := 0, 0, 0
	for i < m || j < r {
		var v float64
		if j >= r || i < m && a[i] <= b[j] {
			v = a[i]
		} else {
			v = b[j]
		}
		na, nb := 0, 0
		for i < m && a[i] == v {
			i++
			na++
		}
		for j < r && b[j] == v {
			j++
			nb++
		}
		t := na + nb
		mid := float64(rank) + float64(t+1)/2 // mid-rank, 1-based
		ranksA += float64(na) * mid
		ties += float64(t)*float64(t)*float64(t) - float64(t)
		rank += t
	}
	fm, fr := float64(m), float64(r)
	n := fm + fr
	u := ranksA - fm*(fm+1)/2
	mean := fm * fr / 2
	variance := fm * fr / 12 * ((n + 1) - ties/(n*(n-1)))
	if !(variance > 0) {
		return 1
	}
	z := (math.Abs(u-mean) - 0.5) / math.Sqrt(variance)
	if z <= 0 {
		return 1
	}
	return math.Erfc(z / math.Sqrt2)
}

// kthDiff returns the k-th smallest (from 0) of the differences b[j]−a[i]
// over all i and j, for a and b sorted. It selects in the implicit matrix of
// differences, whose rows and columns are sorted, with random pivots:
// O((len(a)+len(b))·log(len(a)·len(b))) expected time rather than sorting
// all len(a)·len(b) differences.
func (f *finder) kthDiff(a, b []float64, k int) float64 {
	m, r := len(a), len(b)
	f.lo = slices.Grow(f.lo[:0], m)[:m]
	f.hi = slices.Grow(f.hi[:0], m)[:m]
	f.gl = slices.Grow(f.gl[:0], m)[:m]
	f.ge = slices.Grow(f.ge[:0], m)[:m]
	lo, hi := f.lo, f.hi
	for i := range m {
		lo[i], hi[i] = 0, r
	}
	for {
		// Pick a random remaining difference as the pivot.
		total := 0
		for i := range m {
			total += hi[i] - lo[i]
		}
		if total <= 0 {
			return math.NaN() // unreachable for 0 <= k < m·r
		}
		f.rng ^= f.rng << 13
		f.rng ^= f.rng >> 7
		f.rng ^= f.rng << 17
		pick := int(f.rng % uint64(total))
		var pivot float64
		for i := range m {
			if w := hi[i] - lo[i]; pick < w {
				pivot = b[lo[i]+pick] - a[i]
				break
			} else {
				pick -= w
			}
		}
		// Count the remaining differences below and at the pivot. Along a
		// row (fixed i) the differences grow with j; down a column they
		// shrink as i grows, so the boundaries only move right.
		less, le := 0, 0
		gl, ge := 0, 0
		for i := range m {
			for gl < r && b[gl]-a[i] < pivot {
				gl++
			}
			for ge < r && b[ge]-a[i] <= pivot {
				ge++
			}
			f.gl[i] = min(max(gl, lo[i]), hi[i])
			f.ge[i] = min(max(ge, lo[i]), hi[i])
			less += f.gl[i] - lo[i]
			le += f.ge[i] - lo[i]
		}
		switch {
		case k < less:
			copy(hi, f.gl)
		case k < le:
			return pivot
		default:
			k -= le
			copy(lo, f.ge)
		}
	}
}

// median returns the median of the sorted x, or NaN if x is empty.
func median(x []float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return x[n/2]
	}
	return x[n/2-1]/2 + x[n/2]/2
}
