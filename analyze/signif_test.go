package analyze

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/pprof/profile"
)

// helperProfile is a CPU profile of a benchmark whose loop calls helpers of
// the given costs per op (in samples), over ops iterations: each helper's
// samples are Poisson, as a sampling profiler's are.
func helperProfile(rng *rand.Rand, costs []float64, ops float64) *profile.Profile {
	var stacks []stack
	for i, c := range costs {
		n := poisson(rng, c*ops)
		if n > 0 {
			stacks = append(stacks, stack{fmt.Sprintf("main.main;pkg.BenchmarkWork;pkg.helper%d", i), int64(n) * 10_000_000})
		}
	}
	return handProfile(stacks...)
}

func poisson(rng *rand.Rand, mean float64) int {
	if mean > 50 {
		return max(0, int(math.Round(rng.NormFloat64()*math.Sqrt(mean)+mean)))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// TestDiffSignificance: five helpers of equal cost, one made slower in
// head; the profiles aim at a number of samples per side, as the
// benchmarks' profiling runs do. The slower helper must be named first,
// and unchanged helpers listed only by the chance the test allows.
func TestDiffSignificance(t *testing.T) {
	for _, tt := range []struct {
		name    string
		slower  float64
		samples float64
		runs    int
		// wantFirst is the least number of runs that name the slower
		// helper first; falsePositives the most runs that list an
		// unchanged helper.
		wantFirst, falsePositives int
	}{
		{"4x slower, 300 samples", 4, 300, 50, 50, 3},
		{"25% slower, 3000 samples", 1.25, 3000, 50, 40, 3},
		{"unchanged, 3000 samples", 1, 3000, 50, 0, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tt.slower*1000)))
			first, falsePos := 0, 0
			for range tt.runs {
				base := []float64{1, 1, 1, 1, 1}
				head := slices.Clone(base)
				head[2] *= tt.slower
				ops := tt.samples / 5 // per op, 5 samples in the base
				hot, err := diffSides(oneSide(ops, helperProfile(rng, base, ops)), oneSide(ops, helperProfile(rng, head, ops)),
					HotOptions{Alpha: 0.05})
				if err != nil {
					t.Fatal(err)
				}
				if len(hot) > 0 && hot[0].Function == "pkg.helper2" {
					first++
				}
				for _, h := range hot {
					if h.Function != "pkg.helper2" || tt.slower == 1 {
						falsePos++
						break
					}
					if h.HeadSamples <= h.BaseSamples || h.P > 0.05 {
						t.Errorf("listed with %d base and %d head samples, p %v", h.BaseSamples, h.HeadSamples, h.P)
					}
				}
			}
			t.Logf("named first in %d of %d runs; an unchanged helper listed in %d", first, tt.runs, falsePos)
			if first < tt.wantFirst {
				t.Errorf("named first in %d of %d runs, want at least %d", first, tt.runs, tt.wantFirst)
			}
			if falsePos > tt.falsePositives {
				t.Errorf("an unchanged helper listed in %d of %d runs, want at most %d", falsePos, tt.runs, tt.falsePositives)
			}
		})
	}
}

// TestDiffSamplesOfSides: base samples are counted before the base is
// scaled to head's work.
func TestDiffSamplesOfSides(t *testing.T) {
	base := handProfile(stack{"main.main;f", 40 * 10_000_000})
	head := handProfile(stack{"main.main;f", 60 * 10_000_000})
	hot, err := diffSides(oneSide(100, base), oneSide(50, head), HotOptions{Alpha: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if len(hot) != 1 || hot[0].BaseSamples != 40 || hot[0].HeadSamples != 60 {
		t.Fatalf("got %+v, want f with 40 base and 60 head samples", hot)
	}
}

func TestHeapEvents(t *testing.T) {
	// 100 sampled allocations of 1 KiB at rate 4 KiB, scaled up as the
	// runtime scales them.
	const rate, size, sampled = 4096, 1024, 100
	scale := 1 / (1 - math.Exp(-float64(size)/rate))
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
		PeriodType: &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:     rate,
		Sample:     []*profile.Sample{{Value: []int64{int64(math.Round(sampled * scale)), int64(math.Round(sampled * size * scale)), 0, 0}}},
	}
	n, ok := Events(p, "alloc_space")
	if !ok || math.Abs(n-sampled) > 1 {
		t.Errorf("Events = %v, %v; want about %d", n, ok, sampled)
	}
}

func TestHolmOf(t *testing.T) {
	got := holmOf([]float64{0.01, 0.04, 0.03}, 5)
	want := []float64{0.05, 0.12, 0.12}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("holm = %v, want %v", got, want)
		}
	}
}

func TestTotal(t *testing.T) {
	p := handProfile(stack{"main.main;f", 3e7}, stack{"main.main;g", 2e7})
	if got := Total(p, "cpu"); got != 5e7 {
		t.Errorf("Total cpu = %v, want 5e7", got)
	}
	if got := Total(p, "samples"); got != 5 {
		t.Errorf("Total samples = %v, want 5", got)
	}
	if got := Total(p, "nonsense"); got != 0 {
		t.Errorf("Total of a missing type = %v, want 0", got)
	}
}
