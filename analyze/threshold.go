package analyze

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
)

// Thresholds are the effect-size floors of the gate: a significant change
// regresses only when it is worse than its threshold, as a fraction of the
// base (0.05 is 5%). With many benchmarks compared at alpha 0.05 each, some
// change is "significant" by chance almost every time; the threshold is what
// keeps those from failing the gate.
type Thresholds struct {
	// Default applies to units not listed in Units.
	Default float64
	// Units maps a unit, as benchstat names it (sec/op, B/op, allocs/op,
	// B/s, req/s, p99-sec), to its threshold. "ns/op" and "MB/s" are
	// accepted and mean sec/op and B/s.
	Units map[string]float64
	// Benchmarks override Units for benchmarks whose name matches a
	// pattern; the first match wins.
	Benchmarks []BenchmarkThresholds
}

// BenchmarkThresholds are per-unit thresholds for the benchmarks whose full
// name ("BenchmarkX/size=10-8") Pattern matches. Like go test's -bench, the
// pattern is not anchored.
type BenchmarkThresholds struct {
	Pattern *regexp.Regexp
	Units   map[string]float64
}

// DefaultThresholds are used where the configuration says nothing: 5% for
// time, memory and throughput; 10% for latency percentiles under load and
// a service's CPU time and memory, noisier by nature; 50% for the maximum
// latency, which one slow request sets; and no tolerance at all for
// allocation counts, which do not vary with noise.
var DefaultThresholds = Thresholds{
	Default: 0.05,
	Units: map[string]float64{
		"sec/op":     0.05,
		"B/op":       0.05,
		"allocs/op":  0,
		"B/s":        0.05,
		"req/s":      0.05,
		"max-req/s":  0.10,
		"p50-sec":    0.10,
		"p90-sec":    0.10,
		"p99-sec":    0.10,
		"max-sec":    0.50,
		"cpu-sec/op": 0.10,
		"peak-rss-B": 0.10,
	},
}

// For returns the threshold of unit for the named benchmark.
func (t Thresholds) For(benchmark, unit string) float64 {
	for _, b := range t.Benchmarks {
		if b.Pattern.MatchString(benchmark) {
			if v, ok := lookupUnit(b.Units, unit); ok {
				return v
			}
		}
	}
	if v, ok := lookupUnit(t.Units, unit); ok {
		return v
	}
	return t.Default
}

func lookupUnit(m map[string]float64, unit string) (float64, bool) {
	if v, ok := m[unit]; ok {
		return v, true
	}
	for k, v := range m {
		if TidyUnit(k) == unit {
			return v, true
		}
	}
	return 0, false
}

// TidyUnit returns the name benchstat uses for unit: ns/op is sec/op and
// MB/s is B/s.
func TidyUnit(unit string) string {
	_, u := benchunit.Tidy(1, unit)
	return u
}

// ParsePercent parses a threshold written as "5%" or "0.5%", or as a bare
// fraction such as "0.05".
func ParsePercent(s string) (float64, error) {
	t := strings.TrimSpace(s)
	p, pct := strings.CutSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("bad threshold %q: want a percentage such as 5%%", s)
	}
	if pct {
		v /= 100
	}
	return v, nil
}

// Direction says which way a unit is better.
type Direction int

// The directions of a unit.
const (
	Unknown      Direction = 0
	HigherBetter Direction = 1
	LowerBetter  Direction = -1
)

func (d Direction) String() string {
	switch d {
	case HigherBetter:
		return "higher"
	case LowerBetter:
		return "lower"
	}
	return "unknown"
}

// MarshalText writes the direction as "higher", "lower" or "unknown".
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (d *Direction) UnmarshalText(b []byte) error {
	switch string(b) {
	case "higher":
		*d = HigherBetter
	case "lower":
		*d = LowerBetter
	case "unknown", "":
		*d = Unknown
	default:
		return fmt.Errorf("unknown direction %q", b)
	}
	return nil
}

// DirectionOf says which way unit is better. Unit metadata in the files
// ("Unit req/s better=higher") decides first, then benchfmt's knowledge of
// the testing package's units, then the unit's shape: a rate (".../s") is
// better higher; a time (sec, -sec), a size (B) or a count per operation
// (".../op") is better lower. Anything else is Unknown and never regresses.
func DirectionOf(units benchfmt.UnitMetadataMap, unit string) Direction {
	if d := units.GetBetter(unit); d != 0 {
		return Direction(d)
	}
	switch {
	case strings.HasSuffix(unit, "/s"):
		return HigherBetter
	case unit == "sec" || strings.HasPrefix(unit, "sec/") || strings.HasSuffix(unit, "-sec"),
		strings.HasSuffix(unit, "/op"):
		return LowerBetter
	}
	return Unknown
}
