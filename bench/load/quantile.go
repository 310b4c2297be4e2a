package load

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/aclements/go-moremath/mathx"
)

// hdMaxCount is the most values Percentile weighs with Harrell-Davis.
// Beyond it the sample percentile is already as steady as the
// estimator's, and the incomplete beta function's continued fraction
// (mathx.BetaInc, which gives up on very large parameters) is not asked to
// converge on them.
const hdMaxCount = 100_000

// Percentile returns the p-th percentile (0 < p < 100) of the latencies,
// estimated by Harrell and Davis's method (Biometrika 69(3), 1982): a
// weighted mean of every recorded latency, the i-th smallest of n weighted
// by the chance that the percentile of a sample of n+1 falls between the
// (i-1)-th and the i-th, I(i/n; a, b) - I((i-1)/n; a, b) with a = (n+1)p,
// b = (n+1)(1-p). A round of 150 requests has one or two latencies past its
// p99, so the sample percentile jumps between the body of the distribution
// and its tail from round to round; the weighted mean moves with how far
// into the tail the slowest requests went, not with how many of them fell
// in the round. On the shop's A/A rounds it steadies p99 (see README).
// Each histogram bucket weighs its latencies at their midpoint. Beyond
// hdMaxCount latencies, and for p outside (0, 100), it is the histogram's
// sample percentile.
func (r *Result) Percentile(p float64) time.Duration {
	return time.Duration(percentile(r.Latency, p))
}

// percentile is Percentile over any histogram of nanoseconds; 0 when it
// is nil or empty.
func percentile(h *hdrhistogram.Histogram, p float64) int64 {
	if h == nil || h.TotalCount() == 0 {
		return 0
	}
	n := h.TotalCount()
	if n > hdMaxCount || p <= 0 || p >= 100 {
		return h.ValueAtQuantile(p)
	}
	q := p / 100
	a, b := float64(n+1)*q, float64(n+1)*(1-q)
	var sum, below float64 // below: I((rank so far)/n; a, b)
	var rank int64
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		rank += bar.Count
		upto := mathx.BetaInc(float64(rank)/float64(n), a, b)
		sum += (upto - below) * float64(bar.From+bar.To) / 2
		below = upto
	}
	return int64(sum + 0.5)
}
