package analyze

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// bruteSignedRankP enumerates every sign assignment: the definition of the
// exact two-sided signed-rank p-value, to check signedRankP against.
func bruteSignedRankP(d []float64) float64 {
	var nz []float64
	for _, x := range d {
		if x != 0 {
			nz = append(nz, x)
		}
	}
	n := len(nz)
	if n == 0 {
		return 1
	}
	abs := make([]float64, n)
	for i, x := range nz {
		abs[i] = math.Abs(x)
	}
	sorted := append([]float64(nil), abs...)
	sort.Float64s(sorted)
	rank := func(a float64) float64 { // average rank of a
		lo := sort.SearchFloat64s(sorted, a)
		hi := lo
		for hi < n && sorted[hi] == a {
			hi++
		}
		return float64(lo+1+hi) / 2
	}
	var w float64
	for i, x := range nz {
		if x > 0 {
			w += rank(abs[i])
		}
	}
	var le, ge float64
	for mask := 0; mask < 1<<n; mask++ {
		var s float64
		for i := range n {
			if mask&(1<<i) != 0 {
				s += rank(abs[i])
			}
		}
		if s <= w+1e-9 {
			le++
		}
		if s >= w-1e-9 {
			ge++
		}
	}
	total := float64(int(1) << n)
	return math.Min(1, 2*math.Min(le, ge)/total)
}

func TestSignedRankP(t *testing.T) {
	for _, tt := range []struct {
		d    []float64
		want float64
	}{
		{[]float64{1, 2, 3, 4, 5}, 2.0 / 32},
		{[]float64{-1, -2, -3, -4, -5, -6, -7, -8}, 2.0 / 256},
		{[]float64{0, 0, 0}, 1},
		{nil, 1},
		{[]float64{1, -1}, 1},
	} {
		if got := signedRankP(tt.d); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("signedRankP(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		n := 1 + rng.IntN(12)
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(rng.IntN(7) - 2) // ties and zeros on purpose
			if trial%2 == 0 {
				d[i] = rng.NormFloat64() + 0.3
			}
		}
		if got, want := signedRankP(d), bruteSignedRankP(d); math.Abs(got-want) > 1e-9 {
			t.Fatalf("signedRankP(%v) = %v, enumeration gives %v", d, got, want)
		}
	}
}

func TestSignedRankDist(t *testing.T) {
	// Published critical values: P(T <= 8) for n = 10 is 25/1024, and
	// P(T <= 0) is 2^-n.
	cdf := signedRankDist([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	for s := 1; s < len(cdf); s++ {
		cdf[s] += cdf[s-1]
	}
	if got := cdf[8]; math.Abs(got-25.0/1024) > 1e-12 {
		t.Errorf("P(T <= 8 | n=10) = %v, want %v", got, 25.0/1024)
	}
	if got := cdf[0]; got != 1.0/1024 {
		t.Errorf("P(T <= 0 | n=10) = %v", got)
	}
	if got := cdf[len(cdf)-1]; math.Abs(got-1) > 1e-12 {
		t.Errorf("P(T <= max) = %v", got)
	}
}

func TestHodgesLehmann(t *testing.T) {
	for _, tt := range []struct {
		d           []float64
		est, lo, hi float64
		confidence  float64
	}{
		// Walsh averages of 1,2,3: 1 1.5 2 2 2.5 3. Even the extremes
		// cover the centre with only 1-2/2^3 = 75%: no 80% interval.
		{[]float64{3, 1, 2}, 2, math.Inf(-1), math.Inf(1), 0.80},
		{[]float64{-0.5}, -0.5, math.Inf(-1), math.Inf(1), 0.80},
		// Four values: the extremes cover with 87.5%.
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4, 0.80},
		// One outlier moves the estimate little. P(T <= 2 | n=5) = 3/32:
		// two averages left out on each side.
		{[]float64{1, 2, 3, 4, 100}, 3, 2, 51.5, 0.80},
	} {
		est, lo, hi := hodgesLehmann(tt.d, tt.confidence)
		if est != tt.est || lo != tt.lo || hi != tt.hi {
			t.Errorf("hodgesLehmann(%v) = %v [%v, %v], want %v [%v, %v]", tt.d, est, lo, hi, tt.est, tt.lo, tt.hi)
		}
	}
	// The interval covers the true centre as often as it says, and is
	// narrower than the median's would be.
	rng := rand.New(rand.NewPCG(3, 4))
	const trials, n, centre = 4000, 15, 0.05
	covered := 0
	for range trials {
		d := make([]float64, n)
		for i := range d {
			d[i] = centre + 0.1*rng.NormFloat64()
		}
		_, lo, hi := hodgesLehmann(d, 0.80)
		if lo <= centre && centre <= hi {
			covered++
		}
	}
	// Exact level for n=15 is above 0.80 by the discreteness of T.
	if rate := float64(covered) / trials; rate < 0.78 || rate > 0.86 {
		t.Errorf("80%% interval covered the centre in %.3f of trials", rate)
	}
}

func TestTarone(t *testing.T) {
	for _, tt := range []struct {
		minP []float64
		want string
	}{
		// Two tests can reach 0.025: K=2, the untestable third is out.
		{[]float64{0.001, 0.001, 1}, "[true true false]"},
		// All can reach 0.05/3.
		{[]float64{0.001, 0.001, 0.001}, "[true true true]"},
		// None can reach 0.05: nothing in the family.
		{[]float64{0.1, 1}, "[false false]"},
	} {
		if got := fmt.Sprint(tarone(tt.minP, 0.05)); got != tt.want {
			t.Errorf("tarone(%v) = %s, want %s", tt.minP, got, tt.want)
		}
	}
}

func TestHolm(t *testing.T) {
	for _, tt := range []struct {
		p     []float64
		alpha float64
		want  []bool
	}{
		{[]float64{0.01, 0.04, 0.03}, 0.05, []bool{true, false, false}}, // 0.01<0.0167; 0.03>0.025 stops
		{[]float64{0.001, 0.02, 0.04}, 0.05, []bool{true, true, true}},  // 0.001<.0167, .02<.025, .04<.05
		{[]float64{0.5}, 0.05, []bool{false}},
		{nil, 0.05, []bool{}},
	} {
		got := holm(tt.p, tt.alpha)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("holm(%v, %v) = %v, want %v", tt.p, tt.alpha, got, tt.want)
		}
	}
}

// pairedFiles returns base and head result files of n rounds of one
// benchmark whose head is (1+slowdown) times the base, each round with a
// shared factor (the machine state) and a small own noise.
func pairedFiles(t *testing.T, n int, slowdown, shared, own float64, seed uint64) (*Results, *Results) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	var b, h strings.Builder
	for range n {
		round := math.Exp(shared * rng.NormFloat64())
		fmt.Fprintf(&b, "BenchmarkX-2 1000 %.3f ns/op\n", 1000*round*math.Exp(own*rng.NormFloat64()))
		fmt.Fprintf(&h, "BenchmarkX-2 1000 %.3f ns/op\n", 1000*(1+slowdown)*round*math.Exp(own*rng.NormFloat64()))
	}
	base, err := ReadResults(strings.NewReader(b.String()), "base.txt", "base")
	if err != nil {
		t.Fatal(err)
	}
	head, err := ReadResults(strings.NewReader(h.String()), "head.txt", "head")
	if err != nil {
		t.Fatal(err)
	}
	return base, head
}

// TestPairedPower shows what pairing is for: rounds that share a large
// machine-state factor hide a 10% slowdown from the unpaired test and not
// from the paired one.
func TestPairedPower(t *testing.T) {
	base, head := pairedFiles(t, 12, 0.10, 0.30, 0.02, 7)
	opts := DefaultOptions
	unpaired, err := Compare(base, head, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Paired = true
	paired, err := Compare(base, head, opts)
	if err != nil {
		t.Fatal(err)
	}
	u, p := unpaired.Results[0], paired.Results[0]
	if u.Status == StatusRegression {
		t.Errorf("unpaired: %s (p=%.3f); the shared noise should hide the slowdown", u.Status, u.P)
	}
	if p.Status != StatusRegression || math.Abs(float64(p.Delta)-0.10) > 0.03 {
		t.Errorf("paired: %s, delta %.3f (p=%.4f); want a regression of about 10%%", p.Status, p.Delta, p.P)
	}
	if !paired.Paired || paired.Looks != 1 {
		t.Errorf("verdict paired=%v looks=%d", paired.Paired, paired.Looks)
	}
}

func TestPairedStatuses(t *testing.T) {
	for _, tt := range []struct {
		name     string
		n        int
		slowdown float64
		own      float64
		looks    int
		want     Status
		open     bool
	}{
		{"clear regression", 12, 0.30, 0.01, 1, StatusRegression, false},
		{"clearly unchanged", 20, 0, 0.005, 1, StatusUnchanged, false},
		{"too noisy to tell", 8, 0, 0.20, 1, StatusInconclusive, true},
		{"too few rounds for the looks", 3, 0.5, 0.01, 4, StatusTooFewSamples, true},
		// One or a few rounds that point the better way rule nothing
		// out: too few samples, not unchanged.
		{"one round, faster", 1, -0.30, 0.01, 1, StatusTooFewSamples, true},
		{"three rounds, faster", 3, -0.30, 0.01, 1, StatusTooFewSamples, true},
		{"few rounds: unpaired", 5, 0.5, 0.01, 1, StatusRegression, false},
		{"improvement", 12, -0.30, 0.01, 1, StatusImprovement, false},
		// Significant, within the 5% threshold, but not yet shown to
		// stay within it: more rounds could find it beyond.
		{"within the threshold, not yet clear", 12, 0.02, 0.02, 1, StatusWithinThreshold, true},
		{"clearly within the threshold", 30, 0.02, 0.005, 1, StatusWithinThreshold, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, head := pairedFiles(t, tt.n, tt.slowdown, 0.1, tt.own, 11)
			opts := DefaultOptions
			opts.Paired, opts.Looks = true, tt.looks
			v, err := Compare(base, head, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Results[0].Status; got != tt.want {
				t.Errorf("status %s (delta %.3f, p=%.4f), want %s", got, v.Results[0].Delta, v.Results[0].P, tt.want)
			}
			if got := v.Results[0].Open; got != tt.open {
				t.Errorf("open = %v, want %v", got, tt.open)
			}
			wantVerdict := map[Status]Outcome{StatusRegression: Regression, StatusInconclusive: Inconclusive,
				StatusTooFewSamples: Inconclusive}[tt.want]
			if wantVerdict == "" {
				wantVerdict = Pass
			}
			if v.Verdict != wantVerdict {
				t.Errorf("verdict %s, want %s", v.Verdict, wantVerdict)
			}
		})
	}
}

// TestPairedFalseAlarms: identical sides, many times over, many results:
// Holm and the looks correction keep "regression" rare.
func TestPairedFalseAlarms(t *testing.T) {
	alarms := 0
	const trials = 200
	for i := range trials {
		base, head := pairedFiles(t, 10, 0, 0.2, 0.05, uint64(100+i))
		opts := DefaultOptions
		opts.Paired, opts.Looks = true, 2
		opts.Thresholds = Thresholds{Units: map[string]float64{"sec/op": 0}} // any significant slowdown is an alarm
		v, err := Compare(base, head, opts)
		if err != nil {
			t.Fatal(err)
		}
		if v.Verdict == Regression {
			alarms++
		}
	}
	// At alpha 0.05 over 2 looks, a one-sided false alarm has chance at
	// most 0.0125 per trial: 2.5 expected in 200; 10 would be a broken test.
	if alarms > 10 {
		t.Errorf("%d false alarms in %d trials of identical sides", alarms, trials)
	}
}

// TestShardOthers: a shard of a sharded run counts the other shards'
// results as phantom members of p = 1 in each unit's family, so a change
// that one result alone shows is not enough with 8 rounds among 10 (its
// smallest possible p, 2/256, is above 0.05/10: too few samples), and is
// with 12 (2/4096).
func TestShardOthers(t *testing.T) {
	for _, tt := range []struct {
		n, others int
		want      Status
		open      bool
	}{
		{8, 0, StatusRegression, false},
		{8, 9, StatusTooFewSamples, true},
		{12, 9, StatusRegression, false},
		{12, 2000, StatusTooFewSamples, true},
	} {
		base, head := pairedFiles(t, tt.n, 0.30, 0.1, 0.01, 11)
		opts := DefaultOptions
		opts.Paired, opts.Looks, opts.Others = true, 1, tt.others
		v, err := Compare(base, head, opts)
		if err != nil {
			t.Fatal(err)
		}
		if r := v.Results[0]; r.Status != tt.want || r.Open != tt.open {
			t.Errorf("%d rounds, %d others: %s (open %v, p=%.4g), want %s (open %v)", tt.n, tt.others, r.Status, r.Open, r.P, tt.want, tt.open)
		}
	}
}

// TestShardOthersStricter checks, over random runs of several benchmarks
// split in two shards, what decidePaired's shardFamily argues: with the
// other shard's results as phantoms, a shard's correction is at least as
// strict as the merged one's (Holm with Tarone's refinement over all the
// results), so every result the shard decided (not open) is decided the
// same way by the merge: a regression stays one, a result closed without
// a regression is neither a regression nor open in the merge.
func TestShardOthersStricter(t *testing.T) {
	const trials = 300
	var shardRegressions, mergeOnly int
	for seed := range uint64(trials) {
		rng := rand.New(rand.NewPCG(seed, 99))
		nb := 3 + rng.IntN(6)       // benchmarks
		n := 8 + rng.IntN(7)        // rounds
		split := 1 + rng.IntN(nb-1) // the shard's are the first split
		slow := make([]float64, nb)
		for i := range slow {
			// Unchanged, small, border-line and clear slowdowns.
			slow[i] = []float64{0, 0, 0.02, 0.06, 0.08, 0.3}[rng.IntN(6)]
		}
		var all, mine [2]strings.Builder
		for range n {
			round := math.Exp(0.05 * rng.NormFloat64())
			for i := range nb {
				b := 1000 * round * math.Exp(0.03*rng.NormFloat64())
				h := 1000 * (1 + slow[i]) * round * math.Exp(0.03*rng.NormFloat64())
				for side, x := range []float64{b, h} {
					line := fmt.Sprintf("BenchmarkB%d-2 1000 %.3f ns/op\n", i, x)
					all[side].WriteString(line)
					if i < split {
						mine[side].WriteString(line)
					}
				}
			}
		}
		compare := func(files [2]strings.Builder, others int) map[string]Result {
			base, err := ReadResults(strings.NewReader(files[0].String()), "base.txt", "base")
			if err != nil {
				t.Fatal(err)
			}
			head, err := ReadResults(strings.NewReader(files[1].String()), "head.txt", "head")
			if err != nil {
				t.Fatal(err)
			}
			opts := DefaultOptions
			opts.Paired, opts.Looks, opts.Others = true, 2, others
			v, err := Compare(base, head, opts)
			if err != nil {
				t.Fatal(err)
			}
			out := make(map[string]Result)
			for _, r := range v.Results {
				out[r.Benchmark] = r
			}
			return out
		}
		shard, merged := compare(mine, nb-split), compare(all, 0)
		alone := compare(mine, 0)
		for name, s := range shard {
			m := merged[name]
			switch {
			case s.Status == StatusRegression && m.Status != StatusRegression:
				t.Errorf("seed %d: %s is a regression in the shard (p=%.4g), %s in the merge (p=%.4g)", seed, name, s.P, m.Status, m.P)
			case !s.Open && s.Status != StatusRegression && (m.Regression || m.Open):
				t.Errorf("seed %d: %s closed as %s in the shard, %s (open %v) in the merge", seed, name, s.Status, m.Status, m.Open)
			case alone[name].Regression != s.Regression && s.Regression:
				t.Errorf("seed %d: %s: the phantoms made a regression of a result that is none without them", seed, name)
			}
			if s.Regression {
				shardRegressions++
			} else if m.Regression {
				mergeOnly++
			}
		}
	}
	// The test must exercise both sides of the argument: regressions a
	// shard finds, and results only the merge's correction finds.
	if shardRegressions < trials/4 || mergeOnly == 0 {
		t.Errorf("%d regressions found by shards, %d by the merge only: the trials do not test the correction", shardRegressions, mergeOnly)
	}
	t.Logf("%d regressions found by shards, %d by the merge only", shardRegressions, mergeOnly)
}
