// Package changepoint finds the points where the level of a noisy
// performance series changed: one value per commit, in commit order, such
// as the median sec/op of a benchmark at each commit of a branch.
//
// The method is E-Divisive means (Matteson & James, "A Nonparametric
// Approach for Multiple Change Point Analysis of Multivariate Data", 2014)
// with the significance test of Apache Otava (formerly Hunter, used on
// MongoDB's and DataStax's performance series) in place of the original
// permutation test:
//
//  1. Between each pair of neighbouring accepted change points (at first,
//     the whole series) the candidate split is the one that maximizes the
//     E-divisive statistic q-hat with alpha = 1, which weighs the mean
//     distance |x_i−x_j| across the split against the mean distances within
//     each side. All splits of a segment of n points take O(n²) time, with
//     running sums of the distances.
//  2. Each candidate is tested by a two-sample test of the points left of it
//     against the points right of it, within that window only.
//  3. The most significant candidate is accepted if its p-value is below
//     Options.Alpha and its estimated change is at least
//     Options.MinChange, which splits its window in two; step 1 then runs
//     on the two new windows. The search stops when no candidate passes.
//  4. Accepting a point shrinks the windows of its neighbours, so the
//     figures of every point are computed again over its final window, and
//     a point that no longer passes is dropped (the weakest first).
//  5. Each point is placed again at the best split of its final window: a
//     point found early was placed in a segment that still held the steps
//     found after it, which pulled it a commit or three aside. Steps 4 and
//     5 repeat until nothing moves.
//
// The U test's p-value is exact (go-moremath's distribution of U, ties
// included) when each side has at most 20 points, and from the normal
// approximation beyond: at the sizes of a short history the approximation
// is off by the factor that matters (9 points all above 7: 1.7e-4
// exactly, 1.0e-3 approximated, just above the default Alpha).
//
// The work is on the logarithms of the values, so that a change is a ratio
// and noise proportional to the level weighs the same before and after it.
//
// Why E-divisive and a rank test: performance series from shared machines
// are not normal. They have outliers (a noisy neighbour slows one run by
// tens of percent), skew (noise only ever adds time) and more than one
// change. E-divisive assumes no distribution and finds many change points
// by recursion; the split it proposes is tested by the Mann-Whitney U test,
// which uses only ranks, so one outlier of +50% weighs no more than one of
// +5%, and a burst of up to MinSize−1 outliers cannot be significant with
// the default options. Welch's t-test on the logarithms would be a little
// more powerful on clean lognormal noise, but a single large outlier
// inflates its variance and hides a real step, or makes a spike look like
// one. The change and its interval are the Hodges-Lehmann estimate and the
// distribution-free interval that go with the U test. The test on the best
// split is much cheaper than the permutation test of the original method
// (hundreds of reshuffles, each O(n²)), so a series of 500 points takes
// about a millisecond.
//
// The price of testing the best split rather than a fixed one is that the
// p-value is optimistic: a flat series is split falsely more often than
// Alpha, as the best of many splits is tested (6 of 200 flat series of 200
// points with the noise of a shared machine, 3%, in the tests), which is
// why Alpha defaults to 0.001 rather than 0.05. A slow linear
// drift has no change point to find; it comes out as a staircase of
// changes in the same direction once it is large against the noise (+20%
// over 300 quiet points: 5 to 7 steps of about 3%), and as none while the
// drift within a window stays under MinChange. A level that moves and comes
// back within a short stretch can be missed: each of its edges is tested
// against its whole window, half of which is at the old level (20 points
// up in 60 are missed at the default Alpha, 30 in 90 are found).
//
// This differs from golang.org/x/perf/benchseries, which compares each
// commit's measurements with those of a baseline commit (the ratio of their
// medians, with a bootstrap confidence interval) and flags the commits whose
// comparison moved. That needs a chosen baseline and several runs of each
// commit, and looks at each commit by itself; this package looks at the
// whole history for shifts of its level, works from one value per commit,
// and uses the points on each side of a change, not a baseline, as the
// evidence.
package changepoint
