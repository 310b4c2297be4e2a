package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/perfgate/perfgate/analyze"
	"github.com/perfgate/perfgate/internal/text"
)

// HTMLOptions configure HTML.
type HTMLOptions struct {
	// Title is the page's title; "" means "perfgate: " and the outcome.
	Title string
	// Flames are diff flame graphs: the folded stacks (analyze.Folded's
	// format: "root;...;leaf value" per line, values negative where the
	// base was more expensive) of the diff profiles behind hot functions.
	// The key of an explanation's (analyze.Explanation) is its Benchmark,
	// a space and its first unit (Units[0]), as in
	// "BenchmarkLoad/scenario=checkout sec/op"; the stacks of several
	// services go under a root frame named after each. The key of a
	// result that no explanation explains (Verdict.Explained) is its Benchmark, a
	// space and its Unit. A flame graph of a result that an explanation
	// explains stands for the explanation when it has none of its own; any
	// other key is drawn under "Other flame graphs".
	Flames map[string][]byte
}

// HTML writes v as one self-contained page that needs no network: styles,
// charts (inline SVG drawn here) and a little script are all in it. It
// shows the outcome and the counts in a banner; a table of the
// regressions, in the order of regressionOrder (worst first; a load
// scenario's response time and throughput before its services'
// resources); for each regression (and each result with a flame graph)
// its figures and a chart of every round's value base against head; after
// the regressions an explanation (analyze.Explanation) explains, the
// explanation, once: the figures it explains, the samples it rests on,
// the time by service and kind, the functions that grew with the call
// path of the first, its notes, its diff flame graph and profiles; for a
// regression that no explanation explains, its own hot functions, call
// path and flame graph; a chart of the latency percentiles of each load
// scenario, base against head; all results, grouped as the text tables
// are; and the notes.
//
// The output depends on v and opts only: no timestamps, stable order,
// fixed float formatting. Everything from v is escaped by html/template,
// and what is not printable in it is shown as the text report shows it
// (htmlVisible).
func HTML(w io.Writer, v *analyze.Verdict, opts HTMLOptions) error {
	page := newHTMLPage(v, opts)
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, page); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	if _, err := io.WriteString(w, htmlVisible(buf.String())); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

// htmlVisible makes a rendered page harmless to print, as termText makes
// text: html/template escapes markup, but neither control characters (ESC
// and BEL from a name would reach the terminal of whoever prints the
// file) nor bidi overrides (which would reorder the text a browser shows)
// nor workflow commands (the page may be printed to a CI log). So what is
// not printable, but line breaks and tabs, is written as termText writes
// it ("\x1b", "\u202e", "\xff"); and the first colon of a line that
// begins with "::" after white space, and the "[" of "##[", are written as
// character references, which a browser shows as the characters they
// are. The template's own text has none of these, so only what came from
// the verdict or the flame graphs is touched, in whatever part of the page
// it went.
func htmlVisible(page string) string {
	var b strings.Builder
	b.Grow(len(page))
	lineStart := true // only spaces and tabs since the last line break
	for i := 0; i < len(page); {
		_, size := utf8.DecodeRuneInString(page[i:])
		c := page[i : i+size]
		switch {
		case c == "\n" || c == "\t":
			b.WriteString(c)
		case lineStart && strings.HasPrefix(page[i:], "::"):
			b.WriteString("&#58;")
		case c == "[" && strings.HasSuffix(page[:i], "##"):
			b.WriteString("&#91;")
		default:
			text.WriteVisible(&b, c)
		}
		lineStart = c == "\n" || lineStart && (c == " " || c == "\t")
		i += size
	}
	return b.String()
}

type htmlPage struct {
	Title        string
	Verdict      string // the outcome, as a CSS class
	Word         string // the outcome, for people
	Icon         string
	Counts       string
	Base, Head   string
	Alpha        string
	Error        string
	Inconclusive bool
	Missing      []string // benchmarks the head no longer runs
	MissingNote  string
	Regressions  []htmlRow
	Improvements []htmlRow
	Details      []htmlDetail
	Load         []*barChart
	Groups       []htmlGroup
	Notes        []string
	Footnotes    []string
	Extra        []htmlDetail // flame graphs of no result
	BaseName     string
	HeadName     string
}

// htmlRow is a result as a table row.
type htmlRow struct {
	Benchmark string
	Config    string
	Unit      string
	Base      string
	Head      string
	Delta     string
	P         string
	N         string
	Threshold string
	Status    string // the status, as a CSS class
	Decision  string // what the gate made of it, in words
	Marks     string // footnote marks of its warnings
	Top       string // the first hot function
	TopShare  string
	TopSame   bool   // the same explanation as the row above: its top function is there
	Anchor    string // the id of its details, or ""
}

// htmlDetail is the section of one result: figures, rounds, hot
// functions, flame graph; or, with Explanation, an explanation's.
type htmlDetail struct {
	Explanation *htmlExplanation

	ID       string
	Row      htmlRow
	Rounds   *lineChart
	Curve    *lineChart // a capacity's latency curve
	Hot      []htmlHot
	Path     []string
	Flame    *flameGraph
	FlameKey string
	Profiles []string
	Warnings []string
}

type htmlHot struct {
	Function string
	Service  string
	Kind     string
	Samples  string
	Growth   string
	Share    string
	ShareW   string // the share bar's width
	Base     string
	Head     string
	BaseCum  string
	HeadCum  string
}

// htmlExplanation is the section of one explanation.
type htmlExplanation struct {
	ID      string
	Title   string // what it explains: "scenario checkout"
	Figures string // "sec/op +259.38%, req/s -12.00% regressed"
	Samples string
	// SplitWhat introduces Split: "Time per request".
	SplitWhat string
	Split     []htmlSplit
	// The optional columns of Hot that some function fills.
	HotKind, HotService, HotSamples bool
	Hot                             []htmlHot
	Path                            []string
	NoRanking                       string // why Hot is empty
	Notes                           []string
	Flame                           *htmlDetail // its flame graph, for the "flame" template
	Profiles                        []string
}

type htmlSplit struct {
	Service, Kind, Base, Head, Growth string
}

// htmlGroup is the results of one file configuration and unit.
type htmlGroup struct {
	Unit   string
	Config string
	Rows   []htmlRow
}

func newHTMLPage(v *analyze.Verdict, opts HTMLOptions) *htmlPage {
	p := &htmlPage{
		Title:        opts.Title,
		Verdict:      string(v.Verdict),
		Word:         verdictWord(v),
		Icon:         htmlIcon(v.Verdict),
		Counts:       strings.Join(counts(v), ", "),
		Base:         sideString(v.Base),
		Head:         sideString(v.Head),
		Alpha:        strconv.FormatFloat(v.Alpha, 'g', -1, 64),
		Error:        v.Error,
		Inconclusive: v.Verdict == analyze.Inconclusive,
		Missing:      missing(v),
		MissingNote:  missingNote,
		Notes:        v.Notes,
		BaseName:     "base",
		HeadName:     "head",
	}
	if p.Title == "" {
		p.Title = "perfgate: " + string(v.Verdict)
	}
	if p.Base != "" {
		p.BaseName = "base " + p.Base
	}
	if p.Head != "" {
		p.HeadName = "head " + p.Head
	}
	keys := varyingKeys(v.Results)
	var notes footnotes
	rows := make([]htmlRow, len(v.Results))
	for i, r := range v.Results {
		rows[i] = newHTMLRow(r, keys, &notes)
	}
	p.Footnotes = notes.list

	// Sections of the regressions, each explanation after the last it
	// explains, then of the other results with a flame graph, in the
	// verdict's order.
	plan := newRegPlan(v)
	used := make(map[string]bool)
	addDetail := func(i int) {
		r := v.Results[i]
		key := r.Benchmark + " " + r.Unit
		d := htmlDetail{
			ID:       "result-" + strconv.Itoa(i+1),
			Rounds:   roundsChart(r, p.BaseName, p.HeadName),
			Warnings: r.Warnings,
		}
		if n, ok := analyze.ParseLoadName(r.Benchmark); ok && r.Unit == "max-req/s" {
			d.Curve = curveChart(v.Curves, n.Scenario, p.BaseName, p.HeadName)
		}
		rows[i].Anchor = d.ID
		d.Row = rows[i]
		if plan.of[i] < 0 {
			// Its own hot functions: those of an explanation go with it.
			d.Profiles = r.Profiles
			d.Hot = htmlHots(r.Hot)
			if len(r.Hot) > 0 {
				d.Path = r.Hot[0].Path
			}
			if f, ok := opts.Flames[key]; ok && !used[key] {
				used[key] = true
				d.Flame, d.FlameKey = flameOf(v, key, f), key
			}
		}
		p.Details = append(p.Details, d)
	}
	addExplanation := func(j int) {
		x := newHTMLExplanation(v, plan, j)
		e := v.Explanations[j]
		// Its flame graph: its own, else that of a result it explains.
		var keys []string
		if len(e.Units) > 0 {
			keys = append(keys, e.Benchmark+" "+e.Units[0])
		}
		for _, i := range plan.explained[j] {
			keys = append(keys, v.Results[i].Benchmark+" "+v.Results[i].Unit)
		}
		for _, key := range keys {
			if f, ok := opts.Flames[key]; ok && !used[key] && x.Flame == nil {
				x.Flame = &htmlDetail{ID: x.ID, Flame: flameOf(v, key, f), FlameKey: key, Row: htmlRow{Benchmark: e.Benchmark}}
			}
			if _, ok := opts.Flames[key]; ok {
				used[key] = true // drawn here, or the same profiles as what is
			}
		}
		p.Details = append(p.Details, htmlDetail{ID: x.ID, Explanation: x})
	}
	for _, i := range plan.order {
		addDetail(i)
		for _, j := range plan.after[i] {
			addExplanation(j)
		}
	}
	for _, j := range plan.orphans {
		addExplanation(j)
	}
	for i, r := range v.Results {
		key := r.Benchmark + " " + r.Unit
		if r.Status != analyze.StatusRegression && (opts.Flames[key] != nil && !used[key] || r.Unit == "max-req/s") {
			addDetail(i) // a capacity shows its latency curve
		}
	}
	for row, i := range plan.order {
		if j := plan.of[i]; j >= 0 {
			rows[i].Top, rows[i].TopShare = topFunction(v.Explanations[j].Hot)
			rows[i].TopSame = plan.sameAsAbove(v, row)
		}
		p.Regressions = append(p.Regressions, rows[i])
	}
	for _, i := range indexByStatus(v, analyze.StatusImprovement) {
		p.Improvements = append(p.Improvements, rows[i])
	}
	var extra []string
	for k := range opts.Flames {
		if !used[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		p.Extra = append(p.Extra, htmlDetail{ID: "extra-" + strconv.Itoa(len(p.Extra)+1), Flame: flameOf(v, k, opts.Flames[k]), FlameKey: k})
	}

	// Latency charts of load scenarios, one per scenario and service, in
	// order of first appearance.
	type svc struct{ scenario, service string }
	var order []svc
	bySvc := make(map[svc][]analyze.Result)
	for _, r := range v.Results {
		n, ok := analyze.ParseLoadName(r.Benchmark)
		if !ok {
			continue
		}
		k := svc{n.Scenario, n.Service}
		if _, seen := bySvc[k]; !seen {
			order = append(order, k)
		}
		bySvc[k] = append(bySvc[k], r)
	}
	for _, k := range order {
		title := "scenario " + k.scenario
		if k.service != "" {
			title += ", service " + k.service
		}
		if c := latencyChart(title, bySvc[k], p.BaseName, p.HeadName); c != nil {
			p.Load = append(p.Load, c)
		}
	}

	// All results, grouped as the text report's tables.
	for i := 0; i < len(v.Results); {
		j := i + 1
		for j < len(v.Results) && sameTable(v.Results[i], v.Results[j]) {
			j++
		}
		g := htmlGroup{Unit: v.Results[i].Unit, Rows: rows[i:j]}
		var cfg []string
		for _, kv := range v.Results[i].Config {
			if slices.Contains(keys, kv.Key) {
				cfg = append(cfg, kv.Key+"="+kv.Value)
			}
		}
		g.Config = strings.Join(cfg, " ")
		p.Groups = append(p.Groups, g)
		i = j
	}
	return p
}

func newHTMLRow(r analyze.Result, keys []string, notes *footnotes) htmlRow {
	row := htmlRow{
		Benchmark: r.Benchmark,
		Config:    configLabel(r, keys),
		Unit:      r.Unit,
		Base:      peopleCell(r, r.Base),
		Head:      peopleCell(r, r.Head),
		Delta:     deltaCell(r),
		P:         pString(r),
		N:         nString(r),
		Threshold: Percent(r.Threshold),
		Status:    string(r.Status),
		Decision:  statusText(r),
		Marks:     strings.TrimSpace(notes.mark(r.Warnings)),
	}
	row.Top, row.TopShare = topFunction(r.Hot)
	return row
}

// topFunction is the first hot function, "F in service", and its share.
func topFunction(hot []analyze.Hot) (top, share string) {
	if len(hot) == 0 {
		return "", ""
	}
	h := hot[0]
	top = h.Function
	if h.Service != "" {
		top += " in " + h.Service
	}
	return top, Percent(roundShare(h.Share))
}

// htmlHots are hot functions as the page's tables show them.
func htmlHots(hot []analyze.Hot) []htmlHot {
	var out []htmlHot
	for _, h := range hot {
		out = append(out, htmlHot{
			Function: h.Function, Service: h.Service, Kind: h.Kind, Samples: hotSamples(h),
			Growth: hotGrowth(h), Share: Percent(roundShare(h.Share)), ShareW: px(60 * clamp01(h.Share)),
			Base: Cost(h.Base, h.Unit), Head: Cost(h.Head, h.Unit),
			BaseCum: Cost(h.BaseCum, h.Unit), HeadCum: Cost(h.HeadCum, h.Unit),
		})
	}
	return out
}

// newHTMLExplanation is the section of explanation j, but its flame graph.
func newHTMLExplanation(v *analyze.Verdict, plan *regPlan, j int) *htmlExplanation {
	e := v.Explanations[j]
	x := &htmlExplanation{
		ID:        "explanation-" + strconv.Itoa(j+1),
		Title:     explanationTitle(e),
		Figures:   figuresLine(explanationFigures(v, e, plan.explained[j]), func(s string) string { return s }),
		Samples:   samplesLine(e),
		SplitWhat: capitalize(splitWhat(e)),
		Hot:       htmlHots(e.Hot),
		Notes:     e.Notes,
		Profiles:  e.Profiles,
	}
	x.HotKind, x.HotService, x.HotSamples = hotColumns(e.Hot)
	for _, s := range e.Split {
		x.Split = append(x.Split, htmlSplit{Service: s.Service, Kind: s.Kind,
			Base: Cost(s.Base, s.Unit), Head: Cost(s.Head, s.Unit), Growth: splitGrowth(s)})
	}
	if len(e.Hot) > 0 {
		x.Path = e.Hot[0].Path
	}
	x.NoRanking = capitalize(noRanking(e))
	return x
}

// roundShare rounds a share to a whole percent, as the text report shows
// it.
func roundShare(f float64) float64 {
	return float64(int(f*100+0.5)) / 100
}

func clamp01(f float64) float64 {
	return min(1, max(0, f))
}

func htmlIcon(o analyze.Outcome) string {
	switch o {
	case analyze.Regression:
		return "✖"
	case analyze.Pass:
		return "✔"
	case analyze.Inconclusive:
		return "?"
	case analyze.Error:
		return "!"
	}
	return ""
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	// parts splits a benchmark name at its slashes, where a line may break.
	"parts": func(name string) []string { return strings.SplitAfter(name, "/") },
}).Parse(htmlSource))

const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="perfgate">
<title>{{.Title}}</title>
<script>
/* Errors of this page's scripts are kept in <body data-errors>, so that a
   test (or a curious reader) can see them. */
(function () {
  var errors = [];
  function record(msg) {
    errors.push(String(msg));
    if (document.body) document.body.setAttribute("data-errors", errors.join("\n"));
  }
  window.onerror = function (msg, src, line, col) { record(msg + " (" + line + ":" + col + ")"); return false; };
  window.addEventListener("unhandledrejection", function (e) { record("unhandled rejection: " + e.reason); });
  document.addEventListener("DOMContentLoaded", function () {
    if (errors.length) document.body.setAttribute("data-errors", errors.join("\n"));
  });
})();
</script>
{{template "style"}}</head>
<body data-errors="">
<header class="banner {{.Verdict}}">
<div class="banner-inner">
<div class="verdict" id="verdict"><span class="icon">{{.Icon}}</span><span>{{.Word}}</span></div>
{{with .Counts}}<div class="summary">{{.}}</div>{{end}}
<div class="sides">{{with .Base}}base <span class="mono">{{.}}</span>{{end}}{{if and .Base .Head}} &nbsp;→&nbsp; {{end}}{{with .Head}}head <span class="mono">{{.}}</span>{{end}}{{if .Alpha}} &nbsp;·&nbsp; alpha {{.Alpha}}{{end}}</div>
</div>
</header>
<main>
{{with .Error}}<div class="error-box"><b>error:</b> {{.}}</div>{{end}}
{{if .Inconclusive}}<p class="hint">Inconclusive: too few samples to tell a change from noise; run more rounds.</p>{{end}}
{{with .Missing}}<div class="error-box"><b>The head no longer runs</b> ({{$.MissingNote}}): {{range $i, $b := .}}{{if $i}}, {{end}}<code>{{$b}}</code>{{end}}</div>{{end}}

{{if .Regressions}}
<h2>Regressions, worst first</h2>
<table>
<thead><tr><th>Benchmark</th><th>Unit</th><th class="num">Base</th><th class="num">Head</th><th class="num">Δ</th><th class="num">p</th><th class="num">Threshold</th><th>Top function</th></tr></thead>
<tbody>
{{range .Regressions}}<tr>
<td class="name">{{if .Anchor}}<a href="#{{.Anchor}}">{{template "name" .Benchmark}}</a>{{else}}{{template "name" .Benchmark}}{{end}}{{with .Config}}<span class="cfg">{{.}}</span>{{end}}</td>
<td>{{.Unit}}</td><td class="num">{{.Base}}</td><td class="num">{{.Head}}</td><td class="num delta regression">{{.Delta}}</td>
<td class="num">{{.P}}</td><td class="num">{{.Threshold}}</td>
<td>{{if .TopSame}}<span class="hint">as above</span>{{else if .Top}}<code>{{.Top}}</code> <span class="hint">{{.TopShare}}</span>{{else}}<span class="hint">—</span>{{end}}</td>
</tr>
{{end}}</tbody>
</table>
{{end}}

{{if .Load}}
<h2>Latency under load</h2>
<p class="hint">Medians of the rounds, with their 95% confidence intervals.</p>
<div class="charts">
{{range .Load}}{{template "bars" .}}{{end}}
</div>
{{end}}

{{if .Improvements}}
<h2>Improvements</h2>
<table>
<thead><tr><th>Benchmark</th><th>Unit</th><th class="num">Base</th><th class="num">Head</th><th class="num">Δ</th><th class="num">p</th></tr></thead>
<tbody>
{{range .Improvements}}<tr>
<td class="name">{{template "name" .Benchmark}}{{with .Config}}<span class="cfg">{{.}}</span>{{end}}</td>
<td>{{.Unit}}</td><td class="num">{{.Base}}</td><td class="num">{{.Head}}</td><td class="num delta improvement">{{.Delta}}</td><td class="num">{{.P}}</td>
</tr>
{{end}}</tbody>
</table>
{{end}}

{{if .Details}}
<h2>What changed, result by result</h2>
<div class="details">
{{range .Details}}{{with .Explanation}}{{template "explanation" .}}{{else}}{{template "detail" .}}{{end}}{{end}}
</div>
{{end}}

{{if .Extra}}
<h2>Other flame graphs</h2>
{{range .Extra}}{{template "flame" .}}{{end}}
{{end}}

{{if .Groups}}
<h2>All results</h2>
<table class="all">
<thead><tr><th>Benchmark</th><th class="num">Base</th><th class="num">Head</th><th class="num">Δ</th><th class="num">p</th><th class="num">n</th><th>Decision</th></tr></thead>
{{range .Groups}}<tbody>
<tr class="group"><th colspan="7">{{.Unit}}{{with .Config}} <span class="cfg" style="display:inline">{{.}}</span>{{end}}</th></tr>
{{range .Rows}}<tr>
<td class="name">{{if .Anchor}}<a href="#{{.Anchor}}">{{template "name" .Benchmark}}</a>{{else}}{{template "name" .Benchmark}}{{end}}</td>
<td class="num">{{.Base}}</td><td class="num">{{.Head}}</td><td class="num delta {{.Status}}">{{.Delta}}</td><td class="num">{{.P}}</td><td class="num">{{.N}}</td>
<td><span class="status {{.Status}}">{{.Decision}}</span>{{with .Marks}} <sup>{{.}}</sup>{{end}}</td>
</tr>
{{end}}</tbody>
{{end}}</table>
{{with .Footnotes}}<ol class="footnotes">{{range .}}<li>{{.}}</li>{{end}}</ol>{{end}}
{{end}}

{{if .Notes}}
<h2>Notes</h2>
<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>
{{end}}
<footer>perfgate: the gate decides a regression when a change is significant (Mann-Whitney U test, p &lt; alpha) and beyond its threshold. Click a frame of a flame graph to zoom in, the top frame to zoom out.</footer>
</main>
<script>
/* Click to zoom the flame graphs: a clicked frame fills the width, its
   ancestors span it, the rest hides. The page reads the same without. */
(function () {
  function fit(g, x, w) {
    var r = g.querySelector("rect"), t = g.querySelector("text");
    if (r) { r.setAttribute("x", x.toFixed(2)); r.setAttribute("width", Math.max(w, 0).toFixed(2)); }
    if (!t) return;
    t.setAttribute("x", (x + 3).toFixed(2));
    var name = g.getAttribute("data-n") || "", n = Math.floor((w - 6) / 7);
    t.textContent = n < 3 ? "" : (name.length > n ? name.slice(0, n - 1) + "\u2026" : name);
  }
  var svgs = document.querySelectorAll("svg.flame");
  Array.prototype.forEach.call(svgs, function (svg) {
    var W = parseFloat(svg.getAttribute("data-width")) || 1;
    var frames = Array.prototype.slice.call(svg.querySelectorAll("g.frame"));
    function num(g, a) { return parseFloat(g.getAttribute(a)) || 0; }
    function zoom(f) {
      var fx = num(f, "data-x"), fw = num(f, "data-w"), fd = num(f, "data-d"), eps = 1e-7;
      if (fw <= 0) return;
      frames.forEach(function (g) {
        var x = num(g, "data-x"), w = num(g, "data-w"), d = num(g, "data-d");
        var show = false, nx = 0, nw = W;
        if (d < fd) {
          show = x <= fx + eps && x + w >= fx + fw - eps;
        } else if (x >= fx - eps && x + w <= fx + fw + eps) {
          nx = (x - fx) / fw * W; nw = w / fw * W; show = nw >= 0.5;
        }
        g.style.display = show ? "" : "none";
        if (show) fit(g, nx, nw);
      });
    }
    svg.addEventListener("click", function (e) {
      var g = e.target && e.target.closest ? e.target.closest("g.frame") : null;
      if (g) zoom(g);
    });
  });
})();
</script>
</body>
</html>
{{define "name"}}{{range parts .}}{{.}}<wbr>{{end}}{{end}}
{{define "detail"}}<section class="detail {{.Row.Status}}{{if or .Hot .Flame}} wide{{end}}" id="{{.ID}}">
<h3>{{template "name" .Row.Benchmark}} <span class="hint">{{.Row.Unit}}</span></h3>
{{with .Row.Config}}<div class="cfg">{{.}}</div>{{end}}
<div class="figures"><span class="status {{.Row.Status}}">{{.Row.Decision}}</span>
&nbsp; <b>{{.Row.Delta}}</b>{{if .Row.Delta}} &nbsp;·&nbsp;{{end}} base <b>{{.Row.Base}}</b> → head <b>{{.Row.Head}}</b>
{{with .Row.P}}&nbsp;·&nbsp; p {{.}}{{end}} &nbsp;·&nbsp; n {{.Row.N}} &nbsp;·&nbsp; threshold {{.Row.Threshold}}</div>
{{range .Warnings}}<div class="hint">⚠ {{.}}</div>{{end}}
{{with .Rounds}}{{template "rounds" .}}{{end}}{{with .Curve}}{{template "rounds" .}}{{end}}
{{if .Hot}}<div class="hot">
<table>
<thead><tr><th>Hot function</th><th>Service</th><th class="num">Growth</th><th>Share</th><th class="num">Base</th><th class="num">Head</th><th class="num">Cumulative</th></tr></thead>
<tbody>
{{range .Hot}}<tr><td class="fn"><code>{{.Function}}</code></td><td>{{.Service}}</td><td class="num">{{.Growth}}</td>
<td class="num" style="text-align:left"><svg class="sharebar" width="60" height="8" aria-hidden="true"><rect width="60" height="8" rx="2" fill="#eaeef2"/><rect width="{{.ShareW}}" height="8" rx="2" fill="#cf222e"/></svg>{{.Share}}</td>
<td class="num">{{.Base}}</td><td class="num">{{.Head}}</td><td class="num">{{.BaseCum}} → {{.HeadCum}}</td></tr>
{{end}}</tbody>
</table>
{{with .Path}}<p class="path">Call path of the first: {{range $i, $f := .}}{{if $i}} → {{end}}<code>{{$f}}</code>{{end}}</p>{{end}}
</div>{{end}}
{{if .Flame}}{{template "flame" .}}{{end}}
{{with .Profiles}}<div class="profiles">Profiles: {{range $i, $f := .}}{{if $i}}, {{end}}<code>{{$f}}</code>{{end}}</div>{{end}}
</section>
{{end}}
{{define "explanation"}}<section class="detail explanation wide" id="{{.ID}}">
<h3>{{template "name" .Title}}</h3>
<div class="figures"><b>{{.Figures}}</b></div>
<div class="hint">{{.Samples}}</div>
{{if .Split}}<div class="split">{{.SplitWhat}}, by service and kind:
<table>
<thead><tr><th>Service</th><th>Kind</th><th class="num">Base</th><th class="num">Head</th><th class="num">Growth</th></tr></thead>
<tbody>
{{range .Split}}<tr><td>{{.Service}}</td><td>{{.Kind}}</td><td class="num">{{.Base}}</td><td class="num">{{.Head}}</td><td class="num">{{.Growth}}</td></tr>
{{end}}</tbody>
</table>
</div>{{end}}
{{if .Hot}}<div class="hot">
<table>
<thead><tr><th>Hot function</th>{{if .HotKind}}<th>Kind</th>{{end}}{{if .HotService}}<th>Service</th>{{end}}<th class="num">Growth</th><th>Share</th><th class="num">Base</th><th class="num">Head</th>{{if .HotSamples}}<th class="num">Samples (base/head)</th>{{end}}<th class="num">Cumulative</th></tr></thead>
<tbody>
{{range .Hot}}<tr><td class="fn"><code>{{.Function}}</code></td>{{if $.HotKind}}<td>{{.Kind}}</td>{{end}}{{if $.HotService}}<td>{{.Service}}</td>{{end}}<td class="num">{{.Growth}}</td>
<td class="num" style="text-align:left"><svg class="sharebar" width="60" height="8" aria-hidden="true"><rect width="60" height="8" rx="2" fill="#eaeef2"/><rect width="{{.ShareW}}" height="8" rx="2" fill="#cf222e"/></svg>{{.Share}}</td>
<td class="num">{{.Base}}</td><td class="num">{{.Head}}</td>{{if $.HotSamples}}<td class="num">{{.Samples}}</td>{{end}}<td class="num">{{.BaseCum}} → {{.HeadCum}}</td></tr>
{{end}}</tbody>
</table>
{{with .Path}}<p class="path">Call path of the first: {{range $i, $f := .}}{{if $i}} → {{end}}<code>{{$f}}</code>{{end}}</p>{{end}}
</div>{{end}}{{with .NoRanking}}<p class="hint">{{.}}</p>{{end}}
{{with .Notes}}<ul class="notes">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{with .Flame}}{{template "flame" .}}{{end}}
{{with .Profiles}}<div class="profiles">Profiles: {{range $i, $f := .}}{{if $i}}, {{end}}<code>{{$f}}</code>{{end}}</div>{{end}}
</section>
{{end}}
{{define "flame"}}<div class="flamebox">
<div class="caption"><b>Diff flame graph</b>{{if not .Row.Benchmark}} of <code>{{.FlameKey}}</code>{{end}}: width is how much changed under a frame;
<span class="key"><span class="swatch" style="background:#dc2626"></span>head costs more</span><span class="key"><span class="swatch" style="background:#2563eb"></span>head costs less</span>
{{with .Flame}}{{.Caption}}{{if .BadLines}}; {{.BadLines}} lines could not be read{{end}}{{end}}</div>
{{with .Flame}}{{if .Frames}}<svg class="flame" id="flame-{{$.ID}}" data-width="{{.Width}}" viewBox="0 0 {{.Width}} {{.Height}}" width="{{.Width}}" height="{{.Height}}" role="img" aria-label="diff flame graph">
{{range .Frames}}<g class="frame" data-x="{{.DX}}" data-w="{{.DW}}" data-d="{{.Depth}}" data-n="{{.Name}}"><title>{{.Title}}</title><rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="17" fill="{{.Fill}}"/>{{if .Label}}<text x="{{.X}}" y="{{.Y}}" dx="3" dy="12.5">{{.Label}}</text>{{end}}</g>
{{end}}</svg>{{end}}{{end}}
</div>{{end}}
{{define "rounds"}}<svg class="chart rounds" viewBox="0 0 {{.Width}} {{.Height}}" width="{{.Width}}" height="{{.Height}}" role="img" aria-label="{{.Title}}">
<text class="title" x="{{.Left}}" y="16">{{.Title}}</text>
{{range .YTicks}}<line class="grid" x1="{{$.Left}}" x2="{{$.Right}}" y1="{{.Pos}}" y2="{{.Pos}}"/><text x="{{$.Left}}" y="{{.Pos}}" dx="-6" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}<line class="axis" x1="{{.Left}}" x2="{{.Right}}" y1="{{.Bottom}}" y2="{{.Bottom}}"/>
{{range .XTicks}}<text x="{{.Pos}}" y="{{$.Bottom}}" dy="15" text-anchor="middle">{{.Label}}</text>
{{end}}<text x="{{.Right}}" y="{{.Bottom}}" dy="32" text-anchor="end">{{.XLabel}}</text>
<text transform="translate(14 {{.Top}}) rotate(-90)" text-anchor="end">{{.YLabel}}</text>
{{range $s := .Series}}{{if $s.Center}}<line x1="{{$.Left}}" x2="{{$.Right}}" y1="{{$s.Center}}" y2="{{$s.Center}}" stroke="{{$s.Color}}" stroke-dasharray="4 3" stroke-opacity=".6"/>{{end}}
{{if $s.Points}}<polyline points="{{$s.Points}}" fill="none" stroke="{{$s.Color}}" stroke-width="1.5" stroke-opacity=".7"/>{{end}}
{{range $s.Dots}}<circle cx="{{.X}}" cy="{{.Y}}" r="3.5" fill="{{$s.Color}}"><title>{{.Title}}</title></circle>{{end}}
{{end}}{{range .Marks}}<line class="mark" x1="{{.X}}" x2="{{.X}}" y1="{{$.Top}}" y2="{{$.Bottom}}" stroke="{{.Color}}" stroke-width="1.5" stroke-dasharray="5 3"><title>{{.Title}}</title></line><text x="{{.X}}" y="{{$.Top}}" dx="3" dy="10" fill="{{.Color}}">{{.Label}}</text>
{{end}}{{range .Series}}<g transform="translate({{.LegendX}} 26)"><rect width="12" height="12" rx="2" fill="{{.Color}}"/><text x="17" y="10">{{.Name}}</text></g>
{{end}}</svg>{{end}}
{{define "bars"}}<svg class="chart latency" viewBox="0 0 {{.Width}} {{.Height}}" width="{{.Width}}" height="{{.Height}}" role="img" aria-label="{{.Title}}">
<text class="title" x="{{.Left}}" y="16">{{.Title}}</text>
{{range .YTicks}}<line class="grid" x1="{{$.Left}}" x2="{{$.Right}}" y1="{{.Pos}}" y2="{{.Pos}}"/><text x="{{$.Left}}" y="{{.Pos}}" dx="-6" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}<line class="axis" x1="{{.Left}}" x2="{{.Right}}" y1="{{.Bottom}}" y2="{{.Bottom}}"/>
<text transform="translate(14 {{.Top}}) rotate(-90)" text-anchor="end">{{.YLabel}}</text>
{{range .Groups}}<text class="grouplabel {{.Status}}" x="{{.X}}" y="{{$.Bottom}}" dy="16" text-anchor="middle">{{.Label}}</text>
{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" rx="2" fill="{{.Color}}"><title>{{.Title}}</title></rect>{{if .ErrX}}<line class="err" x1="{{.ErrX}}" x2="{{.ErrX}}" y1="{{.ErrY1}}" y2="{{.ErrY2}}"/>{{end}}<text class="barlabel" x="{{.LabelX}}" y="{{.LabelY}}" text-anchor="middle">{{.Label}}</text>
{{end}}{{end}}{{range .Legend}}<g transform="translate({{.LegendX}} 26)"><rect width="12" height="12" rx="2" fill="{{.Color}}"/><text x="17" y="10">{{.Name}}</text></g>
{{end}}</svg>{{end}}{{define "style"}}<style>
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa;
  --red: #cf222e; --red-bg: #ffebe9; --green: #1a7f37; --green-bg: #dafbe1;
  --amber: #9a6700; --amber-bg: #fff8c5; --blue: #0969da;
  --base: ` + baseColor + `; --head: ` + headColor + `;
}
* { box-sizing: border-box; }
body {
  margin: 0; color: var(--fg); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif;
}
main, .banner-inner { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
code, .mono, td.num { font-family: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
td.num { font-variant-numeric: tabular-nums; text-align: right; white-space: nowrap; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 4px; overflow-wrap: anywhere; }
a { color: var(--blue); text-decoration: none; }
a:hover { text-decoration: underline; }
.banner { color: #fff; padding: 22px 0 20px; margin-bottom: 8px; background: #57606a; }
.banner.regression, .banner.error { background: linear-gradient(135deg, #a40e26, #cf222e); }
.banner.pass { background: linear-gradient(135deg, #116329, #1a7f37); }
.banner.inconclusive { background: linear-gradient(135deg, #7d4e00, #bf8700); }
.verdict { display: flex; align-items: center; gap: 14px; font-size: 30px; font-weight: 700; letter-spacing: .04em; }
.verdict .icon { display: inline-flex; width: 40px; height: 40px; border-radius: 50%; background: rgba(255,255,255,.2);
  align-items: center; justify-content: center; font-size: 22px; }
.summary { font-size: 17px; margin-top: 6px; }
.sides { margin-top: 6px; opacity: .92; font-size: 14px; }
.sides .mono { background: rgba(255,255,255,.16); padding: 1px 6px; border-radius: 4px; }
.error-box { margin: 16px 0; padding: 12px 16px; border-left: 4px solid var(--red); background: var(--red-bg); white-space: pre-wrap; }
.hint { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { text-align: left; font-size: 13px; color: var(--muted); font-weight: 600; background: var(--soft); }
th.num { text-align: right; }
td.name { overflow-wrap: anywhere; }
tr.group th { background: #fff; color: var(--fg); font-size: 14px; padding-top: 18px; border-bottom: 2px solid var(--line); }
.cfg { color: var(--muted); font-size: 12px; display: block; }
.status { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap;
  background: var(--soft); color: var(--muted); border: 1px solid var(--line); }
.status.regression { background: var(--red-bg); color: var(--red); border-color: #ffcecb; }
.status.improvement { background: var(--green-bg); color: var(--green); border-color: #aceebb; }
.status.too-few-samples, .status.inconclusive, .status.changed { background: var(--amber-bg); color: var(--amber); border-color: #f5e0a0; }
td.delta.regression { color: var(--red); font-weight: 700; }
td.delta.improvement { color: var(--green); font-weight: 700; }
.details { display: flex; flex-wrap: wrap; gap: 18px; margin: 18px 0; }
.detail { border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; flex: 0 1 calc(50% - 9px); min-width: 0; }
.detail.wide { flex-basis: 100%; }
.detail .chart.rounds { width: 100%; max-width: 560px; }
.detail.regression { border-left: 5px solid var(--red); }
.detail.explanation { border-left: 5px solid var(--amber); background: #fffdf5; }
.split { margin-top: 10px; }
.figures { color: var(--muted); margin-bottom: 10px; }
.figures b { color: var(--fg); font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart { background: #fff; max-width: 100%; height: auto; }
.chart text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: var(--muted); }
.chart .title { font-size: 13px; font-weight: 600; fill: var(--fg); }
.chart .grid { stroke: #eaeef2; }
.chart .axis { stroke: #8c959f; }
.chart .barlabel { fill: var(--fg); font-size: 10px; }
.chart .err { stroke: #24292f; stroke-width: 1.2; }
.chart .grouplabel.regression { fill: var(--red); font-weight: 700; }
.hot { margin-top: 12px; }
.hot td.fn { word-break: break-all; }
.sharebar { vertical-align: middle; margin-right: 6px; }
.path { margin: 6px 0 0; font-size: 13px; color: var(--muted); }
.path code { color: var(--fg); background: var(--soft); padding: 1px 5px; border-radius: 4px; }
.flamebox { margin-top: 14px; }
.flamebox .caption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
svg.flame { width: 100%; height: auto; display: block; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
svg.flame g.frame { cursor: pointer; }
svg.flame rect { stroke: #fff; stroke-width: .5; }
svg.flame g.frame:hover rect { stroke: #24292f; stroke-width: 1; }
svg.flame text { font: 11px ui-monospace, "DejaVu Sans Mono", monospace; fill: #1f2328; pointer-events: none; }
.key { display: inline-flex; align-items: center; gap: 6px; margin-right: 14px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
ul.notes li, ol.footnotes li { margin: 4px 0; }
.profiles { font-size: 13px; color: var(--muted); margin-top: 8px; }
footer { color: var(--muted); font-size: 12px; margin: 40px 0 24px; }
</style>
{{end}}
`
