package report

import (
	"cmp"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/text"
)

// DefaultMarker is the hidden first line of a Markdown report, by which a
// pull request comment can be found again and updated in place.
const DefaultMarker = "<!-- perfgate-report -->"

// DefaultMarkdownMaxBytes is the size a Markdown report keeps under when
// MarkdownOptions.MaxBytes is 0: a GitHub job summary's limit (1 MiB),
// less 1 KiB of room. A pull request comment's limit is 65536 characters;
// pass 65000 for one.
const DefaultMarkdownMaxBytes = 1<<20 - 1<<10

// MarkdownOptions configure Markdown.
type MarkdownOptions struct {
	// Marker is written as the first line: a hidden HTML comment by which a
	// pull request comment can be found and updated in place. "" means
	// DefaultMarker.
	Marker string
	// CommitURL links the base and head commits; nil leaves them as plain
	// short SHAs.
	CommitURL func(sha string) string
	// MaxBytes is the size the output never exceeds; 0 means
	// DefaultMarkdownMaxBytes.
	MaxBytes int
}

// Markdown writes v as GitHub Flavored Markdown for a job summary or a pull
// request comment: the marker line; a heading with the outcome; the counts
// and the two commits; a table of the regressions in the order of
// regressionOrder (worst first; a load scenario's response time and
// throughput before its services' resources), with the top function of
// each; under the table, folded in a <details> each, the explanations
// (analyze.Explanation), each once, in the order of the regressions they
// explain: the figures it explains, the samples it rests on, the time by
// service and kind, the functions that grew, the call path of the first,
// its notes; and the hot functions of each regression that no explanation
// explains (verdicts without explanations); the improvements; the other
// results folded in a <details>; the notes.
//
// Everything that comes from benchmark output, profiles or configuration
// is untrusted (a pull request wrote it): it is escaped so that it can
// neither break a table, nor open or close HTML, nor start a code span,
// nor mention anyone.
//
// When the whole report is larger than MaxBytes, Markdown leaves out, in
// this order, the folded table of the other results, the explanations and
// hot functions, the notes, the improvements from the least, and the
// regressions from the last (with the explanations of none but them), and
// ends with a line saying what it left out. It keeps the marker and the
// heading, and never fails for size.
func Markdown(w io.Writer, v *analyze.Verdict, opts MarkdownOptions) error {
	max := opts.MaxBytes
	if max <= 0 {
		max = DefaultMarkdownMaxBytes
	}
	d := newMDDoc(v, opts)
	out := d.fit(max)
	_, err := io.WriteString(w, out)
	return err
}

// mdDoc is a Markdown report in parts, so that parts can be left out to
// fit a size.
type mdDoc struct {
	head      string   // marker, heading, counts, sides, error
	regHeader string   // the regressions' heading and table header
	regRows   []string // one table row per regression, in order
	blocks    []mdBlock
	impHeader string
	impRows   []string
	rest      string // the other results, folded
	restCount int
	notesHead string
	notes     []string
}

func newMDDoc(v *analyze.Verdict, opts MarkdownOptions) *mdDoc {
	d := &mdDoc{}
	keys := varyingKeys(v.Results)

	var b strings.Builder
	marker := opts.Marker
	if marker == "" {
		marker = DefaultMarker
	}
	b.WriteString(text.OneLine(marker) + "\n")
	b.WriteString("## " + verdictHeading(v.Verdict) + "\n\n")
	if parts := counts(v); len(parts) > 0 {
		if strings.HasSuffix(parts[0], " regressed") {
			parts[0] = "**" + parts[0] + "**"
		}
		b.WriteString(strings.Join(parts, ", ") + "\n\n")
	}
	if sides := mdSides(v, opts.CommitURL); sides != "" {
		b.WriteString(sides + "\n\n")
	}
	if v.Error != "" {
		b.WriteString("**Error:** " + mdText(capString(v.Error, 2000)) + "\n\n")
	}
	if v.Verdict == analyze.Inconclusive {
		b.WriteString("Too few samples to tell a change from noise: run more rounds.\n\n")
	}
	if gone := missing(v); len(gone) > 0 {
		const most = 20
		fmt.Fprintf(&b, "**The head no longer runs %s** (%s): ", plural(len(gone), "benchmark", "benchmarks"), missingNote)
		for i, name := range gone[:min(len(gone), most)] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(mdText(capString(name, 200)))
		}
		if len(gone) > most {
			fmt.Fprintf(&b, " and %d more", len(gone)-most)
		}
		b.WriteString(".\n\n")
	}
	d.head = b.String()

	plan := newRegPlan(v)
	if len(plan.order) > 0 {
		d.regHeader = fmt.Sprintf("### Regressions (%d)\n\n", len(plan.order)) +
			"| Benchmark | Unit | Base | Head | Δ | p | Threshold | Top function |\n" +
			"|---|---|--:|--:|--:|--:|--:|---|\n"
		for row, i := range plan.order {
			r := v.Results[i]
			top := "—"
			if hot := plan.hot(v, i); len(hot) > 0 {
				top = mdHotName(hot[0]) + " (" + Percent(hot[0].Share) + ")"
			}
			if plan.sameAsAbove(v, row) {
				top = "as above"
			}
			d.regRows = append(d.regRows, mdRow(
				mdBenchmark(r, keys), mdText(r.Unit), peopleCell(r, r.Base), peopleCell(r, r.Head),
				"**"+r.FormatDelta()+"**", pString(r), Percent(r.Threshold), top))
			if plan.of[i] < 0 {
				if h := mdHot(r, keys); h != "" {
					d.blocks = append(d.blocks, mdBlock{text: h, row: row})
				}
			}
		}
		// An explanation goes with the first regression it explains, one
		// of no regression with the last (a verdict with explanations and
		// no regression, which no gate makes, shows none).
		rowOf := make(map[int]int, len(plan.order)) // by result
		for row, i := range plan.order {
			rowOf[i] = row
		}
		for j := range v.Explanations {
			row := len(plan.order) - 1
			if rs := plan.explained[j]; len(rs) > 0 {
				row = rowOf[rs[0]]
			}
			d.blocks = append(d.blocks, mdBlock{text: mdExplanation(v, plan, j), row: row, explanation: true})
		}
		slices.SortStableFunc(d.blocks, func(a, b mdBlock) int { return cmp.Compare(a.row, b.row) })
	}

	imps := byStatus(v, analyze.StatusImprovement)
	if len(imps) > 0 {
		d.impHeader = fmt.Sprintf("### Improvements (%d)\n\n", len(imps)) +
			"| Benchmark | Unit | Base | Head | Δ | p |\n" +
			"|---|---|--:|--:|--:|--:|\n"
		for _, r := range imps {
			d.impRows = append(d.impRows, mdRow(
				mdBenchmark(r, keys), mdText(r.Unit), peopleCell(r, r.Base), peopleCell(r, r.Head), r.FormatDelta(), pString(r)))
		}
	}

	if rest := others(v); len(rest) > 0 {
		var b strings.Builder
		what := "results"
		if len(rest) == 1 {
			what = "result"
		}
		fmt.Fprintf(&b, "<details><summary>%d other %s: %s</summary>\n\n", len(rest), what, countsOf(rest))
		b.WriteString("| Benchmark | Unit | Base | Head | Δ | p | Status |\n|---|---|--:|--:|--:|--:|---|\n")
		for _, r := range rest {
			status := statusText(r)
			if len(r.Warnings) > 0 {
				status += " (" + strings.Join(r.Warnings, "; ") + ")"
			}
			b.WriteString(mdRow(mdBenchmark(r, keys), mdText(r.Unit), peopleCell(r, r.Base), peopleCell(r, r.Head),
				deltaCell(r), pString(r), mdText(status)))
		}
		b.WriteString("\n</details>\n\n")
		d.rest, d.restCount = b.String(), len(rest)
	}

	if len(v.Notes) > 0 {
		d.notesHead = "### Notes\n\n"
		for _, n := range v.Notes {
			d.notes = append(d.notes, "- "+mdText(capString(n, 2000))+"\n")
		}
	}
	return d
}

// mdBlock is a folded section under the regressions' table: an
// explanation, or the hot functions of a regression no explanation
// explains.
type mdBlock struct {
	text string
	// row is the first regression (of d.regRows) it is about: the block
	// is kept while that row is.
	row         int
	explanation bool
}

// fit renders d in at most max bytes, leaving out what it must.
func (d *mdDoc) fit(max int) string {
	nReg, nImp, nNotes := len(d.regRows), len(d.impRows), len(d.notes)
	keepRest, keepHot := true, true
	// nBlocks is how many of d.blocks (sorted by row) go with the first
	// nReg regressions.
	nBlocks := func() int {
		n := 0
		for n < len(d.blocks) && d.blocks[n].row < nReg {
			n++
		}
		return n
	}
	size := func() int {
		n := len(d.head)
		if nReg > 0 {
			n += len(d.regHeader) + 1 // the blank line after the table
			for _, r := range d.regRows[:nReg] {
				n += len(r)
			}
			if keepHot {
				for _, b := range d.blocks[:nBlocks()] {
					n += len(b.text)
				}
			}
		}
		if nImp > 0 {
			n += len(d.impHeader) + 1
			for _, r := range d.impRows[:nImp] {
				n += len(r)
			}
		}
		if keepRest {
			n += len(d.rest)
		}
		if nNotes > 0 {
			n += len(d.notesHead) + 1
			for _, s := range d.notes[:nNotes] {
				n += len(s)
			}
		}
		return n
	}
	// The running total of the rows, kept as rows go, so that trimming a
	// long table is linear.
	total := size()
	note := func() string {
		var hot, explanations int
		if !keepHot {
			hot, explanations = d.blockCounts(nBlocks())
		}
		return d.leftOut(len(d.regRows)-nReg+len(d.impRows)-nImp+boolInt(!keepRest)*d.restCount,
			hot, explanations, len(d.notes)-nNotes)
	}
	over := func() bool { return total+len(note()) > max }
	if over() && keepRest && d.rest != "" {
		keepRest = false
		total = size()
	}
	if over() && keepHot {
		keepHot = false
		total = size()
	}
	for over() && nNotes > 0 {
		nNotes--
		total -= len(d.notes[nNotes])
		if nNotes == 0 {
			total -= len(d.notesHead) + 1
		}
	}
	for over() && nImp > 0 {
		nImp--
		total -= len(d.impRows[nImp])
		if nImp == 0 {
			total -= len(d.impHeader) + 1
		}
	}
	kept := nBlocks()
	for over() && nReg > 0 {
		nReg--
		total -= len(d.regRows[nReg])
		for kept > 0 && d.blocks[kept-1].row >= nReg {
			kept--
			if keepHot {
				total -= len(d.blocks[kept].text)
			}
		}
		if nReg == 0 {
			total -= len(d.regHeader) + 1
		}
	}

	var b strings.Builder
	b.WriteString(d.head)
	// section writes a header and its first n rows, when there are any.
	section := func(header string, rows []string, n int) {
		if n == 0 {
			return
		}
		b.WriteString(header)
		for _, r := range rows[:n] {
			b.WriteString(r)
		}
		b.WriteString("\n")
	}
	section(d.regHeader, d.regRows, nReg)
	if nReg > 0 && keepHot {
		for _, bl := range d.blocks[:nBlocks()] {
			b.WriteString(bl.text)
		}
	}
	section(d.impHeader, d.impRows, nImp)
	if keepRest {
		b.WriteString(d.rest)
	}
	section(d.notesHead, d.notes, nNotes)
	b.WriteString(note())
	out := b.String()
	if len(out) > max {
		// Not even the heading fits: cut it, at a character boundary.
		out = cutUTF8(out, max)
	}
	return out
}

// blockCounts counts the first n blocks: the hot functions of
// regressions, and the explanations.
func (d *mdDoc) blockCounts(n int) (hot, explanations int) {
	for _, b := range d.blocks[:n] {
		if b.explanation {
			explanations++
		} else {
			hot++
		}
	}
	return hot, explanations
}

// leftOut is the last line of a report that had to leave things out, or
// "".
func (d *mdDoc) leftOut(results, hot, explanations, notes int) string {
	var parts []string
	if results > 0 {
		parts = append(parts, plural(results, "more result", "more results"))
	}
	if explanations > 0 {
		parts = append(parts, plural(explanations, "explanation of regressions", "explanations of regressions"))
	}
	if hot > 0 {
		parts = append(parts, "the hot functions of "+plural(hot, "regression", "regressions"))
	}
	if notes > 0 {
		parts = append(parts, plural(notes, "note", "notes"))
	}
	if len(parts) == 0 {
		return ""
	}
	what := parts[0]
	if len(parts) > 1 {
		what = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return "… " + what + " left out to fit GitHub's limit; the full report is in the run's artifacts\n"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cutUTF8 cuts s to at most n bytes, at a character boundary.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func verdictHeading(o analyze.Outcome) string {
	switch o {
	case analyze.Regression:
		return "❌ perfgate: regression"
	case analyze.Pass:
		return "✅ perfgate: pass"
	case analyze.Inconclusive:
		return "⚠️ perfgate: inconclusive"
	case analyze.Error:
		return "💥 perfgate: error"
	}
	return "perfgate: " + mdText(strings.ToLower(verdictWord(&analyze.Verdict{Verdict: o})))
}

// mdSides is "Base <code>main</code> 1111111 · head <code>HEAD</code>
// 2222222 (dirty)", commits linked.
func mdSides(v *analyze.Verdict, commitURL func(string) string) string {
	side := func(label string, s analyze.Side) string {
		var parts []string
		if s.Ref != "" {
			parts = append(parts, "<code>"+mdText(capString(s.Ref, 200))+"</code>")
		}
		if s.Commit != "" {
			c := mdText(capString(text.ShortCommit(s.Commit), 64))
			if commitURL != nil && text.IsHex(s.Commit) {
				if u := commitURL(s.Commit); u != "" {
					c = "[" + c + "](" + mdURL(u) + ")"
				}
			}
			parts = append(parts, c)
		}
		if s.Dirty {
			parts = append(parts, "(dirty)")
		}
		if len(parts) == 0 {
			return ""
		}
		return label + " " + strings.Join(parts, " ")
	}
	var parts []string
	if s := side("Base", v.Base); s != "" {
		parts = append(parts, s)
	}
	label := "Head"
	if len(parts) > 0 {
		label = "head"
	}
	if s := side(label, v.Head); s != "" {
		parts = append(parts, s)
	}
	return strings.Join(parts, " · ")
}

// mdURL makes u safe as a link destination: in angle brackets, with the
// characters that would end it percent-encoded.
func mdURL(u string) string {
	r := strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20", "\n", "", "\r", "", "\\", "%5C")
	return "<" + r.Replace(u) + ">"
}

// mdBenchmark is a result's benchmark name, with the configuration that
// tells it apart from others of the same name.
func mdBenchmark(r analyze.Result, keys []string) string {
	s := mdText(capString(r.Benchmark, 300))
	if c := configLabel(r, keys); c != "" {
		s += " <sub>" + mdText(capString(c, 200)) + "</sub>"
	}
	return s
}

func mdHotName(h analyze.Hot) string {
	s := "<code>" + mdText(capString(h.Function, 300)) + "</code>"
	if h.Service != "" {
		s += " in " + mdText(capString(h.Service, 100))
	}
	return s
}

// mdHot is a regression's hot functions and call path, folded.
func mdHot(r analyze.Result, keys []string) string {
	if len(r.Hot) == 0 {
		return ""
	}
	var b strings.Builder
	name := r.Benchmark + " " + r.Unit
	if c := configLabel(r, keys); c != "" {
		name += " (" + c + ")"
	}
	// The summary is in an HTML block, where Markdown is not parsed: HTML
	// escaping only.
	fmt.Fprintf(&b, "<details><summary>Hot functions of %s</summary>\n\n", htmlText(capString(name, 400)))
	b.WriteString("| Function | Service | Growth | Share | Base → head |\n|---|---|--:|--:|---|\n")
	for _, h := range r.Hot {
		// The unit escaped, not the figures: "1.5" would be "1\.5".
		unit := mdText(capString(h.Unit, 100))
		b.WriteString(mdRow("<code>"+mdText(capString(h.Function, 300))+"</code>", mdText(capString(h.Service, 100)),
			"+"+Cost(h.Head-h.Base, unit), Percent(h.Share), Cost(h.Base, unit)+" → "+Cost(h.Head, unit)))
	}
	b.WriteString(mdPath(r.Hot))
	b.WriteString("\n</details>\n\n")
	return b.String()
}

// mdExplanation is explanation j, folded: the figures it explains in the
// summary; the samples it rests on; the time by service and kind; the
// functions that grew, with the call path of the first, or why there are
// none; its notes.
func mdExplanation(v *analyze.Verdict, plan *regPlan, j int) string {
	e := v.Explanations[j]
	var b strings.Builder
	// The summary is in an HTML block, where Markdown is not parsed: HTML
	// escaping only.
	esc := func(s string) string { return htmlText(capString(s, 100)) }
	fmt.Fprintf(&b, "<details><summary>%s: %s</summary>\n\n", htmlText(capString(explanationTitle(e), 400)),
		figuresLine(explanationFigures(v, e, plan.explained[j]), esc))
	b.WriteString(mdText(capString(samplesLine(e), 300)) + ".\n\n")
	if len(e.Split) > 0 {
		b.WriteString(mdText(capitalize(splitWhat(e))) + ", by service and kind:\n\n")
		b.WriteString("| Service | Kind | Base | Head | Growth |\n|---|---|--:|--:|--:|\n")
		for _, s := range e.Split {
			unit := mdText(capString(s.Unit, 100))
			b.WriteString(mdRow(mdText(capString(s.Service, 100)), mdText(capString(s.Kind, 100)),
				Cost(s.Base, unit), Cost(s.Head, unit), splitGrowth(analyze.Split{Base: s.Base, Head: s.Head, Unit: unit})))
		}
		b.WriteString("\n")
	}
	if why := noRanking(e); why != "" {
		b.WriteString(capitalize(why) + ".\n\n")
	}
	if len(e.Hot) > 0 {
		kind, service, samples := hotColumns(e.Hot)
		header := []string{"Function"}
		if kind {
			header = append(header, "Kind")
		}
		if service {
			header = append(header, "Service")
		}
		header = append(header, "Growth", "Share", "Base → head")
		if samples {
			header = append(header, "Samples (base/head)")
		}
		b.WriteString(mdRow(header...))
		for _, h := range header {
			switch h {
			case "Growth", "Share", "Samples (base/head)":
				b.WriteString("|--:")
			default:
				b.WriteString("|---")
			}
		}
		b.WriteString("|\n")
		for _, h := range e.Hot {
			unit := mdText(capString(h.Unit, 100))
			cells := []string{"<code>" + mdText(capString(h.Function, 300)) + "</code>"}
			if kind {
				cells = append(cells, mdText(capString(h.Kind, 100)))
			}
			if service {
				cells = append(cells, mdText(capString(h.Service, 100)))
			}
			cells = append(cells, "+"+Cost(h.Head-h.Base, unit), Percent(h.Share), Cost(h.Base, unit)+" → "+Cost(h.Head, unit))
			if samples {
				cells = append(cells, hotSamples(h))
			}
			b.WriteString(mdRow(cells...))
		}
		b.WriteString(mdPath(e.Hot))
		b.WriteString("\n")
	}
	for _, n := range e.Notes {
		b.WriteString("- " + mdText(capString(n, 2000)) + "\n")
	}
	if len(e.Notes) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("</details>\n\n")
	return b.String()
}

// mdPath is the call path of the first hot function, its last frames, as
// a paragraph after a blank line; "" without one.
func mdPath(hot []analyze.Hot) string {
	if len(hot) == 0 || len(hot[0].Path) == 0 {
		return ""
	}
	var frames []string
	for _, f := range trimPath(hot[0].Path, callPathFrames) {
		frames = append(frames, mdText(capString(f, 300)))
	}
	return "\nCall path: " + strings.Join(frames, " → ") + "\n"
}

// capitalize makes the first letter of our own words a capital.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// mdRow is a table row of cells already escaped.
func mdRow(cells ...string) string {
	return "| " + strings.Join(cells, " | ") + " |\n"
}

// capString shortens s to about n bytes, with "…" for the rest.
func capString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return cutUTF8(s, n) + "…"
}

// mdText escapes untrusted text for inline Markdown (a table cell, a
// paragraph, a list item): the characters Markdown gives a meaning are
// backslash-escaped, HTML is written as entities, an @mention is broken by
// a zero-width joiner, an autolink ("https://", "www.") is broken, line
// breaks and tabs become spaces, control characters (ESC, BEL, C1), bidi
// controls (U+202E, U+2066...) and bytes that are not UTF-8 are dropped,
// and what would start a block at the beginning of a line is escaped.
func mdText(s string) string {
	var b strings.Builder
	start := true
	for i, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&quot;")
		case strings.ContainsRune("\\`*_[]|~$!#{}", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case start && strings.ContainsRune("-+=", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '@':
			b.WriteRune(r)
			if next, _ := utf8.DecodeRuneInString(s[i+1:]); isMentionChar(next) {
				b.WriteRune('\u200d')
			}
		case r == '.' || r == ')':
			// "1." or "1)" at the start of a line would begin a list, and
			// "www." an autolink.
			if i > 0 && isDigits(s[:i]) || r == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www") {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case r == ':' && strings.HasPrefix(s[i+1:], "//"):
			// No autolink of "http://...".
			b.WriteString("\\:")
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case invisible(r):
			// dropped
		default:
			b.WriteRune(r)
		}
		if r != ' ' {
			start = false
		}
	}
	return b.String()
}

// htmlText escapes untrusted text for the inside of an HTML block (a
// <summary>), where Markdown is not parsed: entities (backticks too, and
// the "[" of "##[", which the GitHub runner would read as a workflow
// command), no line breaks (a blank line would end the block), @mentions
// broken, and what mdText drops dropped.
func htmlText(s string) string {
	s = html.EscapeString(text.OneLine(s))
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '`':
			b.WriteString("&#96;")
		case r == '[' && strings.HasSuffix(s[:i], "##"):
			b.WriteString("&#91;")
		case r == '@':
			b.WriteRune(r)
			if next, _ := utf8.DecodeRuneInString(s[i+1:]); isMentionChar(next) {
				b.WriteRune('\u200d')
			}
		case invisible(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// invisible reports whether Markdown drops r: a control character, a bidi
// control (which would reorder the text around it), or utf8.RuneError (a
// byte that is not UTF-8, as a range loop decodes it).
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError
}

func isMentionChar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
