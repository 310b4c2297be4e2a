package rundir

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/bench/load"
	"github.com/perfgate/perfgate/config"
)

// Info is run.json: what ran, where, with which Go, and how far it got. It
// is written as the run begins and again after every round, so that an
// interrupted run says what finished.
type Info struct {
	Tool     string    `json:"tool"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Complete is set when every round ran.
	Complete bool   `json:"complete"`
	Error    string `json:"error,omitempty"`
	Host     Host   `json:"host"`
	// Go is the output of "go version".
	Go    string  `json:"go"`
	Dir   string  `json:"dir"`
	Sides []*Side `json:"sides"`
	config.Bench
	GoBench bool `json:"go_bench"`
	// PinCPUs is pin_cpus as the run was asked (config.Config.PinCPUs);
	// Pinned is what was pinned, nil when nothing was (a note says why).
	PinCPUs bool     `json:"pin_cpus,omitempty"`
	Pinned  *Pinning `json:"pinned,omitempty"`
	// StoppedAt is the round after which the benchmarks' answer was
	// clear and the rounds stopped, 0 when all ran.
	StoppedAt int `json:"stopped_at,omitempty"`
	// ProfileSeconds is the time the profiling runs took, both sides.
	ProfileSeconds float64           `json:"profile_seconds,omitempty"`
	Scenarios      []config.Scenario `json:"scenarios,omitempty"`
	Measured       []Round           `json:"measured"`
	Load           []LoadRound       `json:"load,omitempty"`
	Profiles       []Profile         `json:"profiles,omitempty"`
	Notes          []string          `json:"notes,omitempty"`
	// Shard is the share of the benchmarks this run measured, when it is
	// one job of a sharded run (perfgate bench --shard).
	Shard *ShardInfo `json:"shard,omitempty"`
}

// ShardInfo is one share of a sharded run, as run.json records it for
// perfgate merge, which checks that the shards it joins are all of one run
// and decides them with the same thresholds.
type ShardInfo struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// All are the top-level benchmarks of every shard
	// ("importpath.BenchmarkName"), sorted, and Mine this shard's.
	All  []string `json:"all"`
	Mine []string `json:"mine"`
	// Thresholds are the gate's thresholds the shard decided with.
	Thresholds analyze.Thresholds `json:"thresholds"`
	// Others is the estimated number of the other shards' results in
	// each unit's family, counted in the shard's correction for many
	// results (analyze.Options.Others).
	Others int `json:"others,omitempty"`
}

// Host describes the machine.
type Host struct {
	Name   string `json:"name"`
	OS     string `json:"os"`
	Arch   string `json:"arch"`
	CPU    string `json:"cpu,omitempty"`
	NumCPU int    `json:"num_cpu"`
}

// Pinning is where a run with pin_cpus pinned the load driver and the
// services, as Linux CPU lists ("0", "1-3"; internal/cpuset): perfgate
// itself while it sent load, and every service of both sides.
type Pinning struct {
	Driver   string `json:"driver"`
	Services string `json:"services"`
}

// Side is a side as it ran.
type Side struct {
	Name   string            `json:"name"`
	Ref    string            `json:"ref,omitempty"`
	Commit string            `json:"commit,omitempty"`
	Dirty  bool              `json:"dirty,omitempty"`
	Env    map[string]string `json:"env,omitempty"`
	Tags   []string          `json:"tags,omitempty"`
	// Tree is the directory the side was built from: the working tree, or
	// a temporary worktree removed after the run.
	Tree     string    `json:"tree"`
	Packages []Package `json:"packages"`
	// Services are the side's services as they ran.
	Services []Service `json:"services,omitempty"`
	// Results is the benchmark file of the side, relative to the run
	// directory.
	Results string `json:"results"`
}

// Package is a package with tests, as one side has it.
type Package struct {
	// ImportPath identifies the package on both sides.
	ImportPath string `json:"import_path"`
	// Name is the package's name.
	Name string `json:"name,omitempty"`
	// Dir is the package's directory relative to the tree's root.
	Dir string `json:"dir"`
	// Binary is the test binary built from it, while the run keeps it.
	Binary string `json:"binary,omitempty"`
	// Benchmarks are the top-level benchmarks matching the -bench regexp.
	Benchmarks []string `json:"benchmarks,omitempty"`
}

// Service is a service as it ran on one side.
type Service struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
	// Binary is the service's binary, while the run keeps it.
	Binary string `json:"binary,omitempty"`
	// Log is its output, relative to the run directory.
	Log string `json:"log"`
}

// Round is one side's measured round of the go test benchmarks.
type Round struct {
	Round int    `json:"round"`
	Side  string `json:"side"`
	// File holds the raw output, relative to the run directory.
	File    string    `json:"file"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	// CPUSeconds is the user and system time of the benchmark processes.
	CPUSeconds float64 `json:"cpu_seconds"`
	// Load1 is the machine's one-minute load average as the round began:
	// other work competing with the benchmarks.
	Load1 float64 `json:"load1"`
	// Results is the number of benchmark lines the round produced.
	Results int `json:"results"`
}

// LoadRound is one side's measured round of a load scenario.
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
	// DriverCPUs is the CPU time perfgate's load driver used during the
	// round, per second of it: on a 2-core machine, what it took from the
	// services. A driver-bound round says it.
	DriverCPUs float64 `json:"driver_cpus"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
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
	// Capacity is the round's search, in a capacity scenario.
	Capacity *CapacityRound `json:"capacity,omitempty"`
}

// CapacityRound is one round's search for the highest rate at which the
// target met its objective.
type CapacityRound struct {
	// Capacity is the answer, in requests per second: the highest rate
	// that met the objective (Lower), or, with Bound, a bound.
	Capacity float64 `json:"capacity"`
	// Lower is the highest rate that met the objective, Upper the lowest
	// that did not (0 when none failed).
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper,omitempty"`
	// Bound is "" for a capacity found between Lower and Upper, AtLeast
	// when the search stopped at max_rate or at the driver's limit while
	// the objective was still met, Never when it was not met even at
	// min_rate.
	Bound string `json:"bound,omitempty"`
	// Note says why the search stopped where it did, when it is a bound
	// or did not settle.
	Note  string         `json:"note,omitempty"`
	Steps []CapacityStep `json:"steps"`
}

// Bounds of a capacity search (CapacityRound.Bound).
const (
	AtLeast = "at least"
	Never   = "never"
)

// CapacityStep is one step of a capacity search: the load offered at one
// rate for the scenario's duration, and whether the target met the
// objective. Latencies are in seconds, from each request's scheduled
// start.
type CapacityStep struct {
	Rate     float64 `json:"rate"`
	Achieved float64 `json:"achieved"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	P50      float64 `json:"p50"`
	P90      float64 `json:"p90"`
	P99      float64 `json:"p99"`
	// Objective is the objective's percentile of latency.
	Objective  float64 `json:"objective"`
	SendLagP99 float64 `json:"send_lag_p99"`
	// DriverCPUs is the CPU time the driver used, per second of the step.
	DriverCPUs float64 `json:"driver_cpus"`
	Met        bool    `json:"met"`
	// Why says how a step that did not meet the objective missed it.
	Why string `json:"why,omitempty"`
	// DriverBound, when set, says why the step measured the driver.
	DriverBound string `json:"driver_bound,omitempty"`
}

// Profile is where the profiles behind one result of one side are,
// relative to the run directory: a go test benchmark's, or a service's
// under a load scenario.
type Profile struct {
	Side      string `json:"side"`
	Package   string `json:"package,omitempty"`
	Service   string `json:"service,omitempty"`
	Benchmark string `json:"benchmark"`
	CPU       string `json:"cpu,omitempty"`
	// Mem is the memory profile: go test's -memprofile, or a service's
	// heap profile at the end of the load.
	Mem       string `json:"mem,omitempty"`
	Goroutine string `json:"goroutine,omitempty"`
	// Block and Mutex are a benchmark's contention profiles.
	Block string `json:"block,omitempty"`
	Mutex string `json:"mutex,omitempty"`
	// OffCPU are time profiles of a service's off-CPU time by kind
	// ("network", "sync"), over Work, derived where there is no trace:
	// a deploy's, from its goroutine profiles (offcpu.FromGoroutines).
	OffCPU map[string]string `json:"off_cpu,omitempty"`
	// Trace is a service's execution trace, over part of the profiled
	// load; TraceWork the requests the load completed while it ran.
	Trace     string  `json:"trace,omitempty"`
	TraceWork float64 `json:"trace_work,omitempty"`
	// Output is the benchmark output of the profiling run.
	Output string `json:"output"`
	// Work is the amount of work the profiles cover: benchmark iterations
	// or requests. Costs per unit of work compare between sides whose
	// profiling runs did not do the same amount.
	Work float64 `json:"work"`
}

// WriteInfo writes run.json, replacing the previous one in one step.
func (d Dir) WriteInfo(info *Info) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("writing %s: %w", InfoFile, err)
	}
	path := d.Path(InfoFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", InfoFile, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", InfoFile, err)
	}
	return nil
}

// ReadInfo reads run.json.
func (d Dir) ReadInfo() (*Info, error) {
	data, err := os.ReadFile(d.Path(InfoFile))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", InfoFile, err)
	}
	var info Info
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("reading %s: %w", d.Path(InfoFile), err)
	}
	return &info, nil
}
