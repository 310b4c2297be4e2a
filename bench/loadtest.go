package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/sys/unix"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/bench/service"
	"github.com/perfgate/perfgate/config"
	"github.com/perfgate/perfgate/profiler"
	"github.com/perfgate/perfgate/rundir"
)

// LoadTest is one load scenario against both sides' services (started by
// StartServices), measured in rounds.
type LoadTest struct {
	sides *Sides
	sc    config.Scenario
	// extra is how many rounds may still run again because the driver
	// could not keep up with them: as many as the scenario's rounds.
	extra int
	// counted is the rounds of each side that count.
	counted map[string]int
	// capacities are each side's answers so far, in a capacity scenario;
	// profileRate, once set, is the rate both sides are profiled at.
	capacities  map[string][]float64
	profileRate float64
}

// NewLoadTest returns the load scenario sc on sides.
func NewLoadTest(sides *Sides, sc config.Scenario) *LoadTest {
	return &LoadTest{sides: sides, sc: sc, extra: sc.Rounds, counted: map[string]int{}, capacities: map[string][]float64{}}
}

// Prepare warms each side up: the scenario's load for its warm-up time,
// unmeasured. A target that fails it fails the run before any round.
func (t *LoadTest) Prepare(ctx context.Context) error {
	if t.sc.Warmup <= 0 {
		return nil
	}
	for _, s := range t.sides.Both() {
		target, opts := s.target(t.sc)
		opts.Duration = t.sc.Warmup
		res, err := t.drive(ctx, target, opts)
		if err != nil {
			return fmt.Errorf("%s warm-up on %s: %w", t.sc.Name, s.Name, err)
		}
		if err := s.alive(); err != nil {
			return err
		}
		if err := t.checkErrors(res, s, "warm-up"); err != nil {
			return err
		}
	}
	return nil
}

func (t *LoadTest) checkErrors(res *load.Result, s *Side, what string) error {
	sc := t.sc
	if res.ErrorRate() > sc.MaxErrorRate {
		return fmt.Errorf("%s %s on %s: %d of %d requests failed (%.1f%%, above the limit of %.1f%%): %s",
			sc.Name, what, s.Name, res.Errors, res.Completed, 100*res.ErrorRate(), 100*sc.MaxErrorRate, res.FirstError)
	}
	return nil
}

// Round runs one measured round of the scenario on s. A round the driver
// could not keep up with measured the driver, not the service: it is kept
// on disk and in run.json but not in the side's results, and runs again
// as long as the scenario's budget of extra rounds lasts.
func (t *LoadTest) Round(ctx context.Context, s *Side, round int) error {
	if t.sc.Capacity != nil {
		return t.search(ctx, s, round)
	}
	for attempt := 0; ; attempt++ {
		counted, err := t.try(ctx, s, round, attempt)
		if counted {
			t.counted[s.Name]++
		}
		if err != nil || counted {
			return err
		}
		if t.extra == 0 {
			if round == t.sc.Rounds && t.counted[s.Name] == 0 {
				// Nothing measured the service: a side with no figure
				// would read as a scenario the head no longer runs.
				return fmt.Errorf("%s: no round of the %s side counts: the load driver could not keep up with any (the machine is too busy for %v requests a second; see the notes in run.json)",
					t.sc.Name, s.Name, t.sc.Rate)
			}
			return nil
		}
		t.extra--
	}
}

// try runs one attempt at a round and records it: the scenario's figures
// on the target service's line, each service's CPU time per request and
// peak memory on its own line. It reports whether the round counts.
func (t *LoadTest) try(ctx context.Context, s *Side, round, attempt int) (counted bool, err error) {
	sc, run, info := t.sc, t.sides.Run, t.sides.Info
	lr := rundir.LoadRound{
		Scenario: sc.Name, Round: round, Side: s.Name, Started: time.Now().UTC(), Load1: loadAverage(),
		File: run.LoadRound(s.Name, sc.Name, round, attempt),
	}
	before, err := s.usage(true)
	if err != nil {
		return false, err
	}
	machine0, self0 := machineCPU(), selfCPU()
	target, opts := s.target(sc)
	res, err := t.drive(ctx, target, opts)
	if err != nil {
		return false, fmt.Errorf("%s round %d of %s: %w", s.Name, round, sc.Name, err)
	}
	after, err := s.usage(false)
	if err != nil {
		return false, err
	}
	if err := s.alive(); err != nil {
		return false, fmt.Errorf("%s round %d: %w", sc.Name, round, err)
	}
	lr.Seconds = time.Since(lr.Started).Seconds()
	var servicesCPU float64
	for i := range after {
		servicesCPU += after[i].CPUSeconds - before[i].CPUSeconds
	}
	if m, self := machineCPU()-machine0, selfCPU()-self0; lr.Seconds > 0 {
		lr.BackgroundCPUs = max(0, m-servicesCPU-self) / lr.Seconds
		lr.DriverCPUs = self / lr.Seconds
	}
	lr.Requests, lr.Errors, lr.Achieved = res.Completed, res.Errors, res.Achieved()
	lr.SendLagP99 = float64(res.SendLag.ValueAtQuantile(99)) / 1e9
	lr.PeakInFlight, lr.CapHits, lr.PerSecond = res.PeakInFlight, res.CapHits, res.Seconds
	if bound, why := res.DriverBound(); bound {
		lr.DriverBound = why
	}

	var lines bytes.Buffer
	if err := t.writeLines(&lines, s, res, before, after); err != nil {
		return false, err
	}
	if err := run.WriteFile(lr.File, append([]byte(loadHeader()), lines.Bytes()...)); err != nil {
		return false, err
	}
	if err := t.checkErrors(res, s, fmt.Sprintf("round %d", round)); err != nil {
		return false, err
	}
	info.Load = append(info.Load, lr)
	if lr.DriverBound != "" {
		what := "no extra rounds left to replace it"
		if t.extra > 0 {
			what = "it runs again"
		}
		info.Notes = append(info.Notes, fmt.Sprintf("%s round %d of %s left out: the load driver could not keep up (%s; it used %.2f CPUs, the machine's other work %.2f); %s",
			s.Name, round, sc.Name, lr.DriverBound, lr.DriverCPUs, lr.BackgroundCPUs, what))
		return false, t.sides.Save()
	}
	if err := s.appendResults(lines.Bytes()); err != nil {
		return false, err
	}
	return true, t.sides.Save()
}

// writeLines writes a round's results in the Go benchmark format: one
// line per service, named by scenario and service (analyze.LoadName); the
// target's carries the latency, throughput and errors.
func (t *LoadTest) writeLines(w io.Writer, s *Side, res *load.Result, before, after []service.Usage) error {
	bw := benchfmt.NewWriter(w)
	n := max(res.Completed, 1)
	for i, p := range s.procs {
		result := &benchfmt.Result{
			Name:  analyze.LoadName{Scenario: t.sc.Name, Service: p.Spec.Name}.BenchName(),
			Iters: res.Completed,
		}
		if p.Spec.Name == t.sc.Target {
			result.Values = append(result.Values, res.Values()...)
			result.Values = append(result.Values, benchfmt.Value{Value: float64(res.PeakInFlight), Unit: "peak-inflight"})
		}
		result.Values = append(result.Values,
			benchfmt.Value{Value: (after[i].CPUSeconds - before[i].CPUSeconds) / float64(n), Unit: "cpu-sec/op"},
			benchfmt.Value{Value: float64(after[i].PeakRSS), Unit: "peak-rss-B"})
		if err := bw.Write(result); err != nil {
			return err
		}
	}
	return nil
}

// Profile profiles the scenario when want holds one of its results (or
// want is nil): its load runs again on both sides in chunks of at most
// profileChunk, interleaved (base, head, head, base, ...), until each side
// has had the scenario's ProfileTime, while every service's CPU profile
// and execution trace cover each chunk; then heap and goroutine snapshots
// are taken of each side. A missing or slow endpoint loses that profile,
// with a note; the figures stand. A capacity scenario is profiled at one
// rate on both sides (setProfileRate) with CPU profiles only: what limits
// how much load a service carries is its CPU time per request, and near
// capacity its waits are the queue.
func (t *LoadTest) Profile(ctx context.Context, want []analyze.Result) error {
	if want != nil && !slices.ContainsFunc(want, func(r analyze.Result) bool {
		n, ok := analyze.ParseLoadName(r.Benchmark)
		return ok && n.Scenario == t.sc.Name
	}) {
		return nil
	}
	if t.sc.Capacity != nil {
		t.setProfileRate()
	}
	window := min(t.sc.Duration, profileChunk)
	chunks := max(1, int((t.sc.ProfileTime+window-1)/window))
	for chunk := range chunks {
		for _, si := range order2(chunk) {
			if err := t.profileChunk(ctx, t.sides.sides[si], window, chunk, chunk == chunks-1); err != nil {
				return err
			}
		}
	}
	return t.sides.Save()
}

// profileChunk is the longest chunk of a scenario's profiling load: a
// service's trace over it stays small (a few MiB at a few hundred
// requests a second), and sides alternate often enough for drift to hit
// both alike.
const profileChunk = 3 * time.Second

// profileChunk runs one chunk of the profiling load on s, for window, with
// CPU profiles and traces of every service, and heap and goroutine
// snapshots after the last.
func (t *LoadTest) profileChunk(ctx context.Context, s *Side, window time.Duration, chunk int, last bool) error {
	sc, run, info := t.sc, t.sides.Run, t.sides.Info
	endpoints := make([]string, len(s.procs))
	for i, p := range s.procs {
		endpoints[i] = p.Spec.PprofURL(p.Addr)
	}
	var res *load.Result
	var before, after []service.Usage
	caps, err := profiledLoad(ctx, endpoints, window, captureSet{trace: sc.Capacity == nil, snapshots: last}, func() error {
		var err error
		if before, err = s.usage(true); err != nil {
			return err
		}
		target, opts := s.target(sc)
		opts.Duration = window
		if t.profileRate > 0 {
			opts.Rate = t.profileRate
		}
		if res, err = t.drive(ctx, target, opts); err != nil {
			return fmt.Errorf("%s profiling round of %s: %w", s.Name, sc.Name, err)
		}
		if err := s.alive(); err != nil {
			return err
		}
		after, err = s.usage(false)
		return err
	})
	if err != nil {
		return err
	}
	var lines bytes.Buffer
	if err := t.writeLines(&lines, s, res, before, after); err != nil {
		return err
	}
	output := run.ScenarioOutput(s.Name, sc.Name, chunk)
	if err := run.WriteFile(output, append([]byte(loadHeader()), lines.Bytes()...)); err != nil {
		return err
	}
	for i, p := range s.procs {
		if endpoints[i] == "" {
			continue
		}
		pr := rundir.Profile{Side: s.Name, Service: p.Spec.Name, Output: output, Work: float64(res.Completed),
			Benchmark: analyze.LoadName{Scenario: sc.Name, Service: p.Spec.Name}.String()}
		for _, c := range caps[i] {
			if c.err != nil {
				info.Notes = append(info.Notes, fmt.Sprintf("no %s %s profile of %s under %s: %v", s.Name, c.kind, p.Spec.Name, sc.Name, c.err))
				continue
			}
			rel := run.ServiceProfile(s.Name, p.Spec.Name, sc.Name, string(c.kind), chunk)
			if err := run.WriteFile(rel, c.data); err != nil {
				info.Notes = append(info.Notes, fmt.Sprintf("writing %s: %v", rel, err))
				continue
			}
			switch c.kind {
			case profiler.CPU:
				pr.CPU = rel
			case profiler.Heap:
				pr.Mem = rel
			case profiler.Goroutine:
				pr.Goroutine = rel
			case profiler.Trace:
				pr.Trace, pr.TraceWork = rel, float64(res.Completed)
			}
		}
		if pr.CPU != "" || pr.Mem != "" || pr.Trace != "" {
			info.Profiles = append(info.Profiles, pr)
		}
	}
	return nil
}

// capture is one profile of an endpoint, or why there is none.
type capture struct {
	kind profiler.Kind
	data []byte
	err  error
}

// captureSet says what profiledLoad captures besides CPU profiles.
type captureSet struct {
	// trace adds an execution trace over the window; snapshots, heap
	// and goroutine profiles after it.
	trace, snapshots bool
}

// profiledLoad runs load while a CPU profile (and, with set.trace, an
// execution trace) of each pprof endpoint ("" for a service without one)
// covers window, then, with set.snapshots, takes a heap and a goroutine
// snapshot of each. The windows open as the load starts; the load is as
// long as the windows. It returns, per endpoint, its captures; an endpoint
// that fails costs its capture (its error), not the load.
func profiledLoad(ctx context.Context, endpoints []string, window time.Duration, set captureSet, load func() error) ([][]capture, error) {
	caps := make([][]capture, len(endpoints))
	windowed := []profiler.Kind{profiler.CPU}
	if set.trace {
		windowed = append(windowed, profiler.Trace)
	}
	var wg sync.WaitGroup
	for i, e := range endpoints {
		if e == "" {
			continue
		}
		for _, k := range windowed {
			caps[i] = append(caps[i], capture{kind: k})
		}
		if set.snapshots {
			caps[i] = append(caps[i], capture{kind: profiler.Heap}, capture{kind: profiler.Goroutine})
		}
		for j := range windowed {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &caps[i][j]
				_, c.data, c.err = profiler.Capture(ctx, e, c.kind, window)
			}()
		}
	}
	err := load()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	for i, e := range endpoints {
		for j := len(windowed); j < len(caps[i]); j++ {
			c := &caps[i][j]
			_, c.data, c.err = profiler.Capture(ctx, e, c.kind, 0)
		}
	}
	return caps, ctx.Err()
}

// machineCPU returns the CPU seconds the whole machine has been busy, or
// 0 where /proc/stat cannot be read.
func machineCPU() float64 {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0
	}
	st, err := fs.Stat()
	if err != nil {
		return 0
	}
	c := st.CPUTotal
	return c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ + c.Steal
}

// selfCPU returns the CPU seconds perfgate itself (the load driver, during
// a round) has used, or 0.
func selfCPU() float64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return float64(ts.Nano()) / 1e9
}
