package analyze

import (
	"strings"

	"golang.org/x/perf/benchfmt"
)

// LoadName names the result lines of a load scenario: one line per
// service of the scenario, "BenchmarkLoad/scenario=S/service=X". The
// target service's line holds the scenario's latency and throughput; every
// service's line its own CPU time and memory. A load of a service perfgate
// did not start (perfgate load) has no Service: "BenchmarkLoad/scenario=S".
type LoadName struct {
	Scenario, Service string
}

const (
	loadPrefix     = "BenchmarkLoad/scenario="
	loadServiceKey = "/service="
)

// String returns the name as results and verdicts carry it.
func (n LoadName) String() string {
	s := loadPrefix + n.Scenario
	if n.Service != "" {
		s += loadServiceKey + n.Service
	}
	return s
}

// BenchName returns the name as a benchfmt.Result holds it, without
// "Benchmark", which the benchmark format writes.
func (n LoadName) BenchName() benchfmt.Name {
	return benchfmt.Name(strings.TrimPrefix(n.String(), "Benchmark"))
}

// ParseLoadName reads the name of a load result; ok is false for any
// other benchmark's name.
func ParseLoadName(name string) (n LoadName, ok bool) {
	rest, ok := strings.CutPrefix(name, loadPrefix)
	if !ok || rest == "" {
		return LoadName{}, false
	}
	n.Scenario, n.Service, _ = strings.Cut(rest, loadServiceKey)
	if n.Scenario == "" || strings.Contains(n.Scenario, "/") || strings.Contains(n.Service, "/") {
		return LoadName{}, false
	}
	return n, true
}
