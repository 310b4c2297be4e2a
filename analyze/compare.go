package analyze

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

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
	// Others, above 0, says the results compared here are one share of a
	// run measured in shards (perfgate bench --shard): Others more results
	// were measured elsewhere, and each one counts in every unit's family
	// as a test with p = 1 (a phantom member). Holm's correction over the
	// larger family is at least as strict as over all the shards' results
	// together, so what a shard decides the merge decides alike (see
	// shardFamily). Paired only.
	Others int
	// Ignore names configuration keys that do not split the comparison,
	// as benchstat's -ignore does: file configuration keys ("cpu" for
	// files from two machines) or benchmark name keys ("/size"). Results
	// that differ only in ignored keys are one sample. Without it, results
	// whose file configurations differ are never compared, as in
	// benchstat. The keys perfgate writes to tell the sides of its own
	// runs apart (commit, variant) are always ignored.
	Ignore []string
	// OneSided accepts one side without any result: every result is then
	// the other side's only. The gate's runs set it, where a head may have
	// moved or deleted all its benchmarks; without it, an empty side is an
	// error, as there is nothing to compare.
	OneSided bool
	// RequireAll fails the verdict (Regression) when a result of the base
	// is missing from the head: bench.require_all.
	RequireAll bool
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
	empty := len(base.Results) == 0 || len(head.Results) == 0
	switch {
	case len(base.Results) == 0 && (!opts.OneSided || len(head.Results) == 0):
		return nil, fmt.Errorf("%s: no benchmark results", base.Label)
	case len(head.Results) == 0 && !opts.OneSided:
		return nil, fmt.Errorf("%s: no benchmark results", head.Label)
	}
	if !(opts.Alpha > 0 && opts.Alpha < 1) {
		return nil, fmt.Errorf("alpha %v is not between 0 and 1", opts.Alpha)
	}
	if !(opts.Confidence > 0 && opts.Confidence < 1) {
		return nil, fmt.Errorf("confidence %v is not between 0 and 1", opts.Confidence)
	}

	// Group as benchstat does by default (-table .config -row .fullname
	// -col .file), ignoring the keys that only say which side a result
	// came from (or benchstat's grouping would put base and head in
	// different tables and compare nothing) and the keys opts names.
	ignore, err := ignoredKeys(opts.Ignore)
	if err != nil {
		return nil, err
	}
	var parser benchproc.ProjectionParser
	tableBy, unitField, err := parser.ParseWithUnit(".config", nil)
	if err != nil {
		return nil, err
	}
	rowBy, err := parser.Parse(".fullname", nil)
	if err != nil {
		return nil, err
	}
	quoted := make([]string, len(ignore))
	for i, k := range ignore {
		quoted[i] = strconv.Quote(k)
	}
	if _, err := parser.Parse(strings.Join(quoted, ","), nil); err != nil {
		return nil, fmt.Errorf("ignoring keys %s: %w", strings.Join(ignore, ","), err)
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
	tables := make([]benchproc.Key, 0, len(tableRows))
	for t := range tableRows {
		tables = append(tables, t)
	}
	benchproc.SortKeys(tables)
	for _, rows := range tableRows {
		benchproc.SortKeys(rows)
	}

	// A file configuration (a table without its unit) that only one side
	// has is not compared at all: with none on both sides, the files were
	// measured apart (two machines, say), and that is the error.
	configs := newConfigurations()
	for _, table := range tables {
		c := configs.add(table, unitField)
		for _, row := range tableRows[table] {
			pair := cells[rowKey{table, row}]
			for side := range pair {
				if pair[side] != nil {
					c.sides[side] = true
				}
			}
			c.results = append(c.results, fmt.Sprintf("Benchmark%s (%s)", row.StringValues(), table.Get(unitField)))
		}
	}
	if !configs.shared() && !empty {
		return nil, configs.noSharedError(base.Label, head.Label)
	}

	units, err := mergeUnits(base.Units, head.Units)
	if err != nil {
		return nil, err
	}
	thresholds := &benchmath.Thresholds{CompareAlpha: opts.Alpha}
	v := &Verdict{Schema: SchemaVersion, Alpha: opts.Alpha}
	compared := 0
	for _, table := range tables {
		unit := table.Get(unitField)
		conf := configs.byTable[table]
		config := tableConfig(table, unitField)
		assumption := units.GetAssumption(unit)
		for _, row := range tableRows[table] {
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
				v.Notes = configs.noteOneSided(v.Notes, conf, fmt.Sprintf("%s (%s)", name, unit), 0)
			case r.Base == nil:
				r.Status = StatusHeadOnly
				v.Notes = configs.noteOneSided(v.Notes, conf, fmt.Sprintf("%s (%s)", name, unit), 1)
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
	if compared == 0 && !empty {
		return nil, errors.New("no benchmark ran on both sides: nothing to compare")
	}
	// A load scenario's response time and throughput come before the
	// resources of its services, as a reader asks.
	slices.SortStableFunc(v.Results, func(a, b Result) int { return isResource(a) - isResource(b) })
	if opts.Paired {
		v.Paired, v.Looks = true, max(opts.Looks, 1)
		decidePaired(v, opts.Alpha/float64(v.Looks), opts.Others)
	}
	v.Verdict = outcome(v.Results, opts.RequireAll)
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

// outcome is the verdict over all results; with requireAll, a result of
// the base only fails it as a regression does.
func outcome(results []Result, requireAll bool) Outcome {
	o := Pass
	for _, r := range results {
		switch {
		case r.Status == StatusRegression, requireAll && r.Status == StatusBaseOnly:
			return Regression
		case r.Status == StatusTooFewSamples, r.Status == StatusInconclusive:
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

// ignoredKeys returns the keys a comparison ignores: perfgate's side keys
// and the keys the caller named, without repeats.
func ignoredKeys(named []string) ([]string, error) {
	keys := slices.Clone(sideKeys)
	for _, k := range named {
		switch {
		case k == "":
			return nil, errors.New("ignoring keys: an empty key")
		case strings.HasPrefix(k, "."):
			// .fullname, .config, .unit, .file: perfgate groups by them
			// (or by side) whatever is ignored.
			return nil, fmt.Errorf("ignoring key %q: only file configuration keys (cpu) and benchmark name keys (/size) can be ignored", k)
		case !slices.Contains(keys, k):
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// NoSharedConfigError is Compare's error when no file configuration of
// the base results is among the head's, so that nothing can be compared:
// the files were measured on different machines, say, and benchstat would
// show each side in tables of its own. Ignoring Keys (Options.Ignore)
// compares across them.
type NoSharedConfigError struct {
	// Base and Head name the sides in the message: Compare sets the
	// results' labels, and a caller may put file names in their place.
	Base, Head string
	// Keys are the configuration keys that tell the sides apart, in order
	// of first appearance: ignoring all of them makes the sides meet.
	Keys []ConfigValues
	// IgnoreFlag, when set, is the command-line flag that ignores keys
	// ("--ignore"), for the message's advice.
	IgnoreFlag string
}

// ConfigValues are the values one configuration key has in each side's
// results, in order of first appearance; "" stands for results without it.
type ConfigValues struct {
	Key        string
	Base, Head []string
}

// Error says in one line which keys tell the sides apart, their values on
// each side, and how to compare across them: "the files share no
// configuration: cpu is A, B in old.txt and C in new.txt (pass --ignore cpu
// to compare across it)".
func (e *NoSharedConfigError) Error() string {
	var b strings.Builder
	b.WriteString("the files share no configuration: ")
	keys := make([]string, len(e.Keys))
	for i, kv := range e.Keys {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s is %s in %s and %s in %s", kv.Key, valueList(kv.Base), e.Base, valueList(kv.Head), e.Head)
		keys[i] = kv.Key
	}
	advice := "ignore"
	if e.IgnoreFlag != "" {
		advice = "pass " + e.IgnoreFlag
	}
	it := "it"
	if len(keys) > 1 {
		it = "them"
	}
	fmt.Fprintf(&b, " (%s %s to compare across %s)", advice, strings.Join(keys, ","), it)
	return b.String()
}

// maxListed bounds the values or results a message lists.
const maxListed = 5

// valueList lists configuration values: "A, B", "unset", "A, B, C, D, E
// and 3 more".
func valueList(values []string) string {
	shown := make([]string, 0, min(len(values), maxListed))
	for _, v := range values[:min(len(values), maxListed)] {
		shown = append(shown, valueString(v))
	}
	s := strings.Join(shown, ", ")
	if n := len(values) - len(shown); n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

// valueString is a configuration value in a message: as it is when it is
// one plain word, "unset" for no value, quoted otherwise.
func valueString(v string) string {
	if v == "" {
		return "unset"
	}
	if v == "unset" || strings.ContainsFunc(v, func(r rune) bool {
		return r == ',' || r == '"' || r == ';' || !strconv.IsPrint(r) || unicode.IsSpace(r)
	}) {
		return strconv.Quote(v)
	}
	return v
}

// sideNames name the sides in notes.
var sideNames = [2]string{"base", "head"}

// configuration is a file configuration of the results: a table without
// its unit.
type configuration struct {
	config  Config   // its set values, in the order of configs.keys
	sides   [2]bool  // whether each side has results in it
	results []string // its results, "BenchmarkX (sec/op)", in table order
	noted   bool     // whether the note of a one-sided configuration is written
}

// configurations are the file configurations of a comparison, in table
// order.
type configurations struct {
	list    []*configuration
	byKey   map[string]*configuration
	byTable map[benchproc.Key]*configuration
	keys    []string // the configuration keys, in order of first appearance
}

func newConfigurations() *configurations {
	return &configurations{byKey: make(map[string]*configuration), byTable: make(map[benchproc.Key]*configuration)}
}

// add returns the configuration of table, new or not.
func (cs *configurations) add(table benchproc.Key, unitField *benchproc.Field) *configuration {
	if c := cs.byTable[table]; c != nil {
		return c
	}
	config := tableConfig(table, unitField)
	if cs.keys == nil {
		// All tables share one projection, complete once every result
		// is projected.
		for _, f := range table.Projection().FlattenedFields() {
			if f != unitField {
				cs.keys = append(cs.keys, f.Name)
			}
		}
	}
	k := fmt.Sprintf("%q", config)
	c := cs.byKey[k]
	if c == nil {
		c = &configuration{config: config}
		cs.byKey[k] = c
		cs.list = append(cs.list, c)
	}
	cs.byTable[table] = c
	return c
}

// shared reports whether some configuration has results of both sides.
func (cs *configurations) shared() bool {
	return slices.ContainsFunc(cs.list, func(c *configuration) bool { return c.sides[0] && c.sides[1] })
}

// values returns, for each key, the values the configurations of side
// have, in order ("" for those without the key).
func (cs *configurations) values(side int) map[string][]string {
	m := make(map[string][]string)
	for _, c := range cs.list {
		if !c.sides[side] {
			continue
		}
		for _, k := range cs.keys {
			if v := c.config.Get(k); !slices.Contains(m[k], v) {
				m[k] = append(m[k], v)
			}
		}
	}
	return m
}

// varying returns the keys whose values are not all the same.
func (cs *configurations) varying() []string {
	var keys []string
	for _, k := range cs.keys {
		for _, c := range cs.list[1:] {
			if c.config.Get(k) != cs.list[0].config.Get(k) {
				keys = append(keys, k)
				break
			}
		}
	}
	return keys
}

// sharedIgnoring reports whether the sides would share a configuration if
// keys were ignored.
func (cs *configurations) sharedIgnoring(keys []string) bool {
	var seen [2]map[string]bool
	for side := range seen {
		seen[side] = make(map[string]bool)
		for _, c := range cs.list {
			if !c.sides[side] {
				continue
			}
			var rest Config
			for _, kv := range c.config {
				if !slices.Contains(keys, kv.Key) {
					rest = append(rest, kv)
				}
			}
			seen[side][fmt.Sprintf("%q", rest)] = true
		}
	}
	for k := range seen[0] {
		if seen[1][k] {
			return true
		}
	}
	return false
}

// noSharedError describes configurations that no side shares: the keys
// whose values differ between the sides, or, when ignoring them would not
// be enough (the sides differ in how the values combine), every key that
// varies.
func (cs *configurations) noSharedError(base, head string) *NoSharedConfigError {
	b, h := cs.values(0), cs.values(1)
	var keys []string
	for _, k := range cs.keys {
		if !sameSet(b[k], h[k]) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 || !cs.sharedIgnoring(keys) {
		keys = cs.varying()
	}
	err := &NoSharedConfigError{Base: base, Head: head}
	for _, k := range keys {
		err.Keys = append(err.Keys, ConfigValues{Key: k, Base: b[k], Head: h[k]})
	}
	return err
}

// noteOneSided adds the note of a result of side alone in configuration
// c. In a configuration both sides have, the note names the result; a
// configuration of one side only has one note for all its results, which
// says what sets it apart.
func (cs *configurations) noteOneSided(notes []string, c *configuration, result string, side int) []string {
	if c.sides[1-side] {
		return append(notes, fmt.Sprintf("%s ran on the %s side only", result, sideNames[side]))
	}
	if c.noted {
		return notes
	}
	c.noted = true
	listed := c.results[:min(len(c.results), maxListed)]
	list := strings.Join(listed, ", ")
	if n := len(c.results) - len(listed); n > 0 {
		list += fmt.Sprintf(" and %d more", n)
	}
	return append(notes, fmt.Sprintf("results with %s ran on the %s side only, a configuration the %s lacks: %s",
		cs.describe(c, side), sideNames[side], sideNames[1-side], list))
}

// describe says what sets configuration c of side apart from the other
// side's: its values of the keys whose value the other side never has, or
// (when each value alone is found there) of every key that varies.
func (cs *configurations) describe(c *configuration, side int) string {
	other := cs.values(1 - side)
	var keys []string
	for _, k := range cs.keys {
		if !slices.Contains(other[k], c.config.Get(k)) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		keys = cs.varying()
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		if v := c.config.Get(k); v == "" {
			parts[i] = "no " + k
		} else {
			parts[i] = k + "=" + valueString(v)
		}
	}
	return strings.Join(parts, " and ")
}

// sameSet reports whether a and b hold the same values.
func sameSet(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
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

// isResource is 1 for a load result that is a service's resource (its CPU
// time per request, its peak memory), 0 for any other.
func isResource(r Result) int {
	if _, ok := ParseLoadName(r.Benchmark); ok && (r.Unit == "cpu-sec/op" || r.Unit == "peak-rss-B") {
		return 1
	}
	return 0
}
