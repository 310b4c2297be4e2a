package load

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
)

// The units of Result.Values, in the order Values returns them. Latencies
// are in seconds, measured from each request's scheduled start (in a closed
// run, from its send).
const (
	UnitMean      = "sec/op"    // mean latency
	UnitP50       = "p50-sec"   // median latency
	UnitP90       = "p90-sec"   // 90th percentile latency
	UnitP99       = "p99-sec"   // 99th percentile latency
	UnitMax       = "max-sec"   // largest latency
	UnitAchieved  = "req/s"     // completed requests per second over the time they took
	UnitErrorRate = "errors/op" // failed requests per completed request
)

// Thresholds of DriverBound.
const (
	// DriverBoundSendLagP99 is the send-lag p99 above which a round
	// measured the driver's lateness rather than the service.
	DriverBoundSendLagP99 = 2 * time.Millisecond
	// DriverBoundAchieved is the fraction of the target rate below which
	// the driver did not deliver the load it was asked for (SendRate).
	DriverBoundAchieved = 0.95
)

// Achieved returns the completed requests per second over the time they
// took to complete: (Completed-1) / (last completion - first completion).
// A service that keeps up completes them at the rate they were sent; one
// that falls behind (or a driver that does) stretches the completions over
// a longer time, and the figure is what it really carried. With fewer than
// two completions it is Completed per second of schedule (Span).
func (r *Result) Achieved() float64 {
	if window := r.Elapsed - r.FirstDone; r.Completed >= 2 && window > 0 {
		return float64(r.Completed-1) / window.Seconds()
	}
	if r.Span <= 0 {
		return 0
	}
	return float64(r.Completed) / r.Span.Seconds()
}

// SendRate returns the requests sent per second over the time the driver
// took to send them: the schedule's span, or longer when the last send was
// later. A driver that cannot keep up with the rate sends late, and this
// falls below Rate; a slow service does not change it.
func (r *Result) SendRate() float64 {
	window := max(r.Span, r.LastSent)
	if window <= 0 {
		return 0
	}
	return float64(r.Sent) / window.Seconds()
}

// ErrorRate returns the fraction of completed requests that failed, 0 when
// none completed.
func (r *Result) ErrorRate() float64 {
	if r.Completed == 0 {
		return 0
	}
	return float64(r.Errors) / float64(r.Completed)
}

// DriverBound reports whether the driver, not the service, limited the
// round, with the reasons joined by "; ": the send lag's p99 was over
// DriverBoundSendLagP99, the send rate was under DriverBoundAchieved of
// the target, requests waited for the in-flight cap, or due requests were
// never sent. Such a round measured the driver and must not decide a
// verdict.
//
// A closed run (Users > 0) is never driver-bound by these reasons: it has
// no schedule to lag behind or rate to fall short of, its users never wait
// for the cap (Users is at most MaxInFlight) and it leaves nothing unsent.
// Nor is there a sound closed-model signal in its figures: a driver short
// of CPU answers its users' responses late, which lengthens their measured
// latency and lowers the rate exactly as a slower service would, and the
// gap between an answer and the next send (or a think-time pause's
// overshoot) is timer and scheduler noise on a small machine rather than
// a measure of that. Telling them apart needs the driver's CPU use, which
// the caller measures (bench records it per round); DriverBound reports
// false.
func (r *Result) DriverBound() (bool, string) {
	if r.Users > 0 {
		return false, ""
	}
	var reasons []string
	if r.SendLag != nil && r.SendLag.TotalCount() > 0 {
		if p99 := time.Duration(r.SendLag.ValueAtQuantile(99)); p99 > DriverBoundSendLagP99 {
			reasons = append(reasons, fmt.Sprintf("send lag p99 %v over %v", p99.Round(time.Microsecond), DriverBoundSendLagP99))
		}
	}
	if a := r.SendRate(); a < DriverBoundAchieved*r.Rate {
		reasons = append(reasons, fmt.Sprintf("sent %.1f req/s, under %.0f%% of the target %g req/s",
			a, DriverBoundAchieved*100, r.Rate))
	}
	if r.CapHits > 0 {
		reasons = append(reasons, fmt.Sprintf("%d requests waited for the in-flight cap of %d", r.CapHits, r.MaxInFlight))
	}
	if r.Unsent > 0 {
		reasons = append(reasons, fmt.Sprintf("%d due requests were never sent", r.Unsent))
	}
	return len(reasons) > 0, strings.Join(reasons, "; ")
}

// String is one line of the run's figures: requests, rate, errors,
// latency percentiles and send lag, and why the driver could not keep up
// when it could not. A closed run's line names its users and think time
// instead of a target rate, and has no send lag.
func (r *Result) String() string {
	ms := func(ns int64) string { return fmt.Sprintf("%.2fms", float64(ns)/1e6) }
	var p50, p90, p99, maxLat, lag int64
	if h := r.Latency; h != nil {
		p50, p90, p99, maxLat = percentile(h, 50), percentile(h, 90), percentile(h, 99), h.Max()
	}
	if r.Users > 0 {
		model := fmt.Sprintf("closed model, %d users", r.Users)
		if r.Users == 1 {
			model = "closed model, 1 user"
		}
		if r.ThinkTime > 0 {
			model += fmt.Sprintf(", think time %v", r.ThinkTime)
		}
		return fmt.Sprintf("%d requests at %.1f req/s (%s), %d errors, latency from the send p50 %s p90 %s p99 %s max %s",
			r.Completed, r.Achieved(), model, r.Errors, ms(p50), ms(p90), ms(p99), ms(maxLat))
	}
	if r.SendLag != nil {
		lag = r.SendLag.ValueAtQuantile(99)
	}
	s := fmt.Sprintf("%d requests at %.1f req/s (target %.1f), %d errors, latency p50 %s p90 %s p99 %s max %s, send lag p99 %s",
		r.Completed, r.Achieved(), r.Rate, r.Errors, ms(p50), ms(p90), ms(p99), ms(maxLat), ms(lag))
	if bound, why := r.DriverBound(); bound {
		s += "; the driver could not keep up: " + why
	}
	return s
}

// Values returns the run's figures as benchmark values, in the units above:
// mean, p50, p90, p99 and max latency in seconds, the achieved rate in
// req/s, and errors per completed request. Write them with the lines of
// UnitMetadata so that benchmath knows which way is better. A closed run
// has the same units: its latencies are from each request's send, and its
// req/s is the throughput its Users (with their ThinkTime) reached, which
// String names; the units carry no model, so compare a closed scenario
// only with the same scenario.
func (r *Result) Values() []benchfmt.Value {
	var mean, p50, p90, p99, maxLat float64
	if h := r.Latency; h != nil && h.TotalCount() > 0 {
		mean = h.Mean() / 1e9
		p50 = float64(percentile(h, 50)) / 1e9
		p90 = float64(percentile(h, 90)) / 1e9
		p99 = float64(percentile(h, 99)) / 1e9
		maxLat = float64(h.Max()) / 1e9
	}
	return []benchfmt.Value{
		{Value: mean, Unit: UnitMean},
		{Value: p50, Unit: UnitP50},
		{Value: p90, Unit: UnitP90},
		{Value: p99, Unit: UnitP99},
		{Value: maxLat, Unit: UnitMax},
		{Value: r.Achieved(), Unit: UnitAchieved},
		{Value: r.ErrorRate(), Unit: UnitErrorRate},
	}
}

// UnitMetadata returns the benchfmt unit metadata lines of the units of
// Values, one per line, each ending in a newline: which way is better, and
// that nothing is assumed about the distribution (latency percentiles and
// rates are not normal; benchmath then uses its non-parametric tests).
func UnitMetadata() string {
	var b strings.Builder
	for _, u := range []struct{ unit, better string }{
		{UnitMean, "lower"},
		{UnitP50, "lower"},
		{UnitP90, "lower"},
		{UnitP99, "lower"},
		{UnitMax, "lower"},
		{UnitAchieved, "higher"},
		{UnitErrorRate, "lower"},
	} {
		fmt.Fprintf(&b, "Unit %s better=%s assume=nothing\n", u.unit, u.better)
	}
	return b.String()
}
