package report

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/text"
)

// The words and numbers every format shares: what a report says first
// (the outcome, the counts of results by status, the two sides), how a
// result's figures, changes and hot functions are written, the footnotes
// of its warnings, and how untrusted text is made harmless to print. A
// format's own helpers stay in its file.

// statusNames are the statuses in the order a summary counts them, each
// with the word the counts use.
var statusNames = []struct {
	status analyze.Status
	name   string
}{
	{analyze.StatusRegression, "regressed"},
	{analyze.StatusImprovement, "improved"},
	{analyze.StatusWithinThreshold, "within threshold"},
	{analyze.StatusUnchanged, "unchanged"},
	{analyze.StatusChanged, "changed"},
	{analyze.StatusTooFewSamples, "too few samples"},
	{analyze.StatusInconclusive, "inconclusive"},
	{analyze.StatusBaseOnly, "base only"},
	{analyze.StatusHeadOnly, "head only"},
}

// counts returns "3 regressed", "2 improved"... for the statuses present,
// in the order of statusNames.
func counts(v *analyze.Verdict) []string {
	n := make(map[analyze.Status]int)
	for _, r := range v.Results {
		n[r.Status]++
	}
	var parts []string
	for _, s := range statusNames {
		if n[s.status] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s.status], s.name))
		}
	}
	return parts
}

// countsOf is counts for some results only, as in "4 unchanged, 1 base
// only".
func countsOf(results []analyze.Result) string {
	return strings.Join(counts(&analyze.Verdict{Results: results}), ", ")
}

// sideString names a side as "main 1111111 (dirty)", or "" when nothing
// is known of it.
func sideString(s analyze.Side) string {
	var parts []string
	if s.Ref != "" && !(s.Commit != "" && strings.HasPrefix(s.Commit, s.Ref)) { // a ref that is the commit is said once
		parts = append(parts, s.Ref)
	}
	if s.Commit != "" {
		parts = append(parts, text.ShortCommit(s.Commit))
	}
	if s.Dirty {
		parts = append(parts, "(dirty)")
	}
	return strings.Join(parts, " ")
}

// sidesString is "base main 1111111, head HEAD 2222222 (dirty)", leaving
// out a side nothing is known of.
func sidesString(v *analyze.Verdict) string {
	var parts []string
	if s := sideString(v.Base); s != "" {
		parts = append(parts, "base "+s)
	}
	if s := sideString(v.Head); s != "" {
		parts = append(parts, "head "+s)
	}
	return strings.Join(parts, ", ")
}

// excess is how far a significant change went beyond its threshold, in
// the direction of its status: a regression's badness, an improvement's
// goodness. A change from a base of zero is infinite.
func excess(r analyze.Result) float64 {
	d := float64(r.Delta)
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return math.Abs(d) - r.Threshold
}

// byStatus returns the results of status s, largest excess first (the
// worst regressions, the best improvements); ties keep the verdict's
// order.
func byStatus(v *analyze.Verdict, s analyze.Status) []analyze.Result {
	var out []analyze.Result
	for _, i := range indexByStatus(v, s) {
		out = append(out, v.Results[i])
	}
	return out
}

// indexByStatus is byStatus as indexes of v.Results.
func indexByStatus(v *analyze.Verdict, s analyze.Status) []int {
	var out []int
	for i, r := range v.Results {
		if r.Status == s {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(a, b int) int {
		return cmp.Compare(excess(v.Results[b]), excess(v.Results[a]))
	})
	return out
}

// others are the results that neither regressed nor improved, in the
// verdict's order.
func others(v *analyze.Verdict) []analyze.Result {
	var out []analyze.Result
	for _, r := range v.Results {
		if r.Status != analyze.StatusRegression && r.Status != analyze.StatusImprovement {
			out = append(out, r)
		}
	}
	return out
}

// callPathFrames is how many frames of a call path the text and Markdown
// reports show: the innermost, where the cost is.
const callPathFrames = 4

// trimPath keeps the last n frames of a call path, with "…" in place of
// the rest. When the frames before the leaf are the standard library's
// (a wait in net/http's transport, say), it keeps instead the innermost
// n+1 frames of the code that called into it, and the leaf: the path a
// reader looks for is through their own code.
func trimPath(path []string, n int) []string {
	if len(path) <= n {
		return path
	}
	last := len(path) - 1
	u := last - 1
	for u >= 0 && isStd(path[u]) {
		u--
	}
	if u < 0 || u >= last-n+1 {
		return append([]string{"…"}, path[len(path)-n:]...)
	}
	var out []string
	start := max(0, u-n)
	if start > 0 {
		out = append(out, "…")
	}
	out = append(out, path[start:u+1]...)
	if u+1 < last {
		out = append(out, "…")
	}
	return append(out, path[last])
}

// isStd reports whether a function is the standard library's: its import
// path's first element has no dot. A function of package main is the
// caller's; one of a module whose path has no dot reads as the standard
// library's, which only shortens its call paths differently.
func isStd(fn string) bool {
	first, _, slash := strings.Cut(fn, "/")
	if !slash {
		return !strings.HasPrefix(fn, "main.")
	}
	return !strings.Contains(first, ".")
}

// varyingKeys are the configuration keys whose values differ between
// results, in order of first appearance: what tells two results of the
// same benchmark name apart.
func varyingKeys(results []analyze.Result) []string {
	var keys []string
	seen := make(map[string]bool)
	for _, r := range results {
		for _, kv := range r.Config {
			if !seen[kv.Key] {
				seen[kv.Key] = true
				keys = append(keys, kv.Key)
			}
		}
	}
	var out []string
	for _, k := range keys {
		for _, r := range results[1:] {
			if r.Config.Get(k) != results[0].Config.Get(k) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// configLabel is "pkg=example.com/server" for the keys that vary.
func configLabel(r analyze.Result, keys []string) string {
	var parts []string
	for _, k := range keys {
		if v := r.Config.Get(k); v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// summaryCell is a side's center, scaled as its row's other center, and
// its interval: "1.000µ ± 0%", or "-" for a side that did not run.
func summaryCell(r analyze.Result, s *analyze.Summary) string {
	var centers []float64
	for _, x := range []*analyze.Summary{r.Base, r.Head} {
		if x != nil {
			centers = append(centers, x.Center)
		}
	}
	return cellString(s, benchunit.CommonScale(centers, benchunit.ClassOf(r.Unit)))
}

// peopleCell is summaryCell with the unit's quantity, for the Markdown and
// HTML reports: "1.000µs ± 0%", "14.00MiB ± 0%".
func peopleCell(r analyze.Result, s *analyze.Summary) string {
	if s == nil {
		return "-"
	}
	var centers []float64
	for _, x := range []*analyze.Summary{r.Base, r.Head} {
		if x != nil {
			centers = append(centers, x.Center)
		}
	}
	return benchunit.CommonScale(centers, benchunit.ClassOf(r.Unit)).Format(s.Center) + quantity(r.Unit) + " " + interval(s)
}

// pString formats a p-value for people: "<0.001" rather than "0.000", ""
// where there is none (one side only, or an assume=exact unit, compared
// without a test).
func pString(r analyze.Result) string {
	if r.Base == nil || r.Head == nil || r.P == 0 {
		return ""
	}
	if r.P < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", r.P)
}

// nString is "10" or "4+3": the samples of each side.
func nString(r analyze.Result) string {
	switch {
	case r.Base == nil && r.Head == nil:
		return ""
	case r.Base == nil:
		return fmt.Sprint(r.Head.N)
	case r.Head == nil:
		return fmt.Sprint(r.Base.N)
	case r.Base.N == r.Head.N:
		return fmt.Sprint(r.Base.N)
	}
	return fmt.Sprintf("%d+%d", r.Base.N, r.Head.N)
}

// hotGrowth is a hot function's growth per unit of work, as writeHot
// prints it: "+85.00ns/op".
func hotGrowth(h analyze.Hot) string { return "+" + Cost(h.Head-h.Base, h.Unit) }

// verdictWord is the outcome in capitals, as the first word of a report.
func verdictWord(v *analyze.Verdict) string {
	if v.Verdict == "" {
		return "UNKNOWN"
	}
	return strings.ToUpper(string(v.Verdict))
}

// quantity is the symbol a scaled value of unit takes: "s" for units of
// seconds (sec/op, p99-sec), "B" for bytes (B/op, peak-rss-B, B/s), else
// nothing (req/s, allocs/op).
func quantity(unit string) string {
	num, _, _ := strings.Cut(unit, "/")
	for _, f := range strings.Split(num, "-") {
		switch f {
		case "sec":
			return "s"
		case "B", "bytes":
			return "B"
		}
	}
	return ""
}

// px formats a coordinate with one decimal.
func px(v float64) string {
	s := strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// statusText is what the gate made of a result, in words.
func statusText(r analyze.Result) string {
	if d := decision(r); d != "" {
		return d
	}
	return string(r.Status)
}

// deltaCell is the delta for results measured on both sides.
func deltaCell(r analyze.Result) string {
	if r.Base == nil || r.Head == nil {
		return ""
	}
	return r.FormatDelta()
}

func sameTable(a, b analyze.Result) bool {
	if a.Unit != b.Unit || len(a.Config) != len(b.Config) {
		return false
	}
	for i := range a.Config {
		if a.Config[i] != b.Config[i] {
			return false
		}
	}
	return true
}

// cellString is a side's center and the half-width of its interval.
func cellString(s *analyze.Summary, scaler benchunit.Scaler) string {
	if s == nil {
		return "-"
	}
	return scaler.Format(s.Center) + " " + interval(s)
}

// interval is benchmath's Summary.PctRangeString: the half-width of the
// confidence interval as a percentage of the center.
func interval(s *analyze.Summary) string {
	if s == nil {
		return ""
	}
	lo, hi := float64(s.Lo), float64(s.Hi)
	switch {
	case math.IsInf(lo, 0) || math.IsInf(hi, 0) || math.IsNaN(lo) || math.IsNaN(hi):
		return "± ∞"
	case sign(s.Center) != sign(lo) || sign(s.Center) != sign(hi):
		return "± ?"
	case s.Center == 0:
		return "± 0%"
	}
	return fmt.Sprintf("± %.0f%%", 100*math.Max(hi/s.Center-1, 1-lo/s.Center))
}

// decision says what the gate made of a result.
func decision(r analyze.Result) string {
	t := Percent(r.Threshold)
	switch r.Status {
	case analyze.StatusRegression:
		return "REGRESSION (worse than " + t + ")"
	case analyze.StatusImprovement:
		return "improvement"
	case analyze.StatusWithinThreshold:
		return "within " + t
	case analyze.StatusChanged:
		return "changed (unit direction unknown)"
	case analyze.StatusTooFewSamples:
		return "too few samples"
	case analyze.StatusInconclusive:
		return "inconclusive (a change beyond " + t + " not ruled out)"
	case analyze.StatusBaseOnly:
		return "base only"
	case analyze.StatusHeadOnly:
		return "head only"
	}
	return ""
}

// Percent formats a fraction as a percentage with no needless digits.
func Percent(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f*100), "0"), ".") + "%"
}

// Cost formats a cost per unit of work in a profile's unit ("ns/op",
// "bytes/op", "count/op"), scaled for people: 1.5µs/op, 12KiB/op.
func Cost(v float64, unit string) string {
	num, per, _ := strings.Cut(unit, "/")
	if v == 0 {
		return "0"
	}
	if per != "" {
		per = "/" + per
	}
	switch num {
	case "nanoseconds", "ns":
		return benchunit.Scale(v*1e-9, benchunit.Decimal) + "s" + per
	case "bytes", "B":
		return benchunit.Scale(v, benchunit.Binary) + "B" + per
	}
	return benchunit.Scale(v, benchunit.Decimal) + " " + unit
}

// footnotes numbers warnings as benchstat does, each distinct text once.
type footnotes struct {
	list  []string
	index map[string]int
}

func (f *footnotes) mark(warnings []string) string {
	var marks []string
	for _, w := range warnings {
		if f.index == nil {
			f.index = make(map[string]int)
		}
		i, ok := f.index[w]
		if !ok {
			f.list = append(f.list, w)
			i = len(f.list)
			f.index[w] = i
		}
		marks = append(marks, superscript(i))
	}
	if len(marks) == 0 {
		return ""
	}
	return " " + strings.Join(marks, " ")
}

// write lists the footnotes as the text report does, their texts
// escaped.
func (f *footnotes) write(w io.Writer) {
	for i, s := range f.list {
		fmt.Fprintf(w, "%s %s\n", superscript(i+1), text.Terminal(s))
	}
}

func superscript(i int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	d := []rune(digits)
	var out []rune
	for ; i > 0; i /= 10 {
		out = append([]rune{d[i%10]}, out...)
	}
	return string(out)
}

// missingNote introduces the benchmarks the head no longer runs.
const missingNote = "deleted, renamed, or their package moved; bench.require_all fails the gate on them"

// missing returns the benchmarks the base ran and the head did not (their
// results are base-only), once each, in the verdict's order: a report
// says them first, since a deleted benchmark is a regression no table
// shows.
func missing(v *analyze.Verdict) []string {
	var names []string
	seen := make(map[string]bool)
	for _, r := range v.Results {
		if r.Status == analyze.StatusBaseOnly && !seen[r.Benchmark] {
			seen[r.Benchmark] = true
			names = append(names, r.Benchmark)
		}
	}
	return names
}

// The regressions, as every format lists them: in an order a reader
// follows, each explanation (analyze.Explanation) once, after the
// regressions it explains.

// resourceUnits are the units of a load result line that measure a
// service's own resources: every service's line has them
// (bench/loadtest.go), and the target service's line has the scenario's
// response time and throughput besides.
var resourceUnits = map[string]bool{"cpu-sec/op": true, "peak-rss-B": true}

// regPlan is the regressions section of a report.
type regPlan struct {
	// order are the indexes in v.Results of the regressed results, in the
	// order regressionOrder gives.
	order []int
	// of is v.Explained().
	of []int
	// after are, by result index, the explanations to show after that
	// result: those whose last explained result (in order) it is, in the
	// order of v.Explanations.
	after map[int][]int
	// orphans are the explanations of no regressed result, which a report
	// shows after the others, so that nothing the verdict holds is lost.
	orphans []int
	// explained are, by explanation, the results it explains, in order.
	explained [][]int
}

func newRegPlan(v *analyze.Verdict) *regPlan {
	p := &regPlan{order: regressionOrder(v), of: v.Explained(), after: make(map[int][]int)}
	p.explained = make([][]int, len(v.Explanations))
	for _, i := range p.order {
		if j := p.of[i]; j >= 0 {
			p.explained[j] = append(p.explained[j], i)
		}
	}
	for j, rs := range p.explained {
		if len(rs) == 0 {
			p.orphans = append(p.orphans, j)
			continue
		}
		last := rs[len(rs)-1]
		p.after[last] = append(p.after[last], j)
	}
	return p
}

// hot returns the hot functions a report shows for result i: its
// explanation's when it has one, else its own.
func (p *regPlan) hot(v *analyze.Verdict, i int) []analyze.Hot {
	if j := p.of[i]; j >= 0 {
		return v.Explanations[j].Hot
	}
	return v.Results[i].Hot
}

// sameAsAbove reports whether the regression at row of the order has the
// same explanation, with hot functions, as the row above: a table says
// "as above" rather than name its top function again.
func (p *regPlan) sameAsAbove(v *analyze.Verdict, row int) bool {
	if row <= 0 || row >= len(p.order) {
		return false
	}
	j := p.of[p.order[row]]
	return j >= 0 && p.of[p.order[row-1]] == j && len(v.Explanations[j].Hot) > 0
}

// regressionOrder returns the indexes of v's regressed results in the
// order the reports list them. Results are grouped by subject: a load
// scenario (the lines of all its services), or a benchmark in its
// configuration. Subjects go worst first, by the largest excess of their
// results beyond their thresholds (excess), ties in the verdict's order.
// Within a subject results keep the verdict's order, except that a
// scenario's response time and throughput (the target's line: sec/op,
// p50-sec... max-sec, req/s, errors/op) come before the resources of its
// services (cpu-sec/op, peak-rss-B): how the scenario answered is what a
// reader asks first, whatever the excess of a service's CPU time from a
// base of zero.
func regressionOrder(v *analyze.Verdict) []int {
	type subject struct {
		worst     float64
		response  []int
		resources []int
	}
	var subjects []*subject
	byKey := make(map[string]*subject)
	for i, r := range v.Results {
		if r.Status != analyze.StatusRegression {
			continue
		}
		var key string
		resource := false
		if n, ok := analyze.ParseLoadName(r.Benchmark); ok {
			key = "load\x00" + n.Scenario
			resource = resourceUnits[r.Unit]
		} else {
			var b strings.Builder
			b.WriteString("bench\x00" + r.Benchmark)
			for _, kv := range r.Config {
				b.WriteString("\x00" + kv.Key + "\x00" + kv.Value)
			}
			key = b.String()
		}
		s := byKey[key]
		if s == nil {
			s = &subject{worst: math.Inf(-1)}
			byKey[key] = s
			subjects = append(subjects, s)
		}
		if x := excess(r); x > s.worst || math.IsNaN(s.worst) {
			s.worst = x
		}
		if resource {
			s.resources = append(s.resources, i)
		} else {
			s.response = append(s.response, i)
		}
	}
	slices.SortStableFunc(subjects, func(a, b *subject) int { return cmp.Compare(b.worst, a.worst) })
	var out []int
	for _, s := range subjects {
		out = append(out, s.response...)
		out = append(out, s.resources...)
	}
	return out
}

// explanationTitle names what an explanation explains, as a heading
// begins: "scenario checkout", "scenario checkout, service pricing", or
// the benchmark. The names are untrusted: a format escapes the title.
func explanationTitle(e analyze.Explanation) string {
	if n, ok := analyze.ParseLoadName(e.Benchmark); ok {
		s := "scenario " + n.Scenario
		if n.Service != "" {
			s += ", service " + n.Service
		}
		return s
	}
	if e.Benchmark == "" {
		return "(unnamed)"
	}
	return e.Benchmark
}

// figure is a regressed figure an explanation explains: the unit
// (untrusted) and its change ("+259.38%", "from 0"), or no change when
// no regressed result of the unit is listed.
type figure struct{ unit, change string }

// explanationFigures are the figures of e's units, in its order, each
// with the change of the first result of the unit that e explains
// (results: the indexes of those results in v.Results).
func explanationFigures(v *analyze.Verdict, e analyze.Explanation, results []int) []figure {
	first := make(map[string]analyze.Result) // by unit
	for _, i := range results {
		if _, ok := first[v.Results[i].Unit]; !ok {
			first[v.Results[i].Unit] = v.Results[i]
		}
	}
	var out []figure
	seen := make(map[string]bool)
	for _, u := range e.Units {
		if seen[u] || u == "" {
			continue
		}
		seen[u] = true
		f := figure{unit: u}
		if r, ok := first[u]; ok {
			f.change = changeWords(r)
		}
		out = append(out, f)
	}
	return out
}

// changeWords is a regression's change for a heading: its delta, or
// "from 0" from a base of zero.
func changeWords(r analyze.Result) string {
	if math.IsNaN(float64(r.Delta)) {
		return "from 0"
	}
	return r.FormatDelta()
}

// figuresLine is "sec/op +259.38%, req/s -12.00% regressed", each unit
// passed through esc.
func figuresLine(figs []figure, esc func(string) string) string {
	var parts []string
	for _, f := range figs {
		s := esc(f.unit)
		if f.change != "" {
			s += " " + f.change
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "regressed"
	}
	return strings.Join(parts, ", ") + " regressed"
}

// sampleWords names the sampled events of a sample type, in the plural.
func sampleWords(sampleType string) string {
	switch sampleType {
	case "cpu", "samples":
		return "CPU samples"
	case "alloc_space", "alloc_objects":
		return "sampled allocations"
	case "inuse_space", "inuse_objects":
		return "sampled allocations in use"
	case "delay":
		return "CPU samples and blocking events"
	case "":
		return "samples"
	}
	return "samples of " + sampleType
}

// workWords names the units of work of an explanation's profiles.
func workWords(e analyze.Explanation) string {
	if _, ok := analyze.ParseLoadName(e.Benchmark); ok {
		return "requests"
	}
	return "iterations"
}

// samplesLine is what an explanation rests on: "1,234 base and 4,021 head
// CPU samples and blocking events, over 1,800 and 1,584 requests". The
// sample type is untrusted: a format escapes the line.
func samplesLine(e analyze.Explanation) string {
	words := sampleWords(e.SampleType)
	if e.SampleType == "delay" && len(e.Split) > 0 && !slices.ContainsFunc(e.Split, func(s analyze.Split) bool {
		return s.Kind != "on-cpu" && s.Kind != "background"
	}) {
		words = "CPU samples" // time per request without off-CPU kinds: no trace was taken
	}
	s := fmt.Sprintf("%s base and %s head %s", thousands(e.BaseSamples), thousands(e.HeadSamples), words)
	if e.BaseWork > 0 || e.HeadWork > 0 {
		s += fmt.Sprintf(", over %s and %s %s", workString(e.BaseWork), workString(e.HeadWork), workWords(e))
	}
	return s
}

// noRanking says why an explanation has no hot function, or "" when it
// has some, or when its notes say why it has none: its Hot is null, not
// empty, when its profiles could not be ranked at all (none of both sides,
// a diff that failed), and the notes say why.
func noRanking(e analyze.Explanation) string {
	if len(e.Hot) > 0 || e.Hot == nil && len(e.Notes) > 0 {
		return ""
	}
	return fmt.Sprintf("the samples (%s base, %s head) support no ranking: no function grew beyond sampling noise",
		thousands(e.BaseSamples), thousands(e.HeadSamples))
}

// splitWhat introduces an explanation's split: "time per request" for
// load, "time per op" for a benchmark.
func splitWhat(e analyze.Explanation) string {
	if _, ok := analyze.ParseLoadName(e.Benchmark); ok {
		return "time per request"
	}
	return "time per op"
}

// splitGrowth is a split's change: "+300.0µs/op (+27%)", "-1.000µs/op",
// "0".
func splitGrowth(s analyze.Split) string {
	d := s.Head - s.Base
	out := signedCost(d, s.Unit)
	if s.Base > 0 && finite(d/s.Base) {
		out += fmt.Sprintf(" (%+.0f%%)", 100*d/s.Base)
	}
	return out
}

// signedCost is Cost with a sign: "+1.500µs/op", "-2.000µs/op".
func signedCost(v float64, unit string) string {
	c := Cost(v, unit)
	if v > 0 && !strings.HasPrefix(c, "+") {
		return "+" + c
	}
	return c
}

// hotSamples is a hot function's samples, "21/290" (base/head), or ""
// when it has none.
func hotSamples(h analyze.Hot) string {
	if h.BaseSamples == 0 && h.HeadSamples == 0 {
		return ""
	}
	return thousands(h.BaseSamples) + "/" + thousands(h.HeadSamples)
}

// hotColumns says which of the optional columns of a hot table any of its
// functions fills: kind, service, samples.
func hotColumns(hot []analyze.Hot) (kind, service, samples bool) {
	for _, h := range hot {
		kind = kind || h.Kind != ""
		service = service || h.Service != ""
		samples = samples || hotSamples(h) != ""
	}
	return kind, service, samples
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// workString is an amount of work: a whole number with thousands
// separators, or three significant digits scaled ("1.50M") when it is not
// whole or very large.
func workString(w float64) string {
	if w == math.Trunc(w) && math.Abs(w) < 1e15 {
		return thousands(int64(w))
	}
	if !finite(w) {
		return strconv.FormatFloat(w, 'g', -1, 64)
	}
	return benchunit.Scale(w, benchunit.Decimal)
}
