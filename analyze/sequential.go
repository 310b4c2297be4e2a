package analyze

// Sequential testing: when perfgate looks at its own rounds, and at which
// level (see paired.go for how each look decides).

// PairedAlpha is the significance level perfgate decides its own runs at:
// of each unit's results, over all the looks. Its tests are two-sided, so
// at most PairedAlpha/2, 1%, of the results of unchanged code are called
// regressions whatever the number of benchmarks and looks; benchstat's
// 0.05 per comparison would allow 2.5% per look.
const PairedAlpha = 0.02

// PairedOptions are the options of perfgate's own runs: paired, sequential
// comparisons at PairedAlpha, with DefaultThresholds; set Looks to the
// number of looks (Looks returns them).
var PairedOptions = Options{Alpha: PairedAlpha, Confidence: 0.95, Thresholds: DefaultThresholds, Paired: true, Looks: 1}

// Looks returns the rounds at which the results of a budget of rounds
// rounds are looked at: minRounds, then each time the rounds have grown by
// half (rounded up) as long as the look after would still be within the
// budget, and rounds itself last. A minRounds of 0, or not below rounds,
// gives one look.
//
// The spacing is geometric because what a look can tell grows with the
// square root of the rounds: a look soon after the last tells little and
// costs as much of the significance level (each look tests at
// alpha/looks) as one that tells much. With perfgate's defaults, 10 and
// 60, the looks are at 10, 15, 23, 35 and 60 rounds.
func Looks(minRounds, rounds int) []int {
	if minRounds <= 0 || minRounds >= rounds {
		return []int{rounds}
	}
	looks := []int{minRounds}
	for r := (3*minRounds + 1) / 2; 3*r <= 2*rounds; r = (3*r + 1) / 2 {
		looks = append(looks, r)
	}
	return append(looks, rounds)
}

// Open reports whether some result of v is still open (Result.Open): more
// rounds could change it. The rounds stop at a look where none is.
func (v *Verdict) Open() bool {
	for _, r := range v.Results {
		if r.Open {
			return true
		}
	}
	return false
}
