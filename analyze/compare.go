package analyze

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
)

// Options configure a comparison.
type Options struct {
	// Alpha is the significance level of each comparison.
	Alpha float64
	// Confidence is the level of the summaries' intervals.
	Confidence float64
	// Thresholds are the effect-size floors of the gate.
	Thresholds Thresholds
	// Paired compares round by round, as perfgate decides on its own
	// runs, where the i-th value of each side was measured in the same
	// interleaved round: see paired.go. Without it, Compare is benchstat.
	Paired bool
	// Looks is how many times the rounds are looked at to stop early
	// (sequential testing); each look tests at Alpha/Looks. 0 means 1.
	Looks int
}

// DefaultOptions are benchstat's statistics (alpha 0.05, 95% intervals)
// with DefaultThresholds.
var DefaultOptions = Options{Alpha: 0.05, Confidence: 0.95, Thresholds: DefaultThresholds}

// sideKeys are the configuration keys perfgate writes to tell the sides of
// a run apart; they never split a comparison.
var sideKeys = []string{"commit", "variant"}

// Compare compares head with base, benchmark by benchmark and unit by unit,
// and decides. Results are ordered as benchstat orders its tables: by file
// configuration and unit, then by benchmark, in order of first appearance.
func Compare(base, head *Results, opts Options) (*Verdict, error) {
	if len(base.Results) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", base.Label)
	}
	if len(head.Results) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", head.Label)
	}
	if !(opts.Alpha > 0 && opts.Alpha < 1) {
		return nil, fmt.Errorf("alpha %v is not between 0 and 1", opts.Alpha)
	}
	if !(opts.Confidence > 0 && opts.Confidence < 1) {
		return nil, fmt.Errorf("confidence %v is not between 0 and 1", opts.Confidence)
	}

	// Group as benchstat does by default (-table .config -row .fullname
	// -col .file), but ignore the configuration keys that only say which
	// side a result came from, or benchstat's grouping would put base and
	// head in different tables and compare nothing.
	var parser benchproc.ProjectionParser
	tableBy, unitField, err := parser.ParseWithUnit(".config", nil)
	if err != nil {
		return nil, err
	}
	rowBy, err := parser.Parse(".fullname", nil)
	if err != nil {
		return nil, err
	}
	if ignore := sideVaryingKeys(base.Results, head.Results); len(ignore) > 0 {
		quoted := make([]string, len(ignore))
		for i, k := range ignore {
			quoted[i] = strconv.Quote(k)
		}
		if _, err := parser.Parse(strings.Join(quoted, ","), nil); err != nil {
			return nil, fmt.Errorf("ignoring keys %v: %w", ignore, err)
		}
	}
	residueBy := parser.Residue()

	type cell struct {
		values  []float64
		residue map[benchproc.Key]struct{}
	}
	type rowKey struct{ table, row benchproc.Key }
	cells := make(map[rowKey]*[2]*cell)
	tableRows := make(map[benchproc.Key][]benchproc.Key)
	for side, rs := range []*Results{base, head} {
		for _, res := range rs.Results {
			row := rowBy.Project(res)
			residue := residueBy.Project(res)
			for i, table := range tableBy.ProjectValues(res) {
				k := rowKey{table, row}
				pair := cells[k]
				if pair == nil {
					pair = new([2]*cell)
					cells[k] = pair
					tableRows[table] = append(tableRows[table], row)
				}
				if pair[side] == nil {
					pair[side] = &cell{residue: make(map[benchproc.Key]struct{})}
				}
				pair[side].values = append(pair[side].values, res.Values[i].Value)
				pair[side].residue[residue] = struct{}{}
			}
		}
	}

	units, err := mergeUnits(base.Units, head.Units)
	if err != nil {
		return nil, err
	}
	thresholds := &benchmath.Thresholds{CompareAlpha: opts.Alpha}
	v := &Verdict{Schema: SchemaVersion, Alpha: opts.Alpha}
	tables := make([]benchproc.Key, 0, len(tableRows))
	for t := range tableRows {
		tables = append(tables, t)
	}
	benchproc.SortKeys(tables)
	compared := 0
	for _, table := range tables {
		unit := table.Get(unitField)
		config := tableConfig(table, unitField)
		assumption := units.GetAssumption(unit)
		rows := tableRows[table]
		benchproc.SortKeys(rows)
		for _, row := range rows {
			pair := cells[rowKey{table, row}]
			name := "Benchmark" + row.StringValues()
			r := Result{
				Benchmark: name,
				Unit:      unit,
				Config:    config,
				Threshold: opts.Thresholds.For(name, unit),
				Better:    DirectionOf(units, unit),
			}
			var samples [2]*benchmath.Sample
			for side, c := range pair {
				if c == nil {
					continue
				}
				s := benchmath.NewSample(slices.Clone(c.values), thresholds)
				sum := assumption.Summary(s, opts.Confidence)
				if math.IsNaN(sum.Center) || math.IsInf(sum.Center, 0) {
					return nil, fmt.Errorf("%s %s: the values are too large to summarize", name, unit)
				}
				samples[side] = s
				summary := &Summary{Center: sum.Center, Lo: Float(sum.Lo), Hi: Float(sum.Hi), N: len(c.values), Values: c.values}
				if side == 0 {
					r.Base = summary
				} else {
					r.Head = summary
				}
				r.Warnings = appendErrors(r.Warnings, sum.Warnings)
				if f := benchproc.NonSingularFields(mapKeys(c.residue)); len(f) > 0 {
					names := make([]string, len(f))
					for i, f := range f {
						names[i] = f.Name
					}
					r.Warnings = append(r.Warnings, "benchmarks vary in "+strings.Join(names, ", "))
				}
			}
			switch {
			case r.Head == nil:
				r.Status = StatusBaseOnly
				v.Notes = append(v.Notes, fmt.Sprintf("%s (%s) ran on the base side only", name, unit))
			case r.Base == nil:
				r.Status = StatusHeadOnly
				v.Notes = append(v.Notes, fmt.Sprintf("%s (%s) ran on the head side only", name, unit))
			default:
				compared++
				cmp := assumption.Compare(samples[0], samples[1])
				if cmp.Alpha == 0 {
					// AssumeExact and AssumeNormal leave it unset.
					cmp.Alpha = opts.Alpha
				}
				r.P = cmp.P
				r.Warnings = appendErrors(r.Warnings, cmp.Warnings)
				r.Delta = Float(delta(r.Base.Center, r.Head.Center))
				r.Status = decide(r, cmp, assumption)
			}
			r.Regression = r.Status == StatusRegression
			slices.Sort(r.Warnings)
			r.Warnings = slices.Compact(r.Warnings)
			v.Results = append(v.Results, r)
		}
	}
	if compared == 0 {
		return nil, errors.New("no benchmark ran on both sides: nothing to compare")
	}
	if opts.Paired {
		v.Paired, v.Looks = true, max(opts.Looks, 1)
		decidePaired(v, opts.Alpha/float64(v.Looks))
	}
	v.Verdict = outcome(v.Results)
	return v, nil
}

// decide classifies a comparison of both sides.
// As in benchstat, a difference is significant when P <= Alpha.
func decide(r Result, cmp benchmath.Comparison, assumption benchmath.Assumption) Status {
	if cmp.P > cmp.Alpha {
		if assumption == benchmath.AssumeNothing && minUTestP(cmp.N1, cmp.N2) > cmp.Alpha {
			// benchmath warns only when both sides are small; with
			// 4+3 samples no p below 0.05 exists either, and "no
			// change" would be a claim the data cannot make.
			return StatusTooFewSamples
		}
		return StatusUnchanged
	}
	return decideSignificant(r)
}

// decideSignificant classifies a significant difference by its size and
// direction.
func decideSignificant(r Result) Status {
	d := float64(r.Delta)
	size := math.Abs(d)
	if math.IsNaN(d) {
		size = math.Inf(1) // from zero to something: beyond any threshold
	}
	if size <= r.Threshold {
		return StatusWithinThreshold
	}
	up := r.Head.Center > r.Base.Center
	switch {
	case r.Better == Unknown:
		return StatusChanged
	case up == (r.Better == LowerBetter):
		return StatusRegression
	}
	return StatusImprovement
}

// minUTestP is the smallest two-sided p-value a Mann-Whitney U test can
// give with samples of n1 and n2 values: 2 / C(n1+n2, n1), reached when the
// samples do not overlap at all.
func minUTestP(n1, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	// C(n1+n2, n1) computed in floating point; it only needs to be
	// compared with 2/alpha.
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// outcome is the verdict over all results.
func outcome(results []Result) Outcome {
	o := Pass
	for _, r := range results {
		switch r.Status {
		case StatusRegression:
			return Regression
		case StatusTooFewSamples, StatusInconclusive:
			o = Inconclusive
		}
	}
	return o
}

// delta is (head-base)/base, 0 when both are equal and NaN when base is 0.
func delta(base, head float64) float64 {
	if base == head {
		return 0
	}
	if base == 0 {
		return math.NaN()
	}
	return head/base - 1
}

// sideVaryingKeys returns perfgate's side keys and any file configuration
// key whose values on the two sides have nothing in common (a commit, a
// variant name, a key one side lacks): such a key says which side a result
// came from, not what was measured.
func sideVaryingKeys(base, head []*benchfmt.Result) []string {
	all := make(map[string]bool)
	for _, rs := range [][]*benchfmt.Result{base, head} {
		for _, r := range rs {
			for _, c := range r.Config {
				if c.File {
					all[c.Key] = true
				}
			}
		}
	}
	// values returns, per key, the set of values results of rs have for
	// it, "" for a result without it.
	values := func(rs []*benchfmt.Result) map[string]map[string]bool {
		m := make(map[string]map[string]bool)
		for k := range all {
			m[k] = make(map[string]bool)
		}
		for _, r := range rs {
			for k := range all {
				m[k][r.GetConfig(k)] = true
			}
		}
		return m
	}
	b, h := values(base), values(head)
	var keys []string
	for k := range all {
		disjoint := true
		for v := range b[k] {
			if h[k][v] {
				disjoint = false
				break
			}
		}
		if disjoint || slices.Contains(sideKeys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// tableConfig returns the configuration part of a table key, without the unit.
func tableConfig(table benchproc.Key, unitField *benchproc.Field) Config {
	var c Config
	for _, f := range table.Projection().FlattenedFields() {
		if f == unitField {
			continue
		}
		if v := table.Get(f); v != "" {
			c = append(c, KeyValue{f.Name, v})
		}
	}
	return c
}

// mergeUnits merges the unit metadata of both sides; the sides may not
// disagree (one saying better=higher, the other better=lower).
func mergeUnits(a, b benchfmt.UnitMetadataMap) (benchfmt.UnitMetadataMap, error) {
	m := maps.Clone(a)
	if m == nil {
		m = make(benchfmt.UnitMetadataMap)
	}
	for k, v := range b {
		if old, ok := m[k]; ok && old.Value != v.Value {
			return nil, fmt.Errorf("unit metadata disagrees between the sides: %s %s=%s and %s=%s", k.Unit, k.Key, old.Value, k.Key, v.Value)
		}
		m[k] = v
	}
	return m, nil
}

func mapKeys(m map[benchproc.Key]struct{}) []benchproc.Key {
	keys := make([]benchproc.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	benchproc.SortKeys(keys)
	return keys
}

func appendErrors(dst []string, errs []error) []string {
	for _, e := range errs {
		dst = append(dst, e.Error())
	}
	return dst
}
