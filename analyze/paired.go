package analyze

// Paired, sequential comparison: how perfgate decides on its own runs.
//
// benchstat compares two independent samples (Mann-Whitney U). perfgate's
// own runs are not independent: round i ran base and head one after the
// other, so both met the same machine state. Comparing round by round
// removes what the rounds share (drift, a neighbour's load, the state of
// the caches) from the noise, so the same difference is found with fewer
// rounds. The steps, for each benchmark and unit:
//
//  1. Pair the i-th value of each side (round i) and take the change of
//     each pair, d = ln(head/base), or head-base when a value is not
//     positive.
//  2. Test that the changes are centred on zero with the Wilcoxon signed-rank
//     test (exact; robust to the outliers a shared machine produces, where
//     a paired t-test is not). benchmath has no paired test: this one is
//     written here. Its smallest possible p-value is 2/2^n, so with fewer
//     than pairedMinRounds rounds (a load scenario's few long rounds) the
//     two samples are compared unpaired with benchmath's Mann-Whitney U
//     test instead, whose smallest p-value with 5+5 values is already
//     2/252. The choice depends on the number of rounds only, never on
//     the values, so either test keeps its level.
//  3. Correct for many benchmarks: Holm's step-down method holds the
//     chance of any false "significant" among the m results of one unit at
//     alpha, and is uniformly more powerful than Bonferroni's alpha/m. The
//     family is a unit's results: the many benchmarks measured in sec/op
//     ask one question many times; sec/op, B/op and allocs/op of one
//     benchmark (or a load scenario's p50 and p99) are different questions
//     about the same change, and largely the same answer. Results
//     whose test cannot reach a small enough p-value whatever the data (a
//     unit whose values are all equal, like allocs/op of unchanged code)
//     do not count in m: Tarone's refinement for discrete tests, which
//     keeps the family-wise level and gives the others their full share.
//     One shard of a sharded run (Options.Others) counts the results of
//     the other shards as members of p = 1, without Tarone's refinement,
//     so that merging the shards changes none of its decisions: see
//     shardFamily.
//  4. Correct for repeated looks: when the rounds are looked at after each
//     batch to stop early (Options.Looks), each look tests at alpha/Looks
//     (Bonferroni over looks): whatever look stops the run, the chance of a
//     false alarm over all of them stays at alpha. Stopping because a
//     result is clear (step 5) never claims a change, so it costs nothing.
//  5. Decide as benchstat's mode does (significant and beyond the
//     threshold), with the change estimated by Hodges-Lehmann (see
//     hodgesLehmann), and when not significant, say whether the data rule
//     out a change beyond the threshold: the one-sided 90% confidence
//     bound of the change in the unit's worse direction (Tukey's interval
//     for the Hodges-Lehmann estimate, no distribution assumed). If it
//     does, the result is unchanged; if not, it is inconclusive: more
//     rounds could still find a regression. Results that more rounds
//     could change (inconclusive ones, and significant changes within
//     their threshold whose bound is beyond it) are Open: the rounds go
//     on while one is.

import (
	"math"
	"slices"
	"sort"
)

// clearConfidence is the two-sided confidence of the interval whose bound
// in the worse direction must stay within the threshold for a result to
// be clear: 80%, a one-sided 90% bound. It decides when to stop looking,
// never whether to claim a change.
const clearConfidence = 0.80

// pairedChanges returns the change of each round, d[i] = ln(head[i]/base[i])
// for positive values (log says whether the logarithm was taken), else
// head[i]-base[i], over the rounds both sides have.
func pairedChanges(base, head []float64) (d []float64, log bool) {
	n := min(len(base), len(head))
	log = true
	for i := range n {
		if !(base[i] > 0 && head[i] > 0) {
			log = false
		}
	}
	d = make([]float64, n)
	for i := range n {
		if log {
			d[i] = math.Log(head[i] / base[i])
		} else {
			d[i] = head[i] - base[i]
		}
	}
	return d, log
}

// signedRankP is the two-sided p-value of the Wilcoxon signed-rank test
// that the values of d are centred on zero. Zeros are dropped (Wilcoxon's
// own method); tied magnitudes share their average rank. The null
// distribution is exact: every sign of every rank equally likely, counted
// by dynamic programming over the (doubled, so whole) ranks. It returns 1
// when no value is left.
func signedRankP(d []float64) float64 {
	var nz []float64
	for _, x := range d {
		if x != 0 {
			nz = append(nz, x)
		}
	}
	n := len(nz)
	if n == 0 {
		return 1
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return math.Abs(nz[idx[a]]) < math.Abs(nz[idx[b]]) })
	// Doubled ranks: average ranks of ties are halves.
	ranks := make([]int, n)
	for i := 0; i < n; {
		j := i
		for j+1 < n && math.Abs(nz[idx[j+1]]) == math.Abs(nz[idx[i]]) {
			j++
		}
		for k := i; k <= j; k++ {
			ranks[idx[k]] = i + j + 2 // 2 × the average of ranks i+1..j+1
		}
		i = j + 1
	}
	wPlus := 0
	for i, r := range ranks {
		if nz[i] > 0 {
			wPlus += r
		}
	}
	count := signedRankDist(ranks)
	var lower, upper float64
	for s, p := range count {
		if s <= wPlus {
			lower += p
		}
		if s >= wPlus {
			upper += p
		}
	}
	return math.Min(1, 2*math.Min(lower, upper))
}

// pairedMinRounds is the fewest rounds the signed-rank test is used with.
const pairedMinRounds = 8

// minSignedRankP is the smallest two-sided p-value the signed-rank test can
// give with n non-zero changes: every change of one sign, 2/2^n.
func minSignedRankP(n int) float64 {
	return math.Min(1, 2/math.Pow(2, float64(n)))
}

// nonZero counts the non-zero values of d.
func nonZero(d []float64) int {
	n := 0
	for _, x := range d {
		if x != 0 {
			n++
		}
	}
	return n
}

// allEqual reports whether every value of a and b is the same.
func allEqual(a, b []float64) bool {
	for _, s := range [][]float64{a, b} {
		for _, x := range s {
			if x != a[0] {
				return false
			}
		}
	}
	return true
}

// tarone returns which of the tests, given the smallest p-value each could
// reach, count in the family at level alpha: the fewest K such that at
// most K tests can reach alpha/K, and those tests (Tarone, 1990).
func tarone(minP []float64, alpha float64) []bool {
	for k := 1; ; k++ {
		var in []bool
		n := 0
		for _, m := range minP {
			ok := m <= alpha/float64(k)
			in = append(in, ok)
			if ok {
				n++
			}
		}
		if n <= k {
			return in
		}
	}
}

// holm returns, for each p-value, whether Holm's step-down method rejects
// its null hypothesis at family-wise level alpha: the k-th smallest of m
// p-values (k from 0) is compared with alpha/(m-k), in order, until one is
// not below it.
func holm(p []float64, alpha float64) []bool {
	reject := make([]bool, len(p))
	for i, adj := range holmOf(p, len(p)) {
		reject[i] = adj <= alpha
	}
	return reject
}

// signedRankDist returns the null distribution of the signed-rank
// statistic, the sum of the positive ranks, for the given ranks: the
// probability of each sum from 0 to the sum of all ranks when every rank's
// sign is equally likely, by dynamic programming over the ranks.
func signedRankDist(ranks []int) []float64 {
	total := 0
	for _, r := range ranks {
		total += r
	}
	p := make([]float64, total+1)
	p[0] = 1
	for _, r := range ranks {
		for s := total; s >= 0; s-- {
			q := p[s]
			if s >= r {
				q += p[s-r]
			}
			p[s] = q / 2
		}
	}
	return p
}

// hodgesLehmann returns the Hodges-Lehmann estimate of the centre of d, the
// median of its Walsh averages (d[i]+d[j])/2 for i <= j, and the bounds of
// its confidence interval at level confidence (Tukey's: order statistics of
// the Walsh averages at the signed-rank test's critical values). It is the
// estimate that goes with the signed-rank test: robust (29% of the changes
// can be arbitrarily wrong before it is, where the mean breaks with one)
// and much more precise than the median of d (asymptotic efficiency 0.955
// against the mean on normal data, where the median's is 0.637), so the
// same rounds place a change on the right side of its threshold more
// often. With too few values for any interval at the level, the bounds
// are infinite.
func hodgesLehmann(d []float64, confidence float64) (est, lo, hi float64) {
	n := len(d)
	w := make([]float64, 0, n*(n+1)/2)
	for i := range n {
		for j := i; j < n; j++ {
			w = append(w, (d[i]+d[j])/2)
		}
	}
	slices.Sort(w)
	m := len(w)
	est = w[m/2]
	if m%2 == 0 {
		est = (w[m/2-1] + w[m/2]) / 2
	}
	// The interval leaves out the k smallest and the k largest averages,
	// k the largest with P(T <= k) <= (1-confidence)/2 (Hollander and
	// Wolfe's C = k+1); none when even P(T <= 0) is larger.
	ranks := make([]int, n)
	for i := range ranks {
		ranks[i] = i + 1
	}
	cdf := signedRankDist(ranks)
	for s := 1; s < len(cdf); s++ {
		cdf[s] += cdf[s-1]
	}
	if cdf[0] > (1-confidence)/2 {
		// Even the extremes bound the centre with less than the level's
		// confidence (fewer than 4 values at 80%): no interval, so the
		// data rule nothing out.
		return est, math.Inf(-1), math.Inf(1)
	}
	k := 0
	for k+1 < len(cdf) && cdf[k+1] <= (1-confidence)/2 {
		k++
	}
	return est, w[k], w[m-1-k]
}

// pairedResult holds a paired comparison of one result before the
// correction for many results.
type pairedResult struct {
	i      int // index in Verdict.Results
	d      []float64
	log    bool
	est    float64 // the Hodges-Lehmann estimate of the change
	lo, hi float64 // its clearConfidence bounds
}

// decidePaired decides the results of v that both sides measured, round
// by round, at level alpha per look (see the package's paired steps), each
// unit's family grown by others phantom members when v is one shard's
// (Options.Others). The results arrive with benchstat's unpaired
// comparison done: its p-value is kept where there are too few rounds to
// pair.
func decidePaired(v *Verdict, alpha float64, others int) {
	var prs []pairedResult
	var ps, minPs []float64
	for i := range v.Results {
		r := &v.Results[i]
		if r.Base == nil || r.Head == nil {
			continue
		}
		d, log := pairedChanges(r.Base.Values, r.Head.Values)
		est, lo, hi := hodgesLehmann(d, clearConfidence)
		minP := minUTestP(r.Base.N, r.Head.N)
		if allEqual(r.Base.Values, r.Head.Values) {
			minP = 1 // no rank test can tell equal values apart
		}
		if len(d) >= pairedMinRounds {
			r.P = signedRankP(d)
			minP = minSignedRankP(nonZero(d))
			if log {
				r.Delta = Float(math.Expm1(est))
			}
		}
		prs = append(prs, pairedResult{i: i, d: d, log: log, est: est, lo: lo, hi: hi})
		ps = append(ps, r.P)
		minPs = append(minPs, minP)
	}
	// The families: the results of each unit.
	byUnit := make(map[string][]int)
	for k, pr := range prs {
		u := v.Results[pr.i].Unit
		byUnit[u] = append(byUnit[u], k)
	}
	testable := make([]bool, len(prs))
	significant := make([]bool, len(prs))
	for _, family := range byUnit {
		var fmin []float64
		for _, k := range family {
			fmin = append(fmin, minPs[k])
		}
		if others > 0 {
			shardFamily(family, ps, minPs, others, alpha, testable, significant)
			continue
		}
		in := tarone(fmin, alpha)
		var tk []int
		var tp []float64
		for j, k := range family {
			if in[j] {
				testable[k] = true
				tk = append(tk, k)
				tp = append(tp, ps[k])
			}
		}
		for j, rej := range holm(tp, alpha) {
			significant[tk[j]] = rej
		}
	}
	for k, pr := range prs {
		r := &v.Results[pr.i]
		switch {
		case significant[k]:
			r.Status = decideSignificant(*r)
			// A change within its threshold whose bound is not: more
			// rounds could still show it beyond.
			r.Open = r.Status == StatusWithinThreshold && !clear(*r, pr)
		case clear(*r, pr):
			r.Status = StatusUnchanged
		case !testable[k]:
			r.Status = StatusTooFewSamples
			r.Open = true
		default:
			r.Status = StatusInconclusive
			r.Open = true
		}
		r.Regression = r.Status == StatusRegression
	}
}

// shardFamily decides one unit's family of a shard's results (family
// indexes ps, the p-values, and minPs, the smallest each test can reach):
// Holm's step-down at level alpha over the family grown by others phantom
// members of p = 1, which rank last; without Tarone's refinement, which
// needs every member's smallest p-value. A result may be rejected (set in
// significant) and is testable when its smallest p-value reaches alpha
// over the whole grown family.
//
// Why the merge (perfgate merge: Holm with Tarone's refinement over the
// joined results, Others 0, at the same alpha per look) keeps every
// decision a shard made, provided the grown family, m = len(family) +
// others, is at least the merged family's M results (see below for when
// it is not):
//
//   - A result significant here is significant in the merge. Let it be
//     the j-th smallest of this shard's p-values (from 0): for every
//     i <= j the i-th smallest p_i <= alpha/(m-i). Tarone's K over all
//     M results is at most M <= m, so p_i <= alpha/m <= alpha/K: all of
//     them are testable in the merge, as is any other shard's result with
//     p <= p_j, the merged family being M_T <= M of them. Such a result
//     ranks r >= i among them, i the shard's results below it, and its p
//     is at most this shard's i-th, so p <= alpha/(m-i) <= alpha/(M_T-r):
//     Holm's step-down in the merge passes every p-value up to p_j.
//   - Whether a significant result is a regression (decideSignificant)
//     and whether a result is clear depend on its own values only, the
//     same in the merge. So a regression here is one in the merge; a
//     result this shard closed as unchanged (clear, not significant) is
//     in the merge unchanged, or significant and clear: within its
//     threshold or an improvement, never a regression nor open: a clear
//     result's bound in the worse direction is within its threshold, and
//     its change, the Hodges-Lehmann estimate, lies inside the bounds.
//     (With fewer than pairedMinRounds rounds, or values not all
//     positive, the change is benchstat's difference of the medians,
//     which can in rare samples lie beyond the paired bound.)
//   - A shard stops its rounds only when none of its results is open:
//     every result it stopped on keeps its decision in the merge, so the
//     merged outcome is the shards' own. Only a result a shard left open
//     (inconclusive when its budget ran out) may be decided by the merge,
//     with the more powerful correction over the true family: as the run
//     of all the benchmarks at once would have decided it.
//
// The gate estimates others (gate.shardOthers) from this shard's results
// per top-level benchmark times the other shards' top-level benchmarks,
// counting the largest unit family: an estimate, since the exact count
// would need every benchmark run once. Where the other shards' benchmarks
// have more sub-benchmarks than this shard's, m may fall short of M, and
// the first point can fail for a p-value close to its threshold.
func shardFamily(family []int, ps, minPs []float64, others int, alpha float64, testable, significant []bool) {
	var fp []float64
	for _, k := range family {
		fp = append(fp, ps[k])
	}
	m := len(family) + others
	for j, adj := range holmOf(fp, m) {
		k := family[j]
		testable[k] = minPs[k] <= alpha/float64(m)
		significant[k] = adj <= alpha
	}
}

// clear reports whether the data rule out a change beyond the threshold in
// the unit's worse direction (both directions when it is unknown).
func clear(r Result, pr pairedResult) bool {
	up, down := pr.hi, pr.lo // bounds of the change, as fractions of the base
	if pr.log {
		up, down = math.Expm1(pr.hi), math.Expm1(pr.lo)
	} else {
		switch {
		case r.Base.Center != 0:
			up, down = pr.hi/math.Abs(r.Base.Center), pr.lo/math.Abs(r.Base.Center)
		case pr.hi > 0 || pr.lo < 0:
			return false // from zero to something
		}
	}
	worseUp := up <= r.Threshold
	worseDown := -down <= r.Threshold
	switch r.Better {
	case LowerBetter:
		return worseUp
	case HigherBetter:
		return worseDown
	}
	return worseUp && worseDown
}
