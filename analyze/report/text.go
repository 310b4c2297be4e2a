package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/text"
)

// Text writes v for a terminal, in the order a reader needs it:
//
//  1. one summary line: the outcome in capitals, the counts of results by
//     status, and the two sides (ref, short commit, "(dirty)");
//  2. the regressions, worst first (by how far they went beyond their
//     thresholds; a load scenario's response time and throughput before
//     its services' resources, see regressionOrder), each with its delta,
//     both sides' centers and intervals, p-value, samples and threshold;
//     after the regressions an explanation explains, the explanation,
//     once: what it explains, the samples it rests on, where the time
//     went by service and kind (Split), the functions that grew with the
//     call path of the first, and its notes. A regression that no
//     explanation explains (a verdict of perfgate compare, or of a
//     perfgate before explanations) shows its own functions and path;
//  3. benchstat-like tables of all results, one per file configuration and
//     unit, with the gate's decision in the last column;
//  4. the notes.
//
// With color, regressions are red, improvements green and the summary
// line bold (ANSI escapes: for a terminal only). Untrusted text (names,
// units, configuration, notes, the error: see termText) is escaped, so
// that the only escapes are these, and no line is a workflow command of
// the GitHub Actions runner.
func Text(w io.Writer, v *analyze.Verdict, color bool) error {
	ew := &errWriter{w: w}
	p := painter(color)
	writeVerdictLine(ew, v, p)
	if v.Error != "" {
		fmt.Fprintf(ew, "error: %s\n", text.Terminal(v.Error))
	}
	if gone := missing(v); len(gone) > 0 {
		fmt.Fprintf(ew, "\nbenchmarks the head no longer runs (%s):\n", missingNote)
		for _, name := range gone {
			fmt.Fprintf(ew, "  %s\n", text.Terminal(name))
		}
	}
	writeRegressions(ew, v, p)
	var prevConfig analyze.Config
	for i := 0; i < len(v.Results); {
		j := i + 1
		for j < len(v.Results) && sameTable(v.Results[i], v.Results[j]) {
			j++
		}
		fmt.Fprintln(ew)
		writeConfigChanges(ew, prevConfig, v.Results[i].Config)
		prevConfig = v.Results[i].Config
		writeTable(ew, v.Results[i:j], p)
		i = j
	}
	writeNotes(ew, v)
	return ew.err
}

// writeVerdictLine writes the one line that says it all: "REGRESSION: 3
// regressed, 2 improved, ...; base main 1111111, head HEAD 2222222
// (dirty)".
func writeVerdictLine(w io.Writer, v *analyze.Verdict, p painter) {
	word := p.paint(text.Terminal(verdictWord(v)), verdictColor(v.Verdict))
	var line string
	if parts := counts(v); len(parts) > 0 {
		line = strings.Join(parts, ", ")
	}
	if sides := text.Terminal(sidesString(v)); sides != "" {
		if line != "" {
			line += "; "
		}
		line += sides
	}
	if line != "" {
		word += p.paint(": "+line, ansiBold)
	}
	fmt.Fprintln(w, word)
}

func verdictColor(o analyze.Outcome) string {
	switch o {
	case analyze.Regression, analyze.Error:
		return ansiBold + ansiRed
	case analyze.Pass:
		return ansiBold + ansiGreen
	case analyze.Inconclusive:
		return ansiBold + ansiYellow
	}
	return ansiBold
}

// writeRegressions writes the regressions in the order of
// regressionOrder, each explanation after the last regression it
// explains, and the explanations of no regression last.
func writeRegressions(w io.Writer, v *analyze.Verdict, p painter) {
	plan := newRegPlan(v)
	if len(plan.order) == 0 && len(plan.orphans) == 0 {
		return
	}
	keys := varyingKeys(v.Results)
	if len(plan.order) > 0 {
		fmt.Fprintf(w, "\nregressions, worst first (significant at alpha %g and beyond their thresholds):\n", v.Alpha)
	} else {
		fmt.Fprintln(w, "\nexplanations of no listed regression:")
	}
	block := false // the last thing written was an explanation
	for _, i := range plan.order {
		if block {
			fmt.Fprintln(w)
			block = false
		}
		writeRegression(w, v.Results[i], keys, p, plan.of[i] < 0)
		for _, j := range plan.after[i] {
			writeExplanation(w, v, plan, j, p)
			block = true
		}
	}
	for _, j := range plan.orphans {
		writeExplanation(w, v, plan, j, p)
	}
}

// writeExplanation writes explanation j once: a heading that names what it
// explains and the regressed figures, the samples it rests on, the time
// per unit of work by service and kind, the functions that grew, the call
// path of the first, and its notes.
func writeExplanation(w io.Writer, v *analyze.Verdict, plan *regPlan, j int, p painter) {
	e := v.Explanations[j]
	title := text.Terminal(explanationTitle(e)) + ": " + figuresLine(explanationFigures(v, e, plan.explained[j]), text.Terminal)
	fmt.Fprintf(w, "\n  %s\n", p.paint(title, ansiBold))
	fmt.Fprintf(w, "      %s\n", text.Terminal(samplesLine(e)))
	if len(e.Split) > 0 {
		fmt.Fprintf(w, "      %s, by service and kind:\n", splitWhat(e))
		tw := tabwriter.NewWriter(&trimWriter{w: w}, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "        service\tkind\tbase\thead\tgrowth")
		for _, s := range e.Split {
			fmt.Fprintf(tw, "        %s\t%s\t%s\t%s\t%s\n", text.Terminal(s.Service), text.Terminal(s.Kind),
				text.Terminal(Cost(s.Base, s.Unit)), text.Terminal(Cost(s.Head, s.Unit)), text.Terminal(splitGrowth(s)))
		}
		tw.Flush()
	}
	if why := noRanking(e); why != "" {
		fmt.Fprintf(w, "      %s\n", why)
	}
	if len(e.Hot) > 0 {
		writeHotTable(w, e.Hot)
		writePath(w, e.Hot)
	}
	for _, n := range e.Notes {
		fmt.Fprintf(w, "      note: %s\n", text.Terminal(n))
	}
}

// writeHotTable lists an explanation's functions: growth, share, both
// sides' cost, samples, kind and service (the columns any function fills),
// function.
func writeHotTable(w io.Writer, hot []analyze.Hot) {
	kind, service, samples := hotColumns(hot)
	tw := tabwriter.NewWriter(&trimWriter{w: w}, 0, 0, 2, ' ', 0)
	row := func(cells ...string) {
		fmt.Fprintf(tw, "      %s\n", strings.Join(cells, "\t"))
	}
	header := []string{"growth", "share", "base", "head"}
	if samples {
		header = append(header, "samples (base/head)")
	}
	if kind {
		header = append(header, "kind")
	}
	if service {
		header = append(header, "service")
	}
	row(append(header, "function")...)
	for _, h := range hot {
		cells := []string{text.Terminal(hotGrowth(h)), fmt.Sprintf("%.0f%%", 100*h.Share),
			text.Terminal(Cost(h.Base, h.Unit)), text.Terminal(Cost(h.Head, h.Unit))}
		if samples {
			cells = append(cells, hotSamples(h))
		}
		if kind {
			cells = append(cells, text.Terminal(h.Kind))
		}
		if service {
			cells = append(cells, text.Terminal(h.Service))
		}
		row(append(cells, text.Terminal(h.Function))...)
	}
	tw.Flush()
}

// writePath writes the call path of the first hot function, its last
// frames.
func writePath(w io.Writer, hot []analyze.Hot) {
	if len(hot) == 0 || len(hot[0].Path) == 0 {
		return
	}
	var frames []string
	for _, f := range trimPath(hot[0].Path, callPathFrames) {
		frames = append(frames, text.Terminal(f))
	}
	fmt.Fprintf(w, "      path: %s\n", strings.Join(frames, " → "))
}

// writeRegression writes one regression: what, by how much, on what
// figures, and, with hot, the functions behind it (those of a result that
// no explanation explains).
func writeRegression(w io.Writer, r analyze.Result, keys []string, p painter, hot bool) {
	what := text.Terminal(r.Benchmark) + " " + text.Terminal(r.Unit)
	if c := configLabel(r, keys); c != "" {
		what += " [" + text.Terminal(c) + "]"
	}
	fmt.Fprintln(w, p.paint(fmt.Sprintf("  regressed: %s %s (threshold %s)", what, r.FormatDelta(), Percent(r.Threshold)), ansiRed))
	figures := fmt.Sprintf("      base %s, head %s", summaryCell(r, r.Base), summaryCell(r, r.Head))
	if c := comparisonString(r); c != "" {
		figures += ", " + c
	}
	fmt.Fprintln(w, figures)
	if hot {
		writeHot(w, r.Hot)
		writePath(w, r.Hot)
	}
}

// writeNotes writes what the reader must know that is not a result.
func writeNotes(w io.Writer, v *analyze.Verdict) {
	if v.Verdict != analyze.Inconclusive && len(v.Notes) == 0 {
		return
	}
	fmt.Fprintln(w)
	if v.Verdict == analyze.Inconclusive {
		fmt.Fprintln(w, "inconclusive: too few rounds to tell a change from noise; run more rounds")
	}
	for _, n := range v.Notes {
		fmt.Fprintf(w, "note: %s\n", text.Terminal(n))
	}
}

// writeConfigChanges prints the configuration lines that differ from the
// previous table's, as benchstat does.
func writeConfigChanges(w io.Writer, prev, cur analyze.Config) {
	for _, kv := range cur {
		if prev.Get(kv.Key) != kv.Value {
			fmt.Fprintf(w, "%s: %s\n", text.Terminal(kv.Key), text.Terminal(kv.Value))
		}
	}
	for _, kv := range prev {
		if cur.Get(kv.Key) == "" {
			fmt.Fprintf(w, "%s:\n", text.Terminal(kv.Key))
		}
	}
}

func writeTable(w io.Writer, rows []analyze.Result, p painter) {
	unit := rows[0].Unit
	class := benchunit.ClassOf(unit)
	var notes footnotes
	tw := tabwriter.NewWriter(&trimWriter{w: w}, 0, 0, 3, ' ', 0)
	fmt.Fprintf(tw, "%s\tbase\thead\tvs base\t\n", text.Terminal(unit))
	for _, r := range rows {
		var centers []float64
		for _, s := range []*analyze.Summary{r.Base, r.Head} {
			if s != nil {
				centers = append(centers, s.Center)
			}
		}
		scaler := benchunit.CommonScale(centers, class)
		fmt.Fprintf(tw, "%s\t%s\t%s\t", text.Terminal(r.Benchmark), cellString(r.Base, scaler), cellString(r.Head, scaler))
		if r.Base != nil && r.Head != nil {
			fmt.Fprintf(tw, "%s (%s)\t", r.FormatDelta(), comparisonString(r))
		} else {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprintf(tw, "%s%s\n", p.paint(decision(r), statusColor(r.Status)), notes.mark(r.Warnings))
	}
	if gm, ok := geomeans(rows); ok {
		fmt.Fprintf(tw, "geomean\t%s\t%s\t%+.2f%%\t\n",
			benchunit.Scale(gm[0], class), benchunit.Scale(gm[1], class), (gm[1]/gm[0]-1)*100)
	}
	tw.Flush()
	notes.write(w)
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// comparisonString is benchmath's Comparison.String: "p=0.002 n=10" or
// "n=4+3", with the samples of the sides there are, "" for none.
func comparisonString(r analyze.Result) string {
	var parts []string
	if r.P != 0 {
		parts = append(parts, fmt.Sprintf("p=%0.3f", r.P))
	}
	if n := nString(r); n != "" {
		parts = append(parts, "n="+n)
	}
	return strings.Join(parts, " ")
}

// geomeans returns the geometric means of the base and head centers of the
// rows measured on both sides, when there are at least two such rows and
// all centers are positive.
func geomeans(rows []analyze.Result) ([2]float64, bool) {
	var sum [2]float64
	n := 0
	for _, r := range rows {
		if r.Base == nil || r.Head == nil {
			continue
		}
		if r.Base.Center <= 0 || r.Head.Center <= 0 {
			return sum, false
		}
		sum[0] += math.Log(r.Base.Center)
		sum[1] += math.Log(r.Head.Center)
		n++
	}
	if n < 2 {
		return sum, false
	}
	return [2]float64{math.Exp(sum[0] / float64(n)), math.Exp(sum[1] / float64(n))}, true
}

// writeHot lists the functions behind a regression: growth per unit of
// work, share of the change, and where they ran.
func writeHot(w io.Writer, hot []analyze.Hot) {
	tw := tabwriter.NewWriter(&trimWriter{w: w}, 0, 0, 2, ' ', 0)
	for _, h := range hot {
		where := ""
		if h.Service != "" {
			where = " in " + text.Terminal(h.Service)
		}
		fmt.Fprintf(tw, "      %s%s\t%s\t%.0f%%\t(%s → %s)\n", text.Terminal(h.Function), where,
			text.Terminal(hotGrowth(h)), 100*h.Share, text.Terminal(Cost(h.Base, h.Unit)), text.Terminal(Cost(h.Head, h.Unit)))
	}
	tw.Flush()
}

// trimWriter drops the spaces tabwriter leaves at the ends of lines.
type trimWriter struct {
	w   io.Writer
	buf []byte
}

func (t *trimWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if _, err := fmt.Fprintf(t.w, "%s\n", bytes.TrimRight(t.buf[:i], " ")); err != nil {
			return 0, err
		}
		t.buf = t.buf[i+1:]
	}
}

// errWriter keeps the first write error so that rendering code can write
// freely and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// ANSI escapes of the colored text report.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// painter colors text when it is true.
type painter bool

func (p painter) paint(s, esc string) string {
	if !p || esc == "" || s == "" {
		return s
	}
	return esc + s + ansiReset
}

func statusColor(s analyze.Status) string {
	switch s {
	case analyze.StatusRegression:
		return ansiRed
	case analyze.StatusImprovement:
		return ansiGreen
	}
	return ""
}
