package analyze

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"
)

// TestCompareDecision checks the gate's decision for one benchmark and
// unit over small inline results.
func TestCompareDecision(t *testing.T) {
	// Ten samples on each side, none overlapping between sides: the
	// U test's p is 2/C(20,10) ≈ 0.0000108, significant at 0.05.
	base := series(1000, 1, 10)
	tests := []struct {
		name       string
		base, head string
		opts       func(*Options) // changes to DefaultOptions
		bench      string         // full name of the result to check
		unit       string         // its unit, as benchstat names it
		status     Status
		verdict    Outcome
		nanDelta   bool // Delta is NaN (the base center is 0)
	}{
		{
			name:    "slowdown beyond threshold",
			base:    lines("X-8", "ns/op", base...),
			head:    lines("X-8", "ns/op", series(1200, 1, 10)...),
			bench:   "BenchmarkX-8",
			unit:    "sec/op",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "speedup beyond threshold",
			base:    lines("X-8", "ns/op", base...),
			head:    lines("X-8", "ns/op", series(800, 1, 10)...),
			bench:   "BenchmarkX-8",
			unit:    "sec/op",
			status:  StatusImprovement,
			verdict: Pass,
		},
		{
			name:    "significant slowdown within threshold",
			base:    lines("X-8", "ns/op", base...),
			head:    lines("X-8", "ns/op", series(1020, 1, 10)...), // +2%, no overlap
			bench:   "BenchmarkX-8",
			unit:    "sec/op",
			status:  StatusWithinThreshold,
			verdict: Pass,
		},
		{
			name:    "slowdown below a raised threshold",
			base:    lines("X-8", "ns/op", base...),
			head:    lines("X-8", "ns/op", series(1200, 1, 10)...), // +20%
			opts:    func(o *Options) { o.Thresholds = Thresholds{Default: 0.25} },
			bench:   "BenchmarkX-8",
			unit:    "sec/op",
			status:  StatusWithinThreshold,
			verdict: Pass,
		},
		{
			name:    "slowdown beyond a per-benchmark threshold",
			base:    lines("X-8", "ns/op", base...),
			head:    lines("X-8", "ns/op", series(1030, 1, 10)...), // +3%
			opts:    func(o *Options) { o.Thresholds = thresholdsWith(`^BenchmarkX`, "ns/op", 0.01) },
			bench:   "BenchmarkX-8",
			unit:    "sec/op",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "no significant difference",
			base:    lines("X-8", "ns/op", base...),
			head:    lines("X-8", "ns/op", series(1000.5, 1, 10)...), // interleaved
			bench:   "BenchmarkX-8",
			unit:    "sec/op",
			status:  StatusUnchanged,
			verdict: Pass,
		},
		{
			name:    "identical samples",
			base:    lines("X-8", "B/op", repeat(512, 10)...),
			head:    lines("X-8", "B/op", repeat(512, 10)...),
			bench:   "BenchmarkX-8",
			unit:    "B/op",
			status:  StatusUnchanged,
			verdict: Pass,
		},
		{
			name:    "memory growth",
			base:    lines("X-8", "B/op", repeat(512, 10)...),
			head:    lines("X-8", "B/op", repeat(1024, 10)...),
			bench:   "BenchmarkX-8",
			unit:    "B/op",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "req/s drop (higher is better by metadata)",
			base:    "Unit req/s better=higher\n" + lines("Serve", "req/s", base...),
			head:    "Unit req/s better=higher\n" + lines("Serve", "req/s", series(900, 1, 10)...),
			bench:   "BenchmarkServe",
			unit:    "req/s",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "req/s rise",
			base:    "Unit req/s better=higher\n" + lines("Serve", "req/s", base...),
			head:    "Unit req/s better=higher\n" + lines("Serve", "req/s", series(1100, 1, 10)...),
			bench:   "BenchmarkServe",
			unit:    "req/s",
			status:  StatusImprovement,
			verdict: Pass,
		},
		{
			name:    "req/s drop without metadata (a rate is better higher)",
			base:    lines("Serve", "req/s", base...),
			head:    lines("Serve", "req/s", series(900, 1, 10)...),
			bench:   "BenchmarkServe",
			unit:    "req/s",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "MB/s drop is a B/s regression",
			base:    lines("Copy", "MB/s", base...),
			head:    lines("Copy", "MB/s", series(900, 1, 10)...),
			bench:   "BenchmarkCopy",
			unit:    "B/s",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "MB/s rise is a B/s improvement",
			base:    lines("Copy", "MB/s", base...),
			head:    lines("Copy", "MB/s", series(1100, 1, 10)...),
			bench:   "BenchmarkCopy",
			unit:    "B/s",
			status:  StatusImprovement,
			verdict: Pass,
		},
		{
			name:    "custom unit declared better=higher",
			base:    "Unit score better=higher\n" + lines("Rank", "score", base...),
			head:    "Unit score better=higher\n" + lines("Rank", "score", series(800, 1, 10)...),
			bench:   "BenchmarkRank",
			unit:    "score",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "metadata overrides the unit's shape",
			base:    "Unit errors/s better=lower\n" + lines("Retry", "errors/s", base...),
			head:    "Unit errors/s better=lower\n" + lines("Retry", "errors/s", series(1200, 1, 10)...),
			bench:   "BenchmarkRetry",
			unit:    "errors/s",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "unit of unknown direction",
			base:    lines("Walk", "widgets", base...),
			head:    lines("Walk", "widgets", series(2000, 1, 10)...),
			bench:   "BenchmarkWalk",
			unit:    "widgets",
			status:  StatusChanged,
			verdict: Pass,
		},
		{
			name:     "allocs/op from 0 to 1 at threshold 0",
			base:     lines("X-8", "allocs/op", repeat(0, 10)...),
			head:     lines("X-8", "allocs/op", repeat(1, 10)...),
			bench:    "BenchmarkX-8",
			unit:     "allocs/op",
			status:   StatusRegression,
			verdict:  Regression,
			nanDelta: true,
		},
		{
			name:     "allocs/op from 0 to 1 even with a large threshold",
			base:     lines("X-8", "allocs/op", repeat(0, 10)...),
			head:     lines("X-8", "allocs/op", repeat(1, 10)...),
			opts:     func(o *Options) { o.Thresholds = Thresholds{Default: 10} },
			bench:    "BenchmarkX-8",
			unit:     "allocs/op",
			status:   StatusRegression,
			verdict:  Regression,
			nanDelta: true,
		},
		{
			name:    "allocs/op from 1 to 0",
			base:    lines("X-8", "allocs/op", repeat(1, 10)...),
			head:    lines("X-8", "allocs/op", repeat(0, 10)...),
			bench:   "BenchmarkX-8",
			unit:    "allocs/op",
			status:  StatusImprovement,
			verdict: Pass,
		},
		{
			name:    "one more alloc at threshold 0",
			base:    lines("X-8", "allocs/op", repeat(100, 10)...),
			head:    lines("X-8", "allocs/op", repeat(101, 10)...),
			bench:   "BenchmarkX-8",
			unit:    "allocs/op",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "4 vs 3 samples, totally separated",
			base:    lines("X-8", "ns/op", 100, 101, 102, 103),
			head:    lines("X-8", "ns/op", 200, 201, 202),
			bench:   "BenchmarkX-8",
			unit:    "sec/op",
			status:  StatusTooFewSamples,
			verdict: Inconclusive,
		},
		{
			name:    "4 vs 4 samples, totally separated",
			base:    lines("X-8", "ns/op", 100, 101, 102, 103),
			head:    lines("X-8", "ns/op", 200, 201, 202, 203),
			bench:   "BenchmarkX-8",
			unit:    "sec/op",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "1 vs 1 sample",
			base:    lines("X-8", "ns/op", 100),
			head:    lines("X-8", "ns/op", 200),
			bench:   "BenchmarkX-8",
			unit:    "sec/op",
			status:  StatusTooFewSamples,
			verdict: Inconclusive,
		},
		{
			name:    "assume=exact unit, one sample each",
			base:    "Unit text-bytes assume=exact better=lower\n" + lines("Size", "text-bytes", 1000),
			head:    "Unit text-bytes assume=exact better=lower\n" + lines("Size", "text-bytes", 1100),
			bench:   "BenchmarkSize",
			unit:    "text-bytes",
			status:  StatusRegression,
			verdict: Regression,
		},
		{
			name:    "assume=exact unit, change within threshold",
			base:    "Unit text-bytes assume=exact better=lower\n" + lines("Size", "text-bytes", 1000, 1000),
			head:    "Unit text-bytes assume=exact better=lower\n" + lines("Size", "text-bytes", 1010, 1010),
			bench:   "BenchmarkSize",
			unit:    "text-bytes",
			status:  StatusWithinThreshold,
			verdict: Pass,
		},
		{
			name: "assume=exact metadata in the head file only",
			base: lines("Size", "text-bytes", 1000),
			head: "Unit text-bytes assume=exact\n" + lines("Size", "text-bytes", 1100),
			// text-bytes has no known direction.
			bench:   "BenchmarkSize",
			unit:    "text-bytes",
			status:  StatusChanged,
			verdict: Pass,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions
			if tt.opts != nil {
				tt.opts(&opts)
			}
			v := compare(t, tt.base, tt.head, opts)
			r := find(t, v, tt.bench, tt.unit)
			if r.Status != tt.status {
				t.Errorf("status = %s, want %s (delta %v, p %v, threshold %v, better %v)", r.Status, tt.status, float64(r.Delta), r.P, r.Threshold, r.Better)
			}
			if r.Regression != (tt.status == StatusRegression) {
				t.Errorf("Regression = %v with status %s", r.Regression, r.Status)
			}
			if v.Verdict != tt.verdict {
				t.Errorf("verdict = %s, want %s", v.Verdict, tt.verdict)
			}
			if got := math.IsNaN(float64(r.Delta)); got != tt.nanDelta {
				t.Errorf("delta = %v, want NaN: %v", float64(r.Delta), tt.nanDelta)
			}
			if v.Alpha != opts.Alpha {
				t.Errorf("verdict alpha = %v, want %v", v.Alpha, opts.Alpha)
			}
			if r.Base == nil || r.Head == nil {
				t.Fatalf("result lacks a side: base %v head %v", r.Base, r.Head)
			}
			if want := opts.Thresholds.For(tt.bench, tt.unit); r.Threshold != want {
				t.Errorf("threshold = %v, want %v", r.Threshold, want)
			}
		})
	}
}

func thresholdsWith(pattern, unit string, v float64) Thresholds {
	t := DefaultThresholds
	t.Benchmarks = []BenchmarkThresholds{{Pattern: regexp.MustCompile(pattern), Units: map[string]float64{unit: v}}}
	return t
}

// TestCompareTooFewSamplesIsNotUnchanged checks what a too-small sample
// reports beyond its status: benchmath's warnings, and a p-value that
// could not have been significant.
func TestCompareTooFewSamplesIsNotUnchanged(t *testing.T) {
	v := compare(t, lines("X-8", "ns/op", 100, 101, 102, 103), lines("X-8", "ns/op", 200, 201, 202), DefaultOptions)
	r := find(t, v, "BenchmarkX-8", "sec/op")
	if r.Status != StatusTooFewSamples || v.Verdict != Inconclusive {
		t.Fatalf("status %s verdict %s, want %s %s", r.Status, v.Verdict, StatusTooFewSamples, Inconclusive)
	}
	if want := 2.0 / 35; math.Abs(r.P-want) > 1e-12 {
		t.Errorf("p = %v, want the smallest possible, 2/35 = %v", r.P, want)
	}
	if r.Base.N != 4 || r.Head.N != 3 {
		t.Errorf("n = %d+%d, want 4+3", r.Base.N, r.Head.N)
	}
	// Too few samples for a 95% interval of the median.
	if !math.IsInf(float64(r.Base.Lo), -1) || !math.IsInf(float64(r.Base.Hi), 1) {
		t.Errorf("base interval = [%v, %v], want [-Inf, +Inf]", r.Base.Lo, r.Base.Hi)
	}
	if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "samples for confidence interval") }) {
		t.Errorf("warnings %q lack benchmath's interval warning", r.Warnings)
	}
	if v.Count(StatusTooFewSamples) != 1 || v.Count(StatusUnchanged) != 0 {
		t.Errorf("counts: too-few %d, unchanged %d", v.Count(StatusTooFewSamples), v.Count(StatusUnchanged))
	}
}

// TestCompareRegressionOutranksInconclusive: one regression makes the
// verdict Regression even when another result had too few samples.
func TestCompareRegressionOutranksInconclusive(t *testing.T) {
	base := lines("Few", "ns/op", 1, 2, 3) + lines("Slow", "ns/op", series(100, 1, 10)...)
	head := lines("Few", "ns/op", 7, 8) + lines("Slow", "ns/op", series(200, 1, 10)...)
	v := compare(t, base, head, DefaultOptions)
	if v.Verdict != Regression {
		t.Errorf("verdict = %s, want %s:%s", v.Verdict, Regression, describe(v))
	}
	if got := find(t, v, "BenchmarkFew", "sec/op").Status; got != StatusTooFewSamples {
		t.Errorf("Few: status %s, want %s", got, StatusTooFewSamples)
	}
}

// TestCompareAssumeExact checks that a unit declared assume=exact is
// compared with the options' alpha (benchmath leaves it 0, and every p of
// 0 would then count as "not significant").
func TestCompareAssumeExact(t *testing.T) {
	const meta = "Unit text-bytes assume=exact\n"
	base := read(t, "base", meta+lines("Size", "text-bytes", 1000, 1000, 1000))
	head := read(t, "head", meta+lines("Size", "text-bytes", 1200, 1200, 1200))
	for _, alpha := range []float64{0.05, 0.01} {
		opts := DefaultOptions
		opts.Alpha = alpha
		v, err := Compare(base, head, opts)
		if err != nil {
			t.Fatal(err)
		}
		r := find(t, v, "BenchmarkSize", "text-bytes")
		if r.P != 0 {
			t.Errorf("alpha %v: p = %v, want 0 (exact)", alpha, r.P)
		}
		if r.Status != StatusChanged {
			t.Errorf("alpha %v: status = %s, want %s", alpha, r.Status, StatusChanged)
		}
		if d := float64(r.Delta); math.Abs(d-0.2) > 1e-12 {
			t.Errorf("alpha %v: delta = %v, want 0.2", alpha, float64(r.Delta))
		}
		if r.Base.Center != 1000 || r.Head.Center != 1200 {
			t.Errorf("alpha %v: centers %v, %v", alpha, r.Base.Center, r.Head.Center)
		}
		if len(r.Warnings) != 0 {
			t.Errorf("alpha %v: warnings %q", alpha, r.Warnings)
		}
	}

	// Values that are not all equal: the mode is the center, and
	// benchmath's warning is kept.
	v := compare(t, meta+lines("Size", "text-bytes", 1000, 1000, 1000), meta+lines("Size", "text-bytes", 1000, 1010, 1000), DefaultOptions)
	r := find(t, v, "BenchmarkSize", "text-bytes")
	if r.Head.Center != 1000 {
		t.Errorf("head center = %v, want the mode 1000", r.Head.Center)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "exact distribution expected") {
		t.Errorf("warnings = %q, want benchmath's exact-distribution warning", r.Warnings)
	}
}

// TestCompareOneSideOnly: a benchmark on one side only is a result of its
// own with a note, not an error, and does not change the verdict.
func TestCompareOneSideOnly(t *testing.T) {
	base := lines("Both", "ns/op", series(100, 1, 10)...) + lines("Gone", "ns/op", series(100, 1, 10)...)
	head := lines("Both", "ns/op", series(100.5, 1, 10)...) + lines("Added", "ns/op", series(100, 1, 10)...)
	v := compare(t, base, head, DefaultOptions)
	if v.Verdict != Pass {
		t.Errorf("verdict = %s, want %s", v.Verdict, Pass)
	}
	gone := find(t, v, "BenchmarkGone", "sec/op")
	if gone.Status != StatusBaseOnly || gone.Base == nil || gone.Head != nil || gone.Regression {
		t.Errorf("Gone: status %s, base %v, head %v", gone.Status, gone.Base, gone.Head)
	}
	added := find(t, v, "BenchmarkAdded", "sec/op")
	if added.Status != StatusHeadOnly || added.Base != nil || added.Head == nil || added.Regression {
		t.Errorf("Added: status %s, base %v, head %v", added.Status, added.Base, added.Head)
	}
	if gone.Base != nil && gone.Base.N != 10 {
		t.Errorf("Gone: n = %d, want 10", gone.Base.N)
	}
	wantNotes := []string{
		"BenchmarkGone (sec/op) ran on the base side only",
		"BenchmarkAdded (sec/op) ran on the head side only",
	}
	if !slices.Equal(v.Notes, wantNotes) {
		t.Errorf("notes = %q, want %q", v.Notes, wantNotes)
	}
	// Results keep the order of first appearance, base first.
	var names []string
	for _, r := range v.Results {
		names = append(names, r.Benchmark)
	}
	if want := []string{"BenchmarkBoth", "BenchmarkGone", "BenchmarkAdded"}; !slices.Equal(names, want) {
		t.Errorf("results in order %q, want %q", names, want)
	}
	if v.Count(StatusBaseOnly) != 1 || v.Count(StatusHeadOnly) != 1 {
		t.Errorf("counts: base-only %d, head-only %d", v.Count(StatusBaseOnly), v.Count(StatusHeadOnly))
	}
}

// TestCompareUnitOnOneSide: a unit reported by one side only (a metric
// added by b.ReportMetric in head) is a one-sided result too.
func TestCompareUnitOnOneSide(t *testing.T) {
	base := lines("X", "ns/op", series(100, 1, 6)...)
	head := strings.Repeat("BenchmarkX 1 100.5 ns/op 5 widgets\n", 6)
	v := compare(t, base, head, DefaultOptions)
	if r := find(t, v, "BenchmarkX", "widgets"); r.Status != StatusHeadOnly {
		t.Errorf("widgets: status %s, want %s", r.Status, StatusHeadOnly)
	}
	if r := find(t, v, "BenchmarkX", "sec/op"); r.Status == StatusHeadOnly || r.Status == StatusBaseOnly {
		t.Errorf("sec/op: status %s, want a comparison", r.Status)
	}
}

// TestCompareSideKeys: configuration that tells the sides apart does not
// split the comparison.
func TestCompareSideKeys(t *testing.T) {
	const common = "goos: linux\ngoarch: amd64\npkg: example.com/p\n"
	body := func(start float64) string { return lines("X-8", "ns/op", series(start, 1, 10)...) }
	tests := []struct {
		name       string
		base, head string
		config     Config // of the one result
	}{
		{
			name:   "commit and variant",
			base:   common + "commit: aaaa\nvariant: base\n" + body(100),
			head:   common + "commit: bbbb\nvariant: head\n" + body(200),
			config: Config{{"goos", "linux"}, {"goarch", "amd64"}, {"pkg", "example.com/p"}},
		},
		{
			name:   "commit on one side only",
			base:   common + "commit: aaaa\n" + body(100),
			head:   common + body(200),
			config: Config{{"goos", "linux"}, {"goarch", "amd64"}, {"pkg", "example.com/p"}},
		},
		{
			name:   "same commit on both sides",
			base:   common + "commit: aaaa\n" + body(100),
			head:   common + "commit: aaaa\n" + body(200),
			config: Config{{"goos", "linux"}, {"goarch", "amd64"}, {"pkg", "example.com/p"}},
		},
		{
			// Another tool's files, one commit each: still the sides.
			name:   "commit from another tool",
			base:   "commit: abc\n" + common + body(100),
			head:   "commit: def\n" + common + body(200),
			config: Config{{"goos", "linux"}, {"goarch", "amd64"}, {"pkg", "example.com/p"}},
		},
		{
			name:   "variant on one side only",
			base:   common + "variant: base\n" + body(100),
			head:   common + body(200),
			config: Config{{"goos", "linux"}, {"goarch", "amd64"}, {"pkg", "example.com/p"}},
		},
		{
			name:   "other key with a shared value",
			base:   common + "cpu: Intel\n" + body(100),
			head:   common + "cpu: Intel\n" + body(200),
			config: Config{{"goos", "linux"}, {"goarch", "amd64"}, {"pkg", "example.com/p"}, {"cpu", "Intel"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := compare(t, tt.base, tt.head, DefaultOptions)
			if len(v.Results) != 1 {
				t.Fatalf("%d results, want 1:%s", len(v.Results), describe(v))
			}
			r := v.Results[0]
			if r.Status != StatusRegression {
				t.Errorf("status %s, want %s", r.Status, StatusRegression)
			}
			if !slices.Equal(r.Config, tt.config) {
				t.Errorf("config = %v, want %v", r.Config, tt.config)
			}
			if len(r.Warnings) != 0 {
				t.Errorf("warnings %q", r.Warnings)
			}
		})
	}
}

// TestCompareSharedConfigKeySplits: a configuration key whose values the
// sides share is a real configuration, and each of its values is a table.
func TestCompareSharedConfigKeySplits(t *testing.T) {
	base := "pkg: a\n" + lines("X", "ns/op", series(100, 1, 10)...) +
		"pkg: b\n" + lines("X", "ns/op", series(100, 1, 10)...)
	head := "pkg: b\n" + lines("X", "ns/op", series(300, 1, 10)...)
	v := compare(t, base, head, DefaultOptions)
	if len(v.Results) != 2 {
		t.Fatalf("%d results, want 2:%s", len(v.Results), describe(v))
	}
	a, b := v.Results[0], v.Results[1]
	if a.Config.Get("pkg") != "a" || a.Status != StatusBaseOnly {
		t.Errorf("first result: pkg %q status %s, want pkg a, %s", a.Config.Get("pkg"), a.Status, StatusBaseOnly)
	}
	if b.Config.Get("pkg") != "b" || b.Status != StatusRegression {
		t.Errorf("second result: pkg %q status %s, want pkg b, %s", b.Config.Get("pkg"), b.Status, StatusRegression)
	}
	want := []string{"results with pkg=a ran on the base side only, a configuration the head lacks: BenchmarkX (sec/op)"}
	if !slices.Equal(v.Notes, want) {
		t.Errorf("notes = %q, want %q", v.Notes, want)
	}
}

// TestCompareOrder: results come table by table (configuration, then
// unit, in order of first appearance), then benchmark by benchmark.
func TestCompareOrder(t *testing.T) {
	text := "pkg: p1\n" +
		"BenchmarkB 1 10 ns/op 5 B/op\n" +
		"BenchmarkA 1 20 ns/op 6 B/op\n" +
		"pkg: p2\n" +
		"BenchmarkC 1 30 ns/op\n"
	v := compare(t, text, text, DefaultOptions)
	var got []string
	for _, r := range v.Results {
		got = append(got, r.Config.Get("pkg")+" "+r.Unit+" "+r.Benchmark)
	}
	want := []string{
		"p1 sec/op BenchmarkB",
		"p1 sec/op BenchmarkA",
		"p1 B/op BenchmarkB",
		"p1 B/op BenchmarkA",
		"p2 sec/op BenchmarkC",
	}
	if !slices.Equal(got, want) {
		t.Errorf("order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCompareValues: a result keeps the values in the order they were
// read (perfgate's round order), although benchmath sorts its copy.
func TestCompareValues(t *testing.T) {
	v := compare(t, lines("X", "B/op", 5, 1, 4, 2, 3), lines("X", "B/op", 3, 9, 1, 7, 5), DefaultOptions)
	r := find(t, v, "BenchmarkX", "B/op")
	if want := []float64{5, 1, 4, 2, 3}; !slices.Equal(r.Base.Values, want) {
		t.Errorf("base values = %v, want %v", r.Base.Values, want)
	}
	if want := []float64{3, 9, 1, 7, 5}; !slices.Equal(r.Head.Values, want) {
		t.Errorf("head values = %v, want %v", r.Head.Values, want)
	}
	if r.Base.Center != 3 || r.Head.Center != 5 {
		t.Errorf("centers = %v, %v; want medians 3, 5", r.Base.Center, r.Head.Center)
	}
}

// TestCompareSameDataPasses: comparing results with themselves never
// regresses, whatever the fixture.
func TestCompareSameDataPasses(t *testing.T) {
	for _, name := range []string{"old.txt", "new.txt", "crc-old.txt", "crc-new.txt", "server-base.txt", "server-head.txt"} {
		x := readFile(t, name, name)
		v, err := Compare(x, x, DefaultOptions)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if v.Verdict == Regression {
			t.Errorf("%s compared with itself: verdict %s:%s", name, v.Verdict, describe(v))
		}
		for _, r := range v.Results {
			if r.Status == StatusRegression || r.Status == StatusBaseOnly || r.Status == StatusHeadOnly {
				t.Errorf("%s: %s %s: status %s", name, r.Benchmark, r.Unit, r.Status)
			}
		}
	}
}

func TestCompareErrors(t *testing.T) {
	some := lines("X", "ns/op", 1, 2, 3)
	other := lines("Y", "ns/op", 1, 2, 3)
	tests := []struct {
		name       string
		base, head string
		opts       func(*Options)
		want       string // substring of the error
	}{
		{name: "empty base", base: "", head: some, want: "base: no benchmark results"},
		{name: "empty head", base: some, head: "goos: linux\nPASS\n", want: "head: no benchmark results"},
		{name: "nothing in common", base: some, head: other, want: "nothing to compare"},
		{name: "different units only", base: some, head: lines("X", "B/op", 1, 2, 3), want: "nothing to compare"},
		{name: "alpha 0", base: some, head: some, opts: func(o *Options) { o.Alpha = 0 }, want: "alpha"},
		{name: "alpha 1", base: some, head: some, opts: func(o *Options) { o.Alpha = 1 }, want: "alpha"},
		{name: "alpha NaN", base: some, head: some, opts: func(o *Options) { o.Alpha = math.NaN() }, want: "alpha"},
		{name: "confidence 0", base: some, head: some, opts: func(o *Options) { o.Confidence = 0 }, want: "confidence"},
		{name: "confidence 1", base: some, head: some, opts: func(o *Options) { o.Confidence = 1 }, want: "confidence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions
			if tt.opts != nil {
				tt.opts(&opts)
			}
			v, err := Compare(read(t, "base", tt.base), read(t, "head", tt.head), opts)
			if err == nil {
				t.Fatalf("no error; verdict %s:%s", v.Verdict, describe(v))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if v != nil {
				t.Errorf("verdict %v with error", v)
			}
		})
	}
}

// TestMinUTestP checks the smallest p of the U test against benchmath's
// own table (uTestMinP, for equal sizes) and against benchmath's U test on
// samples that do not overlap.
func TestMinUTestP(t *testing.T) {
	known := []struct {
		n1, n2 int
		want   float64
	}{
		{1, 1, 1},
		{2, 2, 0.3333333333333333},
		{3, 3, 0.1},
		{4, 4, 0.02857142857142857},
		{5, 5, 0.007936507936507936},
		{6, 6, 0.0021645021645021645},
		{9, 9, 4.113533525298231e-05},
		{4, 3, 2.0 / 35},
		{3, 4, 2.0 / 35},
		{5, 3, 2.0 / 56},
		{0, 5, 1},
		{5, 0, 1},
		{1, 2, 2.0 / 3},
	}
	for _, k := range known {
		if got := minUTestP(k.n1, k.n2); math.Abs(got-k.want) > 1e-15*k.want {
			t.Errorf("minUTestP(%d, %d) = %v, want %v", k.n1, k.n2, got, k.want)
		}
	}

	thresholds := &benchmath.Thresholds{CompareAlpha: 0.05}
	for n1 := 1; n1 <= 12; n1++ {
		for n2 := 1; n2 <= 12; n2++ {
			s1 := benchmath.NewSample(series(1, 1, n1), thresholds)
			s2 := benchmath.NewSample(series(100, 1, n2), thresholds)
			cmp := benchmath.AssumeNothing.Compare(s1, s2)
			got := minUTestP(n1, n2)
			if math.Abs(got-cmp.P) > 1e-9*cmp.P {
				t.Errorf("minUTestP(%d, %d) = %v, benchmath's U test of separate samples gives %v", n1, n2, got, cmp.P)
			}
		}
	}
}

// TestCompareConfigGrouping: results are grouped by file configuration as
// benchstat groups them by default; only perfgate's side keys and the keys
// of Options.Ignore do not split them. Files that share no configuration
// are an error that names the keys, and a configuration only one side has
// is said in a note.
func TestCompareConfigGrouping(t *testing.T) {
	const header = "goos: linux\ngoarch: amd64\npkg: example.com/hash\n"
	sum := func(values ...float64) string { return lines("Sum-8", "ns/op", values...) }
	machineA := "cpu: MachineA\n" + sum(102, 100, 105, 101, 104, 103)
	machineB := "cpu: MachineB\n" + sum(203, 201, 200, 205, 202, 204)
	machineC := "cpu: MachineC\n" + sum(93, 90, 97, 89, 95, 92, 98, 91, 96, 94)
	tests := []struct {
		name       string
		base, head string
		ignore     []string
		// err is the whole error message, when Compare must fail.
		err string
		// results are "[config] benchmark unit: status n+n", in order.
		results []string
		notes   []string
	}{
		{
			// The case: pooled, MachineA and MachineB against
			// MachineC read as a 39% improvement.
			name: "two machines against a third",
			base: header + machineA + machineB,
			head: header + machineC,
			err:  "the files share no configuration: cpu is MachineA, MachineB in base and MachineC in head (ignore cpu to compare across it)",
		},
		{
			name:    "two machines against a third, cpu ignored",
			base:    header + machineA + machineB,
			head:    header + machineC,
			ignore:  []string{"cpu"},
			results: []string{"[goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkSum-8 sec/op: improvement 12+10"},
		},
		{
			name:   "one key differs, one is on one side only",
			base:   header + "cpu: X\nnote: slow\n" + sum(series(100, 1, 6)...),
			head:   header + "cpu: X\nnote: fast\ntool: v2\n" + sum(series(100, 1, 6)...),
			err:    "the files share no configuration: note is slow in base and fast in head; tool is unset in base and v2 in head (ignore note,tool to compare across them)",
			ignore: nil,
		},
		{
			name:    "one key differs, ignored",
			base:    header + "cpu: X\nnote: hw acceleration disabled\n" + sum(series(100, 1, 6)...),
			head:    header + "cpu: X\nnote: hw acceleration enabled\n" + sum(series(200, 1, 6)...),
			ignore:  []string{"note"},
			results: []string{"[cpu=X goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkSum-8 sec/op: regression 6+6"},
		},
		{
			name: "values with spaces are quoted",
			base: header + "cpu: Intel(R) Xeon(R) CPU @ 2.20GHz\n" + sum(1, 2, 3),
			head: header + "cpu: AMD EPYC 7763\n" + sum(1, 2, 3),
			err:  `the files share no configuration: cpu is "Intel(R) Xeon(R) CPU @ 2.20GHz" in base and "AMD EPYC 7763" in head (ignore cpu to compare across it)`,
		},
		{
			name: "many values",
			base: header + "host: h1\n" + sum(1) + "host: h2\n" + sum(1) + "host: h3\n" + sum(1) +
				"host: h4\n" + sum(1) + "host: h5\n" + sum(1) + "host: h6\n" + sum(1) + "host: h7\n" + sum(1),
			head: header + "host: h8\n" + sum(1),
			err:  "the files share no configuration: host is h1, h2, h3, h4, h5 and 2 more in base and h8 in head (ignore host to compare across it)",
		},
		{
			// Each value is on both sides, not each combination:
			// ignoring both keys is what makes the sides meet.
			name: "combinations differ",
			base: header + "cpu: A\nos: x\n" + sum(1) + "cpu: B\nos: y\n" + sum(1),
			head: header + "cpu: A\nos: y\n" + sum(1) + "cpu: B\nos: x\n" + sum(1),
			err:  "the files share no configuration: cpu is A, B in base and A, B in head; os is x, y in base and y, x in head (ignore cpu,os to compare across them)",
		},
		{
			// Within one file, each machine is a table of its own, and
			// each is compared with the same machine of the other file.
			name: "machines on both sides stay apart",
			base: header + machineA + machineB,
			head: header + "cpu: MachineA\n" + sum(series(200, 1, 6)...) + "cpu: MachineB\n" + sum(series(100, 1, 6)...),
			results: []string{
				"[cpu=MachineA goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkSum-8 sec/op: regression 6+6",
				"[cpu=MachineB goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkSum-8 sec/op: improvement 6+6",
			},
		},
		{
			// Some configurations match, others do not: the match is
			// compared, and a note names each configuration of one side.
			name: "some configurations shared",
			base: header + machineA + machineB,
			head: header + "cpu: MachineA\n" + sum(series(100, 1, 6)...) + machineC +
				"cpu: MachineA\nBenchmarkNew-8 1 5 ns/op\n",
			results: []string{
				"[cpu=MachineA goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkSum-8 sec/op: unchanged 6+6",
				"[cpu=MachineA goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkNew-8 sec/op: head-only 0+1",
				"[cpu=MachineB goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkSum-8 sec/op: base-only 6+0",
				"[cpu=MachineC goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkSum-8 sec/op: head-only 0+10",
			},
			notes: []string{
				"BenchmarkNew-8 (sec/op) ran on the head side only",
				"results with cpu=MachineB ran on the base side only, a configuration the head lacks: BenchmarkSum-8 (sec/op)",
				"results with cpu=MachineC ran on the head side only, a configuration the base lacks: BenchmarkSum-8 (sec/op)",
			},
		},
		{
			name: "a configuration of one side without a key",
			base: header + "BenchmarkX 1 1 ns/op\nBenchmarkX 1 1 B/op\n" + "note: y\n" + sum(1, 2),
			head: header + "note: y\n" + sum(1, 2),
			results: []string{
				"[goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkX sec/op: base-only 1+0",
				"[goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkX B/op: base-only 1+0",
				"[goarch=amd64 goos=linux note=y pkg=example.com/hash] BenchmarkSum-8 sec/op: too-few-samples 2+2",
			},
			notes: []string{"results with no note ran on the base side only, a configuration the head lacks: BenchmarkX (sec/op), BenchmarkX (B/op)"},
		},
		{
			// perfgate's own run files: commit and variant differ by
			// side, and a load scenario's lines follow a "pkg:" line
			// that takes the package of the go test lines away.
			name: "perfgate's run files",
			base: "commit: 1111\nvariant: base\n" + header + "cpu: X\n" + sum(series(100, 1, 10)...) + "PASS\n" +
				"pkg:\nUnit req/s better=higher\n" + lines("Load/scenario=a", "req/s", series(1000, 1, 10)...),
			head: "commit: 2222\nvariant: head\n" + header + "cpu: X\n" + sum(series(100.5, 1, 10)...) + "PASS\n" +
				"pkg:\nUnit req/s better=higher\n" + lines("Load/scenario=a", "req/s", series(800, 1, 10)...),
			results: []string{
				"[cpu=X goarch=amd64 goos=linux] BenchmarkLoad/scenario=a req/s: regression 10+10",
				"[cpu=X goarch=amd64 goos=linux pkg=example.com/hash] BenchmarkSum-8 sec/op: unchanged 10+10",
			},
		},
		{
			name:   "ignored name key pools sub-benchmarks, as benchstat -ignore /size",
			base:   lines("Copy/size=1-8", "ns/op", 10, 11, 12) + lines("Copy/size=2-8", "ns/op", 13, 14, 15),
			head:   lines("Copy/size=1-8", "ns/op", 10, 11, 12) + lines("Copy/size=2-8", "ns/op", 13, 14, 15),
			ignore: []string{"/size"},
			results: []string{
				"[] BenchmarkCopy-8 sec/op: unchanged 6+6",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := DefaultOptions
			opts.Ignore = tt.ignore
			v, err := Compare(read(t, "base", tt.base), read(t, "head", tt.head), opts)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("no error; verdict %s:%s", v.Verdict, describe(v))
				}
				if err.Error() != tt.err {
					t.Errorf("error:\n%s\nwant:\n%s", err, tt.err)
				}
				var nc *NoSharedConfigError
				if !errors.As(err, &nc) {
					t.Errorf("error %T is not a *NoSharedConfigError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range v.Results {
				n := [2]int{}
				for i, s := range []*Summary{r.Base, r.Head} {
					if s != nil {
						n[i] = s.N
					}
				}
				got = append(got, fmt.Sprintf("[%s] %s %s: %s %d+%d", configString(r.Config), r.Benchmark, r.Unit, r.Status, n[0], n[1]))
			}
			if !slices.Equal(got, tt.results) {
				t.Errorf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.results, "\n"))
			}
			if !slices.Equal(v.Notes, tt.notes) {
				t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(v.Notes, "\n"), strings.Join(tt.notes, "\n"))
			}
		})
	}
}

// TestCompareIgnoredPoolsAsBenchstat: with cpu ignored, the machines'
// samples are one sample, with the numbers benchstat -ignore cpu prints
// for testdata/machines-{old,new}.txt (TestCompareMatchesBenchstat checks
// them against the real benchstat).
func TestCompareIgnoredPoolsAsBenchstat(t *testing.T) {
	opts := DefaultOptions
	opts.Ignore = []string{"cpu"}
	v, err := Compare(readFile(t, "machines-old.txt", "base"), readFile(t, "machines-new.txt", "head"), opts)
	if err != nil {
		t.Fatal(err)
	}
	r := find(t, v, "BenchmarkSum-8", "sec/op")
	if got := r.FormatDelta(); got != "-38.69%" {
		t.Errorf("delta %s, want benchstat's -38.69%%", got)
	}
	if r.Base.N != 12 || r.Head.N != 10 || math.Abs(r.Base.Center-152.5e-9) > 1e-20 {
		t.Errorf("base n %d center %v, head n %d; want 12 at 152.5ns, 10", r.Base.N, r.Base.Center, r.Head.N)
	}
	if len(r.Warnings) != 0 {
		t.Errorf("warnings %q", r.Warnings)
	}
}

// TestCompareIgnoreErrors: keys that cannot be ignored are an error.
func TestCompareIgnoreErrors(t *testing.T) {
	some := lines("X", "ns/op", 1, 2, 3)
	for _, tt := range []struct {
		ignore []string
		want   string
	}{
		{[]string{""}, "ignoring keys: an empty key"},
		{[]string{"cpu", ".fullname"}, `ignoring key ".fullname": only file configuration keys`},
		{[]string{".unit"}, `ignoring key ".unit"`},
		{[]string{".config"}, `ignoring key ".config"`},
	} {
		opts := DefaultOptions
		opts.Ignore = tt.ignore
		v, err := Compare(read(t, "base", some), read(t, "head", some), opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ignore %q: error %v, want one containing %q", tt.ignore, err, tt.want)
		}
		if v != nil {
			t.Errorf("ignore %q: verdict with error", tt.ignore)
		}
	}
	// Repeating a key, or naming a side key, is no error.
	opts := DefaultOptions
	opts.Ignore = []string{"cpu", "cpu", "commit"}
	if _, err := Compare(read(t, "base", some), read(t, "head", some), opts); err != nil {
		t.Errorf("ignore %q: %v", opts.Ignore, err)
	}
}

// TestCompareOneSidedAndRequireAll: the gate's head may have moved or
// deleted benchmarks. An empty side is then a verdict of one-sided results
// (OneSided), and a benchmark the head lacks fails it only when required.
func TestCompareOneSidedAndRequireAll(t *testing.T) {
	read := func(label, text string) *Results {
		r, err := ReadResults(strings.NewReader(text), label+".txt", label)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	both := "BenchmarkA 1 10 ns/op\nBenchmarkA 1 10 ns/op\nBenchmarkA 1 10 ns/op\nBenchmarkA 1 10 ns/op\nBenchmarkA 1 10 ns/op\n"
	base := read("base", both+"BenchmarkGone 1 5 ns/op\n")
	head := read("head", both)
	empty := read("head", "")
	opts := DefaultOptions
	if _, err := Compare(base, empty, opts); err == nil {
		t.Error("an empty head compared without OneSided")
	}
	opts.OneSided = true
	v, err := Compare(base, empty, opts)
	if err != nil || v.Verdict != Pass || v.Count(StatusBaseOnly) != 2 {
		t.Errorf("an empty head, OneSided: %v, %v; want a pass of 2 base-only results", v, err)
	}
	v, err = Compare(base, head, opts)
	if err != nil || v.Verdict != Pass {
		t.Fatalf("a deleted benchmark: %v, %v; want a pass", v, err)
	}
	opts.RequireAll = true
	if v, err := Compare(base, head, opts); err != nil || v.Verdict != Regression {
		t.Errorf("a deleted benchmark with RequireAll: %v, %v; want a regression verdict", v, err)
	}
	if v, err := Compare(head, base, opts); err != nil || v.Verdict != Pass {
		t.Errorf("a new benchmark with RequireAll: %v, %v; want a pass", v, err)
	}
}
