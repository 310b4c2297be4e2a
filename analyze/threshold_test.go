package analyze

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

func TestThresholdsFor(t *testing.T) {
	th := Thresholds{
		Default: 0.05,
		Units: map[string]float64{
			"ns/op":     0.03, // as a user writes it: applies to sec/op
			"MB/s":      0.04, // applies to B/s
			"allocs/op": 0,
			"p99-sec":   0.10,
		},
		Benchmarks: []BenchmarkThresholds{
			{Pattern: regexp.MustCompile(`Encode/`), Units: map[string]float64{"ns/op": 0.20}},
			{Pattern: regexp.MustCompile(`Encode`), Units: map[string]float64{"ns/op": 0.30, "B/op": 0.25}},
			{Pattern: regexp.MustCompile(`^BenchmarkParse-`), Units: map[string]float64{"sec/op": 0.15, "allocs/op": 0.5}},
			{Pattern: regexp.MustCompile(`size=1[mM]B`), Units: map[string]float64{"B/s": 0.12}},
		},
	}
	tests := []struct {
		bench, unit string
		want        float64
	}{
		// Units, with ns/op and MB/s tidied.
		{"BenchmarkOther-8", "sec/op", 0.03},
		{"BenchmarkOther-8", "B/s", 0.04},
		{"BenchmarkOther-8", "allocs/op", 0},
		{"BenchmarkOther-8", "p99-sec", 0.10},
		{"BenchmarkOther-8", "B/op", 0.05}, // Default
		{"BenchmarkOther-8", "req/s", 0.05},
		{"BenchmarkOther-8", "widgets", 0.05},
		// The first matching pattern wins, and patterns are not
		// anchored: "Encode/" matches in the middle of the name.
		{"BenchmarkEncode/json-8", "sec/op", 0.20},
		{"BenchmarkXEncode/json-8", "sec/op", 0.20},
		// A match without the unit falls through to the next pattern,
		// then to Units.
		{"BenchmarkEncode/json-8", "B/op", 0.25},
		{"BenchmarkEncode/json-8", "allocs/op", 0},
		{"BenchmarkEncodeAll-8", "sec/op", 0.30},
		// An anchored pattern.
		{"BenchmarkParse-8", "sec/op", 0.15},
		{"BenchmarkParse-8", "allocs/op", 0.5},
		{"BenchmarkParseAll-8", "sec/op", 0.03},
		{"BenchmarkXParse-8", "sec/op", 0.03},
		// Sub-benchmark names.
		{"BenchmarkCopy/size=1MB-8", "B/s", 0.12},
		{"BenchmarkCopy/size=1kB-8", "B/s", 0.04},
	}
	for _, tt := range tests {
		if got := th.For(tt.bench, tt.unit); got != tt.want {
			t.Errorf("For(%q, %q) = %v, want %v", tt.bench, tt.unit, got, tt.want)
		}
	}

	// The zero Thresholds tolerate nothing.
	if got := (Thresholds{}).For("BenchmarkX", "sec/op"); got != 0 {
		t.Errorf("zero Thresholds: For = %v, want 0", got)
	}
}

func TestDefaultThresholds(t *testing.T) {
	tests := []struct {
		unit string
		want float64
	}{
		{"sec/op", 0.05},
		{"B/op", 0.05},
		{"allocs/op", 0},
		{"B/s", 0.05},
		{"req/s", 0.05},
		{"p99-sec", 0.10},
		{"widgets", 0.05},
		{TidyUnit("ns/op"), 0.05},
		{TidyUnit("MB/s"), 0.05},
		{TidyUnit("p99-ns"), 0.10},
	}
	for _, tt := range tests {
		if got := DefaultThresholds.For("BenchmarkX-8", tt.unit); got != tt.want {
			t.Errorf("DefaultThresholds.For(%q) = %v, want %v", tt.unit, got, tt.want)
		}
	}
}

func TestTidyUnit(t *testing.T) {
	for in, want := range map[string]string{
		"ns/op":     "sec/op",
		"sec/op":    "sec/op",
		"MB/s":      "B/s",
		"B/s":       "B/s",
		"B/op":      "B/op",
		"allocs/op": "allocs/op",
		"p99-ns":    "p99-sec",
		"req/s":     "req/s",
		"widgets":   "widgets",
	} {
		if got := TidyUnit(in); got != want {
			t.Errorf("TidyUnit(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  bool
	}{
		{in: "5%", want: 0.05},
		{in: "0.5%", want: 0.005},
		{in: "0%", want: 0},
		{in: "100%", want: 1},
		{in: "250%", want: 2.5},
		{in: "0.05", want: 0.05},
		{in: "0", want: 0},
		{in: "1", want: 1},
		{in: "5", want: 5}, // a bare number is a fraction: 500%
		{in: " 5 % ", want: 0.05},
		{in: "\t5%\n", want: 0.05},
		{in: "1e1%", want: 0.1},
		{in: "-1%", err: true},
		{in: "-0.05", err: true},
		{in: "abc", err: true},
		{in: "5%%", err: true},
		{in: "%", err: true},
		{in: "%5", err: true},
		{in: "5 %%", err: true},
		{in: "NaN%", err: true},
		{in: "NaN", err: true},
		{in: "Inf%", err: true},
		{in: "+Inf", err: true},
		{in: "1e400%", err: true}, // out of range
		{in: "", err: true},
		{in: "   ", err: true},
		{in: "5 percent", err: true},
	}
	for _, tt := range tests {
		got, err := ParsePercent(tt.in)
		switch {
		case tt.err && err == nil:
			t.Errorf("ParsePercent(%q) = %v, want an error", tt.in, got)
		case !tt.err && err != nil:
			t.Errorf("ParsePercent(%q): %v", tt.in, err)
		case !tt.err && math.Abs(got-tt.want) > 1e-15:
			t.Errorf("ParsePercent(%q) = %v, want %v", tt.in, got, tt.want)
		case tt.err && !strings.Contains(err.Error(), "bad threshold"):
			t.Errorf("ParsePercent(%q): error %q does not say what is wrong", tt.in, err)
		}
	}
}

func TestDirectionOf(t *testing.T) {
	units := read(t, "units", "Unit score better=higher\nUnit errors/s better=lower\nUnit cost assume=exact\nUnit MB/s better=lower\n").Units
	tests := []struct {
		units benchfmt.UnitMetadataMap
		unit  string
		want  Direction
	}{
		// benchfmt's knowledge of the testing package's units.
		{nil, "sec/op", LowerBetter},
		{nil, "ns/op", LowerBetter},
		{nil, "B/op", LowerBetter},
		{nil, "allocs/op", LowerBetter},
		{nil, "B/s", HigherBetter},
		{nil, "MB/s", HigherBetter},
		// The unit's shape.
		{nil, "req/s", HigherBetter},
		{nil, "ops/s", HigherBetter},
		{nil, "p99-sec", LowerBetter},
		{nil, "p50-sec", LowerBetter},
		{nil, "sec", LowerBetter},
		{nil, "sec/request", LowerBetter},
		{nil, "items/op", LowerBetter},
		{nil, "widgets", Unknown},
		{nil, "score", Unknown},
		{nil, "text-bytes", Unknown},
		{nil, "seconds", Unknown},
		{nil, "", Unknown},
		// Metadata decides first.
		{units, "score", HigherBetter},
		{units, "errors/s", LowerBetter},
		{units, "cost", Unknown},       // metadata without better=
		{units, "B/s", LowerBetter},    // declared as MB/s, looked up tidied
		{units, "sec/op", LowerBetter}, // not declared
	}
	for _, tt := range tests {
		if got := DirectionOf(tt.units, tt.unit); got != tt.want {
			t.Errorf("DirectionOf(%q) = %v, want %v", tt.unit, got, tt.want)
		}
	}
}

func TestDirectionText(t *testing.T) {
	for d, want := range map[Direction]string{HigherBetter: "higher", LowerBetter: "lower", Unknown: "unknown", Direction(7): "unknown"} {
		if got := d.String(); got != want {
			t.Errorf("Direction(%d).String() = %q, want %q", int(d), got, want)
		}
		b, err := d.MarshalText()
		if err != nil || string(b) != want {
			t.Errorf("Direction(%d).MarshalText() = %q, %v; want %q", int(d), b, err, want)
		}
	}
}
