package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/sys/unix"

	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/bench/service"
	"github.com/perfgate/perfgate/profiler"
)

// Scenario is a load scenario: requests at a constant rate to one of the
// services, measured in interleaved rounds.
type Scenario struct {
	Name string `yaml:"name" json:"name"`
	// Target is the name of the service the requests go to.
	Target string            `yaml:"target" json:"target"`
	Method string            `yaml:"method" json:"method"`
	Path   string            `yaml:"path" json:"path"`
	Body   string            `yaml:"body" json:"body,omitempty"`
	Header map[string]string `yaml:"header" json:"header,omitempty"`
	// Rate is in requests per second, open model.
	Rate     float64       `yaml:"rate" json:"rate"`
	Duration time.Duration `yaml:"duration" json:"duration_ns"`
	// Timeout bounds each request.
	Timeout     time.Duration `yaml:"timeout" json:"timeout_ns"`
	MaxInFlight int           `yaml:"max_in_flight" json:"max_in_flight"`
	// Rounds is the number of measured rounds per side. Too few for the
	// signed-rank test, they are compared with the U test, which needs 5
	// per side to reach the gate's alpha (0.02) at all, and 6 when three
	// results share a unit (three services' cpu-sec/op).
	Rounds int `yaml:"rounds" json:"rounds"`
	// Warmup is an unmeasured load each side gets before its first round.
	Warmup time.Duration `yaml:"warmup" json:"warmup_ns"`
	// MaxErrorRate is the fraction of failed requests above which a round
	// is a failure of the workload rather than a figure.
	MaxErrorRate float64 `yaml:"max_error_rate" json:"max_error_rate"`
}

// Service is a service as it ran on one side.
type Service struct {
	Name   string `json:"name"`
	Addr   string `json:"addr"`
	Binary string `json:"binary"`
	// Log is its output, relative to the run directory.
	Log string `json:"log"`
}

// LoadRound is one side's measured round of a scenario.
type LoadRound struct {
	Scenario string    `json:"scenario"`
	Round    int       `json:"round"`
	Side     string    `json:"side"`
	File     string    `json:"file"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Load1    float64   `json:"load1"`
	// BackgroundCPUs is the CPU time the rest of the machine used during
	// the round (neither the services nor perfgate), per second: how many
	// cores other work took.
	BackgroundCPUs float64 `json:"background_cpus"`
	Requests       int     `json:"requests"`
	Errors         int     `json:"errors"`
	// Achieved is the rate the requests completed at.
	Achieved float64 `json:"achieved"`
	// SendLagP99 is the 99th percentile of how late the driver sent
	// requests after their scheduled time, in seconds.
	SendLagP99   float64 `json:"send_lag_p99"`
	PeakInFlight int     `json:"peak_in_flight"`
	CapHits      int     `json:"cap_hits"`
	// DriverBound, when set, says why the driver rather than the service
	// limited the round; such a round does not count in the verdict.
	DriverBound string `json:"driver_bound,omitempty"`
	// PerSecond is the round second by second, for charts.
	PerSecond []load.Second `json:"per_second"`
}

// load runs the scenarios: builds and starts each side's services, warms
// each side up, runs the interleaved rounds and the profiling rounds.
func (r *runner) load(ctx context.Context) error {
	for _, d := range []string{"logs", "rounds"} {
		if err := os.MkdirAll(filepath.Join(r.opts.Out, d), 0o755); err != nil {
			return err
		}
	}
	for _, s := range r.sides {
		r.progress(Progress{Phase: "build", Side: s.Name})
		for _, spec := range r.opts.Services {
			bin := filepath.Join(r.opts.Out, "bin", s.Name, service.BinaryName(spec))
			if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
				return err
			}
			err := service.Build(ctx, spec, filepath.Join(s.Tree, r.rel), s.Tags, s.environ(), bin,
				filepath.Join(r.opts.Out, "build-"+s.Name+".log"))
			if err != nil {
				return fmt.Errorf("%s side: %w", s.Name, err)
			}
		}
	}
	for _, s := range r.sides {
		r.progress(Progress{Phase: "start", Side: s.Name})
		if err := r.startServices(ctx, s); err != nil {
			return err
		}
	}
	if err := r.writeInfo(); err != nil {
		return err
	}
	r.startClock()
	for _, s := range r.sides {
		if _, err := s.out.WriteString("pkg:\n" + loadUnits()); err != nil {
			return fmt.Errorf("writing %s: %w", s.Results, err)
		}
	}
	for _, sc := range r.opts.Scenarios {
		for _, s := range r.sides {
			r.progress(Progress{Phase: "warmup", Side: s.Name, Scenario: sc.Name})
			if err := r.warmup(ctx, s, sc); err != nil {
				return err
			}
			r.done++
		}
		// A round the driver could not keep up with does not count; it
		// runs again, as long as the scenario's budget of extra rounds
		// (as many as its rounds) lasts.
		extra := sc.Rounds
		for round := 1; round <= sc.Rounds; round++ {
			for _, s := range r.order(round) {
				r.progress(Progress{Phase: "round", Side: s.Name, Scenario: sc.Name, Round: round, Rounds: sc.Rounds})
				for attempt := 0; ; attempt++ {
					counted, err := r.loadRound(ctx, s, sc, round, attempt, extra > 0)
					if err != nil {
						return err
					}
					if counted || extra == 0 {
						break
					}
					extra--
				}
				r.done++
			}
		}
		if r.opts.Profile {
			for _, s := range r.sides {
				r.progress(Progress{Phase: "profile", Side: s.Name, Scenario: sc.Name})
				if err := r.loadProfile(ctx, s, sc); err != nil {
					return err
				}
				r.done++
			}
		}
	}
	return nil
}

// startServices starts the services of s in order, each told the
// addresses of those started before it.
func (r *runner) startServices(ctx context.Context, s *side) error {
	addrs := make(map[string]string)
	for _, spec := range r.opts.Services {
		bin := filepath.Join(r.opts.Out, "bin", s.Name, service.BinaryName(spec))
		log := filepath.Join("logs", s.Name+"-"+spec.Name+".log")
		p, err := service.Start(ctx, spec, bin, s.environ(), addrs, filepath.Join(r.opts.Out, log))
		if err != nil {
			return fmt.Errorf("%s side: %w", s.Name, err)
		}
		s.procs = append(s.procs, p)
		s.Services = append(s.Services, Service{Name: spec.Name, Addr: p.Addr, Binary: bin, Log: log})
		addrs[spec.Name] = p.Addr
	}
	return nil
}

// stopServices stops the services of s, last started first.
func (s *side) stopServices() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		s.procs[i].Stop()
	}
	s.procs = nil
}

// target returns the request of sc to the side's target service.
func (s *side) target(sc Scenario) (load.Target, load.Options) {
	var addr string
	for _, p := range s.procs {
		if p.Spec.Name == sc.Target {
			addr = p.Addr
		}
	}
	h := make(http.Header)
	for k, v := range sc.Header {
		h.Set(k, v)
	}
	if sc.Body != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return load.Target{Method: sc.Method, URL: "http://" + addr + sc.Path, Body: []byte(sc.Body), Header: h},
		load.Options{Rate: sc.Rate, Duration: sc.Duration, Timeout: sc.Timeout, MaxInFlight: sc.MaxInFlight}
}

// alive returns an error if one of the side's services has exited.
func (s *side) alive() error {
	for _, p := range s.procs {
		if err := p.CheckAlive(); err != nil {
			return fmt.Errorf("%s side: %w", s.Name, err)
		}
	}
	return nil
}

// warmup sends the scenario's load for its warm-up time, unmeasured; a
// target that fails it fails the run before any round.
func (r *runner) warmup(ctx context.Context, s *side, sc Scenario) error {
	if sc.Warmup <= 0 {
		return nil
	}
	t, opts := s.target(sc)
	opts.Duration = sc.Warmup
	res, err := load.Run(ctx, t, opts)
	if err != nil {
		return fmt.Errorf("%s warm-up on %s: %w", sc.Name, s.Name, err)
	}
	if err := s.alive(); err != nil {
		return err
	}
	return checkErrors(res, sc, s, "warm-up")
}

func checkErrors(res *load.Result, sc Scenario, s *side, what string) error {
	if res.ErrorRate() > sc.MaxErrorRate {
		return fmt.Errorf("%s %s on %s: %d of %d requests failed (%.1f%%, above the limit of %.1f%%): %s",
			sc.Name, what, s.Name, res.Errors, res.Completed, 100*res.ErrorRate(), 100*sc.MaxErrorRate, res.FirstError)
	}
	return nil
}

// loadRound runs one measured round of sc on s and records it: the
// scenario's figures on the target service's line, each service's CPU time
// per request and peak memory on its own line.
//
// It reports whether the round counts: a round the driver could not keep
// up with is kept on disk and in run.json, but not in the side's results.
// attempt numbers the tries of this round; again says whether a round
// left out will run again.
func (r *runner) loadRound(ctx context.Context, s *side, sc Scenario, round, attempt int, again bool) (counted bool, err error) {
	file := fmt.Sprintf("%s-%s-%02d.txt", s.Name, sc.Name, round)
	if attempt > 0 {
		file = fmt.Sprintf("%s-%s-%02d-again%d.txt", s.Name, sc.Name, round, attempt)
	}
	lr := LoadRound{
		Scenario: sc.Name, Round: round, Side: s.Name, Started: time.Now().UTC(), Load1: loadAverage(),
		File: filepath.Join("rounds", file),
	}
	before, err := s.usage(true)
	if err != nil {
		return false, err
	}
	machine0, self0 := machineCPU(), selfCPU()
	t, opts := s.target(sc)
	res, err := load.Run(ctx, t, opts)
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
	if m := machineCPU() - machine0; lr.Seconds > 0 {
		lr.BackgroundCPUs = max(0, m-servicesCPU-(selfCPU()-self0)) / lr.Seconds
	}
	lr.Requests, lr.Errors, lr.Achieved = res.Completed, res.Errors, res.Achieved()
	lr.SendLagP99 = float64(res.SendLag.ValueAtQuantile(99)) / 1e9
	lr.PeakInFlight, lr.CapHits, lr.PerSecond = res.PeakInFlight, res.CapHits, res.Seconds
	if bound, why := res.DriverBound(); bound {
		lr.DriverBound = why
	}

	var buf bytes.Buffer
	buf.WriteString("pkg:\n" + loadUnits())
	if err := writeLoadLines(&buf, sc, s, res, before, after); err != nil {
		return false, err
	}
	if err := os.WriteFile(filepath.Join(r.opts.Out, lr.File), buf.Bytes(), 0o644); err != nil {
		return false, err
	}
	if err := checkErrors(res, sc, s, fmt.Sprintf("round %d", round)); err != nil {
		return false, err
	}
	r.info.Load = append(r.info.Load, lr)
	if lr.DriverBound != "" {
		// Such a round measured the driver, not the service.
		what := "no extra rounds left to replace it"
		if again {
			what = "it runs again"
		}
		r.info.Notes = append(r.info.Notes, fmt.Sprintf("%s round %d of %s left out: the load driver could not keep up (%s); %s", s.Name, round, sc.Name, lr.DriverBound, what))
		return false, r.writeInfo()
	}
	if _, err := s.out.Write(bytes.TrimPrefix(buf.Bytes(), []byte("pkg:\n"+loadUnits()))); err != nil {
		return false, fmt.Errorf("writing %s: %w", s.Results, err)
	}
	return true, r.writeInfo()
}

// loadUnits are the unit metadata lines of load results.
func loadUnits() string {
	return load.UnitMetadata() + "Unit cpu-sec/op better=lower\nUnit peak-rss-B better=lower\n"
}

// writeLoadLines writes a round's results in the Go benchmark format: one
// line per service, named by scenario and service; the target's carries
// the latency, throughput and errors.
func writeLoadLines(w io.Writer, sc Scenario, s *side, res *load.Result, before, after []service.Usage) error {
	bw := benchfmt.NewWriter(w)
	n := max(res.Completed, 1)
	for i, p := range s.procs {
		result := &benchfmt.Result{
			Name:  benchfmt.Name(fmt.Sprintf("Load/scenario=%s/service=%s", sc.Name, p.Spec.Name)),
			Iters: res.Completed,
		}
		if p.Spec.Name == sc.Target {
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

// usage reads the resource use of the side's services; reset starts a new
// peak memory measure.
func (s *side) usage(reset bool) ([]service.Usage, error) {
	us := make([]service.Usage, len(s.procs))
	for i, p := range s.procs {
		if reset {
			if err := p.ResetPeak(); err != nil {
				return nil, err
			}
		}
		u, err := p.Usage()
		if err != nil {
			if aerr := s.alive(); aerr != nil {
				return nil, aerr
			}
			return nil, err
		}
		us[i] = u
	}
	return us, nil
}

// loadProfile runs one more round of sc on s while every service's CPU is
// profiled, then takes heap and goroutine snapshots. A missing or slow
// pprof endpoint loses that profile, with a note; the figures stand.
func (r *runner) loadProfile(ctx context.Context, s *side, sc Scenario) error {
	client := &http.Client{}
	type capture struct {
		data []byte
		err  error
	}
	// The CPU profiles' windows open as the load starts; the load is as
	// long as the windows.
	profiles := make([]Profile, len(s.procs))
	var wg sync.WaitGroup
	cpu := make([]capture, len(s.procs))
	for i, p := range s.procs {
		dir := filepath.Join("profiles", s.Name, p.Spec.Name)
		if err := os.MkdirAll(filepath.Join(r.opts.Out, dir), 0o755); err != nil {
			return err
		}
		profiles[i] = Profile{Side: s.Name, Service: p.Spec.Name,
			Benchmark: fmt.Sprintf("BenchmarkLoad/scenario=%s/service=%s", sc.Name, p.Spec.Name),
			Output:    filepath.Join("profiles", s.Name, sc.Name+".txt")}
		base := p.Spec.PprofURL(p.Addr)
		if base == "" {
			continue
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, data, err := profiler.Capture(ctx, client, base, profiler.CPU, sc.Duration)
			cpu[i] = capture{data: data, err: err}
		}(i)
	}
	before, err := s.usage(true)
	if err != nil {
		return err
	}
	t, opts := s.target(sc)
	res, err := load.Run(ctx, t, opts)
	wg.Wait()
	if err != nil {
		return fmt.Errorf("%s profiling round of %s: %w", s.Name, sc.Name, err)
	}
	if err := s.alive(); err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(loadUnits())
	after, err := s.usage(false)
	if err != nil {
		return err
	}
	if err := writeLoadLines(&buf, sc, s, res, before, after); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.opts.Out, profiles[0].Output), buf.Bytes(), 0o644); err != nil {
		return err
	}
	for i, p := range s.procs {
		base := p.Spec.PprofURL(p.Addr)
		if base == "" {
			continue
		}
		pr := &profiles[i]
		save := func(kind profiler.Kind, data []byte, err error) string {
			if err != nil {
				r.info.Notes = append(r.info.Notes, fmt.Sprintf("no %s %s profile of %s under %s: %v", s.Name, kind, p.Spec.Name, sc.Name, err))
				return ""
			}
			rel := filepath.Join("profiles", s.Name, p.Spec.Name, fmt.Sprintf("%s.%s.pprof", sc.Name, kind))
			if err := os.WriteFile(filepath.Join(r.opts.Out, rel), data, 0o644); err != nil {
				r.info.Notes = append(r.info.Notes, fmt.Sprintf("writing %s: %v", rel, err))
				return ""
			}
			return rel
		}
		pr.CPU = save(profiler.CPU, cpu[i].data, cpu[i].err)
		_, heap, herr := profiler.Capture(ctx, client, base, profiler.Heap, 0)
		pr.Mem = save(profiler.Heap, heap, herr)
		_, gr, gerr := profiler.Capture(ctx, client, base, profiler.Goroutine, 0)
		pr.Goroutine = save(profiler.Goroutine, gr, gerr)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pr.Work = float64(res.Completed)
		if pr.CPU != "" || pr.Mem != "" {
			r.info.Profiles = append(r.info.Profiles, *pr)
		}
	}
	return r.writeInfo()
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
