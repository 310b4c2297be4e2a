package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/rundir"
)

// UnitCapacity is the unit of a capacity scenario's figure: the highest
// offered rate, in requests per second, at which the target met the
// objective. Higher is better.
const UnitCapacity = "max-req/s"

// maxSteps bounds the steps of one capacity search: enough to bracket a
// capacity from min_rate to max_rate by doubling and bisect it to 1%, so
// that a search that does not settle still ends.
const maxSteps = 24

// searchStart is where a search begins, and how: at the first round of a
// side, from the scenario's rate doubling; later, from the side's last
// answer in steps of twice the precision, so the round stays short.
type searchStart struct {
	rate   float64
	factor float64
}

// probe runs one step of a search: the scenario's load at rate, judged
// against the objective.
type probe func(ctx context.Context, rate float64) (rundir.CapacityStep, error)

// search finds the highest rate in [obj.MinRate, obj.MaxRate] at which
// probe meets the objective: it steps from start.rate by start.factor up
// while the steps meet it and down while they do not, each step's factor
// the square of the last up to 2 (doubling), until it has a rate that met it below one that
// did not; then it bisects them (geometrically) until they are within
// obj.Precision. It stops early at the bounds: met at MaxRate, the figure
// is MaxRate and Bound says "at least"; not met at MinRate, Bound says
// "never". A step the driver could not keep up with ends the search as
// at MaxRate: the capacity is at least the last rate that met it.
func search(ctx context.Context, obj config.Capacity, start searchStart, run probe) (*rundir.CapacityRound, error) {
	c := &rundir.CapacityRound{}
	lo, hi := 0.0, math.Inf(1) // highest met, lowest not met
	rate := math.Min(math.Max(start.rate, obj.MinRate), obj.MaxRate)
	factor := start.factor
	step := func(rate float64) (bool, error) {
		if len(c.Steps) == maxSteps {
			return false, errUnsettled
		}
		s, err := run(ctx, rate)
		if err != nil {
			return false, err
		}
		c.Steps = append(c.Steps, s)
		return s.Met, nil
	}
	// Bracket.
	for {
		met, err := step(rate)
		if err != nil {
			return settle(c, lo, hi, err)
		}
		last := c.Steps[len(c.Steps)-1]
		switch {
		case last.DriverBound != "":
			c.Bound = rundir.AtLeast
			c.Note = fmt.Sprintf("the load driver could not keep up at %.0f req/s (%s)", rate, last.DriverBound)
			return settle(c, lo, math.Inf(1), nil)
		case met:
			lo = rate
			if rate >= obj.MaxRate {
				c.Bound = rundir.AtLeast
				c.Note = fmt.Sprintf("the objective was still met at max_rate (%.0f req/s)", obj.MaxRate)
				return settle(c, lo, hi, nil)
			}
		default:
			hi = rate
			if rate <= obj.MinRate {
				c.Bound = rundir.Never
				c.Note = fmt.Sprintf("the objective was not met even at min_rate (%.0f req/s): %s", obj.MinRate, last.Why)
				return settle(c, lo, hi, nil)
			}
		}
		if lo > 0 && !math.IsInf(hi, 1) {
			break
		}
		if met {
			rate = math.Min(rate*factor, obj.MaxRate)
		} else {
			rate = math.Max(rate/factor, obj.MinRate)
		}
		factor = min(factor*factor, 2)
	}
	// Bisect.
	for hi/lo > 1+obj.Precision {
		rate := math.Sqrt(lo * hi)
		met, err := step(rate)
		if err != nil {
			return settle(c, lo, hi, err)
		}
		if last := c.Steps[len(c.Steps)-1]; last.DriverBound != "" {
			c.Bound = rundir.AtLeast
			c.Note = fmt.Sprintf("the load driver could not keep up at %.0f req/s (%s)", rate, last.DriverBound)
			return settle(c, lo, hi, nil)
		}
		if met {
			lo = rate
		} else {
			hi = rate
		}
	}
	return settle(c, lo, hi, nil)
}

// errUnsettled is a search that reached maxSteps.
var errUnsettled = fmt.Errorf("no answer within %d steps", maxSteps)

// settle sets the search's answer, lo, and its bracket (Upper 0 when no
// step failed); a search cut short by maxSteps keeps its best answer, with
// a note.
func settle(c *rundir.CapacityRound, lo, hi float64, err error) (*rundir.CapacityRound, error) {
	c.Capacity, c.Lower = lo, lo
	if !math.IsInf(hi, 1) {
		c.Upper = hi
	}
	if err == errUnsettled {
		c.Note = fmt.Sprintf("the search found no answer within %d steps: the capacity is between %.0f and %.0f req/s", maxSteps, lo, hi)
		if lo == 0 {
			c.Bound = rundir.Never
		}
		err = nil
	}
	return c, err
}

// capacityTimeout is a capacity step's per-request timeout: a request
// that takes many times the objective's latency has failed it anyway, and
// a step past the capacity should not wait for its queue to drain for
// long.
func capacityTimeout(sc config.Scenario) time.Duration {
	return min(sc.Timeout, max(time.Second, 20*sc.Capacity.Latency))
}

// driverBoundCPUs is the driver's CPU use, in CPUs, from which a step it
// sent late measured the driver: below it, a late driver was starved by
// the services' own work on the same cores, and the step missed the
// objective because the machine could not carry the rate.
const driverBoundCPUs = 0.5

// judge returns the step of a search that offered rate and got res, while
// the driver used driverCPUs.
func judge(obj config.Capacity, rate float64, res *load.Result, driverCPUs float64) rundir.CapacityStep {
	q := func(p float64) float64 {
		return res.Percentile(p).Seconds()
	}
	s := rundir.CapacityStep{
		Rate: rate, Achieved: res.Achieved(), Requests: res.Completed, Errors: res.Errors,
		P50: q(50), P90: q(90), P99: q(99), Objective: q(obj.Percentile), DriverCPUs: driverCPUs,
	}
	if res.SendLag != nil && res.SendLag.TotalCount() > 0 {
		s.SendLagP99 = float64(res.SendLag.ValueAtQuantile(99)) / 1e9
	}
	limit := obj.Latency.Seconds()
	switch {
	case res.ErrorRate() > obj.MaxErrorRate:
		s.Why = fmt.Sprintf("%.1f%% of requests failed, over %.1f%% (%s)", 100*res.ErrorRate(), 100*obj.MaxErrorRate, res.FirstError)
	case res.CapHits > 0 || res.Unsent > 0:
		s.Why = fmt.Sprintf("%d requests waited for the in-flight cap of %d", res.CapHits, res.MaxInFlight)
	case s.Objective > limit:
		s.Why = fmt.Sprintf("p%g %s over %s", obj.Percentile, time.Duration(s.Objective*1e9).Round(10*time.Microsecond), obj.Latency)
	case s.Achieved < (1-obj.Precision)*rate:
		s.Why = fmt.Sprintf("it carried %.0f of the %.0f req/s offered", s.Achieved, rate)
	default:
		s.Met = true
	}
	// The driver alone, late by more than the objective's latency, would
	// have failed the step whatever the service did: it measured the
	// driver, if the driver was busy itself.
	if !s.Met && res.CapHits == 0 && s.SendLagP99 > limit && driverCPUs >= driverBoundCPUs {
		s.DriverBound = fmt.Sprintf("send lag p99 %s over the objective's %s, the driver using %.2f CPUs",
			time.Duration(s.SendLagP99*1e9).Round(10*time.Microsecond), obj.Latency, driverCPUs)
	}
	return s
}

// search runs round of a capacity scenario on s: a search for the highest
// rate that meets the objective, starting at the scenario's rate in the
// side's first round and at its last answer after. Its answer is the
// target's max-req/s line; the steps (the latency curve) are in run.json.
// A side that never meets the objective, or whose first step the driver
// could not keep up with, fails the run; a bound or an unsettled search is
// a note.
func (t *LoadTest) search(ctx context.Context, s *Side, round int) error {
	sc, run, info := t.sc, t.sides.Run, t.sides.Info
	obj := *sc.Capacity
	lr := rundir.LoadRound{
		Scenario: sc.Name, Round: round, Side: s.Name, Started: time.Now().UTC(), Load1: loadAverage(),
		File: run.LoadRound(s.Name, sc.Name, round, 0),
	}
	start := searchStart{rate: sc.Rate, factor: 2}
	if prev := t.capacities[s.Name]; len(prev) > 0 {
		start = searchStart{rate: prev[len(prev)-1], factor: 1 + 2*obj.Precision}
	}
	before, err := s.usage(true)
	if err != nil {
		return err
	}
	machine0, self0 := machineCPU(), selfCPU()
	c, err := search(ctx, obj, start, func(ctx context.Context, rate float64) (rundir.CapacityStep, error) {
		target, opts := s.target(sc)
		opts.Rate, opts.Timeout = rate, capacityTimeout(sc)
		self0, start := selfCPU(), time.Now()
		res, err := t.drive(ctx, target, opts)
		driverCPUs := (selfCPU() - self0) / time.Since(start).Seconds()
		if err != nil {
			return rundir.CapacityStep{}, fmt.Errorf("%s round %d of %s at %.0f req/s: %w", s.Name, round, sc.Name, rate, err)
		}
		if err := s.alive(); err != nil {
			return rundir.CapacityStep{}, fmt.Errorf("%s round %d at %.0f req/s: %w", sc.Name, round, rate, err)
		}
		return judge(obj, rate, res, driverCPUs), nil
	})
	lr.Seconds = time.Since(lr.Started).Seconds()
	m, self := machineCPU()-machine0, selfCPU()-self0
	if after, uerr := s.usage(false); uerr == nil && lr.Seconds > 0 {
		for i := range after {
			m -= after[i].CPUSeconds - before[i].CPUSeconds
		}
		lr.BackgroundCPUs = max(0, m-self) / lr.Seconds
		lr.DriverCPUs = self / lr.Seconds
	}
	lr.Capacity = c
	for _, st := range c.Steps {
		lr.Requests += st.Requests
		lr.Errors += st.Errors
	}
	info.Load = append(info.Load, lr)
	if err != nil {
		return errors.Join(err, t.sides.Save())
	}
	objective := fmt.Sprintf("p%g ≤ %v, errors ≤ %g%%", obj.Percentile, obj.Latency, 100*obj.MaxErrorRate)
	switch {
	case c.Bound == rundir.Never:
		return errors.Join(fmt.Errorf("%s round %d: the %s side never met the objective (%s): %s", sc.Name, round, s.Name, objective, c.Note), t.sides.Save())
	case c.Capacity == 0:
		return errors.Join(fmt.Errorf("%s round %d on %s: no rate measured the service: %s", sc.Name, round, s.Name, c.Note), t.sides.Save())
	case c.Note != "":
		bound := ""
		if c.Bound == rundir.AtLeast {
			bound = "at least "
		}
		info.Notes = append(info.Notes, fmt.Sprintf("%s round %d of %s: capacity %s%.0f req/s (%s): %s", s.Name, round, sc.Name, bound, c.Capacity, objective, c.Note))
	}
	t.capacities[s.Name] = append(t.capacities[s.Name], c.Capacity)

	var lines bytes.Buffer
	err = benchfmt.NewWriter(&lines).Write(&benchfmt.Result{
		Name:   analyze.LoadName{Scenario: sc.Name, Service: sc.Target}.BenchName(),
		Iters:  max(lr.Requests, 1),
		Values: []benchfmt.Value{{Value: c.Capacity, Unit: UnitCapacity}},
	})
	if err != nil {
		return err
	}
	if err := run.WriteFile(lr.File, append([]byte(loadHeader()), lines.Bytes()...)); err != nil {
		return err
	}
	if err := s.appendResults(lines.Bytes()); err != nil {
		return err
	}
	t.counted[s.Name]++
	return t.sides.Save()
}

// setProfileRate sets the rate a capacity scenario is profiled at on both
// sides, so that their costs per request compare: the configured one, or
// the lower of the sides' median capacities.
func (t *LoadTest) setProfileRate() {
	rate := t.sc.Capacity.ProfileRate
	if rate == 0 {
		for _, s := range t.sides.Both() {
			if m := median(t.capacities[s.Name]); m > 0 && (rate == 0 || m < rate) {
				rate = m
			}
		}
	}
	if rate == 0 {
		return
	}
	t.profileRate = rate
	t.sides.Info.Notes = append(t.sides.Info.Notes, fmt.Sprintf("%s: both sides profiled at %.0f req/s", t.sc.Name, rate))
}

// median returns the median of xs, 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
